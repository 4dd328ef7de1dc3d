/**
 * `toTensors()`: sample batches in, tensor batches out, on the backend chosen at
 * start (gpu > node > wasm > cpu). The only stage that touches tfjs (DESIGN rule 7).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { SampleBatch } from '../src/batch/types.ts';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';
import { initBackend, type BackendChoice } from '../src/tensor/backend.ts';
import { collate, type Batch } from '../src/tensor/batch.ts';

/** Options of {@link toTensors}. */
export interface ToTensorsOptions {
  /** Start the backend search here instead of at `gpu`. */
  backend?: BackendChoice;
}

/**
 * Turn each sample batch into a {@link Batch} of tensors. YOLO targets from
 * `encodeTargets()` become `batch.targets[l].tensor` (`[B, gridH, gridW, A, 6 + C]`, with the
 * layer's stride, grid size and anchors beside it); `batch.dispose()` frees them too.
 */
export function toTensors(options: ToTensorsOptions = {}): OperatorFunction<SampleBatch, Batch> {
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    const meter = ctx.stage('toTensors');
    return new Observable<Batch>((subscriber) => {
      // Items that arrive while the backend starts wait in order behind it.
      let ready: Promise<unknown> = initBackend(options.backend);
      const sub = source.subscribe({
        next: (b) => {
          ready = ready.then(() => {
            if (subscriber.closed) return;
            const end = meter.start();
            let out: Batch;
            try {
              out = collate(b);
            } catch (err) {
              end(false);
              subscriber.error(err);
              return;
            }
            end(true);
            subscriber.next(out);
          });
        },
        error: (err) => void ready.then(() => subscriber.error(err)),
        complete: () => void ready.then(() => subscriber.complete()),
      });
      return () => sub.unsubscribe();
    });
  });
}
