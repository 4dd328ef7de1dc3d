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

  it('validates its options at once', () => {
    assert.throws(() => new Trainer({} as never), /pass \{ model \}/);
    const model = createModel('yolov4-nano', { classes: 2 });
    assert.throws(() => new Trainer({ model, weightDecay: -1 }), /weightDecay must be ≥ 0/);
    assert.throws(() => new Trainer({ model, nominalBatch: 0.5 }), /whole number/);
    model.dispose();
  });
});
