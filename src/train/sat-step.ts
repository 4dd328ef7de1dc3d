/**
 * Self-Adversarial Training inside the trainer's step (SPEC §11): which batches are
 * attacked, with which method, and where the adversarial images go — trained on at once
 * (in-step) or pushed into an {@link AdversarialSink} that `reinject()` mixes into later
 * batches.
 *
 * Decisions:
 * - The attack runs before the batch's update, so it sees the weights the batch is
 *   trained with (the paper's stage 1, then stage 2).
 * - Re-injection attacks only as many of the batch's own (not already adversarial) images
 *   as the sink will take per batch, ⌊ratio·n/(1 − ratio)⌋ (at least one): attacking all of
 *   them would cost a full extra backward pass for samples the queue then drops.
 * - Whether a batch is attacked (`p`) is a coin keyed by (seed, step), so a run repeats.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { Rng, RngDomain } from '../core/rng.ts';
import type { Sample } from '../core/types.ts';
import { isAdversarialSink, type AdversarialSink } from '../stream/adversarial-sink.ts';
import { validate } from '../stream/options.ts';
import { rowChunks, selectBatchRows, type Batch } from '../tensor/batch.ts';
import type { YoloLossOptions } from './loss.ts';
import { darknetAdversarial, fgsmAdversarial, toAdversarialSamples, type AttackBatchNorm } from './sat.ts';

/** The trainer's `sat` option. */
export interface SatOptions {
  /** `'fgsm'` (default: the paper's two stages, ε-bounded) or `'darknet'` (AlexeyAB's no-object step). */
  method?: 'fgsm' | 'darknet';
  /** FGSM's L∞ radius in 0..1 pixel units. Default 2/255. */
  epsilon?: number;
  /** FGSM's sign-gradient steps (> 1 is iterative, projected to the ε-ball). Default 1. */
  steps?: number;
  /**
   * Darknet's `adversarial_lr`: the step at the end of training, x' = x − lr·progress·∇ₓL
   * with Darknet's own no-object loss (see `noObjectLoss`), so it means what it does there.
   * Default 1 (on fresh models at lr 1 and full progress, pixels move by up to 0.13 at
   * yolov4-tiny-nano 64 px and 0.008 at yolov4-tiny 320 px).
   */
  lr?: number;
  /** Probability that a batch is attacked. Default 1 for fgsm, 0.5 for darknet (SPEC §11). */
  p?: number;
  /** Optimiser updates before the first attack (Darknet's burn-in). Default 0. */
  burnIn?: number;
  /** Where adversarial samples go back into the stream (`reinject(sink)` in the pipeline). Without it, SAT is in-step. */
  sink?: AdversarialSink;
  /** Train on x' in place of the batch at once (Darknet's way). Default: true without a `sink`, false with one. */
  inStep?: boolean;
  /** Batch norm during the attack. Default `'inference'` (see sat.ts). */
  batchNorm?: AttackBatchNorm;
  /** Seed of the per-batch coin. Default 0. */
  seed?: number;
}

const schema = z
  .object({
    method: z.enum(['fgsm', 'darknet'], { error: "sat.method is 'fgsm' (default) or 'darknet'" }).default('fgsm'),
    epsilon: z.number().gt(0, 'sat.epsilon must be > 0, e.g. 0.008 (2/255)').max(1, 'sat.epsilon must be ≤ 1 (pixels are 0..1)').default(2 / 255),
    steps: z.number().int('sat.steps must be a whole number').min(1, 'sat.steps must be ≥ 1').default(1),
    lr: z.number().min(0, 'sat.lr must be ≥ 0').default(1),
    p: z.number().min(0, 'sat.p is a probability in [0, 1]').max(1, 'sat.p is a probability in [0, 1]').optional(),
    burnIn: z.number().int('sat.burnIn must be a whole number of updates').min(0, 'sat.burnIn must be ≥ 0').default(0),
    sink: z.custom<AdversarialSink>((v) => v === undefined || isAdversarialSink(v), 'sat.sink must be an AdversarialSink').optional(),
    inStep: z.boolean().optional(),
    batchNorm: z.enum(['inference', 'training'], { error: "sat.batchNorm is 'inference' or 'training'" }).default('inference'),
    seed: z.number().int('sat.seed must be a whole number').default(0),
  })
  .strict();

/** What SAT did in one step, for the step's record. */
export interface SatStepResult {
  /** The batch to train on: the input, or the input with x' as its images (in-step). */
  batch: Batch;
  /** Adversarial samples made for the sink. */
  made: Sample[];
  /** Images of the trained batch that are adversarial (in-step: all; else the re-injected ones). */
  adversarialRows: number[];
  /** Free what the step made (x' of an in-step batch). */
  release(): void;
}

/** The run's SAT totals. */
export interface SatTotals {
  /** Adversarial images made (pushed to the sink, or trained in-step). */
  made: number;
  /** Adversarial images trained on. */
  trained: number;
  /** Batches attacked. */
  attacks: number;
}

/** Rows of `batch` whose meta marks them adversarial. */
export function adversarialRows(batch: Batch): number[] {
  const rows: number[] = [];
  batch.meta.forEach((m, i) => {
    if ((m as { adversarial?: unknown } | undefined)?.adversarial === true) rows.push(i);
  });
  return rows;
}

/** SAT as the trainer runs it. */
export class SatStep {
  readonly method: 'fgsm' | 'darknet';
  readonly inStep: boolean;
  readonly sink: AdversarialSink | undefined;
  private readonly o: z.infer<typeof schema>;
  private readonly p: number;
  readonly totals: SatTotals = { made: 0, trained: 0, attacks: 0 };

  /** `microBatch`: the most images per attack pass (the trainer's `microBatch`). */
  constructor(
    options: SatOptions,
    private readonly loss: YoloLossOptions | undefined,
    private readonly microBatch?: number,
  ) {
    this.o = validate(schema, options, 'Trainer sat');
    this.method = this.o.method;
    this.sink = this.o.sink;
    this.inStep = this.o.inStep ?? !this.sink;
    if (!this.inStep && !this.sink) throw new ConfigError('Trainer sat: inStep: false needs a sink (new AdversarialSink()) that reinject() in the pipeline reads');
    this.p = this.o.p ?? (this.method === 'darknet' ? 0.5 : 1);
  }

  /**
   * Attack `batch` when this step is due (after burn-in, with probability p): in-step, the
   * returned batch has x' as images; otherwise the adversarial samples are returned to push.
   * `progress` is updates / planned updates (Darknet's lr ramp).
   */
  async run(model: tf.LayersModel, batch: Batch, at: { step: number; updates: number; progress: number | undefined }): Promise<SatStepResult> {
    const reinjected = adversarialRows(batch);
    const none: SatStepResult = { batch, made: [], adversarialRows: reinjected, release: () => {} };
    if (at.updates < this.o.burnIn) return none;
    if (this.p < 1 && !new Rng(RngDomain.Sat, this.o.seed, at.step).chance(this.p)) return none;
    if (!batch.targets?.length) throw new ConfigError('Trainer sat: the batches carry no targets; put encodeTargets() before toTensors() in the pipeline');
    if (this.inStep) {
      const x = this.attack(model, batch, at.progress);
      this.totals.attacks++;
      this.totals.made += batch.size;
      return {
        batch: { ...batch, images: x },
        made: [],
        adversarialRows: Array.from({ length: batch.size }, (_, i) => i),
        release: () => x.dispose(),
      };
    }
    const clean: number[] = [];
    for (let i = 0; i < batch.size; i++) if (!reinjected.includes(i)) clean.push(i);
    const rows = clean.slice(0, Math.max(1, this.sink!.allowance(clean.length)));
    if (rows.length === 0) return none;
    const part = selectBatchRows(batch, rows);
    try {
      const x = this.attack(model, part, at.progress);
      try {
        const made = await toAdversarialSamples(part, x, { index: this.totals.made });
        this.totals.attacks++;
        this.totals.made += made.length;
        return { ...none, made };
      } finally {
        x.dispose();
      }
    } finally {
      part.dispose();
    }
  }

  /** The attack, in passes of at most `microBatch` images (each image's x′ depends only on itself in inference mode). */
  private attack(model: tf.LayersModel, batch: Batch, progress: number | undefined): tf.Tensor4D {
    const m = this.microBatch;
    if (!m || batch.size <= m) return this.attackPass(model, batch, progress);
    const parts: tf.Tensor4D[] = [];
    try {
      for (const rows of rowChunks(batch.size, m)) {
        const part = selectBatchRows(batch, rows);
        try {
          parts.push(this.attackPass(model, part, progress));
        } finally {
          part.dispose();
        }
      }
      return tf.concat(parts, 0);
    } finally {
      tf.dispose(parts);
    }
  }

  private attackPass(model: tf.LayersModel, batch: Batch, progress: number | undefined): tf.Tensor4D {
    const loss = this.loss ?? {};
    if (this.method === 'fgsm') {
      return fgsmAdversarial(model, batch, { epsilon: this.o.epsilon, steps: this.o.steps, loss, batchNorm: this.o.batchNorm });
    }
    if (progress === undefined) {
      throw new ConfigError("Trainer sat: method 'darknet' ramps its step with training progress; give the Trainer plannedUpdates (or fit({ steps }))");
    }
    return darknetAdversarial(model, batch, { lr: this.o.lr, progress: Math.min(1, progress), loss, batchNorm: this.o.batchNorm });
  }
}
