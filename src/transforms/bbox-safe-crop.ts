/** `bboxSafeCrop()`: a random crop that keeps every box whole (SPEC §3 Crop). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { BboxSafeCropKernelOptions } from '../kernels/crop.ts';
import { probability, validate } from '../stream/options.ts';
import { hygieneOf, hygieneShape, type BoxFilterOptions } from './hygiene.ts';

const schema = z
  .object({
    p: probability.default(1),
    erosionRate: z.number()
      .min(0, 'erosionRate must be ≥ 0 (0 keeps every box whole)')
      .lt(1, 'erosionRate must be < 1 (it is the fraction of the box union that may be cut away)')
      .default(0),
    minScale: z.number()
      .gt(0, 'minScale must be > 0 (leave it out for no lower bound)')
      .max(1, 'minScale is a fraction of the image side, at most 1')
      .optional(),
    ...hygieneShape,
  })
  .strict();

/** Options of {@link bboxSafeCrop}. */
export interface BboxSafeCropOptions extends BoxFilterOptions {
  /** Probability. Default 1. */
  p?: number;
  /**
   * albumentations' `erosion_rate`: the union of the boxes is shrunk by this fraction of its
   * width (height) on each side before the crop is placed, so boxes may be cut (the hygiene
   * options decide which stay); from 0.5 on the union is a single point, its centre. With no
   * boxes, the crop's sides are at least (1 − erosionRate) of the image's. In [0, 1); default 0
   * (no box is ever cut). albumentations 1.x erodes each box by its own size before the union;
   * this erodes the union by the union's size.
   */
  erosionRate?: number;
  /**
   * Every crop side is at least this fraction of the image's side (rounded up to a pixel),
   * so a small box union does not give a tiny crop. In (0, 1]; default: no bound.
   */
  minScale?: number;
}

/**
 * albumentations `BBoxSafeRandomCrop`'s idea in integer pixels: the crop contains the union
 * of all boxes (rounded outward to pixels): x1 ~ int[0, union.x1], y1 ~ int[0, union.y1],
 * x2 ~ int[union.x2, W], y2 ~ int[union.y2, H], drawn in that order. Boxes flagged
 * `Ignore` count in the union too: they are real objects, and cutting them would leave
 * half-objects unlabelled. With no boxes, a random window keeping the aspect ratio whose
 * sides are at least max(1 − erosionRate, minScale) of the image's. The output keeps the
 * crop's own size (no resize; follow it with `letterbox()` for a fixed size); boxes shift
 * with the crop and pass SPEC §1 hygiene (scale 1).
 */
export function bboxSafeCrop(options: BboxSafeCropOptions = {}): TransformSpec<BboxSafeCropKernelOptions> {
  const o = validate(schema, options, 'bboxSafeCrop()');
  return {
    name: 'bboxSafeCrop',
    p: o.p,
    options: { erosionRate: o.erosionRate, ...(o.minScale !== undefined ? { minScale: o.minScale } : {}), ...hygieneOf(o) },
  };
}
