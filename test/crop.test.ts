/**
 * Crops and Darknet jitter (SPEC §3): cropImage pixel by pixel, the box shift and the
 * hygiene drops, randomCrop's and bboxSafeCrop's windows, and jitter against a cv2
 * reproduction of AlexeyAB Darknet's load_data_detection + image_data_augmentation
 * (test/reference/jitter.py, OpenCV 4.6: the numbers below are its output).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bboxSafeCropWindow, boxUnion, cropImage, cropKernel, cropKernels, jitterImage, jitterKernel, jitterOffsets,
  meanColor, randomCropWindow, shiftBoxes, type JitterOffsets,
} from '../src/kernels/crop.ts';
import { runChain, type KernelSample } from '../src/kernels/transform.ts';
import { Rng } from '../src/core/rng.ts';
import type { RawImage } from '../src/core/types.ts';
import { randomCrop } from '../src/transforms/random-crop.ts';
import { bboxSafeCrop } from '../src/transforms/bbox-safe-crop.ts';
import { jitter } from '../src/transforms/jitter.ts';
import { ConfigError } from '../src/core/errors.ts';

/** The reference script's deterministic image. */
function pattern(w: number, h: number): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + ((x * y) % 29) * 11) % 256;
    }
  }
  return { data, width: w, height: h };
}

function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  return h;
}

const sum = (b: Uint8Array) => b.reduce((a, v) => a + v, 0);
const px = (im: RawImage, x: number, y: number) => Array.from(im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));

function sample(image: RawImage, boxes: number[]): KernelSample {
  const n = boxes.length / 4;
  return {
    image,
    boxes: new Float32Array(boxes),
    // class i = input position i, so a survivor traces back to its input box
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: Float32Array.from({ length: n }, (_, i) => i + 0.5),
    flags: Uint8Array.from({ length: n }, (_, i) => i & 3),
  };
}

/** An Rng whose next() returns the given numbers (int, chance … build on it as usual), to pin draws. */
function fixedRng(values: number[]): Rng {
  const q = [...values];
  const r = Object.create(Rng.prototype) as Rng;
  r.next = () => {
    const v = q.shift();
    assert.ok(v !== undefined, 'more draws than expected');
    return v;
  };
  return r;
}

const lookup = (name: string) => cropKernels[name];

describe('cropImage', () => {
  // 4×3 image whose bytes are 0..35: pixel (x, y) = [(4y+x)·3, +1, +2]
  const src: RawImage = { data: Uint8Array.from({ length: 36 }, (_, i) => i), width: 4, height: 3 };

  it('copies the window and fills the part outside the image, pixel by pixel', () => {
    const out = cropImage(src, -1, 1, 3, 3, [200, 201, 202]);
    assert.equal(out.width, 3);
    assert.equal(out.height, 3);
    const F = [200, 201, 202];
    assert.deepEqual(Array.from(out.data), [
      ...F, 12, 13, 14, 15, 16, 17, // window row 0 = image row 1, columns −1, 0, 1
      ...F, 24, 25, 26, 27, 28, 29, // image row 2
      ...F, ...F, ...F, //             image row 3 does not exist
    ]);
  });

  it('a window inside the image is a plain copy; one past the right/bottom fills there; a scalar fill fills all channels', () => {
    assert.deepEqual(Array.from(cropImage(src, 2, 1, 2, 2).data), [18, 19, 20, 21, 22, 23, 30, 31, 32, 33, 34, 35]);
    assert.deepEqual(Array.from(cropImage(src, 3, 2, 2, 2, 9).data), [33, 34, 35, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
    // default fill is YOLOv5's 114; a window that misses the image entirely is all fill
    assert.deepEqual(Array.from(cropImage(src, 10, -5, 1, 2).data), [114, 114, 114, 114, 114, 114]);
    // the whole image, and a window larger than it on every side
    assert.deepEqual(cropImage(src, 0, 0, 4, 3).data, src.data);
    const big = cropImage(src, -1, -1, 6, 5, 0);
    assert.deepEqual(px(big, 0, 0), [0, 0, 0]);
    assert.deepEqual(px(big, 1, 1), [0, 1, 2]);
    assert.deepEqual(px(big, 4, 3), [33, 34, 35]);
    assert.deepEqual(px(big, 5, 4), [0, 0, 0]);
    assert.equal(sum(big.data), sum(src.data));
  });

  it('rejects fractional and empty windows', () => {
    assert.throws(() => cropImage(src, 0.5, 0, 2, 2), RangeError);
    assert.throws(() => cropImage(src, 0, 0, 0, 2), RangeError);
  });
});

describe('box shift and drops of a crop', () => {
  it('shifts by (−x, −y), clips to the window and drops what hygiene rejects; per-box arrays follow', () => {
    assert.deepEqual(Array.from(shiftBoxes(new Float32Array([2, 1, 6, 5]), 2, -3)), [0, 4, 4, 8]);
    const s = sample(pattern(10, 8), [
      2, 1, 6, 5, // → 0,0,4,4: whole, kept
      0, 0, 3, 3, // → −2,−1,1,2 → clipped 0,0,1,2: 1 px wide, dropped
      8, 6, 10, 8, // → 6,5,8,7 → clipped 5,5,5,6: empty, dropped
      3, 2, 9, 7, // → 1,1,7,6 → clipped 1,1,5,5: 4×4 = 16 of 6×5 = 30 (0.53 > 0.1), kept
    ]);
    const before = s.boxes.slice();
    const out = cropKernel(s, { x: 2, y: 1, width: 5, height: 5 });
    assert.deepEqual(Array.from(out.boxes), [0, 0, 4, 4, 1, 1, 5, 5]);
    assert.deepEqual(Array.from(out.classes), [0, 3]);
    assert.deepEqual(Array.from(out.weights), [0.5, 3.5]);
    assert.deepEqual(Array.from(out.flags), [0, 3]);
    assert.deepEqual(px(out.image, 0, 0), px(s.image, 2, 1));
    // the input is untouched
    assert.deepEqual(s.boxes, before);
    // hygiene options reach the filter: minVisibility 0.6 drops the 0.53-visible box
    assert.deepEqual(Array.from(cropKernel(s, { x: 2, y: 1, width: 5, height: 5 }, 114, { minVisibility: 0.6 }).classes), [0]);
  });
});

describe('randomCrop', () => {
  it('places the window uniformly inside a larger image: x ~ int[0, W − width], then y', () => {
    // rng.int(lo, hi) = lo + ⌊next·(hi − lo + 1)⌋: x ∈ [0, 32] with next 0.5 → 16; y ∈ [0, 2] with 0.99 → 2
    assert.deepEqual(randomCropWindow(40, 10, 8, 8, fixedRng([0.5, 0.99])), { x: 16, y: 2, width: 8, height: 8 });
  });

  it('centres a smaller image with no draw on that axis and fills the rest with 114', () => {
    // width 8 on a 5-wide image: pad 3, the image starts ⌊3/2⌋ = 1 from the left; y still drawn
    const win = randomCropWindow(5, 10, 8, 4, fixedRng([0.0]));
    assert.deepEqual(win, { x: -1, y: 0, width: 8, height: 4 });
    const s = sample(pattern(5, 10), [0, 0, 5, 3]);
    const out = cropKernel(s, win);
    assert.deepEqual(px(out.image, 0, 0), [114, 114, 114]);
    assert.deepEqual(px(out.image, 1, 0), px(s.image, 0, 0));
    assert.deepEqual(px(out.image, 5, 3), px(s.image, 4, 3));
    assert.deepEqual(px(out.image, 6, 3), [114, 114, 114]);
    assert.deepEqual(Array.from(out.boxes), [1, 0, 6, 3]);
  });

  it('the factory validates and the kernel always returns width × height with clean boxes (property)', async () => {
    assert.deepEqual(randomCrop({ width: 608, height: 320 }), { name: 'randomCrop', p: 1, options: { width: 608, height: 320 } });
    assert.deepEqual(randomCrop({ width: 8, height: 8, p: 0.5, minArea: 4 }).options, { width: 8, height: 8, minArea: 4 });
    assert.throws(() => randomCrop({ width: 0, height: 8 }), ConfigError);
    assert.throws(() => randomCrop({ width: 8.5, height: 8 }), /whole number/);
    assert.throws(() => randomCrop({ height: 8 } as never), /width is required/);
    assert.throws(() => randomCrop({ width: 8, height: 8, size: 3 } as never), ConfigError);
    await fc.assert(
      fc.asyncProperty(imageWithBoxes(40), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 48 }), fc.nat(),
        async ({ s }, width, height, seed) => {
          const spec = randomCrop({ width, height });
          const out = await runChain(s, [spec], [seed], lookup);
          assert.equal(out.image.width, width);
          assert.equal(out.image.height, height);
          assert.equal(out.image.data.length, width * height * 3);
          checkBoxes(s, out, 1);
        }),
      { numRuns: 200 },
    );
  });
});

describe('bboxSafeCrop', () => {
  it('the union rounds outward to pixels, counts every box, and erodes by a fraction of its size per side', () => {
    const boxes = new Float32Array([10.5, 20.2, 30, 40.7, 50.1, 5.9, 60.5, 25]);
    assert.deepEqual(boxUnion(boxes, 100, 80), { x1: 10, y1: 5, x2: 61, y2: 41 });
    // union 10.5..60.5 × 5.9..40.7 (50 × 34.8); erosion 0.1 moves each side in by 5 and 3.48
    assert.deepEqual(boxUnion(boxes, 100, 80, 0.1), { x1: 15, y1: 9, x2: 56, y2: 38 });
    // past 0.5 the union collapses to its centre (35.5, 23.3): one pixel wide at least
    assert.deepEqual(boxUnion(boxes, 100, 80, 0.9), { x1: 35, y1: 23, x2: 36, y2: 24 });
    assert.equal(boxUnion(new Float32Array(0), 100, 80), null);
  });

  it('draws x1, y1, x2, y2 in that order over [0, u.x1], [0, u.y1], [u.x2, W], [u.y2, H]', () => {
    const boxes = new Float32Array([10.5, 20.2, 30, 40.7]);
    // union 10..30 × 20..41 on 100×80: x1 = ⌊0.5·11⌋ = 5, y1 = ⌊0.25·21⌋ = 5, x2 = 30 + ⌊0.5·71⌋ = 65, y2 = 41 + ⌊0.99·40⌋ = 80
    assert.deepEqual(bboxSafeCropWindow(100, 80, boxes, 0, undefined, fixedRng([0.5, 0.25, 0.5, 0.99])),
      { x: 5, y: 5, width: 60, height: 75 });
    // minScale 0.5: side ≥ 50 × 40, so x1 ≤ min(10, 50); x2 ≥ max(30, x1 + 50)
    assert.deepEqual(bboxSafeCropWindow(100, 80, boxes, 0, 0.5, fixedRng([0.99, 0.0, 0.0, 0.0])),
      { x: 10, y: 0, width: 50, height: 41 });
  });

  it('without boxes: a window keeping the aspect ratio, sides at least (1 − erosionRate) of the image', () => {
    // e = 0: the whole image
    assert.deepEqual(bboxSafeCropWindow(100, 80, new Float32Array(0), 0, undefined, fixedRng([0.3, 0.3, 0.3])),
      { x: 0, y: 0, width: 100, height: 80 });
    // e = 0.5: h ~ int[40, 80] with 0.0 → 40, w = 50, x ~ int[0, 50] with 0.5 → 25, y ~ int[0, 40] with 0.99 → 40
    assert.deepEqual(bboxSafeCropWindow(100, 80, new Float32Array(0), 0.5, undefined, fixedRng([0, 0.5, 0.99])),
      { x: 25, y: 40, width: 50, height: 40 });
  });

  it('the factory validates its options', () => {
    assert.deepEqual(bboxSafeCrop(), { name: 'bboxSafeCrop', p: 1, options: { erosionRate: 0 } });
    assert.deepEqual(bboxSafeCrop({ erosionRate: 0.2, minScale: 0.5, whThr: 1 }).options, { erosionRate: 0.2, minScale: 0.5, whThr: 1 });
    assert.throws(() => bboxSafeCrop({ erosionRate: 1 }), /erosionRate must be < 1/);
    assert.throws(() => bboxSafeCrop({ minScale: 0 }), ConfigError);
  });

  it('with erosion 0 keeps every box whole, only shifted by the crop corner (property)', async () => {
    await fc.assert(
      fc.asyncProperty(imageWithBoxes(48, true), fc.nat(), fc.option(fc.double({ min: 0.05, max: 1, noNaN: true }), { nil: undefined }),
        async ({ s }, seed, minScale) => {
          const spec = bboxSafeCrop(minScale === undefined ? {} : { minScale });
          const out = await runChain(s, [spec], [seed], lookup);
          // the same window, drawn again from the same stream (runChain keys transform 0 as [seed, 0])
          const r = new Rng(seed, 0);
          r.chance(1);
          const win = bboxSafeCropWindow(s.image.width, s.image.height, s.boxes, 0, minScale, r);
          assert.equal(out.image.width, win.width);
          assert.equal(out.image.height, win.height);
          assert.ok(win.x >= 0 && win.y >= 0 && win.x + win.width <= s.image.width && win.y + win.height <= s.image.height);
          if (minScale !== undefined) {
            assert.ok(win.width >= Math.ceil(minScale * s.image.width - 1e-9) && win.height >= Math.ceil(minScale * s.image.height - 1e-9));
          }
          assert.deepEqual(Array.from(out.classes), Array.from(s.classes), 'no box dropped');
          for (let i = 0; i < s.boxes.length; i += 4) {
            assert.deepEqual(Array.from(out.boxes.subarray(i, i + 4)),
              Array.from(new Float32Array([s.boxes[i]! - win.x, s.boxes[i + 1]! - win.y, s.boxes[i + 2]! - win.x, s.boxes[i + 3]! - win.y])));
          }
          assert.deepEqual(px(out.image, 0, 0), px(s.image, win.x, win.y));
          checkBoxes(s, out, 1);
        }),
      { numRuns: 200 },
    );
  });

  it('with erosion, survivors are inside the crop and pass hygiene (property)', async () => {
    await fc.assert(
      fc.asyncProperty(imageWithBoxes(48), fc.nat(), fc.double({ min: 0, max: 0.99, noNaN: true }), async ({ s }, seed, erosionRate) => {
        const out = await runChain(s, [bboxSafeCrop({ erosionRate })], [seed], lookup);
        assert.ok(out.image.width >= 1 && out.image.height >= 1);
        assert.equal(out.image.data.length, out.image.width * out.image.height * 3);
        if (s.classes.length === 0) {
          assert.ok(out.image.width >= Math.ceil((1 - erosionRate) * s.image.width - 1e-9));
          assert.ok(out.image.height >= Math.ceil((1 - erosionRate) * s.image.height - 1e-9));
        }
        checkBoxes(s, out, 1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('jitter (Darknet) against the cv2 reproduction', () => {
  it('offsets: d = trunc(side·j), each trunc(r·2d − d), drawn pleft, pright, ptop, pbot', () => {
    // 640×480, j 0.3: dw 192, dh 144. 0.1·384 − 192 = −153.6 → −153 (toward zero); 0.75 → 96; 0.5 → 0;
    // 0.2·288 − 144 = −86.4 → −86
    assert.deepEqual(jitterOffsets(640, 480, 0.3, fixedRng([0.1, 0.75, 0.5, 0.2])), { pleft: -153, pright: 96, ptop: 0, pbot: -86 });
    // 641·0.3 = 192.3 → dw 192; 7·0.3 = 2.1 → dh 2: 0.999·4 − 2 = 1.996 → 1
    assert.deepEqual(jitterOffsets(641, 7, 0.3, fixedRng([0, 0.5, 0.999, 0.5])), { pleft: -192, pright: 0, ptop: 1, pbot: 0 });
    const zero = jitterOffsets(10, 10, 0.3, fixedRng([0.49, 0.5, 0.5, 0.5]));
    assert.ok(Object.is(zero.pleft, 0), 'no −0');
  });

  it('7×5 with (pleft, pright, ptop, pbot) = (−2, 1, 1, −2) → 6×5: every byte equals cv2', () => {
    const out = jitterImage(pattern(7, 5), { pleft: -2, pright: 1, ptop: 1, pbot: -2 }, 6, 5);
    assert.deepEqual(Array.from(out.data), [
      118, 134, 129, 109, 143, 155, 141, 173, 221, 181, 195, 56, 131, 69, 109, 81, 113, 162, 118, 134, 129, 125, 160, 94,
      184, 88, 111, 88, 128, 117, 133, 147, 111, 178, 81, 104, 118, 134, 129, 90, 125, 149, 125, 178, 125, 98, 130, 76,
      135, 124, 113, 65, 118, 149, 118, 134, 129, 116, 138, 142, 135, 162, 111, 91, 118, 130, 123, 150, 124, 92, 119, 118,
      118, 134, 129, 118, 134, 129, 118, 134, 129, 118, 134, 129, 118, 134, 129, 118, 134, 129,
    ]);
    assert.equal(fnv1a(out.data), 0xe32b0d78);
    // the fill: cv2.mean (117.629, 134.057, 128.543) rounded → the corner pixel, pure fill after the resize
    assert.deepEqual(meanColor(pattern(7, 5)), [118, 134, 129]);
  });

  it('a window inside the image (9×7, (1, 2, 1, 1)) → 9×7: every byte equals cv2', () => {
    const out = jitterImage(pattern(9, 7), { pleft: 1, pright: 2, ptop: 1, pbot: 1 }, 9, 7);
    assert.equal(fnv1a(out.data), 0x50e063a0);
    assert.equal(sum(out.data), 24279);
    assert.deepEqual(Array.from(out.data.subarray(0, 12)), [139, 192, 245, 163, 216, 141, 195, 205, 45, 227, 67, 77]);
    assert.deepEqual(Array.from(out.data.subarray(180)), [132, 185, 238, 161, 214, 139, 176, 229, 26]);
  });

  const samples: [number, number][] = [[0, 0], [607, 607], [300, 200], [5, 600], [600, 3], [123, 456]];
  const cases: { name: string; p: JitterOffsets; fnv: number; sum: number; pixels: number[][] }[] = [
    {
      name: '640×480 (−57, 103, 31, −88) → 608×608', p: { pleft: -57, pright: 103, ptop: 31, pbot: -88 },
      fnv: 0xb7ab9240, sum: 141116061,
      pixels: [[127, 127, 127], [127, 127, 127], [171, 86, 130], [127, 127, 127], [146, 74, 127], [142, 116, 169]],
    },
    {
      name: '640×480 padded all round (−150, −100, −120, −60) → 608×608', p: { pleft: -150, pright: -100, ptop: -120, pbot: -60 },
      fnv: 0x783ba8e3, sum: 141036712,
      pixels: [[127, 127, 127], [127, 127, 127], [61, 114, 153], [127, 127, 127], [127, 127, 127], [202, 9, 63]],
    },
    {
      name: '640×480 whole image (a plain resize) → 608×608', p: { pleft: 0, pright: 0, ptop: 0, pbot: 0 },
      fnv: 0x54685f0b, sum: 141225640,
      pixels: [[1, 54, 107], [70, 123, 176], [169, 185, 63], [76, 129, 182], [183, 195, 107], [112, 164, 89]],
    },
  ];
  const big = pattern(640, 480);
  for (const c of cases) {
    it(`${c.name}: checksum, sum and sample pixels equal cv2`, () => {
      const out = jitterImage(big, c.p, 608, 608);
      assert.equal(out.width, 608);
      assert.equal(out.height, 608);
      assert.deepEqual(samples.map(([x, y]) => px(out, x, y)), c.pixels);
      assert.equal(sum(out.data), c.sum);
      assert.equal(fnv1a(out.data).toString(16), c.fnv.toString(16));
    });
  }

  it('the mean fill is cv::mean (sum × 1/N, not sum / N) rounded half to even', () => {
    // 14×7 with one pixel (147, 49, 3): 147/98 = 1.5 but 147·(1/98) = 1.4999999999999998 → 1;
    // 49·(1/98) = 0.49999999999999994 → 0. cv2 fills [1, 0, 0].
    const a = new Uint8Array(14 * 7 * 3);
    a.set([147, 49, 3]);
    assert.deepEqual(meanColor({ data: a, width: 14, height: 7 }), [1, 0, 0]);
    // 15×10: red 75×15 + 75×14 = 2175, 2175·(1/150) = 14.500000000000002 → 15 (sum/150 = 14.5 would give 14);
    // green 225/150 = 1.5 exactly → 2 (half to even). cv2 fills [15, 2, 0].
    const b = new Uint8Array(150 * 3);
    for (let i = 0; i < 150; i++) b.set([i < 75 ? 15 : 14, i < 75 ? 2 : 1, 0], i * 3);
    assert.deepEqual(meanColor({ data: b, width: 15, height: 10 }), [15, 2, 0]);
    // and jitter pads with it
    const out = jitterImage({ data: b, width: 15, height: 10 }, { pleft: -3, pright: 0, ptop: 0, pbot: 0 }, 18, 10);
    assert.deepEqual(px(out, 0, 9), [15, 2, 0]);
  });

  it('boxes shift by (−pleft, −ptop), scale by (outW/sw, outH/sh) and pass hygiene at scale √(sx·sy)', () => {
    // 100×80, (10, −30, −4, 4): window 120×80 → 60×60, sx 0.5, sy 0.75
    const s = sample(pattern(100, 80), [
      10, 0, 50, 40, // → 0, 3, 20, 33
      95, 70, 100, 80, // → 42.5, 55.5, 45, 63 → clipped y2 60: 2.5×4.5 = 11.25 of 5·10·0.375 = 18.75 (0.6), kept
      5, 0, 14, 10, // → −2.5, 3, 2, 10.5 → clipped 0..2: 2 px wide, dropped (w > 2 is strict)
    ]);
    const out = jitterKernel(s, { pleft: 10, pright: -30, ptop: -4, pbot: 4 }, 60, 60);
    assert.equal(out.image.width, 60);
    assert.equal(out.image.height, 60);
    assert.deepEqual(Array.from(out.boxes), [0, 3, 20, 33, 42.5, 55.5, 45, 60]);
    assert.deepEqual(Array.from(out.classes), [0, 1]);
    // a box the window leaves whole keeps visibility 1 despite the aspect change
    const strict = jitterKernel(s, { pleft: 10, pright: -30, ptop: -4, pbot: 4 }, 60, 60, { minVisibility: 0.999 });
    assert.deepEqual(Array.from(strict.classes), [0]);
  });

  it('the factory: default jitter 0.3 and p 1, jitter validated in [0, 0.5)', () => {
    assert.deepEqual(jitter(), { name: 'jitter', p: 1, options: { jitter: 0.3 } });
    assert.deepEqual(jitter({ jitter: 0.2, width: 608, height: 608, areaThr: 0.2 }).options, { jitter: 0.2, width: 608, height: 608, areaThr: 0.2 });
    assert.throws(() => jitter({ jitter: 0.5 }), /jitter must be < 0.5/);
    assert.throws(() => jitter({ jitter: -0.1 }), ConfigError);
    assert.throws(() => jitter({ width: 0 }), ConfigError);
  });

  it('through the chain: output size as asked (or the input size), survivors inside and clean (property)', async () => {
    await fc.assert(
      fc.asyncProperty(imageWithBoxes(40), fc.nat(), fc.double({ min: 0, max: 0.49, noNaN: true }),
        fc.option(fc.tuple(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 48 })), { nil: undefined }),
        async ({ s }, seed, j, size) => {
          const spec = jitter(size ? { jitter: j, width: size[0], height: size[1] } : { jitter: j });
          const out = await runChain(s, [spec], [seed], lookup);
          const W = size ? size[0] : s.image.width;
          const H = size ? size[1] : s.image.height;
          assert.equal(out.image.width, W);
          assert.equal(out.image.height, H);
          assert.equal(out.image.data.length, W * H * 3);
          // the same offsets again from the same stream, for the hygiene scale
          const r = new Rng(seed, 0);
          r.chance(1);
          const p = jitterOffsets(s.image.width, s.image.height, j, r);
          const sw = s.image.width - p.pleft - p.pright;
          const sh = s.image.height - p.ptop - p.pbot;
          assert.ok(sw >= 1 && sh >= 1);
          checkBoxes(s, out, Math.sqrt((W / sw) * (H / sh)));
        }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------

/**
 * A random image up to `max` pixels a side with up to 6 boxes inside it. `clean`: every
 * box is at least 3 px a side (so it passes hygiene as it is).
 */
function imageWithBoxes(max: number, clean = false) {
  return fc
    .record({ w: fc.integer({ min: clean ? 3 : 1, max }), h: fc.integer({ min: clean ? 3 : 1, max }) })
    .chain(({ w, h }) =>
      fc.record({
        w: fc.constant(w),
        h: fc.constant(h),
        boxes: fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
            fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
            .map(([a, b, c, d]) => {
              if (!clean) return [Math.min(a, c) * w, Math.min(b, d) * h, Math.max(a, c) * w, Math.max(b, d) * h].map(Math.fround);
              // at least 3 px a side: x1 in [0, w − 3], x2 in [x1 + 3, w]
              const x1 = Math.fround(a * (w - 3));
              const y1 = Math.fround(b * (h - 3));
              const x2 = Math.fround(Math.min(w, x1 + 3 + c * (w - 3 - x1)));
              const y2 = Math.fround(Math.min(h, y1 + 3 + d * (h - 3 - y1)));
              return [x1, y1, x2, y2];
            }),
          { maxLength: 6 },
        ),
      }),
    )
    .map(({ w, h, boxes }) => ({ s: sample(pattern(w, h), boxes.flat()) }));
}

/** Every survivor lies inside the output image and passes SPEC §1 against its input box. */
function checkBoxes(before: KernelSample, out: KernelSample, scale: number): void {
  const { width: W, height: H } = out.image;
  const n = out.classes.length;
  assert.equal(out.boxes.length, n * 4);
  assert.equal(out.weights.length, n);
  assert.equal(out.flags.length, n);
  for (let j = 0; j < n; j++) {
    const i = out.classes[j]!;
    assert.equal(out.weights[j], i + 0.5);
    assert.equal(out.flags[j], i & 3);
    const [x1, y1, x2, y2] = out.boxes.subarray(j * 4, j * 4 + 4) as unknown as number[];
    assert.ok(x1! >= 0 && x1! <= x2! && x2! <= W, `x ${x1}..${x2} on ${W}`);
    assert.ok(y1! >= 0 && y1! <= y2! && y2! <= H, `y ${y1}..${y2} on ${H}`);
    const w = x2! - x1!;
    const h = y2! - y1!;
    assert.ok(w > 2 && h > 2, `${w}×${h}`);
    assert.ok(Math.max(w / h, h / w) < 100);
    const b = before.boxes.subarray(i * 4, i * 4 + 4);
    const old = (b[2]! - b[0]!) * (b[3]! - b[1]!);
    assert.ok((w * h) / (old * scale * scale + 1e-16) > 0.1, `visible ${(w * h) / (old * scale * scale)}`);
  }
}
