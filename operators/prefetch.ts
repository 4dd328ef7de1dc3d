/**
 * `prefetch(n)`: let the pipeline prepare up to `n` batches ahead of the consumer.
 * The bound is enforced by demand credits at the source (samples in flight ≤
 * batch size × (n + 1)), so this stage itself only counts and sets the depth.
 */
import { tap, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';
import { validate } from '../src/stream/options.ts';

const schema = z.number().int('prefetch depth must be a whole number').min(0, 'prefetch depth must be ≥ 0');

/** Prepare up to `depth` batches ahead of the consumer. Default 2. */
export function prefetch<T>(depth = 2): OperatorFunction<T, T> {
  const n = validate(schema, depth, 'prefetch()');
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    ctx.prefetchDepth = n;
    const meter = ctx.stage('prefetch');
    return source.pipe(tap(() => meter.count()));
  });
}
