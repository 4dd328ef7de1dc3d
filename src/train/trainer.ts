/**
 * The training loop: batches in (any async iterable of {@link Batch}: a pipeline, or your
 * own), one forward and backward pass per batch, gradients accumulated to a nominal batch
 * so dynamic batch sizes keep the effective batch constant, SGD (momentum, Nesterov,
 * decoupled from the schedule) or Adam, a learning-rate schedule stepped per update, and
 * one record per batch (loss parts, lr, images/s, time spent waiting for data).
 *
 * Every tensor a step makes is disposed before the next batch is requested; the trainer
 * disposes each batch it takes.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { rowChunks, selectBatchRows, type Batch } from '../tensor/batch.ts';
import { validate } from '../stream/options.ts';
import { yoloLoss, type YoloLossOptions } from './loss.ts';
import { modelInfo, setDropBlockProgress, startCmbnStep } from './models/index.ts';
import { CosineAnnealingWarmupRestarts, scheduleFromState, type LrSchedule, type ScheduleState } from './schedules.ts';
import { adversarialRows, SatStep, type SatOptions, type SatStepResult } from './sat-step.ts';

/** A loss over the model's outputs for one batch: `total` is minimised, the other scalars are logged. */
export type LossFunction = (outputs: tf.Tensor[], batch: Batch) => { total: tf.Scalar } & Record<string, tf.Scalar | number>;

/** The optimiser: SGD with momentum (YOLOv5's defaults) or Adam. */
export type OptimizerOptions =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean }
  | { kind: 'adam'; beta1?: number; beta2?: number; epsilon?: number };

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  model: tf.LayersModel;
  /** A loss function, or the options of {@link yoloLoss} (the default, which reads `batch.targets`). */
  loss?: LossFunction | YoloLossOptions;
  /** Default `{ kind: 'sgd', momentum: 0.937, nesterov: true }` (YOLOv5). */
  optimizer?: OptimizerOptions;
  /**
   * The learning rate per update; a factory gets the number of updates the run will make
   * (when known). Default: cosine annealing from 0.01 to 0.0001 over the run with a warm-up
   * of a tenth of it (at most 100 updates), SPEC §10.
   */
  schedule?: LrSchedule | ((updates: number | undefined) => LrSchedule);
  /** L2 weight decay on convolution kernels (not on biases or batch-norm). Default 5e-4 (YOLOv5). */
  weightDecay?: number;
  /**
   * Images per optimiser update (YOLOv5's `nbs`, e.g. 64): gradients of consecutive batches
   * are summed until this many images have been seen, so dynamic batch sizes keep the
   * effective batch constant. Default: none — every batch is one update. Either way an
   * update's gradient is the sum over its images of the per-image loss (the mean loss ×
   * the batch size, as YOLOv5), so the learning rates of YOLOv5 apply unchanged.
   */
  nominalBatch?: number;
  /**
   * Most images per forward and backward pass (Darknet's `subdivisions`): a larger batch is
   * split into passes of at most this many, whose gradients are summed into the batch's
   * (batch norm then normalises each pass alone, and the logged loss is the passes' mean
   * weighted by their sizes). Bounds the memory of a step whatever the batch size: the wasm
   * backend's 4 GB run out near 40 images of yolov4-tiny-nano at 320 px. SAT's attack is
   * split the same way. Default: no split.
   */
  microBatch?: number;
  /** Append one JSON line per batch to this file, or call this function. */
  log?: string | ((record: StepRecord) => void);
  /**
   * Updates the whole run will make, across fits and resumes. Sizes the default schedule
   * (instead of one fit's `steps`) and the DropBlock ramp of a model built with
   * `dropBlock` (keep probability from 1 to its target over these updates). Default: a
   * fit's `steps` for the schedule, and no ramp (the target from the start).
   */
  plannedUpdates?: number;
  /**
   * Self-Adversarial Training (SPEC §11): attack batches and train on the adversarial images
   * at once (`inStep`), or push them into `sink` for `reinject(sink)` to mix into later
   * batches. Needs the default loss (yoloLoss). Default: off.
   */
  sat?: SatOptions;
}

/** The trainer's position, plain JSON (for a checkpoint's metadata); see {@link Trainer.state}. */
export interface TrainerState {
  steps: number;
  updates: number;
  /** The schedule's position, once a fit created it. */
  schedule?: ScheduleState;
  /** Self-Adversarial Training's running totals (so a resumed run's records continue them). */
  sat?: { made: number; trained: number; attacks: number };
}

/** What the trainer records for every batch. */
export interface StepRecord {
  /** Batches trained on so far (1-based). */
  step: number;
  /** Optimiser updates so far. */
  updates: number;
  images: number;
  /** The learning rate the last update used. */
  lr: number;
  loss: number;
  /** The loss function's other scalars (`box`, `objectness`, `classes`, `positives` for yoloLoss). */
  parts: Record<string, number>;
  /** Milliseconds waiting for this batch, and spent on it. */
  dataWaitMs: number;
  stepMs: number;
  imagesPerSecond: number;
  /** Self-Adversarial Training's figures, when SAT is on or the batch held adversarial samples. */
  sat?: SatRecord;
}

/** SAT's part of a {@link StepRecord}: run totals, and this batch's losses by kind. */
export interface SatRecord {
  /** Adversarial images made so far (pushed to the sink, or trained in-step). */
  made: number;
  /** Adversarial images trained on so far. */
  trained: number;
  /** The sink's totals: samples mixed into batches, dropped from a full queue, waiting now. */
  reinjected?: number;
  dropped?: number;
  waiting?: number;
  /** Adversarial images in this batch. */
  batchAdversarial: number;
  /** This batch's loss on its adversarial and on its clean images (each alone), when it held that kind. */
  lossAdversarial?: number;
  lossClean?: number;
}

/** Options of {@link Trainer.fit}. */
export interface FitOptions {
  /** Stop after this many batches (default: when the batches end). */
  steps?: number;
  /** Called after every batch. */
  onStep?: (record: StepRecord) => void;
}

/** What {@link Trainer.fit} returns. */
export interface FitResult {
  steps: number;
  updates: number;
  images: number;
  /** The first and last batch's loss. */
  firstLoss: number;
  lastLoss: number;
  /** Share of the run's wall time spent waiting for batches (the pipeline's cost to the trainer). */
  dataWaitShare: number;
  wallMs: number;
}

const schema = z
  .object({
    weightDecay: z.number().min(0, 'weightDecay must be ≥ 0').default(5e-4),
    nominalBatch: z.number().int('nominalBatch must be a whole number of images').min(1).optional(),
    microBatch: z.number().int('microBatch must be a whole number of images').min(1, 'microBatch must be ≥ 1').optional(),
    plannedUpdates: z.number().int('plannedUpdates must be a whole number').min(1, 'plannedUpdates must be ≥ 1').optional(),
    optimizer: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('sgd'), momentum: z.number().min(0).lt(1).default(0.937), nesterov: z.boolean().default(true) }).strict(),
        z.object({ kind: z.literal('adam'), beta1: z.number().min(0).lt(1).default(0.937), beta2: z.number().min(0).lt(1).default(0.999), epsilon: z.number().gt(0).default(1e-8) }).strict(),
      ])
      .default({ kind: 'sgd', momentum: 0.937, nesterov: true }),
  })
  .passthrough();

/** The default schedule: SPEC §10's cosine annealing with warm-up, one cycle over the run. */
function defaultSchedule(updates: number | undefined): LrSchedule {
  const cycle = Math.max(1, updates ?? 1000);
  return new CosineAnnealingWarmupRestarts({
    firstCycleSteps: cycle,
    maxLr: 0.01,
    minLr: 0.0001,
    warmupSteps: Math.min(100, Math.floor(cycle / 10)),
  });
}

/** Trains a model from a stream of batches. */
export class Trainer {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  private readonly lossFn: LossFunction;
  private readonly weightDecay: number;
  private readonly nominalBatch: number | undefined;
  private readonly microBatch: number | undefined;
  private readonly scheduleOption: TrainerOptions['schedule'];
  private readonly log: TrainerOptions['log'];
  private scheduleInstance: LrSchedule | undefined;
  private stepCount = 0;
  private updateCount = 0;
  private readonly plannedTotal: number | undefined;
  /** The model's training hooks (SPEC §15), from the configuration it carries. */
  private readonly hooks: { cmbn: boolean; dropBlock: boolean };
  /** The default loss's options (undefined for a custom loss function): SAT and the per-kind losses use them. */
  private readonly lossOptions: YoloLossOptions | undefined;
  private readonly sat: SatStep | undefined;
  private adversarialTrained = 0;

  constructor(options: TrainerOptions) {
    if (!options?.model || typeof (options.model as { apply?: unknown }).apply !== 'function') {
      throw new ConfigError('Trainer: pass { model } — a tf.LayersModel such as createModel("yolov4-nano", { classes })');
    }
    const o = validate(schema, options, 'Trainer');
    this.model = options.model;
    this.weightDecay = o.weightDecay;
    this.nominalBatch = o.nominalBatch;
    this.microBatch = o.microBatch;
    this.scheduleOption = options.schedule;
    this.log = options.log;
    this.plannedTotal = o.plannedUpdates;
    let info: ReturnType<typeof modelInfo> | undefined;
    try {
      info = modelInfo(options.model);
    } catch {
      info = undefined; // not a createModel() model: no hooks
    }
    this.hooks = { cmbn: info?.norm === 'cmbn', dropBlock: Boolean(info?.dropBlock) };
    const lossOption = options.loss;
    this.lossOptions = typeof lossOption === 'function' ? undefined : (lossOption ?? {});
    if (options.sat && typeof lossOption === 'function') throw new ConfigError('Trainer: sat needs the default yoloLoss (pass loss options, not a function)');
    this.sat = options.sat ? new SatStep(options.sat, this.lossOptions, o.microBatch) : undefined;
    this.lossFn =
      typeof lossOption === 'function'
        ? lossOption
        : (outputs, batch) => {
            if (!batch.targets) throw new ConfigError('Trainer: the batches carry no targets; put encodeTargets() before toTensors() in the pipeline');
            return yoloLoss(outputs, batch.targets, lossOption ?? {}) as unknown as ReturnType<LossFunction>;
          };
    const opt = o.optimizer;
    this.optimizer =
      opt.kind === 'sgd'
        ? tf.train.momentum(0.01, opt.momentum, opt.nesterov)
        : tf.train.adam(0.001, opt.beta1, opt.beta2, opt.epsilon);
  }

  /** The learning-rate schedule (created on the first fit when a factory was given). */
  get schedule(): LrSchedule | undefined {
    return this.scheduleInstance;
  }

  /**
   * Free the optimiser's state. tfjs 4.22's momentum optimiser does not free the
   * learning-rate scalar it caches, so this does (the model is the caller's to dispose).
   */
  dispose(): void {
    const cached = (this.optimizer as unknown as { c?: tf.Tensor }).c;
    this.optimizer.dispose();
    if (cached && !cached.isDisposed) cached.dispose();
  }

  /** Batches and updates taken so far, across fits. */
  get progress(): { steps: number; updates: number } {
    return { steps: this.stepCount, updates: this.updateCount };
  }

  /**
   * The position to checkpoint: steps, updates and the schedule's state. Save it with the
   * model and `trainer.optimizer` (saveCheckpoint's `optimizer`) at an update boundary
   * (between fits, or with `nominalBatch` unset), and {@link load} it into a trainer over
   * the loaded model to continue the same run.
   */
  state(): TrainerState {
    return {
      steps: this.stepCount,
      updates: this.updateCount,
      ...(this.scheduleInstance ? { schedule: this.scheduleInstance.state() } : {}),
      ...(this.sat || this.adversarialTrained > 0
        ? { sat: { made: this.sat?.totals.made ?? 0, trained: this.adversarialTrained, attacks: this.sat?.totals.attacks ?? 0 } }
        : {}),
    };
  }

  /**
   * Restore a {@link state}, and the optimizer's slots (momenta, iteration count) from
   * `optimizer` — e.g. `loadCheckpoint(dir).optimizer` — when given. The schedule: a
   * schedule instance given to the constructor is moved to the saved position (it must
   * have the saved options); otherwise the saved one is rebuilt with `scheduleFromState`.
   * Call it before the next fit.
   */
  async load(state: TrainerState, optimizer?: tf.Optimizer): Promise<void> {
    const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    if (!state || !ok(state.steps) || !ok(state.updates)) {
      throw new ConfigError(`Trainer.load: pass { steps, updates, schedule? } as Trainer.state() returned it, got ${JSON.stringify(state)}`);
    }
    if (state.schedule) {
      if (this.scheduleOption && typeof this.scheduleOption !== 'function') {
        this.scheduleOption.load(state.schedule);
        this.scheduleInstance = this.scheduleOption;
      } else this.scheduleInstance = scheduleFromState(state.schedule);
    }
    if (optimizer) await this.optimizer.setWeights(await optimizer.getWeights());
    this.stepCount = state.steps;
    this.updateCount = state.updates;
    if (state.sat) {
      this.adversarialTrained = state.sat.trained;
      if (this.sat) Object.assign(this.sat.totals, { made: state.sat.made, attacks: state.sat.attacks });
    }
  }

  /**
   * Train on `batches` until they end or `steps` batches were taken. Each batch is disposed
   * after its step; stopping early returns the iterator, so a pipeline shuts down.
   */
  async fit(batches: AsyncIterable<Batch>, options: FitOptions = {}): Promise<FitResult> {
    if (options.steps !== undefined && !(Number.isInteger(options.steps) && options.steps >= 1)) {
      throw new ConfigError(`Trainer.fit: steps must be a whole number ≥ 1, got ${options.steps}`);
    }
    this.scheduleInstance ??=
      typeof this.scheduleOption === 'function'
        ? this.scheduleOption(this.plannedTotal ?? this.plannedUpdates(options.steps))
        : (this.scheduleOption ?? defaultSchedule(this.plannedTotal ?? this.plannedUpdates(options.steps)));
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const decays = new Set(this.model.trainableWeights.filter((w) => /kernel/i.test(w.name)).map((w) => w.read().id));
    const logFile = typeof this.log === 'string' ? this.log : undefined;
    const started = performance.now();
    let waited = 0;
    let images = 0;
    let steps = 0;
    let firstLoss = NaN;
    let lastLoss = NaN;
    let accumulated: tf.NamedTensorMap | undefined;
    let accumulatedImages = 0;
    let lr = this.scheduleInstance.lr;
    const iterator = batches[Symbol.asyncIterator]();
    try {
      while (options.steps === undefined || steps < options.steps) {
        const t0 = performance.now();
        const next = await iterator.next();
        const dataWaitMs = performance.now() - t0;
        if (next.done) break;
        waited += dataWaitMs;
        const batch = next.value;
        const t1 = performance.now();
        if (accumulatedImages === 0) this.beforeUpdate();
        let parts: Record<string, number>;
        let loss: number;
        let sat: SatStepResult | undefined;
        let satRecord: SatRecord | undefined;
        try {
          const planned = this.plannedTotal ?? this.plannedUpdates(options.steps);
          sat = await this.sat?.run(this.model, batch, { step: this.stepCount, updates: this.updateCount, progress: planned ? this.updateCount / planned : undefined });
          const trained = sat?.batch ?? batch;
          const advRows = sat?.adversarialRows ?? adversarialRows(batch);
          // YOLOv5's convention: the loss of a batch is its mean × its size, so an update's
          // gradient is the sum over the (nominal) batch's images, whatever their split.
          const { value, grads, logged, byKind } = this.passes(trained, variables, advRows);
          loss = value;
          parts = logged;
          if (this.sat || advRows.length > 0) {
            this.adversarialTrained += advRows.length;
            const sink = this.sat?.sink;
            sink?.endStep(sat?.made ?? []);
            const stats = sink?.stats;
            satRecord = {
              made: this.sat?.totals.made ?? 0,
              trained: this.adversarialTrained,
              ...(stats ? { reinjected: stats.reinjected, dropped: stats.dropped, waiting: stats.waiting } : {}),
              batchAdversarial: advRows.length,
              ...(advRows.length === batch.size ? { lossAdversarial: loss } : byKind ?? {}),
            };
          }
          if (accumulated) {
            const sum = accumulated;
            accumulated = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.add(sum[k]!, g)])));
            tf.dispose([...Object.values(sum), ...Object.values(grads)]);
          } else accumulated = grads;
          accumulatedImages += batch.size;
        } finally {
          sat?.release();
          batch.dispose();
        }
        if (!this.nominalBatch || accumulatedImages >= this.nominalBatch) {
          lr = this.scheduleInstance.lr;
          this.apply(accumulated!, variables, decays, lr);
          accumulated = undefined;
          accumulatedImages = 0;
          this.scheduleInstance.step();
          this.updateCount++;
        }
        steps++;
        this.stepCount++;
        images += batch.size;
        if (steps === 1) firstLoss = loss;
        lastLoss = loss;
        const stepMs = performance.now() - t1;
        const record: StepRecord = {
          step: this.stepCount,
          updates: this.updateCount,
          images: batch.size,
          lr,
          loss,
          parts,
          dataWaitMs,
          stepMs,
          imagesPerSecond: batch.size / ((dataWaitMs + stepMs) / 1000),
          ...(satRecord ? { sat: satRecord } : {}),
        };
        if (logFile) fs.appendFileSync(logFile, JSON.stringify(record) + '\n');
        else if (typeof this.log === 'function') this.log(record);
        options.onStep?.(record);
      }
    } finally {
      if (accumulated) tf.dispose(Object.values(accumulated));
      await iterator.return?.();
    }
    const wallMs = performance.now() - started;
    return { steps, updates: this.updateCount, images, firstLoss, lastLoss, dataWaitShare: wallMs > 0 ? waited / wallMs : 0, wallMs };
  }

  /** The model's hooks before the first mini-batch of an update: CmBN's new window, DropBlock's ramp. */
  private beforeUpdate(): void {
    if (this.hooks.cmbn) startCmbnStep(this.model);
    if (this.hooks.dropBlock && this.plannedTotal) setDropBlockProgress(this.model, Math.min(1, this.updateCount / this.plannedTotal));
  }

  /** Updates a run of `steps` batches will make, when it can be known (one per batch without accumulation). */
  private plannedUpdates(steps: number | undefined): number | undefined {
    if (steps === undefined) return undefined;
    return this.nominalBatch ? undefined : steps;
  }

  /**
   * {@link gradients} over the whole batch, or — with `microBatch` — over consecutive passes
   * of at most that many images, their gradients summed and their figures averaged by size.
   */
  private passes(batch: Batch, variables: tf.Variable[], adversarial: readonly number[]) {
    const m = this.microBatch;
    if (!m || batch.size <= m) return this.gradients(batch, variables, batch.size, adversarial);
    let grads: tf.NamedTensorMap | undefined;
    let value = 0;
    const logged: Record<string, number> = {};
    const kind = { adversarial: 0, clean: 0, nAdversarial: 0, nClean: 0 };
    for (const rows of rowChunks(batch.size, m)) {
      const part = selectBatchRows(batch, rows);
      try {
        const adv = rows.map((r, i) => (adversarial.includes(r) ? i : -1)).filter((i) => i >= 0);
        const r = this.gradients(part, variables, part.size, adv);
        const share = part.size / batch.size;
        value += r.value * share;
        for (const [k, v] of Object.entries(r.logged)) logged[k] = (logged[k] ?? 0) + (k === 'positives' ? v : v * share);
        const nAdv = adv.length;
        const nClean = part.size - nAdv;
        if (r.byKind) {
          kind.adversarial += r.byKind.lossAdversarial * nAdv;
          kind.clean += r.byKind.lossClean * nClean;
        } else if (nAdv === part.size && nAdv > 0) kind.adversarial += r.value * nAdv;
        else if (nAdv === 0 && adversarial.length > 0) kind.clean += r.value * nClean;
        kind.nAdversarial += nAdv;
        kind.nClean += nClean;
        if (grads) {
          const sum = grads;
          grads = tf.tidy(() => Object.fromEntries(Object.entries(r.grads).map(([k, g]) => [k, tf.add(sum[k]!, g)])));
          tf.dispose([...Object.values(sum), ...Object.values(r.grads)]);
        } else grads = r.grads;
      } finally {
        part.dispose();
      }
    }
    const byKind =
      kind.nAdversarial > 0 && kind.nClean > 0 ? { lossAdversarial: kind.adversarial / kind.nAdversarial, lossClean: kind.clean / kind.nClean } : undefined;
    return { value, grads: grads!, logged, byKind };
  }

  /**
   * Forward and backward on one batch: the mean loss, its logged parts, the gradients of
   * mean × `share`, and — when `adversarial` names some but not all rows and the loss is
   * the default one — the loss of the adversarial and of the clean rows, each alone.
   */
  private gradients(batch: Batch, variables: tf.Variable[], share: number, adversarial: readonly number[] = []) {
    let logged: Record<string, number> = {};
    let byKind: { lossAdversarial: number; lossClean: number } | undefined;
    const split = adversarial.length > 0 && adversarial.length < batch.size && this.lossOptions !== undefined && batch.targets !== undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = this.model.apply(batch.images, { training: true }) as tf.Tensor | tf.Tensor[];
      const outputs = Array.isArray(out) ? out : [out];
      const r = this.lossFn(outputs, batch);
      logged = Object.fromEntries(
        Object.entries(r)
          .filter(([k]) => k !== 'total')
          .map(([k, v]) => [k, typeof v === 'number' ? v : v.dataSync()[0]!]),
      );
      if (split) {
        const clean = Array.from({ length: batch.size }, (_, i) => i).filter((i) => !adversarial.includes(i));
        byKind = { lossAdversarial: this.rowsLoss(outputs, batch, adversarial), lossClean: this.rowsLoss(outputs, batch, clean) };
      }
      return tf.mul(r.total, share) as tf.Scalar;
    }, variables);
    const loss = value.dataSync()[0]! / share;
    value.dispose();
    return { value: loss, grads, logged, byKind };
  }

  /** The default loss of rows `rows` of a batch alone (a logged figure: no gradient flows from it). */
  private rowsLoss(outputs: tf.Tensor[], batch: Batch, rows: readonly number[]): number {
    return tf.tidy(() => {
      const idx = tf.tensor1d(Array.from(rows), 'int32');
      const targets = batch.targets!.map((t) => ({ ...t, tensor: tf.gather(t.tensor, idx) as tf.Tensor5D }));
      return yoloLoss(outputs.map((o) => tf.gather(o, idx)), targets, this.lossOptions!).total.dataSync()[0]!;
    });
  }

  /** One optimiser update with `grads`, weight decay on kernels, at learning rate `lr`; disposes `grads`. */
  private apply(grads: tf.NamedTensorMap, variables: tf.Variable[], decays: Set<number>, lr: number): void {
    // The schedule owns the learning rate: SGD/momentum cache it as a scalar (setLearningRate
    // replaces it), Adam reads its field on every update.
    const opt = this.optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
    if (opt.setLearningRate) opt.setLearningRate(lr);
    else opt.learningRate = lr;
    const named = tf.tidy(() => {
      const out: tf.NamedTensorMap = {};
      for (const v of variables) {
        const g = grads[v.name];
        if (!g) continue;
        out[v.name] = this.weightDecay > 0 && decays.has(v.id) ? tf.add(g, tf.mul(v, this.weightDecay)) : tf.clone(g);
      }
      return out;
    });
    tf.dispose(Object.values(grads));
    this.optimizer.applyGradients(named);
    tf.dispose(Object.values(named));
  }
}
