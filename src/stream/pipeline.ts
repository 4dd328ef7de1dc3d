/**
 * A pipeline: an RxJS Observable that also is an `AsyncIterable` (pull, with
 * backpressure) and converts to a `tf.data.Dataset`. `pipe()` keeps it a Pipeline,
 * so the three ways of consuming stay available after every operator.
 */
import { Observable, tap, type OperatorFunction, type Subscriber } from 'rxjs';
import type * as tf from '@tensorflow/tfjs';
import { bindContext, isFreebiesOperator, PipelineContext, type RunReport } from './context.ts';
import type { Batch } from '../tensor/batch.ts';
import { batchesToDataset, type BatchToElement } from '../tensor/dataset.ts';

/** A stream of pipeline items bound to one {@link PipelineContext}. */
export class Pipeline<T> extends Observable<T> implements AsyncIterable<T> {
  /** The operator chain without the consumer-side accounting. */
  readonly inner: Observable<T>;
  readonly context: PipelineContext;
  /** Where items leave the last freebies operator (see {@link freebiesOperator}). */
  private readonly boundary: number;
  /** Whether that boundary is the end of this chain (no user operators after it). */
  private readonly endsAtBoundary: boolean;

  /**
   * @param inner the chain, already ending in a boundary tap when `boundary` is given.
   * Use {@link Pipeline.from} to start a pipeline from a source observable.
   */
  constructor(inner: Observable<T>, context: PipelineContext, boundary: number, endsAtBoundary: boolean) {
    super((subscriber: Subscriber<T>) => {
      // Push consumption: credits return where items leave the freebies operators.
      context.beginRun(boundary, false);
      const sub = inner.subscribe({
        next: (item) => subscriber.next(item),
        error: (err) => {
          void context.endRun().finally(() => subscriber.error(err));
        },
        complete: () => {
          void context.endRun().finally(() => subscriber.complete());
        },
      });
      return () => {
        sub.unsubscribe();
        void context.endRun();
      };
    });
    this.inner = bindContext(inner, context);
    this.context = context;
    this.boundary = boundary;
    this.endsAtBoundary = endsAtBoundary;
  }

  /** A pipeline over a source observable of `context`. */
  static from<T>(source: Observable<T>, context: PipelineContext): Pipeline<T> {
    const id = context.nextBoundary();
    return new Pipeline(bindContext(source, context).pipe(tap((x) => context.passBoundary(id, x))), context, id, true);
  }

  // RxJS's own overloads keep operator types; ours returns a Pipeline of the last type.
  override pipe(): Pipeline<T>;
  override pipe<A>(op1: OperatorFunction<T, A>): Pipeline<A>;
  override pipe<A, B>(op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>): Pipeline<B>;
  override pipe<A, B, C>(op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>, op3: OperatorFunction<B, C>): Pipeline<C>;
  override pipe<A, B, C, D>(
    op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>, op3: OperatorFunction<B, C>, op4: OperatorFunction<C, D>,
  ): Pipeline<D>;
  override pipe<A, B, C, D, E>(
    op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>, op3: OperatorFunction<B, C>, op4: OperatorFunction<C, D>,
    op5: OperatorFunction<D, E>,
  ): Pipeline<E>;
  override pipe<A, B, C, D, E, F>(
    op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>, op3: OperatorFunction<B, C>, op4: OperatorFunction<C, D>,
    op5: OperatorFunction<D, E>, op6: OperatorFunction<E, F>,
  ): Pipeline<F>;
  override pipe<A, B, C, D, E, F, G>(
    op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>, op3: OperatorFunction<B, C>, op4: OperatorFunction<C, D>,
    op5: OperatorFunction<D, E>, op6: OperatorFunction<E, F>, op7: OperatorFunction<F, G>,
  ): Pipeline<G>;
  override pipe<A, B, C, D, E, F, G, H>(
    op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>, op3: OperatorFunction<B, C>, op4: OperatorFunction<C, D>,
    op5: OperatorFunction<D, E>, op6: OperatorFunction<E, F>, op7: OperatorFunction<F, G>, op8: OperatorFunction<G, H>,
  ): Pipeline<H>;
  override pipe(...ops: OperatorFunction<any, any>[]): Pipeline<any>;
  override pipe(...ops: OperatorFunction<any, any>[]): Pipeline<any> {
    const ctx = this.context;
    let last = -1;
    ops.forEach((op, i) => {
      if (isFreebiesOperator(op)) last = i;
    });
    let cur: Observable<any> = this.inner;
    let boundary = this.boundary;
    ops.forEach((op, i) => {
      cur = bindContext(op(cur), ctx);
      if (i === last) {
        const id = ctx.nextBoundary();
        boundary = id;
        cur = bindContext(cur.pipe(tap((x) => ctx.passBoundary(id, x))), ctx);
      }
    });
    const endsAtBoundary = ops.length === 0 ? this.endsAtBoundary : last === ops.length - 1;
    return new Pipeline(cur, ctx, boundary, endsAtBoundary);
  }

  /**
   * Pull consumption: items are taken one `next()` at a time and their credits return
   * only then, so a slow consumer holds the whole chain back to the prefetch bound.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const ctx = this.context;
    const ready: T[] = [];
    let done = false;
    let failure: { err: unknown } | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let sub: { unsubscribe(): void } | undefined;
    // Start on the first next(), not here: tf.data (fitDataset) creates iterators it never reads.
    const start = (): void => {
      // A pull consumer right after the freebies operators returns credits as it takes items.
      ctx.beginRun(this.boundary, this.endsAtBoundary);
      sub = this.inner.subscribe({
        next: (item) => {
          ready.push(item);
          notify();
        },
        error: (err) => {
          failure = { err };
          notify();
        },
        complete: () => {
          done = true;
          notify();
        },
      });
    };
    let finished = false;
    const finish = async (): Promise<IteratorResult<T>> => {
      if (sub && !finished) {
        finished = true;
        sub.unsubscribe();
        await ctx.endRun();
      }
      return { value: undefined, done: true };
    };
    return {
      next: async (): Promise<IteratorResult<T>> => {
        if (finished) return { value: undefined, done: true };
        if (!sub) start();
        for (;;) {
          if (ready.length > 0) {
            const value = ready.shift()!;
            ctx.take(value);
            return { value, done: false };
          }
          if (failure) {
            await finish();
            throw failure.err;
          }
          if (done) return finish();
          await new Promise<void>((r) => (wake = r));
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        // Batches the consumer never took still own tensors: free them.
        for (const item of ready.splice(0)) (item as { dispose?: () => void })?.dispose?.();
        return finish();
      },
    };
  }

  /**
   * This pipeline as a `tf.data.Dataset` for `model.fitDataset` (a pipeline of
   * tensor batches, i.e. ending in `toTensors()`). `toElement` maps a batch to the
   * dataset element; default `{ xs: images, ys: boxes }`.
   */
  toDataset(toElement?: BatchToElement): tf.data.Dataset<tf.TensorContainer> {
    return batchesToDataset(() => (this as unknown as Pipeline<Batch>)[Symbol.asyncIterator](), toElement);
  }

  /** The report of the current or last run: samples, batches, skips, per-stage figures. */
  report(): RunReport {
    return this.context.report();
  }
}
