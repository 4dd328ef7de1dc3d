/**
 * `reinject(sink)`: Self-Adversarial Training's re-entry point (SPEC §11). Adversarial
 * samples a trainer pushed into an {@link AdversarialSink} join later batches, at most the
 * sink's `ratio` of each.
 *
 * Decisions:
 * - It works on batches (after `batch()` / `dynamicBatch()`), and adds the adversarial
 *   samples to a batch rather than putting them in the place of pipeline samples: no
 *   pipeline sample is displaced or lost, and the share bound holds exactly. A batch of n
 *   therefore grows to at most n/(1 − ratio) (16 → 21 at 0.25): budget memory for that.
 * - A sample made at another training shape is resized to the batch's (letterboxed, its
 *   boxes moved with the pixels), so a batch stays one shape.
 * - The added samples did not come from the source, so they take demand credits on entry
 *   (`Credits.borrow`) that their delivery gives back: the bound on work in flight holds.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { ConfigError } from '../src/core/errors.ts';
import type { Sample } from '../src/core/types.ts';
import type { SampleBatch } from '../src/batch/types.ts';
import { letterboxKernel } from '../src/kernels/letterbox.ts';
import { isAdversarialSink, type AdversarialSink } from '../src/stream/adversarial-sink.ts';
import { bindContext, contextOf, freebiesOperator } from '../src/stream/context.ts';

/** `s` at `width` × `height` (letterboxed when it is another size), without the letterbox record. */
function toSize(s: Sample, width: number, height: number): Sample {
  if (s.image.width === width && s.image.height === height) return s;
  const { letterbox: _, ...resized } = letterboxKernel(s, { width, height });
  return resized;
}

/**
 * Mix the adversarial samples waiting in `sink` into each batch: a batch of n samples gets
 * up to ⌊ratio·n/(1 − ratio)⌋ (ratio: the sink's), appended after its own, resized to its
 * shape. With the sink's `lag` the result is deterministic (see {@link AdversarialSink}).
 * `reinject(undefined)` passes batches through unchanged, so one pipeline file serves runs
 * with and without SAT. Place it after `batch()` / `dynamicBatch()` and before
 * `encodeTargets()` and `toTensors()`.
 */
export function reinject(sink: AdversarialSink | undefined): OperatorFunction<SampleBatch, SampleBatch> {
  if (sink !== undefined && !isAdversarialSink(sink)) {
    throw new ConfigError('reinject(): pass the AdversarialSink the trainer pushes into (new AdversarialSink({ ratio: 0.25 })), or undefined');
  }
  return freebiesOperator((source: Observable<SampleBatch>) => {
    const ctx = contextOf(source);
    if (!sink) return source;
    ctx.adversarialSink = sink;
    const meter = ctx.stage('reinject');
    const out = new Observable<SampleBatch>((subscriber) => {
      sink.beginRun();
      const abort = new AbortController();
      // Batches are handled one after another so they leave in the order they came.
      let chain: Promise<void> = Promise.resolve();
      const after = (work: () => Promise<void> | void) => {
        chain = chain.then(work).catch((err: unknown) => subscriber.error(err));
      };
      const sub = source.subscribe({
        next: (b) =>
          after(async () => {
            if (!Array.isArray((b as Partial<SampleBatch>)?.samples)) {
              throw new ConfigError('reinject() takes batches of samples: put it after batch() or dynamicBatch() and before encodeTargets() and toTensors()');
            }
            const adversarial = await sink.takeFor(b.size, abort.signal);
            if (abort.signal.aborted) return;
            if (adversarial.length === 0) {
              meter.count();
              subscriber.next(b);
              return;
            }
            const done = meter.start();
            const { width, height } = b.samples[0]!.image;
            const added = adversarial.map((s) => toSize(s, width, height));
            ctx.credits?.borrow(added.length);
            ctx.hold(added.length);
            const samples = [...b.samples, ...added];
            done();
            subscriber.next({ ...b, samples, size: samples.length, ids: samples.map((s) => s.id) });
          }),
        error: (err) => after(() => subscriber.error(err)),
        complete: () => after(() => subscriber.complete()),
      });
      return () => {
        abort.abort();
        sub.unsubscribe();
      };
    });
    return bindContext(out, ctx);
  });
}
