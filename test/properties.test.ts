/**
 * Properties over random inputs (fast-check): letterbox keeps boxes inside the canvas,
 * box hygiene (SPEC §1) leaves only valid boxes and agrees with an independent oracle
 * of YOLOv5 `box_candidates`, and flip∘flip is the identity.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { letterboxKernel, letterboxParams } from '../src/kernels/letterbox.ts';
import { sanitizeBoxes } from '../src/kernels/boxes.ts';
import { flipKernel } from '../src/kernels/flip.ts';
import type { Annotated } from '../src/core/types.ts';

function annotated(width: number, height: number, boxes: number[], data?: Uint8Array): Annotated {
  const n = boxes.length / 4;
  return {
    image: { data: data ?? new Uint8Array(width * height * 3).fill(77), width, height },
    boxes: new Float32Array(boxes),
    // class i = original position i, so a survivor can be traced back to its input box
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: Float32Array.from({ length: n }, (_, i) => i + 0.5),
    flags: Uint8Array.from({ length: n }, (_, i) => i & 3),
  };
}

/**
 * A real number spread evenly over [min, max] (fc.double concentrates on tiny magnitudes), with
 * the ends and 0 still reachable.
 */
const real = (min: number, max: number) =>
  fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 2 ** 20 }).map((k) => min + ((max - min) * k) / 2 ** 20) },
    { weight: 1, arbitrary: fc.double({ min, max, noNaN: true }) },
  );

/** A valid box inside [0,w]×[0,h]: fractions of the size, sorted per axis. */
const unitBox = fc
  .tuple(real(0, 1), real(0, 1), real(0, 1), real(0, 1))
  .map(([a, b, c, d]) => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)] as const);

describe('letterbox properties', () => {
  it('every box lies inside [0,W]×[0,H] of the output, and the canvas has the promised size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 1, max: 96 }), fc.integer({ min: 1, max: 96 }),
        fc.array(unitBox, { maxLength: 6 }),
        fc.boolean(), fc.boolean(), fc.constantFrom(8, 32, 64),
        (w, h, tw, th, units, scaleUp, auto, stride) => {
          const to = { width: tw, height: th };
          const opts = { scaleUp, auto, stride };
          const p = letterboxParams({ width: w, height: h }, to, opts);
          // an extreme aspect can round one side of the resized image to 0 px: not a letterbox case
          fc.pre(p.width >= 1 && p.height >= 1);
          const boxes = units.flatMap(([a, b, c, d]) => [a * w, b * h, c * w, d * h]);
          const out = letterboxKernel(annotated(w, h, boxes), to, opts);
          const W = out.image.width;
          const H = out.image.height;
          assert.equal(out.image.data.length, W * H * 3);
          if (!auto) {
            assert.equal(W, tw);
            assert.equal(H, th);
          } else {
            assert.ok(W <= tw && (tw - W) % stride === 0, `${W} vs ${tw}`);
            assert.ok(H <= th && (th - H) % stride === 0, `${H} vs ${th}`);
          }
          for (const v of Object.values(out.letterbox)) assert.ok(!Object.is(v, -0) && v >= 0);
          for (let i = 0; i < out.boxes.length; i += 4) {
            const [x1, y1, x2, y2] = out.boxes.subarray(i, i + 4);
            assert.ok(x1! >= 0 && x1! <= x2! && x2! <= W, `x ${x1}..${x2} on ${W}`);
            assert.ok(y1! >= 0 && y1! <= y2! && y2! <= H, `y ${y1}..${y2} on ${H}`);
            // and inside the unpadded image region
            assert.ok(x1! >= out.letterbox.padLeft && x2! <= out.letterbox.padLeft + out.letterbox.width);
            assert.ok(y1! >= out.letterbox.padTop && y2! <= out.letterbox.padTop + out.letterbox.height);
          }
          // padding pixels are 114 (the source is a flat 77)
          if (out.letterbox.padTop > 0) assert.equal(out.image.data[0], 114);
          if (out.letterbox.padLeft > 0) assert.equal(out.image.data[0], 114);
          const cx = out.letterbox.padLeft;
          const cy = out.letterbox.padTop;
          assert.equal(out.image.data[(cy * W + cx) * 3], 77);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('sanitizeBoxes properties', () => {
  const coord = (max: number) => real(-max, 2 * max).map(Math.fround);
  const jit = (max: number) => real(-max, max);

  it('every survivor is inside the image with w > 2, h > 2, aspect < 100, and matches the box_candidates oracle', () => {
    const arb = fc
      .record({ w: fc.integer({ min: 1, max: 200 }), h: fc.integer({ min: 1, max: 200 }) })
      .chain(({ w, h }) =>
        fc.record({
          w: fc.constant(w),
          h: fc.constant(h),
          // mostly plausible boxes that may stick out of the image, plus some garbage (out of bounds, inverted)
          before: fc.array(
            fc.oneof(
              { weight: 4, arbitrary: fc.tuple(real(-0.5, 1.2), real(-0.5, 1.2), real(0, 1), real(0, 1))
                .map(([x, y, bw, bh]) => [x * w, y * h, (x + bw) * w, (y + bh) * h].map(Math.fround) as [number, number, number, number]) },
              { weight: 1, arbitrary: fc.tuple(coord(w), coord(h), coord(w), coord(h)) },
            ),
            { maxLength: 10 },
          ),
          // "after" = before moved by up to a tenth of the image per coordinate, as a geometric transform would
          jitter: fc.array(fc.tuple(jit(w / 10), jit(h / 10), jit(w / 10), jit(h / 10)), { minLength: 10, maxLength: 10 }),
          scale: fc.constantFrom(1, 0.5, 2, 1.25),
        }),
      );
    fc.assert(
      fc.property(arb, ({ w, h, before, jitter, scale }) => {
        const n = before.length;
        const afterRaw = before.flatMap((b, i) => b.map((v, j) => v + jitter[i]![j]!));
        const s = annotated(w, h, afterRaw);
        const beforeF = new Float32Array(before.flat());
        const afterF = s.boxes.slice();
        const out = sanitizeBoxes(s, beforeF, { scale });
        // independent oracle: YOLOv5 box_candidates on the float32-clipped boxes
        const eps = 1e-16;
        const clip = (v: number, m: number) => Math.min(Math.max(v, 0), m);
        const expected: number[] = [];
        for (let i = 0; i < n; i++) {
          const [bx1, by1, bx2, by2] = beforeF.subarray(i * 4, i * 4 + 4);
          const ax1 = clip(afterF[i * 4]!, w), ay1 = clip(afterF[i * 4 + 1]!, h);
          const ax2 = clip(afterF[i * 4 + 2]!, w), ay2 = clip(afterF[i * 4 + 3]!, h);
          const w1 = bx2! - bx1!, h1 = by2! - by1!, w2 = ax2 - ax1, h2 = ay2 - ay1;
          const ar = Math.max(w2 / (h2 + eps), h2 / (w2 + eps));
          if (w2 > 2 && h2 > 2 && (w2 * h2) / (w1 * h1 * scale * scale + eps) > 0.1 && ar < 100) expected.push(i);
        }
        assert.deepEqual(Array.from(out.classes), expected);
        const m = out.classes.length;
        assert.equal(out.boxes.length, m * 4);
        assert.equal(out.weights.length, m);
        assert.equal(out.flags.length, m);
        for (let j = 0; j < m; j++) {
          const i = out.classes[j]!;
          // per-box arrays stay aligned with their box
          assert.equal(out.weights[j], i + 0.5);
          assert.equal(out.flags[j], i & 3);
          const [x1, y1, x2, y2] = out.boxes.subarray(j * 4, j * 4 + 4);
          assert.ok(x1! >= 0 && x2! <= w && y1! >= 0 && y2! <= h, `box ${[x1, y1, x2, y2]} on ${w}×${h}`);
          const bw = x2! - x1!;
          const bh = y2! - y1!;
          assert.ok(bw > 2 && bh > 2, `${bw}×${bh}`);
          assert.ok(Math.max(bw / bh, bh / bw) < 100);
          // the surviving box is the clipped input box
          assert.deepEqual(
            [x1, y1, x2, y2],
            [clip(afterF[i * 4]!, w), clip(afterF[i * 4 + 1]!, h), clip(afterF[i * 4 + 2]!, w), clip(afterF[i * 4 + 3]!, h)],
          );
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('flip properties', () => {
  it('flip∘flip is the identity on pixels, and on boxes up to float32 rounding', () => {
    const arb = fc
      .record({ w: fc.integer({ min: 1, max: 32 }), h: fc.integer({ min: 1, max: 32 }) })
      .chain(({ w, h }) =>
        fc.record({
          w: fc.constant(w),
          h: fc.constant(h),
          data: fc.uint8Array({ minLength: w * h * 3, maxLength: w * h * 3 }),
          units: fc.array(unitBox, { maxLength: 6 }),
          direction: fc.constantFrom('horizontal' as const, 'vertical' as const),
        }),
      );
    fc.assert(
      fc.property(arb, ({ w, h, data, units, direction }) => {
        const s = annotated(w, h, units.flatMap(([a, b, c, d]) => [a * w, b * h, c * w, d * h]), data);
        const once = flipKernel(s, direction);
        const twice = flipKernel(once, direction);
        assert.deepEqual(twice.image.data, data);
        // W − x is rounded to float32 on each flip, so arbitrary float32 boxes come back within
        // one float32 ulp of the image size (boxes on a coarse grid come back exactly: flip-rng.test.ts)
        const tol = Math.max(w, h) * 2 ** -23;
        for (let i = 0; i < s.boxes.length; i++) {
          assert.ok(Math.abs(twice.boxes[i]! - s.boxes[i]!) <= tol, `${twice.boxes[i]} vs ${s.boxes[i]}`);
        }
        // a single flip of a valid box is a valid box
        for (let i = 0; i < once.boxes.length; i += 4) {
          assert.ok(once.boxes[i]! >= 0 && once.boxes[i]! <= once.boxes[i + 2]! && once.boxes[i + 2]! <= w);
          assert.ok(once.boxes[i + 1]! >= 0 && once.boxes[i + 1]! <= once.boxes[i + 3]! && once.boxes[i + 3]! <= h);
        }
      }),
      { numRuns: 300 },
    );
  });
});
