/**
 * `freebies evolve`: a genetic search of training hyperparameters (SPEC §12). Each
 * candidate is a short `freebies train` run scored by mAP on a validation set (fitness
 * 0.1·mAP@.5 + 0.9·mAP@.5:.95), evaluated in a child process of its own (as many at once
 * as there are cores) or, with `--queue`, by `freebies worker`s on other machines.
 *
 * Decisions:
 * - Budget: 100 steps (batches) per candidate unless `--steps` or `--epochs` says
 *   otherwise. A step budget bounds a candidate's time whatever the dataset's size, but
 *   with a `batch` gene it lets larger batches see more images; `--epochs` compares
 *   candidates on the same images (and costs a pass over the data per epoch).
 * - Search: elitism 2 (1 when the population is 2), tournaments of 3, single-point
 *   crossover, mutation annealed (src/evolve/operators.ts); the training seed is the
 *   search's seed for every candidate, so fitness differences come from the genes.
 * - OUT: `evolve.jsonl` (one line per evaluation, as it finishes), `options.json` (what
 *   the search was started with), `best.json`, `fitness.html`/`.png` (redrawn after
 *   every generation) and `candidates/g<G>-i<I>/` (each candidate's training log; its
 *   checkpoint is deleted once scored unless `keep`). An OUT that holds a search resumes
 *   it: the options must be those it was started with (those left out are taken from
 *   `options.json`), `--patience`, `--concurrency`, `--queue`, `--workers` and `--keep`
 *   may change.
 * - Stopping (the signal, Ctrl-C): no new candidate starts, the running ones are killed
 *   and not logged (a resumed search redoes them), the best and the plot are written.
 *   (With an `evaluator` of the caller's, the running ones are awaited instead.)
 * - `--generations` is part of the search, not only a stopping rule (mutation anneals over
 *   it), so a resumed search keeps it; `--patience` may change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../core/errors.ts';
import { clipValues, DEFAULT_SEARCH_SPACE, parseSearchSpace, toRecord, type Gene, type SearchSpace } from '../evolve/genes.ts';
import { freshOut, TRAIN_DEFAULTS } from './train.ts';
import { importModule } from './pipeline-file.ts';
import { evolve, readLog, type EvaluationRecord, type EvolveResult } from '../evolve/log.ts';
import { yoloFitness, type Individual } from '../evolve/operators.ts';
import { fitnessPoints, plotFitness, type FitnessPlotResult } from '../evolve/plot.ts';
import type { CandidateTask, Evaluator } from '../evolve/task.ts';
import { MODEL_PRESETS, type ModelName } from '../train/models/index.ts';
import { ProgressBar } from './progress.ts';

/** Options of {@link evolveCommand} (the flags of `freebies evolve`). */
export interface EvolveCommandOptions {
  /** The training pipeline file (on resume: default the saved one). */
  pipeline?: string;
  /** Training dataset (on resume: default the saved one). */
  data?: string;
  /** Validation dataset that scores the candidates. Default `data`. */
  valData?: string;
  /** Generations. Default 10. */
  generations?: number;
  /** Candidates per generation. Default 16. */
  population?: number;
  /** Stop when the best fitness has not improved for this many generations. Default: never (run all). */
  patience?: number;
  /**
   * The search space: a JSON file (an array of `{ name, kind: 'float'|'log'|'int', min, max }`)
   * or the genes themselves. Default: the pipeline file's exported `searchSpace`, else
   * {@link DEFAULT_SEARCH_SPACE} (lr, batch, weightDecay, iouThreshold).
   */
  space?: string | SearchSpace;
  /** Seed of the search and of every candidate's training. Default 0. */
  seed?: number;
  /** Default `yolov4-tiny-nano`. */
  model?: ModelName;
  /** Network input size. Default 320. */
  size?: number;
  /**
   * Most images per training pass of a candidate (Trainer `microBatch`, Darknet's
   * subdivisions), so a large `batch` gene does not exhaust memory (the wasm backend's 4 GB
   * end near 40 images of yolov4-tiny-nano at 320 px). Default 16; 0 trains whole batches.
   */
  microBatch?: number;
  /** Training budget per candidate in batches (default 100 when `epochs` is not given). */
  steps?: number;
  /** Training budget per candidate in epochs. */
  epochs?: number;
  /**
   * Worker threads of each candidate's pipeline. Default with child processes:
   * ⌊cores / concurrency⌋ − 1 (0: inline, when every core runs a candidate); with a queue,
   * the pipeline's default on the worker.
   */
  workers?: number;
  /** Output folder. Default `runs/evolve` (or `runs/evolve-2`, … when taken); an OUT holding a search resumes it. */
  out?: string;
  /** Candidates evaluated at once. Default: cores (child processes), or the queue evaluator's own. */
  concurrency?: number;
  /** A Redis URL (`redis://HOST:PORT`): evaluate on `freebies worker`s through this queue. */
  queue?: string;
  /** The queue's name. Default the queue module's (freebies-evolve). */
  name?: string;
  /** A module (path) whose exported `runCandidate(task)` evaluates candidates instead of training (tests). */
  runner?: string;
  /** Keep every candidate's checkpoint. Default false (deleted once the candidate is scored). */
  keep?: boolean;
  /**
   * Make the first candidate of generation 0 the defaults (train's, and the pipeline file's
   * exported `HYPERPARAMETERS`), clipped to the space, so the search is measured against
   * them. Default true; skipped when a gene has no default.
   */
  baseline?: boolean;
  /** A live status line on stderr. Default true. */
  progress?: boolean;
  /** Print a line per candidate and a summary to stdout. Default true. */
  print?: boolean;
  /** Stops the search (see the module comment). */
  signal?: AbortSignal;
  /** Evaluate with this instead of child processes or a queue (from code); not closed here. */
  evaluator?: Evaluator;
}

/** The best candidate, as written to OUT/best.json. */
export interface BestCandidate {
  fitness: number;
  map50?: number;
  map?: number;
  generation: number;
  index: number;
  hyperparameters: Record<string, number>;
  /** The defaults' own fitness (generation 0, candidate 0), when the search started from them. */
  baseline?: { fitness: number; hyperparameters: Record<string, number> };
}

/** What {@link evolveCommand} returns. */
export interface EvolveCommandResult {
  out: string;
  /** OUT/evolve.jsonl. */
  log: string;
  /** OUT/best.json, when a candidate succeeded. */
  bestFile?: string;
  best: BestCandidate | null;
  plot: FitnessPlotResult;
  result: EvolveResult;
  /** Whether OUT held a search that this call continued. */
  resumed: boolean;
}

/** What OUT/options.json holds: everything that decides the candidates and their fitness. */
export interface SavedEvolveOptions {
  kind: 'freebies-evolve';
  pipeline: string;
  data: string;
  valData: string;
  space: Gene[];
  seed: number;
  population: number;
  generations: number;
  patience: number | null;
  model: ModelName;
  size: number;
  steps: number | null;
  epochs: number | null;
  runner: string | null;
  /** Most images per training pass (null: whole batches). Absent in searches saved before it existed (whole batches). */
  microBatch?: number | null;
  /** Generation 0's first candidate: the defaults (see `baseline`), or null. */
  baseline?: Record<string, number> | null;
}

/** Most images per training pass of a candidate unless `microBatch` says otherwise. */
export const DEFAULT_MICRO_BATCH = 16;

/** The per-candidate budget when neither `steps` nor `epochs` is given. */
export const DEFAULT_CANDIDATE_STEPS = 100;

const MODELS = Object.keys(MODEL_PRESETS);

const whole = (v: number | undefined, flag: string, min: number, what = '') => {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new ConfigError(`--${flag} must be a whole number ≥ ${min}${what}, got ${v}`);
};

/** The folders a run writes. */
const files = (out: string) => ({
  options: path.join(out, 'options.json'),
  log: path.join(out, 'evolve.jsonl'),
  best: path.join(out, 'best.json'),
  plot: path.join(out, 'fitness.html'),
  candidate: (g: number, i: number) => path.join(out, 'candidates', `g${g}-i${i}`),
});

/**
 * Check the flags' values before anything heavy loads: ranges, the model's name, that the
 * files exist, that a `--space` file is a valid search space. Throws a ConfigError that
 * says what to pass.
 */
export function checkEvolveOptions(o: EvolveCommandOptions): void {
  whole(o.generations, 'generations', 1);
  whole(o.population, 'population', 2, ' (a search needs at least 2 candidates per generation)');
  whole(o.patience, 'patience', 1, ' (leave it out to run every generation)');
  whole(o.steps, 'steps', 1);
  whole(o.epochs, 'epochs', 1);
  whole(o.workers, 'workers', 0);
  whole(o.concurrency, 'concurrency', 1);
  whole(o.microBatch, 'micro-batch', 0, ' (0 trains whole batches)');
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new ConfigError(`--seed must be a whole number, got ${o.seed}`);
  if (o.model !== undefined && !MODELS.includes(o.model)) throw new ConfigError(`--model must be one of ${MODELS.join(', ')}, got "${o.model}"`);
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= 32 && o.size % 32 === 0)) {
    throw new ConfigError(`--size must be a multiple of 32 (the largest stride), ≥ 32, got ${o.size}`);
  }
  if (o.queue !== undefined && !/^rediss?:\/\/./.test(o.queue)) throw new ConfigError(`--queue takes a Redis URL such as redis://localhost:6379, got "${o.queue}"`);
  if (o.name !== undefined && o.queue === undefined) throw new ConfigError('--name names a job queue: it needs --queue redis://HOST:PORT');
  if (o.queue !== undefined && o.evaluator !== undefined) throw new ConfigError('evolve: pass queue or evaluator, not both');
  const resuming = o.out !== undefined && fs.existsSync(files(path.resolve(o.out)).options);
  if (!resuming) {
    if (!o.pipeline) throw new ConfigError('evolve needs a pipeline file: freebies evolve pipelines/yolov4.ts --data DIR (or --out OUT of a search to resume)');
    if (!o.data) throw new ConfigError('evolve needs --data DIR (a YOLO, COCO or VOC dataset), or --out OUT of a search to resume');
  }
  for (const [flag, p] of [['pipeline file', o.pipeline], ['--data', o.data], ['--val-data', o.valData], ['--runner', o.runner]] as const) {
    if (p !== undefined && !fs.existsSync(p)) throw new ConfigError(`${flag} ${p}: no such file or folder`);
  }
  if (o.space !== undefined) checkTrainingGenes(spaceFrom(o.space), typeof o.space === 'string' ? `--space ${o.space}` : 'space');
}

/** A search space from a JSON file or given genes; ConfigErrors name the file. */
function spaceFrom(space: string | SearchSpace): Gene[] {
  if (typeof space !== 'string') return parseSearchSpace(space);
  let text: string;
  try {
    text = fs.readFileSync(space, 'utf8');
  } catch {
    throw new ConfigError(`--space ${space}: no such file; pass a JSON file holding an array of { "name", "kind": "float" | "log" | "int", "min", "max" }`);
  }
  try {
    return parseSearchSpace(text);
  } catch (e) {
    throw new ConfigError(`--space ${space}: ${(e as Error).message}`);
  }
}

/**
 * Genes that set the training run must stay within what `freebies train` accepts, or
 * every candidate would fail the same way.
 */
function checkTrainingGenes(space: SearchSpace, where: string): void {
  const gene = (name: string) => space.find((g) => g.name === name);
  const fail = (g: Gene, what: string) => {
    throw new ConfigError(`${where}: gene "${g.name}" ${what} (got ${g.kind} [${g.min}, ${g.max}])`);
  };
  const lr = gene('lr');
  if (lr && !(lr.min > 0)) fail(lr, "needs min > 0 (a learning rate; kind 'log' suits it)");
  const batch = gene('batch');
  if (batch && !(batch.kind === 'int' && batch.min >= 1)) fail(batch, "is a batch size: kind 'int' with min ≥ 1");
  const wd = gene('weightDecay');
  if (wd && !(wd.min >= 0)) fail(wd, 'needs min ≥ 0');
  const m = gene('momentum');
  if (m && !(m.min >= 0 && m.max < 1)) fail(m, 'must lie in [0, 1)');
  const iou = gene('iouThreshold');
  if (iou && !(iou.min > 0 && iou.max <= 1)) fail(iou, 'must lie in (0, 1]');
}

/** The pipeline file's exported `searchSpace` and `HYPERPARAMETERS` (its defaults by name), if it has them. */
async function pipelineExports(pipeline: string): Promise<{ space?: Gene[]; defaults?: Record<string, number> }> {
  const mod = await importModule(pipeline);
  const h = mod.HYPERPARAMETERS;
  const defaults =
    h && typeof h === 'object' && Object.values(h).every((v) => typeof v === 'number' && Number.isFinite(v)) ? (h as Record<string, number>) : undefined;
  if (mod.searchSpace === undefined) return { ...(defaults ? { defaults } : {}) };
  try {
    return { space: parseSearchSpace(mod.searchSpace), ...(defaults ? { defaults } : {}) };
  } catch (e) {
    throw new ConfigError(`${pipeline}: its exported ${(e as Error).message}`);
  }
}

/** Every gene's default, clipped to its range, or null when one has none. */
function baselineOf(space: SearchSpace, defaults: Readonly<Record<string, number>>): Record<string, number> | null {
  if (!space.every((g) => typeof defaults[g.name] === 'number')) return null;
  return toRecord(space, clipValues(space, space.map((g) => defaults[g.name]!)));
}

const FLAGS: Record<keyof Omit<SavedEvolveOptions, 'kind' | 'patience' | 'baseline'>, string> = {
  pipeline: 'the pipeline file',
  data: '--data',
  valData: '--val-data',
  space: '--space (the search space)',
  seed: '--seed',
  population: '--population',
  generations: '--generations',
  model: '--model',
  size: '--size',
  steps: '--steps',
  epochs: '--epochs',
  runner: '--runner',
  microBatch: '--micro-batch',
};

/** Resolve the options (with the saved ones when resuming); refuse a mismatch. */
async function resolveOptions(o: EvolveCommandOptions, out: string): Promise<{ saved: SavedEvolveOptions; resumed: boolean }> {
  const f = files(out);
  let prev: SavedEvolveOptions | undefined;
  if (fs.existsSync(f.options)) {
    try {
      prev = JSON.parse(fs.readFileSync(f.options, 'utf8')) as SavedEvolveOptions;
    } catch (e) {
      throw new ConfigError(`${f.options}: not JSON (${(e as Error).message}); the search's options file is damaged: restore it or pass another --out`);
    }
    if (prev?.kind !== 'freebies-evolve') throw new ConfigError(`${f.options} was not written by freebies evolve; pass another --out`);
  } else if (fs.existsSync(f.log)) {
    throw new ConfigError(`${out} holds evolve.jsonl but no options.json, so the search cannot be resumed safely: restore options.json or pass another --out`);
  } else if (fs.existsSync(out) && fs.readdirSync(out).length > 0) {
    throw new ConfigError(`--out ${out} holds other files: pass a new or empty folder (a folder holding a search resumes it)`);
  }
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(p));
  const steps = o.steps ?? (o.epochs === undefined ? undefined : null);
  const given: Partial<SavedEvolveOptions> = {
    pipeline: abs(o.pipeline),
    data: abs(o.data),
    valData: abs(o.valData) ?? (prev ? undefined : abs(o.data)),
    space: o.space === undefined ? undefined : spaceFrom(o.space),
    seed: o.seed,
    population: o.population,
    generations: o.generations,
    model: o.model,
    size: o.size,
    steps,
    epochs: o.epochs ?? (o.steps === undefined ? undefined : null),
    runner: abs(o.runner),
    microBatch: o.microBatch === undefined ? undefined : o.microBatch === 0 ? null : o.microBatch,
  };
  if (prev) {
    for (const k of Object.keys(FLAGS) as (keyof typeof FLAGS)[]) {
      const g = given[k];
      if (g === undefined || isDeepStrictEqual(g, prev[k] ?? (k === 'microBatch' ? null : prev[k]))) continue;
      const show = (v: unknown) => (v === null ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v));
      throw new ConfigError(
        `${out} holds a search started with ${FLAGS[k]} ${show(prev[k])}, but this run asks for ${show(g)}: ` +
          'resume with the options it was started with (leave them out to take the saved ones), or pass another --out',
      );
    }
    if (given.space) checkTrainingGenes(given.space, '--space');
    return { saved: { ...prev, patience: o.patience ?? prev.patience ?? null, baseline: prev.baseline ?? null }, resumed: true };
  }
  const pipeline = given.pipeline!;
  const exported = await pipelineExports(pipeline);
  const space = given.space ?? exported.space ?? DEFAULT_SEARCH_SPACE.map((g) => ({ ...g }));
  checkTrainingGenes(space, o.space !== undefined ? '--space' : given.space ? 'space' : `${pipeline} searchSpace`);
  const saved: SavedEvolveOptions = {
    kind: 'freebies-evolve',
    pipeline,
    data: given.data!,
    valData: given.valData ?? given.data!,
    space,
    seed: o.seed ?? 0,
    population: o.population ?? 16,
    generations: o.generations ?? 10,
    patience: o.patience ?? null,
    model: o.model ?? 'yolov4-tiny-nano',
    size: o.size ?? 320,
    steps: o.steps ?? (o.epochs === undefined ? DEFAULT_CANDIDATE_STEPS : null),
    epochs: o.epochs ?? null,
    runner: given.runner ?? null,
    microBatch: given.microBatch === undefined ? DEFAULT_MICRO_BATCH : given.microBatch,
    baseline: o.baseline === false ? null : baselineOf(space, { ...TRAIN_DEFAULTS, ...exported.defaults }),
  };
  return { saved, resumed: false };
}

const fmt = (v: number) => String(Number(v.toPrecision(4)));
/** A score: 4 decimals, or 3 significant digits when that would print 0.0000 (a barely trained candidate). */
const score = (v: number) => (v === 0 || Math.abs(v) >= 1e-3 ? v.toFixed(4) : v.toExponential(2));
const hyper = (h: Record<string, number>) =>
  Object.entries(h)
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');

/** The first fittest of the populations (in generation, index order), with its metrics from the log. */
function bestOf(
  space: SearchSpace,
  pops: readonly (readonly Individual[])[],
  records: readonly EvaluationRecord[],
  baseline: Record<string, number> | null | undefined,
): BestCandidate | null {
  let best: { g: number; i: number; ind: Individual } | undefined;
  pops.forEach((pop, g) =>
    pop.forEach((ind, i) => {
      if (Number.isFinite(ind.fitness) && (!best || ind.fitness > best.ind.fitness)) best = { g, i, ind };
    }),
  );
  if (!best) return null;
  const { g, i, ind } = best;
  const r = records.find((x) => x.generation === g && x.index === i && x.status === 'ok');
  const hyperparameters: Record<string, number> = {};
  space.forEach((gene, k) => (hyperparameters[gene.name] = ind.genes[k]!));
  const base = baseline ? pops[0]?.[0] : undefined;
  return {
    fitness: ind.fitness,
    ...(r?.map50 !== undefined ? { map50: r.map50 } : {}),
    ...(r?.map !== undefined ? { map: r.map } : {}),
    generation: g,
    index: i,
    hyperparameters,
    ...(base && Number.isFinite(base.fitness) ? { baseline: { fitness: base.fitness, hyperparameters: baseline! } } : {}),
  };
}

/** Run (or resume) `freebies evolve`. */
export async function evolveCommand(o: EvolveCommandOptions): Promise<EvolveCommandResult> {
  checkEvolveOptions(o);
  const out = path.resolve(o.out ?? freshOut('runs/evolve'));
  const { saved, resumed } = await resolveOptions(o, out);
  const bar = o.progress === false ? undefined : new ProgressBar('evolve', saved.generations * saved.population);
  const say = (line: string) => {
    if (o.print === false) return;
    // The status line lives on stderr: clear it so the printed line does not run into it.
    if (bar && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    process.stdout.write(line + '\n');
  };
  const f = files(out);
  fs.mkdirSync(path.join(out, 'candidates'), { recursive: true });
  fs.writeFileSync(f.options, JSON.stringify(saved, null, 2) + '\n');
  const space = saved.space;
  const logged = readLog(f.log).length;
  if (resumed) say(`resuming ${out}: ${logged} evaluation${logged === 1 ? '' : 's'} in the log`);

  // The evaluator: the caller's, a queue, or child processes on this machine.
  let evaluator: Evaluator;
  let own = true;
  if (o.evaluator) {
    evaluator = o.evaluator;
    own = false;
  } else if (o.queue) {
    const { createQueueEvaluator } = await import('../evolve/queue.ts');
    evaluator = await createQueueEvaluator(o.queue, { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}) });
  } else {
    const { ChildProcessEvaluator } = await import('../evolve/child-pool.ts');
    evaluator = new ChildProcessEvaluator({ concurrency: o.concurrency ?? os.availableParallelism() });
  }
  const concurrency = o.concurrency ?? evaluator.concurrency;
  const workers = o.workers ?? (o.queue || o.evaluator ? undefined : Math.max(0, Math.floor(os.availableParallelism() / concurrency) - 1));

  // Stopping: no new candidate, and the running ones are killed (they are not logged).
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort();
    if (own) void evaluator.close();
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  // Candidates decided: whole generations (replayed, reused and trained) plus this generation's evaluations.
  let finished = 0;
  let bestSoFar = -Infinity;
  const status = () => `best fitness ${Number.isFinite(bestSoFar) ? score(bestSoFar) : '–'}`;
  const pops: Individual[][] = [];
  const redraw = async (generations: readonly (readonly Individual[])[]) => {
    const records = readLog(f.log);
    const best = bestOf(space, generations, records, saved.baseline);
    if (best) fs.writeFileSync(f.best, JSON.stringify(best, null, 2) + '\n');
    const notes = best ? [`best: fitness ${fmt(best.fitness)} (generation ${best.generation}, candidate ${best.index}): ${hyper(best.hyperparameters)}`] : [];
    const plot = await plotFitness(fitnessPoints(generations, records), f.plot, { generations: saved.generations, title: `Fitness per generation: ${path.basename(out)}`, notes });
    return { best, plot };
  };

  let result: EvolveResult;
  try {
    result = await evolve({
      space,
      seed: saved.seed,
      options: { populationSize: saved.population, generations: saved.generations, elitism: Math.min(2, saved.population - 1), ...(saved.patience !== null ? { patience: saved.patience } : {}) },
      logPath: f.log,
      seeds: saved.baseline ? [saved.baseline] : [],
      concurrency,
      signal: stop.signal,
      onGeneration: async (g, pop) => {
        pops[g] = pop.slice();
        finished = (g + 1) * saved.population;
        for (const ind of pop) if (ind.fitness > bestSoFar) bestSoFar = ind.fitness;
        bar?.update(finished, status());
        await redraw(pops);
      },
      evaluate: async (hyperparameters, at) => {
        const task: CandidateTask = {
          generation: at.generation,
          index: at.index,
          hyperparameters,
          pipeline: saved.pipeline,
          data: saved.data,
          valData: saved.valData,
          model: saved.model,
          size: saved.size,
          ...(saved.steps !== null ? { steps: saved.steps } : {}),
          ...(saved.epochs !== null ? { epochs: saved.epochs } : {}),
          seed: saved.seed,
          ...(workers !== undefined ? { workers } : {}),
          ...(saved.microBatch ? { microBatch: saved.microBatch } : {}),
          out: f.candidate(at.generation, at.index),
          ...(saved.runner !== null ? { runner: saved.runner } : {}),
        };
        const started = performance.now();
        const secs = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
        const tag = `g${at.generation} i${at.index}`;
        try {
          const r = await evaluator.evaluate(task);
          const fitness = yoloFitness(r);
          if (fitness > bestSoFar) bestSoFar = fitness;
          say(`${tag}  fitness ${score(fitness)}  mAP@.5 ${score(r.map50)}  mAP@.5:.95 ${score(r.map)}  ${secs()}  ${hyper(hyperparameters)}`);
          return { map50: r.map50, map: r.map };
        } catch (e) {
          if (!stop.signal.aborted) say(`${tag}  failed (${secs()}): ${((e as Error)?.message ?? String(e)).split('\n')[0]}  ${hyper(hyperparameters)}`);
          throw e;
        } finally {
          if (!o.keep) removeCheckpoint(task.out);
          bar?.update(++finished, status());
        }
      },
    });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (own) await evaluator.close();
  }
  if (bar) bar.finish(finished, status());
  const { best, plot } = await redraw(result.populations);
  if (!best) fs.rmSync(f.best, { force: true });
  const candidates = result.populations.reduce((n, p) => n + p.length, 0);
  const failed = result.populations.reduce((n, p) => n + p.filter((x) => !Number.isFinite(x.fitness)).length, 0);
  const gens = result.populations.length;
  const how =
    result.stoppedBy === 'aborted'
      ? `stopped in generation ${gens - 1}; run the same command to resume`
      : `${gens} generation${gens === 1 ? '' : 's'}, ${result.stoppedBy === 'patience' ? `no improvement for ${saved.patience}` : 'all run'}`;
  say(`evolve: ${how}; ${candidates} candidates: ${result.evaluated} trained, ${result.replayed} from the log, ${result.reused} reused, ${failed} failed`);
  say(
    best
      ? `best: fitness ${score(best.fitness)} (generation ${best.generation}, candidate ${best.index}${best.map50 !== undefined ? `, mAP@.5 ${score(best.map50)}, mAP@.5:.95 ${score(best.map!)}` : ''}): ${hyper(best.hyperparameters)}`
      : candidates > 0
        ? 'no candidate succeeded: see the errors in the log'
        : 'no candidate finished',
  );
  if (best?.baseline) {
    const gain = best.baseline.fitness > 0 ? ` (${((best.fitness / best.baseline.fitness - 1) * 100).toFixed(1)}% over it)` : '';
    say(`baseline (the defaults, generation 0 candidate 0): fitness ${score(best.baseline.fitness)}${gain}`);
  }
  say([...(best ? [f.best] : []), ...(fs.existsSync(f.log) ? [f.log] : []), plot.html, ...(plot.png ? [plot.png] : [])].join(', '));
  return { out, log: f.log, ...(best ? { bestFile: f.best } : {}), best, plot, result, resumed };
}

/** A scored candidate's checkpoint (and what a crashed save left), not its log. */
function removeCheckpoint(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir)) if (e === 'last' || e.startsWith('last.')) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
}
