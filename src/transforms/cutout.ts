/** `cutout()`: square holes (DeVries & Taylor 2017, SPEC §4). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { CutoutKernelOptions, Fill } from '../kernels/occlusion.ts';
import { probability, validate } from '../stream/options.ts';
import { fillOption, minVisibilityOption } from './random-erasing.ts';

const schema = z
  .object({
    p: probability.default(0.5),
    holes: z.number().int('holes is a whole number').min(1, 'holes must be ≥ 1').default(1),
    size: z.number().gt(0, 'size is a fraction of min(W, H) in (0, 1]; for pixels pass sizePx').max(1, 'size is a fraction of min(W, H) in (0, 1]; for pixels pass sizePx').optional(),
    sizePx: z.number().int('sizePx is whole pixels').min(1, 'sizePx must be ≥ 1 pixel').optional(),
    fill: fillOption.default(0),
    minVisibility: minVisibilityOption,
  })
  .strict()
  .refine((o) => o.size === undefined || o.sizePx === undefined, {
    message: 'pass either size (a fraction of min(W, H)) or sizePx (pixels), not both',
    path: ['size'],
  });

/** Options of {@link cutout}. */
export interface CutoutOptions {
  /** Probability. Default 0.5. */
  p?: number;
  /** Number of square holes. Default 1. */
  holes?: number;
  /** Side of a hole as a fraction of min(W, H), in (0, 1]; rounded to pixels. Default 0.5 when `sizePx` is absent. */
  size?: number;
  /** Side of a hole in pixels (instead of `size`). */
  sizePx?: number;
  /** Default 0 (the paper's zero mask). See {@link Fill}. */
  fill?: Fill;
  /** Drop a box when less than this fraction of it stays visible. Default 0.1, SPEC §1's area ratio. */
  minVisibility?: number;
}

/**
 * Cut `holes` square holes of side l, each centred on a uniform pixel and clipped at the
 * border (SPEC §4); overlapping holes paint once. Boxes never move; those left less than
 * `minVisibility` visible are dropped.
 * @example cutout({ holes: 2, size: 0.25 })
 */
export function cutout(options: CutoutOptions = {}): TransformSpec<CutoutKernelOptions> {
  const o = validate(schema, options, 'cutout()');
  const size = o.sizePx === undefined ? { size: o.size ?? 0.5 } : { sizePx: o.sizePx };
  return {
    name: 'cutout',
    p: o.p,
    options: { holes: o.holes, ...size, fill: o.fill as Fill, minVisibility: o.minVisibility },
  };
}
