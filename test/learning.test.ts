/**
 * A real learning test: the tiny nano model, trained by the Trainer for a bounded number of
 * steps on a small generated set (red and blue rectangles on grey, YOLO format, written by
 * the test), cuts its loss and detects the objects it trained on: mAP@.5 well above zero.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batch, decode, encodeTargets, fromYolo, letterbox, toTensors } from '../index.ts';
import { initBackend } from '../src/tensor/backend.ts';
import { evaluateModel } from '../src/train/evaluate.ts';
import { createModel, modelTargetOptions } from '../src/train/models/index.ts';
import { CosineAnnealingWarmupRestarts } from '../src/train/schedules.ts';
import { Trainer, type StepRecord } from '../src/train/trainer.ts';
import { registerTrainingKernels } from '../src/train/wasm-kernels.ts';
import { shapesDataset } from './shapes-dataset.ts';

const SIZE = 96;


describe('learning', () => {
  let dir = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-shapes-'));
    await shapesDataset(dir, { size: SIZE, min: 20, max: 40, seed: 42 });
    await initBackend('wasm');
    registerTrainingKernels();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('yolov4-tiny-nano: 120 steps lower the loss and reach mAP@.5 > 0.5 on its training images', async () => {
    const model = createModel('yolov4-tiny-nano', { classes: 2, seed: 1 });
    const targets = modelTargetOptions(model);
    const steps = 120;
    const records: StepRecord[] = [];
    const trainer = new Trainer({
      model,
      schedule: new CosineAnnealingWarmupRestarts({ firstCycleSteps: steps, maxLr: 0.05, minLr: 0.005, warmupSteps: 3 }),
      log: (r) => records.push(r),
    });
    const train = fromYolo(dir, { epochs: Infinity, workers: 1, seed: 0 }).pipe(decode(), letterbox(SIZE), batch(8), encodeTargets(targets), toTensors());
    const fit = await trainer.fit(train, { steps });
    assert.equal(fit.steps, steps);
    const mean = (rs: StepRecord[]) => rs.reduce((a, r) => a + r.loss, 0) / rs.length;
    const first = mean(records.slice(0, 10));
    const last = mean(records.slice(-10));
    assert.ok(last < 0.6 * first, `loss ${first.toFixed(4)} → ${last.toFixed(4)}`);

    const layers = targets.masks.map((m, l) => ({ stride: targets.strides[l]!, anchors: m.map((i) => targets.anchors[i]!) }));
    const val = fromYolo(dir, { shuffle: false, workers: 1 }).pipe(decode(), letterbox(SIZE), batch(8), toTensors());
    const m = await evaluateModel(model, val, { layers });
    assert.equal(m.images, 16);
    assert.ok(m.map50 > 0.5, `mAP@.5 ${m.map50.toFixed(3)} (mAP ${m.map.toFixed(3)})`);
    model.dispose();
  });
});
