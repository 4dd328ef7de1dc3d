/**
 * `freebies train`: train a model of the YOLOv4 family from a pipeline file's batches, with
 * a live progress line, a JSONL log, a checkpoint after every epoch and validation mAP.
 *
 * Decisions (see the module's functions for details):
 * - Epochs: the pipeline file is called once per epoch with `epochs: 1` and seed
 *   `seed + epoch`, so every epoch has its own shuffle and augmentation draws and an epoch's
 *   end is the end of its stream. The pipeline's randomness is keyed by (seed, epoch,
 *   position), so a stream is a pure function of its options: there is no RNG state to save.
 * - Targets: the pipeline file gets the model's anchors, masks, strides and classes as
 *   `targets` (pipelines/yolov4.ts hands them to `encodeTargets()`), so its targets fit the
 *   model as made. A pipeline that ignores them and encodes for other heads, or encodes
 *   none, gets its targets re-encoded here from the batch's boxes with the model's anchors
 *   (rule `iou-threshold` 0.213, the batch's label smoothing kept).
 * - Schedule: cosine annealing with warm-up (SPEC §10) from `lr` to `lr / 100` over the
 *   planned updates: `epochs × ⌈images / batchSize⌉` when `epochs` is given, else `steps`.
 *   `steps` only bounds the run (counted from step 0, also when resuming), so a bounded run
 *   and its resumption follow the schedule of the whole run.
 * - Resume: `OUT/last` holds the model, the optimizer's slots, and in its metadata the step,
 *   updates, schedule state, epoch and batches taken in it, and the run's options. A resumed
 *   run rebuilds the epoch's stream and skips the batches already taken (they are made and
 *   dropped: the cost of one partial epoch of data), so it continues the same loss curve.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.ts';
import { indexDataset } from '../io/index.ts';
import { encodeBatchTargets, resolveTargetOptions, type TargetEncoding } from '../batch/targets.ts';
import type { SampleBatch } from '../batch/types.ts';
import { targetTensorLayer, type Batch, type BatchTargetLayer } from '../tensor/batch.ts';
import { initBackend } from '../tensor/backend.ts';
import { loadCheckpoint, readCheckpointMetadata, saveCheckpoint } from '../train/checkpoint.ts';
import { plotTrainingLog } from '../train/plot.ts';
import { evaluateModel } from '../train/evaluate.ts';
import type { MapResult } from '../train/map.ts';
import { createModel, MODEL_PRESETS, modelInfo, modelTargetOptions, type ModelName } from '../train/models/index.ts';
import { CosineAnnealingWarmupRestarts } from '../train/schedules.ts';
import { Trainer, type SatRecord, type StepRecord, type TrainerState } from '../train/trainer.ts';
import type { SatOptions } from '../train/sat-step.ts';
import { AdversarialSink } from '../stream/adversarial-sink.ts';
import { registerTrainingKernels } from '../train/wasm-kernels.ts';
import { loadPipelineFile, type PipelineFactory } from './pipeline-file.ts';
import { ProgressBar } from './progress.ts';

/** The validation pipeline shipped with freebies. */
export const VAL_PIPELINE = fileURLToPath(
  // from src/cli/ in the sources, from dist/src/cli/ when built: pipelines/ sits at the package root
  new URL(import.meta.url.endsWith('.ts') ? '../../pipelines/val.ts' : '../../../pipelines/val.ts', import.meta.url),
);

/**
 * The training hyperparameters `freebies train` uses when not told otherwise, by the names
 * evolution's genes give them (`batch` is `batchSize`).
 */
export const TRAIN_DEFAULTS = Object.freeze({ lr: 0.01, batch: 16, weightDecay: 5e-4, momentum: 0.937, iouThreshold: 0.213 });

/** Options of {@link trainCommand} (the flags of `freebies train`). */
export interface TrainOptions {
  /** The pipeline file (default on resume: the saved run's). */
  pipeline?: string;
  /** Dataset folder (default on resume: the saved run's). */
  data?: string;
  /** Default `yolov4-tiny`. */
  model?: ModelName;
  /** Passes over the data. Default 1 when `steps` is not given. */
  epochs?: number;
  /** Stop after this many steps (batches) counted from the start of the run. */
  steps?: number;
  /** Default 16. */
  batchSize?: number;
  /** Most images per forward/backward pass (Trainer `microBatch`, Darknet's subdivisions). Default: the whole batch. */
  microBatch?: number;
  /** Network input size, a multiple of 32. Default 608. */
  size?: number;
  workers?: number;
  /** Default 0. */
  seed?: number;
  /** Peak learning rate. Default 0.01. */
  lr?: number;
  /** L2 weight decay on convolution kernels. Default 5e-4 (YOLOv5). */
  weightDecay?: number;
  /** SGD momentum. Default 0.937 (YOLOv5). */
  momentum?: number;
  /** IoU threshold of multiple anchors per ground truth (SPEC §7), handed to the pipeline's targets. Default 0.213 (Darknet). */
  iouThreshold?: number;
  /**
   * Any other hyperparameters (augmentation gains, …), handed to the pipeline file as
   * `hyperparameters`; `freebies evolve` passes a candidate's genes this way.
   */
  hyperparameters?: Record<string, number>;
  /** Self-Adversarial Training (the `--sat*` flags); see {@link TrainSatOptions}. Default off. */
  sat?: TrainSatOptions;
  /** Output folder. Default `runs/train` (or `runs/train-2`, … when taken); on resume the checkpoint's folder. */
  out?: string;
  /** A checkpoint folder (`OUT/last`) to continue. */
  resume?: string;
  /** Validation dataset. Default: `data`. */
  valData?: string;
  /** Draw progress on stderr. Default true. */
  progress?: boolean;
  /** Print lines to stdout. Default true. */
  print?: boolean;
}

/**
 * `--sat METHOD` and its flags. Re-injection (the default) hands the pipeline file an
 * AdversarialSink as `adversarial` (it must put `reinject(adversarial)` after its batching
 * operator) with lag 3 — the pipeline's prefetch depth 2 + 1 — so the run repeats exactly.
 */
export interface TrainSatOptions {
  /** `fgsm` or `darknet`. */
  method: string;
  /** FGSM's ε. Default 2/255. */
  epsilon?: number;
  /** Largest share of a batch adversarial samples take. Default 0.25. */
  ratio?: number;
  /** FGSM iterations. Default 1. */
  steps?: number;
  /** Train on x' at once instead of re-injecting. Default false. */
  inStep?: boolean;
  /** Darknet's adversarial_lr. Default 1 (see SatOptions.lr). */
  lr?: number;
  /** Probability a batch is attacked. Default 1 (fgsm), 0.5 (darknet). */
  p?: number;
  /** Updates before the first attack. Default 0. */
  burnIn?: number;
  /** Adversarial samples waiting at most. Default 256. */
  queue?: number;
}

/** The options a run saves with every checkpoint (everything needed to resume it). */
export interface RunOptions {
  pipeline: string;
  data: string;
  model: ModelName;
  epochs: number;
  steps: number | null;
  batchSize: number;
  microBatch: number | null;
  size: number;
  workers: number | null;
  seed: number;
  lr: number;
  weightDecay: number;
  momentum: number;
  iouThreshold: number;
  hyperparameters: Record<string, number>;
  sat: TrainSatOptions | null;
  valData: string;
  plannedUpdates: number;
}

/** A checkpoint's metadata as `freebies train` writes it. */
export interface TrainMetadata {
  kind: 'freebies-train';
  step: number;
  updates: number;
  /** Epochs completed. */
  epoch: number;
  /** Batches taken of epoch `epoch` (0 at an epoch boundary). */
  stepInEpoch: number;
  trainer: TrainerState;
  seed: number;
  /** Always null: the pipeline's draws are keyed by (seed, epoch, position), not a running generator. */
  rng: null;
  model: ModelName;
  options: RunOptions;
}

/** One validation. */
export interface Validation {
  epoch: number;
  step: number;
  map: number;
  map50: number;
  map75: number;
  perClass: MapResult['perClass'];
}

/** What {@link trainCommand} returns. */
export interface TrainResult {
  out: string;
  checkpoint: string;
  /** The loss / lr / mAP page written at the end of the run. */
  plot: string;
  steps: number;
  updates: number;
  epochs: number;
  records: StepRecord[];
  validations: Validation[];
}

const positive = (v: number | undefined, name: string) => {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ConfigError(`--${name} must be a whole number ≥ 1, got ${v}`);
};

/** Checks the flags' values (before anything heavy loads). */
export function checkTrainOptions(o: TrainOptions): void {
  if (o.model !== undefined && !(o.model in MODEL_PRESETS)) {
    throw new ConfigError(`--model must be one of ${Object.keys(MODEL_PRESETS).join(', ')}, got "${o.model}"`);
  }
  positive(o.epochs, 'epochs');
  positive(o.steps, 'steps');
  positive(o.batchSize, 'batch-size');
  positive(o.microBatch, 'micro-batch');
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= 32 && o.size % 32 === 0)) {
    throw new ConfigError(`--size must be a multiple of 32 (the largest stride), ≥ 32, got ${o.size}`);
  }
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 0)) throw new ConfigError(`--workers must be a whole number ≥ 0, got ${o.workers}`);
  if (o.lr !== undefined && !(Number.isFinite(o.lr) && o.lr > 0)) throw new ConfigError(`--lr must be a number > 0, got ${o.lr}`);
  if (o.weightDecay !== undefined && !(Number.isFinite(o.weightDecay) && o.weightDecay >= 0)) throw new ConfigError(`--weight-decay must be a number ≥ 0, got ${o.weightDecay}`);
  if (o.momentum !== undefined && !(Number.isFinite(o.momentum) && o.momentum >= 0 && o.momentum < 1)) throw new ConfigError(`--momentum must be in [0, 1), got ${o.momentum}`);
  if (o.iouThreshold !== undefined && !(Number.isFinite(o.iouThreshold) && o.iouThreshold > 0 && o.iouThreshold <= 1)) {
    throw new ConfigError(`--iou-threshold must be in (0, 1], got ${o.iouThreshold}`);
  }
  if (o.sat) {
    const s = o.sat;
    if (s.method !== 'fgsm' && s.method !== 'darknet') throw new ConfigError(`--sat must be fgsm or darknet, got "${s.method}"`);
    if (s.epsilon !== undefined && !(s.epsilon > 0 && s.epsilon <= 1)) throw new ConfigError(`--sat-epsilon must be in (0, 1] (pixels are 0..1; 2/255 ≈ 0.008), got ${s.epsilon}`);
    if (s.ratio !== undefined && !(s.ratio > 0 && s.ratio < 1)) throw new ConfigError(`--sat-ratio must be in (0, 1), got ${s.ratio}`);
    if (s.ratio !== undefined && s.inStep) throw new ConfigError('--sat-ratio goes with re-injection; --sat-in-step trains on every adversarial batch at once');
    if (s.p !== undefined && !(s.p >= 0 && s.p <= 1)) throw new ConfigError(`--sat-p must be in [0, 1], got ${s.p}`);
    if (s.lr !== undefined && !(s.lr >= 0)) throw new ConfigError(`--sat-lr must be ≥ 0, got ${s.lr}`);
    positive(s.steps, 'sat-steps');
    positive(s.queue, 'sat-queue');
    if (s.burnIn !== undefined && !(Number.isInteger(s.burnIn) && s.burnIn >= 0)) throw new ConfigError(`--sat-burn-in must be a whole number ≥ 0, got ${s.burnIn}`);
  }
  for (const [k, v] of Object.entries(o.hyperparameters ?? {})) {
    if (!Number.isFinite(v)) throw new ConfigError(`hyperparameters.${k} must be a finite number, got ${v}`);
  }
  if (!o.resume) {
    if (!o.pipeline) throw new ConfigError('train needs a pipeline file: freebies train pipelines/yolov4.ts --data DIR (or --resume OUT/last)');
    if (!o.data) throw new ConfigError('train needs --data DIR (a YOLO, COCO or VOC dataset), or --resume OUT/last');
  }
}

/** `base` (e.g. `runs/train`), or the first of `base-2`, `-3`, … that is free. */
export function freshOut(base: string): string {
  const empty = (d: string) => !fs.existsSync(d) || fs.readdirSync(d).length === 0;
  if (empty(base)) return base;
  for (let i = 2; ; i++) if (empty(`${base}-${i}`)) return `${base}-${i}`;
}

/** True when `layers` are the targets of `enc` for `classes` classes. */
function targetsMatch(layers: BatchTargetLayer[] | undefined, enc: TargetEncoding, classes: number): boolean {
  if (!layers || layers.length !== enc.masks.length) return false;
  return layers.every((l, i) => {
    const mask = enc.masks[i]!;
    return (
      l.stride === enc.strides[i] &&
      l.tensor.shape[4] === 6 + classes &&
      l.anchors.length === mask.length &&
      l.anchors.every((a, k) => Math.abs(a[0]! - enc.anchors[mask[k]!]![0]!) < 1e-6 && Math.abs(a[1]! - enc.anchors[mask[k]!]![1]!) < 1e-6)
    );
  });
}

/**
 * `batch` with the model's targets: as it is when its targets match, else with targets
 * encoded from its boxes (the old ones disposed).
 */
export function retarget(batch: Batch, enc: TargetEncoding, classes: number): Batch {
  if (targetsMatch(batch.targets, enc, classes)) return batch;
  const [B, H, W] = batch.images.shape;
  const N = batch.boxes.shape[1];
  const boxes = batch.boxes.dataSync() as Float32Array;
  const cls = batch.classes.dataSync() as Int32Array;
  const weights = batch.weights.dataSync() as Float32Array;
  const flags = batch.flags.dataSync() as Int32Array;
  const counts = batch.counts.dataSync() as Int32Array;
  const samples = Array.from({ length: B }, (_, b) => {
    const n = counts[b]!;
    return {
      id: batch.ids[b] ?? String(b),
      index: b,
      epoch: 0,
      meta: batch.meta[b] ?? { path: '', originalWidth: W, originalHeight: H },
      image: { data: new Uint8Array(0), width: W, height: H },
      boxes: boxes.slice(b * N * 4, (b * N + n) * 4),
      classes: cls.slice(b * N, b * N + n),
      weights: weights.slice(b * N, b * N + n),
      flags: Uint8Array.from(flags.subarray(b * N, b * N + n)),
    };
  });
  const sb = { samples, size: B, ids: batch.ids, ...(batch.labelSmoothing ? { labelSmoothing: batch.labelSmoothing } : {}) } as unknown as SampleBatch;
  const layers = encodeBatchTargets(sb, enc, classes);
  const targets: BatchTargetLayer[] = layers.map(targetTensorLayer);
  if (batch.targets) tf.dispose(batch.targets.map((t) => t.tensor));
  const dispose = batch.dispose;
  return { ...batch, targets, dispose: () => { dispose(); tf.dispose(targets.map((t) => t.tensor)); } };
}

/** The decode layers of `evaluateModel` for a model. */
export function evalLayers(model: tf.LayersModel): { stride: number; anchors: number[][] }[] {
  const t = modelTargetOptions(model);
  return t.masks.map((m, l) => ({ stride: t.strides[l]!, anchors: m.map((i) => t.anchors[i]!) }));
}

/** The backend, with the training kernels on wasm. */
export async function trainingBackend(): Promise<string> {
  const backend = await initBackend();
  if (backend === 'wasm') registerTrainingKernels();
  return backend;
}

/** The SAT part of the progress line. */
function satStatus(s: SatRecord): string {
  const parts = [`adv made ${s.made}`];
  if (s.reinjected !== undefined) parts.push(`reinjected ${s.reinjected}`);
  parts.push(`trained ${s.trained}`);
  if (s.dropped) parts.push(`dropped ${s.dropped}`);
  if (s.lossAdversarial !== undefined) parts.push(`loss adv ${s.lossAdversarial.toFixed(3)}${s.lossClean !== undefined ? ` clean ${s.lossClean.toFixed(3)}` : ''}`);
  return parts.join(', ');
}

/** Run `freebies train`. */
export async function trainCommand(given: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(given);
  const say = (line: string) => {
    if (given.print !== false) process.stdout.write(line + '\n');
  };
  let saved: TrainMetadata | undefined;
  if (given.resume) {
    const meta = (await readCheckpointMetadata(given.resume)).metadata as TrainMetadata | undefined;
    if (meta?.kind !== 'freebies-train') throw new ConfigError(`--resume ${given.resume}: not a checkpoint written by freebies train (its metadata has no run options)`);
    if (given.model && given.model !== meta.model) throw new ConfigError(`--resume: the checkpoint is a ${meta.model}; leave --model out or pass --model ${meta.model}`);
    saved = meta;
  }
  const prev = saved?.options;
  const dataDir = given.data ?? prev!.data;
  const index = indexDataset(dataDir);
  const classNames = index.classNames;
  const images = index.items.length;
  if (!classNames.length) throw new ConfigError(`${dataDir}: the dataset names no classes; add a data.yaml with names`);
  if (!images) throw new ConfigError(`${dataDir}: the dataset has no images`);
  const epochs = given.epochs ?? prev?.epochs ?? (given.steps !== undefined ? Infinity : 1);
  const batchSize = given.batchSize ?? prev?.batchSize ?? TRAIN_DEFAULTS.batch;
  const run: RunOptions = {
    pipeline: path.resolve(given.pipeline ?? prev!.pipeline),
    data: path.resolve(dataDir),
    model: given.model ?? prev?.model ?? 'yolov4-tiny',
    epochs,
    steps: given.steps ?? prev?.steps ?? null,
    batchSize,
    microBatch: given.microBatch ?? prev?.microBatch ?? null,
    size: given.size ?? prev?.size ?? 608,
    workers: given.workers ?? prev?.workers ?? null,
    seed: given.seed ?? prev?.seed ?? 0,
    lr: given.lr ?? prev?.lr ?? TRAIN_DEFAULTS.lr,
    weightDecay: given.weightDecay ?? prev?.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
    momentum: given.momentum ?? prev?.momentum ?? TRAIN_DEFAULTS.momentum,
    iouThreshold: given.iouThreshold ?? prev?.iouThreshold ?? TRAIN_DEFAULTS.iouThreshold,
    hyperparameters: { ...(prev?.hyperparameters ?? {}), ...(given.hyperparameters ?? {}) },
    sat: given.sat ?? prev?.sat ?? null,
    valData: path.resolve(given.valData ?? prev?.valData ?? dataDir),
    plannedUpdates: prev?.plannedUpdates ?? (Number.isFinite(epochs) ? epochs * Math.ceil(images / batchSize) : given.steps!),
  };
  const out = path.resolve(given.out ?? (given.resume ? path.dirname(path.resolve(given.resume)) : freshOut('runs/train')));
  if (!given.resume && given.out && fs.existsSync(path.join(out, 'last'))) {
    throw new ConfigError(`--out ${given.out} already holds a run: pass --resume ${path.join(given.out, 'last')} to continue it, or another --out`);
  }
  fs.mkdirSync(out, { recursive: true });
  const logFile = path.join(out, 'log.jsonl');
  const log = (record: object) => fs.appendFileSync(logFile, JSON.stringify(record) + '\n');

  const factory = await loadPipelineFile(run.pipeline);
  const valFactory = await loadPipelineFile(VAL_PIPELINE);
  const backend = await trainingBackend();
  if (given.print !== false) process.stderr.write(`freebies: TensorFlow.js backend ${backend}\n`);

  // Re-injection's sink lives across the epochs' pipelines; lag 3 = prefetch 2 + 1 (deterministic mixing).
  const sink = run.sat && !run.sat.inStep ? new AdversarialSink({ ratio: run.sat.ratio, capacity: run.sat.queue, lag: 3 }) : undefined;
  const sat: SatOptions | undefined = run.sat
    ? {
        method: run.sat.method as 'fgsm' | 'darknet',
        ...(run.sat.epsilon !== undefined && { epsilon: run.sat.epsilon }),
        ...(run.sat.steps !== undefined && { steps: run.sat.steps }),
        ...(run.sat.lr !== undefined && { lr: run.sat.lr }),
        ...(run.sat.p !== undefined && { p: run.sat.p }),
        ...(run.sat.burnIn !== undefined && { burnIn: run.sat.burnIn }),
        ...(sink ? { sink } : { inStep: true }),
        seed: run.seed,
      }
    : undefined;
  let model: tf.LayersModel;
  let trainer: Trainer;
  if (saved) {
    const loaded = await loadCheckpoint(given.resume!);
    model = loaded.model;
    trainer = new Trainer({ model, sat, ...(run.microBatch ? { microBatch: run.microBatch } : {}), plannedUpdates: run.plannedUpdates, weightDecay: run.weightDecay, optimizer: { kind: 'sgd', momentum: run.momentum, nesterov: true } });
    await trainer.load(saved.trainer, loaded.optimizer);
    loaded.optimizer?.dispose();
  } else {
    model = createModel(run.model, { classes: classNames.length, seed: run.seed });
    const schedule = new CosineAnnealingWarmupRestarts({
      firstCycleSteps: run.plannedUpdates,
      maxLr: run.lr,
      minLr: run.lr / 100,
      warmupSteps: Math.min(100, Math.floor(run.plannedUpdates / 10)),
    });
    trainer = new Trainer({ model, schedule, sat, ...(run.microBatch ? { microBatch: run.microBatch } : {}), plannedUpdates: run.plannedUpdates, weightDecay: run.weightDecay, optimizer: { kind: 'sgd', momentum: run.momentum, nesterov: true } });
  }
  const info = modelInfo(model);
  if (info.classes < classNames.length) throw new ConfigError(`the model has ${info.classes} classes but ${dataDir} has ${classNames.length}`);
  const targets = { ...modelTargetOptions(model), iouThreshold: run.iouThreshold };
  const enc = resolveTargetOptions({ ...targets, rule: 'iou-threshold' }, 'freebies train');
  const layers = evalLayers(model);

  let epoch = saved?.epoch ?? 0;
  let stepInEpoch = saved?.stepInEpoch ?? 0;
  const bound = run.steps ?? Infinity;
  const records: StepRecord[] = [];
  const validations: Validation[] = [];
  const checkpoint = path.join(out, 'last');
  const bar = given.progress === false ? undefined : new ProgressBar('train', Number.isFinite(bound) ? bound : Number.isFinite(epochs) ? run.plannedUpdates : undefined);
  const status = (r: StepRecord) =>
    `epoch ${epoch + 1} loss ${r.loss.toFixed(4)} (${Object.entries(r.parts)
      .filter(([k]) => k !== 'positives')
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(', ')}) lr ${r.lr.toExponential(2)} ${r.imagesPerSecond.toFixed(1)} img/s${r.sat ? ` · ${satStatus(r.sat)}` : ''}`;
  const save = async () => {
    const metadata: TrainMetadata = {
      kind: 'freebies-train',
      step: trainer.progress.steps,
      updates: trainer.progress.updates,
      epoch,
      stepInEpoch,
      trainer: trainer.state(),
      seed: run.seed,
      rng: null,
      model: run.model,
      options: { ...run, epochs: Number.isFinite(run.epochs) ? run.epochs : (null as unknown as number) },
    };
    await saveCheckpoint(checkpoint, model, { optimizer: trainer.optimizer, metadata });
  };
  if (saved?.options.epochs === null) run.epochs = given.epochs ?? Infinity;

  try {
    while (epoch < run.epochs && trainer.progress.steps < bound) {
      const pipeline = factory({
        data: run.data, seed: run.seed + epoch, epochs: 1, workers: run.workers ?? undefined, size: run.size, batchSize: run.batchSize,
        targets, hyperparameters: run.hyperparameters, adversarial: sink,
      });
      if (sink && (pipeline as { context?: { adversarialSink?: unknown } }).context?.adversarialSink !== sink) {
        throw new ConfigError(
          `${run.pipeline} does not mix adversarial samples back in: put reinject(adversarial) after its batch() or dynamicBatch() ` +
            '(adversarial is the option the file receives), or train with --sat-in-step',
        );
      }
      const it = (pipeline as unknown as AsyncIterable<Batch>)[Symbol.asyncIterator]();
      let ended = false;
      try {
        for (let k = 0; k < stepInEpoch && !ended; k++) {
          const r = await it.next();
          if (r.done) ended = true;
          else r.value.dispose();
          // a skipped batch is a step the sink's lockstep counts
          sink?.endStep([]);
        }
        const view: AsyncIterable<Batch> = {
          [Symbol.asyncIterator]: () => ({
            next: async () => {
              const r = await it.next();
              if (r.done) {
                ended = true;
                return r;
              }
              return { done: false, value: retarget(r.value, enc, info.classes) };
            },
            // the epoch's stream stays open: whether it ended is asked below
            return: async () => ({ done: true as const, value: undefined }),
          }),
        };
        if (!ended) {
          const remaining = bound - trainer.progress.steps;
          const fit = await trainer.fit(view, {
            steps: Number.isFinite(remaining) ? remaining : undefined,
            onStep: (r) => {
              records.push(r);
              log({ type: 'step', epoch, ...r });
              bar?.update(r.step, status(r));
            },
          });
          stepInEpoch += fit.steps;
        }
        if (!ended) {
          // stopped by --steps: an epoch that has no batch left is complete
          const r = await it.next();
          if (r.done) ended = true;
          else r.value.dispose();
        }
      } finally {
        await it.return?.();
      }
      if (!ended) break;
      epoch++;
      stepInEpoch = 0;
      const last = records[records.length - 1];
      if (bar && last) bar.finish(last.step, status(last));
      const val = valFactory({ data: run.valData, seed: run.seed, workers: run.workers ?? undefined, size: run.size, batchSize: run.batchSize });
      const m = await evaluateModel(model, val as unknown as AsyncIterable<Batch>, { layers });
      const v: Validation = { epoch, step: trainer.progress.steps, map: m.map, map50: m.map50, map75: m.map75, perClass: m.perClass };
      validations.push(v);
      log({ type: 'val', ...v, images: m.images });
      say(`epoch ${epoch}: step ${v.step}, mAP@.5:.95 ${v.map.toFixed(4)}, mAP@.5 ${v.map50.toFixed(4)}, mAP@.75 ${v.map75.toFixed(4)} (${m.images} images)`);
      await save();
    }
    if (stepInEpoch > 0) await save();
    const last = records[records.length - 1];
    if (bar && last) bar.finish(last.step, status(last));
  } finally {
    trainer.dispose();
    model.dispose();
  }
  const plot = await plotTrainingLog(logFile, path.join(out, 'plot.html'));
  say(
    `${trainer.progress.steps} steps, ${trainer.progress.updates} updates; checkpoint ${checkpoint}, log ${logFile}, ` +
      `plot ${plot.html}${plot.png ? ` and ${plot.png}` : ''}`,
  );
  return { out, checkpoint, plot: plot.html, steps: trainer.progress.steps, updates: trainer.progress.updates, epochs: epoch, records, validations };
}

export type { PipelineFactory };
