/**
 * Label smoothing (SPEC §8): the function's worked numbers (from test/reference/targets.py),
 * soft targets and composition with mixing, validation, and the operator — where it may
 * stand in a pipeline and what it does to the class targets `encodeTargets()` writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, map, of, toArray, type Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import fc from 'fast-check';
import { batch, decode, fromYolo, type Sample } from '../index.ts';
import { smoothLabels } from '../operators/smooth-labels.ts';
import { encodeTargets } from '../operators/encode-targets.ts';
import type { SampleBatch, TargetLayer } from '../src/batch/types.ts';
import { COCO128 } from './helpers.ts';

const close = (got: number[], want: number[], tol = 1e-12) => {
  assert.equal(got.length, want.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol, `[${i}] ${v} vs ${want[i]}`));
};

describe('smoothLabels(target, options): SPEC §8 worked numbers', () => {
  it('categorical: C=5, ε=0.1 → 0.92 / 0.02', () => {
    close(smoothLabels([0, 0, 1, 0, 0], { epsilon: 0.1, mode: 'categorical' }), [0.02, 0.02, 0.92, 0.02, 0.02]);
  });

  it("others (Darknet classifier): C=5, ε=0.1 → 0.9 / 0.025, exactly 1−ε on the true class", () => {
    const y = smoothLabels([0, 0, 1, 0, 0], { epsilon: 0.1, mode: 'others' });
    close(y, [0.025, 0.025, 0.9, 0.025, 0.025]);
    assert.equal(y[2], 1 - 0.1);
    assert.equal(y[0], 0.1 / 4);
  });

  it('binary (YOLO sigmoid heads): positive exactly 1−ε/2, negative exactly ε/2', () => {
    assert.deepEqual(smoothLabels([0, 1, 0], { epsilon: 0.1, mode: 'binary' }), [0.05, 0.95, 0.05]);
    assert.deepEqual(smoothLabels([1, 1, 0, 0], { epsilon: 0.2, mode: 'binary' }), [0.9, 0.9, 0.1, 0.1]);
  });

  it('cross-entropy of y=[1,0,0] smoothed by 0.1 against p=[0.8,0.1,0.1] is 0.361773', () => {
    const y = smoothLabels([1, 0, 0], { epsilon: 0.1, mode: 'categorical' });
    const ce = -y.reduce((s, v, i) => s + v * Math.log([0.8, 0.1, 0.1][i]!), 0);
    assert.ok(Math.abs(ce - 0.36177298742619873) < 1e-12, `${ce}`);
    assert.equal(ce.toFixed(6), '0.361773');
  });

  it('soft (mixed) targets', () => {
    close(smoothLabels([0.3, 0.7, 0, 0], { epsilon: 0.2, mode: 'categorical' }), [0.29, 0.61, 0.05, 0.05]);
    close(smoothLabels([0.3, 0.7, 0, 0], { epsilon: 0.2, mode: 'others' }), [0.2866666666666666, 0.58, 0.06666666666666667, 0.06666666666666667]);
    close(smoothLabels([0.3, 0.7, 0, 1], { epsilon: 0.2, mode: 'binary' }), [0.34, 0.66, 0.1, 0.9]);
    // Typed arrays are targets too.
    close(smoothLabels(Float32Array.of(0, 1), { epsilon: 0.1, mode: 'categorical' }), [0.05, 0.95]);
  });

  it('composes with mixing: smooth then mix = mix then smooth (MixUp λ=0.35)', () => {
    const lam = 0.35;
    const mix = (a: number[], b: number[]) => a.map((v, i) => lam * v + (1 - lam) * b[i]!);
    const ya = [1, 0, 0, 0];
    const yb = [0, 0, 1, 0];
    const o = { epsilon: 0.1, mode: 'categorical' } as const;
    const smoothThenMix = mix(smoothLabels(ya, o), smoothLabels(yb, o));
    close(smoothThenMix, [0.34, 0.025, 0.61, 0.025]);
    close(smoothLabels(mix(ya, yb), o), smoothThenMix);
  });

  it('property: every mode is affine, keeps [0,1], and categorical/others keep a distribution summing to 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('categorical', 'binary', 'others'),
        (raw, epsilon, mode) => {
          const sum = raw.reduce((a, b) => a + b, 0) || 1;
          const y = raw.map((v) => v / sum);
          const s = smoothLabels(y, { epsilon, mode });
          for (const v of s) assert.ok(v >= -1e-12 && v <= 1 + 1e-12);
          if (mode !== 'binary') assert.ok(Math.abs(s.reduce((a, b) => a + b, 0) - 1) < 1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ε = 0 is the identity; defaults are ε 0.1, categorical', () => {
    assert.deepEqual(smoothLabels([0, 0.25, 0.75], { epsilon: 0, mode: 'others' }), [0, 0.25, 0.75]);
    close(smoothLabels([0, 1], {}), [0.05, 0.95]);
  });

  it('validates the target and the options', () => {
    assert.throws(() => smoothLabels([], { epsilon: 0.1, mode: 'binary' }), /target is empty/);
    assert.throws(() => smoothLabels([0, 1.5], { epsilon: 0.1, mode: 'binary' }), /target\[1\] is 1.5.*\[0, 1\]/);
    assert.throws(() => smoothLabels([0, Number.NaN], { epsilon: 0.1, mode: 'binary' }), /target\[1\] is NaN/);
    assert.throws(() => smoothLabels([1], { epsilon: 0.1, mode: 'others' }), /needs at least 2 classes/);
    assert.throws(() => smoothLabels([0, 1], { epsilon: 1.5, mode: 'binary' }), /epsilon must be ≤ 1/);
    assert.throws(() => smoothLabels([0, 1], { epsilon: -0.1, mode: 'binary' }), /epsilon must be ≥ 0/);
    assert.throws(() => smoothLabels([0, 1], { epsilon: 0.1, mode: 'softmax' as never }), /mode must be 'categorical'/);
    assert.throws(() => smoothLabels([0, 1], { epsilon: 0.1, alpha: 0.1 } as never), /alpha/);
    assert.throws(() => smoothLabels('01' as never, { epsilon: 0.1 }), /target must be an array/);
  });
});

/** A 64×64 sample with one 16×16 box of `cls` centred at (20,20). */
const sample = (id: string, cls = 1): Sample => ({
  id,
  index: 0,
  epoch: 0,
  image: { data: new Uint8Array(0), width: 64, height: 64 },
  boxes: Float32Array.of(12, 12, 28, 28),
  classes: Int32Array.of(cls),
  weights: Float32Array.of(1),
  flags: Uint8Array.of(0),
  meta: { path: id, originalWidth: 64, originalHeight: 64 },
});
/** One layer of stride 8, one 16×16 anchor: the box lands at cell (2,2). */
const oneLayer = { anchors: [[16, 16]], masks: [[0]], strides: [8], anchorSize: 64, classes: 4 };
/** Class channels at the box's slot of image `b`. */
const classesAt = (t: TargetLayer, b: number): number[] => {
  const [, gh, gw, A, K] = t.shape;
  const o = ((b * gh + 2) * gw + 2) * A * K;
  return Array.from(t.data.subarray(o + 6, o + K));
};
const f = Math.fround;

describe('smoothLabels(options): the operator', () => {
  it('stamps samples (meta) and batches, item for item (marbles)', () => {
    new TestScheduler((a, b) => assert.deepEqual(a, b)).run(({ cold, expectObservable }) => {
      const s = cold('a-b|', { a: sample('a'), b: sample('b') });
      expectObservable(s.pipe(smoothLabels({ epsilon: 0.2, mode: 'others' }), map((x) => x.meta.labelSmoothing))).toBe('a-b|', {
        a: { epsilon: 0.2, mode: 'others' },
        b: { epsilon: 0.2, mode: 'others' },
      });
      const bs = cold('a-b|', { a: sample('a'), b: sample('b') }).pipe(batch(2));
      expectObservable(bs.pipe(smoothLabels({ mode: 'binary' }), map((x: SampleBatch) => x.labelSmoothing))).toBe('--x|', {
        x: { epsilon: 0.1, mode: 'binary' },
      });
    });
  });

  it('anywhere between decode() and encodeTargets() gives the same targets; the last setting wins', async () => {
    const run = (...ops: OperatorFunction<any, any>[]) =>
      lastValueFrom(ops.reduce<Observable<any>>((o, op) => o.pipe(op), of(sample('a', 1), sample('b', 3))).pipe(toArray())) as Promise<SampleBatch[]>;
    const binary = smoothLabels({ epsilon: 0.1, mode: 'binary' });
    const before = await run(binary, batch(2), encodeTargets(oneLayer));
    const after = await run(batch(2), binary, encodeTargets(oneLayer));
    const t0 = before[0]!.targets![0]!;
    assert.deepEqual(classesAt(t0, 0), [f(0.05), f(0.95), f(0.05), f(0.05)]);
    assert.deepEqual(classesAt(t0, 1), [f(0.05), f(0.05), f(0.05), f(0.95)]);
    assert.deepEqual(after[0]!.targets![0]!.data, t0.data);
    // A later categorical setting (on the batch) overrides the earlier binary one (on the samples).
    const both = await run(binary, batch(2), smoothLabels({ epsilon: 0.2, mode: 'categorical' }), encodeTargets(oneLayer));
    assert.deepEqual(classesAt(both[0]!.targets![0]!, 0), [f(0.05), f(0.85), f(0.05), f(0.05)]);
    const others = await run(smoothLabels({ epsilon: 0.3, mode: 'others' }), batch(2), encodeTargets(oneLayer));
    assert.deepEqual(classesAt(others[0]!.targets![0]!, 0), [f(0.1), f(0.7), f(0.1), f(0.1)]);
    // Without smoothLabels: one-hot.
    const plain = await run(batch(2), encodeTargets(oneLayer));
    assert.deepEqual(classesAt(plain[0]!.targets![0]!, 0), [0, 1, 0, 0]);
  });

  it('refuses to stand after encodeTargets() or before decode(), saying where it goes', async () => {
    await assert.rejects(
      lastValueFrom(of(sample('a')).pipe(batch(1), encodeTargets(oneLayer), smoothLabels({ epsilon: 0.1 }))),
      /put smoothLabels\(\) before encodeTargets\(\)/,
    );
    const p = fromYolo(COCO128, { limit: 2, workers: 0 }).pipe(smoothLabels({ epsilon: 0.1 }) as never, decode());
    await assert.rejects(lastValueFrom(p), /put smoothLabels\(\) after decode\(\)/);
  });

  it('validates its options at once', () => {
    assert.throws(() => smoothLabels({ epsilon: 2 }), /smoothLabels\(\): epsilon: epsilon must be ≤ 1/);
    assert.throws(() => smoothLabels({ mode: 'x' as never }), /mode must be/);
  });

  it("'others' with one class fails in encodeTargets with a message", async () => {
    await assert.rejects(
      lastValueFrom(of(sample('a', 0)).pipe(smoothLabels({ mode: 'others' }), batch(1), encodeTargets({ ...oneLayer, classes: 1 }))),
      /mode 'others'.*needs at least 2 classes/,
    );
  });
});
