/**
 * Self-Adversarial Training's core (SPEC §11) on a fixed yolov4-tiny-nano and one batch of
 * the generated shapes set at 64 px, wasm backend: FGSM raises the loss and stays in the
 * ε-ball and in [0, 1], the iterative attack raises it at least as much, Darknet's variant
 * lowers the no-object loss, no weight (nor moving statistic) changes, nothing leaks, and
 * the samples made from x' carry its pixels and the batch's boxes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batch, decode, encodeTargets, fromYolo, letterbox, toTensors } from '../index.ts';
import { ConfigError } from '../src/core/errors.ts';
import { initBackend } from '../src/tensor/backend.ts';
import type { Batch } from '../src/tensor/batch.ts';
import { noObjectLoss, yoloLoss, type LossTargetLayer } from '../src/train/loss.ts';
import { createModel, modelTargetOptions } from '../src/train/models/index.ts';
import { darknetAdversarial, fgsmAdversarial, toAdversarialSamples } from '../src/train/sat.ts';
import { registerTrainingKernels } from '../src/train/wasm-kernels.ts';
import { shapesDataset } from './shapes-dataset.ts';

const SIZE = 64;
const EPS = 2 / 255;

/** The loss of `images` in inference mode (moving statistics), the mode the attack uses. */
function lossAt(model: tf.LayersModel, images: tf.Tensor4D, targets: LossTargetLayer[]): number {
  return tf.tidy(() => {
    const out = model.apply(images, { training: false }) as tf.Tensor[];
    return yoloLoss(out, targets, {}).total.dataSync()[0]!;
  });
}

function snapshot(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => (w.read().dataSync() as Float32Array).slice());
}

function maxDeviation(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('self-adversarial training', () => {
  let dir = '';
  let model: tf.LayersModel;
  let b: Batch;
  let weights: Float32Array[];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-sat-'));
    await shapesDataset(dir, { size: SIZE, min: 14, max: 28, seed: 7, count: 4 });
    await initBackend('wasm');
    registerTrainingKernels();
    model = createModel('yolov4-tiny-nano', { classes: 2, seed: 3 });
    const it = fromYolo(dir, { shuffle: false, workers: 1 })
      .pipe(decode(), letterbox(SIZE), batch(4), encodeTargets(modelTargetOptions(model)), toTensors())
      [Symbol.asyncIterator]();
    b = (await it.next()).value as Batch;
    await it.return?.();
    weights = snapshot(model);
  });
  after(() => {
    b?.dispose();
    model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('FGSM (1 step and 3 steps) raises the loss, stays in the ε-ball and [0, 1], leaks nothing', () => {
    const clean = lossAt(model, b.images, b.targets!);
    const before = tf.memory().numTensors;
    const x1 = fgsmAdversarial(model, b);
    const x3 = fgsmAdversarial(model, b, { steps: 3 });
    assert.equal(tf.memory().numTensors, before + 2, 'only the two results remain');
    try {
      assert.deepEqual(x1.shape, b.images.shape);
      const l1 = lossAt(model, x1, b.targets!);
      const l3 = lossAt(model, x3, b.targets!);
      assert.ok(l1 > clean * 1.001, `FGSM loss ${l1} vs clean ${clean}`);
      assert.ok(l3 >= l1, `iterative loss ${l3} vs one step ${l1}`);
      for (const x of [x1, x3]) {
        assert.ok(maxDeviation(x, b.images) <= EPS + 1e-6, 'every pixel within ε');
        const [lo, hi] = tf.tidy(() => [tf.min(x).dataSync()[0]!, tf.max(x).dataSync()[0]!]);
        assert.ok(lo >= 0 && hi <= 1, `range ${lo}..${hi}`);
      }
      // One step moves every pixel that is not clipped by exactly ε (sign of a non-zero gradient).
      const moved = tf.tidy(() => {
        const d = tf.abs(tf.sub(x1, b.images));
        return tf.mean(tf.cast(tf.greater(d, EPS - 1e-6), 'float32')).dataSync()[0]!;
      });
      assert.ok(moved > 0.5, `share of pixels moved by ε: ${moved}`);
    } finally {
      tf.dispose([x1, x3]);
    }
  });

  it('changes no weight or moving statistic, in inference and in frozen-training batch norm', () => {
    const x = fgsmAdversarial(model, b, { batchNorm: 'training', steps: 2 });
    const y = darknetAdversarial(model, b, { lr: 10, progress: 0.5, batchNorm: 'training' });
    tf.dispose([x, y]);
    const after = snapshot(model);
    assert.equal(after.length, weights.length);
    after.forEach((w, i) => assert.deepEqual(w, weights[i], `weight ${model.weights[i]!.name}`));
  });

  it("noObjectLoss is Darknet's ½·Σσ(t)² over the objectness logits, with its delta as gradient", () => {
    // two slots of one layer (K = 5 + 1 class): objectness logits 0 and ln 3 (σ = 0.5, 0.75)
    const raw = tf.tensor5d([9, 9, 9, 9, 0, 9, 9, 9, 9, 9, Math.log(3), 9], [1, 1, 2, 1, 6]);
    const value = noObjectLoss([raw]);
    assert.ok(Math.abs(value.dataSync()[0]! - 0.5 * (0.25 + 0.5625)) < 1e-6);
    const g = tf.grad((x: tf.Tensor) => noObjectLoss([x]))(raw).dataSync();
    // σ·σ′ at the objectness column, 0 elsewhere: 0.5·0.25 and 0.75·0.1875
    assert.ok(Math.abs(g[4]! - 0.125) < 1e-6 && Math.abs(g[10]! - 0.140625) < 1e-6, `${g[4]} ${g[10]}`);
    assert.deepEqual(Array.from(g).filter((_, i) => i !== 4 && i !== 10), new Array(10).fill(0));
    tf.dispose([raw, value]);
  });

  it("Darknet's variant lowers the no-object loss, without sign or ε (its own loss, and yoloLoss's)", () => {
    const empty: LossTargetLayer[] = b.targets!.map((t) => ({ ...t, tensor: tf.zerosLike(t.tensor) }));
    const noObj = (x: tf.Tensor4D) => tf.tidy(() => noObjectLoss(model.apply(x, { training: false }) as tf.Tensor[]).dataSync()[0]!);
    try {
      const before = tf.memory().numTensors;
      const x = darknetAdversarial(model, b, { lr: 1, progress: 0.5 });
      assert.equal(tf.memory().numTensors, before + 1);
      const [clean, adv] = [noObj(b.images), noObj(x)];
      const [lo, hi] = tf.tidy(() => [tf.min(x).dataSync()[0]!, tf.max(x).dataSync()[0]!]);
      const dev = maxDeviation(x, b.images);
      x.dispose();
      assert.ok(adv < clean * (1 - 1e-4), `Darknet's no-object loss ${clean} → ${adv}`);
      assert.ok(lo >= 0 && hi <= 1);
      assert.ok(dev > 0, 'the images moved');
      const cleanYolo = lossAt(model, b.images, empty);
      const y = darknetAdversarial(model, b, { lr: 2000, progress: 0.5, objective: 'yolo' });
      const advYolo = lossAt(model, y, empty);
      y.dispose();
      assert.ok(advYolo < cleanYolo * (1 - 1e-3), `yoloLoss without boxes ${cleanYolo} → ${advYolo}`);
      // progress 0: lrAdv = 0, the images come back unchanged.
      const same = darknetAdversarial(model, b, { lr: 200, progress: 0 });
      assert.equal(maxDeviation(same, b.images), 0);
      same.dispose();
    } finally {
      tf.dispose(empty.map((t) => t.tensor));
    }
  });

  it('toAdversarialSamples: bytes round(255·x′), the batch’s boxes, ids and meta', async () => {
    const x = fgsmAdversarial(model, b);
    const samples = await toAdversarialSamples(b, x, { epoch: 2, index: 10 });
    const pixels = x.dataSync() as Float32Array;
    x.dispose();
    const boxes = b.boxes.arraySync();
    const classes = b.classes.arraySync();
    const weightsPad = b.weights.arraySync();
    const counts = b.counts.arraySync();
    assert.equal(samples.length, b.size);
    const plane = SIZE * SIZE * 3;
    samples.forEach((s, i) => {
      assert.equal(s.id, `${b.ids[i]}#adv`);
      assert.equal(s.index, 10 + i);
      assert.equal(s.epoch, 2);
      assert.equal(s.meta.adversarial, true);
      assert.equal(s.meta.path, b.meta[i]!.path);
      assert.equal(s.image.width, SIZE);
      assert.equal(s.image.height, SIZE);
      assert.ok(s.image.data instanceof Uint8Array);
      for (let k = 0; k < plane; k++) {
        const want = Math.min(255, Math.max(0, Math.round(255 * pixels[i * plane + k]!)));
        if (s.image.data[k] !== want) assert.fail(`image ${i} byte ${k}: ${s.image.data[k]} ≠ ${want}`);
      }
      const n = counts[i]!;
      assert.equal(n, 2, 'two rectangles per image');
      assert.equal(s.classes.length, n);
      assert.deepEqual(Array.from(s.boxes), boxes[i]!.slice(0, n).flat());
      assert.deepEqual(Array.from(s.classes), classes[i]!.slice(0, n));
      assert.deepEqual(Array.from(s.weights), weightsPad[i]!.slice(0, n));
      assert.ok(s.flags instanceof Uint8Array && s.flags.length === n);
    });
  });

  it('rejects bad options and batches without targets', () => {
    assert.throws(() => fgsmAdversarial(model, b, { epsilon: 0 }), ConfigError);
    assert.throws(() => fgsmAdversarial(model, b, { steps: 1.5 }), ConfigError);
    assert.throws(() => darknetAdversarial(model, b, { lr: 1, progress: 2 }), ConfigError);
    assert.throws(() => darknetAdversarial(model, b, {} as never), /lr is required/);
    assert.throws(() => fgsmAdversarial(model, { ...b, targets: undefined }), /encodeTargets/);
  });
});
