/**
 * The worker pool: a piscina pool running transform chains, with transfer of pixel
 * buffers both ways and utilisation figures. A worker that dies costs its task (its
 * buffers were moved; keeping a copy of every sample to resend costs more than the rare
 * crash, measured): the caller skips that sample, and piscina starts a replacement.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { prepareTransfer } from './transfer.ts';
import type { ChainResult, PoolTask } from './task.ts';
import { loadKernelModule } from '../kernels/registry.ts';
import { executeTask } from './execute.ts';

/** Options of {@link WorkerPool}. */
export interface PoolOptions {
  /** Worker threads. Default: the number of cores. 0 runs every task inline on the main thread. */
  size?: number;
}

/** Pool figures for the profile report. */
export interface PoolStats {
  size: number;
  tasks: number;
  /** Tasks whose worker died (the name is kept for the profile JSON's readers; none is resent). */
  retries: number;
  /** Time spent inside transform chains, all workers together. */
  computeMs: number;
  /** computeMs over the workers' wall time since the pool started (0..1). */
  utilization: number;
}

function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  // Running from sources (tsx) the worker is worker.ts; from the build it is worker.js.
  return path.join(path.dirname(here), `worker${path.extname(here)}`);
}

/** Runs {@link PoolTask}s on worker threads (or inline when `size` is 0). */
export class WorkerPool {
  readonly size: number;
  private piscina: Piscina | undefined;
  private tasks = 0;
  private retries = 0;
  private computeMs = 0;
  private startedAt = performance.now();
  private readonly inlineModules = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(options: PoolOptions = {}) {
    this.size = options.size ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }

  private get workers(): Piscina {
    this.piscina ??= new Piscina({
      filename: workerFile(),
      minThreads: this.size,
      maxThreads: this.size,
      idleTimeout: 60_000,
      // A worker runs one task at a time; piscina's queue holds the rest.
      concurrentTasksPerWorker: 1,
    });
    // Without a listener an 'error' event would end the process; task errors still reach their callers.
    this.piscina.on('error', () => undefined);
    // piscina itself listens per task; with ours the default limit of 10 warns spuriously.
    this.piscina.setMaxListeners(0);
    return this.piscina;
  }

  /** Apply `task.chain` to `task.sample`; the sample's buffers are moved, not copied. */
  async run(task: PoolTask): Promise<ChainResult> {
    this.tasks++;
    if (this.size === 0) return this.runInline(task);
    // Only the task's own sample moves; a mixing task's partners are shared, not transferred.
    const own = 'mix' in task ? task.samples[0]! : task.sample;
    const pending = this.workers.run(task, { transferList: prepareTransfer(own) }) as Promise<ChainResult>;
    this.inflight.add(pending);
    try {
      const r = await pending;
      this.computeMs += r.computeMs;
      return r;
    } catch (err) {
      // A dead worker (process-level crash) surfaces as an exit error; its buffers were
      // already transferred, so the caller must resend the task if it kept a copy.
      if (isWorkerExit(err)) {
        this.retries++;
        throw new WorkerCrashed(err as Error);
      }
      throw err;
    } finally {
      this.inflight.delete(pending);
    }
  }

  private async runInline(task: PoolTask): Promise<ChainResult> {
    for (const url of task.modules ?? []) {
      if (!this.inlineModules.has(url)) {
        await loadKernelModule(url);
        this.inlineModules.add(url);
      }
    }
    const t = performance.now();
    const sample = await executeTask(task);
    const computeMs = performance.now() - t;
    this.computeMs += computeMs;
    return { sample, computeMs };
  }

  /** Task counts and the share of time the workers were busy. */
  stats(): PoolStats {
    const wall = performance.now() - this.startedAt;
    return {
      size: this.size,
      tasks: this.tasks,
      retries: this.retries,
      computeMs: Math.round(this.computeMs),
      utilization: Math.min(1, this.computeMs / (wall * Math.max(1, this.size))),
    };
  }

  /** Zero the counters (a new run starts). */
  resetStats(): void {
    this.tasks = 0;
    this.retries = 0;
    this.computeMs = 0;
    this.startedAt = performance.now();
  }

  /** Stop the workers. The pool can be used again afterwards (workers restart on demand). */
  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = undefined;
    // Let tasks already sent finish: destroying under them would orphan their replies.
    await Promise.allSettled([...this.inflight]);
    if (p) await p.destroy();
  }
}

/** Thrown when a worker thread died while running a task. */
export class WorkerCrashed extends Error {
  override name = 'WorkerCrashed';
  constructor(readonly cause: Error) {
    super(`a worker thread died: ${cause.message}`);
  }
}

function isWorkerExit(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /worker (exited|terminated)|terminated|exit code/i.test(msg);
}
