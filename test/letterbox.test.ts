/**
 * Letterbox geometry (SPEC §3, YOLOv5 `letterbox`) and the OpenCV INTER_LINEAR resize
 * behind it. Every expected number below is worked by hand from the reference formula:
 *
 *   r = min(newH / h, newW / w);  if not scaleup: r = min(r, 1)
 *   new_unpad = int(round(w·r)), int(round(h·r))          (Python round: halves to even)
 *   dw, dh = newW − unpad_w, newH − unpad_h;  if auto: dw, dh = dw % stride, dh % stride
 *   dw /= 2; dh /= 2
 *   top, bottom = int(round(dh − 0.1)), int(round(dh + 0.1)); left, right likewise on dw
 *
 * Resize (OpenCV INTER_LINEAR, 8-bit, imgproc/src/resize.cpp), per axis:
 *   scale = 1/(dst/src);  f = (float)((d + 0.5)·scale − 0.5);  i = floor(f);  f −= i   (float32)
 *   weights w0 = cvRound((1 − f)·2048), w1 = cvRound(f·2048)   (cvRound: halves to even)
 *   horizontally i < 0 or i ≥ src − 1 clamps i and sets f = 0; vertically only the row
 *   index is clamped and f is kept.
 * Horizontal pass: S = p[i]·w0 + p[i+1]·w1 (exact int). Vertical pass (VResizeLinear
 * <uchar,int,short,FixedPtCast<int,uchar,22>>, scalar and SIMD alike):
 *   out = (((w0·(S0 >> 4)) >> 16) + ((w1·(S1 >> 4)) >> 16) + 2) >> 2
 * which equals (w0·S0 + w1·S1 + 2^21) >> 22 on most inputs but not all (two tests below pin inputs where the two differ).
 * Every resize expectation below was also checked against cv2.resize (OpenCV 4.6.0).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { letterboxKernel, letterboxParams, padImage, PAD_VALUE, type LetterboxParams } from '../src/kernels/letterbox.ts';
import { roundHalfEven } from '../src/kernels/round.ts';
import { resizeBilinear } from '../src/kernels/resize.ts';
import { lookupKernel } from '../src/kernels/registry.ts';
import { Rng } from '../src/core/rng.ts';
import type { Annotated, RawImage, SampleMeta } from '../src/core/types.ts';

const sz = (width: number, height: number) => ({ width, height });

function assertNoNegativeZero(p: LetterboxParams): void {
  for (const [k, v] of Object.entries(p)) assert.ok(!Object.is(v, -0), `${k} is -0`);
}

describe('roundHalfEven (Python 3 round)', () => {
  it('sends halves to the even neighbour and never returns -0', () => {
    const cases: [number, number][] = [
      [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [455.5, 456], [32.64, 33], [105.4, 105], [105.6, 106],
      [-0.5, 0], [-1.5, -2], [-2.5, -2], [-0.1, 0], [0.49999999999999994, 0],
    ];
    for (const [x, want] of cases) {
      const got = roundHalfEven(x);
      assert.ok(Object.is(got, want), `round(${x}) = ${got}, want ${want}`);
    }
  });
});

describe('letterboxParams (YOLOv5 letterbox)', () => {
  const cases: { name: string; from: { width: number; height: number }; to: { width: number; height: number };
    opts?: Parameters<typeof letterboxParams>[2]; want: LetterboxParams }[] = [
    {
      // r = min(608/480, 608/640) = 0.95; unpad 640·0.95 = 608 × 480·0.95 = 456
      // dw = 0 → 0; dh = 152 → 76: top round(75.9) = 76, bottom round(76.1) = 76; left round(−0.1) = 0
      name: '640×480 → 608²', from: sz(640, 480), to: sz(608, 608),
      want: { ratio: 0.95, width: 608, height: 456, padLeft: 0, padTop: 76, padRight: 0, padBottom: 76 },
    },
    {
      // portrait: r = min(608/640, 608/480) = 0.95; unpad 456 × 608; dw = 152 → 76/76
      name: '480×640 → 608²', from: sz(480, 640), to: sz(608, 608),
      want: { ratio: 0.95, width: 456, height: 608, padLeft: 76, padTop: 0, padRight: 76, padBottom: 0 },
    },
    {
      // r = min(608/230, 608/352) = 608/352 = 1.72727…; unpad 608 × round(397.2727) = 397
      // dh = 211 → 105.5: top round(105.4) = 105, bottom round(105.6) = 106
      name: '352×230 → 608² (odd padding)', from: sz(352, 230), to: sz(608, 608),
      want: { ratio: 608 / 352, width: 608, height: 397, padLeft: 0, padTop: 105, padRight: 0, padBottom: 106 },
    },
    {
      // r = min(416/375, 416/500) = 0.832; unpad 416 × 312; dh = 104 → 52: top round(51.9) = 52, bottom 52
      name: '500×375 → 416²', from: sz(500, 375), to: sz(416, 416),
      want: { ratio: 0.832, width: 416, height: 312, padLeft: 0, padTop: 52, padRight: 0, padBottom: 52 },
    },
    {
      // r = min(64/51, 64/100) = 0.64; unpad 64 × round(32.64) = 33; dh = 31 → 15.5
      // top round(15.4) = 15 ≠ bottom round(15.6) = 16
      name: '100×51 → 64² (fractional dh, top ≠ bottom)', from: sz(100, 51), to: sz(64, 64),
      want: { ratio: 0.64, width: 64, height: 33, padLeft: 0, padTop: 15, padRight: 0, padBottom: 16 },
    },
    {
      // banker's rounding of the unpadded size: r = min(5/5, 5/10) = 0.5; h = round(2.5) = 2 (half-up would be 3)
      // dh = 3 → 1.5: top round(1.4) = 1, bottom round(1.6) = 2
      name: '10×5 → 5² (round(2.5) = 2)', from: sz(10, 5), to: sz(5, 5),
      want: { ratio: 0.5, width: 5, height: 2, padLeft: 0, padTop: 1, padRight: 0, padBottom: 2 },
    },
    {
      // r = 0.5; h = round(3.5) = 4 (even); dh = 3 → 1.5: top 1, bottom 2
      name: '14×7 → 7² (round(3.5) = 4)', from: sz(14, 7), to: sz(7, 7),
      want: { ratio: 0.5, width: 7, height: 4, padLeft: 0, padTop: 1, padRight: 0, padBottom: 2 },
    },
    {
      // scaleUp false: r = min(640/240, 640/320, 1) = 1; unpad 320×240
      // dw = 320 → 160: left round(159.9) = 160, right 160; dh = 400 → 200: top 200, bottom 200
      name: '320×240 → 640², scaleUp false', from: sz(320, 240), to: sz(640, 640), opts: { scaleUp: false },
      want: { ratio: 1, width: 320, height: 240, padLeft: 160, padTop: 200, padRight: 160, padBottom: 200 },
    },
    {
      // scaleUp true on the same image: r = min(640/240, 640/320) = 2; unpad 640×480; dh = 160 → 80/80
      name: '320×240 → 640², scaleUp true', from: sz(320, 240), to: sz(640, 640),
      want: { ratio: 2, width: 640, height: 480, padLeft: 0, padTop: 80, padRight: 0, padBottom: 80 },
    },
    {
      // scaleUp false does not matter when shrinking: r = 0.5
      name: '1280×720 → 640², scaleUp false', from: sz(1280, 720), to: sz(640, 640), opts: { scaleUp: false },
      want: { ratio: 0.5, width: 640, height: 360, padLeft: 0, padTop: 140, padRight: 0, padBottom: 140 },
    },
    {
      // auto (minimum rectangle), stride 32: r = 0.5; unpad 640×360; dh = 280 % 32 = 24 → 12/12 → 640×384
      name: '1280×720 → 640², auto stride 32', from: sz(1280, 720), to: sz(640, 640), opts: { auto: true },
      want: { ratio: 0.5, width: 640, height: 360, padLeft: 0, padTop: 12, padRight: 0, padBottom: 12 },
    },
    {
      // auto: dh = 211 % 32 = 19 → 9.5: top round(9.4) = 9, bottom round(9.6) = 10 → 608×416
      name: '352×230 → 608², auto stride 32', from: sz(352, 230), to: sz(608, 608), opts: { auto: true, stride: 32 },
      want: { ratio: 608 / 352, width: 608, height: 397, padLeft: 0, padTop: 9, padRight: 0, padBottom: 10 },
    },
    {
      // auto stride 64: r = 0.832, unpad 416×312; dh = 104 % 64 = 40 → 20/20 → 416×352
      name: '500×375 → 416², auto stride 64', from: sz(500, 375), to: sz(416, 416), opts: { auto: true, stride: 64 },
      want: { ratio: 0.832, width: 416, height: 312, padLeft: 0, padTop: 20, padRight: 0, padBottom: 20 },
    },
    {
      // non-square target: r = min(384/720, 640/1280) = 0.5; unpad 640×360; dh = 24 → 12/12
      name: '1280×720 → 640×384', from: sz(1280, 720), to: sz(640, 384),
      want: { ratio: 0.5, width: 640, height: 360, padLeft: 0, padTop: 12, padRight: 0, padBottom: 12 },
    },
    {
      // r = min(384/480, 640/640) = 0.8; unpad 512×384; dw = 128 → 64/64
      name: '640×480 → 640×384', from: sz(640, 480), to: sz(640, 384),
      want: { ratio: 0.8, width: 512, height: 384, padLeft: 64, padTop: 0, padRight: 64, padBottom: 0 },
    },
    {
      // r = min(384/500, 640/500) = 0.768; unpad 384×384; dw = 256 → 128: left round(127.9) = 128, right 128
      name: '500×500 → 640×384', from: sz(500, 500), to: sz(640, 384),
      want: { ratio: 0.768, width: 384, height: 384, padLeft: 128, padTop: 0, padRight: 128, padBottom: 0 },
    },
    {
      // identity: r = 1, no padding
      name: '640×640 → 640²', from: sz(640, 640), to: sz(640, 640),
      want: { ratio: 1, width: 640, height: 640, padLeft: 0, padTop: 0, padRight: 0, padBottom: 0 },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const p = letterboxParams(c.from, c.to, c.opts);
      assert.deepEqual(p, c.want);
      assertNoNegativeZero(p);
    });
  }

  it('the padded size is the target whenever auto is off', () => {
    for (const c of cases) {
      if (c.opts?.auto) continue;
      const p = c.want;
      assert.equal(p.width + p.padLeft + p.padRight, c.to.width, c.name);
      assert.equal(p.height + p.padTop + p.padBottom, c.to.height, c.name);
    }
  });
});

/** A solid-colour sample with boxes. */
function solid(width: number, height: number, rgb: [number, number, number], boxes: number[] = []): Annotated & { meta: SampleMeta } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  const n = boxes.length / 4;
  return {
    image: { data, width, height },
    boxes: new Float32Array(boxes),
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: new Float32Array(n).fill(1),
    flags: new Uint8Array(n),
    meta: { path: 'x.jpg', originalWidth: width, originalHeight: height },
  };
}

function pixel(img: RawImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(o, o + 3));
}

describe('letterboxKernel', () => {
  it('640×480 → 608²: size, grey corners, resized content, boxes and params', () => {
    // box [40,20,200,100] → ×0.95 then +pad (0, 76): [38, 19+76, 190, 95+76] = [38, 95, 190, 171]
    // the whole-image box [0,0,640,480] → [0, 76, 608, 456+76] = [0, 76, 608, 532]
    const s = solid(640, 480, [10, 200, 30], [40, 20, 200, 100, 0, 0, 640, 480]);
    const out = letterboxKernel(s, sz(608, 608));
    assert.equal(out.image.width, 608);
    assert.equal(out.image.height, 608);
    assert.equal(out.image.data.length, 608 * 608 * 3);
    for (const [x, y] of [[0, 0], [607, 0], [0, 607], [607, 607], [300, 75], [300, 532]] as const) {
      assert.deepEqual(pixel(out.image, x, y), [PAD_VALUE, PAD_VALUE, PAD_VALUE], `(${x},${y})`);
    }
    // content rows 76..531: a constant image stays constant through bilinear resize
    for (const [x, y] of [[0, 76], [607, 76], [0, 531], [607, 531], [304, 300]] as const) {
      assert.deepEqual(pixel(out.image, x, y), [10, 200, 30], `(${x},${y})`);
    }
    assert.deepEqual(Array.from(out.boxes), [38, 95, 190, 171, 0, 76, 608, 532]);
    assert.deepEqual(out.letterbox, { ratio: 0.95, width: 608, height: 456, padLeft: 0, padTop: 76, padRight: 0, padBottom: 76 });
    // per-box arrays and meta pass through; the input is not modified
    assert.equal(out.classes, s.classes);
    assert.equal(out.meta, s.meta);
    assert.deepEqual(Array.from(s.boxes), [40, 20, 200, 100, 0, 0, 640, 480]);
  });

  it('100×51 → 64²: the unpadded image sits between 15 rows on top and 16 below', () => {
    const s = solid(100, 51, [1, 2, 3]);
    const out = letterboxKernel(s, sz(64, 64));
    assert.equal(out.image.width, 64);
    assert.equal(out.image.height, 64);
    for (let y = 0; y < 64; y++) {
      const want = y < 15 || y >= 15 + 33 ? [114, 114, 114] : [1, 2, 3];
      assert.deepEqual(pixel(out.image, 0, y), want, `row ${y}`);
      assert.deepEqual(pixel(out.image, 63, y), want, `row ${y}`);
    }
  });

  it('no resize needed: the pixels are copied exactly into the padded canvas', () => {
    // 64×48 → 64²: r = 1, dh = 16 → 8/8
    const w = 64;
    const h = 48;
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 255;
    const s = { ...solid(w, h, [0, 0, 0], [1.5, 2.5, 30.25, 40.75]), image: { data, width: w, height: h } };
    const out = letterboxKernel(s, sz(64, 64));
    assert.deepEqual(out.letterbox, { ratio: 1, width: 64, height: 48, padLeft: 0, padTop: 8, padRight: 0, padBottom: 8 });
    for (let y = 0; y < h; y++) {
      assert.deepEqual(out.image.data.subarray((y + 8) * w * 3, (y + 9) * w * 3), data.subarray(y * w * 3, (y + 1) * w * 3));
    }
    assert.ok(out.image.data.subarray(0, 8 * w * 3).every((v) => v === 114));
    assert.ok(out.image.data.subarray(56 * w * 3).every((v) => v === 114));
    assert.deepEqual(Array.from(out.boxes), [1.5, 10.5, 30.25, 48.75]);
  });

  it('320×240 → 640² with scaleUp false pads on all four sides', () => {
    // r = 1, pad left/right 160, top/bottom 200; box [10,20,30,40] → [170, 220, 190, 240]
    const s = solid(320, 240, [50, 60, 70], [10, 20, 30, 40]);
    const out = letterboxKernel(s, sz(640, 640), { scaleUp: false });
    assert.equal(out.image.width, 640);
    assert.equal(out.image.height, 640);
    assert.deepEqual(pixel(out.image, 159, 300), [114, 114, 114]);
    assert.deepEqual(pixel(out.image, 160, 200), [50, 60, 70]);
    assert.deepEqual(pixel(out.image, 479, 439), [50, 60, 70]);
    assert.deepEqual(pixel(out.image, 480, 439), [114, 114, 114]);
    assert.deepEqual(pixel(out.image, 479, 440), [114, 114, 114]);
    assert.deepEqual(Array.from(out.boxes), [170, 220, 190, 240]);
  });

  it('auto: 1280×720 → 640² gives the 640×384 minimum rectangle', () => {
    // r = 0.5; box [100,200,300,400] → [50, 100+12, 150, 200+12]
    const out = letterboxKernel(solid(1280, 720, [9, 9, 9], [100, 200, 300, 400]), sz(640, 640), { auto: true });
    assert.equal(out.image.width, 640);
    assert.equal(out.image.height, 384);
    assert.deepEqual(Array.from(out.boxes), [50, 112, 150, 212]);
  });

  it('the registered "letterbox" kernel records ratio and padding in meta', () => {
    const kernel = lookupKernel('letterbox')!;
    assert.ok(kernel);
    const s = solid(640, 480, [1, 1, 1], [40, 20, 200, 100]);
    const out = kernel(s, { width: 608, height: 608 }, new Rng(0));
    assert.deepEqual(out.meta!.letterbox, { ratio: 0.95, padLeft: 0, padTop: 76 });
    assert.equal(out.meta!.path, 'x.jpg');
    assert.equal(out.meta!.originalWidth, 640);
    assert.ok(!('letterbox' in out), 'the params object is not left on the sample');
    assert.deepEqual(Array.from(out.boxes), [38, 95, 190, 171]);
    // mapping back with the meta restores the original box: (x − padLeft)/ratio
    const [x1, y1, x2, y2] = Array.from(out.boxes);
    const lb = out.meta!.letterbox!;
    assert.deepEqual([(x1! - lb.padLeft) / lb.ratio, (y1! - lb.padTop) / lb.ratio, (x2! - lb.padLeft) / lb.ratio, (y2! - lb.padTop) / lb.ratio], [40, 20, 200, 100]);
  });
});

describe('padImage', () => {
  it('places the image at (left, top) on a grey canvas', () => {
    // 1×1 red pixel at (1, 2) on a 3×4 canvas
    const out = padImage({ data: new Uint8Array([255, 0, 0]), width: 1, height: 1 }, 3, 4, 1, 2);
    assert.deepEqual(pixel(out, 1, 2), [255, 0, 0]);
    let grey = 0;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 3; x++) if (pixel(out, x, y).every((v) => v === 114)) grey++;
    assert.equal(grey, 11);
  });
});

/** A single-channel image replicated into RGB (with optional per-channel values). */
function grey(width: number, height: number, values: number[]): RawImage {
  const data = new Uint8Array(width * height * 3);
  values.forEach((v, i) => data.fill(v, i * 3, i * 3 + 3));
  return { data, width, height };
}
/** Channel 0 of every pixel. */
const ch0 = (img: RawImage): number[] => Array.from({ length: img.width * img.height }, (_, i) => img.data[i * 3]!);

describe('resizeBilinear (OpenCV INTER_LINEAR)', () => {
  it('2×1 [0,255] → 4×1 is [0,64,191,255]', () => {
    // horizontal, scale 1/(4/2) = 0.5; f = (d + 0.5)·0.5 − 0.5:
    //   d0: −0.25 → clamp i 0, f 0 → S = 0
    //   d1:  0.25 → i 0, w (1536, 512): S = 0·1536 + 255·512 = 130560
    //   d2:  0.75 → w (512, 1536): S = 255·1536 = 391680
    //   d3:  1.25 → i 1 ≥ src − 1, clamp, f 0 → S = 255·2048
    // vertical 1→1: f 0, w (2048, 0): out = ((2048·(S >> 4)) >> 16 + 2) >> 2
    //   d1: 130560 >> 4 = 8160 → 255 → (255 + 2) >> 2 = 64;  d2: 24480 → 765 → 767 >> 2 = 191
    //   (the plain 11-bit form agrees: (130560·2048 + 2^21) >> 22 = ⌊64.25⌋ = 64, ⌊191.75⌋ = 191)
    // channel 1 holds the mirror [255, 0] → [255, 191, 64, 0]; channel 2 constant 10.
    const src = { data: new Uint8Array([0, 255, 10, 255, 0, 10]), width: 2, height: 1 };
    const out = resizeBilinear(src, 4, 1);
    assert.deepEqual(Array.from(out.data), [0, 255, 10, 64, 191, 10, 191, 64, 10, 255, 0, 10]);
  });

  it('1×2 [0,255] → 1×4 is [0,64,191,255] (the vertical pass)', () => {
    // horizontal 1→1: S = p·2048, so S0 = 0, S1 = 522240 (>> 4 = 32640)
    // vertical 2→4: y0 f −0.25 → row −1 (clamped to 0), f 0.75: w (512, 1536) on rows (0, 0) → 0
    //   y1 f 0.25 → w (1536, 512) rows (0, 1): (512·32640) >> 16 = 255 → (255 + 2) >> 2 = 64
    //   y2 f 0.75 → w (512, 1536): (1536·32640) >> 16 = 765 → 767 >> 2 = 191
    //   y3 f 1.25 → row 1, f 0.25, rows (1, 1 clamped): 765 + 255 = 1020 → 1022 >> 2 = 255
    const out = resizeBilinear(grey(1, 2, [0, 255]), 1, 4);
    assert.deepEqual(ch0(out), [0, 64, 191, 255]);
  });

  it('2×2 → 3×3 matches OpenCV, including the edge rows', {
  }, () => {
    // src [[0,100],[200,255]]; scale 1/(3/2) = 2/3
    // horizontal: d0 f −1/6 → clamp, f 0; d1 f 0.5 → i 0, w (1024, 1024); d2 f 7/6 → clamp i 1, f 0
    //   row0 S = [0, 102400, 204800] (>> 4: 0, 6400, 12800), row1 S = [409600, 465920, 522240] (>> 4: 25600, 29120, 32640)
    // vertical: y0 f −1/6 → row −1, f = float32(5/6): w (cvRound(341.33), cvRound(1706.67)) = (341, 1707), rows (0, 0):
    //     col1 (341·6400 >> 16 = 33) + (1707·6400 >> 16 = 166) = 199 → 201 >> 2 = 50
    //     col2 (341·12800 >> 16 = 66) + (1707·12800 >> 16 = 333) = 399 → 401 >> 2 = 100
    //   y1 f 0.5 → w (1024, 1024), rows (0, 1):
    //     col0 0 + (1024·25600 >> 16 = 400) → 402 >> 2 = 100
    //     col1 (1024·6400 >> 16 = 100) + (1024·29120 >> 16 = 455) = 555 → 557 >> 2 = 139
    //     col2 (1024·12800 >> 16 = 200) + (1024·32640 >> 16 = 510) = 710 → 712 >> 2 = 178
    //   y2 f 7/6 → row 1, f = float32(1/6): w (1707, 341), rows (1, 1 clamped):
    //     col0 (1707·25600 >> 16 = 666) + (341·25600 >> 16 = 133) = 799 → 801 >> 2 = 200
    //     col1 (1707·29120 >> 16 = 758) + (341·29120 >> 16 = 151) = 909 → 911 >> 2 = 227   (not 228)
    //     col2 (1707·32640 >> 16 = 850) + (341·32640 >> 16 = 169) = 1019 → 1021 >> 2 = 255
    // cv2.resize(np.array([[0,100],[200,255]], np.uint8), (3, 3)) → [[0,50,100],[100,139,178],[200,227,255]]
    const out = resizeBilinear(grey(2, 2, [0, 100, 200, 255]), 3, 3);
    assert.deepEqual(ch0(out), [0, 50, 100, 100, 139, 178, 200, 227, 255]);
  });

  it('2×2 → 3×3: the rows and columns that do not touch the edge case', () => {
    // y1 (rows 0 and 1, w 1024/1024) and every value except (1,2) above agree between OpenCV and
    // the 11-bit form, so they hold today
    const v = ch0(resizeBilinear(grey(2, 2, [0, 100, 200, 255]), 3, 3));
    assert.deepEqual([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[8]], [0, 50, 100, 100, 139, 178, 200, 255]);
  });

  it('640×1 impulse → 608×1: weights from OpenCV\'s float32 coordinate and half-to-even rounding', {
  }, () => {
    // source all 0 except x = 257 (255). Output column 244: scale = 1/(608/640) = 1.0526315789473684
    //   (244.5·scale − 0.5) = 256.8684210526… → float32 256.868408203125 → i 256, f 0.868408203125
    //   f·2048 = 1778.5 exactly → cvRound → 1778 (even); (1 − f)·2048 = 269.5 → 270
    //   S = 0·270 + 255·1778 = 453390; vertical 1→1 (2048, 0): 453390 >> 4 = 28336 → (2048·28336) >> 16 = 885 → 887 >> 2 = 221
    // (in float64 f·2048 = 1778.53 → 1779: S = 453645 → 28352 → 886 → 888 >> 2 = 222)
    const data = new Uint8Array(640 * 3);
    data.fill(255, 257 * 3, 258 * 3);
    const out = resizeBilinear({ data, width: 640, height: 1 }, 608, 1);
    assert.equal(out.data[244 * 3], 221);
  });

  it('downscale 4×1 → 2×1 and 3×1 → 2×1', () => {
    // vertical 1→1 is w (2048, 0) throughout: out = ((2048·(S >> 4)) >> 16 + 2) >> 2
    // scale 2: d0 f 0.5 → S = (0+100)·1024 = 102400 → 6400 → 200 → 202 >> 2 = 50
    //          d1 f 2.5 → i 2: S = (200+255)·1024 = 465920 → 29120 → 910 → 912 >> 2 = 228
    assert.deepEqual(ch0(resizeBilinear(grey(4, 1, [0, 100, 200, 255]), 2, 1)), [50, 228]);
    // scale 1.5: d0 f 0.25 → S = 90·512 = 46080 → 2880 → 90 → 92 >> 2 = 23
    //            d1 f 1.75 → i 1, w (512, 1536): S = 90·512 + 180·1536 = 322560 → 20160 → 630 → 632 >> 2 = 158
    assert.deepEqual(ch0(resizeBilinear(grey(3, 1, [0, 90, 180]), 2, 1)), [23, 158]);
  });

  it('a 1-pixel-wide source replicates each row', () => {
    // width 1 → 4: every f clamps to i 0 with weight 0; height 3 → 3 is the identity
    const out = resizeBilinear(grey(1, 3, [7, 130, 250]), 4, 3);
    assert.deepEqual(ch0(out), [7, 7, 7, 7, 130, 130, 130, 130, 250, 250, 250, 250]);
    // and 1×1 → 5×2 is a flat fill
    const one = resizeBilinear({ data: new Uint8Array([1, 2, 3]), width: 1, height: 1 }, 5, 2);
    for (let i = 0; i < 10; i++) assert.deepEqual(Array.from(one.data.subarray(i * 3, i * 3 + 3)), [1, 2, 3]);
  });

  it('identity resize returns the same bytes', () => {
    const data = new Uint8Array(5 * 4 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 255;
    const out = resizeBilinear({ data, width: 5, height: 4 }, 5, 4);
    assert.deepEqual(out.data, data);
  });

  it('upscale and downscale give the requested sizes', () => {
    const src = grey(9, 7, Array.from({ length: 63 }, (_, i) => i * 4));
    for (const [w, h] of [[17, 13], [4, 3], [9, 1], [1, 7], [30, 2]] as const) {
      const out = resizeBilinear(src, w, h);
      assert.equal(out.width, w);
      assert.equal(out.height, h);
      assert.equal(out.data.length, w * h * 3);
    }
  });

  it('a constant image stays constant at any size', () => {
    for (const rgb of [[0, 0, 0], [12, 200, 255], [255, 255, 255]] as [number, number, number][]) {
      const src = solid(7, 5, rgb).image;
      for (const [w, h] of [[13, 3], [3, 11], [7, 5], [2, 2], [29, 31]] as const) {
        const out = resizeBilinear(src, w, h);
        for (let i = 0; i < out.data.length; i += 3) {
          assert.deepEqual(Array.from(out.data.subarray(i, i + 3)), rgb, `${w}×${h} pixel ${i / 3}`);
        }
      }
    }
  });

  it('rejects an empty target size', () => {
    assert.throws(() => resizeBilinear(grey(2, 2, [0, 0, 0, 0]), 0, 2), RangeError);
    assert.throws(() => resizeBilinear(grey(2, 2, [0, 0, 0, 0]), 2, 0), RangeError);
  });
});
