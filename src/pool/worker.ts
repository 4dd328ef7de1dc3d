/**
 * The worker entry: runs one task (a transform chain, or a mixing kernel) per call, and moves the
 * result's buffers back to the main thread.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { loadKernelModule } from '../kernels/registry.ts';
import { executeTask } from './execute.ts';
import { prepareTransfer } from './transfer.ts';
import type { ChainResult, PoolTask } from './task.ts';

const loadedModules = new Set<string>();

/** Piscina's Transferable protocol: the sample is cloned, its buffers are transferred. */
class MovedSample {
  constructor(private readonly result: ChainResult) {}
  get [transferableSymbol](): ArrayBuffer[] {
    return prepareTransfer(this.result.sample);
  }
  get [valueSymbol](): ChainResult {
    return this.result;
  }
}

/** Run `task.chain` on `task.sample`; modules that register custom kernels are imported once per worker. */
export default async function runTask(task: PoolTask): Promise<unknown> {
  for (const url of task.modules ?? []) {
    if (!loadedModules.has(url)) {
      await loadKernelModule(url);
      loadedModules.add(url);
    }
  }
  const t = performance.now();
  const sample = await executeTask(task);
  return move(new MovedSample({ sample, computeMs: performance.now() - t }) as never);
}
