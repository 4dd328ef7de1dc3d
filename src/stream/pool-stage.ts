/**
 * A per-sample stage that runs a transform chain in the worker pool: one hop per
 * sample per stage, results in input order, a failing sample skipped and reported.
 */
import type { OperatorFunction } from 'rxjs';
import { RngDomain } from '../core/rng.ts';
import type { Sample } from '../core/types.ts';
import type { TransformSpec } from '../kernels/transform.ts';
import { contextOf, freebiesOperator } from './context.ts';
import { orderedConcurrentMap, SKIP } from './ordered-map.ts';

/** Options of {@link poolStage}. */
export interface PoolStageOptions {
  /** Module URLs that register custom kernels in each worker. */
  modules?: string[];
}

/** An operator that applies `chain` to every sample on the worker pool. */
export function poolStage(name: string, chain: TransformSpec[], options: PoolStageOptions = {}): OperatorFunction<Sample, Sample> {
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    const operator = ctx.nextOperatorIndex();
    // Two tasks per worker keep each worker fed while its last result travels back.
    const concurrency = Math.max(1, ctx.pool.size * 2);
    const meter = ctx.stage(name, Math.max(1, ctx.pool.size));
    return source.pipe(
      orderedConcurrentMap(
        async (sample, setWorkMs): Promise<Sample | typeof SKIP> => {
          const key = [RngDomain.Transform, ctx.seed, sample.epoch, sample.index, operator];
          try {
            const r = await ctx.pool.run({ chain, key, sample, modules: options.modules });
            setWorkMs(r.computeMs);
            return r.sample;
          } catch (err) {
            ctx.skip({ path: sample.meta.path, reason: `${name} failed: ${(err as Error).message}` });
            ctx.drop(1, true);
            return SKIP;
          }
        },
        concurrency,
        meter,
      ),
    );
  });
}
