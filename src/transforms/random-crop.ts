/** `randomCrop()`: a fixed-size window at a random integer position (SPEC §3 Crop). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { RandomCropKernelOptions } from '../kernels/crop.ts';
import { probability, validate } from '../stream/options.ts';
import { hygieneOf, hygieneShape, type BoxFilterOptions } from './hygiene.ts';

const side = (what: string) =>
  z.number({ error: `${what} is required: the crop's size in pixels, e.g. 608` })
    .int(`${what} must be a whole number of pixels`)
    .positive(`${what} must be ≥ 1 pixel`);

const schema = z
  .object({
    p: probability.default(1),
    width: side('width'),
    height: side('height'),
    ...hygieneShape,
  })
  .strict();

/** Options of {@link randomCrop}. */
export interface RandomCropOptions extends BoxFilterOptions {
  /** Output width in pixels (required). */
  width: number;
  /** Output height in pixels (required). */
  height: number;
  /** Probability. Default 1. */
  p?: number;
}

/**
 * Crop a `width × height` window whose corner is a uniform integer position on the image
 * (x ~ int[0, W − width], y ~ int[0, H − height]; draws x then y). The output is always
 * `width × height`: on an axis where the image is smaller than the window there is no
 * draw, the image is centred and the rest is filled with grey 114 (YOLOv5's border
 * value). Boxes shift with the window, are clipped and filtered by SPEC §1 hygiene
 * (scale 1; the hygiene options are those of {@link BoxFilterOptions}).
 */
export function randomCrop(options: RandomCropOptions): TransformSpec<RandomCropKernelOptions> {
  const o = validate(schema, options, 'randomCrop()');
  return { name: 'randomCrop', p: o.p, options: { width: o.width, height: o.height, ...hygieneOf(o) } };
}
