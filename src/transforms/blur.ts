/** `blur()`: Gaussian blur with σ or kernel size drawn from a range (SPEC §2). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { BlurKernelOptions } from '../kernels/blur.ts';
import { probability, range, validate } from '../stream/options.ts';

const schema = z
  .object({
    p: probability.default(0.5),
    sigma: range('sigma', 0.3, 100).optional(),
    kernelSize: range('kernelSize', 3, 201).optional(),
    background: z.boolean().default(false),
  })
  .strict()
  .refine((o) => !(o.sigma && o.kernelSize), 'pass sigma or kernelSize, not both')
  .refine((o) => !o.kernelSize || o.kernelSize[1] % 2 === 1 || o.kernelSize[1] - o.kernelSize[0] >= 1, 'kernelSize: the range must contain an odd size');

/** Options of {@link blur}. */
export interface BlurOptions {
  /** Probability. Default 0.5. */
  p?: number;
  /** σ in pixels, or a `[lo, hi]` range (σ ~ U(lo, hi)); at least 0.3. */
  sigma?: number | [number, number];
  /**
   * Kernel size, or a `[lo, hi]` range: an odd size is drawn uniformly and σ follows
   * OpenCV's rule 0.3·((k−1)/2 − 1) + 0.8. Default `[3, 7]` (albumentations `GaussianBlur`)
   * when `sigma` is not given.
   */
  kernelSize?: number | [number, number];
  /**
   * Darknet's background blur (`blur=1`): everything but the pixels inside boxes is
   * blurred. Darknet uses a 17-pixel kernel: `blur({ kernelSize: 17, background: true })`.
   */
  background?: boolean;
}

/** Blur the image with a Gaussian; boxes do not move. */
export function blur(options: BlurOptions = {}): TransformSpec<BlurKernelOptions> {
  const o = validate(schema, options, 'blur()');
  const kernelSize = o.sigma ? undefined : (o.kernelSize ?? ([3, 7] as [number, number]));
  return {
    name: 'blur',
    p: o.p,
    options: { ...(o.sigma ? { sigma: o.sigma } : { kernelSize }), background: o.background },
  };
}
