/**
 * Mosaic, MixUp and CutMix kernels (SPEC §5): src/kernels/mosaic.ts, mixup.ts, cutmix.ts.
 * Every expected number below comes from test/reference/mix.py (OpenCV 4.6.0, numpy 1.24),
 * which rebuilds each reference's steps with the random draws given:
 *
 *   YOLOv5 v7.0 load_image (int(w0·r) × int(h0·r), INTER_LINEAR) + load_mosaic (2s canvas of 114,
 *     placement rectangles, boxes + pad, clip [0, 2s]) + random_perspective (border −s//2)
 *   AlexeyAB Darknet mosaic (jitter to the output size, the part next to the cut, boxes clipped
 *     to the quadrant and filtered by box_candidates)
 *   YOLOv5 mixup: (im·r + im2·(1 − r)).astype(uint8)
 *   clovaai/CutMix-PyTorch rand_bbox, λ corrected to 1 − area/(W·H)
 *
 * Images are compared byte for byte (hex) or by FNV-1a 32 hash and byte sum; boxes to 1e-3 px
 * (the pipeline stores float32, the references compute in float64).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../src/core/rng.ts';
import type { RawImage, SampleMeta } from '../src/core/types.ts';
import type { KernelSample } from '../src/kernels/transform.ts';
import { drawPerspectiveParams, perspectiveMatrix } from '../src/kernels/perspective.ts';
import {
  darknetCutRange, darknetTileRect, drawDarknetMosaicParams, drawYoloMosaicParams, mixArity, mixKernels, mixOutputSize,
  mosaicCanvas, mosaicCentreRange, mosaicDarknet, mosaicKernel, mosaicPlacement, mosaicTile, mosaicTileSize, mosaicYolo,
  toCornerOffsets, type TileRounding,
} from '../src/kernels/mosaic.ts';
import { concatBoxes, drawMixupLambda, mixupImages, mixupKernel, mixupSamples } from '../src/kernels/mixup.ts';
import { cutmixKernel, cutmixRect, cutmixSamples, drawCutmix } from '../src/kernels/cutmix.ts';

/** R = (37x + 11y + 59k) mod 256, G = (13x + 71y + 101k) mod 256, B = (29xy + 7 + 17k) mod 256 (mix.py `tile_image`). */
function tileImage(w: number, h: number, k: number): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o += 3) {
      data[o] = (x * 37 + y * 11 + k * 59) % 256;
      data[o + 1] = (x * 13 + y * 71 + k * 101) % 256;
      data[o + 2] = (x * y * 29 + 7 + k * 17) % 256;
    }
  }
  return { data, width: w, height: h };
}

function fnv1a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h;
}

const byteSum = (d: Uint8Array): number => d.reduce((a, v) => a + v, 0);
const hex = (d: Uint8Array): string => Buffer.from(d).toString('hex');

const META: SampleMeta = { path: 'a.jpg', originalWidth: 1, originalHeight: 1, letterbox: { ratio: 1, padLeft: 0, padTop: 0 } };

/** A sample whose class i, weight i + 0.5 and flags i & 3 trace box i back to its input; classes start at `first`. */
function sample(image: RawImage, boxes: number[][], first = 0, meta?: SampleMeta): KernelSample {
  const n = boxes.length;
  return {
    image,
    boxes: new Float32Array(boxes.flat()),
    classes: Int32Array.from({ length: n }, (_, i) => first + i),
    weights: Float32Array.from({ length: n }, (_, i) => first + i + 0.5),
    flags: Uint8Array.from({ length: n }, (_, i) => (first + i) & 3),
    ...(meta ? { meta } : {}),
  };
}

function assertBoxes(actual: Float32Array, expected: number[][], tol = 1e-3): void {
  assert.equal(actual.length, expected.length * 4, `box count ${actual.length / 4} vs ${expected.length}`);
  expected.flat().forEach((v, i) => assert.ok(Math.abs(actual[i]! - v) <= tol, `box value ${i}: ${actual[i]} vs ${v}`));
}

/** A deep copy of a sample's arrays, to check that nothing was mutated. */
const snapshot = (s: KernelSample) => ({
  image: s.image.data.slice(), boxes: s.boxes.slice(), classes: s.classes.slice(), weights: s.weights.slice(), flags: s.flags.slice(),
});

// ---------------------------------------------------------------------------------------
// The reference sources of mix.py (sizes, boxes) and its results.

const SRC_SIZES: [number, number][] = [[40, 30], [49, 20], [32, 32], [13, 45]];
const SRC_BOXES = [
  [[2, 3, 30, 25], [35.5, 1, 40, 9.25]],
  [[0, 0, 49, 20], [10.5, 4, 20, 16], [44, 2, 48, 19]],
  [[5, 5, 27, 27]],
  [[1, 2, 12, 40], [3, 30, 9, 44.5]],
];
/** The four source samples; classes number the boxes 0..7 across them. */
function sources(meta?: SampleMeta): KernelSample[] {
  let first = 0;
  return SRC_SIZES.map(([w, h], k) => {
    const s = sample(tileImage(w, h, k), SRC_BOXES[k]!, first, k === 0 ? meta : undefined);
    first += SRC_BOXES[k]!.length;
    return s;
  });
}

const MOSAIC = [
  { s: 32, xc: 27, yc: 38, params: { perspectiveX: 0.0, perspectiveY: 0.0, angle: 4.0, scale: 1.15, shearX: 0.0, shearY: 0.0, translateX: 0.53, translateY: 0.46 }, perspective: false, rounding: 'floor', tiles: [[32, 24], [31, 13], [32, 32], [9, 32]], canvasFnv: 2849564195, canvasSum: 1471914, canvasBoxes: [[0.0, 16.4, 19.0, 34.0], [23.4, 14.8, 27.0, 21.4], [27.0, 25.0, 58.0, 38.0], [33.64285714285714, 27.6, 39.6530612244898, 35.4], [54.83673469387755, 26.3, 57.36734693877551, 37.35], [0.0, 43.0, 22.0, 64.0], [27.692307692307693, 39.422222222222224, 35.30769230769231, 64.0], [29.076923076923077, 59.33333333333333, 33.23076923076923, 64.0]], fnv: 803720123, sum: 376014, M: [1.1471986577987978, 0.0802199448057441, -22.31739528334534, -0.0802199448057441, 1.1471986577987978, -19.42331881577772, 0.0, 0.0, 1.0], keep: [false, true, true, true, false, false, true, false], boxes: [[5.714308492271542, 0.0, 10.373675296065123, 3.249585752662142], [10.662467097365806, 4.603890830459068, 32.0, 22.0042916708215], [18.491715752095608, 9.05839775666174, 26.01232937712625, 18.48868552719219], [12.61363142340781, 22.969420476860286, 23.321618409579834, 32.0]] },
  { s: 32, xc: 17, yc: 47, params: { perspectiveX: 0.0003, perspectiveY: -0.0002, angle: -6.0, scale: 0.8, shearX: 2.0, shearY: -1.0, translateX: 0.48, translateY: 0.55 }, perspective: true, rounding: 'ceil', tiles: [[32, 24], [32, 14], [32, 32], [10, 32]], canvasFnv: 4234999044, canvasSum: 1446333, canvasBoxes: [[0.0, 25.4, 9.0, 43.0], [13.399999999999999, 23.8, 17.0, 30.4], [17.0, 33.0, 49.0, 47.0], [23.857142857142858, 35.8, 30.06122448979592, 44.2], [45.734693877551024, 34.4, 48.3469387755102, 46.3], [0.0, 52.0, 12.0, 64.0], [17.76923076923077, 48.422222222222224, 26.230769230769234, 64.0], [19.307692307692307, 64.0, 23.923076923076923, 64.0]], fnv: 1967393324, sum: 363969, M: [0.8031456877914956, -0.05891119472400156, -8.455503778159812, 0.07501521520917301, 0.7935571571851656, -10.194315916618834, 0.0003, -0.0002, 0.9968], keep: [false, true, true, true, true, false, true, false], boxes: [[0.5184752987077829, 9.735907784863386, 3.8067738530841977, 15.268904340509469], [2.447503035030266, 17.349873333716037, 28.813379936044797, 30.71411637195233], [8.141134822096321, 20.06895701865153, 13.5972607985121, 27.218203066662667], [25.51636903650764, 20.460364117743385, 28.222726871230616, 30.112583898345605], [2.067519671680829, 29.78946772890389, 9.808204697009877, 32.0]] },
  { s: 40, xc: 20, yc: 60, params: { perspectiveX: 0.0, perspectiveY: 0.0, angle: 4.0, scale: 1.15, shearX: 0.0, shearY: 0.0, translateX: 0.53, translateY: 0.46 }, perspective: false, rounding: 'floor', tiles: [[40, 30], [40, 16], [40, 40], [11, 40]], canvasFnv: 3557729440, canvasSum: 2253581, canvasBoxes: [[0.0, 33.0, 10.0, 55.0], [15.5, 31.0, 20.0, 39.25], [20.0, 44.0, 60.0, 60.0], [28.57142857142857, 47.2, 36.326530612244895, 56.8], [55.91836734693877, 45.6, 59.183673469387756, 59.2], [0.0, 66.25, 13.75, 80.0], [20.846153846153847, 61.77777777777778, 30.153846153846153, 80.0], [22.53846153846154, 80.0, 27.615384615384613, 80.0]], fnv: 2873435150, sum: 571185, M: [1.1471986577987978, 0.0802199448057441, -27.89674410418168, -0.0802199448057441, 1.1471986577987978, -24.279148519722145, 0.0, 0.0, 1.0], keep: [false, false, true, true, false, false, false, false], boxes: [[0.0, 21.384395735080314, 40.0, 40.0], [8.666741799186525, 26.954515847682654, 18.33349592163887, 38.589736820228296]] },
] as const;

const DARKNET = [
  { W: 48, H: 48, cutX: 20, cutY: 27, rects: [[28, 15, 0, 0, 20, 27], [0, 21, 20, 0, 28, 27], [28, 0, 0, 27, 20, 21], [7, 0, 20, 27, 28, 21]], fnv: 2823292014, sum: 874789, boxes: [[0.0, 0.0, 12.0, 19.5], [20.0, 0.0, 48.0, 27.0], [28.689655172413794, 0.0, 36.55172413793103, 19.0], [0.0, 30.692307692307693, 18.0, 48.0], [22.6, 28.88235294117647, 48.0, 48.0]] },
  { W: 40, H: 32, cutX: 30, cutY: 7, rects: [[10, 21, 0, 0, 30, 7], [0, 25, 30, 0, 10, 7], [10, 0, 0, 7, 30, 25], [6, 0, 30, 7, 10, 25]], fnv: 3155694161, sum: 483382, boxes: [[0.0, 9.461538461538462, 28.333333333333336, 32.0], [32.0, 8.254901960784313, 40.0, 32.0], [37.33333333333333, 25.823529411764707, 40.0, 32.0]] },
];
/** Jitter offsets (pleft, pright, ptop, pbot) of the four sources in mix.py's Darknet cases. */
const DARKNET_OFFSETS = [[-5, 3, 2, -4], [0, -9, -4, 0], [4, 4, 3, 3], [-2, 0, 0, -6]].map(([pleft, pright, ptop, pbot]) => ({ pleft: pleft!, pright: pright!, ptop: ptop!, pbot: pbot! }));

// ---------------------------------------------------------------------------------------

describe('mosaic (YOLOv5 load_mosaic)', () => {
  it('placement rectangles and pads for given centres and tile sizes (worked numbers at s = 608)', () => {
    const cases = [
      { xc: 700, yc: 500, sizes: [[608, 456], [456, 608], [608, 342], [300, 608]], rects: [[92, 44, 700, 500, 0, 0, 608, 456], [700, 0, 1156, 500, 0, 108, 456, 608], [92, 500, 700, 842, 0, 0, 608, 342], [700, 500, 1000, 1108, 0, 0, 300, 608]] },
      { xc: 320, yc: 900, sizes: [[608, 608], [608, 405], [200, 608], [608, 600]], rects: [[0, 292, 320, 900, 288, 0, 608, 608], [320, 495, 928, 900, 0, 0, 608, 405], [120, 900, 320, 1216, 0, 0, 200, 316], [320, 900, 928, 1216, 0, 0, 608, 316]] },
    ];
    for (const c of cases) {
      c.sizes.forEach(([w, h], k) => {
        const p = mosaicPlacement(k, w!, h!, 608, c.xc, c.yc);
        assert.deepEqual([p.x1a, p.y1a, p.x2a, p.y2a, p.x1b, p.y1b, p.x2b, p.y2b], c.rects[k]);
        assert.equal(p.padw, p.x1a - p.x1b);
        assert.equal(p.padh, p.y1a - p.y1b);
      });
    }
    // top-left tile cut on the left: its boxes shift by padw = 0 − 288 = −288
    assert.equal(mosaicPlacement(0, 608, 608, 608, 320, 900).padw, -288);
    assert.throws(() => mosaicPlacement(4, 1, 1, 8, 8, 8), /0\.\.3/);
  });

  it('load_image sizes: int(w0·r) in v7.0 (the long side can come out s − 1), math.ceil on request', () => {
    const cases: [number, number, number, [number, number], [number, number]][] = [
      [640, 480, 608, [608, 456], [608, 456]], [49, 20, 32, [31, 13], [32, 14]], [20, 49, 32, [13, 31], [14, 32]],
      [1080, 263, 608, [608, 148], [608, 149]], [263, 100, 608, [607, 231], [608, 232]], [500, 375, 640, [640, 480], [640, 480]],
      [77, 50, 640, [639, 415], [640, 416]], [608, 300, 608, [608, 300], [608, 300]],
      // YOLOv5 v7.0 would ask cv2 for a 0-pixel side here (and fail); ours keeps 1
      [1000, 1, 32, [32, 1], [32, 1]],
    ];
    for (const [w0, h0, s, fl, ce] of cases) {
      const f = mosaicTileSize(w0, h0, s, 'floor');
      const c = mosaicTileSize(w0, h0, s, 'ceil');
      assert.deepEqual([f.width, f.height], fl, `${w0}×${h0} → ${s} floor`);
      assert.deepEqual([c.width, c.height], ce, `${w0}×${h0} → ${s} ceil`);
    }
  });

  it('centre range: int(uniform(s//2·…)) — U(⌈s/2⌉, 2s − ⌈s/2⌉)', () => {
    assert.deepEqual(mosaicCentreRange(608), [304, 912]);
    assert.deepEqual(mosaicCentreRange(5), [3, 7]);
  });

  for (const [i, ref] of MOSAIC.entries()) {
    it(`matches the reference byte for byte: case ${i + 1} (s ${ref.s}, centre ${ref.xc},${ref.yc}, ${ref.perspective ? 'warpPerspective' : 'warpAffine'}, ${ref.rounding})`, () => {
      const srcs = sources();
      const before = srcs.map(snapshot);
      const tiles = srcs.map((s) => mosaicTile(s, ref.s, ref.rounding as TileRounding));
      assert.deepEqual(tiles.map((t) => [t.image.width, t.image.height]), ref.tiles);
      const canvas = mosaicCanvas(tiles, ref.s, ref.xc, ref.yc);
      assert.equal(canvas.image.width, 2 * ref.s);
      assert.equal(fnv1a(canvas.image.data), ref.canvasFnv);
      assert.equal(byteSum(canvas.image.data), ref.canvasSum);
      assertBoxes(canvas.boxes, ref.canvasBoxes as unknown as number[][]);
      // the matrix the kernel warps with (C from the 2s canvas, T from the s output)
      const b = -Math.ceil(ref.s / 2);
      const M = perspectiveMatrix(ref.params, 2 * ref.s, 2 * ref.s, { border: [b, b], width: ref.s, height: ref.s });
      M.forEach((v, j) => assert.ok(Math.abs(v - ref.M[j]!) < 1e-12, `M[${j}]`));

      const out = mosaicYolo(srcs, ref.s, { xc: ref.xc, yc: ref.yc, order: [0, 1, 2, 3], perspective: ref.params },
        { perspective: ref.perspective, tileRounding: ref.rounding as TileRounding });
      assert.equal(out.image.width, ref.s);
      assert.equal(out.image.height, ref.s);
      assert.equal(fnv1a(out.image.data), ref.fnv);
      assert.equal(byteSum(out.image.data), ref.sum);
      const kept = ref.keep.flatMap((k, j) => (k ? [j] : []));
      assert.deepEqual(Array.from(out.classes), kept);
      assert.deepEqual(Array.from(out.weights), kept.map((j) => j + 0.5));
      assert.deepEqual(Array.from(out.flags), kept.map((j) => j & 3));
      assertBoxes(out.boxes, ref.boxes as unknown as number[][]);
      // inputs untouched
      srcs.forEach((s, k) => assert.deepEqual(snapshot(s), before[k]));
    });
  }

  it('the quadrant order puts sample order[k] in quadrant k', () => {
    const srcs = sources();
    const order = [2, 0, 3, 1];
    const params = { xc: 30, yc: 33, order, perspective: { ...MOSAIC[0].params, angle: 0, scale: 1, translateX: 0.5, translateY: 0.5 } };
    const out = mosaicYolo(srcs, 32, params);
    const reordered = mosaicYolo(order.map((i) => srcs[i]!), 32, { ...params, order: [0, 1, 2, 3] });
    assert.deepEqual(out.image.data, reordered.image.data);
    assert.deepEqual(out.classes, reordered.classes);
  });

  it('metadata: the first sample\'s, geometry records dropped, mix kind set', () => {
    const srcs = sources({ ...META, shape: 32 });
    const out = mosaicYolo(srcs, 32, { xc: 30, yc: 33, order: [3, 2, 1, 0], perspective: MOSAIC[0].params });
    assert.deepEqual(out.meta, { path: 'a.jpg', originalWidth: 1, originalHeight: 1, shape: 32, mix: { kind: 'mosaic' } });
  });
});

describe('mosaic (Darknet)', () => {
  it('cut ranges: rand_int(L·0.2f, L·(1 − 0.2f)) truncated', () => {
    assert.deepEqual(darknetCutRange(608), [121, 486]);
    assert.deepEqual(darknetCutRange(416), [83, 332]);
    assert.deepEqual(darknetCutRange(320), [64, 256]);
    assert.deepEqual(darknetCutRange(512), [102, 409]);
    assert.deepEqual(darknetCutRange(33), [6, 26]);
  });

  it('the corner move shifts the jitter of the far sides to the sides at the cut', () => {
    const p = { pleft: -5, pright: 3, ptop: 2, pbot: -4 };
    assert.deepEqual(toCornerOffsets(0, p), { pleft: 0, pright: -2, ptop: 0, pbot: -2 });
    assert.deepEqual(toCornerOffsets(1, p), { pleft: -2, pright: 0, ptop: 0, pbot: -2 });
    assert.deepEqual(toCornerOffsets(2, p), { pleft: 0, pright: -2, ptop: -2, pbot: 0 });
    assert.deepEqual(toCornerOffsets(3, p), { pleft: -2, pright: 0, ptop: -2, pbot: 0 });
  });

  for (const [i, ref] of DARKNET.entries()) {
    it(`matches the reference: case ${i + 1} (${ref.W}×${ref.H}, cut ${ref.cutX},${ref.cutY})`, () => {
      const srcs = sources();
      ref.rects.forEach((r, k) => {
        const [w, h] = SRC_SIZES[k]!;
        const t = darknetTileRect(k, ref.W, ref.H, ref.cutX, ref.cutY, DARKNET_OFFSETS[k]!, w, h);
        assert.deepEqual([t.srcX, t.srcY, t.dstX, t.dstY, t.width, t.height], r);
      });
      const out = mosaicDarknet(srcs, ref.W, ref.H, { cutX: ref.cutX, cutY: ref.cutY, order: [0, 1, 2, 3], offsets: DARKNET_OFFSETS });
      assert.equal(out.image.width, ref.W);
      assert.equal(out.image.height, ref.H);
      assert.equal(fnv1a(out.image.data), ref.fnv);
      assert.equal(byteSum(out.image.data), ref.sum);
      assertBoxes(out.boxes, ref.boxes);
    });
  }
});

describe('mosaic kernel', () => {
  it('draws in the documented order: the kernel equals the pure function on the drawn parameters', () => {
    const srcs = sources();
    const o = { size: 32, degrees: 5, shear: 2 };
    const out = mosaicKernel(srcs, o, new Rng(7, 1)) as KernelSample;
    const params = drawYoloMosaicParams(new Rng(7, 1), 32, o);
    const [lo, hi] = mosaicCentreRange(32);
    const r = new Rng(7, 1);
    assert.equal(params.yc, Math.trunc(r.uniform(lo, hi)));
    assert.equal(params.xc, Math.trunc(r.uniform(lo, hi)));
    assert.deepEqual(params.order, r.shuffle([0, 1, 2, 3]));
    assert.deepEqual(params.perspective, drawPerspectiveParams(r, o));
    const ref = mosaicYolo(srcs, 32, params);
    assert.deepEqual(out.image, ref.image);
    assert.deepEqual(out.boxes, ref.boxes);
    // same key, same mosaic
    assert.deepEqual((mosaicKernel(srcs, o, new Rng(7, 1)) as KernelSample).image, out.image);
  });

  it('darknet mode draws cut, order, then per tile 4 jitter draws and the corner coin', () => {
    const srcs = sources();
    const o = { mode: 'darknet' as const, size: 48, jitter: 0.3 };
    const out = mosaicKernel(srcs, o, new Rng(9)) as KernelSample;
    const params = drawDarknetMosaicParams(new Rng(9), srcs, 48, 48, o);
    const r = new Rng(9);
    assert.equal(params.cutX, r.int(...darknetCutRange(48)));
    assert.equal(params.cutY, r.int(...darknetCutRange(48)));
    assert.deepEqual(params.order, r.shuffle([0, 1, 2, 3]));
    assert.deepEqual(out, mosaicDarknet(srcs, 48, 48, params));
  });

  it('output size: meta.shape wins over options.size; yolov5 needs a square', () => {
    const s = sample(tileImage(4, 4, 0), []);
    assert.deepEqual(mixOutputSize(s, 320), { width: 320, height: 320 });
    assert.deepEqual(mixOutputSize(s), { width: 640, height: 640 });
    assert.deepEqual(mixOutputSize({ ...s, meta: { ...META, shape: 416 } }, 320), { width: 416, height: 416 });
    assert.deepEqual(mixOutputSize({ ...s, meta: { ...META, shape: { width: 64, height: 32 } } }), { width: 64, height: 32 });
    const srcs = sources({ ...META, shape: { width: 48, height: 32 } });
    assert.throws(() => mosaicKernel(srcs, {}, new Rng(1)), /square/);
    const dk = mosaicKernel(srcs, { mode: 'darknet' }, new Rng(1)) as KernelSample;
    assert.equal(dk.image.width, 48);
    assert.equal(dk.image.height, 32);
    assert.throws(() => mosaicKernel(srcs.slice(0, 3), {}, new Rng(1)), /4 samples/);
  });

  it('registry: mixKernels and arity', () => {
    assert.deepEqual(Object.keys(mixKernels).sort(), ['cutmix', 'mixup', 'mosaic']);
    assert.deepEqual(mixArity, { mosaic: 4, mixup: 2, cutmix: 2 });
  });
});

describe('mixup', () => {
  const MIX = [
    { r: 0.4370566, hex: '5c9d2181aa21a6b721cbc42160d1216754218c613eb16e5bd67b786b8895729b2197385bbc4595e152cf765f097d7221a27f78c78ccf5c992681a67d' },
    { r: 0.5, hex: '5897207da420a2b120c7be206ccb20635e20886b3dad785ad285777792946ea52093325ab83f94dd4cce825908796c209e7977c386ce6893258da07c' },
    { r: 0.1, hex: '70bf2795cc27bad927dfe6271df3277b2027a02d44c53a61ea477e28549b866727ab5a61d0679bf574d533810f919427b6a17edbaed519bb2c3ec883' },
    { r: 0.9999, hex: '3b6518607218857f18aa8c18ce991846ab186bb83590c552b5d26fd9df8c51f2187600529b0d8cc01ac6e427005c3a1881476fa654c6ca611def6e74' },
  ];
  it('(a·r + b·(1 − r)).astype(uint8), byte for byte on 5×4 images', () => {
    const a = tileImage(5, 4, 1);
    const b = tileImage(5, 4, 2);
    for (const { r, hex: h } of MIX) assert.equal(hex(mixupImages(a, b, r).data), h, `r ${r}`);
    assert.deepEqual(mixupImages(a, b, 1).data, a.data);
    assert.deepEqual(mixupImages(a, b, 0).data, b.data);
  });

  it('every byte pair (256×256 images), against numpy', () => {
    const A = new Uint8Array(256 * 256 * 3);
    const B = new Uint8Array(256 * 256 * 3);
    for (let y = 0, o = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++, o += 3) {
        A.set([y, x, (7 * x + y) % 256], o);
        B.set([x, y, (x * y) % 256], o);
      }
    }
    const table = [{ r: 0.3, fnv: 3842052421, sum: 24882504 }, { r: 0.4370566, fnv: 3025696583, sum: 24898034 }, { r: 0.7, fnv: 3811126485, sum: 24937024 }];
    for (const t of table) {
      const m = mixupImages({ data: A, width: 256, height: 256 }, { data: B, width: 256, height: 256 }, t.r);
      assert.equal(fnv1a(m.data), t.fnv, `r ${t.r}`);
      assert.equal(byteSum(m.data), t.sum);
    }
  });

  it('boxes are concatenated; weighted multiplies weights by λ and 1 − λ; meta.mix holds λ', () => {
    const x = sample(tileImage(6, 5, 0), [[0, 0, 3, 3], [1, 1, 5, 4]], 0, META);
    const y = sample(tileImage(6, 5, 1), [[2, 2, 6, 5]], 10);
    const out = mixupSamples(x, y, 0.25);
    assert.deepEqual(Array.from(out.boxes), [0, 0, 3, 3, 1, 1, 5, 4, 2, 2, 6, 5]);
    assert.deepEqual(Array.from(out.classes), [0, 1, 10]);
    assert.deepEqual(Array.from(out.weights), [0.5, 1.5, 10.5]);
    assert.deepEqual(Array.from(out.flags), [0, 1, 2]);
    assert.deepEqual(out.meta, { path: 'a.jpg', originalWidth: 1, originalHeight: 1, mix: { kind: 'mixup', lambda: 0.25 } });
    const w = mixupSamples(x, y, 0.25, true);
    assert.deepEqual(Array.from(w.weights), [0.5 * 0.25, 1.5 * 0.25, 10.5 * 0.75]);
  });

  it('λ: Beta(32, 32) by default, 0.5 for darknet, a fixed value, or Beta(α, β)', () => {
    const r = new Rng(3);
    assert.equal(drawMixupLambda(new Rng(3)), r.beta(32, 32));
    assert.equal(drawMixupLambda(new Rng(3), { mode: 'darknet' }), 0.5);
    assert.equal(drawMixupLambda(new Rng(3), { lambda: 0.3 }), 0.3);
    assert.equal(drawMixupLambda(new Rng(3), { alpha: 1.5 }), new Rng(3).beta(1.5, 1.5));
    // Beta(32, 32) concentrates near 0.5: sd = 0.0620
    const draws = Array.from({ length: 400 }, (_, i) => drawMixupLambda(new Rng(5, i)));
    const mean = draws.reduce((a, v) => a + v, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, v) => a + (v - mean) ** 2, 0) / draws.length);
    assert.ok(Math.abs(mean - 0.5) < 0.015 && Math.abs(sd - 0.062) < 0.01, `mean ${mean} sd ${sd}`);
  });

  it('the kernel: λ drawn, inputs untouched; images of different sizes are refused', () => {
    const x = sample(tileImage(6, 5, 0), [[0, 0, 3, 3]], 0, META);
    const y = sample(tileImage(6, 5, 1), [[2, 2, 6, 5]], 10);
    const before = [snapshot(x), snapshot(y)];
    const out = mixupKernel([x, y], { weighted: true }, new Rng(4)) as KernelSample;
    const lambda = new Rng(4).beta(32, 32);
    assert.deepEqual(out.image.data, mixupImages(x.image, y.image, lambda).data);
    assert.deepEqual((out.meta as SampleMeta).mix, { kind: 'mixup', lambda });
    assert.deepEqual(snapshot(x), before[0]);
    assert.deepEqual(snapshot(y), before[1]);
    const z = sample(tileImage(5, 5, 1), []);
    assert.throws(() => mixupKernel([x, z], {}, new Rng(1)), /same size.*6×5 and 5×5/);
  });
});

describe('cutmix', () => {
  it('rand_bbox + λ correction, worked numbers', () => {
    const cases: [number, number, number, number, number, number[], number][] = [
      [608, 608, 0.37, 300, 200, [59, 0, 541, 441], 0.42498593317174516],
      [640, 480, 0.8123, 10, 470, [0, 367, 148, 480], 0.9455598958333333],
      // cut 6 × 4 (int(7·√0.8) = 6): half 3 and 2 → [0, 6) × [0, 4)
      [7, 5, 0.2, 3, 2, [0, 0, 6, 4], 0.3142857142857143],
      [100, 60, 0.0, 50, 30, [0, 0, 100, 60], 0.0],
      [100, 60, 1.0, 50, 30, [50, 30, 50, 30], 1.0],
      [33, 17, 0.5, 32, 0, [21, 0, 33, 6], 0.8716577540106951],
    ];
    for (const [W, H, lam, cx, cy, rect, corrected] of cases) {
      const r = cutmixRect(W, H, lam, cx, cy);
      assert.deepEqual([r.rect.x1, r.rect.y1, r.rect.x2, r.rect.y2], rect);
      assert.equal(r.lambda, corrected);
    }
  });

  it('the patch of the second image replaces the first there (bytes) and boxes drop, clip and filter', () => {
    const xa = tileImage(12, 9, 1);
    const xb = tileImage(12, 9, 3);
    const { rect, lambda } = cutmixRect(12, 9, 0.6, 8, 3);
    assert.deepEqual(rect, { x1: 5, y1: 1, x2: 11, y2: 5 });
    assert.equal(lambda, 1 - 24 / 108);
    const x = sample(xa, [
      [5, 1, 11, 5],        // exactly the patch: visible 0 → dropped
      [3, 1, 7, 5],         // half hidden (8 of 16 px²) → kept
      [5.5, 1.5, 11, 5.2],  // 19.25 of 20.35 px² hidden, visible 0.054 → dropped
      [0, 6, 4, 9],         // untouched → kept
      [4.5, 0.5, 11.5, 5.5], // 24 of 35 hidden, visible 0.314 → kept
    ], 0, META);
    const y = sample(xb, [
      [6, 1.5, 9.5, 4.8],   // inside the patch → kept whole
      [0, 0, 8, 9],         // → [5,1,8,5]: 12/72 = 0.167 > 0.1, 3×4 → kept
      [0, 0, 12, 9],        // → the patch, 24/108 → kept
      [0, 6, 4, 9],         // outside → 0 wide → dropped
      [9, 0, 12, 9],        // → [9,1,11,5]: 2 px wide, not > 2 → dropped
    ], 10);
    const before = [snapshot(x), snapshot(y)];
    const out = cutmixSamples(x, y, rect, lambda);
    assert.equal(hex(out.image.data), '3b6518607218857f18aa8c18cf9918f4a61819b3183ec01863cd1888da18ade718d2f41846ac186bb93590c652b5d36fdae08c75b7cb9ac4e8bfd105e4de2209eb3f2ef85cdd3b5751f3187600529b0d8cc01ac6e5270080fe5ca50b96ca18d0ef250a143244393f7ee882965c3a1881476fa654c6cb611df06e748b45edb05244d55f9bfa6cf21f79494486a0f3c9d56781188c8e8cb19b00d6a874fbb5e8968c7ebb99f2e0a66605b3da2ac04e4fcdc2fe101472c81897d5a9bce23ae1efcb06fc5c2b09ed50167e75230f9a30a0bf3d31e44ac20957537d0f18a21cc6c72974ec36221143d036507e5b5d2c806adaa57788ca8436ef91e4149e92885618ad63e3d270aef77d791c8a4441970f66a4da8bb1a5b0be70d5cb3bfad8061fe5d1939d18b8aa00ddb7e802c4d027d1b84cdea071eb8896f870bb0558e01240051f282a2c10');
    assert.deepEqual(Array.from(out.classes), [1, 3, 4, 10, 11, 12]);
    assertBoxes(out.boxes, [[3, 1, 7, 5], [0, 6, 4, 9], [4.5, 0.5, 11.5, 5.5], [6, 1.5, 9.5, 4.8], [5, 1, 8, 5], [5, 1, 11, 5]], 1e-6);
    assert.deepEqual(Array.from(out.weights), [1.5, 3.5, 4.5, 10.5, 11.5, 12.5]);
    assert.deepEqual(out.meta, { path: 'a.jpg', originalWidth: 1, originalHeight: 1, mix: { kind: 'cutmix', lambda } });
    assert.deepEqual(snapshot(x), before[0]);
    assert.deepEqual(snapshot(y), before[1]);

    // minVisibility 0.5 drops the first image's box 31 % visible and, through the hygiene of the
    // second image's boxes, those with less than half inside the patch (17 % and 22 %);
    // weighted scales by the corrected λ
    const strict = cutmixSamples(x, y, rect, lambda, { minVisibility: 0.5, weighted: true });
    assert.deepEqual(Array.from(strict.classes), [1, 3, 10]);
    assert.deepEqual(Array.from(strict.weights), [1.5 * lambda, 3.5 * lambda, 10.5 * (1 - lambda)].map(Math.fround));
  });

  it('the kernel draws λ, then the centre row, then the centre column', () => {
    const x = sample(tileImage(20, 10, 1), [[1, 1, 8, 8]], 0, META);
    const y = sample(tileImage(20, 10, 2), [[10, 2, 19, 9]], 10);
    const out = cutmixKernel([x, y], {}, new Rng(11)) as KernelSample;
    const r = new Rng(11);
    const lam = r.beta(1, 1);
    const cy = r.int(0, 9);
    const cx = r.int(0, 19);
    const expected = cutmixRect(20, 10, lam, cx, cy);
    assert.deepEqual(drawCutmix(new Rng(11), 20, 10), expected);
    assert.deepEqual(out, cutmixSamples(x, y, expected.rect, expected.lambda));
    assert.throws(() => cutmixKernel([x, sample(tileImage(10, 10, 1), [])], {}, new Rng(1)), /same size/);
  });
});

// ---------------------------------------------------------------------------------------
// Properties

/** A valid box inside [0,w]×[0,h], as fractions sorted per axis. */
const unitBox = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([a, b, c, d]) => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)] as const);

const srcSample = fc
  .record({ w: fc.integer({ min: 4, max: 60 }), h: fc.integer({ min: 4, max: 60 }), k: fc.integer({ min: 0, max: 9 }), units: fc.array(unitBox, { maxLength: 5 }) })
  .map(({ w, h, k, units }) => ({ w, h, k, boxes: units.map(([a, b, c, d]) => [a * w, b * h, c * w, d * h]) }));

/** Samples whose classes number every box across all of them. */
function buildSamples(specs: { w: number; h: number; k: number; boxes: number[][] }[]): KernelSample[] {
  let first = 0;
  return specs.map((s) => {
    const out = sample(tileImage(s.w, s.h, s.k), s.boxes, first);
    first += s.boxes.length;
    return out;
  });
}

/** Every box inside [x0,x1]×[y0,y1], w > 2, h > 2, aspect < 100; classes distinct. */
function assertHygienic(boxes: Float32Array, classes: Int32Array, x0: number, y0: number, x1: number, y1: number): void {
  assert.equal(new Set(classes).size, classes.length, 'a box came out twice');
  for (let i = 0; i < boxes.length; i += 4) {
    const [a, b, c, d] = boxes.subarray(i, i + 4) as unknown as [number, number, number, number];
    assert.ok(a >= x0 && c <= x1 && b >= y0 && d <= y1, `box ${a},${b},${c},${d} outside ${x0},${y0},${x1},${y1}`);
    const w = c - a;
    const h = d - b;
    assert.ok(w > 2 && h > 2 && Math.max(w / h, h / w) < 100, `box ${w}×${h} fails hygiene`);
  }
}

describe('mix properties', () => {
  it('yolov5 mosaic: s×s output, every box inside and hygienic, no more boxes than went in', () => {
    fc.assert(
      fc.property(
        fc.array(srcSample, { minLength: 4, maxLength: 4 }), fc.integer({ min: 8, max: 48 }), fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(), fc.constantFrom<TileRounding>('floor', 'ceil'),
        (specs, s, seed, persp, rounding) => {
          const srcs = buildSamples(specs);
          const total = specs.reduce((a, x) => a + x.boxes.length, 0);
          const o = { degrees: 10, shear: 3, perspective: persp ? 1e-3 : 0 };
          const params = drawYoloMosaicParams(new Rng(seed), s, o);
          const out = mosaicYolo(srcs, s, params, { perspective: persp, tileRounding: rounding });
          assert.equal(out.image.width, s);
          assert.equal(out.image.height, s);
          assert.equal(out.image.data.length, s * s * 3);
          assert.ok(out.classes.length <= total);
          assert.equal(out.boxes.length, out.classes.length * 4);
          assert.equal(out.weights.length, out.classes.length);
          assertHygienic(out.boxes, out.classes, 0, 0, s, s);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('darknet mosaic: W×H output, every box inside its own quadrant and hygienic', () => {
    fc.assert(
      fc.property(
        fc.array(srcSample, { minLength: 4, maxLength: 4 }), fc.integer({ min: 10, max: 64 }), fc.integer({ min: 10, max: 64 }),
        fc.integer({ min: 0, max: 2 ** 31 }), fc.double({ min: 0, max: 0.45, noNaN: true }),
        (specs, W, H, seed, jitter) => {
          const srcs = buildSamples(specs);
          const params = drawDarknetMosaicParams(new Rng(seed), srcs, W, H, { jitter });
          const out = mosaicDarknet(srcs, W, H, params);
          assert.equal(out.image.data.length, W * H * 3);
          const total = specs.reduce((a, x) => a + x.boxes.length, 0);
          assert.ok(out.classes.length <= total);
          assertHygienic(out.boxes, out.classes, 0, 0, W, H);
          // box → its source sample → its quadrant
          const owner = (c: number) => { let f = 0; for (let i = 0; i < 4; i++) { f += specs[i]!.boxes.length; if (c < f) return i; } return -1; };
          for (let j = 0; j < out.classes.length; j++) {
            const k = params.order.indexOf(owner(out.classes[j]!));
            const x0 = k === 0 || k === 2 ? 0 : params.cutX;
            const y0 = k === 0 || k === 1 ? 0 : params.cutY;
            const x1 = k === 0 || k === 2 ? params.cutX : W;
            const y1 = k === 0 || k === 1 ? params.cutY : H;
            const b = out.boxes.subarray(j * 4, j * 4 + 4);
            assert.ok(b[0]! >= x0 && b[2]! <= x1 && b[1]! >= y0 && b[3]! <= y1, `quadrant ${k}`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('mixup: the box list is exactly the concatenation; cutmix: boxes inside, the second image\'s inside the patch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }),
        fc.array(unitBox, { maxLength: 6 }), fc.array(unitBox, { maxLength: 6 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(),
        (W, H, ua, ub, seed, weighted) => {
          const toBoxes = (u: (readonly number[])[]) => u.map(([a, b, c, d]) => [a! * W, b! * H, c! * W, d! * H]);
          const x = sample(tileImage(W, H, 1), toBoxes(ua), 0);
          const y = sample(tileImage(W, H, 2), toBoxes(ub), ua.length);
          const m = mixupKernel([x, y], { weighted }, new Rng(seed)) as KernelSample;
          const cat = concatBoxes([x, y]);
          assert.deepEqual(m.boxes, cat.boxes);
          assert.deepEqual(m.classes, cat.classes);
          assert.deepEqual(m.flags, cat.flags);
          if (!weighted) assert.deepEqual(m.weights, cat.weights);

          const { rect, lambda } = drawCutmix(new Rng(seed), W, H);
          assert.ok(lambda >= 0 && lambda <= 1);
          const c = cutmixSamples(x, y, rect, lambda);
          assert.equal(c.image.data.length, W * H * 3);
          assert.ok(c.classes.length <= ua.length + ub.length);
          for (let j = 0; j < c.classes.length; j++) {
            const b = c.boxes.subarray(j * 4, j * 4 + 4);
            const fromY = c.classes[j]! >= ua.length;
            const [x0, y0, x1, y1] = fromY ? [rect.x1, rect.y1, rect.x2, rect.y2] : [0, 0, W, H];
            assert.ok(b[0]! >= x0 && b[2]! <= x1 && b[1]! >= y0 && b[3]! <= y1);
            if (fromY) assert.ok(b[2]! - b[0]! > 2 && b[3]! - b[1]! > 2);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
