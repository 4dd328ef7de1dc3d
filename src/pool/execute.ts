/**
 * What a task does, the same on a worker thread and inline: a transform chain on one
 * sample, or a multi-image kernel on a sample and its partners.
 */
import { Rng } from '../core/rng.ts';
import type { Sample } from '../core/types.ts';
import { lookupKernel, lookupMixKernel } from '../kernels/registry.ts';
import { runChain } from '../kernels/transform.ts';
import type { PoolTask } from './task.ts';

/** Run `task` and return the resulting sample. */
export async function executeTask(task: PoolTask): Promise<Sample> {
  if ('mix' in task) {
    const kernel = lookupMixKernel(task.mix.name);
    if (!kernel) throw new Error(`unknown mixing kernel "${task.mix.name}": it is not registered in this worker`);
    const [first, ...partners] = task.samples;
    const out = await kernel(task.samples, task.mix.options, new Rng(...task.key));
    // The output stands for the first sample: its identity, its meta, plus the ids mixed in
    // (appended, so a mixup of a mosaic lists the mosaic's three partners, then its own).
    return {
      ...out,
      id: first!.id,
      index: first!.index,
      epoch: first!.epoch,
      meta: {
        ...first!.meta,
        ...out.meta,
        path: first!.meta.path,
        partners: [...((first!.meta.partners as string[] | undefined) ?? []), ...partners.map((p) => p.id)],
      },
    } as Sample;
  }
  return (await runChain(task.sample, task.chain, task.key, lookupKernel)) as Sample;
}
