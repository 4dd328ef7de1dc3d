/**
 * `cutmix()`: paste a random rectangle of a partner into each sample (SPEC §5, Yun et al.
 * 2019; `rand_bbox` of the reference): hidden boxes dropped, the partner's boxes clipped
 * to the patch, λ corrected to the patch's area.
 */
import type { OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Sample } from '../src/core/types.ts';
import type { CutmixKernelOptions } from '../src/kernels/cutmix.ts';
import { partnerStage } from '../src/stream/partner-stage.ts';
import { probability, validate } from '../src/stream/options.ts';
import { hygieneOf, hygieneShape, type BoxFilterOptions } from '../src/transforms/hygiene.ts';
import { partnerPoolShape, type PartnerPoolOptions } from '../src/transforms/partner-options.ts';

const positive = (what: string) => z.number().gt(0, `${what} must be > 0`);
const schema = z
  .object({
    p: probability.default(0.5),
    alpha: positive('alpha').optional(),
    beta: positive('beta').optional(),
    weighted: z.boolean().default(false),
    ...partnerPoolShape({ poolSize: 16, minPool: 4 }),
    ...hygieneShape,
  })
  .strict();

/** Options of {@link cutmix}. */
export interface CutmixOperatorOptions extends BoxFilterOptions, PartnerPoolOptions {
  /** Probability. Default 0.5 (the reference's `cutmix_prob`). */
  p?: number;
  /** λ ~ Beta(alpha, beta); defaults 1, 1 (uniform), as the reference. */
  alpha?: number;
  beta?: number;
  /** Each box's loss weight becomes the corrected λ (this sample's boxes) or 1 − λ (the patch's). Default false. */
  weighted?: boolean;
  /** This sample's boxes less visible than this outside the patch are dropped. Default 0.1. */
  minVisibility?: number;
}

/**
 * Replace a random rectangle of each sample by the same rectangle of a recent partner of
 * the same size; `meta.mix` records the corrected λ for whole-image labels.
 */
export function cutmix(options: CutmixOperatorOptions = {}): OperatorFunction<Sample, Sample> {
  const o = validate(schema, options, 'cutmix()');
  const kernel: CutmixKernelOptions = {
    weighted: o.weighted,
    ...(o.alpha !== undefined && { alpha: o.alpha }),
    ...(o.beta !== undefined && { beta: o.beta }),
    ...hygieneOf(o),
  };
  return partnerStage('cutmix', { kernel: 'cutmix', options: kernel, p: o.p, partners: 1, poolSize: o.poolSize, minPool: o.minPool, sameSize: true });
}
