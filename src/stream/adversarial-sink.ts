/**
 * The way back into the stream for Self-Adversarial Training (SPEC §11, DESIGN "The SAT
 * loop"): a trainer pushes the adversarial samples it made into an {@link AdversarialSink},
 * and `reinject(sink)` mixes them into later batches of the pipeline.
 *
 * Decisions:
 * - The sink holds its own queue, so samples survive between pipelines (`freebies train`
 *   builds one per epoch) and a push never waits for a subscriber.
 * - The queue is bounded and drops the oldest samples, counting them: a trainer that makes
 *   more than the pipeline takes never grows memory.
 * - With `lag`, the mixing is deterministic: batch j (counted since the sink was made)
 *   takes only samples made by trainer steps ≤ j − lag, and waits until that step is done.
 *   Without it, a batch takes what is waiting when it forms, which depends on timing.
 */
import { Subject } from 'rxjs';
import { z } from 'zod';
import type { Sample } from '../core/types.ts';
import { validate } from './options.ts';

/** Options of {@link AdversarialSink}. */
export interface AdversarialSinkOptions {
  /**
   * The largest share of a batch adversarial samples may take: a batch of n pipeline
   * samples gets at most ⌊ratio·n/(1 − ratio)⌋ of them added. 0 < ratio < 1; default 0.25.
   */
  ratio?: number;
  /**
   * Samples waiting at most; beyond it the oldest are dropped (and counted). Default 256.
   * In lockstep it bounds the samples a batch could take (what waits for a later step comes
   * on top), and 4 × capacity bounds the queue whatever happens.
   */
  capacity?: number;
  /**
   * Lockstep mixing: batch j takes the samples of steps ≤ j − `lag` and waits for step j −
   * `lag` to end, so a run repeats exactly. The trainer must call {@link endStep} once per
   * batch it trains (the freebies Trainer does). Use the pipeline's prefetch depth + 1 so
   * the pipeline rarely waits. Default: off (a batch takes what is waiting).
   */
  lag?: number;
}

/** What a sink has seen. */
export interface AdversarialStats {
  /** Samples pushed. */
  made: number;
  /** Samples mixed into batches. */
  reinjected: number;
  /** Samples dropped because the queue was full. */
  dropped: number;
  /** Samples waiting now. */
  waiting: number;
  /** Trainer steps ended ({@link AdversarialSink.endStep}). */
  steps: number;
}

const schema = z
  .object({
    ratio: z.number().gt(0, 'ratio must be > 0 (e.g. 0.25)').lt(1, 'ratio must be < 1: adversarial samples can not fill a whole batch').default(0.25),
    capacity: z.number().int('capacity must be a whole number of samples').min(1, 'capacity must be ≥ 1').default(256),
    lag: z.number().int('lag must be a whole number of batches').min(1, 'lag must be ≥ 1 (a batch can not use the step that trains on it)').optional(),
  })
  .strict();

/** Marks sinks across copies of this module (a pipeline file may load its own copy of freebies). */
const BRAND = Symbol.for('freebies.adversarialSink');

/** Whether `v` is an {@link AdversarialSink} (from any loaded copy of freebies). */
export function isAdversarialSink(v: unknown): v is AdversarialSink {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
}

interface Entry {
  sample: Sample;
  /** The trainer step that made it. */
  step: number;
}

/**
 * A bounded, drop-oldest queue of adversarial samples that is also an RxJS `Subject`:
 * `next(sample)` queues one (and passes it to subscribers), {@link endStep} queues a
 * step's samples and marks the step done. `reinject(sink)` takes them into batches.
 */
export class AdversarialSink extends Subject<Sample> {
  readonly ratio: number;
  readonly capacity: number;
  readonly lag: number | undefined;
  private queue: Entry[] = [];
  private stepsDone = 0;
  private formed = 0;
  private counts = { made: 0, reinjected: 0, dropped: 0 };
  private waiters: Array<() => void> = [];

  constructor(options: AdversarialSinkOptions = {}) {
    super();
    Object.defineProperty(this, BRAND, { value: true });
    const o = validate(schema, options, 'AdversarialSink');
    this.ratio = o.ratio;
    this.capacity = o.capacity;
    this.lag = o.lag;
  }

  /** Queue one sample, as made by the last ended step. */
  override next(sample: Sample): void {
    this.enqueue([sample], this.stepsDone - 1);
    super.next(sample);
  }

  /** Queue the samples trainer step `steps` made (possibly none) and mark that step done. */
  endStep(samples: readonly Sample[] = []): void {
    this.enqueue(samples, this.stepsDone);
    for (const s of samples) super.next(s);
    this.stepsDone++;
    for (const w of this.waiters.splice(0)) w();
  }

  /** The most adversarial samples a batch of `n` pipeline samples may get: ⌊ratio·n/(1 − ratio)⌋. */
  allowance(n: number): number {
    // the small slack keeps ratios such as 0.25·3/0.75 = 1 from flooring to 0
    return Math.floor((this.ratio * n) / (1 - this.ratio) + 1e-9);
  }

  get stats(): AdversarialStats {
    return { ...this.counts, waiting: this.queue.length, steps: this.stepsDone };
  }

  /** A pipeline starts: its first batch is the one the trainer's next step will take. */
  beginRun(): void {
    this.formed = this.stepsDone;
  }

  /**
   * The adversarial samples for the next batch, which holds `n` pipeline samples: up to
   * {@link allowance}, oldest first. With `lag` it first waits for step j − lag; `signal`
   * ends the wait with none (the pipeline was closed).
   */
  async takeFor(n: number, signal?: AbortSignal): Promise<Sample[]> {
    const j = this.formed++;
    if (this.lag === undefined) return this.take(this.queue.length, n);
    const needed = j - this.lag + 1;
    while (this.stepsDone < needed) {
      if (signal?.aborted) return [];
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    // Only steps ≤ j − lag are eligible; the queue is in step order.
    let eligible = 0;
    while (eligible < this.queue.length && this.queue[eligible]!.step <= j - this.lag) eligible++;
    if (eligible > this.capacity) {
      this.queue.splice(0, eligible - this.capacity);
      this.counts.dropped += eligible - this.capacity;
      eligible = this.capacity;
    }
    return this.take(eligible, n);
  }

  private take(eligible: number, n: number): Sample[] {
    const k = Math.min(eligible, this.allowance(n));
    this.counts.reinjected += k;
    return this.queue.splice(0, k).map((e) => e.sample);
  }

  private enqueue(samples: readonly Sample[], step: number): void {
    this.counts.made += samples.length;
    for (const sample of samples) this.queue.push({ sample, step });
    // In lockstep the bound applies at take time, to the eligible samples only, so what
    // is dropped does not depend on when the pipeline formed its batches; a hard bound of
    // 4 × capacity still holds when nothing takes from the sink (no reinject() wired).
    const bound = this.lag === undefined ? this.capacity : 4 * this.capacity;
    if (this.queue.length > bound) {
      const over = this.queue.length - bound;
      this.queue.splice(0, over);
      this.counts.dropped += over;
    }
  }
}
