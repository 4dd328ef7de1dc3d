/**
 * The worker entry: runs one transform chain on one sample per task, and moves the
 * result's buffers back to the main thread.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { loadKernelModule, lookupKernel } from '../kernels/registry.ts';
import { runChain } from '../kernels/transform.ts';
import { prepareTransfer } from './transfer.ts';
import type { ChainResult, ChainTask } from './task.ts';
import type { Sample } from '../core/types.ts';

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
export default async function runTask(task: ChainTask): Promise<unknown> {
  for (const url of task.modules ?? []) {
    if (!loadedModules.has(url)) {
      await loadKernelModule(url);
      loadedModules.add(url);
    }
  }
  const t = performance.now();
  const sample = (await runChain(task.sample, task.chain, task.key, lookupKernel)) as Sample;
  return move(new MovedSample({ sample, computeMs: performance.now() - t }) as never);
}
