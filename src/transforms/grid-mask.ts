/** `gridMask()`: a regular grid of masked squares (Chen et al. 2020, SPEC §4). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { Fill, GridMaskKernelOptions } from '../kernels/occlusion.ts';
import { probability, validate } from '../stream/options.ts';
import { fillOption, minVisibilityOption } from './random-erasing.ts';

const pixels = (what: string) => z.number().int(`${what} is whole pixels`).min(1, `${what} must be ≥ 1 pixel`);

const schema = z
  .object({
    p: probability.default(0.5),
    d1: pixels('d1 (smallest unit size)').default(96),
    d2: pixels('d2 (unit size bound, exclusive)').default(224),
    ratio: z.number().min(0, 'ratio (kept band fraction of a unit) is 0..1').max(1, 'ratio (kept band fraction of a unit) is 0..1').default(0.6),
    rotate: z.number().min(0, 'rotate is the maximum angle in degrees, 0..360').max(360, 'rotate is the maximum angle in degrees, 0..360').default(0),
    fill: fillOption.default(0),
    minVisibility: minVisibilityOption,
  })
  .strict()
  .refine((o) => o.d2 > o.d1, { message: 'd2 must be > d1: the unit size is drawn from [d1, d2), e.g. { d1: 96, d2: 224 }', path: ['d2'] });

/** Options of {@link gridMask}. */
export interface GridMaskOptions {
  /** Probability. Default 0.5. */
  p?: number;
  /**
   * Unit size d ~ integer uniform in [d1, d2), in pixels (not fractions of the image).
   * Defaults 96 and 224, the official ImageNet setting.
   */
  d1?: number;
  d2?: number;
  /** Kept band fraction r of each unit: masked squares have side d − ceil(d·r). Default 0.6. */
  ratio?: number;
  /** Maximum rotation of the grid in degrees: angle ~ U(0, rotate). Default 0 (no rotation). */
  rotate?: number;
  /** Default 0. See {@link Fill}. */
  fill?: Fill;
  /** Drop a box when less than this fraction of it stays visible. Default 0.1, SPEC §1's area ratio. */
  minVisibility?: number;
}

/**
 * Mask squares of side d − ceil(d·r) on a grid of period d with a random phase and an
 * optional rotation about the image centre (SPEC §4; the official GridMask with mode 1).
 * Boxes never move; those left less than `minVisibility` visible are dropped.
 * @example gridMask({ d1: 96, d2: 224, ratio: 0.6, rotate: 45 })
 */
export function gridMask(options: GridMaskOptions = {}): TransformSpec<GridMaskKernelOptions> {
  const o = validate(schema, options, 'gridMask()');
  return {
    name: 'gridMask',
    p: o.p,
    options: { d1: o.d1, d2: o.d2, ratio: o.ratio, rotate: o.rotate, fill: o.fill as Fill, minVisibility: o.minVisibility },
  };
}
