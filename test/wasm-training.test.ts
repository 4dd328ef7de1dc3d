/**
 * Training on TensorFlow.js's wasm backend (src/train/wasm-kernels.ts, src/train/layers.ts):
 * every kernel registerTrainingKernels() adds or replaces is checked against the cpu
 * backend (forward values and gradients, ~1e-5 relative), the layers against hand
 * computations, and a full training step for agreement and for leaks.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tensor/backend.ts';
import { registerTrainingKernels, TRAINING_KERNELS, unregisterTrainingKernels } from '../src/train/wasm-kernels.ts';
import { mish, upsample2x } from '../src/train/layers.ts';

type Pad = 'same' | 'valid';

/** Deterministic inputs: the same numbers for both backends. */
function lcg(seed: number): (n: number, scale?: number, shift?: number) => Float32Array {
  let s = seed >>> 0;
  return (n, scale = 1, shift = 0) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = (s / 2 ** 32 - 0.5) * 2 * scale + shift;
    }
    return out;
  };
}

/** Runs `fn` on one backend and reads every result back (tensors disposed). */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<{ shape: number[]; data: Float32Array }[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  return outs.map((t) => {
    const r = { shape: t.shape, data: t.dataSync() as Float32Array };
    t.dispose();
    return r;
  });
}

/** max |a − b| ≤ rel · max |b|: agreement relative to the tensor's scale. */
function assertClose(actual: { shape: number[]; data: Float32Array }, expected: { shape: number[]; data: Float32Array }, rel: number, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.data.length; i++) {
    diff = Math.max(diff, Math.abs(actual.data[i]! - expected.data[i]!));
    scale = Math.max(scale, Math.abs(expected.data[i]!));
  }
  assert.ok(scale > 0, `${label}: reference is all zero`);
  assert.ok(diff <= rel * scale, `${label}: max |wasm − cpu| = ${diff} > ${rel} × ${scale}`);
}

async function compare(label: string, fn: () => tf.Tensor[], names: string[], rel = 1e-5): Promise<void> {
  const wasm = await on('wasm', fn);
  const cpu = await on('cpu', fn);
  names.forEach((name, i) => assertClose(wasm[i]!, cpu[i]!, rel, `${label} ${name}`));
}

const outSize = (n: number, k: number, s: number, pad: Pad) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1);

before(async () => {
  assert.equal(await initBackend('wasm'), 'wasm');
  registerTrainingKernels();
});

describe('registerTrainingKernels', () => {
  it('registers every kernel on wasm, idempotently, and unregistering restores the shipped ones', () => {
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc;
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
    try {
      registerTrainingKernels();
      registerTrainingKernels();
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);
    for (const name of TRAINING_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), name);
    unregisterTrainingKernels();
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined, 'missing in tfjs 4.22');
    assert.equal(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm'), undefined);
    const restored = tf.getKernel('Conv2DBackpropInput', 'wasm');
    assert.ok(restored && restored.kernelFunc !== ours && restored.setupFunc, 'the shipped kernel (with its wasm setup) is back');
    registerTrainingKernels();
    assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc, ours);
  });

  it('fixes a real bug: the shipped MaxPoolGrad misroutes all-negative windows', async () => {
    const x = new Float32Array([-3, -1, -2, -4]);
    const grad = () => [tf.grad((a: tf.Tensor4D) => tf.maxPool(a, 2, 2, 'valid').sum())(tf.tensor4d(x, [1, 2, 2, 1]))];
    unregisterTrainingKernels(['MaxPoolGrad']);
    const shipped = (await on('wasm', grad))[0]!.data;
    registerTrainingKernels();
    const ours = (await on('wasm', grad))[0]!.data;
    assert.deepEqual(Array.from(ours), [0, 1, 0, 0], 'the gradient goes to the maximum, −1');
    // If this fails, tfjs fixed its kernel and the override can go.
    assert.notDeepEqual(Array.from(shipped), [0, 1, 0, 0]);
  });
});

describe('conv2d on wasm matches cpu (forward, dx, dW)', () => {
  it('strides 1/2 × same/valid × kernel 1/3 × batch 1/3 × odd/even sizes, 3→8 channels', async () => {
    const rnd = lcg(7);
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as Pad[]) {
        for (const k of [1, 3]) {
          for (const B of [1, 3]) {
            for (const [H, W] of [[9, 7], [8, 10]] as const) {
              const xs = rnd(B * H * W * 3);
              const fs = rnd(k * k * 3 * 8);
              const rs = rnd(B * outSize(H, k, s, pad) * outSize(W, k, s, pad) * 8);
              await compare(`conv s${s} ${pad} k${k} b${B} ${H}×${W}`, () => {
                const x = tf.tensor4d(xs, [B, H, W, 3]);
                const f = tf.tensor4d(fs, [k, k, 3, 8]);
                // A random dy, so a wrong position cannot hide behind equal weights.
                const r = tf.tensor(rs);
                const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                  tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).flatten().mul(r).sum())([x, f]);
                return [tf.conv2d(x, f, s, pad), dx!, df!];
              }, ['y', 'dx', 'dW']);
            }
          }
        }
      }
    }
  });

  it('explicit asymmetric padding, wider than the kernel reaches, with 16→8 channels at batch 2', async () => {
    type Explicit = [[number, number], [number, number], [number, number], [number, number]];
    const rnd = lcg(11);
    const cases: { s: number; k: number; pad: Explicit }[] = [
      { s: 2, k: 3, pad: [[0, 0], [2, 0], [2, 1], [0, 0]] },
      { s: 1, k: 1, pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
    ];
    for (const { s, k, pad } of cases) {
      const oh = Math.floor((11 + pad[1][0] + pad[1][1] - k) / s) + 1;
      const ow = Math.floor((10 + pad[2][0] + pad[2][1] - k) / s) + 1;
      const xs = rnd(2 * 11 * 10 * 16);
      const fs = rnd(k * k * 16 * 8);
      const rs = rnd(2 * oh * ow * 8);
      await compare(`conv explicit s${s} k${k}`, () => {
        const x = tf.tensor4d(xs, [2, 11, 10, 16]);
        const f = tf.tensor4d(fs, [k, k, 16, 8]);
        const r = tf.tensor(rs);
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).flatten().mul(r).sum())([x, f]);
        return [tf.conv2d(x, f, s, pad), dx!, df!];
      }, ['y', 'dx', 'dW']);
    }
  });
});

describe('depthwiseConv2d on wasm matches cpu (forward, dx, dW)', () => {
  it('strides 1/2 × same/valid × kernel 1/3 × batch 1/3 × multiplier 1/2, odd/even sizes', async () => {
    const rnd = lcg(13);
    let i = 0;
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as Pad[]) {
        for (const k of [1, 3]) {
          for (const B of [1, 3]) {
            for (const m of [1, 2]) {
              const [H, W] = i++ % 2 ? [9, 8] : [8, 7];
              const xs = rnd(B * H * W * 3);
              const fs = rnd(k * k * 3 * m);
              const rs = rnd(B * outSize(H, k, s, pad) * outSize(W, k, s, pad) * 3 * m);
              await compare(`depthwise s${s} ${pad} k${k} b${B} m${m} ${H}×${W}`, () => {
                const x = tf.tensor4d(xs, [B, H, W, 3]);
                const f = tf.tensor4d(fs, [k, k, 3, m]);
                const r = tf.tensor(rs);
                const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                  tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).flatten().mul(r).sum())([x, f]);
                return [tf.depthwiseConv2d(x, f, s, pad), dx!, df!];
              }, ['y', 'dx', 'dW']);
            }
          }
        }
      }
    }
  });
});

describe('maxPool gradient on wasm matches cpu on all-negative windows', () => {
  it('2×2 stride 2 and SPP 5/9/13 stride 1 "same", on Mish outputs', async () => {
    const rnd = lcg(17);
    // Mish of N(−2.5, 1)-ish inputs: every value in [−0.31, 0), as after a Mish layer.
    const pre = rnd(2 * 11 * 10 * 4, 1.5, -2.5);
    const negatives = (await on('cpu', () => [mish(tf.tensor(pre))]))[0]!.data;
    assert.ok(negatives.every((v) => v < 0 && v > -0.31), 'every window is all negative');
    for (const [k, s, pad] of [[2, 2, 'valid'], [2, 2, 'same'], [5, 1, 'same'], [9, 1, 'same'], [13, 1, 'same']] as const) {
      const probe = tf.maxPool(tf.zeros([2, 11, 10, 4]) as tf.Tensor4D, k, s, pad);
      const rs = rnd(probe.size);
      probe.dispose();
      await compare(`maxPool ${k}/${s} ${pad}`, () => {
        const x = tf.tensor4d(negatives, [2, 11, 10, 4]);
        const r = tf.tensor(rs);
        const dx = tf.grad((a: tf.Tensor4D) => tf.maxPool(a, k, s, pad).flatten().mul(r).sum())(x);
        return [tf.maxPool(x, k, s, pad), dx];
      }, ['y', 'dx']);
    }
  });

  it('worked: each dy lands on its window maximum; ties go to the first in row-major order', async () => {
    const x = tf.tensor4d([
      -0.30, -0.10, -0.20, -0.25,
      -0.05, -0.29, -0.12, -0.11,
      -1.00, -1.00, -0.20, -0.20,
      -1.00, -1.00, -0.20, -0.20,
    ], [1, 4, 4, 1]);
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    await tf.setBackend('wasm');
    const dx = tf.grad((a: tf.Tensor4D) => tf.maxPool(a, 2, 2, 'valid').mul(dy).sum())(x);
    assert.deepEqual(Array.from(dx.dataSync()), [
      0, 0, 0, 0,
      1, 0, 0, 2,
      3, 0, 4, 0,
      0, 0, 0, 0,
    ]);
    tf.dispose([x, dy, dx]);
  });
});

describe('layers', () => {
  it('upsample2x: exact nearest ×2, and its gradient sums each 2×2 block (worked)', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const y = upsample2x(x);
      assert.deepEqual(y.arraySync(), [[[[1], [1], [2], [2]], [[1], [1], [2], [2]], [[3], [3], [4], [4]], [[3], [3], [4], [4]]]]);
      const dy = tf.range(0, 16).reshape([1, 4, 4, 1]);
      const dx = tf.grad((a: tf.Tensor4D) => upsample2x(a).mul(dy).sum())(x);
      // [[0+1+4+5, 2+3+6+7], [8+9+12+13, 10+11+14+15]]
      assert.deepEqual(Array.from(dx.dataSync()), [10, 18, 42, 50], backend);
      tf.dispose([x, y, dy, dx]);
    }
  });

  it('upsample2x at batch 2 × 3 channels equals the hand loop (the case cpu ResizeNearestNeighborGrad gets wrong)', async () => {
    const [B, H, W, C] = [2, 3, 2, 3];
    const rnd = lcg(19);
    const xs = rnd(B * H * W * C);
    const dys = rnd(B * 2 * H * 2 * W * C);
    const up = new Float32Array(dys.length);
    const back = new Float32Array(xs.length);
    for (let b = 0; b < B; b++) {
      for (let y = 0; y < 2 * H; y++) {
        for (let x = 0; x < 2 * W; x++) {
          for (let c = 0; c < C; c++) {
            const o = ((b * 2 * H + y) * 2 * W + x) * C + c;
            const i = ((b * H + (y >> 1)) * W + (x >> 1)) * C + c;
            up[o] = xs[i]!;
            back[i] = back[i]! + dys[o]!;
          }
        }
      }
    }
    for (const backend of ['wasm', 'cpu']) {
      const [y, dx] = await on(backend, () => {
        const x = tf.tensor4d(xs, [B, H, W, C]);
        const dy = tf.tensor4d(dys, [B, 2 * H, 2 * W, C]);
        return [upsample2x(x), tf.grad((a: tf.Tensor4D) => upsample2x(a).mul(dy).sum())(x)];
      });
      assert.deepEqual(Array.from(y!.data), Array.from(up), `${backend} values`);
      assertClose(dx!, { shape: [B, H, W, C], data: back }, 1e-6, `${backend} gradient`);
    }
  });

  it('mish and its gradient match float64 x·tanh(softplus(x)), finite from −1000 to 1000', async () => {
    const xs = [-1000, -100, -20, -5, -1.1924, -0.3, 0, 0.5, 1, 5, 20, 88, 100, 1000];
    const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    const ref = xs.map((x) => x * Math.tanh(softplus(x)));
    const dref = xs.map((x) => {
      const t = Math.tanh(softplus(x));
      return t + (x / (1 + Math.exp(-x))) * (1 - t * t);
    });
    assert.ok(Math.abs(ref[4]! + 0.3088) < 1e-4, 'Mish minimum ≈ −0.3088 at x ≈ −1.1924');
    for (const backend of ['wasm', 'cpu']) {
      const [y, dy] = await on(backend, () => {
        const x = tf.tensor1d(xs);
        return [mish(x), tf.grad((a: tf.Tensor) => mish(a).sum())(x)];
      });
      xs.forEach((x, i) => {
        const tol = (v: number) => 2e-6 * Math.abs(v) + 1e-12;
        assert.ok(Number.isFinite(y!.data[i]!) && Math.abs(y!.data[i]! - ref[i]!) <= tol(ref[i]!), `${backend} mish(${x}) = ${y!.data[i]} vs ${ref[i]}`);
        assert.ok(Math.abs(dy!.data[i]! - dref[i]!) <= tol(dref[i]!) + 1e-7, `${backend} mish'(${x}) = ${dy!.data[i]} vs ${dref[i]}`);
      });
    }
  });
});

/** A small net with every registered kernel on the gradient path. */
function tinyNet(rnd: ReturnType<typeof lcg>) {
  const init = {
    w1: rnd(3 * 3 * 3 * 8, 0.3), w2: rnd(1 * 1 * 32 * 8, 0.2), w3: rnd(3 * 3 * 8 * 1, 0.3),
    x: rnd(2 * 12 * 10 * 3), target: rnd(2 * 12 * 10 * 8, 0.5),
  };
  const build = () => {
    const w1 = tf.variable(tf.tensor4d(init.w1, [3, 3, 3, 8]));
    const w2 = tf.variable(tf.tensor4d(init.w2, [1, 1, 32, 8]));
    const w3 = tf.variable(tf.tensor4d(init.w3, [3, 3, 8, 1]));
    const x = tf.tensor4d(init.x, [2, 12, 10, 3]);
    const target = tf.tensor4d(init.target, [2, 12, 10, 8]);
    const loss = () => {
      const a = mish(tf.conv2d(x, w1, 2, 'same'));
      // SPP: concat of the input and its 5/9/13 max-pools.
      const spp = tf.concat([a, tf.maxPool(a, 5, 1, 'same'), tf.maxPool(a, 9, 1, 'same'), tf.maxPool(a, 13, 1, 'same')], 3);
      const b = upsample2x(mish(tf.conv2d(spp, w2, 1, 'same')));
      const c = tf.depthwiseConv2d(b, w3, 1, 'same');
      return tf.losses.meanSquaredError(target, c) as tf.Scalar;
    };
    return { vars: [w1, w2, w3], x, target, loss };
  };
  return build;
}

describe('a training step', () => {
  it('gradients of a conv → Mish → SPP → upsample → depthwise net agree with cpu', async () => {
    const build = tinyNet(lcg(23));
    const grads = (backend: string) => on(backend, () => {
      const net = build();
      const { grads: g } = tf.variableGrads(net.loss, net.vars);
      const out = net.vars.map((v) => g[v.name]!);
      net.vars.forEach((v) => v.dispose());
      return out;
    });
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    ['dw1', 'dw2', 'dw3'].forEach((name, i) => assertClose(wasm[i]!, cpu[i]!, 1e-5, name));
  });

  it('leaks nothing: tensors and wasm buffers stay constant over repeated SGD steps', async () => {
    await tf.setBackend('wasm');
    const net = tinyNet(lcg(29))();
    const opt = tf.train.sgd(0.05);
    const step = () => {
      const loss = opt.minimize(net.loss, true, net.vars)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    const first = step();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    let last = first;
    for (let i = 0; i < 4; i++) last = step();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(backend.numDataIds(), buffers);
    assert.ok(last < first, `the loss goes down (${first} → ${last})`);
    net.vars.forEach((v) => v.dispose());
    tf.dispose([net.x, net.target]);
    opt.dispose();
  });
});
