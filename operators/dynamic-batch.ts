/**
 * `dynamicBatch()`: batches whose size follows their shape (SPEC §6) — Darknet's
 * `dynamic_minibatch` rule, a memory budget, or a fixed size — grouped by the batch
 * ordinals `randomShapes()` wrote, so every batch holds images of one shape.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../src/core/errors.ts';
import type { Sample } from '../src/core/types.ts';
import type { SampleBatch } from '../src/batch/types.ts';
import {
  darknetBatchSize,
  defaultBytesPerImage,
  maxBatchSize,
  memoryBatchSize,
  parseBytes,
  type BatchSizeRule,
  type Shape,
} from '../src/batch/shapes.ts';
import { bindContext, contextOf, freebiesOperator, type PipelineContext } from '../src/stream/context.ts';
import type { StageMeter } from '../src/profile/meter.ts';
import { validate } from '../src/stream/options.ts';
import { registerBatchRule, shapeScheduleOf, shapeTagOf } from './random-shapes.ts';

const whole = (what: string) =>
  z
    .number()
    .refine(Number.isInteger, `${what} must be a whole number`)
    .refine((n) => n >= 1, `${what} must be ≥ 1`);

const schema = z
  .object({
    base: whole('base').optional(),
    memoryBudget: z
      .union([z.number().positive('memoryBudget must be > 0 bytes'), z.string()], {
        error: "memoryBudget is bytes or a string like '2GiB'",
      })
      .optional(),
    bytesPerImage: z
      .custom<(shape: Shape) => number>((v) => typeof v === 'function', 'bytesPerImage must be a function (shape) => bytes')
      .optional(),
    size: whole('size').optional(),
    dropLast: z.boolean().default(false),
  })
  .strict()
  .refine((o) => [o.base, o.memoryBudget, o.size].filter((v) => v !== undefined).length === 1, {
    message: "pass exactly one of base (Darknet's rule, e.g. base: 16), memoryBudget (e.g. '2GiB') or size (fixed)",
  })
  .refine((o) => o.bytesPerImage === undefined || o.memoryBudget !== undefined, {
    message: 'bytesPerImage goes with memoryBudget',
  });

/** Options of {@link dynamicBatch}: exactly one of `base`, `memoryBudget`, `size`. */
export interface DynamicBatchOptions {
  /**
   * Darknet `dynamic_minibatch`: the batch size at the largest shape; a smaller shape
   * (H, W) gets b = ⌊base·Hmax·Wmax/(H·W)⌋, then ⌊0.8·b⌋ when that is still > base.
   * E.g. base 16 on 320..608: 16 at 608, 45 at 320.
   */
  base?: number;
  /**
   * Memory budget per batch, bytes or a string (`'2GiB'`, `'512MiB'`, `'1.5GB'`):
   * b = ⌊budget / bytesPerImage(shape)⌋, at least 1.
   */
  memoryBudget?: number | string;
  /**
   * Bytes one image of a shape costs the training step. Default: the float32 input
   * H·W·3·4 × 357, YOLOv4's activations kept for backprop (`YOLOV4_ACTIVATION_FACTOR`).
   */
  bytesPerImage?: (shape: Shape) => number;
  /** A fixed batch size, still grouped by shape (a skipped sample moves no other). */
  size?: number;
  /** Drop the run's last batch when it holds fewer samples than its rule asked for. Default false. */
  dropLast?: boolean;
}

/** How {@link collectBatches} cuts a stream of samples into batches. */
export interface BatchCut<S> {
  /** Whether `s` starts a new batch rather than joining the non-empty `buffer`. */
  startsNew(s: S, buffer: readonly S[]): boolean;
  /** Whether `buffer` (just grown) is complete and leaves now. */
  isFull(buffer: readonly S[]): boolean;
  /** Whether the final, incomplete `buffer` is dropped at completion instead of emitted. */
  dropRemainder(buffer: readonly S[]): boolean;
}

/**
 * The grouping engine of a batching operator: consecutive samples become one
 * {@link SampleBatch} until `cut` says a batch is complete or the next sample belongs
 * to another; dropped samples return their credits. `batch(n)` is the case
 * `startsNew: () => false, isFull: (b) => b.length >= n`.
 */
export function collectBatches(
  source: Observable<Sample>,
  ctx: PipelineContext,
  meter: StageMeter,
  cut: BatchCut<Sample>,
): Observable<SampleBatch> {
  return new Observable<SampleBatch>((subscriber) => {
    let buffer: Sample[] = [];
    const emit = (): void => {
      const samples = buffer;
      buffer = [];
      meter.setBuffered(0);
      meter.count();
      subscriber.next({ samples, size: samples.length, ids: samples.map((s) => s.id) });
    };
    const sub = source.subscribe({
      next: (s) => {
        try {
          if (buffer.length > 0 && cut.startsNew(s, buffer)) emit();
          buffer.push(s);
          meter.setBuffered(buffer.length);
          if (cut.isFull(buffer)) emit();
        } catch (err) {
          subscriber.error(err);
        }
      },
      error: (err) => subscriber.error(err),
      complete: () => {
        if (buffer.length > 0) {
          if (cut.dropRemainder(buffer)) {
            ctx.drop(buffer.length, true);
            buffer = [];
          } else emit();
        }
        subscriber.complete();
      },
    });
    return () => sub.unsubscribe();
  });
}

/** The batch-size rule the options describe, for a schedule whose largest shape is `largest`. */
export function batchSizeRule(options: DynamicBatchOptions, largest: Shape): BatchSizeRule {
  if (options.base !== undefined) {
    const base = options.base;
    return (shape) => darknetBatchSize(base, shape, largest);
  }
  if (options.memoryBudget !== undefined) {
    const budget = parseBytes(options.memoryBudget);
    const per = options.bytesPerImage ?? ((s: Shape) => defaultBytesPerImage(s));
    return (shape) => memoryBatchSize(budget, shape, per);
  }
  const size = options.size ?? 1;
  return () => size;
}

const tagOf = (s: Sample) => {
  const tag = shapeTagOf(s.meta);
  if (!tag) throw new ConfigError(`dynamicBatch(): sample ${s.id} has no meta.batch: put randomShapes() right after the source`);
  return tag;
};

/**
 * Group samples into batches of one shape each. The samples `randomShapes()` gave one
 * batch ordinal form one batch, emitted as soon as it holds the size its rule asked for,
 * or when a sample of the next batch arrives (one of its samples was skipped), or at
 * completion. The rule also sets the largest batch demand must allow in flight (the
 * largest over every shape the schedule can produce). Needs `randomShapes()` upstream.
 * SPEC §6.
 */
export function dynamicBatch(options: DynamicBatchOptions): OperatorFunction<Sample, SampleBatch> {
  const o = validate(schema, options, 'dynamicBatch()');
  if (o.memoryBudget !== undefined) {
    try {
      parseBytes(o.memoryBudget);
    } catch (err) {
      throw new ConfigError(`dynamicBatch(): memoryBudget: ${(err as Error).message}`);
    }
  }
  return freebiesOperator((source: Observable<Sample>) => {
    const ctx = contextOf(source);
    const schedule = shapeScheduleOf(ctx);
    if (!schedule) {
      throw new ConfigError('dynamicBatch() needs randomShapes() before it (right after the source), e.g. fromYolo(dir).pipe(randomShapes(), decode(), letterbox(), dynamicBatch({ base: 16 }))');
    }
    const rule = batchSizeRule(o, schedule.largest);
    registerBatchRule(ctx, rule);
    ctx.maxBatchSize = Math.max(ctx.maxBatchSize, maxBatchSize(rule, schedule.shapes));
    const meter = ctx.stage('dynamicBatch');
    const out = collectBatches(source, ctx, meter, {
      startsNew: (s, buffer) => tagOf(s).batch !== tagOf(buffer[0]!).batch,
      isFull: (buffer) => buffer.length >= tagOf(buffer[0]!).batchSize,
      dropRemainder: (buffer) => o.dropLast && buffer.length < tagOf(buffer[0]!).batchSize,
    });
    return bindContext(out, ctx);
  });
}
