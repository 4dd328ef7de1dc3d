/**
 * A per-sample stage that runs a transform chain in the worker pool: one hop per
 * sample per stage, results in input order, a failing sample skipped and reported.
 */
import type { OperatorFunction } from 'rxjs';
import { RngDomain } from '../core/rng.ts';
import type { Sample } from '../core/types.ts';
import type { TransformSpec } from '../kernels/transform.ts';
import type { PoolTask } from '../pool/task.ts';
import { contextOf, freebiesOperator, type PipelineContext } from './context.ts';
import { orderedConcurrentMap, SKIP } from './ordered-map.ts';

/** Options of {@link poolStage}. */
export interface PoolStageOptions {
  /** Module URLs that register custom kernels in each worker. */
  modules?: string[];
}

/**
 * Map items to samples through pool tasks, in input order, two tasks per worker in flight
 * (each worker stays fed while its last result travels back), metered as stage `name`.
 * `task` gives an item's sample and pool task, or just a sample to pass on untouched; a
 * task that fails skips its sample and reports it.
 */
export function poolMap<T>(
  ctx: PipelineContext,
  name: string,
  task: (item: T) => { sample: Sample; task?: PoolTask },
): OperatorFunction<T, Sample> {
  const concurrency = Math.max(1, ctx.pool.size * 2);
  const meter = ctx.stage(name, Math.max(1, ctx.pool.size));
  return orderedConcurrentMap(
    async (item: T, setWorkMs): Promise<Sample | typeof SKIP> => {
      const { sample, task: t } = task(item);
      if (!t) return sample;
      try {
        const r = await ctx.pool.run(t);
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
  );
}

/** An operator that applies `chain` to every sample on the worker pool. */
export function poolStage(name: string, chain: TransformSpec[], options: PoolStageOptions = {}): OperatorFunction<Sample, Sample> {
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    const operator = ctx.nextOperatorIndex();
    return source.pipe(
      poolMap(ctx, name, (sample: Sample) => ({
        sample,
        task: { chain, key: [RngDomain.Transform, ctx.seed, sample.epoch, sample.index, operator], sample, modules: options.modules },
      })),
    );
  });
}
