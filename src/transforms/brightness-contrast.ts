/**
 * `brightness()`, `contrast()` and `brightnessContrast()`: x' = clip(α·x + β) (SPEC §2),
 * albumentations `RandomBrightnessContrast` with `brightness_by_max`. All three make the
 * one `brightnessContrast` kernel with explicit ranges; boxes do not move.
 */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { BrightnessContrastKernelOptions } from '../kernels/color.ts';
import { probability, validate } from '../stream/options.ts';

/** A limit l (→ [−l, l]) or a [lo, hi] range of offsets, each within [−1, 1]. */
function limit(what: string) {
  const n = z.number().min(-1, `${what} must be ≥ −1`).max(1, `${what} must be ≤ 1`);
  return z
    .union([z.number().min(0, `${what}: a single limit l means [−l, l] and must be ≥ 0; pass [lo, hi] for a one-sided range`).max(1, `${what} must be ≤ 1`), z.tuple([n, n])])
    .transform((v) => (typeof v === 'number' ? ([-v, v] as [number, number]) : v))
    .refine((v) => v[0] <= v[1], `${what}: a range is [lo, hi] with lo ≤ hi`);
}

const brightnessSchema = z.object({ p: probability.default(0.5), limit: limit('limit').default([-0.2, 0.2]) }).strict();
const contrastSchema = brightnessSchema;
const bothSchema = z
  .object({
    p: probability.default(0.5),
    brightness: limit('brightness').default([-0.2, 0.2]),
    contrast: limit('contrast').default([-0.2, 0.2]),
  })
  .strict();

/** Options of {@link brightness} and {@link contrast}. */
export interface BrightnessLimitOptions {
  /** Probability. Default 0.5 (albumentations). */
  p?: number;
  /** l (the offset is drawn from U(−l, l)) or a `[lo, hi]` range, within [−1, 1]. Default 0.2. */
  limit?: number | [number, number];
}

/** Options of {@link brightnessContrast}. */
export interface BrightnessContrastOptions {
  /** Probability. Default 0.5 (albumentations). */
  p?: number;
  /** β = 255·U(−l, l), or 255·U(lo, hi) for a range. Default 0.2. */
  brightness?: number | [number, number];
  /** α = 1 + U(−l, l), or 1 + U(lo, hi) for a range. Default 0.2. */
  contrast?: number | [number, number];
}

/*
 * Every factory names the kernel `brightnessContrast`, which draws α then β (SPEC §2;
 * albumentations' order) and maps each value through a table of
 * clip(round_half_up(α·x + β), 0, 255).
 */

/**
 * Random brightness: x' = clip(x + β), β = 255·U(−limit, limit), rounded half up, then
 * clipped to 0..255. Defaults: limit 0.2, p 0.5.
 */
export function brightness(options: BrightnessLimitOptions = {}): TransformSpec<BrightnessContrastKernelOptions> {
  const o = validate(brightnessSchema, options, 'brightness()');
  return { name: 'brightnessContrast', p: o.p, options: { contrast: [0, 0], brightness: o.limit } };
}

/**
 * Random contrast: x' = clip(α·x), α = 1 + U(−limit, limit), rounded half up, then
 * clipped to 0..255. Defaults: limit 0.2, p 0.5.
 */
export function contrast(options: BrightnessLimitOptions = {}): TransformSpec<BrightnessContrastKernelOptions> {
  const o = validate(contrastSchema, options, 'contrast()');
  return { name: 'brightnessContrast', p: o.p, options: { contrast: o.limit, brightness: [0, 0] } };
}

/**
 * Random brightness and contrast (albumentations `RandomBrightnessContrast`,
 * `brightness_by_max=True`): α = 1 + U(contrast), β = 255·U(brightness) (drawn in that
 * order), x' = clip(round_half_up(α·x + β), 0, 255). albumentations truncates instead
 * of rounding (its results are up to one grey level lower). Defaults: 0.2, 0.2, p 0.5.
 */
export function brightnessContrast(options: BrightnessContrastOptions = {}): TransformSpec<BrightnessContrastKernelOptions> {
  const o = validate(bothSchema, options, 'brightnessContrast()');
  return { name: 'brightnessContrast', p: o.p, options: { contrast: o.contrast, brightness: o.brightness } };
}
