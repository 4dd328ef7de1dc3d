/**
 * `randomShapes()`: random training shapes (SPEC §6). Placed right after the source, it
 * tags every sample with the shape and the ordinal of the batch it will belong to, so
 * `letterbox()` (or a mosaic) can size each sample and `dynamicBatch()` can group them.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../src/core/errors.ts';
import {
  makeShapeSchedule,
  scheduleShape,
  type BatchSizeRule,
  type Shape,
  type ShapeSchedule,
  type ShapeScheduleOptions,
} from '../src/batch/shapes.ts';
import { bindContext, contextOf, freebiesOperator, type PipelineContext } from '../src/stream/context.ts';
import { validate } from '../src/stream/options.ts';

const side = z
  .number()
  .refine(Number.isInteger, 'a size must be a whole number of pixels')
  .refine((n) => n >= 1, 'a size must be ≥ 1');
const size = z.union([side, z.object({ width: side, height: side }).strict()]);
const count = (what: string) =>
  z
    .number()
    .refine(Number.isInteger, `${what} must be a whole number`)
    .refine((n) => n >= 0, `${what} must be ≥ 0`);

const schema = z
  .object({
    rule: z.enum(['list', 'darknet'], { error: "rule is 'list' (draw from sizes) or 'darknet' (init/coef/step)" }).optional(),
    sizes: z.array(size).min(1, 'sizes must list at least one size, e.g. sizes: [320, 416, 512, 608]').optional(),
    init: size.optional(),
    coef: z.number().min(1, 'coef must be ≥ 1 (Darknet scales by U(1, coef) or its inverse), e.g. 1.4').optional(),
    step: side.optional(),
    every: count('every').refine((n) => n >= 1, 'every must be ≥ 1 batch').default(10),
    batchSize: count('batchSize').refine((n) => n >= 1, 'batchSize must be ≥ 1').optional(),
    largestFirst: z.boolean().optional(),
    largestLast: count('largestLast').optional(),
    totalBatches: count('totalBatches').refine((n) => n >= 1, 'totalBatches must be ≥ 1').optional(),
  })
  .strict()
  .refine((o) => !(o.sizes && (o.rule === 'darknet' || o.init || o.coef || o.step)), {
    message: "pass either sizes (the list rule) or rule: 'darknet' with init/coef/step, not both",
  })
  .refine((o) => o.rule === 'darknet' || !(o.init || o.coef || o.step), {
    message: "init, coef and step belong to Darknet's rule: add rule: 'darknet'",
  });

/** Options of {@link randomShapes}. */
export interface RandomShapesOptions extends ShapeScheduleOptions {
  /**
   * Samples per batch when no `dynamicBatch()` follows. Default: the size of the
   * `batch(n)` that follows (a plain `batch(n)` counts samples, so a skipped sample
   * shifts later batches across a shape change: prefer `dynamicBatch({ size: n })`).
   */
  batchSize?: number;
}

/** What {@link randomShapes} writes into each sample's `meta`. */
export interface ShapeTag {
  /** The network size of the sample's batch. */
  shape: Shape;
  /** The ordinal of its batch in the run (0, 1, …); samples of one batch share it. */
  batch: number;
  /** The samples the batch is meant to hold (fewer when some are skipped or the epoch ends). */
  batchSize: number;
}

/** What {@link randomShapes} accepts: sample references or samples. */
export interface ShapeInput {
  epoch: number;
  meta?: object;
}

/** An input item with its {@link ShapeTag}. */
export type Shaped<T> = T & { meta: ShapeTag };

/** The shape schedule a `randomShapes()` registered in `ctx`, if any. */
export function shapeScheduleOf(ctx: PipelineContext): ShapeSchedule | undefined {
  return ctx.shapeSchedule;
}

/** Called by `dynamicBatch()` when piped: the rule `randomShapes()` reads when a run starts. */
export function registerBatchRule(ctx: PipelineContext, rule: BatchSizeRule): void {
  if (ctx.batchRule) throw new ConfigError('a pipeline takes one dynamicBatch(): remove the second one');
  ctx.batchRule = rule;
}

/** The {@link ShapeTag} of a sample's meta, or undefined when it has none. */
export function shapeTagOf(meta: unknown): ShapeTag | undefined {
  const m = meta as Partial<ShapeTag> | undefined;
  if (!m || typeof m.batch !== 'number' || typeof m.batchSize !== 'number' || !m.shape) return undefined;
  return m as ShapeTag;
}

/**
 * Tag every sample with a training shape (`meta.shape`), its batch's ordinal
 * (`meta.batch`) and that batch's intended size (`meta.batchSize`). The shape changes
 * every `every` batches, drawn from the seeded stream `(Shapes, seed, epoch, ⌊batch/every⌋)`
 * (see `scheduleShape`); the batch size comes from the `dynamicBatch()` rule further
 * down, else from `batchSize`, else from `batch(n)`. A new epoch starts a new batch.
 * Place it right after the source: ordinals are counted on arrival, before anything
 * can be skipped, so a skipped sample leaves its batch one short and moves no other.
 * SPEC §6.
 */
export function randomShapes<T extends ShapeInput>(options: RandomShapesOptions = {}): OperatorFunction<T, Shaped<T>> {
  const o = validate(schema, options, 'randomShapes()');
  const schedule = makeShapeSchedule({ ...o, rule: o.rule ?? 'list' });
  return freebiesOperator((source: Observable<T>) => {
    const ctx = contextOf(source);
    if (ctx.shapeSchedule) throw new ConfigError('a pipeline takes one randomShapes(): remove the second one');
    ctx.shapeSchedule = schedule;
    const meter = ctx.stage('randomShapes');
    const out = new Observable<Shaped<T>>((subscriber) => {
      // Read when the run starts: dynamicBatch() and batch() are piped after this operator.
      const rule = ctx.batchRule;
      const sizeOf: BatchSizeRule = rule ?? (() => o.batchSize ?? ctx.maxBatchSize);
      let epoch: number | undefined;
      let inEpoch = -1;
      let runBatch = -1;
      let filled = 0;
      let tag: ShapeTag | undefined;
      const sub = source.subscribe({
        next: (s) => {
          if (epoch === undefined || s.epoch > epoch) {
            epoch = s.epoch;
            inEpoch = -1;
            tag = undefined;
          }
          if (!tag || filled >= tag.batchSize) {
            inEpoch++;
            runBatch++;
            const shape = scheduleShape(schedule, ctx.seed, { epoch, batch: inEpoch, runBatch });
            tag = { shape, batch: runBatch, batchSize: Math.max(1, sizeOf(shape)) };
            filled = 0;
          }
          filled++;
          meter.count();
          subscriber.next({ ...s, meta: { ...s.meta, shape: { ...tag.shape }, batch: tag.batch, batchSize: tag.batchSize } } as Shaped<T>);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
    return bindContext(out, ctx);
  });
}
