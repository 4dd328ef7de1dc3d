/**
 * Validation of user options at the door: a zod schema per option object, and one
 * error message that names the option, what was wrong and what to pass instead.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';

/** Parse `value` with `schema` or throw a {@link ConfigError} naming `where`. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const at = i.path.length ? i.path.join('.') : 'options';
    return `${at}: ${i.message}`;
  });
  throw new ConfigError(`${where}: ${problems.join('; ')}`);
}

/** A probability 0..1. */
export const probability = z.number().min(0, 'a probability must be ≥ 0').max(1, 'a probability must be ≤ 1');

/**
 * A value or a `[lo, hi]` range of values, each within `[min, max]`; a single value v
 * becomes `[v, v]`. `what` names the option in messages.
 */
export function range(what: string, min: number, max: number) {
  const n = z.number().min(min, `${what} must be ≥ ${min}`).max(max, `${what} must be ≤ ${max}`);
  return z
    .union([n, z.tuple([n, n])])
    .transform((v) => (typeof v === 'number' ? ([v, v] as [number, number]) : v))
    .refine((v) => v[0] <= v[1], `${what}: a range is [lo, hi] with lo ≤ hi`);
}
