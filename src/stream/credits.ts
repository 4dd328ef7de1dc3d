/**
 * A counting semaphore of sample credits: the source takes one per sample it emits,
 * and the consumer's side gives them back when samples leave the pipeline. This is
 * how a pull-driven consumer bounds the work of a push-based RxJS chain.
 */
export class Credits {
  private available: number;
  private waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Credits held by samples now inside the pipeline. */
  get inUse(): number {
    return this.capacity - this.available;
  }

  /** Resolves when a credit is free and takes it. */
  take(): Promise<void> | void {
    if (this.available > 0) {
      this.available--;
      return;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Take `n` credits without waiting, going into debt if none are free: for samples that
   * join the pipeline from elsewhere (re-injected adversarial samples). The debt is paid
   * back by the next credits given, before any waiter wakes.
   */
  borrow(n: number): void {
    this.available -= n;
  }

  /** Return `n` credits. */
  give(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.available < 0) {
        this.available++;
        continue;
      }
      const next = this.waiters.shift();
      if (next) next();
      else this.available = Math.min(this.capacity, this.available + 1);
    }
  }

  /** Wake every waiter (used when a run ends so no source loop stays parked). */
  release(): void {
    this.available = this.capacity;
    for (const w of this.waiters.splice(0)) w();
  }
}
