/**
 * Self-Adversarial Training's adversarial-example core (SPEC §11): the images that make
 * the network's own loss worse ({@link fgsmAdversarial}, the paper's stage 1) or that make
 * it see nothing ({@link darknetAdversarial}, AlexeyAB's variant), and
 * {@link toAdversarialSamples}, which turns them back into ordinary samples so a pipeline
 * can mix them into later batches (the `sink` of SPEC §11).
 *
 * Neither attack changes a weight: the gradient is taken with `tf.grad` with respect to
 * the input only, and nothing is applied to the variables.
 *
 * Batch norm during the attack (`batchNorm`):
 * - `'inference'` (default): `model.apply(x, { training: false })` — batch norm normalises
 *   with its moving statistics, DropBlock is off. This is what "batch-norm in inference
 *   mode" means: the network as it would predict, so the perturbation of one image does
 *   not depend on the other images of the batch, the pass is deterministic, and no
 *   statistic or CmBN accumulator can move (the inference path never touches them).
 * - `'training'`: `model.apply(x, { training: true })` with the batch-norm updates turned
 *   off by `setStatUpdates` for the pass (and restored after): the mini-batch's own
 *   statistics and DropBlock, as a training forward pass sees the batch, still without
 *   moving the moving statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import type { Sample } from '../core/types.ts';
import { validate } from '../stream/options.ts';
import type { Batch } from '../tensor/batch.ts';
import { noObjectLoss, yoloLoss, type LossTargetLayer, type YoloLossOptions } from './loss.ts';
import { ConvBnAct } from './models/index.ts';

/** How batch norm behaves during the attack's forward pass; see the module comment. */
export type AttackBatchNorm = 'inference' | 'training';

/** Options of {@link fgsmAdversarial}. */
export interface FgsmOptions {
  /** L∞ radius of the perturbation, in 0..1 pixel units. Default 2/255 (SPEC §11). */
  epsilon?: number;
  /** Sign-gradient steps; > 1 is the iterative attack, projected to the ε-ball after each step. Default 1. */
  steps?: number;
  /** Size of each step. Default ε/steps (so one step is plain FGSM, x + ε·sign(g)). */
  stepSize?: number;
  /** Options of {@link yoloLoss}, the loss that is raised. Default `{}`. */
  loss?: YoloLossOptions;
  /** Default `'inference'`. */
  batchNorm?: AttackBatchNorm;
}

/** Options of {@link darknetAdversarial}. */
export interface DarknetAdversarialOptions {
  /** Darknet's `adversarial_lr`: the step at the end of training. Required, ≥ 0. */
  lr: number;
  /** Training progress, iteration / maxIterations in 0..1: the step is `lr · progress`. Required. */
  progress: number;
  /** The loss stepped down: `'darknet'` (default, {@link noObjectLoss}) or `'yolo'` (yoloLoss with no boxes). */
  objective?: 'darknet' | 'yolo';
  /** Options of {@link yoloLoss} for `objective: 'yolo'`. Default `{}`. */
  loss?: YoloLossOptions;
  /** Default `'inference'`. */
  batchNorm?: AttackBatchNorm;
}

/** Options of {@link toAdversarialSamples}. */
export interface AdversarialSampleOptions {
  /** The samples' epoch. Default 0. */
  epoch?: number;
  /** The first sample's `index` (the others follow in batch order). Default 0. */
  index?: number;
}

const batchNorm = z.enum(['inference', 'training'], { message: "batchNorm must be 'inference' (moving statistics, default) or 'training' (batch statistics, frozen)" });
const lossOptions = z.record(z.string(), z.unknown(), { message: 'loss is the options object of yoloLoss()' });

const fgsmSchema = z
  .object({
    epsilon: z.number().finite().gt(0, 'epsilon must be > 0 (e.g. 2/255)').max(1, 'epsilon must be ≤ 1 (pixels are 0..1)').default(2 / 255),
    steps: z.number().int('steps must be a whole number').min(1, 'steps must be ≥ 1').default(1),
    stepSize: z.number().finite().gt(0, 'stepSize must be > 0').optional(),
    loss: lossOptions.default({}),
    batchNorm: batchNorm.default('inference'),
  })
  .strict();

const darknetSchema = z
  .object({
    lr: z.number({ error: 'lr is required: pass adversarialLr, e.g. { lr: 1, progress: iteration / maxIterations }' }).finite().min(0, 'lr must be ≥ 0'),
    progress: z
      .number({ error: 'progress is required: pass iteration / maxIterations' })
      .min(0, 'progress must be in 0..1 (iteration / maxIterations)')
      .max(1, 'progress must be in 0..1 (iteration / maxIterations)'),
    objective: z.enum(['darknet', 'yolo'], { message: "objective must be 'darknet' (default) or 'yolo'" }).default('darknet'),
    loss: lossOptions.default({}),
    batchNorm: batchNorm.default('inference'),
  })
  .strict();

function targetsOf(batch: Batch, where: string): LossTargetLayer[] {
  if (!batch?.targets?.length) throw new ConfigError(`${where}: the batch carries no targets; put encodeTargets() before toTensors() in the pipeline`);
  return batch.targets;
}

/**
 * Runs `fn` with the batch-norm statistic updates of `model` off (training mode) and puts
 * every layer's previous setting back, whatever it was.
 */
function withFrozenStats<T>(model: tf.LayersModel, mode: AttackBatchNorm, fn: () => T): T {
  if (mode === 'inference') return fn();
  const layers = model.layers.filter((l): l is ConvBnAct => l instanceof ConvBnAct);
  const before = layers.map((l) => l.statUpdates);
  for (const l of layers) l.statUpdates = false;
  try {
    return fn();
  } finally {
    layers.forEach((l, i) => (l.statUpdates = before[i]!));
  }
}

/** ∇ₓ of `loss(outputs)` at `x` (weights untouched); the caller owns the result. */
function inputGradient(model: tf.LayersModel, x: tf.Tensor4D, loss: (outputs: tf.Tensor[]) => tf.Scalar, mode: AttackBatchNorm): tf.Tensor4D {
  const f = (input: tf.Tensor): tf.Scalar => {
    const out = model.apply(input, { training: mode === 'training' }) as tf.Tensor | tf.Tensor[];
    return loss(Array.isArray(out) ? out : [out]);
  };
  // tf.grad runs f in a tidy: the outputs and the other loss scalars are freed with it.
  return withFrozenStats(model, mode, () => tf.grad(f)(x) as tf.Tensor4D);
}

/**
 * SPEC §11 `fgsm`, stage 1: the batch's images moved up the loss of the true boxes,
 * x' = clip(x + ε·sign(∇ₓL(x, y)), 0, 1). With `steps` > 1 it is iterative: each step
 * adds `stepSize`·sign(∇ₓL) at the current x' and projects to the ε-ball around x and to
 * [0, 1]. The weights are not changed (the gradient is with respect to the input only);
 * batch norm is in inference mode unless `batchNorm: 'training'` (module comment).
 * Returns a new `[B, H, W, 3]` tensor the caller owns; the batch is not disposed.
 */
export function fgsmAdversarial(model: tf.LayersModel, batch: Batch, options: FgsmOptions = {}): tf.Tensor4D {
  const o = validate(fgsmSchema, options, 'fgsmAdversarial()');
  const targets = targetsOf(batch, 'fgsmAdversarial()');
  const step = o.stepSize ?? o.epsilon / o.steps;
  const x0 = batch.images;
  const lo = tf.tidy(() => tf.maximum(tf.sub(x0, o.epsilon), 0));
  const hi = tf.tidy(() => tf.minimum(tf.add(x0, o.epsilon), 1));
  let x: tf.Tensor4D = x0;
  try {
    for (let k = 0; k < o.steps; k++) {
      const g = inputGradient(model, x, (out) => yoloLoss(out, targets, o.loss as YoloLossOptions).total, o.batchNorm);
      const prev = x;
      x = tf.tidy(() => tf.minimum(tf.maximum(tf.add(prev, tf.mul(tf.sign(g), step)), lo), hi) as tf.Tensor4D);
      g.dispose();
      if (prev !== x0) prev.dispose();
    }
  } catch (err) {
    if (x !== x0) x.dispose();
    throw err;
  } finally {
    tf.dispose([lo, hi]);
  }
  return x === x0 ? tf.clone(x0) : x;
}

/**
 * SPEC §11 `darknet`: one pass with no boxes and the images moved down the loss that says
 * "nothing here", x' = clip(x − lrAdv·∇ₓL_noobj, 0, 1) with lrAdv = `lr`·`progress`; no
 * sign, no ε. L_noobj is Darknet's own ({@link noObjectLoss}: ½·Σ σ(objectness)² over every
 * slot, summed), so `lr` is Darknet's `adversarial_lr`; `objective: 'yolo'` uses instead
 * {@link yoloLoss} against all-negative targets (a mean: at lr 1 it moves pixels 200–2000×
 * less, measured on fresh tiny and nano models at 64–320 px). Choosing the batches (p 0.5 after burn-in) and training on x'
 * with the true boxes is the trainer's. Returns a new tensor the caller owns.
 */
export function darknetAdversarial(model: tf.LayersModel, batch: Batch, options: DarknetAdversarialOptions): tf.Tensor4D {
  const o = validate(darknetSchema, options, 'darknetAdversarial()');
  const targets = targetsOf(batch, 'darknetAdversarial()');
  const lrAdv = o.lr * o.progress;
  const empty: LossTargetLayer[] = o.objective === 'yolo' ? targets.map((t) => ({ stride: t.stride, anchors: t.anchors, tensor: tf.zerosLike(t.tensor) })) : [];
  const loss = o.objective === 'yolo' ? (out: tf.Tensor[]) => yoloLoss(out, empty, o.loss as YoloLossOptions).total : noObjectLoss;
  try {
    const g = inputGradient(model, batch.images, loss, o.batchNorm);
    const x = tf.tidy(() => tf.clipByValue(tf.sub(batch.images, tf.mul(g, lrAdv)), 0, 1) as tf.Tensor4D);
    g.dispose();
    return x;
  } finally {
    tf.dispose(empty.map((t) => t.tensor));
  }
}

/**
 * Turns adversarial images `xAdv` ([B, H, W, 3] in 0..1, e.g. from {@link fgsmAdversarial})
 * back into ordinary {@link Sample}s to push into the stream's `sink`: pixels as bytes
 * (round(255·x), clipped to 0..255), the boxes, classes, weights and flags of the batch's
 * images (its first `counts[b]` rows), id `<id>#adv`, meta copied with `adversarial: true`.
 * Neither `batch` nor `xAdv` is disposed.
 */
export async function toAdversarialSamples(batch: Batch, xAdv: tf.Tensor4D, options: AdversarialSampleOptions = {}): Promise<Sample[]> {
  const [B, H, W, C] = xAdv.shape;
  if (B !== batch.size || C !== 3 || H !== batch.images.shape[1] || W !== batch.images.shape[2]) {
    throw new ConfigError(`toAdversarialSamples(): xAdv is [${xAdv.shape}], the batch's images are [${batch.images.shape}]; pass the images an attack returned for this batch`);
  }
  const epoch = options.epoch ?? 0;
  const first = options.index ?? 0;
  const [pixels, boxes, classes, weights, flags, counts] = await Promise.all([
    xAdv.data() as Promise<Float32Array>,
    batch.boxes.data() as Promise<Float32Array>,
    batch.classes.data() as Promise<Int32Array>,
    batch.weights.data() as Promise<Float32Array>,
    batch.flags.data() as Promise<Int32Array>,
    batch.counts.data() as Promise<Int32Array>,
  ]);
  const N = batch.classes.shape[1];
  const plane = H * W * 3;
  const samples: Sample[] = [];
  for (let b = 0; b < B; b++) {
    const data = new Uint8Array(plane);
    const off = b * plane;
    for (let i = 0; i < plane; i++) {
      const v = Math.round(pixels[off + i]! * 255);
      data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    const n = counts[b]!;
    const row = b * N;
    samples.push({
      id: `${batch.ids[b]}#adv`,
      index: first + b,
      epoch,
      image: { data, width: W, height: H },
      boxes: boxes.slice(row * 4, (row + n) * 4),
      classes: classes.slice(row, row + n),
      weights: weights.slice(row, row + n),
      flags: Uint8Array.from(flags.subarray(row, row + n)),
      meta: { ...batch.meta[b]!, adversarial: true },
    });
  }
  return samples;
}
