/** Options every multi-image operator shares: the size of its partner pool. */
import { z } from 'zod';

const count = (what: string) => z.number().int(`${what} must be a whole number`).min(1, `${what} must be ≥ 1`);

/** zod shape of {@link PartnerPoolOptions}; `defaults` are the operator's own. */
export function partnerPoolShape(defaults: { poolSize: number; minPool: number }) {
  return {
    poolSize: count('poolSize').default(defaults.poolSize),
    minPool: count('minPool').default(defaults.minPool),
  };
}

/** How many decoded samples a multi-image operator keeps to draw partners from. */
export interface PartnerPoolOptions {
  /**
   * The most recent samples kept (in shared memory) as partners. Larger pools mix more
   * distinct images per neighbourhood of the stream at the cost of memory (one decoded
   * image each). The stream is shuffled, so recent samples are a random subset.
   */
  poolSize?: number;
  /** Samples gathered before the first output, so the first outputs mix distinct images too. */
  minPool?: number;
}
