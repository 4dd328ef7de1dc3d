/**
 * Box formats (SPEC §0) and box hygiene (SPEC §1, YOLOv5 `box_candidates` plus
 * albumentations `BboxParams` options).
 *
 * YOLOv5 reference (utils/augmentations.py):
 *   w1, h1 = box1[2] - box1[0], box1[3] - box1[1]
 *   w2, h2 = box2[2] - box2[0], box2[3] - box2[1]
 *   ar = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
 *   return (w2 > wh_thr) & (h2 > wh_thr) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (ar < ar_thr)
 * with wh_thr 2, ar_thr 100, area_thr 0.1, eps 1e-16; random_perspective passes box1 × s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { boxCandidates, clipBoxes, convertBoxes, sanitizeBoxes, selectBoxes, type BoxFormat } from '../src/kernels/boxes.ts';
import type { Annotated } from '../src/core/types.ts';

const SIZE = { width: 640, height: 480 };
// SPEC §0 worked example: yolo 0.5 0.5 0.2 0.4 on 640×480.
//   x1 = (0.5 − 0.2/2)·640 = 256, y1 = (0.5 − 0.4/2)·480 = 144, x2 = 0.6·640 = 384, y2 = 0.7·480 = 336
//   coco w = 384 − 256 = 128, h = 336 − 144 = 192
const EXAMPLE: Record<BoxFormat, number[]> = {
  yolo: [0.5, 0.5, 0.2, 0.4],
  voc: [256, 144, 384, 336],
  coco: [256, 144, 128, 192],
};
const FORMATS: BoxFormat[] = ['yolo', 'coco', 'voc'];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, msg = ''): void {
  assert.equal(actual.length, expected.length, msg);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${msg} index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('convertBoxes', () => {
  for (const from of FORMATS) {
    for (const to of FORMATS) {
      it(`${from} → ${to} on the SPEC §0 example`, () => {
        assert.deepEqual(convertBoxes([EXAMPLE[from]], from, to, SIZE), [EXAMPLE[to]]);
      });
    }
  }

  it('converts several boxes at once and keeps their order', () => {
    // second box: voc 0,0,640,480 (the whole image) = yolo 0.5,0.5,1,1 = coco 0,0,640,480
    const out = convertBoxes([EXAMPLE.yolo, [0.5, 0.5, 1, 1]], 'yolo', 'voc', SIZE);
    assert.deepEqual(out, [EXAMPLE.voc, [0, 0, 640, 480]]);
  });

  it('returns [] for no boxes', () => {
    assert.deepEqual(convertBoxes([], 'yolo', 'coco', SIZE), []);
  });

  it('rejects a box without 4 numbers', () => {
    assert.throws(() => convertBoxes([[1, 2, 3]], 'voc', 'coco', SIZE), TypeError);
  });

  it('round-trips every pair of formats (property)', () => {
    // evenly spread fractions (fc.double alone concentrates on tiny magnitudes)
    const unit = fc.oneof(fc.integer({ min: 0, max: 2 ** 20 }).map((k) => k / 2 ** 20), fc.double({ min: 0, max: 1, noNaN: true }));
    const box = fc
      .tuple(unit, unit, unit, unit)
      .map(([a, b, c, d]) => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 4096 }), box,
        fc.constantFrom(...FORMATS), fc.constantFrom(...FORMATS), (W, H, unit, from, to) => {
          const size = { width: W, height: H };
          const voc = [unit[0]! * W, unit[1]! * H, unit[2]! * W, unit[3]! * H];
          const start = convertBoxes([voc], 'voc', from, size)[0]!;
          const back = convertBoxes(convertBoxes([start], from, to, size), to, from, size)[0]!;
          // pixels vs normalised: a relative tolerance on each format's scale
          const tol = from === 'yolo' ? 1e-12 : 1e-9 * Math.max(W, H);
          assertClose(back, start, tol, `${from}→${to}→${from}`);
        }),
      { numRuns: 300 },
    );
  });
});

describe('boxCandidates (YOLOv5 box_candidates)', () => {
  const keep = (before: number[], after: number[], o: Parameters<typeof boxCandidates>[2] = {}): boolean =>
    boxCandidates([before], [after], o)[0]!;

  it('width: exactly 2 px is rejected (w2 > 2 is strict), 2.01 is kept', () => {
    // before 10×10 (area 100); after 2×10: area ratio 20/100 = 0.2 > 0.1, ar 5 < 100, but w2 = 2 ≯ 2
    assert.equal(keep([0, 0, 10, 10], [0, 0, 2, 10]), false);
    // after 2.01×10: ratio 0.201, ar 4.98 — every rule passes
    assert.equal(keep([0, 0, 10, 10], [0, 0, 2.01, 10]), true);
  });

  it('height: exactly 2 px is rejected, 2.01 is kept', () => {
    assert.equal(keep([0, 0, 10, 10], [0, 0, 10, 2]), false);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 10, 2.01]), true);
  });

  it('area ratio: exactly 0.1 is rejected, 0.11 is kept', () => {
    // before 100×100 = 10000; after 10×100 = 1000 → 1000/(10000 + 1e-16) = 0.1 (the same double) ≯ 0.1
    assert.equal(keep([0, 0, 100, 100], [0, 0, 10, 100]), false);
    // after 11×100 = 1100 → 0.11 > 0.1; ar = 100/11 = 9.09
    assert.equal(keep([0, 0, 100, 100], [0, 0, 11, 100]), true);
  });

  it('aspect ratio: exactly 100 is rejected, 99 is kept', () => {
    // 300×3: ar = max(300/(3+1e-16), 3/300) = 100 ≮ 100 (before = after, area ratio 1)
    assert.equal(keep([0, 0, 300, 3], [0, 0, 300, 3]), false);
    // 297×3: ar = 99
    assert.equal(keep([0, 0, 297, 3], [0, 0, 297, 3]), true);
    // the same on the other axis: 3×300 rejected, 3×297 kept
    assert.equal(keep([0, 0, 3, 300], [0, 0, 3, 300]), false);
    assert.equal(keep([0, 0, 3, 297], [0, 0, 3, 297]), true);
  });

  it('scale: the area rule compares against old area × scale²', () => {
    // before 100×100 = 10000, after 40×40 = 1600
    //   scale 1: 1600/10000 = 0.16 > 0.1 kept;  scale 2: 1600/40000 = 0.04 rejected
    assert.equal(keep([0, 0, 100, 100], [0, 0, 40, 40]), true);
    assert.equal(keep([0, 0, 100, 100], [0, 0, 40, 40], { scale: 2 }), false);
    // after 20×20 = 400: scale 1: 0.04 rejected;  scale 0.5: 400/2500 = 0.16 kept
    assert.equal(keep([0, 0, 100, 100], [0, 0, 20, 20]), false);
    assert.equal(keep([0, 0, 100, 100], [0, 0, 20, 20], { scale: 0.5 }), true);
    // a box that only zoomed with the image (×2) is kept whole: 400/(100·4) = 1
    assert.equal(keep([0, 0, 10, 10], [0, 0, 20, 20], { scale: 2 }), true);
  });

  it('threshold options whThr, arThr, areaThr replace the YOLOv5 defaults', () => {
    assert.equal(keep([0, 0, 10, 10], [0, 0, 2.01, 10], { whThr: 3 }), false);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 2, 10], { whThr: 1 }), true);
    assert.equal(keep([0, 0, 297, 3], [0, 0, 297, 3], { arThr: 50 }), false);
    // area ratio 0.11 vs areaThr 0.2 rejected; 0.1 vs areaThr 0.01 kept (the segments setting)
    assert.equal(keep([0, 0, 100, 100], [0, 0, 11, 100], { areaThr: 0.2 }), false);
    assert.equal(keep([0, 0, 100, 100], [0, 0, 10, 100], { areaThr: 0.01 }), true);
  });

  it('minArea is inclusive (albumentations min_area)', () => {
    // after 10×10 = 100 px²
    assert.equal(keep([0, 0, 10, 10], [0, 0, 10, 10], { minArea: 100 }), true);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 10, 10], { minArea: 100.5 }), false);
  });

  it('minVisibility is inclusive (albumentations min_visibility)', () => {
    // before 10×10, after 5×10: visible = 50/(100 + 1e-16) = 0.5 exactly
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 10], { minVisibility: 0.5 }), true);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 10], { minVisibility: 0.51 }), false);
    // with scale 2 the visible fraction is 50/400 = 0.125
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 10], { minVisibility: 0.125, scale: 2 }), true);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 10], { minVisibility: 0.13, scale: 2 }), false);
  });

  it('minWidth and minHeight are inclusive (albumentations min_width, min_height)', () => {
    // after 5×7
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 7], { minWidth: 5 }), true);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 7], { minWidth: 5.01 }), false);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 7], { minHeight: 7 }), true);
    assert.equal(keep([0, 0, 10, 10], [0, 0, 5, 7], { minHeight: 7.01 }), false);
  });

  it('rejects empty and inverted boxes', () => {
    assert.equal(keep([0, 0, 10, 10], [5, 5, 5, 5]), false);
    assert.equal(keep([0, 0, 10, 10], [8, 8, 2, 2]), false);
  });

  it('answers per box, in order, and checks the lengths match', () => {
    const before = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 100, 100]];
    const after = [[0, 0, 2, 10], [0, 0, 2.01, 10], [0, 0, 11, 100]];
    assert.deepEqual(boxCandidates(before, after), [false, true, true]);
    assert.deepEqual(boxCandidates([], []), []);
    assert.throws(() => boxCandidates(before, after.slice(1)), TypeError);
  });
});

describe('clipBoxes', () => {
  it('clips every coordinate to [0,W]×[0,H] in place and returns the same array', () => {
    const b = new Float32Array([-5, -5, 700, 500, 10, 20, 30, 40, 650, 490, 700, 600, -3, 10, -1, 20]);
    const out = clipBoxes(b, 640, 480);
    assert.equal(out, b);
    assert.deepEqual(Array.from(b), [0, 0, 640, 480, 10, 20, 30, 40, 640, 480, 640, 480, 0, 10, 0, 20]);
  });

  it('leaves boxes inside the image untouched (fractional values too)', () => {
    const b = new Float32Array([0.5, 1.25, 639.5, 479.75]);
    assert.deepEqual(Array.from(clipBoxes(b, 640, 480)), [0.5, 1.25, 639.5, 479.75]);
  });
});

function sample(boxes: number[], width = 100, height = 80): Annotated {
  const n = boxes.length / 4;
  return {
    image: { data: new Uint8Array(width * height * 3), width, height },
    boxes: new Float32Array(boxes),
    classes: Int32Array.from({ length: n }, (_, i) => 10 + i),
    weights: Float32Array.from({ length: n }, (_, i) => 1 / (i + 1)),
    flags: Uint8Array.from({ length: n }, (_, i) => i % 4),
  };
}

describe('sanitizeBoxes', () => {
  it('clips, drops failing boxes and keeps classes, weights and flags aligned', () => {
    // image 100×80; 5 boxes (class 10..14, weight 1, 1/2, 1/3, 1/4, 1/5, flags 0,1,2,3,0)
    //   0: [10,10,30,30]      inside, kept
    //   1: [-50,10,1,30]      clipped to [0,10,1,30]: w 1 ≤ 2, dropped
    //   2: [90,70,130,100]    clipped to [90,70,100,80]: 10×10 of 40×30=1200 → 100/1200 = 0.083 ≤ 0.1, dropped
    //   3: [95,20,120,60]     clipped to [95,20,100,60]: 5×40 of 25×40 → 0.2, ar 8, kept
    //   4: [200,200,300,300]  clipped to [100,80,100,80]: empty, dropped
    const s = sample([10, 10, 30, 30, -50, 10, 1, 30, 90, 70, 130, 100, 95, 20, 120, 60, 200, 200, 300, 300]);
    const before = s.boxes.slice();
    const out = sanitizeBoxes(s, before);
    assert.deepEqual(Array.from(out.boxes), [10, 10, 30, 30, 95, 20, 100, 60]);
    assert.deepEqual(Array.from(out.classes), [10, 13]);
    assert.deepEqual(Array.from(out.weights), [1, Math.fround(1 / 4)]);
    assert.deepEqual(Array.from(out.flags), [0, 3]);
    assert.equal(out.image, s.image);
  });

  it('returns the sample itself when every box survives', () => {
    const s = sample([10, 10, 30, 30, 40, 40, 60, 70]);
    const out = sanitizeBoxes(s, s.boxes.slice());
    assert.equal(out, s);
  });

  it('passes scale and the albumentations options through', () => {
    // box 20×20 → after 20×20 with scale 2: 400/(400·4) = 0.25 kept; minVisibility 0.3 drops it
    const s = sample([0, 0, 20, 20]);
    assert.equal(sanitizeBoxes(sample([0, 0, 20, 20]), s.boxes.slice(), { scale: 2 }).classes.length, 1);
    assert.equal(sanitizeBoxes(sample([0, 0, 20, 20]), s.boxes.slice(), { scale: 2, minVisibility: 0.3 }).classes.length, 0);
    assert.equal(sanitizeBoxes(sample([0, 0, 20, 20]), s.boxes.slice(), { minArea: 401 }).classes.length, 0);
  });

  it('handles a sample without boxes', () => {
    const s = sample([]);
    const out = sanitizeBoxes(s, new Float32Array(0));
    assert.equal(out.boxes.length, 0);
    assert.equal(out.classes.length, 0);
  });
});

describe('selectBoxes', () => {
  it('keeps the chosen rows of every per-box array', () => {
    const s = sample([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const out = selectBoxes(s, [true, false, true]);
    assert.deepEqual(Array.from(out.boxes), [1, 2, 3, 4, 9, 10, 11, 12]);
    assert.deepEqual(Array.from(out.classes), [10, 12]);
    assert.deepEqual(Array.from(out.weights), [1, Math.fround(1 / 3)]);
    assert.deepEqual(Array.from(out.flags), [0, 2]);
    assert.equal(selectBoxes(s, [false, false, false]).boxes.length, 0);
  });
});
