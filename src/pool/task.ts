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

/** What a worker sends back: the sample and the time its chain took (for utilisation). */
export interface ChainResult {
  sample: Sample;
  computeMs: number;
}
