import type { Sample } from '../core/types.ts';

/** Samples grouped by `batch()`, before they become tensors. */
export interface SampleBatch {
  samples: Sample[];
  /** Number of samples (what demand credits count). */
  size: number;
  ids: string[];
}
