/**
 * The YOLOv4 family by name (SPEC §15): {@link createModel} builds YOLOv4, YOLOv4-tiny or
 * a width/depth-scaled size as a `tf.LayersModel` whose outputs are the raw heads, one
 * `[B, H/stride, W/stride, A, 5 + C]` tensor per scale, finest first — the layer order and
 * strides of the targets `encodeTargets()` writes (`[B, H/stride, W/stride, A, 6 + C]`).
 * The last axis is (tx, ty, tw, th, objectness logit, class logits).
 *
 * The model carries its configuration (strides, anchors, masks, classes) as tfjs
 * user-defined metadata, which the tfjs format saves with it: {@link modelInfo} reads it
 * back, {@link modelTargetOptions} turns it into `encodeTargets()` options.
 *
 * Training: `model.apply(images, { training: true })` (batch statistics, DropBlock);
 * inference: `model.predict(images)` (moving statistics folded into the convolutions). On
 * the wasm backend call `registerTrainingKernels()` (src/train/wasm-kernels.ts) first.
 *
 * What a trainer does for the options (SPEC §15):
 * - CmBN (`cmbn: true`): call `startCmbnStep(model)` before the first mini-batch of every
 *   optimizer step, so the statistics cover the mini-batches one accumulated gradient is
 *   made of (a window of `cmbn.window` mini-batches resets them when it never does). The
 *   accumulators are not saved: checkpoint at step boundaries.
 * - DropBlock (`dropBlock`): `setDropBlockProgress(model, t / T)` as training advances
 *   ramps the keep probability from 1 to the target (default: the target from the start).
 * - SAT: `setStatUpdates(model, false)` around the extra forward pass in training mode, so
 *   the adversarial images do not move the batch-norm statistics.
 * - Pass `model.trainableWeights.map((w) => w.read())` as the optimizer's `varList`: its
 *   slots follow that order, which is what a checkpoint restores.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.ts';
import { validate } from '../../stream/options.ts';
import { YOLOV4_ANCHOR_SIZE, YOLOV4_ANCHORS, YOLOV4_MASKS, YOLOV4_STRIDES } from '../../batch/anchors.ts';
import type { TargetOptions } from '../../batch/targets.ts';
import { buildYolov4, type BuildOptions } from './yolov4.ts';
import {
  buildYolov4Tiny,
  YOLOV4_TINY_ANCHOR_SIZE,
  YOLOV4_TINY_ANCHORS,
  YOLOV4_TINY_MASKS,
  YOLOV4_TINY_MASKS_DISJOINT,
  YOLOV4_TINY_STRIDES,
} from './yolov4-tiny.ts';

export * from './blocks.ts';
export { buildYolov4, CSPDARKNET53_DEPTHS, scaleDepth, scaleWidth, type BuildOptions } from './yolov4.ts';
export {
  buildYolov4Tiny,
  YOLOV4_TINY_ANCHOR_SIZE,
  YOLOV4_TINY_ANCHORS,
  YOLOV4_TINY_MASKS,
  YOLOV4_TINY_MASKS_DISJOINT,
  YOLOV4_TINY_STRIDES,
} from './yolov4-tiny.ts';

/** The architectures. */
export type ModelFamily = 'yolov4' | 'yolov4-tiny';

/** A named size: an architecture with its width and depth multipliers. */
export interface ModelPreset {
  family: ModelFamily;
  width: number;
  depth: number;
}

/**
 * The named models. `yolov4-nano` is YOLOv4 at width 0.125 and depth 0.33 (channels
 * 8…128, stages of 1, 1, 3, 3, 1 blocks): the whole architecture — CSP, SPP, PAN, three
 * heads — small enough to train in tests on one CPU core. `yolov4-tiny-nano` is tiny at
 * width 0.25.
 */
export const MODEL_PRESETS = {
  yolov4: { family: 'yolov4', width: 1, depth: 1 },
  'yolov4-tiny': { family: 'yolov4-tiny', width: 1, depth: 1 },
  'yolov4-nano': { family: 'yolov4', width: 0.125, depth: 0.33 },
  'yolov4-tiny-nano': { family: 'yolov4-tiny', width: 0.25, depth: 1 },
} as const satisfies Record<string, ModelPreset>;

/** A name {@link createModel} knows. */
export type ModelName = keyof typeof MODEL_PRESETS;

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Number of classes C (required). */
  classes: number;
  /** Anchors per scale, A. Default 3 (or the length of each mask in `masks`). */
  anchorsPerScale?: number;
  /** Channel multiplier (widths rounded up to multiples of 8). Default: the preset's. */
  width?: number;
  /** Repeat multiplier of the CSP stages. Default: the preset's. Not for tiny. */
  depth?: number;
  /**
   * A fixed input size (a side, or [height, width]), each a multiple of 32. Default: none —
   * the model takes any multiple of 32 (random training shapes, SPEC §6).
   */
  inputSize?: number | [number, number];
  /** `[w, h]` anchors in pixels of `anchorSize`, recorded for the targets. Default: the family's COCO anchors. */
  anchors?: number[][];
  /** Per head, finest first, the indices of its anchors. Default: the family's. */
  masks?: number[][];
  /** The network size `anchors` are given for. Default 608 (YOLOv4) or 416 (tiny). */
  anchorSize?: number;
  /** Tiny only: `darknet` (default; the cfg's [[1,2,3],[3,4,5]]) or `disjoint` ([[0,1,2],[3,4,5]]). */
  tinyMasks?: 'darknet' | 'disjoint';
  /** SAM (point-wise, x·σ(conv(x))) before each head. Default false. */
  sam?: boolean;
  /** DropBlock on the two coarsest backbone outputs: true for keepProb 0.9, blockSize 7. Default false. */
  dropBlock?: boolean | { keepProb?: number; blockSize?: number };
  /** CmBN instead of BN: true for a window of 4 mini-batches. Default false. */
  cmbn?: boolean | { window?: number };
  /** Batch-norm momentum (default 0.03) and epsilon (default 1e-3). */
  batchNorm?: { momentum?: number; epsilon?: number };
  /** First seed of the weight initialisers (the same seed builds the same weights). Default 0. */
  seed?: number;
  /**
   * Initialise the head biases with YOLOv5's priors (objectness log(8/(size/stride)²),
   * classes log(0.6/(C − 0.99))) instead of zeros, so training starts near a sensible
   * loss. Default true.
   */
  priorBias?: boolean;
}

/** The configuration a model carries (tfjs user-defined metadata, key `freebies`). */
export interface ModelInfo {
  name: string;
  family: ModelFamily;
  classes: number;
  anchorsPerScale: number;
  width: number;
  depth: number;
  /** Per output, finest first. */
  strides: number[];
  /** Fixed [height, width], or null for any multiple of 32. */
  inputSize: [number, number] | null;
  /** Anchors for the targets, or null when A differs from the family's and none were given. */
  anchors: number[][] | null;
  masks: number[][] | null;
  anchorSize: number;
  sam: boolean;
  dropBlock: { keepProb: number; blockSize: number } | false;
  norm: 'bn' | 'cmbn';
  seed: number;
}

const multiplier = (what: string) => z.number().gt(0, `${what} must be > 0`).max(4, `${what} must be ≤ 4`);
const side = z.number().int('inputSize must be whole pixels').min(32, 'inputSize must be ≥ 32').refine((v) => v % 32 === 0, 'inputSize must be a multiple of 32 (the largest stride)');
const schema = z
  .object({
    classes: z.number({ error: (i) => (i.input === undefined ? 'classes is required: pass the number of classes, e.g. { classes: 80 }' : 'classes must be a number') })
      .int('classes must be a whole number').min(1, 'classes must be ≥ 1'),
    anchorsPerScale: z.number().int('anchorsPerScale must be a whole number').min(1, 'anchorsPerScale must be ≥ 1').optional(),
    width: multiplier('width').optional(),
    depth: multiplier('depth').optional(),
    inputSize: z.union([side, z.tuple([side, side])]).optional(),
    anchors: z.array(z.tuple([z.number().gt(0), z.number().gt(0)]), { error: 'anchors is a list of [w, h] pairs' }).min(1).optional(),
    masks: z.array(z.array(z.number().int().min(0)).min(1)).optional(),
    anchorSize: z.number().gt(0, 'anchorSize must be > 0').optional(),
    tinyMasks: z.enum(['darknet', 'disjoint'], { message: "tinyMasks must be 'darknet' ([[1,2,3],[3,4,5]]) or 'disjoint' ([[0,1,2],[3,4,5]])" }).optional(),
    sam: z.boolean().default(false),
    dropBlock: z
      .union([
        z.boolean(),
        z.object({
          keepProb: z.number().gt(0, 'dropBlock.keepProb must be > 0').max(1, 'dropBlock.keepProb must be ≤ 1').default(0.9),
          blockSize: z.number().int().min(1, 'dropBlock.blockSize must be ≥ 1').default(7),
        }).strict(),
      ])
      .default(false),
    cmbn: z.union([z.boolean(), z.object({ window: z.number().int().min(1, 'cmbn.window must be ≥ 1').default(4) }).strict()]).default(false),
    batchNorm: z
      .object({
        momentum: z.number().gt(0, 'batchNorm.momentum must be > 0').max(1, 'batchNorm.momentum must be ≤ 1').default(0.03),
        epsilon: z.number().gt(0, 'batchNorm.epsilon must be > 0').default(1e-3),
      })
      .strict()
      .default({ momentum: 0.03, epsilon: 1e-3 }),
    seed: z.number().int('seed must be a whole number').default(0),
    priorBias: z.boolean().default(true),
  })
  .strict();

/** The objectness and class bias priors of one head (YOLOv5's `_initialize_biases`). */
function priorBias(anchors: number, classes: number, stride: number, size: number): number[] {
  const obj = Math.log(8 / (size / stride) ** 2);
  const cls = Math.log(0.6 / Math.max(classes - 0.99, 0.01));
  const out: number[] = [];
  for (let a = 0; a < anchors; a++) out.push(0, 0, 0, 0, obj, ...new Array<number>(classes).fill(cls));
  return out;
}

/**
 * Builds a model of the YOLOv4 family. `name` is one of {@link MODEL_PRESETS}; `width` and
 * `depth` override the preset's multipliers. The outputs are one raw head per scale,
 * finest first: strides 8, 16, 32 (YOLOv4 and scaled sizes) or 16, 32 (tiny), each
 * `[B, H/stride, W/stride, A, 5 + C]`. Throws {@link ConfigError} for bad options.
 */
export function createModel(name: ModelName, options: CreateModelOptions): tf.LayersModel {
  const where = `createModel('${name}')`;
  const preset = (MODEL_PRESETS as Record<string, ModelPreset>)[name];
  if (!preset) throw new ConfigError(`${where}: unknown model; pass one of ${Object.keys(MODEL_PRESETS).map((n) => `'${n}'`).join(', ')}`);
  const o = validate(schema, options, where);
  const tiny = preset.family === 'yolov4-tiny';
  if (tiny && o.depth !== undefined && o.depth !== 1) throw new ConfigError(`${where}: depth does not apply to YOLOv4-tiny (it has no repeated blocks); leave it out`);
  if (!tiny && o.tinyMasks !== undefined) throw new ConfigError(`${where}: tinyMasks is for the tiny models only; pass masks instead`);
  const strides = [...(tiny ? YOLOV4_TINY_STRIDES : YOLOV4_STRIDES)];
  const defaultAnchors = (tiny ? YOLOV4_TINY_ANCHORS : YOLOV4_ANCHORS).map((a) => [...a]);
  const defaultMasks = (tiny ? (o.tinyMasks === 'disjoint' ? YOLOV4_TINY_MASKS_DISJOINT : YOLOV4_TINY_MASKS) : YOLOV4_MASKS).map((m) => [...m]);
  const masksGiven = o.masks !== undefined;
  const anchorsPerScale = o.anchorsPerScale ?? o.masks?.[0]?.length ?? 3;
  const masks: number[][] | null = o.masks ?? (anchorsPerScale === 3 ? defaultMasks : null);
  const anchors: number[][] | null = o.anchors ?? (masksGiven || anchorsPerScale === 3 ? defaultAnchors : null);
  if (masks) {
    if (masks.length !== strides.length) throw new ConfigError(`${where}: masks has ${masks.length} entries for ${strides.length} heads; pass one mask per head, finest first`);
    if (masks.some((m) => m.length !== anchorsPerScale)) throw new ConfigError(`${where}: every mask must list anchorsPerScale = ${anchorsPerScale} anchors`);
    const n = anchors?.length ?? 0;
    if (masks.some((m) => m.some((i) => i >= n))) throw new ConfigError(`${where}: a mask names an anchor index ≥ ${n}, the number of anchors; pass anchors too`);
  }
  const anchorSize = o.anchorSize ?? (tiny ? YOLOV4_TINY_ANCHOR_SIZE : YOLOV4_ANCHOR_SIZE);
  const inputSize: [number, number] | null = o.inputSize === undefined ? null : typeof o.inputSize === 'number' ? [o.inputSize, o.inputSize] : o.inputSize;
  const dropBlock = o.dropBlock === false ? false : o.dropBlock === true ? { keepProb: 0.9, blockSize: 7 } : o.dropBlock;
  const cmbn = o.cmbn === false ? undefined : o.cmbn === true ? { window: 4 } : o.cmbn;
  const priorSize = inputSize ? (inputSize[0] + inputSize[1]) / 2 : anchorSize;
  const build: BuildOptions = {
    name,
    classes: o.classes,
    anchors: anchorsPerScale,
    width: o.width ?? preset.width,
    depth: tiny ? 1 : (o.depth ?? preset.depth),
    inputSize,
    sam: o.sam,
    dropBlock,
    norm: cmbn ? 'cmbn' : 'bn',
    cmbnWindow: cmbn?.window ?? 4,
    momentum: o.batchNorm.momentum,
    epsilon: o.batchNorm.epsilon,
    seed: o.seed,
    headBias: strides.map((s) => (o.priorBias ? priorBias(anchorsPerScale, o.classes, s, priorSize) : undefined)),
  };
  const model = tiny ? buildYolov4Tiny(build) : buildYolov4(build);
  const info: ModelInfo = {
    name,
    family: preset.family,
    classes: o.classes,
    anchorsPerScale,
    width: build.width,
    depth: build.depth,
    strides,
    inputSize,
    anchors,
    masks,
    anchorSize,
    sam: o.sam,
    dropBlock,
    norm: build.norm,
    seed: o.seed,
  };
  model.setUserDefinedMetadata({ freebies: info as unknown as tf.serialization.ConfigDictValue });
  return model;
}

/** The {@link ModelInfo} a model of {@link createModel} carries (also after a save and load). */
export function modelInfo(model: tf.LayersModel): ModelInfo {
  const meta = model.getUserDefinedMetadata() as { freebies?: ModelInfo } | undefined;
  if (!meta?.freebies) throw new ConfigError(`model '${model.name}' carries no freebies model info: build it with createModel() or load it with loadCheckpoint()`);
  return meta.freebies;
}

/**
 * `encodeTargets()` options matching `model`: its anchors, masks, strides, anchor size
 * and classes. Throws when the model has no anchors on record (A ≠ 3 without `anchors`).
 */
export function modelTargetOptions(model: tf.LayersModel): Required<Pick<TargetOptions, 'anchors' | 'masks' | 'strides' | 'anchorSize' | 'classes'>> {
  const info = modelInfo(model);
  if (!info.anchors || !info.masks) {
    throw new ConfigError(`model '${info.name}' has ${info.anchorsPerScale} anchors per scale but no anchors/masks on record: pass anchors and masks to createModel()`);
  }
  return { anchors: info.anchors, masks: info.masks, strides: info.strides, anchorSize: info.anchorSize, classes: info.classes };
}

/** Parameter counts: trainable (kernels, γ, β, head biases), non-trainable (moving statistics), total. */
export function countParams(model: tf.LayersModel): { trainable: number; nonTrainable: number; total: number } {
  const count = (ws: { shape: (number | null)[] }[]) => ws.reduce((n, w) => n + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
  const trainable = count(model.trainableWeights);
  const nonTrainable = count(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}
