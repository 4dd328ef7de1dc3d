/**
 * `freebies profile`: run a pipeline file, show live progress, then print the
 * per-stage table, the bottleneck and every skipped sample, and write it as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunReport } from '../stream/context.ts';
import type { Pipeline } from '../stream/pipeline.ts';
import { initBackend } from '../tensor/backend.ts';
import { loadPipelineFile, type PipelineFileOptions } from './pipeline-file.ts';
import { ProgressBar } from './progress.ts';
import { table } from './table.ts';

/** Options of {@link profilePipeline}. */
export interface ProfileOptions extends PipelineFileOptions {
  /** Stop after this many batches (default: one epoch). */
  batches?: number;
  /** Write the report here as JSON. */
  json?: string;
  /** Draw progress (default true). */
  progress?: boolean;
}

/** The JSON report: the run report plus backend and overall throughput. */
export interface ProfileReport extends RunReport {
  backend: string;
  samplesPerSecond: number;
}

/** Consume `pipeline` (disposing what it yields) and return its report. */
export async function consumeWithProgress(
  pipeline: Pipeline<unknown>,
  options: { batches?: number; progress?: boolean; label?: string },
): Promise<ProfileReport> {
  const ctx = pipeline.context;
  const perEpoch = ctx.dataset ? ctx.dataset.items.length : undefined;
  const bar = options.progress === false ? undefined : new ProgressBar(options.label ?? 'profile', perEpoch);
  let batches = 0;
  for await (const item of pipeline) {
    (item as { dispose?: () => void })?.dispose?.();
    batches++;
    const r = ctx.report();
    bar?.update(r.samples, `${(r.samples / (r.wallMs / 1000 || 1)).toFixed(1)} img/s, skipped ${r.skipped.length}`);
    if (options.batches !== undefined && batches >= options.batches) break;
  }
  const r = ctx.report();
  const samplesPerSecond = r.samples / Math.max(r.wallMs / 1000, 1e-9);
  bar?.finish(r.samples, `${samplesPerSecond.toFixed(1)} img/s, skipped ${r.skipped.length}`);
  return { ...r, backend: tf.getBackend() ?? 'none', samplesPerSecond };
}

/** Print a report as tables. */
export function formatReport(r: ProfileReport): string {
  const stages = table(
    ['stage', 'items', 'items/s', 'busy ms', 'wait ms', 'util %', 'max queue'],
    r.stages.map((s) => [s.name, s.items, s.itemsPerSecond, s.busyMs, s.waitMs, s.utilization * 100, s.maxQueueDepth]),
  );
  const lines = [
    stages,
    '',
    `samples ${r.samples}, batches ${r.batches}, ${r.samplesPerSecond.toFixed(1)} samples/s in ${(r.wallMs / 1000).toFixed(2)} s ` +
      `(backend ${r.backend}, ${r.pool.size} workers at ${(r.pool.utilization * 100).toFixed(0)}% utilisation)`,
    `bottleneck: ${r.bottleneck}`,
    `samples held at most: ${r.maxSamplesHeld} (bound ${r.inFlightBound})`,
  ];
  if (r.skipped.length) {
    lines.push(`skipped ${r.skipped.length}:`);
    for (const s of r.skipped.slice(0, 50)) lines.push(`  ${s.path}${s.line ? `:${s.line}` : ''}  ${s.reason}`);
    if (r.skipped.length > 50) lines.push(`  … ${r.skipped.length - 50} more in the JSON report`);
  } else lines.push('skipped 0');
  return lines.join('\n');
}

/** Run `freebies profile <file>`. */
export async function profilePipeline(file: string, options: ProfileOptions): Promise<ProfileReport> {
  const factory = await loadPipelineFile(file);
  const { batches, json, progress, ...fileOptions } = options;
  // Chosen once per process (gpu > node > wasm > cpu); said up front so a slow backend is no surprise.
  process.stderr.write(`freebies: TensorFlow.js backend ${await initBackend()}\n`);
  const pipeline = factory(fileOptions);
  const report = await consumeWithProgress(pipeline, { batches, progress });
  process.stdout.write(formatReport(report) + '\n');
  if (json) {
    fs.mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
    fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(`report written to ${json}\n`);
  }
  return report;
}
