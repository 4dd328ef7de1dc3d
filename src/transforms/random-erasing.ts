/**
 * `randomErasing()` (Zhong et al. 2017, SPEC §4), plus the option schemas the three
 * occlusion transforms share (`fill`, `minVisibility`).
 */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import { DEFAULT_MIN_VISIBILITY, type Fill, type RandomErasingKernelOptions } from '../kernels/occlusion.ts';
import { probability, range, validate } from '../stream/options.ts';

const byte = z.number().int('fill values are integers').min(0, 'fill values are 0..255').max(255, 'fill values are 0..255');

/** zod schema of {@link Fill}: a grey level, an `[r, g, b]` triple, `'mean'` or `'random'`. */
export const fillOption = z.union([byte, z.tuple([byte, byte, byte]), z.literal('mean'), z.literal('random')], {
  error: "pass a grey level 0..255, an [r, g, b] triple of 0..255, 'mean' (the image's mean colour) or 'random' (random bytes)",
});

/** zod schema of `minVisibility` (default 0.1, SPEC §1's area ratio). */
export const minVisibilityOption = z
  .number()
  .min(0, 'minVisibility is a fraction 0..1 of the box left visible')
  .max(1, 'minVisibility is a fraction 0..1 of the box left visible')
  .default(DEFAULT_MIN_VISIBILITY);

const positive = z.number().positive('ratio (h/w) must be > 0');
const ratioRange = z
  .union([positive, z.tuple([positive, positive])])
  .transform((v) => (typeof v === 'number' ? ([v, v] as [number, number]) : v))
  .refine((v) => v[0] <= v[1], 'a range is [lo, hi] with lo ≤ hi');

const schema = z
  .object({
    p: probability.default(0.5),
    area: range('area (fraction of the image)', 0, 1).default([0.02, 0.4]),
    ratio: ratioRange.default([0.3, 3.3]),
    fill: fillOption.default('random'),
    minVisibility: minVisibilityOption,
  })
  .strict();

/** Options of {@link randomErasing}. */
export interface RandomErasingOptions {
  /** Probability. Default 0.5 (the paper's and torchvision's). */
  p?: number;
  /** Erased area as a fraction of the image, `[lo, hi]` (area ~ U(lo, hi)). Default `[0.02, 0.4]`. */
  area?: number | [number, number];
  /** Aspect ratio h/w, `[lo, hi]`, drawn log-uniform. Default `[0.3, 3.3]`. */
  ratio?: number | [number, number];
  /** Default `'random'` (uniform bytes per pixel and channel). See {@link Fill}. */
  fill?: Fill;
  /**
   * Drop a box when less than this fraction of it stays visible. Default 0.1, the same
   * fraction as SPEC §1's area ratio.
   */
  minVisibility?: number;
}

/**
 * Erase one random rectangle (SPEC §4; torchvision `RandomErasing`'s search): up to 10
 * attempts draw area `U(area)·W·H` and a log-uniform aspect; `h = round(√(area·ratio))`,
 * `w = round(√(area/ratio))`; the first with `h < H`, `w < W` is placed at a uniform
 * top-left; when none fits the image is unchanged. Boxes never move; those left less
 * than `minVisibility` visible are dropped.
 * @example randomErasing({ p: 0.5, fill: 'mean' })
 */
export function randomErasing(options: RandomErasingOptions = {}): TransformSpec<RandomErasingKernelOptions> {
  const o = validate(schema, options, 'randomErasing()');
  return {
    name: 'randomErasing',
    p: o.p,
    options: { area: o.area, ratio: o.ratio, fill: o.fill as Fill, minVisibility: o.minVisibility },
  };
}
