/**
 * The catalogue as users compose it: random chains over every transform keep boxes
 * valid (SPEC §1), p = 0 is the identity bit for bit, flip twice restores the sample,
 * and the example chain runs on coco128 identically with 1 and 3 workers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  augment, batch, bboxSafeCrop, blur, brightness, brightnessContrast, contrast, cutout, decode, flip, fromYolo,
  gridMask, hsv, jitter, letterbox, noise, oneOf, randomCrop, randomErasing, randomPerspective, someOf,
  type TransformSpec,
} from '../index.ts';
import { lookupKernel } from '../src/kernels/registry.ts';
import { applySpec, runChain, type KernelSample } from '../src/kernels/transform.ts';
import { Rng } from '../src/core/rng.ts';
import { COCO128 } from './helpers.ts';

/** Every transform of the catalogue, forced on, with options that make it do something visible. */
const catalogue = (): TransformSpec[] => [
  hsv({ p: 1 }),
  hsv({ p: 1, mode: 'darknet' }),
  brightness({ p: 1 }),
  contrast({ p: 1 }),
  brightnessContrast({ p: 1 }),
  blur({ p: 1 }),
  blur({ p: 1, kernelSize: 17, background: true }),
  noise({ p: 1 }),
  flip({ p: 1 }),
  flip({ p: 1, direction: 'vertical' }),
  randomPerspective({ p: 1, degrees: 30, translate: 0.2, scale: 0.5, shear: 10 }),
  randomPerspective({ p: 1, degrees: 10, perspective: 0.0005 }),
  jitter({ p: 1 }),
  randomCrop({ p: 1, width: 40, height: 30 }),
  bboxSafeCrop({ p: 1 }),
  randomErasing({ p: 1 }),
  cutout({ p: 1, holes: 3, size: 0.3 }),
  gridMask({ p: 1, d1: 8, d2: 20 }),
  gridMask({ p: 1, d1: 8, d2: 20, rotate: 45 }),
];

function randomSample(width: number, height: number, units: number[][], seed: number): KernelSample {
  const data = new Uint8Array(width * height * 3);
  let v = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    v = (Math.imul(v, 1664525) + 1013904223) >>> 0;
    data[i] = v >>> 24;
  }
  const boxes = units.flatMap(([a, b, c, d]) => [a! * width, b! * height, c! * width, d! * height]);
  const n = units.length;
  return {
    image: { data, width, height },
    boxes: new Float32Array(boxes),
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: new Float32Array(n).fill(1),
    flags: new Uint8Array(n),
  };
}

/** A box that is valid to begin with (at least 0.08 of a ≥ 48 px side, so > 2 px). */
const unitBox = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.08, max: 0.6, noNaN: true }), fc.double({ min: 0.08, max: 0.6, noNaN: true }))
  .map(([x, y, w, h]) => [Math.min(x, 1 - w), Math.min(y, 1 - h), Math.min(x, 1 - w) + w, Math.min(y, 1 - h) + h]);

describe('random chains over the whole catalogue', () => {
  it('every surviving box lies inside the image and passes the hygiene rule; per-box arrays stay aligned', async () => {
    const all = catalogue();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 48, max: 96 }), fc.integer({ min: 48, max: 96 }),
        fc.array(unitBox, { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: all.length - 1 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (w, h, units, picks, seed) => {
          const input = randomSample(w, h, units, seed);
          const out = await runChain(input, picks.map((i) => all[i]!), [seed], lookupKernel);
          const { width: W, height: H, data } = out.image;
          assert.equal(data.length, W * H * 3);
          const n = out.classes.length;
          assert.equal(out.boxes.length, n * 4);
          assert.equal(out.weights.length, n);
          assert.equal(out.flags.length, n);
          for (let i = 0; i < n; i++) {
            const [x1, y1, x2, y2] = out.boxes.subarray(i * 4, i * 4 + 4);
            assert.ok(x1! >= 0 && y1! >= 0 && x2! <= W && y2! <= H, `box ${i} [${x1},${y1},${x2},${y2}] outside ${W}×${H}`);
            const bw = x2! - x1!;
            const bh = y2! - y1!;
            assert.ok(bw > 2 && bh > 2, `box ${i} is degenerate: ${bw}×${bh}`);
            assert.ok(Math.max(bw / bh, bh / bw) < 100);
            assert.ok(out.classes[i]! >= 0 && out.classes[i]! < units.length, 'a class that came in');
          }
          // survivors keep their input order (class i = input box i)
          for (let i = 1; i < n; i++) assert.ok(out.classes[i]! > out.classes[i - 1]!);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with p = 0 every transform is the identity, bit for bit', async () => {
    const input = randomSample(64, 48, [[0.1, 0.1, 0.5, 0.6], [0.4, 0.3, 0.9, 0.95]], 9);
    const data = input.image.data.slice();
    const boxes = input.boxes.slice();
    const off = catalogue().map((t) => ({ ...t, p: 0 }));
    for (let k = 0; k < 10; k++) {
      const out = await runChain(input, off, [k], lookupKernel);
      assert.equal(out, input);
      assert.deepEqual(out.image.data, data);
      assert.deepEqual(out.boxes, boxes);
    }
  });

  it('a flip applied twice restores pixels and boxes exactly, both directions', async () => {
    // W − x is exact in float32 for coordinates on a 1/64 px grid; for arbitrary float32
    // coordinates near 0 it cannot be (W − x needs more bits than float32 keeps).
    const input = randomSample(37, 23, [[5 / 37, 3 / 23, 18.5 / 37, 16.125 / 23], [0, 0, 1, 1]], 3);
    input.boxes.set([3.703125, 4.59375, 18.5, 16.125]);
    for (const direction of ['horizontal', 'vertical'] as const) {
      const out = await runChain(input, [flip({ p: 1, direction }), flip({ p: 1, direction })], [1], lookupKernel);
      assert.deepEqual(out.image.data, input.image.data);
      assert.deepEqual(out.boxes, input.boxes);
    }
  });

  it('a horizontal flip folded into randomPerspective gives the bytes, boxes and meta of the two run apart', async () => {
    const input = { ...randomSample(72, 56, [[0.1, 0.1, 0.5, 0.6], [0.4, 0.3, 0.9, 0.95], [0, 0, 1, 1]], 5), meta: { path: 'x', originalWidth: 72, originalHeight: 56 } };
    let mirrored = 0;
    for (const rp of [randomPerspective({ p: 0.8, degrees: 20, shear: 5 }), randomPerspective({ p: 1, degrees: 5, perspective: 0.001 }), randomPerspective({ p: 1, translate: 0, scale: 0 })]) {
      const fl = flip({ p: 0.5 });
      for (let k = 0; k < 40; k++) {
        const fused = await runChain(input, [rp, fl], [3, k], lookupKernel);
        const apart = await applySpec(await applySpec(input, rp, new Rng(3, k, 0), lookupKernel), fl, new Rng(3, k, 1), lookupKernel);
        assert.deepEqual(fused.image.data, apart.image.data);
        assert.deepEqual(fused.boxes, apart.boxes);
        assert.deepEqual(fused.classes, apart.classes);
        assert.deepEqual(fused.meta, apart.meta);
        if (new Rng(3, k, 1).chance(0.5)) mirrored++;
      }
    }
    assert.ok(mirrored > 30 && mirrored < 90, `${mirrored}`);
  });

  it('a chain replays exactly from its key and differs for another key', async () => {
    const input = randomSample(80, 60, [[0.1, 0.1, 0.5, 0.6], [0.4, 0.3, 0.9, 0.95]], 4);
    const chain = catalogue().map((t) => ({ ...t, p: 0.5 }));
    const a = await runChain(input, chain, [7, 0, 3], lookupKernel);
    const b = await runChain(input, chain, [7, 0, 3], lookupKernel);
    const c = await runChain(input, chain, [7, 0, 4], lookupKernel);
    assert.deepEqual(a.image.data, b.image.data);
    assert.deepEqual(a.boxes, b.boxes);
    assert.notDeepEqual(a.image.data, c.image.data);
  });

  it('oneOf and someOf validate what they are given', () => {
    assert.throws(() => oneOf([]), /non-empty array/);
    assert.throws(() => oneOf([blur as unknown as TransformSpec]), /call the factory/);
    assert.throws(() => someOf([blur(), noise()], { n: 0 }), /n must be ≥ 1/);
    assert.deepEqual(oneOf([blur(), noise()], { p: 0.1 }).children!.map((c) => c.name), ['blur', 'noise']);
  });
});

describe('the issue\'s chain on coco128', () => {
  const chain = () =>
    augment(hsv(), randomPerspective({ degrees: 10, scale: 0.5 }), flip(), oneOf([blur(), noise()], { p: 0.1 }), gridMask({ p: 0.3 }));
  const run = async (workers: number) => {
    const p = fromYolo(COCO128, { limit: 24, workers, seed: 11 }).pipe(decode(), letterbox(320), chain(), batch(8));
    const out: { ids: string[]; bytes: number[]; boxes: number[][] }[] = [];
    for await (const b of p) {
      out.push({
        ids: b.ids,
        // a cheap digest of the pixels: a position-weighted sum per sample
        bytes: b.samples.map((s) => s.image.data.reduce((a, v, i) => (a + v * ((i % 251) + 1)) % 1_000_000_007, 0)),
        boxes: b.samples.map((s) => Array.from(s.boxes)),
      });
      for (const s of b.samples) {
        assert.equal(s.image.width, 320);
        for (let i = 0; i < s.boxes.length; i += 4) {
          assert.ok(s.boxes[i]! >= 0 && s.boxes[i + 2]! <= 320 && s.boxes[i + 1]! >= 0 && s.boxes[i + 3]! <= 320);
          assert.ok(s.boxes[i + 2]! - s.boxes[i]! > 2 && s.boxes[i + 3]! - s.boxes[i + 1]! > 2);
        }
      }
    }
    return out;
  };

  it('gives identical samples with 1 and 3 workers, and keeps every box valid', async () => {
    const one = await run(1);
    const three = await run(3);
    assert.equal(one.length, 3);
    assert.deepEqual(three, one);
    const boxes = one.flatMap((b) => b.boxes).reduce((a, bx) => a + bx.length / 4, 0);
    assert.ok(boxes > 50, `${boxes} boxes survived`);
  });
});
