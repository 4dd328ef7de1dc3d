/**
 * Pipeline vs decode-only, side by side in one process on the same files at the
 * same concurrency: (a) sharp decode of every image, (b) decode → letterbox(608) →
 * batch(16) → tensors. The ratio b/a says what the pool, transfers, letterbox and
 * batching cost on top of raw decoding.
 */
import os from 'node:os';
import { decode } from '../../operators/decode.ts';
import { letterbox } from '../../operators/letterbox.ts';
import { batch } from '../../operators/batch.ts';
import { toTensors } from '../../operators/to-tensors.ts';
import { decodeImage } from '../io/decode.ts';
import { indexDataset } from '../io/index.ts';
import { fromDataset } from '../stream/sources.ts';
import { table } from '../cli/table.ts';
import { alternate, median, measure } from './stats.ts';
import type { BenchContext, BenchSection } from './types.ts';
import { initBackend } from '../tensor/backend.ts';

/** Decode `paths` with at most `concurrency` in flight. */
export async function decodeAll(paths: string[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) await decodeImage(paths[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function pipelineVsDecode(b: BenchContext): Promise<BenchSection> {
  const index = indexDataset(b.data);
  const paths = index.items.map((i) => i.path);
  const concurrency = 2 * os.availableParallelism();
  await initBackend();
  const decodeRates: number[] = [];
  const pipelineRates: number[] = [];
  const ratios: number[] = [];
  // One warm-up pass of each fills the page cache and JITs both paths.
  await decodeAll(paths, concurrency);
  const runPipeline = async (): Promise<void> => {
    const p = fromDataset(index, { workers: b.workers, shuffle: false }).pipe(decode({ concurrency }), letterbox(608), batch(16), toTensors());
    for await (const x of p) x.dispose();
  };
  await runPipeline();
  const rate = async (run: () => Promise<void>) => paths.length / ((await measure(run)).wallMs / 1000);
  for (let r = 0; r < b.rounds; r++) {
    const [a, p] = await alternate(r, () => rate(() => decodeAll(paths, concurrency)), () => rate(runPipeline));
    decodeRates.push(a);
    pipelineRates.push(p);
    ratios.push(p / a);
  }
  const ratio = median(ratios);
  return {
    table: table(
      ['benchmark', 'images/s (median)', 'rounds'],
      [
        ['a: sharp decode only', median(decodeRates), b.rounds],
        ['b: decode → letterbox(608) → batch(16) → tensors', median(pipelineRates), b.rounds],
        ['ratio b/a (target ≥ 0.85)', ratio, b.rounds],
      ],
    ),
    results: [
      { name: 'decode_only', value: median(decodeRates), unit: 'images/s' },
      { name: 'pipeline_letterbox608_batch16_tensors', value: median(pipelineRates), unit: 'images/s' },
    ],
    ratios: { pipeline_vs_decode: ratio },
  };
}
