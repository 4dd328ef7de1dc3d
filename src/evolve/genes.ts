/**
 * The search space of hyperparameter evolution (SPEC §12): each gene is a named
 * hyperparameter with a range and a scale. Operators work on a *unit genome* (every gene
 * mapped to [0, 1]) so one mutation σ means the same relative step for every gene;
 * populations are stored, logged and replayed as *values* (what the trainer receives).
 */
import { z } from 'zod';
import type { Rng } from '../core/rng.ts';
import { validate } from '../stream/options.ts';
import { ConfigError } from '../core/errors.ts';

/**
 * One hyperparameter: `float` is uniform on [min, max], `log` is uniform in log space
 * (needs min > 0; for learning rates and other scale-like values), `int` is a float gene
 * rounded to the nearest integer when decoded.
 */
export interface Gene {
  name: string;
  kind: 'float' | 'log' | 'int';
  min: number;
  max: number;
}

/** An ordered list of genes: the order is the genome's order (and the crossover cut's). */
export type SearchSpace = readonly Gene[];

const geneSchema = z
  .object({
    name: z.string().min(1, 'a gene needs a non-empty name, e.g. "lr"'),
    kind: z.enum(['float', 'log', 'int'], { message: "kind must be 'float', 'log' or 'int'" }),
    min: z.number().refine(Number.isFinite, 'min must be a finite number'),
    max: z.number().refine(Number.isFinite, 'max must be a finite number'),
  })
  .strict()
  .refine((g) => g.min < g.max, {
    message: 'min must be < max (a fixed value is not a gene: leave it out of the search space)',
  })
  .refine((g) => g.kind !== 'log' || g.min > 0, {
    message: "a 'log' gene needs min > 0 (use kind 'float' for ranges that include 0)",
  })
  .refine((g) => g.kind !== 'int' || (Number.isInteger(g.min) && Number.isInteger(g.max)), {
    message: "an 'int' gene needs integer min and max",
  });

/** The zod schema of a search space: at least one gene, names unique. */
export const searchSpaceSchema = z
  .array(geneSchema)
  .min(1, 'a search space needs at least one gene')
  .refine((gs) => new Set(gs.map((g) => g.name)).size === gs.length, 'gene names must be unique');

/**
 * Validate a search space given in code or as JSON text; throws a ConfigError that names
 * the offending gene and what to pass instead.
 */
export function parseSearchSpace(input: unknown): Gene[] {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new ConfigError(`searchSpace: not valid JSON (${(e as Error).message}); pass an array of { name, kind, min, max }`);
    }
  }
  return validate(searchSpaceSchema, value, 'searchSpace');
}

/**
 * SPEC §12's seed chromosome: lr ∈ [1e-5, 0.1] (log), batch ∈ [4, 64] (int),
 * weightDecay ∈ [1e-4, 1e-2], iouThreshold ∈ [0.3, 0.8].
 */
export const DEFAULT_SEARCH_SPACE: SearchSpace = Object.freeze([
  Object.freeze({ name: 'lr', kind: 'log', min: 1e-5, max: 0.1 }),
  Object.freeze({ name: 'batch', kind: 'int', min: 4, max: 64 }),
  Object.freeze({ name: 'weightDecay', kind: 'float', min: 1e-4, max: 1e-2 }),
  Object.freeze({ name: 'iouThreshold', kind: 'float', min: 0.3, max: 0.8 }),
] as const satisfies readonly Gene[]);

const clamp01 = (u: number) => (u < 0 ? 0 : u > 1 ? 1 : u);

/** A value clipped to its gene's range (and rounded for `int` genes). */
export function clipValue(gene: Gene, v: number): number {
  const c = v < gene.min ? gene.min : v > gene.max ? gene.max : v;
  return gene.kind === 'int' ? Math.round(c) : c;
}

/** Values clipped to their ranges (new array). */
export function clipValues(space: SearchSpace, values: readonly number[]): number[] {
  checkLength(space, values);
  return space.map((g, i) => clipValue(g, values[i]!));
}

/** Map values to the unit genome: linear for float/int, log-linear for log genes; clipped. */
export function encode(space: SearchSpace, values: readonly number[]): number[] {
  checkLength(space, values);
  return space.map((g, i) => {
    const v = clipValue(g, values[i]!);
    if (g.kind === 'log') return clamp01(Math.log(v / g.min) / Math.log(g.max / g.min));
    return clamp01((v - g.min) / (g.max - g.min));
  });
}

/**
 * Map a unit genome back to values (the inverse of {@link encode}): genome entries are
 * clipped to [0, 1], `int` genes rounded, the end points hit exactly.
 */
export function decode(space: SearchSpace, genome: readonly number[]): number[] {
  checkLength(space, genome);
  return space.map((g, i) => {
    const u = clamp01(genome[i]!);
    if (u === 0) return g.min;
    if (u === 1) return g.max;
    const v = g.kind === 'log' ? g.min * Math.pow(g.max / g.min, u) : g.min + u * (g.max - g.min);
    return clipValue(g, v);
  });
}

/** A random unit genome: one `rng.next()` per gene, in gene order. */
export function randomGenome(space: SearchSpace, rng: Rng): number[] {
  return space.map(() => rng.next());
}

/**
 * A random individual (values): uniform in each gene's scale, so log genes are uniform
 * in log space; draws as {@link randomGenome}.
 */
export function randomIndividual(space: SearchSpace, rng: Rng): number[] {
  return decode(space, randomGenome(space, rng));
}

/** Values as a `{ name: value }` record, for the trainer. */
export function toRecord(space: SearchSpace, values: readonly number[]): Record<string, number> {
  checkLength(space, values);
  const out: Record<string, number> = {};
  space.forEach((g, i) => (out[g.name] = values[i]!));
  return out;
}

/** A `{ name: value }` record as values in gene order; a missing gene is an error. */
export function fromRecord(space: SearchSpace, record: Readonly<Record<string, number>>): number[] {
  return space.map((g) => {
    const v = record[g.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`individual: gene "${g.name}" is missing or not a finite number`);
    }
    return clipValue(g, v);
  });
}

function checkLength(space: SearchSpace, values: readonly number[]): void {
  if (values.length !== space.length) {
    throw new RangeError(`genome has ${values.length} genes, the search space ${space.length}`);
  }
}
