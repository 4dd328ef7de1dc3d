/**
 * Self-Adversarial Training in the Trainer (SPEC §11) on a fixed yolov4-tiny-nano and the
 * generated shapes set at 64 px: re-injected FGSM samples come back in the next batch and
 * are counted made / re-injected / trained with their own loss; in-step FGSM trains on x'
 * at once; Darknet's variant attacks about half the batches, the same ones every run; with
 * SAT off (or not yet started) training is bit-identical to a pipeline without it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AdversarialSink, batch, ConfigError, decode, encodeTargets, fromYolo, letterbox, reinject, toTensors, type Batch } from '../index.ts';
import { initBackend } from '../src/tensor/backend.ts';
import { createModel, modelTargetOptions } from '../src/train/models/index.ts';
import { Trainer, type StepRecord, type TrainerOptions } from '../src/train/trainer.ts';
import { registerTrainingKernels } from '../src/train/wasm-kernels.ts';
import { shapesDataset } from './shapes-dataset.ts';

const SIZE = 64;
let dir = '';

function batches(model: tf.LayersModel, sink: AdversarialSink | undefined, withReinject = true): AsyncIterable<Batch> {
  const targets = encodeTargets(modelTargetOptions(model));
  const source = fromYolo(dir, { shuffle: false, workers: 1, epochs: Infinity, seed: 0 });
  return (withReinject
    ? source.pipe(decode(), letterbox(SIZE), batch(4), reinject(sink), targets, toTensors())
    : source.pipe(decode(), letterbox(SIZE), batch(4), targets, toTensors())) as AsyncIterable<Batch>;
}

/** Trains `steps` batches; returns the records, the ids of every batch and the final weights. */
async function train(options: Omit<TrainerOptions, 'model'>, steps: number, sink?: AdversarialSink, withReinject = true) {
  const model = createModel('yolov4-tiny-nano', { classes: 2, seed: 5 });
  const records: StepRecord[] = [];
  const ids: string[][] = [];
  const source = batches(model, sink, withReinject);
  const watched: AsyncIterable<Batch> = {
    [Symbol.asyncIterator]: () => {
      const it = source[Symbol.asyncIterator]();
      return {
        next: async () => {
          const r = await it.next();
          if (!r.done) ids.push(r.value.ids.slice());
          return r;
        },
        return: () => it.return!(),
      };
    },
  };
  const tensors: number[] = [];
  const trainer = new Trainer({ model, ...options, log: (r) => records.push(r) });
  await trainer.fit(watched, { steps, onStep: () => tensors.push(tf.memory().numTensors) });
  const weights = model.weights.map((w) => Array.from(w.read().dataSync()));
  trainer.dispose();
  model.dispose();
  return { records, ids, weights, tensors };
}

describe('Trainer sat', () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-sat-trainer-'));
    await shapesDataset(dir, { size: SIZE, min: 14, max: 28, seed: 11, count: 8 });
    await initBackend('wasm');
    registerTrainingKernels();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('re-injects FGSM samples into the next batch and counts them, with their loss apart', async () => {
    const sink = new AdversarialSink({ ratio: 0.25, lag: 1 });
    const { records, ids, tensors } = await train({ sat: { method: 'fgsm', epsilon: 8 / 255, sink } }, 6, sink);
    assert.equal(records[0]!.sat!.batchAdversarial, 0);
    for (let j = 1; j < 6; j++) {
      const r = records[j]!;
      assert.equal(r.images, 5, `batch ${j}: 4 of its own + 1 re-injected`);
      assert.equal(r.sat!.batchAdversarial, 1);
      // the first clean image of batch j − 1, attacked at step j − 1
      assert.equal(ids[j]![4], `${ids[j - 1]![0]}#adv`);
      assert.ok(Number.isFinite(r.sat!.lossAdversarial) && Number.isFinite(r.sat!.lossClean), JSON.stringify(r.sat));
    }
    const last = records[5]!.sat!;
    assert.equal(last.made, 6, 'one per step: ⌊0.25·4/0.75⌋ = 1 of each batch’s 4 own images');
    assert.equal(last.reinjected, 5);
    assert.equal(last.trained, 5);
    assert.equal(last.dropped, 0);
    assert.equal(last.waiting, 1, 'the last step’s sample waits for a batch');
    assert.equal(tensors[1], tensors[5], 'no tensor leaks from the attack');
  });

  it('with SAT off, or before its burn-in ends, trains bit for bit as without it', async () => {
    const plain = await train({}, 3, undefined, false);
    const off = await train({}, 3, undefined, true);
    const sink = new AdversarialSink({ ratio: 0.25, lag: 1 });
    const waiting = await train({ sat: { sink, burnIn: 100 } }, 3, sink);
    assert.deepEqual(off.weights, plain.weights);
    assert.deepEqual(waiting.weights, plain.weights);
    assert.deepEqual(off.records.map((r) => r.loss), plain.records.map((r) => r.loss));
    assert.equal(plain.records[0]!.sat, undefined, 'no sat field without SAT');
    assert.equal(waiting.records[2]!.sat!.made, 0);
  });

  it('in-step FGSM trains on x′ at once: a higher loss than the clean batch, every image adversarial', async () => {
    const clean = await train({}, 2, undefined, false);
    const inStep = await train({ sat: { method: 'fgsm', epsilon: 8 / 255 } }, 2, undefined, false);
    const r = inStep.records[0]!;
    assert.equal(r.sat!.batchAdversarial, 4);
    assert.equal(r.sat!.lossAdversarial, r.loss);
    assert.ok(r.loss > clean.records[0]!.loss, `x′ ${r.loss} vs x ${clean.records[0]!.loss}`);
    assert.equal(inStep.records[1]!.sat!.made, 8);
    assert.equal(inStep.records[1]!.sat!.trained, 8);
  });

  it("Darknet's variant attacks about half the batches (p 0.5), the same ones every run", async () => {
    const run = () => train({ sat: { method: 'darknet', seed: 2 } }, 8, undefined, false);
    const a = await run();
    const attacked = a.records.map((r) => r.sat!.batchAdversarial > 0);
    const n = attacked.filter(Boolean).length;
    assert.ok(n >= 2 && n <= 6, `${n} of 8 attacked`);
    assert.equal(a.records[7]!.sat!.made, 4 * n);
    const b = await run();
    assert.deepEqual(b.records.map((r) => r.sat!.batchAdversarial > 0), attacked);
    assert.deepEqual(b.weights, a.weights);
  });

  it('with microBatch, the attack and the training run in passes: same counts, losses by kind, no leak', async () => {
    const sink = new AdversarialSink({ ratio: 0.25, lag: 1 });
    const { records, tensors } = await train({ sat: { method: 'fgsm', epsilon: 8 / 255, sink }, microBatch: 2 }, 5, sink);
    assert.deepEqual(records.map((r) => [r.images, r.sat!.batchAdversarial]), [[4, 0], [5, 1], [5, 1], [5, 1], [5, 1]]);
    for (const r of records.slice(1)) assert.ok(Number.isFinite(r.sat!.lossAdversarial) && Number.isFinite(r.sat!.lossClean) && Number.isFinite(r.loss));
    assert.deepEqual([records[4]!.sat!.made, records[4]!.sat!.trained], [5, 4]);
    assert.equal(tensors[1], tensors[4]);
    const inStep = await train({ sat: { method: 'fgsm' }, microBatch: 3 }, 2, undefined, false);
    assert.deepEqual(inStep.records.map((r) => [r.sat!.batchAdversarial, r.sat!.made]), [[4, 4], [4, 8]]);
  });

  it("a trainer loaded from another's state continues SAT's totals", async () => {
    const model = createModel('yolov4-tiny-nano', { classes: 2, seed: 5 });
    try {
      const first = new Trainer({ model, sat: { method: 'fgsm' } });
      await first.fit(batches(model, undefined, false), { steps: 2 });
      const state = JSON.parse(JSON.stringify(first.state()));
      assert.deepEqual(state.sat, { made: 8, trained: 8, attacks: 2 });
      first.dispose();
      const records: StepRecord[] = [];
      const second = new Trainer({ model, sat: { method: 'fgsm' }, log: (r) => records.push(r) });
      await second.load(state);
      await second.fit(batches(model, undefined, false), { steps: 1 });
      assert.deepEqual([records[0]!.step, records[0]!.sat!.made, records[0]!.sat!.trained], [3, 12, 12]);
      second.dispose();
    } finally {
      model.dispose();
    }
  });

  it('rejects SAT options that cannot work', () => {
    const model = createModel('yolov4-tiny-nano', { classes: 2, seed: 5 });
    try {
      assert.throws(() => new Trainer({ model, sat: { epsilon: 0 } }), (e: Error) => e instanceof ConfigError && /epsilon must be > 0/.test(e.message));
      assert.throws(() => new Trainer({ model, sat: { inStep: false } }), /needs a sink/);
      assert.throws(() => new Trainer({ model, sat: {}, loss: () => ({ total: tf.scalar(0) }) }), /needs the default yoloLoss/);
    } finally {
      model.dispose();
    }
  });
});
