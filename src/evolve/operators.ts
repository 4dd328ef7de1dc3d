/**
 * Genetic operators of hyperparameter evolution (SPEC §12): tournament selection,
 * elitism, single-point and uniform crossover, annealed Gaussian mutation, and the
 * stopping rule. Each random operator has a pure form with its draws made explicit (what
 * the tests check on worked numbers) and a form that draws them from an {@link Rng}.
 */
import { z } from 'zod';
import type { Rng } from '../core/rng.ts';
import { validate, probability } from '../stream/options.ts';
import { decode, encode, type SearchSpace } from './genes.ts';

/**
 * An evaluated individual: `genes` are values (not the unit genome). A failed evaluation
 * has fitness `-Infinity`: it keeps its slot (the failure costs one candidate), loses
 * every tournament against a finite fitness and is never an elite unless nothing else is.
 */
export interface Individual {
  genes: number[];
  fitness: number;
}

/** YOLOv5's `fitness`: 0.1·mAP@.5 + 0.9·mAP@.5:.95 (SPEC §12 default). */
export function yoloFitness(m: { map50: number; map: number }): number {
  return 0.1 * m.map50 + 0.9 * m.map;
}

/** The pure tournament: index of the fittest among the `drawn` indices (first on ties). */
export function tournamentOf(population: readonly Individual[], drawn: readonly number[]): number {
  if (drawn.length === 0) throw new RangeError('tournament: draw at least one contestant');
  let best = drawn[0]!;
  for (const i of drawn) if (population[i]!.fitness > population[best]!.fitness) best = i;
  return best;
}

/**
 * Tournament selection: draws `k` contestants uniformly with replacement
 * (`rng.int(0, n-1)` each, in order) and returns the index of the fittest.
 */
export function tournamentSelect(population: readonly Individual[], k: number, rng: Rng): number {
  if (population.length === 0) throw new RangeError('tournament: empty population');
  const drawn: number[] = [];
  for (let j = 0; j < Math.max(1, k); j++) drawn.push(rng.int(0, population.length - 1));
  return tournamentOf(population, drawn);
}

/** Indices of the `e` fittest individuals, best first; ties keep population order. */
export function eliteIndices(population: readonly Individual[], e: number): number[] {
  const order = population.map((_, i) => i);
  order.sort((a, b) => {
    const fa = population[a]!.fitness;
    const fb = population[b]!.fitness;
    return fa === fb ? a - b : fb > fa ? 1 : -1;
  });
  return order.slice(0, Math.max(0, Math.min(e, population.length)));
}

/** Elitism: copies of the genes of the `e` fittest individuals, unchanged, best first. */
export function elites(population: readonly Individual[], e: number): number[][] {
  return eliteIndices(population, e).map((i) => population[i]!.genes.slice());
}

/**
 * Single-point crossover: the first `cut` genes from `a`, the rest from `b`.
 * SPEC §12: `[0.001, 32, 0.0005, 0.7]` × `[0.005, 16, 0.0008, 0.6]`, cut after gene 1
 * (`cut = 1`) → `[0.001, 16, 0.0008, 0.6]`.
 */
export function singlePointCrossover(a: readonly number[], b: readonly number[], cut: number): number[] {
  if (a.length !== b.length) throw new RangeError('crossover: parents differ in length');
  return a.map((v, i) => (i < cut ? v : b[i]!));
}

/** Uniform crossover: gene i from `a` where `fromA[i]`, else from `b`. */
export function uniformCrossover(a: readonly number[], b: readonly number[], fromA: readonly boolean[]): number[] {
  if (a.length !== b.length) throw new RangeError('crossover: parents differ in length');
  return a.map((v, i) => (fromA[i] ? v : b[i]!));
}

/** Draws a cut uniformly in [1, L-1] (`rng.int`; none and no draw when L < 2). */
export function drawCut(length: number, rng: Rng): number {
  return length < 2 ? length : rng.int(1, length - 1);
}

/** Draws a uniform-crossover mask: one `rng.chance(0.5)` per gene, in order. */
export function drawMask(length: number, rng: Rng): boolean[] {
  const m: boolean[] = [];
  for (let i = 0; i < length; i++) m.push(rng.chance(0.5));
  return m;
}

/**
 * The pure mutation of a unit genome: `genome[i] + sigma·noise[i]` where `noise[i]` is
 * not null, clipped to [0, 1]; null leaves the gene alone.
 */
export function mutateWith(genome: readonly number[], sigma: number, noise: readonly (number | null)[]): number[] {
  return genome.map((u, i) => {
    const z = noise[i];
    if (z === null || z === undefined) return u;
    const m = u + sigma * z;
    return m < 0 ? 0 : m > 1 ? 1 : m;
  });
}

/**
 * Gaussian mutation of a unit genome: each gene, in order, mutates with probability
 * `rate` (`rng.chance(rate)`, no draw when rate is 0 or 1) and then moves by
 * `sigma·rng.normal()`, clipped to [0, 1]. Rate 0 is the identity.
 */
export function gaussianMutation(genome: readonly number[], rate: number, sigma: number, rng: Rng): number[] {
  const noise = genome.map(() => (rng.chance(rate) ? rng.normal() : null));
  return mutateWith(genome, sigma, noise);
}

/**
 * The annealing schedule of mutation rate and σ: linear from `start` at generation 0 to
 * `end` at the last generation `generations - 1` (constant `start` when there is only
 * one), i.e. `start + (end - start)·g/(G-1)`: broad search first, fine-tuning last.
 */
export function annealed(start: number, end: number, generation: number, generations: number): number {
  if (generations <= 1) return start;
  const t = Math.min(1, Math.max(0, generation / (generations - 1)));
  return start + (end - start) * t;
}

const annealedSchema = (what: string, max: number) =>
  z
    .union([
      z.number().min(0, `${what} must be ≥ 0`).max(max, `${what} must be ≤ ${max}`),
      z.tuple([
        z.number().min(0, `${what} must be ≥ 0`).max(max, `${what} must be ≤ ${max}`),
        z.number().min(0, `${what} must be ≥ 0`).max(max, `${what} must be ≤ ${max}`),
      ]),
    ])
    .transform((v) => (typeof v === 'number' ? ([v, v] as [number, number]) : v));

/**
 * Options of the search. Defaults: population 16, 10 generations, no patience (run all
 * G), elitism 2, tournament 3, single-point crossover with rate 0.9, mutation rate
 * annealed 0.5 → 0.1 and σ (in unit-genome space, so 0.2 = a fifth of a gene's range)
 * 0.2 → 0.02. `mutationRate` / `sigma` take `[start, end]` or one constant value.
 */
export const evolveOptionsSchema = z
  .object({
    populationSize: z.number().int().min(2, 'populationSize must be ≥ 2').default(16),
    generations: z.number().int().min(1, 'generations must be ≥ 1').default(10),
    patience: z
      .number()
      .int()
      .min(1, 'patience must be ≥ 1 (leave it out to run all generations)')
      .optional(),
    elitism: z.number().int().min(0, 'elitism must be ≥ 0').default(2),
    tournamentSize: z.number().int().min(1, 'tournamentSize must be ≥ 1').default(3),
    crossover: z
      .enum(['single-point', 'uniform'], { message: "crossover must be 'single-point' or 'uniform'" })
      .default('single-point'),
    crossoverRate: probability.default(0.9),
    mutationRate: annealedSchema('mutationRate', 1).default([0.5, 0.1]),
    sigma: annealedSchema('sigma', 1).default([0.2, 0.02]),
  })
  .strict()
  .refine((o) => o.elitism < o.populationSize, {
    message: 'elitism must be < populationSize (or nothing new is ever tried)',
  });

/** Validated search options (see {@link evolveOptionsSchema}). */
export type EvolveOptions = z.infer<typeof evolveOptionsSchema>;
/** Search options as a user writes them. */
export type EvolveOptionsInput = z.input<typeof evolveOptionsSchema>;

/** Validate search options, filling defaults; throws a ConfigError. */
export function evolveOptions(input: EvolveOptionsInput = {}): EvolveOptions {
  return validate(evolveOptionsSchema, input, 'evolve()');
}

/**
 * Breed generation `generation` (≥ 1) from the evaluated previous one: the `elitism`
 * fittest are copied unchanged, then each other child, in order, draws parent A and
 * parent B by tournament, `rng.chance(crossoverRate)` and if so a cut ({@link drawCut})
 * or a mask ({@link drawMask}), else the child is a copy of A; then it is mutated in
 * unit-genome space with the rate and σ annealed for this generation and decoded
 * (clipped, ints rounded). Returns `populationSize` individuals as values.
 */
export function nextGeneration(
  population: readonly Individual[],
  options: EvolveOptions & { space: SearchSpace; generation: number },
  rng: Rng,
): number[][] {
  const { space, generation, generations } = options;
  const rate = annealed(options.mutationRate[0], options.mutationRate[1], generation, generations);
  const sigma = annealed(options.sigma[0], options.sigma[1], generation, generations);
  const out = elites(population, options.elitism);
  while (out.length < options.populationSize) {
    const a = population[tournamentSelect(population, options.tournamentSize, rng)]!.genes;
    const b = population[tournamentSelect(population, options.tournamentSize, rng)]!.genes;
    let child: number[];
    if (rng.chance(options.crossoverRate)) {
      child =
        options.crossover === 'uniform'
          ? uniformCrossover(a, b, drawMask(a.length, rng))
          : singlePointCrossover(a, b, drawCut(a.length, rng));
    } else {
      child = a.slice();
    }
    out.push(decode(space, gaussianMutation(encode(space, child), rate, sigma, rng)));
  }
  return out;
}

/**
 * The stopping rule: given the best fitness of each finished generation, stop once
 * `generations` have run, or when the best-so-far has not strictly improved during the
 * last `patience` generations. Returns why, or null to go on.
 */
export function stopReason(
  bestPerGeneration: readonly number[],
  options: { generations: number; patience?: number | undefined },
): 'generations' | 'patience' | null {
  if (bestPerGeneration.length >= options.generations) return 'generations';
  if (options.patience === undefined) return null;
  let best = -Infinity;
  let since = 0;
  for (const f of bestPerGeneration) {
    if (f > best) {
      best = f;
      since = 0;
    } else since++;
  }
  return since >= options.patience ? 'patience' : null;
}
