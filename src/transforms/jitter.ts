/** `jitter()`: Darknet's crop/pad jitter, which distorts the aspect ratio (SPEC §3). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { JitterKernelOptions } from '../kernels/crop.ts';
import { probability, validate } from '../stream/options.ts';
import { hygieneOf, hygieneShape, type BoxFilterOptions } from './hygiene.ts';

const side = (what: string) =>
  z.number().int(`${what} must be a whole number of pixels`).positive(`${what} must be ≥ 1 pixel`).optional();

const schema = z
  .object({
    p: probability.default(1),
    jitter: z.number()
      .min(0, 'jitter must be ≥ 0 (Darknet uses 0.3)')
      .lt(0.5, 'jitter must be < 0.5: at 0.5 both sides of an axis can cut in by half the image and leave nothing')
      .default(0.3),
    width: side('width'),
    height: side('height'),
    ...hygieneShape,
  })
  .strict();

/** Options of {@link jitter}. */
export interface JitterOptions extends BoxFilterOptions {
  /** Probability. Default 1. */
  p?: number;
  /** Darknet `jitter`: each side moves by up to this fraction of the image side. In [0, 0.5); default 0.3. */
  jitter?: number;
  /** Output width; default the input's. Darknet resizes to the network width here. */
  width?: number;
  /** Output height; default the input's. */
  height?: number;
}

/**
 * Darknet's jitter (AlexeyAB `load_data_detection` + `image_data_augmentation`, OpenCV build):
 * dw = trunc(W·jitter), dh = trunc(H·jitter); pleft, pright ~ U(−dw, dw) and ptop, pbot ~
 * U(−dh, dh), each truncated to an integer, drawn in the order pleft, pright, ptop, pbot.
 * The window (pleft, ptop, W − pleft − pright, H − ptop − pbot) is cut out — its part
 * outside the image filled with the image's mean colour (`cv::mean`, rounded half to even) —
 * and resized (OpenCV-exact bilinear) to `width × height`, which distorts the aspect ratio.
 * Boxes shift by (−pleft, −ptop), scale by (width/sw, height/sh), are clipped, and pass SPEC §1
 * hygiene with scale √((width/sw)·(height/sh)), the area zoom.
 */
export function jitter(options: JitterOptions = {}): TransformSpec<JitterKernelOptions> {
  const o = validate(schema, options, 'jitter()');
  return {
    name: 'jitter',
    p: o.p,
    options: {
      jitter: o.jitter,
      ...(o.width !== undefined ? { width: o.width } : {}),
      ...(o.height !== undefined ? { height: o.height } : {}),
      ...hygieneOf(o),
    },
  };
}
