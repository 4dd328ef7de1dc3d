/**
 * The evaluation log and the search driver of hyperparameter evolution (SPEC §12).
 *
 * Every evaluation is appended to a JSONL file as it finishes, so a stopped run resumes
 * where it stopped: {@link evolve} recomputes each generation's candidates (the RNG of
 * generation g is keyed by `(seed, g)` alone, and the parents are the logged values and
 * fitnesses) and takes the result from the log wherever it holds one, evaluating only
 * the rest. Replaying the log and continuing therefore proposes exactly the candidates an
 * uninterrupted run would have, and a fixed seed repeats the whole search.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { Rng, RngDomain } from '../core/rng.ts';
import { clipValues, fromRecord, randomIndividual, toRecord, type SearchSpace } from './genes.ts';
import {
  evolveOptions,
  nextGeneration,
  stopReason,
  yoloFitness,
  type EvolveOptions,
  type EvolveOptionsInput,
  type Individual,
} from './operators.ts';

/**
 * First key word of the evolution RNG streams: its own {@link RngDomain}, so they never
 * collide with data-pipeline streams.
 */
export const EVOLVE_RNG_DOMAIN = RngDomain.Evolve;

/** The RNG of generation `generation` of the search seeded `seed`. */
export function generationRng(seed: number, generation: number): Rng {
  return new Rng(EVOLVE_RNG_DOMAIN, seed, generation);
}

/**
 * One line of the log. `genes` are values in search-space order; `fitness` is null when
 * `status` is 'failed' (JSON has no −Infinity; replay reads it back as −Infinity).
 */
export interface EvaluationRecord {
  generation: number;
  index: number;
  genes: number[];
  fitness: number | null;
  status: 'ok' | 'failed';
  error?: string;
  /** The detection metrics the fitness came from, when the evaluation returned them. */
  map50?: number;
  map?: number;
}

/** Append one record as a JSON line (synchronously, so it is on disk before the next step). */
export function appendEvaluation(logPath: string, record: EvaluationRecord): void {
  appendFileSync(logPath, JSON.stringify(record) + '\n');
}

/**
 * Read every record of a log; a missing file is an empty log. A torn last line (the run
 * was killed while writing it) is ignored: that evaluation is simply redone.
 */
export function readLog(logPath: string): EvaluationRecord[] {
  if (!existsSync(logPath)) return [];
  const lines = readFileSync(logPath, 'utf8').split('\n');
  const out: EvaluationRecord[] = [];
  lines.forEach((line, n) => {
    if (line.trim() === '') return;
    let r: EvaluationRecord;
    try {
      r = JSON.parse(line) as EvaluationRecord;
    } catch {
      if (n === lines.length - 1) return;
      throw new ConfigError(`${logPath}:${n + 1}: not a JSON line; the evolution log is damaged`);
    }
    if (
      !Number.isInteger(r.generation) ||
      !Number.isInteger(r.index) ||
      !Array.isArray(r.genes) ||
      (r.status !== 'ok' && r.status !== 'failed')
    ) {
      throw new ConfigError(`${logPath}:${n + 1}: not an evaluation record { generation, index, genes, fitness, status }`);
    }
    out.push(r);
  });
  return out;
}

/** The search state rebuilt from a log. */
export interface SearchState {
  /** `generations[g][i]`: the evaluated individual i of generation g, if logged. */
  generations: (Individual | undefined)[][];
  /** The records in file order. */
  records: EvaluationRecord[];
}

/**
 * Rebuild the search state from a log: each (generation, index) once (the first record
 * wins), failed evaluations with fitness −Infinity.
 */
export function replay(logPath: string): SearchState {
  const records = readLog(logPath);
  const generations: (Individual | undefined)[][] = [];
  for (const r of records) {
    const gen = (generations[r.generation] ??= []);
    if (gen[r.index] !== undefined) continue;
    gen[r.index] = { genes: r.genes.slice(), fitness: r.status === 'ok' && r.fitness !== null ? r.fitness : -Infinity };
  }
  return { generations, records };
}

/** What an evaluation returns: a fitness, or detection metrics turned into one by {@link yoloFitness}. */
export type EvaluationResult = number | { map50: number; map: number };

/** Arguments of {@link evolve}. */
export interface EvolveArgs {
  space: SearchSpace;
  options?: EvolveOptionsInput;
  /** The search's seed: the same seed, space and options repeat the search exactly. */
  seed: number;
  /** Individuals for the first slots of generation 0 (values or `{ name: value }`), clipped. */
  seeds?: (readonly number[] | Readonly<Record<string, number>>)[];
  /**
   * Train and validate one candidate (e.g. a short training, SPEC §12). A throw, a
   * rejection or a non-finite fitness is a failed evaluation: it is logged with its error
   * and the candidate keeps fitness −Infinity; the search goes on. A throw or rejection
   * that comes after `signal` aborted is not a verdict on the candidate (its evaluation
   * was interrupted): it is neither logged nor counted, and a resumed search redoes it.
   */
  evaluate: (
    hyperparameters: Record<string, number>,
    at: { generation: number; index: number; genes: number[] },
  ) => EvaluationResult | Promise<EvaluationResult>;
  /** The JSONL log; an existing one is replayed and continued. Without it nothing is saved. */
  logPath?: string;
  /**
   * Stops the search before the next evaluation (what is logged so far stays resumable);
   * evaluations already running are awaited, and logged when they succeed.
   */
  signal?: AbortSignal;
  /**
   * Evaluations run at once within a generation. Default 1 (one after another, in index
   * order). Candidates start in index order; each result is logged as it finishes, so the
   * file's order may differ from index order, which replay does not mind (it keys records
   * by (generation, index)): the populations, the best and a resumed search are the same
   * at any concurrency when `evaluate` is deterministic.
   */
  concurrency?: number;
  /** Called after each generation is complete (e.g. to redraw a plot); awaited. */
  onGeneration?: (generation: number, population: readonly Individual[]) => void | Promise<void>;
}

/** The outcome of {@link evolve}. */
export interface EvolveResult {
  /** The fittest individual seen (first found on ties), null if nothing succeeded. */
  best: { generation: number; index: number; genes: number[]; hyperparameters: Record<string, number>; fitness: number } | null;
  /** The best fitness of each finished generation. */
  bestPerGeneration: number[];
  /** Every generation reached (the last may be partial when aborted). */
  populations: Individual[][];
  stoppedBy: 'generations' | 'patience' | 'aborted';
  /** Evaluations run by this call, those taken from the log, and those reused (same genes). */
  evaluated: number;
  replayed: number;
  reused: number;
}

/** The candidates of generation g (values), given the evaluated generation g − 1. */
export function candidates(
  space: SearchSpace,
  options: EvolveOptions,
  seed: number,
  generation: number,
  previous: readonly Individual[] | undefined,
  seeds: readonly number[][] = [],
): number[][] {
  const rng = generationRng(seed, generation);
  if (generation === 0) {
    const out = seeds.slice(0, options.populationSize).map((s) => clipValues(space, s));
    while (out.length < options.populationSize) out.push(randomIndividual(space, rng));
    return out;
  }
  if (!previous) throw new RangeError(`generation ${generation} needs the evaluated generation ${generation - 1}`);
  return nextGeneration(previous, { ...options, space, generation }, rng);
}

/**
 * Run (or resume) a genetic search: generation 0 is `seeds` then random individuals,
 * each later one is bred by {@link nextGeneration}; evaluations start in index order, up
 * to `concurrency` at once, and each is appended to `logPath` as it finishes. Genes
 * already evaluated successfully in this search (elites, repeated children, twins within
 * a generation) are not trained again: the first fitness (in (generation, index) order)
 * is reused and nothing is logged (replay rebuilds the same reuse); a candidate whose
 * twin is still being evaluated waits for it. Failed ones are retried.
 * Stops after `generations` generations,
 * after `patience` generations without improvement, or when `signal` aborts.
 */
export async function evolve(args: EvolveArgs): Promise<EvolveResult> {
  const { space, seed, evaluate, logPath, signal } = args;
  const options = evolveOptions(args.options);
  const concurrency = args.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new ConfigError(`evolve(): concurrency must be a whole number ≥ 1 (evaluations at once), got ${concurrency}`);
  }
  const seeds = (args.seeds ?? []).map((s) => (Array.isArray(s) ? clipValues(space, s as number[]) : fromRecord(space, s as Record<string, number>)));
  const state: SearchState = logPath ? replay(logPath) : { generations: [], records: [] };
  if (logPath && existsSync(logPath)) {
    const text = readFileSync(logPath, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(logPath, '\n');
  }
  const populations: Individual[][] = [];
  const bestPerGeneration: number[] = [];
  let best: EvolveResult['best'] = null;
  let evaluated = 0;
  let replayed = 0;
  let reused = 0;
  // The first successful fitness of each genome, "first" in (generation, index) order
  // whatever order the evaluations finish in.
  const known = new Map<string, { fitness: number; at: number }>();
  const key = (genes: readonly number[]) => genes.join(',');
  const remember = (genes: readonly number[], fitness: number, at: number) => {
    if (!Number.isFinite(fitness)) return;
    const k = key(genes);
    const prev = known.get(k);
    if (!prev || prev.at > at) known.set(k, { fitness, at });
  };
  const result = (stoppedBy: EvolveResult['stoppedBy']): EvolveResult => ({ best, bestPerGeneration, populations, stoppedBy, evaluated, replayed, reused });
  for (let g = 0; ; g++) {
    const cands = candidates(space, options, seed, g, populations[g - 1], seeds);
    const slots: (Individual | undefined)[] = new Array(cands.length);
    const order = (i: number) => g * cands.length + i;
    // Evaluations in flight, and by genome the one a twin later in the generation waits for.
    const running = new Set<Promise<void>>();
    const pending = new Map<string, Promise<void>>();
    let stopAt = cands.length;
    // A log that cannot be written stops the search once the evaluations in flight are done.
    let broken: unknown;
    for (let i = 0; i < cands.length; i++) {
      const genes = cands[i]!;
      const logged = state.generations[g]?.[i];
      if (logged) {
        if (!sameGenes(logged.genes, genes)) {
          await Promise.all(running);
          throw new ConfigError(
            `${logPath}: generation ${g} individual ${i} was [${logged.genes.join(', ')}] but this search proposes ` +
              `[${genes.join(', ')}]; resume with the same seed, search space and options, or start a new log`,
          );
        }
        slots[i] = logged;
        replayed++;
        remember(genes, logged.fitness, order(i));
        continue;
      }
      const twin = pending.get(key(genes));
      if (twin) await twin;
      const seen = known.get(key(genes));
      if (seen) {
        // Elites and repeated children were already trained: reuse, do not log.
        slots[i] = { genes, fitness: seen.fitness };
        reused++;
        continue;
      }
      while (running.size >= concurrency) await Promise.race(running);
      if (broken !== undefined) break;
      if (signal?.aborted) {
        stopAt = i;
        break;
      }
      const at = { generation: g, index: i, genes: genes.slice() };
      const job = evaluateOne(evaluate, toRecord(space, genes), at, signal).then((record) => {
        if (record === null) return; // interrupted by the abort: not a verdict, redone on resume
        if (logPath) appendEvaluation(logPath, record);
        slots[i] = { genes, fitness: record.fitness ?? -Infinity };
        evaluated++;
        remember(genes, slots[i]!.fitness, order(i));
      }).catch((e: unknown) => {
        broken ??= e;
      });
      const tracked = job.finally(() => running.delete(tracked));
      running.add(tracked);
      pending.set(key(genes), tracked);
    }
    await Promise.all(running);
    if (broken !== undefined) throw broken;
    // The generation as far as it got: a prefix when aborted (an interrupted evaluation ends it).
    const pop: Individual[] = [];
    for (let i = 0; i < stopAt && slots[i]; i++) pop.push(slots[i]!);
    populations.push(pop);
    pop.forEach((ind, i) => {
      if (Number.isFinite(ind.fitness) && (best === null || ind.fitness > best.fitness)) {
        best = { generation: g, index: i, genes: ind.genes.slice(), hyperparameters: toRecord(space, ind.genes), fitness: ind.fitness };
      }
    });
    if (pop.length < cands.length) return result('aborted');
    bestPerGeneration.push(Math.max(...pop.map((p) => p.fitness)));
    await args.onGeneration?.(g, pop);
    const why = stopReason(bestPerGeneration, options);
    if (why) return result(why);
  }
}

async function evaluateOne(
  evaluate: EvolveArgs['evaluate'],
  hyperparameters: Record<string, number>,
  at: { generation: number; index: number; genes: number[] },
  signal: AbortSignal | undefined,
): Promise<EvaluationRecord | null> {
  const base = { generation: at.generation, index: at.index, genes: at.genes };
  try {
    const r = await evaluate(hyperparameters, at);
    const fitness = typeof r === 'number' ? r : yoloFitness(r);
    if (!Number.isFinite(fitness)) return { ...base, fitness: null, status: 'failed', error: `fitness was ${fitness}` };
    const metrics = typeof r === 'number' ? {} : { map50: r.map50, map: r.map };
    return { ...base, fitness, status: 'ok', ...metrics };
  } catch (e) {
    if (signal?.aborted) return null;
    return { ...base, fitness: null, status: 'failed', error: e instanceof Error ? e.message : String(e) };
  }
}

function sameGenes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
