/**
 * The state one pipeline shares between its operators: seed, worker pool, meters,
 * skip report and the demand credits that bound work in flight.
 */
import type { BatchSizeRule, ShapeSchedule } from '../batch/shapes.ts';
import type { Observable } from 'rxjs';
import type { SkipRecord } from '../core/types.ts';
import { WorkerPool } from '../pool/pool.ts';
import { StageMeter, type StageReport } from '../profile/meter.ts';
import { Credits } from './credits.ts';
import type { PoolStats } from '../pool/pool.ts';
import type { DatasetIndex } from '../io/dataset.ts';
import type { AdversarialSink } from './adversarial-sink.ts';

/** The end-of-run report (also the JSON written by `freebies profile --json`). */
export interface RunReport {
  /** Samples delivered to the consumer (inside batches when the pipeline batches). */
  samples: number;
  batches: number;
  wallMs: number;
  skipped: SkipRecord[];
  /** Skips counted by reason. */
  skippedByReason: Record<string, number>;
  stages: StageReport[];
  /** The stage with the highest utilisation. */
  bottleneck: string;
  pool: PoolStats;
  /** Samples decoded and not yet delivered (now, and the most at once). */
  samplesHeld: number;
  maxSamplesHeld: number;
  /** The bound on samples in flight that demand enforced. */
  inFlightBound: number;
}

/** Options shared by every operator of one pipeline. */
export interface ContextOptions {
  /** Seed of every random draw. Default 0. */
  seed?: number;
  /** Worker threads for pixel work; 0 runs it inline. Default: the number of cores. */
  workers?: number;
}

/** The sample count of a batch-like item (one with a numeric `size`); other items stand for one sample. */
function batchSize(item: unknown): number | undefined {
  const size = (item as { size?: unknown } | null)?.size;
  return typeof size === 'number' ? size : undefined;
}

/** Shared state of one pipeline. One run at a time; a new run resets the meters. */
export class PipelineContext {
  readonly seed: number;
  readonly pool: WorkerPool;
  private meters: StageMeter[] = [];
  private skips: SkipRecord[] = [];
  private operatorCount = 0;
  /** The largest batch any `batch()` stage may form (bounds demand). */
  maxBatchSize = 1;
  /** Batches prepared ahead of the consumer. */
  prefetchDepth = 2;
  credits: Credits | undefined;
  /** The dataset the source reads, when there is one (class names for reports and previews). */
  dataset: DatasetIndex | undefined;
  /** The training-shape schedule a `randomShapes()` set, read by `letterbox()` and `dynamicBatch()`. */
  shapeSchedule: ShapeSchedule | undefined;
  /** The sink a `reinject()` mixes adversarial samples from (so a trainer can check it is wired). */
  adversarialSink: AdversarialSink | undefined;
  /** The batch-size rule a `dynamicBatch()` set, read by `randomShapes()` when a run starts. */
  batchRule: BatchSizeRule | undefined;
  private startedAt = performance.now();
  private endedAt: number | undefined;
  private delivered = { samples: 0, batches: 0 };
  private held = 0;
  private maxHeld = 0;
  private boundaries = 0;
  private activeBoundary = -1;
  private deliverAtTake = false;

  constructor(options: ContextOptions = {}) {
    this.seed = options.seed ?? 0;
    this.pool = new WorkerPool({ size: options.workers });
  }

  /** A stable index for a newly attached operator: part of its RNG key. */
  nextOperatorIndex(): number {
    return this.operatorCount++;
  }

  /** A meter for a stage, listed in pipeline order in the report. */
  stage(name: string, concurrency = 1): StageMeter {
    const unique = this.meters.some((m) => m.name === name) ? `${name}#${this.meters.length}` : name;
    const m = new StageMeter(unique, concurrency);
    this.meters.push(m);
    return m;
  }

  /** Record a skipped sample or label line. */
  skip(record: SkipRecord): void {
    this.skips.push(record);
  }

  /** A decoded sample entered the pipeline (+1) or left it (−n). */
  hold(delta: number): void {
    this.held += delta;
    this.maxHeld = Math.max(this.maxHeld, this.held);
  }

  /** Bound on samples between the source and the consumer. */
  get inFlightBound(): number {
    return Math.max(this.maxBatchSize * (this.prefetchDepth + 1), 2 * Math.max(1, this.pool.size) + 2);
  }

  /** A new id for the point where items leave the last freebies operator of a chain. */
  nextBoundary(): number {
    return this.boundaries++;
  }

  /**
   * Start a run: fresh meters, skip list and credits. `boundary` names where items
   * leave the freebies part of the chain being consumed; with `deliverAtTake` (a pull
   * consumer right after that point) credits return only when the consumer takes an item.
   */
  beginRun(boundary = -1, deliverAtTake = false): void {
    this.activeBoundary = boundary;
    this.deliverAtTake = deliverAtTake;
    this.credits?.release();
    this.credits = new Credits(this.inFlightBound);
    for (const m of this.meters) m.reset();
    this.pool.resetStats();
    this.skips = [];
    this.delivered = { samples: 0, batches: 0 };
    this.held = 0;
    this.maxHeld = 0;
    this.startedAt = performance.now();
    this.endedAt = undefined;
  }

  /** An item passed boundary `id`; it counts as delivered there unless a pull consumer takes it later. */
  passBoundary(id: number, item: unknown): void {
    if (id === this.activeBoundary && !this.deliverAtTake) this.deliver(item);
  }

  /** A pull consumer took `item`. */
  take(item: unknown): void {
    if (this.deliverAtTake) this.deliver(item);
  }

  /** `item`'s samples leave the pipeline and their credits return. */
  deliver(item: unknown): void {
    const size = batchSize(item);
    const n = size ?? 1;
    this.delivered.samples += n;
    if (size !== undefined) this.delivered.batches++;
    this.hold(-n);
    this.credits?.give(n);
  }

  /**
   * `n` samples left the pipeline without reaching the consumer: skipped before
   * decoding (`decoded` false) or dropped after.
   */
  drop(n = 1, decoded = false): void {
    if (decoded) this.hold(-n);
    this.credits?.give(n);
  }

  /** End a run: stop the clock, wake a parked source, stop the workers. */
  async endRun(): Promise<void> {
    this.endedAt ??= performance.now();
    this.credits?.release();
    await this.pool.close();
  }

  /** The report of the current (or last) run. */
  report(): RunReport {
    const wallMs = (this.endedAt ?? performance.now()) - this.startedAt;
    const stages = this.meters.map((m) => m.report(wallMs));
    const byReason: Record<string, number> = {};
    for (const s of this.skips) {
      const key = s.reason.replace(/:.*$/, '');
      byReason[key] = (byReason[key] ?? 0) + 1;
    }
    const bottleneck = stages.reduce<StageReport | undefined>(
      (best, s) => (!best || s.utilization > best.utilization ? s : best),
      undefined,
    );
    return {
      samples: this.delivered.samples,
      batches: this.delivered.batches,
      wallMs: Math.round(wallMs),
      skipped: [...this.skips],
      skippedByReason: byReason,
      stages,
      bottleneck: bottleneck?.name ?? 'none',
      pool: this.pool.stats(),
      samplesHeld: this.held,
      maxSamplesHeld: this.maxHeld,
      inFlightBound: this.credits?.capacity ?? this.inFlightBound,
    };
  }
}

const OPERATOR = Symbol.for('freebies.operator');

/**
 * Mark an operator as part of the freebies chain: demand credits return where items
 * leave the last marked operator, so operators a user adds after it (`toArray`, a
 * `map` to model inputs) cannot starve the source.
 */
export function freebiesOperator<F extends (...args: any[]) => any>(fn: F): F {
  Object.defineProperty(fn, OPERATOR, { value: true });
  return fn;
}

/** Whether `fn` was made by {@link freebiesOperator}. */
export function isFreebiesOperator(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[OPERATOR] === true;
}

const registry = new WeakMap<object, PipelineContext>();

/** Tie an observable to its pipeline's context, so operators further down can find it. */
export function bindContext<T extends object>(obs: T, ctx: PipelineContext): T {
  registry.set(obs, ctx);
  return obs;
}

/**
 * The context of the pipeline `source` belongs to. Walks RxJS's `source` links so a
 * third-party operator in between (e.g. `map`) does not lose it; a stream that was
 * never bound gets a fresh default context.
 */
export function contextOf(source: Observable<unknown>): PipelineContext {
  let o: unknown = source;
  for (let depth = 0; o && depth < 64; depth++) {
    const ctx = registry.get(o as object);
    if (ctx) return ctx;
    o = (o as { source?: unknown }).source;
  }
  const ctx = new PipelineContext();
  registry.set(source, ctx);
  return ctx;
}
