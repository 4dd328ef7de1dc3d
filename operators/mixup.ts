/**
 * `mixup()`: blend each sample with a partner of the same size and keep both box lists
 * (SPEC §5): YOLOv5's λ ~ Beta(32, 32), Darknet's λ = 0.5, or Zhang et al.'s weighted form.
 */
import type { OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Sample } from '../src/core/types.ts';
import type { MixupKernelOptions } from '../src/kernels/mixup.ts';
import { partnerStage } from '../src/stream/partner-stage.ts';
import { probability, validate } from '../src/stream/options.ts';
import { partnerPoolShape, type PartnerPoolOptions } from '../src/transforms/partner-options.ts';

const positive = (what: string) => z.number().gt(0, `${what} must be > 0`);
const schema = z
  .object({
    p: probability.default(0.1),
    mode: z.enum(['yolov5', 'darknet']).default('yolov5'),
    alpha: positive('alpha').optional(),
    beta: positive('beta').optional(),
    lambda: probability.optional(),
    weighted: z.boolean().default(false),
    ...partnerPoolShape({ poolSize: 16, minPool: 4 }),
  })
  .strict();

/** Options of {@link mixup}. */
export interface MixupOptions extends PartnerPoolOptions {
  /** Probability. Default 0.1 (YOLOv5's `hyp.scratch-high.yaml` mixup). */
  p?: number;
  /** `'yolov5'` (default): λ ~ Beta(32, 32). `'darknet'`: λ = 0.5. */
  mode?: 'yolov5' | 'darknet';
  /** Beta(alpha, beta) for λ, overriding the mode (`beta` defaults to `alpha`; Zhang et al. 2019: 1.5). */
  alpha?: number;
  beta?: number;
  /** A fixed λ, overriding everything. */
  lambda?: number;
  /** Each box's loss weight becomes λ (this sample's) or 1 − λ (the partner's). Default false. */
  weighted?: boolean;
}

/**
 * x = λ·x + (1 − λ)·partner, boxes concatenated; the partner is a recent sample of the same
 * size from this stage's pool (e.g. another mosaic). `meta.mix` records λ.
 */
export function mixup(options: MixupOptions = {}): OperatorFunction<Sample, Sample> {
  const o = validate(schema, options, 'mixup()');
  const kernel: MixupKernelOptions = {
    mode: o.mode,
    weighted: o.weighted,
    ...(o.alpha !== undefined && { alpha: o.alpha }),
    ...(o.beta !== undefined && { beta: o.beta }),
    ...(o.lambda !== undefined && { lambda: o.lambda }),
  };
  return partnerStage('mixup', { kernel: 'mixup', options: kernel, p: o.p, partners: 1, poolSize: o.poolSize, minPool: o.minPool, sameSize: true });
}
