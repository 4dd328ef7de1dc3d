/**
 * What Self-Adversarial Training costs the trainer: milliseconds of training step per
 * trained image with SAT off, with FGSM re-injection (ratio 0.25: a quarter of each batch's
 * images attacked, the adversarial ones trained in later batches) and with in-step FGSM
 * (every image attacked, then trained on), on yolov4-nano at 160 px × 8 fed by a live
 * coco128 pipeline. Step time excludes waiting for data, so the ratios are the attack's
 * cost alone; the three modes run side by side in every round, in rotating order.
 */
import { batch } from '../../operators/batch.ts';
import { decode } from '../../operators/decode.ts';
import { encodeTargets } from '../../operators/encode-targets.ts';
import { letterbox } from '../../operators/letterbox.ts';
import { prefetch } from '../../operators/prefetch.ts';
import { reinject } from '../../operators/reinject.ts';
import { toTensors } from '../../operators/to-tensors.ts';
import { table } from '../cli/table.ts';
import { indexDataset } from '../io/index.ts';
import { AdversarialSink } from '../stream/adversarial-sink.ts';
import { fromDataset } from '../stream/sources.ts';
import { initBackend } from '../tensor/backend.ts';
import type { Batch } from '../tensor/batch.ts';
import { createModel, modelTargetOptions } from '../train/models/index.ts';
import { Trainer } from '../train/trainer.ts';
import { registerTrainingKernels } from '../train/wasm-kernels.ts';
import { median } from './stats.ts';
import type { BenchContext, BenchSection } from './types.ts';

type Mode = 'off' | 'reinject' | 'in-step';
const MODES: Mode[] = ['off', 'reinject', 'in-step'];
const SIZE = 160;
const BATCH = 8;
const WARMUP = 2;
const STEPS = 8;

/** Median step milliseconds per trained image over the measured steps of one fit. */
async function msPerImage(b: BenchContext, mode: Mode): Promise<number> {
  const model = createModel('yolov4-nano', { classes: 80, seed: 0 });
  const sink = mode === 'reinject' ? new AdversarialSink({ ratio: 0.25, lag: 3 }) : undefined;
  const trainer = new Trainer({ model, sat: mode === 'off' ? undefined : mode === 'in-step' ? { method: 'fgsm' } : { method: 'fgsm', sink } });
  try {
    const pipeline = fromDataset(indexDataset(b.data), { workers: b.workers, shuffle: true, seed: 0, epochs: Infinity }).pipe(
      decode(),
      letterbox(SIZE),
      batch(BATCH),
      reinject(sink),
      encodeTargets(modelTargetOptions(model)),
      toTensors(),
      prefetch(2),
    );
    const perImage: number[] = [];
    await trainer.fit(pipeline as AsyncIterable<Batch>, {
      steps: WARMUP + STEPS,
      onStep: (r) => {
        if (r.step > WARMUP) perImage.push(r.stepMs / r.images);
      },
    });
    return median(perImage);
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/** The SAT section of `npm run bench`. */
export async function satSection(b: BenchContext): Promise<BenchSection> {
  const backend = await initBackend();
  if (backend === 'wasm') registerTrainingKernels();
  const runs: Record<Mode, number[]> = { off: [], reinject: [], 'in-step': [] };
  for (let round = 0; round < b.rounds; round++) {
    // rotate the order so drift on a shared machine favours no mode
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(round + k) % MODES.length]!;
      runs[mode].push(await msPerImage(b, mode));
    }
  }
  const off = median(runs.off);
  const reinjected = median(runs.reinject);
  const inStep = median(runs['in-step']);
  const ratios = { sat_reinject_cost: reinjected / off, sat_in_step_cost: inStep / off };
  return {
    table:
      table(
        [`yolov4-nano ${SIZE} px × ${BATCH} (backend ${backend})`, 'step ms per trained image', 'vs off'],
        [
          ['SAT off', off, 1],
          ['FGSM re-injected, ratio 0.25', reinjected, ratios.sat_reinject_cost],
          ['FGSM in-step', inStep, ratios.sat_in_step_cost],
        ],
      ) + `\nmedians over ${b.rounds} rounds of ${STEPS} steps after ${WARMUP} warm-up; data waits excluded`,
    results: [
      { name: 'sat_step_ms_per_image:off', value: off, unit: 'ms' },
      { name: 'sat_step_ms_per_image:reinject', value: reinjected, unit: 'ms' },
      { name: 'sat_step_ms_per_image:in-step', value: inStep, unit: 'ms' },
    ],
    ratios,
  };
}
