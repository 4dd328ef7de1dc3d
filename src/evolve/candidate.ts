/**
 * The built-in evaluation of one hyperparameter candidate (SPEC §12): a short
 * `freebies train` run with the candidate's hyperparameters, scored by mAP on the
 * validation set. It runs in the process that calls it; the search runs it in a child
 * process per candidate (src/evolve/child.ts) or on a queue worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { validate } from '../stream/options.ts';
import { MODEL_PRESETS, type ModelName } from '../train/models/index.ts';
import type { CandidateResult, CandidateTask, RunCandidate } from './task.ts';

/**
 * The hyperparameters that set the training run itself (`freebies train`'s options); every
 * other name only reaches the pipeline file as `hyperparameters`.
 */
export const TRAINING_HYPERPARAMETERS = ['lr', 'batch', 'weightDecay', 'momentum', 'iouThreshold'] as const;

const absolute = (what: string) =>
  z
    .string({ message: `${what} must be a path (string)` })
    .min(1, `${what} must not be empty`)
    .refine((p) => path.isAbsolute(p), `${what} must be an absolute path (the task may run in another process or on another machine)`);

const whole = (what: string) => z.number({ message: `${what} must be a number` }).int(`${what} must be a whole number`);

/**
 * The zod schema of a {@link CandidateTask}. The training hyperparameters are checked
 * against what `freebies train` accepts, so a bad value fails with a message that names
 * the gene rather than deep inside training.
 */
export const candidateTaskSchema = z
  .object({
    generation: whole('generation').min(0, 'generation must be ≥ 0'),
    index: whole('index').min(0, 'index must be ≥ 0'),
    hyperparameters: z
      .record(z.string(), z.number({ message: 'every hyperparameter must be a number' }).refine(Number.isFinite, 'every hyperparameter must be a finite number'))
      .superRefine((h, ctx) => {
        const bad = (name: string, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
        if (h.lr !== undefined && !(h.lr > 0)) bad('lr', `lr must be > 0, got ${h.lr}: give the gene a range above 0 (kind 'log')`);
        if (h.batch !== undefined && !(Number.isInteger(h.batch) && h.batch >= 1)) {
          bad('batch', `batch must be a whole number ≥ 1, got ${h.batch}: declare the gene with kind 'int' and min ≥ 1`);
        }
        if (h.weightDecay !== undefined && !(h.weightDecay >= 0)) bad('weightDecay', `weightDecay must be ≥ 0, got ${h.weightDecay}`);
        if (h.momentum !== undefined && !(h.momentum >= 0 && h.momentum < 1)) bad('momentum', `momentum must be in [0, 1), got ${h.momentum}`);
        if (h.iouThreshold !== undefined && !(h.iouThreshold > 0 && h.iouThreshold <= 1)) {
          bad('iouThreshold', `iouThreshold must be in (0, 1], got ${h.iouThreshold}`);
        }
      }),
    pipeline: absolute('pipeline'),
    data: absolute('data'),
    valData: absolute('valData'),
    model: z.string().refine((m) => m in MODEL_PRESETS, { message: `model must be one of ${Object.keys(MODEL_PRESETS).join(', ')}` }),
    size: whole('size').min(32, 'size must be ≥ 32').refine((s) => s % 32 === 0, 'size must be a multiple of 32 (the largest stride)'),
    steps: whole('steps').min(1, 'steps must be ≥ 1').optional(),
    epochs: whole('epochs').min(1, 'epochs must be ≥ 1').optional(),
    seed: whole('seed'),
    workers: whole('workers').min(0, 'workers must be ≥ 0 (0 runs the pipeline inline)').optional(),
    microBatch: whole('microBatch').min(1, 'microBatch must be ≥ 1').optional(),
    out: absolute('out'),
    runner: absolute('runner').optional(),
  })
  .refine((t) => t.steps !== undefined || t.epochs !== undefined, {
    message: 'give the candidate a training budget: steps (batches) or epochs',
  });

/** Check a task (from JSON: a child's message, a queue job); throws a ConfigError saying what to fix. */
export function checkCandidateTask(task: unknown): CandidateTask {
  return validate(candidateTaskSchema, task, 'candidate task') as CandidateTask;
}

/**
 * Remove what an earlier, interrupted attempt at this candidate left in its folder (a
 * checkpoint `freebies train` would refuse to overwrite, a log it would append to), and
 * only that: `out` may be a folder the user chose.
 */
function clearAttempt(out: string): void {
  for (const name of ['last', 'last.prev', 'log.jsonl', 'plot.html', 'plot.png']) fs.rmSync(path.join(out, name), { recursive: true, force: true });
  if (fs.existsSync(out)) for (const e of fs.readdirSync(out)) if (e.startsWith('last.tmp-')) fs.rmSync(path.join(out, e), { recursive: true, force: true });
}

/**
 * Train the candidate with `freebies train` (no output, no progress) in `task.out` and
 * return mAP@.5 and mAP@.5:.95 on `task.valData`. `lr`, `batch`, `weightDecay`,
 * `momentum` and `iouThreshold` set the run when present (else train's defaults); all the
 * hyperparameters, those included, go to the pipeline file as `hyperparameters`.
 *
 * The metrics are those of the final weights: train's validation when the run ended on a
 * complete epoch (it validates after each), else an evaluation of the final checkpoint
 * with the validation pipeline, as train does. A validation set without ground truth
 * (mAP −1) is an error: it cannot rank candidates.
 */
export const runCandidate: RunCandidate = async (given: CandidateTask): Promise<CandidateResult> => {
  const task = checkCandidateTask(given);
  const started = performance.now();
  const h = task.hyperparameters;
  // Loaded here, not at the top: a child that runs a test runner never pays for tfjs.
  const { trainCommand, TRAIN_DEFAULTS } = await import('../cli/train.ts');
  fs.mkdirSync(task.out, { recursive: true });
  clearAttempt(task.out);
  const batchSize = h.batch;
  const run = await trainCommand({
    pipeline: task.pipeline,
    data: task.data,
    valData: task.valData,
    model: task.model as ModelName,
    size: task.size,
    seed: task.seed,
    ...(task.workers !== undefined ? { workers: task.workers } : {}),
    ...(task.microBatch !== undefined ? { microBatch: task.microBatch } : {}),
    ...(task.steps !== undefined ? { steps: task.steps } : {}),
    ...(task.epochs !== undefined ? { epochs: task.epochs } : {}),
    ...(h.lr !== undefined ? { lr: h.lr } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(h.weightDecay !== undefined ? { weightDecay: h.weightDecay } : {}),
    ...(h.momentum !== undefined ? { momentum: h.momentum } : {}),
    ...(h.iouThreshold !== undefined ? { iouThreshold: h.iouThreshold } : {}),
    hyperparameters: { ...h },
    out: task.out,
    print: false,
    progress: false,
  });
  let metrics: { map50: number; map: number };
  const last = run.validations.at(-1);
  if (last && last.step === run.steps) metrics = { map50: last.map50, map: last.map };
  else {
    // the final checkpoint on the validation set, as `freebies evaluate` (and train's validation) score it
    const { evaluateCommand } = await import('../cli/evaluate.ts');
    metrics = await evaluateCommand({ weights: run.checkpoint, data: task.valData, size: task.size, batchSize: batchSize ?? TRAIN_DEFAULTS.batch, workers: task.workers, print: false });
  }
  if (!(metrics.map >= 0 && metrics.map50 >= 0)) {
    throw new Error(`${task.valData}: the validation set has no ground-truth boxes (mAP ${metrics.map}), so it cannot score candidates; pass a --val-data with labels`);
  }
  return { map50: metrics.map50, map: metrics.map, steps: run.steps, wallMs: performance.now() - started };
};
