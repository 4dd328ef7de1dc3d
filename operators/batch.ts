/**
 * `batch(size)`: group samples into batches. The last, partial batch of a finite
 * stream is kept unless `dropLast`. Registers its size so demand can bound the
 * samples in flight to whole batches.
 */
import type { OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Sample } from '../src/core/types.ts';
import type { SampleBatch } from '../src/batch/types.ts';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';
import { validate } from '../src/stream/options.ts';
import { collectBatches } from './dynamic-batch.ts';

const schema = z
  .object({
    size: z.number().int('batch size must be a whole number').min(1, 'batch size must be ≥ 1, e.g. batch(16)'),
    dropLast: z.boolean().default(false),
  })
  .strict();

/** Options of {@link batch}. */
export interface BatchOptions {
  /** Drop a final batch smaller than `size`. Default false. */
  dropLast?: boolean;
}

/** Group consecutive samples into batches of `size`. */
export function batch(size: number, options: BatchOptions = {}): OperatorFunction<Sample, SampleBatch> {
  const o = validate(schema, { size, ...options }, 'batch()');
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    ctx.maxBatchSize = Math.max(ctx.maxBatchSize, o.size);
    const meter = ctx.stage('batch');
    return collectBatches(source, ctx, meter, {
      startsNew: () => false,
      isFull: (buffer) => buffer.length >= o.size,
      dropRemainder: () => o.dropLast,
    });
  });
}
