/**
 * Training throughput of the nano and tiny models on this process's tfjs backend, with the
 * real coco128 pipeline feeding the {@link Trainer} (decode → mosaic → hsv + flip → batch
 * → encodeTargets(modelTargetOptions(model)) → toTensors → prefetch(2), workers = cores),
 * against the same batches replayed from memory (the pure compute rate), and the share of
 * each measured step the trainer spent waiting for data (target < 0.05: the pipeline must
 * never be the bottleneck of our own trainer).
 *
 * Sizes are small (nano 160 px × 8, tiny 128 px × 4) so the section stays near two minutes
 * on a 2-core machine with the wasm backend; the data-wait share is what the section is
 * for, and it is measured at the same sizes the rates are.
 */
import * as tf from '@tensorflow/tfjs';
import { augment } from '../../operators/augment.ts';
import { batch } from '../../operators/batch.ts';
import { decode } from '../../operators/decode.ts';
import { encodeTargets } from '../../operators/encode-targets.ts';
import { mosaic } from '../../operators/mosaic.ts';
import { prefetch } from '../../operators/prefetch.ts';
import { toTensors } from '../../operators/to-tensors.ts';
import { flip } from '../transforms/flip.ts';
import { hsv } from '../transforms/hsv.ts';
import { indexDataset } from '../io/index.ts';
import { fromDataset } from '../stream/sources.ts';
import { initBackend } from '../tensor/backend.ts';
import type { Batch } from '../tensor/batch.ts';
import { createModel, modelTargetOptions, type ModelName } from '../train/models/index.ts';
import { Trainer, type StepRecord } from '../train/trainer.ts';
import { registerTrainingKernels } from '../train/wasm-kernels.ts';
import { table } from '../cli/table.ts';
import { median } from './stats.ts';
import type { BenchContext, BenchResult, BenchSection } from './types.ts';

/** One model's run: input side, batch size, warm-up and measured steps. */
export interface TrainBenchCase {
  model: ModelName;
  size: number;
  batchSize: number;
  warmup: number;
  steps: number;
}

/** The cases `npm run bench` runs (sized for a 2-core machine on wasm). */
export const TRAIN_BENCH_CASES: TrainBenchCase[] = [
  { model: 'yolov4-nano', size: 160, batchSize: 8, warmup: 3, steps: 12 },
  { model: 'yolov4-tiny', size: 128, batchSize: 4, warmup: 3, steps: 12 },
];

/** The measured steps of one fit: images/s over their wall time, the waiting share, the median step. */
interface Measured {
  imagesPerSecond: number;
  dataWaitShare: number;
  medianStepMs: number;
  /** The longest single wait: one spike or a steady trickle. */
  maxWaitMs: number;
}

/**
 * A copy of `b` whose tensors share `b`'s data (tfjs clones are reference counted, no copy),
 * so the trainer can dispose it while `b` stays for the next replay.
 */
function share(b: Batch): Batch {
  const t = {
    images: tf.clone(b.images),
    boxes: tf.clone(b.boxes),
    classes: tf.clone(b.classes),
    weights: tf.clone(b.weights),
    flags: tf.clone(b.flags),
    counts: tf.clone(b.counts),
    targets: b.targets?.map((l) => ({ ...l, tensor: tf.clone(l.tensor) })),
  };
  return {
    ...b,
    ...t,
    dispose() {
      tf.dispose([t.images, t.boxes, t.classes, t.weights, t.flags, t.counts, ...(t.targets ?? []).map((l) => l.tensor)]);
    },
  };
}

/**
 * Fit `warmup + steps` batches; the measured steps are those after the warm-up, timed from
 * the end of the last warm-up step to the end of the last step (waits included), so the
 * rate is what a training run would see and the share is waiting time / that wall time.
 */
async function timedFit(trainer: Trainer, batches: AsyncIterable<Batch>, warmup: number, steps: number): Promise<Measured> {
  const records: StepRecord[] = [];
  const ends: number[] = [];
  const r = await trainer.fit(batches, {
    steps: warmup + steps,
    onStep: (rec) => {
      records.push(rec);
      ends.push(performance.now());
    },
  });
  if (r.steps !== warmup + steps) throw new Error(`training bench: the batches ended after ${r.steps} of ${warmup + steps} steps`);
  const measured = records.slice(warmup);
  const wallMs = ends[ends.length - 1]! - ends[warmup - 1]!;
  const images = measured.reduce((a, x) => a + x.images, 0);
  const waited = measured.reduce((a, x) => a + x.dataWaitMs, 0);
  return {
    imagesPerSecond: images / (wallMs / 1000),
    dataWaitShare: waited / wallMs,
    medianStepMs: median(measured.map((x) => x.dataWaitMs + x.stepMs)),
    maxWaitMs: Math.max(...measured.map((x) => x.dataWaitMs)),
  };
}

/** One case: the pipeline-fed fit, then the same batches replayed from memory. */
async function runCase(b: BenchContext, c: TrainBenchCase): Promise<{ fed: Measured; compute: Measured }> {
  const model = createModel(c.model, { classes: 80, seed: 0 });
  const trainer = new Trainer({ model });
  const kept: Batch[] = [];
  try {
    const pipeline = fromDataset(indexDataset(b.data), { workers: b.workers, shuffle: true, seed: 0, epochs: Infinity }).pipe(
      decode(),
      mosaic({ size: c.size }),
      augment(hsv(), flip()),
      batch(c.batchSize),
      encodeTargets(modelTargetOptions(model)),
      toTensors(),
      prefetch(2),
    );
    // Keep a shared copy of every batch the trainer takes: the replay trains on exactly
    // these, so the two rates differ only by the data. The trainer returns the pipeline's
    // iterator when it stops, which shuts the pipeline (and its workers) down.
    const recording: AsyncIterable<Batch> = {
      [Symbol.asyncIterator]() {
        const it = pipeline[Symbol.asyncIterator]();
        return {
          async next() {
            const n = await it.next();
            if (!n.done) kept.push(share(n.value));
            return n;
          },
          async return() {
            await it.return?.();
            return { done: true, value: undefined };
          },
        };
      },
    };
    const fed = await timedFit(trainer, recording, c.warmup, c.steps);
    const replay: AsyncIterable<Batch> = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; ; i++) yield share(kept[i % kept.length]!);
      },
    };
    const compute = await timedFit(trainer, replay, c.warmup, c.steps);
    return { fed, compute };
  } finally {
    for (const k of kept) k.dispose();
    trainer.dispose();
    model.dispose();
  }
}

/** The training section of `npm run bench`. */
export async function trainingSection(b: BenchContext, cases: TrainBenchCase[] = TRAIN_BENCH_CASES): Promise<BenchSection> {
  const backend = await initBackend();
  if (backend === 'wasm') registerTrainingKernels();
  const rows: Array<Array<string | number>> = [];
  const results: BenchResult[] = [];
  const shares: number[] = [];
  for (const c of cases) {
    const { fed, compute } = await runCase(b, c);
    shares.push(fed.dataWaitShare);
    const label = `${c.model} ${c.size} px × ${c.batchSize}`;
    rows.push([
      label,
      fed.imagesPerSecond,
      compute.imagesPerSecond,
      fed.imagesPerSecond / compute.imagesPerSecond,
      fed.dataWaitShare,
      fed.maxWaitMs,
      fed.medianStepMs,
      compute.medianStepMs,
    ]);
    results.push(
      { name: `train_images_per_second:${c.model}`, value: fed.imagesPerSecond, unit: 'images/s' },
      { name: `train_compute_images_per_second:${c.model}`, value: compute.imagesPerSecond, unit: 'images/s' },
    );
  }
  // The worst case counts: the pipeline must not hold back any model we train.
  const worst = Math.max(...shares);
  const measuredSteps = cases.map((c) => `${c.model} ${c.steps} after ${c.warmup} warm-up`).join(', ');
  return {
    table:
      table(
        ['model (backend ' + backend + ')', 'images/s with pipeline', 'images/s from memory', 'ratio', 'data-wait share (target < 0.05)', 'longest wait ms', 'median step ms', 'median step ms, memory'],
        rows,
      ) + `\nmeasured steps: ${measuredSteps}; ratios.data_wait_share = max over the models = ${worst.toFixed(3)}`,
    results,
    ratios: { data_wait_share: worst },
  };
}
