/** Blur (sharp's Gaussian, Darknet's background blur) and Gaussian noise, on worked numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blurKernel, drawSigma, gaussianBlur, restoreBoxes, sigmaForKernelSize } from '../src/kernels/blur.ts';
import { addGaussianNoise, normalQuantile, normalTable, noiseKernel } from '../src/kernels/noise.ts';
import { Rng } from '../src/core/rng.ts';
import { blur } from '../src/transforms/blur.ts';
import { noise } from '../src/transforms/noise.ts';
import type { RawImage } from '../src/core/types.ts';

const grey = (w: number, h: number, v: number): RawImage => ({ data: new Uint8Array(w * h * 3).fill(v), width: w, height: h });
const at = (img: RawImage, x: number, y: number, c = 0) => img.data[(y * img.width + x) * 3 + c]!;
const sample = (image: RawImage, boxes: number[] = []) => ({
  image,
  boxes: new Float32Array(boxes),
  classes: new Int32Array(boxes.length / 4),
  weights: new Float32Array(boxes.length / 4).fill(1),
  flags: new Uint8Array(boxes.length / 4),
});

describe('blur', () => {
  it('derives σ from the kernel size as OpenCV does', () => {
    assert.ok(Math.abs(sigmaForKernelSize(3) - 0.8) < 1e-12);
    assert.ok(Math.abs(sigmaForKernelSize(7) - 1.4) < 1e-12);
    assert.ok(Math.abs(sigmaForKernelSize(17) - 2.9) < 1e-12);
  });

  it('draws only odd kernel sizes from a range, each about equally often', () => {
    const seen = new Map<string, number>();
    for (let k = 0; k < 900; k++) {
      const s = drawSigma({ kernelSize: [3, 8], background: false }, new Rng(k)).toFixed(4);
      seen.set(s, (seen.get(s) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ['0.8000', '1.1000', '1.4000']);
    for (const c of seen.values()) assert.ok(c > 240 && c < 360, `${c}`);
    const sigma = drawSigma({ sigma: [1, 2], background: false }, new Rng(3));
    assert.ok(sigma >= 1 && sigma < 2);
  });

  it('spreads an impulse as a Gaussian of the requested σ and keeps a flat image flat', async () => {
    const img = grey(21, 21, 0);
    img.data.fill(255, (10 * 21 + 10) * 3, (10 * 21 + 10) * 3 + 3);
    const out = await gaussianBlur(img, 2);
    assert.equal(out.width, 21);
    assert.equal(out.height, 21);
    // the peak of a 2-D Gaussian holding 255: 255 / (2π σ²) = 10.15
    assert.ok(Math.abs(at(out, 10, 10) - 10.15) <= 1, `${at(out, 10, 10)}`);
    // one pixel away: × exp(−1/8) = 8.96; two: × exp(−4/8) = 6.16
    assert.ok(Math.abs(at(out, 11, 10) - 8.96) <= 1, `${at(out, 11, 10)}`);
    assert.ok(Math.abs(at(out, 10, 12) - 6.16) <= 1, `${at(out, 10, 12)}`);
    assert.equal(at(out, 9, 10), at(out, 11, 10), 'symmetric');
    assert.equal(at(out, 0, 0), 0);
    const flat = await gaussianBlur(grey(16, 9, 93), 1.5);
    assert.ok(flat.data.every((v) => v === 93));
  });

  it('a σ below sharp\'s minimum is the identity', async () => {
    const img = grey(4, 4, 10);
    assert.equal(await gaussianBlur(img, 0.1), img);
  });

  it('background blur restores the pixels of each box, truncated the way Darknet does', () => {
    const original: RawImage = { data: Uint8Array.from({ length: 10 * 8 * 3 }, (_, i) => i % 256), width: 10, height: 8 };
    const blurred = grey(10, 8, 7);
    // left trunc(2.7) = 2, width trunc(4.2) = 4 → columns 2..5; top 1, height trunc(4.6) = 4 → rows 1..4
    const out = restoreBoxes(original, blurred, new Float32Array([2.7, 1.2, 6.9, 5.8]));
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 10; x++) {
        const inside = x >= 2 && x <= 5 && y >= 1 && y <= 4;
        for (let c = 0; c < 3; c++) assert.equal(at(out, x, y, c), inside ? at(original, x, y, c) : 7, `${x},${y}`);
      }
    }
  });

  it('the kernel blurs outside the boxes only in background mode, and never moves boxes', async () => {
    const img: RawImage = { data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => ((i * 37) % 251)), width: 32, height: 32 };
    const s = sample(img, [8, 8, 20, 20]);
    const out = await blurKernel(s, { sigma: [2, 2], background: true }, new Rng(1));
    assert.equal(out.boxes, s.boxes);
    assert.equal(at(out.image, 10, 10), at(img, 10, 10));
    assert.equal(at(out.image, 19, 19, 2), at(img, 19, 19, 2));
    assert.notEqual(at(out.image, 2, 2), at(img, 2, 2));
    const all = await blurKernel(s, { sigma: [2, 2], background: false }, new Rng(1));
    assert.notEqual(at(all.image, 10, 10), at(img, 10, 10));
    assert.deepEqual(Array.from(img.data.subarray(0, 6)), [0, 37, 74, 111, 148, 185], 'input untouched');
  });

  it('validates its options', () => {
    assert.throws(() => blur({ sigma: 0.1 }), /sigma must be ≥ 0.3/);
    assert.throws(() => blur({ sigma: 1, kernelSize: 3 }), /not both/);
    assert.deepEqual(blur().options, { kernelSize: [3, 7], background: false });
    assert.deepEqual(blur({ kernelSize: 17, background: true, p: 1 }), { name: 'blur', p: 1, options: { kernelSize: [17, 17], background: true } });
  });
});

describe('noise', () => {
  it('normal quantiles match the standard table', () => {
    assert.equal(normalQuantile(0.5), 0);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.01) + 2.326347874) < 1e-8);
    assert.ok(Math.abs(normalQuantile(1e-5) + 4.264890794) < 1e-7);
    const t = normalTable();
    let mean = 0;
    let sq = 0;
    for (const v of t) { mean += v; sq += v * v; }
    mean /= t.length;
    assert.ok(Math.abs(mean) < 1e-12, 'symmetric table');
    assert.ok(Math.abs(sq / t.length - 1) < 1e-3, `variance ${sq / t.length}`);
    assert.ok(Math.abs(t[65535]! - 4.3249) < 1e-3, `${t[65535]}`);
  });

  it('adds N(0, σ): mean and standard deviation of the noise on a grey image', () => {
    const out = addGaussianNoise(grey(200, 200, 128), 10, new Rng(5));
    let mean = 0;
    let sq = 0;
    for (const v of out.data) { mean += v; sq += (v - 128) ** 2; }
    mean /= out.data.length;
    const sd = Math.sqrt(sq / out.data.length);
    // 120 000 values: the standard error of the mean is 0.03
    assert.ok(Math.abs(mean - 128) < 0.15, `${mean}`);
    assert.ok(Math.abs(sd - 10) < 0.15, `${sd}`);
  });

  it('clips at 0: on a black image the mean is E[max(0, round(σz))] ≈ σ/√(2π)', () => {
    const out = addGaussianNoise(grey(200, 200, 0), 10, new Rng(6));
    const mean = out.data.reduce((a, v) => a + v, 0) / out.data.length;
    assert.ok(Math.abs(mean - 3.99) < 0.1, `${mean}`);
  });

  it('σ = 0 changes nothing, perChannel false keeps a grey pixel grey, the same key gives the same bytes', () => {
    const img = grey(17, 5, 200);
    assert.deepEqual(addGaussianNoise(img, 0, new Rng(1)).data, img.data);
    const g = addGaussianNoise(img, 20, new Rng(2), false);
    for (let i = 0; i < g.data.length; i += 3) {
      assert.equal(g.data[i], g.data[i + 1]);
      assert.equal(g.data[i], g.data[i + 2]);
    }
    assert.deepEqual(addGaussianNoise(img, 20, new Rng(3)).data, addGaussianNoise(img, 20, new Rng(3)).data);
    assert.notDeepEqual(addGaussianNoise(img, 20, new Rng(3)).data, addGaussianNoise(img, 20, new Rng(4)).data);
  });

  it('the kernel leaves boxes alone, and the factory validates', async () => {
    const s = sample(grey(8, 8, 50), [1, 1, 5, 5]);
    const out = await noiseKernel(s, { sigma: [5, 5], perChannel: true }, new Rng(0));
    assert.equal(out.boxes, s.boxes);
    assert.ok(s.image.data.every((v) => v === 50), 'input untouched');
    assert.deepEqual(noise({ sigma: 12 }).options, { sigma: [12, 12], perChannel: true });
    assert.throws(() => noise({ sigma: [9, 3] }), /lo ≤ hi/);
    assert.throws(() => noise({ sigma: -1 }), /≥ 0/);
  });
});

describe('Rng.fillU32', () => {
  it('gives exactly the values u32() would, and leaves the stream where u32() would', () => {
    const a = new Rng(1, 2, 3);
    const b = new Rng(1, 2, 3);
    const bulk = a.fillU32(new Uint32Array(1000));
    for (let i = 0; i < 1000; i++) assert.equal(bulk[i], b.u32());
    assert.equal(a.u32(), b.u32());
    assert.equal(a.next(), b.next());
  });
});

describe('noise in WebAssembly', () => {
  /** The loop as plain TypeScript on `rng.u32()`: what the wasm loop must reproduce byte for byte. */
  function reference(src: Uint8Array, sigma: number, rng: Rng, perChannel: boolean): Uint8Array {
    const table = normalTable();
    const off = (i: number) => {
      const v = sigma * table[i]!;
      return Math.max(-255, Math.min(255, Math.sign(v) * Math.round(Math.abs(v))));
    };
    const clip = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
    const out = new Uint8Array(src.length);
    if (perChannel) {
      for (let i = 0; i < src.length; i += 2) {
        const r = rng.u32();
        out[i] = clip(src[i]! + off(r & 0xffff));
        if (i + 1 < src.length) out[i + 1] = clip(src[i + 1]! + off(r >>> 16));
      }
    } else {
      for (let i = 0; i < src.length; i += 3) {
        const o = off(rng.u32() & 0xffff);
        for (let c = 0; c < 3; c++) out[i + c] = clip(src[i + c]! + o);
      }
    }
    return out;
  }

  it('gives the bytes of the TypeScript loop and leaves the rng where u32() would', () => {
    for (const [w, h] of [[7, 5], [64, 33], [1, 1]] as const) {
      const img = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256), width: w, height: h };
      for (const perChannel of [true, false]) {
        const a = new Rng(9, w, h);
        const b = new Rng(9, w, h);
        const got = addGaussianNoise(img, 12.5, a, perChannel);
        assert.deepEqual(got.data, reference(img.data, 12.5, b, perChannel));
        assert.equal(a.u32(), b.u32(), 'rng state advanced identically');
      }
    }
  });
});
