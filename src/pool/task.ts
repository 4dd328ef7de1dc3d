import type { Sample } from '../core/types.ts';
import type { TransformSpec } from '../kernels/transform.ts';

/** One unit of pool work: a transform chain applied to one sample. */
export interface ChainTask {
  chain: TransformSpec[];
  /** RNG key prefix `[domain, seed, epoch, index, operator]`. */
  key: number[];
  sample: Sample;
  /** Module URLs that register custom kernels, imported once per worker before the first task. */
  modules?: string[];
}

/**
 * One multi-image kernel (mosaic, mixup, cutmix) on a sample and its partners. The first
 * sample's buffers are moved to the worker; the partners' pixels live in shared memory
 * (they serve several tasks), so they cross without a copy and are never written.
 */
export interface MixTask {
  mix: { name: string; options: unknown };
  /** RNG key of the kernel's draws. */
  key: number[];
  samples: Sample[];
  modules?: string[];
}

export type PoolTask = ChainTask | MixTask;

/** What a worker sends back: the sample and the time its work took (for utilisation). */
export interface ChainResult {
  sample: Sample;
  computeMs: number;
}
