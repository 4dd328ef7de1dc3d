/**
 * `npm run bench`: every benchmark section in one process, a table each, and one
 * JSON `{ results: [...], ratios: {...} }` merged from all sections.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelineVsDecode } from '../bench/pipeline-vs-decode.ts';
import type { BenchContext, BenchResult, BenchSection } from '../bench/types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** coco128 beside the repository (../shared/datasets/coco128), the default benchmark data. */
export const DEFAULT_DATA = path.resolve(here, '../../../shared/datasets/coco128');

const SECTIONS: Array<[string, (b: BenchContext) => Promise<BenchSection>]> = [['pipeline vs decode', pipelineVsDecode]];

/** Run every section; print tables; write the merged JSON. */
export async function runBench(options: { json?: string; rounds?: number; data?: string; workers?: number }): Promise<void> {
  const ctx: BenchContext = {
    data: options.data ?? DEFAULT_DATA,
    rounds: Math.max(3, options.rounds ?? 3),
    workers: options.workers ?? os.availableParallelism(),
  };
  const results: BenchResult[] = [];
  const ratios: Record<string, number> = {};
  process.stdout.write(`freebies bench on ${ctx.data} (${os.availableParallelism()} cores, ${ctx.workers} workers, ${ctx.rounds} rounds)\n\n`);
  for (const [title, run] of SECTIONS) {
    const s = await run(ctx);
    process.stdout.write(`## ${title}\n${s.table}\n\n`);
    results.push(...s.results);
    Object.assign(ratios, s.ratios);
  }
  const file = options.json ?? 'bench-results.json';
  fs.writeFileSync(file, JSON.stringify({ results, ratios }, null, 2) + '\n');
  process.stdout.write(`written to ${file}\n`);
}
