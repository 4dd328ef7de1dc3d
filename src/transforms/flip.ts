/** `flip()`: horizontal (default, p 0.5) or vertical mirror; boxes move with pixels. */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import { probability, validate } from '../stream/options.ts';

const schema = z
  .object({
    p: probability.default(0.5),
    direction: z.enum(['horizontal', 'vertical']).default('horizontal'),
  })
  .strict();

/** Options of {@link flip}. */
export interface FlipOptions {
  /** Probability. Default 0.5 (YOLOv5 `fliplr`). */
  p?: number;
  /** Default `horizontal`. */
  direction?: 'horizontal' | 'vertical';
}

/** Mirror the image; `x1' = W − x2, x2' = W − x1` (SPEC §3). */
export function flip(options: FlipOptions = {}): TransformSpec<{ direction: 'horizontal' | 'vertical' }> {
  const o = validate(schema, options, 'flip()');
  return { name: 'flip', p: o.p, options: { direction: o.direction } };
}
