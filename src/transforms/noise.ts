/** `noise()`: additive Gaussian noise, clipped (SPEC §2). */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { NoiseKernelOptions } from '../kernels/noise.ts';
import { probability, range, validate } from '../stream/options.ts';

const schema = z
  .object({
    p: probability.default(0.5),
    sigma: range('sigma (grey levels)', 0, 255).default([3, 7]),
    perChannel: z.boolean().default(true),
  })
  .strict();

/** Options of {@link noise}. */
export interface NoiseOptions {
  /** Probability. Default 0.5. */
  p?: number;
  /**
   * Standard deviation in grey levels (0..255), or a `[lo, hi]` range (σ ~ U(lo, hi)).
   * Default `[3, 7]`, about albumentations `GaussNoise`'s default variance 10..50.
   */
  sigma?: number | [number, number];
  /** Independent noise per channel (default true) or one value per pixel (grey noise). */
  perChannel?: boolean;
}

/** Add N(0, σ) to every pixel value and clip to 0..255; boxes do not move. */
export function noise(options: NoiseOptions = {}): TransformSpec<NoiseKernelOptions> {
  const o = validate(schema, options, 'noise()');
  return { name: 'noise', p: o.p, options: { sigma: o.sigma, perChannel: o.perChannel } };
}
