/**
 * The Trainer on real batches: the nano model's loss falls on a few coco128 images, no
 * tensor outlives its step, gradient accumulation makes one update per nominal batch, and
 * the options are validated.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batch, decode, encodeTargets, fromYolo, letterbox, toTensors } from '../index.ts';
import { initBackend } from '../src/tensor/backend.ts';
import { registerTrainingKernels } from '../src/train/wasm-kernels.ts';
import { createModel, modelTargetOptions } from '../src/train/models/index.ts';
import { Trainer, type StepRecord } from '../src/train/trainer.ts';
import type { Batch } from '../src/tensor/batch.ts';
import { CosineAnnealingWarmupRestarts } from '../src/train/schedules.ts';
import { COCO128 } from './helpers.ts';
import { shapesDataset } from './shapes-dataset.ts';

// no shuffle: `limit` then takes the same first images every epoch
const batches = (limit: number, size: number, epochs = Infinity) =>
  fromYolo(COCO128, { limit, epochs, seed: 0, workers: 1, shuffle: false }).pipe(decode(), letterbox(size), batch(8), encodeTargets(), toTensors());

describe('Trainer', () => {
  before(async () => {
    await initBackend('wasm');
    registerTrainingKernels();
  });

  it('lowers the loss of the nano model on a few images, and leaks no tensor', async () => {
    const model = createModel('yolov4-nano', { classes: 80, seed: 1 });
    const counts: number[] = [];
    const records: StepRecord[] = [];
    const trainer = new Trainer({
      model,
      schedule: new CosineAnnealingWarmupRestarts({ firstCycleSteps: 40, maxLr: 0.02, minLr: 0.002, warmupSteps: 2 }),
      log: (r) => records.push(r),
    });
    const r = await trainer.fit(batches(8, 128), { steps: 30, onStep: () => counts.push(tf.memory().numTensors) });
    assert.equal(r.steps, 30);
    assert.equal(r.updates, 30, 'one update per batch without accumulation');
    assert.equal(r.images, 30 * 8);
    // the same 8 images every step: the loss must fall clearly
    const first = records.slice(0, 3).reduce((a, x) => a + x.loss, 0) / 3;
    const last = records.slice(-3).reduce((a, x) => a + x.loss, 0) / 3;
    assert.ok(last < 0.75 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
    assert.ok(records.every((x) => Number.isFinite(x.loss) && x.parts.positives! > 0));
    assert.equal(counts[4], counts[29], `tensors after step 5 (${counts[4]}) and after step 30 (${counts[29]})`);
    assert.ok(r.dataWaitShare >= 0 && r.dataWaitShare < 1);
    // the lr follows the schedule: warm-up from minLr, then cosine
    assert.ok(Math.abs(records[0]!.lr - 0.002) < 1e-12, `${records[0]!.lr}`);
    assert.ok(records[2]!.lr > records[1]!.lr);
    model.dispose();
  });

  it('accumulates gradients to the nominal batch: one update per 16 images with batches of 8', async () => {
    const model = createModel('yolov4-nano', { classes: 80, seed: 2 });
    const withModel = tf.memory().numTensors;
    const trainer = new Trainer({ model, nominalBatch: 16, optimizer: { kind: 'adam' } });
    const before = tf.memory().numTensors;
    const r = await trainer.fit(batches(16, 96, 1), { steps: 4 });
    assert.equal(r.steps, 2, 'the pipeline ended after 16 images');
    assert.equal(r.updates, 1);
    // adam's moments (2 per variable) are the only tensors left behind, plus its step counters
    const variables = model.trainableWeights.length;
    assert.ok(tf.memory().numTensors - before <= 2 * variables + 4, `${tf.memory().numTensors - before} new tensors`);
    trainer.dispose();
    assert.equal(tf.memory().numTensors, withModel, 'dispose() frees all of the optimiser');
    model.dispose();
  });

  it('holds the same number of tensors after step 10 and after step 100', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-leak-'));
    try {
      await shapesDataset(dir, { size: 64, min: 14, max: 28, seed: 5 });
      const model = createModel('yolov4-tiny-nano', { classes: 2, seed: 3 });
      const counts: number[] = [];
      const trainer = new Trainer({ model, nominalBatch: 8 });
      const stream = fromYolo(dir, { epochs: Infinity, workers: 1 }).pipe(decode(), letterbox(64), batch(4), encodeTargets(modelTargetOptions(model)), toTensors());
      const r = await trainer.fit(stream, { steps: 100, onStep: () => counts.push(tf.memory().numTensors) });
      assert.equal(r.updates, 50, 'two batches of 4 per update of 8 images');
      assert.equal(counts[9], counts[99], `after step 10: ${counts[9]}, after step 100: ${counts[99]}`);
      model.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('microBatch: passes of at most m images whose gradients sum to the whole batch’s', async () => {
    // A batch-norm-free model and a loss that is a per-image mean: the sum over passes of
    // (mean × pass size) is exactly the whole batch's mean × its size.
    const build = () => {
      const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })] });
      return m;
    };
    const loss = (outputs: tf.Tensor[]) => ({ total: tf.mean(tf.square(outputs[0]!)) as tf.Scalar });
    const images = tf.randomUniform([5, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const one = (): Batch => {
      const zeros = tf.zeros([5, 1, 4]) as tf.Tensor3D;
      const b = { images: tf.clone(images), boxes: zeros, classes: tf.zeros([5, 1], 'int32') as tf.Tensor2D, weights: tf.zeros([5, 1]) as tf.Tensor2D, flags: tf.zeros([5, 1], 'int32') as tf.Tensor2D, counts: tf.zeros([5], 'int32') as tf.Tensor1D, ids: ['a', 'b', 'c', 'd', 'e'], meta: [{}, {}, {}, {}, {}] as never, size: 5 };
      return { ...b, dispose: () => tf.dispose([b.images, b.boxes, b.classes, b.weights, b.flags, b.counts]) };
    };
    const run = async (microBatch?: number) => {
      const model = build();
      const records: StepRecord[] = [];
      const trainer = new Trainer({ model, loss, weightDecay: 0, optimizer: { kind: 'sgd', momentum: 0 }, schedule: new CosineAnnealingWarmupRestarts({ firstCycleSteps: 10, maxLr: 0.1, minLr: 0.1, warmupSteps: 0 }), log: (r) => records.push(r), ...(microBatch ? { microBatch } : {}) });
      const before = tf.memory().numTensors;
      await trainer.fit((async function* () { yield one(); yield one(); })(), { steps: 2 });
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      const leaked = tf.memory().numTensors - before;
      trainer.dispose();
      model.dispose();
      return { weights, records, leaked };
    };
    const whole = await run();
    const split = await run(2);
    assert.deepEqual(split.records.map((r) => r.images), [5, 5]);
    split.records.forEach((r, i) => assert.ok(Math.abs(r.loss - whole.records[i]!.loss) < 1e-6, `${r.loss} vs ${whole.records[i]!.loss}`));
    split.weights.forEach((w, i) => w.forEach((v, k) => assert.ok(Math.abs(v - whole.weights[i]![k]!) < 1e-5, `weight ${i}[${k}]: ${v} vs ${whole.weights[i]![k]}`)));
    assert.equal(split.leaked, whole.leaked, 'the passes leave no tensor behind');
    images.dispose();
  });

  it('validates its options at once', () => {
    assert.throws(() => new Trainer({} as never), /pass \{ model \}/);
    const model = createModel('yolov4-nano', { classes: 2 });
    assert.throws(() => new Trainer({ model, weightDecay: -1 }), /weightDecay must be ≥ 0/);
    assert.throws(() => new Trainer({ model, nominalBatch: 0.5 }), /whole number/);
    assert.throws(() => new Trainer({ model, microBatch: 0 }), /microBatch must be ≥ 1/);
    model.dispose();
  });
});
