/**
 * `freebies evaluate`: COCO mAP (SPEC §13) of a checkpoint on a dataset through the
 * validation pipeline (pipelines/val.ts: every image once, letterboxed, no augmentation).
 * Prints mAP@.5:.95, mAP@.5, mAP@.75 and a per-class table, and writes
 * `{ map, map50, map75, perClass }` as JSON when asked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { indexDataset } from '../io/index.ts';
import type { Batch } from '../tensor/batch.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { evaluateModel } from '../train/evaluate.ts';
import { modelInfo } from '../train/models/index.ts';
import { loadPipelineFile } from './pipeline-file.ts';
import { table } from './table.ts';
import { evalLayers, trainingBackend, VAL_PIPELINE, type TrainMetadata } from './train.ts';

/** Options of {@link evaluateCommand} (the flags of `freebies evaluate`). */
export interface EvaluateCommandOptions {
  /** A checkpoint folder (e.g. `runs/train/last`). */
  weights: string;
  data: string;
  /** Network input size, a multiple of 32. Default: the size the checkpoint trained at, else 608. */
  size?: number;
  /** Default 16. */
  batchSize?: number;
  workers?: number;
  /** Write the result here as JSON. */
  json?: string;
  /** Print the table to stdout. Default true. */
  print?: boolean;
}

/** The JSON `freebies evaluate --json` writes. */
export interface EvaluateReport {
  map: number;
  map50: number;
  map75: number;
  perClass: { classId: number; name: string; ap: number; ap50: number; ap75: number; gtCount: number }[];
  images: number;
}

/** Checks the flags' values (before anything heavy loads). */
export function checkEvaluateOptions(o: Partial<EvaluateCommandOptions>): void {
  if (!o.weights) throw new ConfigError('evaluate needs --weights DIR: a checkpoint folder such as runs/train/last');
  if (!o.data) throw new ConfigError('evaluate needs --data DIR (a YOLO, COCO or VOC dataset)');
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= 32 && o.size % 32 === 0)) {
    throw new ConfigError(`--size must be a multiple of 32 (the largest stride), ≥ 32, got ${o.size}`);
  }
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new ConfigError(`--batch-size must be a whole number ≥ 1, got ${o.batchSize}`);
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 0)) throw new ConfigError(`--workers must be a whole number ≥ 0, got ${o.workers}`);
}

/** The report as text: the three summary numbers and one row per class. */
export function formatEvaluation(r: EvaluateReport): string {
  const f = (x: number) => x.toFixed(4);
  return [
    `mAP@.5:.95 ${f(r.map)}   mAP@.5 ${f(r.map50)}   mAP@.75 ${f(r.map75)}   (${r.images} images)`,
    '',
    table(
      ['class', 'id', 'labels', 'AP@.5:.95', 'AP@.5', 'AP@.75'],
      r.perClass.map((c) => [c.name, c.classId, c.gtCount, f(c.ap), f(c.ap50), f(c.ap75)]),
    ),
  ].join('\n');
}

/** Run `freebies evaluate`. */
export async function evaluateCommand(o: EvaluateCommandOptions): Promise<EvaluateReport> {
  checkEvaluateOptions(o);
  const classNames = indexDataset(o.data).classNames;
  const factory = await loadPipelineFile(VAL_PIPELINE);
  await trainingBackend();
  const loaded = await loadCheckpoint(o.weights, { optimizer: false });
  const model = loaded.model;
  try {
    const info = modelInfo(model);
    if (classNames.length > info.classes) throw new ConfigError(`the checkpoint's model has ${info.classes} classes but ${o.data} has ${classNames.length}`);
    const saved = (loaded.metadata as Partial<TrainMetadata> | undefined)?.options;
    const size = o.size ?? info.inputSize?.[0] ?? saved?.size ?? 608;
    const val = factory({ data: o.data, seed: 0, workers: o.workers, size, batchSize: o.batchSize ?? 16 });
    const m = await evaluateModel(model, val as unknown as AsyncIterable<Batch>, { layers: evalLayers(model) });
    const report: EvaluateReport = {
      map: m.map,
      map50: m.map50,
      map75: m.map75,
      perClass: m.perClass.map((c) => ({ classId: c.classId, name: classNames[c.classId] ?? String(c.classId), ap: c.ap, ap50: c.ap50, ap75: c.ap75, gtCount: c.gtCount })),
      images: m.images,
    };
    if (o.print !== false) process.stdout.write(formatEvaluation(report) + '\n');
    if (o.json) {
      fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
      fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
      if (o.print !== false) process.stdout.write(`written to ${o.json}\n`);
    }
    return report;
  } finally {
    model.dispose();
  }
}
