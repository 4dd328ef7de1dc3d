/**
 * Label smoothing (SPEC §8): the three modes as pure functions, and how a smoothing
 * setting travels down a stream to `encodeTargets()`.
 *
 * Every mode is an affine map of each class target y ∈ [0,1] (y' = a·y + b), so it
 * applies to soft (mixed) targets as well as one-hot ones, and it commutes with the
 * convex mixing of MixUp/CutMix: smoothing then mixing gives the mixed smoothed labels
 * (SPEC §8 "smooth, then mix") whichever order the arithmetic runs in.
 */
import { z } from 'zod';
import { validate } from '../stream/options.ts';

/**
 * - `categorical` (softmax heads; Szegedy et al., Keras, PyTorch): y' = y·(1−ε) + ε/C.
 * - `binary` (sigmoid heads; Darknet `label_smooth_eps`, YOLOv5 `smooth_BCE`): positive 1−ε/2, negative ε/2.
 * - `others` (Darknet classifier): true 1−ε, each other class ε/(C−1).
 */
export type SmoothingMode = 'categorical' | 'binary' | 'others';

/** A label-smoothing setting. */
export interface LabelSmoothing {
  /** ε (α in SPEC §8), in [0, 1]. */
  epsilon: number;
  mode: SmoothingMode;
}

/** Options of the smoothing function and operator. Defaults: ε 0.1, mode `categorical` (SPEC §8). */
export interface SmoothingOptions {
  /** ε in [0, 1]. Default 0.1. */
  epsilon?: number;
  /** Default `categorical` (SPEC §8's default); YOLO's sigmoid class heads use `binary`. */
  mode?: SmoothingMode;
}

/** zod schema of {@link SmoothingOptions}; resolves the defaults. */
export const smoothingSchema = z
  .object({
    epsilon: z
      .number()
      .min(0, 'epsilon must be ≥ 0 (0 turns smoothing off)')
      .max(1, 'epsilon must be ≤ 1; the usual value is 0.1')
      .default(0.1),
    mode: z
      .enum(['categorical', 'binary', 'others'], {
        message: "mode must be 'categorical' (softmax), 'binary' (sigmoid, YOLO heads) or 'others' (Darknet classifier)",
      })
      .default('categorical'),
  })
  .strict();

/** Validate smoothing options, naming `where` in the message. */
export function resolveSmoothing(options: SmoothingOptions | undefined, where: string): LabelSmoothing {
  return validate(smoothingSchema, options ?? {}, where);
}

/**
 * The smoothed value of one class target `y` of `classes` classes. Written per mode so
 * that one-hot inputs give SPEC's values exactly (1−ε/2 rather than (1−ε)+ε/2).
 */
export function smoothValue(y: number, s: LabelSmoothing, classes: number): number {
  const e = s.epsilon;
  switch (s.mode) {
    case 'categorical':
      return y * (1 - e) + e / classes;
    case 'binary':
      return y * (1 - e / 2) + (1 - y) * (e / 2);
    case 'others':
      return y * (1 - e) + (1 - y) * (e / (classes - 1));
  }
}

/** The smoothed positive and negative of a one-hot target of `classes` classes. */
export function smoothedOneHot(s: LabelSmoothing | undefined, classes: number): { positive: number; negative: number } {
  if (!s) return { positive: 1, negative: 0 };
  return { positive: smoothValue(1, s, classes), negative: smoothValue(0, s, classes) };
}

/** Throws when `mode` cannot apply to `classes` classes. */
export function checkSmoothingClasses(s: LabelSmoothing, classes: number, where: string): void {
  if (s.mode === 'others' && classes < 2) {
    throw new RangeError(`${where}: mode 'others' spreads ε over the other classes and needs at least 2 classes (got ${classes})`);
  }
}

/**
 * Smooth one target vector (one-hot or soft; each entry in [0,1]) — SPEC §8 and §14
 * `smoothLabels(target, {epsilon, mode})`. C is the vector's length.
 *
 * Worked (SPEC §8): [0,0,1,0,0] with ε 0.1 → categorical 0.92 / 0.02, others 0.9 / 0.025;
 * binary → 1−ε/2 = 0.95 and ε/2 = 0.05.
 */
export function smoothTarget(target: ArrayLike<number>, options: SmoothingOptions): number[] {
  const where = 'smoothLabels(target, options)';
  if (target == null || typeof target !== 'object' || typeof (target as { length?: unknown }).length !== 'number') {
    throw new TypeError(`${where}: target must be an array of class targets, e.g. smoothLabels([0, 1, 0], { epsilon: 0.1 })`);
  }
  const s = resolveSmoothing(options, where);
  const C = target.length;
  if (C === 0) throw new RangeError(`${where}: target is empty; pass one entry per class`);
  checkSmoothingClasses(s, C, where);
  const out = new Array<number>(C);
  for (let i = 0; i < C; i++) {
    const y = target[i]!;
    if (typeof y !== 'number' || !(y >= 0 && y <= 1)) {
      throw new RangeError(`${where}: target[${i}] is ${String(y)}; each class target must be a number in [0, 1]`);
    }
    out[i] = smoothValue(y, s, C);
  }
  return out;
}

/** The smoothing setting stored on a sample's meta by the `smoothLabels()` operator, if any. */
export function smoothingFromMeta(meta: { [key: string]: unknown } | undefined): LabelSmoothing | undefined {
  const v = meta?.labelSmoothing as Partial<LabelSmoothing> | undefined;
  if (!v || typeof v !== 'object' || typeof v.epsilon !== 'number' || typeof v.mode !== 'string') return undefined;
  return { epsilon: v.epsilon, mode: v.mode };
}
