/**
 * `npm run bench`: every benchmark section in one process, a table each, and one
 * JSON `{ results: [...], ratios: {...} }` merged from all sections.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelineVsDecode } from '../bench/pipeline-vs-decode.ts';
import { transformsSection } from '../bench/transforms.ts';
import { trainingSection } from '../bench/train.ts';
import { satSection } from '../bench/sat.ts';
import { yolov4VsDecode } from '../bench/yolov4.ts';
import {
  bboxSafeCrop, blur, brightnessContrast, cutout, flip, gridMask, hsv, jitter, noise, randomCrop, randomErasing,
  randomPerspective,
} from '../../index.ts';
import { ConfigError } from '../core/errors.ts';
import type { BenchContext, BenchResult, BenchSection } from '../bench/types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** coco128 beside the repository (../shared/datasets/coco128), the default benchmark data. */
export const DEFAULT_DATA = path.resolve(here, '../../../shared/datasets/coco128');

/** Every transform of the catalogue, forced on; the labels are the JSON result names. */
const TRANSFORM_CASES = () =>
  [
    ['hsv() yolov5', hsv({ p: 1 })],
    ['hsv() darknet', hsv({ p: 1, mode: 'darknet' })],
    ['brightnessContrast()', brightnessContrast({ p: 1 })],
    ['blur() k 3..7', blur({ p: 1 })],
    ['blur() background k 17', blur({ p: 1, kernelSize: 17, background: true })],
    ['noise() σ 3..7', noise({ p: 1 })],
    ['flip() horizontal', flip({ p: 1 })],
    ['flip() vertical', flip({ p: 1, direction: 'vertical' })],
    ['randomPerspective() yolov5 defaults', randomPerspective({ p: 1 })],
    ['randomPerspective() deg 10 shear 2 persp 1e-3', randomPerspective({ p: 1, degrees: 10, shear: 2, perspective: 0.001 })],
    ['jitter() 0.3', jitter({ p: 1 })],
    ['randomCrop() 512', randomCrop({ p: 1, width: 512, height: 512 })],
    ['bboxSafeCrop()', bboxSafeCrop({ p: 1 })],
    ['randomErasing()', randomErasing({ p: 1 })],
    ['cutout()', cutout({ p: 1 })],
    ['gridMask()', gridMask({ p: 1 })],
    ['gridMask() rotate 45', gridMask({ p: 1, rotate: 45 })],
  ] as const;

const SECTIONS: Array<[string, (b: BenchContext) => Promise<BenchSection>]> = [
  ['pipeline vs decode', pipelineVsDecode],
  ['yolov4 vs decode', yolov4VsDecode],
  [
    'transforms',
    // The issue's order (hsv, then randomPerspective, then flip p 0.5), at YOLOv5's defaults
    (b) => transformsSection(TRANSFORM_CASES().map(([l, s]) => [l, s]), [hsv(), randomPerspective(), flip()])(b),
  ],
  // Images/s of the nano and tiny models fed by the pipeline and from memory, and the data-wait share
  ['training', trainingSection],
  // Step time per trained image with SAT off, re-injected and in-step
  ['self-adversarial training', satSection],
];

/** Run every section; print tables; write the merged JSON. */
export async function runBench(options: { json?: string; rounds?: number; data?: string; workers?: number; only?: string }): Promise<void> {
  const ctx: BenchContext = {
    data: options.data ?? DEFAULT_DATA,
    rounds: Math.max(3, options.rounds ?? 3),
    workers: options.workers ?? os.availableParallelism(),
  };
  const results: BenchResult[] = [];
  const ratios: Record<string, number> = {};
  process.stdout.write(`freebies bench on ${ctx.data} (${os.availableParallelism()} cores, ${ctx.workers} workers, ${ctx.rounds} rounds)\n\n`);
  const sections = options.only ? SECTIONS.filter(([title]) => title.includes(options.only!)) : SECTIONS;
  if (sections.length === 0) {
    throw new ConfigError(`bench --only ${options.only}: no such section; sections are ${SECTIONS.map(([t]) => `"${t}"`).join(', ')}`);
  }
  for (const [title, run] of sections) {
    const s = await run(ctx);
    process.stdout.write(`## ${title}\n${s.table}\n\n`);
    results.push(...s.results);
    Object.assign(ratios, s.ratios);
  }
  const file = options.json ?? 'bench-results.json';
  fs.writeFileSync(file, JSON.stringify({ results, ratios }, null, 2) + '\n');
  process.stdout.write(`written to ${file}\n`);
}
