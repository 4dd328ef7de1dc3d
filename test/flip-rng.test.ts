/**
 * Flips (SPEC §3: x1' = W − x2, x2' = W − x1), the counter-based RNG (SPEC §0) and
 * chains of transforms (runChain, oneOf, someOf).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { flipImageHorizontal, flipImageVertical, flipKernel } from '../src/kernels/flip.ts';
import { Rng } from '../src/core/rng.ts';
import { applySpec, runChain, type Kernel, type KernelLookup, type KernelSample, type TransformSpec } from '../src/kernels/transform.ts';
import { lookupKernel } from '../src/kernels/registry.ts';

/** 3×2 image, pixel (x,y) = [c, c+1, c+2] with c = 1 + 3·(3y + x). */
function tiny(boxes: number[] = []): KernelSample {
  const n = boxes.length / 4;
  return {
    image: { data: Uint8Array.from({ length: 18 }, (_, i) => i + 1), width: 3, height: 2 },
    boxes: new Float32Array(boxes),
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: new Float32Array(n).fill(1),
    flags: new Uint8Array(n),
    meta: { path: 'tiny.png', originalWidth: 3, originalHeight: 2 },
  };
}

describe('flipKernel', () => {
  it('horizontal on a 3×2 image: pixels mirrored per row, x1\' = W − x2, x2\' = W − x1', () => {
    // rows  [p00 p01 p02] = [1..3 | 4..6 | 7..9],  [p10 p11 p12] = [10..12 | 13..15 | 16..18]
    // box [0.5,0,2,1.5] → [3−2, 0, 3−0.5, 1.5] = [1, 0, 2.5, 1.5]; [0,0,3,2] → itself
    const s = tiny([0.5, 0, 2, 1.5, 0, 0, 3, 2]);
    const out = flipKernel(s, 'horizontal');
    assert.deepEqual(Array.from(out.image.data), [7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12]);
    assert.deepEqual(Array.from(out.boxes), [1, 0, 2.5, 1.5, 0, 0, 3, 2]);
    assert.equal(out.image.width, 3);
    assert.equal(out.image.height, 2);
    // pure: the input is untouched, per-box arrays and meta pass through
    assert.deepEqual(Array.from(s.image.data), Array.from({ length: 18 }, (_, i) => i + 1));
    assert.deepEqual(Array.from(s.boxes), [0.5, 0, 2, 1.5, 0, 0, 3, 2]);
    assert.equal(out.classes, s.classes);
    assert.equal(out.meta, s.meta);
  });

  it('vertical on a 3×2 image: rows swapped, y1\' = H − y2, y2\' = H − y1', () => {
    // box [0.5,0,2,1.5] → [0.5, 2−1.5, 2, 2−0] = [0.5, 0.5, 2, 2]
    const out = flipKernel(tiny([0.5, 0, 2, 1.5]), 'vertical');
    assert.deepEqual(Array.from(out.image.data), [10, 11, 12, 13, 14, 15, 16, 17, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(Array.from(out.boxes), [0.5, 0.5, 2, 2]);
  });

  it('flipImageHorizontal / flipImageVertical on a 1-pixel image are copies', () => {
    const img = { data: new Uint8Array([9, 8, 7]), width: 1, height: 1 };
    assert.deepEqual(Array.from(flipImageHorizontal(img).data), [9, 8, 7]);
    assert.deepEqual(Array.from(flipImageVertical(img).data), [9, 8, 7]);
  });

  it('flipping twice restores pixels and boxes exactly (property)', () => {
    // Box coordinates on a 1/16 grid: W − x is then exact in float32, so the round trip is bit-exact.
    const arb = fc
      .record({ w: fc.integer({ min: 1, max: 24 }), h: fc.integer({ min: 1, max: 24 }), n: fc.integer({ min: 0, max: 5 }) })
      .chain(({ w, h, n }) =>
        fc.record({
          w: fc.constant(w),
          h: fc.constant(h),
          data: fc.uint8Array({ minLength: w * h * 3, maxLength: w * h * 3 }),
          boxes: fc.array(
            fc.tuple(fc.integer({ min: 0, max: w * 16 }), fc.integer({ min: 0, max: h * 16 }),
              fc.integer({ min: 0, max: w * 16 }), fc.integer({ min: 0, max: h * 16 }))
              .map(([a, b, c, d]) => [Math.min(a, c) / 16, Math.min(b, d) / 16, Math.max(a, c) / 16, Math.max(b, d) / 16]),
            { minLength: n, maxLength: n },
          ),
          direction: fc.constantFrom('horizontal' as const, 'vertical' as const),
        }),
      );
    fc.assert(
      fc.property(arb, ({ w, h, data, boxes, direction }) => {
        const n = boxes.length;
        const s: KernelSample = {
          image: { data, width: w, height: h },
          boxes: new Float32Array(boxes.flat()),
          classes: new Int32Array(n),
          weights: new Float32Array(n).fill(1),
          flags: new Uint8Array(n),
        };
        const once = flipKernel(s, direction);
        const twice = flipKernel(once, direction);
        assert.deepEqual(twice.image.data, data);
        assert.deepEqual(twice.boxes, s.boxes);
        // each flipped box is still a valid box inside the image
        for (let i = 0; i < once.boxes.length; i += 4) {
          assert.ok(once.boxes[i]! >= 0 && once.boxes[i]! <= once.boxes[i + 2]! && once.boxes[i + 2]! <= w);
          assert.ok(once.boxes[i + 1]! >= 0 && once.boxes[i + 1]! <= once.boxes[i + 3]! && once.boxes[i + 3]! <= h);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('Rng', () => {
  const draws = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.u32());

  it('the same key gives the same sequence', () => {
    assert.deepEqual(draws(new Rng(1, 2, 3, 4), 50), draws(new Rng(1, 2, 3, 4), 50));
    assert.deepEqual(draws(new Rng(), 5), draws(new Rng(), 5));
  });

  it('different keys give different sequences', () => {
    const keys = [[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 4, 4], [2, 1, 3, 4], [1, 2, 3], [1, 2, 3, 4, 0], [0], [2 ** 32], [2 ** 32 + 1], [1]];
    const seqs = keys.map((k) => draws(new Rng(...k), 4).join(','));
    assert.equal(new Set(seqs).size, keys.length);
  });

  it('u32 and next stay in range', () => {
    const r = new Rng(7);
    for (let i = 0; i < 2000; i++) {
      const u = r.u32();
      assert.ok(Number.isInteger(u) && u >= 0 && u < 2 ** 32);
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      const y = r.uniform(-3, 5);
      assert.ok(y >= -3 && y < 5);
    }
  });

  it('int(lo, hi) stays in [lo, hi] and hits both ends', () => {
    const r = new Rng(11);
    const seen = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const v = r.int(-2, 3);
      assert.ok(Number.isInteger(v) && v >= -2 && v <= 3, `${v}`);
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [-2, -1, 0, 1, 2, 3]);
    // each of 6 values ≈ 667 times
    for (const c of seen.values()) assert.ok(c > 550 && c < 790, `${c}`);
    assert.equal(new Rng(3).int(5, 5), 5);
  });

  it('shuffle is a permutation, in place, and depends on the key', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const r = new Rng(5);
    const out = r.shuffle(a);
    assert.equal(out, a);
    assert.deepEqual([...out].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(out, Array.from({ length: 50 }, (_, i) => i));
    const b = new Rng(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(b, out);
    const c = new Rng(6).shuffle(Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(c, out);
    assert.deepEqual(new Rng(1).shuffle([]), []);
    assert.deepEqual(new Rng(1).shuffle(['x']), ['x']);
  });

  it('normal() has mean ≈ 0 and sd ≈ 1 over 20000 draws', () => {
    const r = new Rng(2024);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      assert.ok(Number.isFinite(x));
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.05, `sd ${sd}`);
  });

  it('beta(32, 32) has mean ≈ 0.5 and stays in (0, 1)', () => {
    // Beta(32,32): mean 0.5, sd sqrt(0.25/65) ≈ 0.062
    const r = new Rng(99);
    const n = 5000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.beta(32, 32);
      assert.ok(x > 0 && x < 1);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(sq / n - mean * mean) - 0.062) < 0.01);
  });

  it('chance(0) never, chance(1) always, chance(0.3) about 30 %', () => {
    const r = new Rng(1);
    let hits = 0;
    for (let i = 0; i < 5000; i++) {
      assert.equal(r.chance(0), false);
      assert.equal(r.chance(1), true);
      if (r.chance(0.3)) hits++;
    }
    assert.ok(Math.abs(hits / 5000 - 0.3) < 0.03, `${hits}`);
  });
});

// ---- chains -------------------------------------------------------------------------------

interface Log {
  name: string;
  t: number;
  draw: number;
  boxes: number[];
}

/**
 * Test kernels on top of the real registry: `rec` records one draw of its rng and the boxes it
 * sees; `tagA`/`tagB`/`tagC` append their name to `meta.applied`.
 */
function makeLookup(log: Log[] = []): KernelLookup {
  const rec: Kernel<{ t: number }> = (s, o, rng) => {
    log.push({ name: 'rec', t: o.t, draw: rng.u32(), boxes: Array.from(s.boxes) });
    return s;
  };
  const tag = (name: string): Kernel => (s) => ({
    ...s,
    meta: { ...s.meta!, applied: [...((s.meta?.applied as string[] | undefined) ?? []), name] },
  });
  const own: Record<string, Kernel> = { rec, tagA: tag('A'), tagB: tag('B'), tagC: tag('C') };
  return (name) => own[name] ?? lookupKernel(name);
}

const applied = (s: KernelSample): string[] => (s.meta?.applied as string[] | undefined) ?? [];
const hflip = (p: number): TransformSpec => ({ name: 'flip', p, options: { direction: 'horizontal' } });

describe('runChain', () => {
  it('a p = 0 transform is the identity, bit for bit', async () => {
    const s = tiny([0.5, 0, 2, 1.5]);
    const data = s.image.data.slice();
    const boxes = s.boxes.slice();
    const chain: TransformSpec[] = [hflip(0), { name: 'letterbox', p: 0, options: { width: 64, height: 64 } }];
    for (let k = 0; k < 20; k++) {
      const out = await runChain(s, chain, [0, 0, k], makeLookup());
      assert.equal(out, s);
      assert.deepEqual(out.image.data, data);
      assert.deepEqual(out.boxes, boxes);
    }
  });

  it('a p = 1 flip always flips, and an empty chain returns the sample', async () => {
    const s = tiny([0.5, 0, 2, 1.5]);
    assert.deepEqual(Array.from((await runChain(s, [hflip(1)], [3], makeLookup())).boxes), [1, 0, 2.5, 1.5]);
    assert.equal(await runChain(s, [], [3], makeLookup()), s);
  });

  it('p = 0.5 flips about half of the samples, and the same key decides the same way', async () => {
    let flipped = 0;
    for (let k = 0; k < 1000; k++) {
      const a = await runChain(tiny([0.5, 0, 2, 1.5]), [hflip(0.5)], [1, 0, k], makeLookup());
      const b = await runChain(tiny([0.5, 0, 2, 1.5]), [hflip(0.5)], [1, 0, k], makeLookup());
      assert.deepEqual(a.boxes, b.boxes);
      if (a.boxes[0] === 1) flipped++;
    }
    assert.ok(Math.abs(flipped / 1000 - 0.5) < 0.06, `${flipped}`);
  });

  it('transform t draws from the stream keyed [...key, t]', async () => {
    // p = 1 consumes no draw (chance(1) short-circuits), so the kernel's first u32 is the stream's first
    const log: Log[] = [];
    await runChain(tiny(), [{ name: 'rec', p: 1, options: { t: 0 } }, { name: 'rec', p: 1, options: { t: 1 } }], [7, 1, 42], makeLookup(log));
    assert.deepEqual(log.map((l) => l.draw), [new Rng(7, 1, 42, 0).u32(), new Rng(7, 1, 42, 1).u32()]);
  });

  it('appending a transform does not change the draws of the ones before it', async () => {
    const short: TransformSpec[] = [hflip(0.5), { name: 'rec', p: 0.7, options: { t: 1 } }];
    const long: TransformSpec[] = [...short, { name: 'flip', p: 0.5, options: { direction: 'vertical' } }, { name: 'rec', p: 1, options: { t: 3 } }];
    let recorded = 0;
    for (let k = 0; k < 200; k++) {
      const a: Log[] = [];
      const b: Log[] = [];
      const outA = await runChain(tiny([0.5, 0, 2, 1.5]), short, [9, 2, k], makeLookup(a));
      await runChain(tiny([0.5, 0, 2, 1.5]), long, [9, 2, k], makeLookup(b));
      // everything the short chain logged (flip decision seen through the boxes, rec's draw) is a prefix of the long one
      assert.deepEqual(b.filter((l) => l.t === 1), a);
      assert.equal(b.filter((l) => l.t === 3).length, 1);
      if (a.length) assert.deepEqual(a[0]!.boxes, Array.from(outA.boxes));
      recorded += a.length;
    }
    assert.ok(recorded > 100 && recorded < 180, `${recorded}`);
  });

  it('throws a clear error for an unregistered kernel', async () => {
    await assert.rejects(runChain(tiny(), [{ name: 'nope', p: 1, options: {} }], [0], makeLookup()), /unknown transform "nope"/);
  });
});

describe('oneOf', () => {
  it('picks one child in proportion to the children\'s p', async () => {
    // children p 1 and 3 → A with probability 1/4
    const spec: TransformSpec = {
      name: 'oneOf', p: 1, options: {},
      children: [{ name: 'tagA', p: 1, options: {} }, { name: 'tagB', p: 3, options: {} }],
    };
    const counts = { A: 0, B: 0 };
    const N = 4000;
    for (let k = 0; k < N; k++) {
      const out = applied(await runChain(tiny(), [spec], [5, 0, k], makeLookup()));
      assert.equal(out.length, 1, 'exactly one child is applied');
      counts[out[0] as 'A' | 'B']++;
    }
    // sd of the fraction ≈ sqrt(0.25·0.75/4000) ≈ 0.007
    assert.ok(Math.abs(counts.A / N - 0.25) < 0.03, JSON.stringify(counts));
    assert.equal(counts.A + counts.B, N);
  });

  it('its own p gates the whole group; a group of p-0 children does nothing', async () => {
    const spec: TransformSpec = { name: 'oneOf', p: 0, options: {}, children: [{ name: 'tagA', p: 1, options: {} }] };
    const none: TransformSpec = { name: 'oneOf', p: 1, options: {}, children: [{ name: 'tagA', p: 0, options: {} }] };
    for (let k = 0; k < 50; k++) {
      assert.deepEqual(applied(await runChain(tiny(), [spec], [k], makeLookup())), []);
      assert.deepEqual(applied(await runChain(tiny(), [none], [k], makeLookup())), []);
    }
  });
});

describe('someOf', () => {
  it('applies n distinct children, in declared order, covering every combination', async () => {
    const spec: TransformSpec = {
      name: 'someOf', p: 1, options: { n: 2 },
      children: ['A', 'B', 'C'].map((c) => ({ name: `tag${c}`, p: 1, options: {} })),
    };
    const combos = new Map<string, number>();
    for (let k = 0; k < 600; k++) {
      const out = applied(await runChain(tiny(), [spec], [8, 0, k], makeLookup()));
      assert.equal(out.length, 2);
      assert.equal(new Set(out).size, 2, 'distinct');
      assert.deepEqual(out, [...out].sort(), 'declared order');
      combos.set(out.join(''), (combos.get(out.join('')) ?? 0) + 1);
    }
    assert.deepEqual([...combos.keys()].sort(), ['AB', 'AC', 'BC']);
    for (const c of combos.values()) assert.ok(c > 150 && c < 250, `${c}`);
  });

  it('n larger than the number of children applies each child once', async () => {
    const spec: TransformSpec = {
      name: 'someOf', p: 1, options: { n: 5 },
      children: ['A', 'B'].map((c) => ({ name: `tag${c}`, p: 1, options: {} })),
    };
    for (let k = 0; k < 20; k++) assert.deepEqual(applied(await applySpec(tiny(), spec, new Rng(k), makeLookup())), ['A', 'B']);
  });
});
