/**
 * The box-hygiene options every geometric transform accepts (SPEC §1): YOLOv5's
 * `box_candidates` thresholds plus albumentations' `BboxParams` names. One schema, so
 * every transform validates and documents them the same way.
 */
import { z } from 'zod';
import { pickBoxFilterOptions, type BoxFilterOptions } from '../kernels/boxes.ts';

const nonNegative = (what: string) => z.number().min(0, `${what} must be ≥ 0`);

/** zod shape of {@link BoxFilterOptions}; spread it into a transform's schema. */
export const hygieneShape = {
  whThr: nonNegative('whThr (minimum box side in pixels, exclusive)').optional(),
  arThr: z.number().gt(1, 'arThr (maximum aspect ratio) must be > 1').optional(),
  areaThr: z.number().min(0).max(1, 'areaThr is a fraction of the old area, 0..1').optional(),
  minArea: nonNegative('minArea (pixels²)').optional(),
  minVisibility: z.number().min(0).max(1, 'minVisibility is a fraction, 0..1').optional(),
  minWidth: nonNegative('minWidth (pixels)').optional(),
  minHeight: nonNegative('minHeight (pixels)').optional(),
};

/** Pick the hygiene options out of a validated options object (drops undefined ones). */
export const hygieneOf = pickBoxFilterOptions;

export type { BoxFilterOptions };
