/**
 * The engine of every per-sample stage: up to `concurrency` items processed at once,
 * results emitted in input order (so batches do not depend on which worker finished
 * first), and items a stage skips leave no gap.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { StageMeter } from '../profile/meter.ts';

/** Returned by a stage's project function for an item that is skipped, not emitted. */
export const SKIP: unique symbol = Symbol('skip');

/**
 * Map each item through an async function, `concurrency` at a time, in input order.
 * `project` may report the item's own work time through `setWorkMs` (see StageMeter).
 */
export function orderedConcurrentMap<T, R>(
  project: (item: T, setWorkMs: (ms: number) => void) => Promise<R | typeof SKIP>,
  concurrency: number,
  meter: StageMeter,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const waiting: Array<[number, T]> = [];
      const results = new Map<number, R | typeof SKIP>();
      let received = 0;
      let emitted = 0;
      let active = 0;
      let upstreamDone = false;

      const flush = (): void => {
        while (results.has(emitted)) {
          const v = results.get(emitted)!;
          results.delete(emitted);
          emitted++;
          if (v !== SKIP) subscriber.next(v);
        }
        if (upstreamDone && emitted === received) subscriber.complete();
      };

      const pump = (): void => {
        while (active < concurrency && waiting.length > 0) {
          const [seq, item] = waiting.shift()!;
          meter.setBuffered(waiting.length);
          active++;
          const end = meter.start();
          let workMs: number | undefined;
          project(item, (ms) => (workMs = ms)).then(
            (v) => {
              end(v !== SKIP, workMs);
              active--;
              results.set(seq, v);
              flush();
              pump();
            },
            (err) => subscriber.error(err),
          );
        }
      };

      const sub = source.subscribe({
        next: (item) => {
          waiting.push([received++, item]);
          meter.setBuffered(waiting.length);
          pump();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          upstreamDone = true;
          flush();
        },
      });
      return () => sub.unsubscribe();
    });
}
