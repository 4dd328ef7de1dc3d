/**
 * Per-stage throughput meters: items, busy and waiting time, queue depth.
 * `busyMs` is wall time with at least one item in process (so concurrent work is
 * not double counted); `workMs` sums the items' own durations, which over the
 * stage's concurrency gives its utilisation — the figure that names a bottleneck.
 */

/** One stage's figures in a report. */
export interface StageReport {
  name: string;
  items: number;
  itemsPerSecond: number;
  busyMs: number;
  waitMs: number;
  /** Sum of per-item processing times. */
  workMs: number;
  /** How many items the stage may process at once. */
  concurrency: number;
  /** workMs / (wall × concurrency), 0..1. */
  utilization: number;
  /** Items in process or buffered now, and the most seen at once. */
  queueDepth: number;
  maxQueueDepth: number;
}

const now = (): number => performance.now();

/** Measures one stage. Call `start()` when an item begins and the returned function when it ends. */
export class StageMeter {
  items = 0;
  private inFlight = 0;
  private busySince = 0;
  private busyTotal = 0;
  private workTotal = 0;
  private buffered = 0;
  private maxDepth = 0;

  constructor(
    readonly name: string,
    readonly concurrency = 1,
  ) {}

  /**
   * An item begins processing; call the result when it is done (`emitted` false for a
   * skipped item). `workMs` overrides the measured duration when the real work time is
   * known (a pool task's compute time, without its wait in the pool's queue).
   */
  start(): (emitted?: boolean, workMs?: number) => void {
    const t = now();
    if (this.inFlight++ === 0) this.busySince = t;
    this.track();
    return (emitted = true, workMs?: number) => {
      const e = now();
      this.workTotal += workMs ?? e - t;
      if (--this.inFlight === 0) this.busyTotal += e - this.busySince;
      if (emitted) this.items++;
      this.track();
    };
  }

  /** Forget everything measured (a new run starts). */
  reset(): void {
    this.items = 0;
    this.inFlight = 0;
    this.busyTotal = 0;
    this.workTotal = 0;
    this.buffered = 0;
    this.maxDepth = 0;
  }

  /** Count an item that needed no timed work (e.g. a pass-through stage). */
  count(n = 1): void {
    this.items += n;
  }

  /** Items held in a stage buffer (e.g. samples waiting to fill a batch). */
  setBuffered(n: number): void {
    this.buffered = n;
    this.track();
  }

  private track(): void {
    this.maxDepth = Math.max(this.maxDepth, this.inFlight + this.buffered);
  }

  /** The stage's figures; `wallMs` is the run's wall time so far. */
  report(wallMs: number): StageReport {
    const busy = this.busyTotal + (this.inFlight > 0 ? now() - this.busySince : 0);
    const wall = Math.max(wallMs, 1e-9);
    return {
      name: this.name,
      items: this.items,
      itemsPerSecond: this.items / (wall / 1000),
      busyMs: round(busy),
      waitMs: round(Math.max(0, wallMs - busy)),
      workMs: round(this.workTotal),
      concurrency: this.concurrency,
      utilization: round(Math.min(1, this.workTotal / (wall * this.concurrency)), 4),
      queueDepth: this.inFlight + this.buffered,
      maxQueueDepth: this.maxDepth,
    };
  }
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
