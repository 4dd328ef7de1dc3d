/**
 * Composition: `oneOf` and `someOf` (albumentations' OneOf / SomeOf). Both are plain
 * transform specs with children, so a composed chain still runs in one worker task.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import type { TransformSpec } from '../kernels/transform.ts';
import { probability, validate } from '../stream/options.ts';

function checkChildren(where: string, transforms: unknown): TransformSpec[] {
  if (!Array.isArray(transforms) || transforms.length === 0) {
    throw new ConfigError(`${where}: pass a non-empty array of transforms, e.g. ${where.slice(0, -2)}([blur(), noise()])`);
  }
  transforms.forEach((t: Partial<TransformSpec> | undefined, i) => {
    if (!t || typeof t.name !== 'string' || typeof t.p !== 'number') {
      throw new ConfigError(`${where}: element ${i} is not a transform; call the factory (blur(), not blur)`);
    }
  });
  return transforms as TransformSpec[];
}

/**
 * Apply exactly one of `transforms`, chosen with probability proportional to each
 * one's own `p` (the chosen one is then applied for sure). The group runs with
 * probability `p` (default 1).
 * @example oneOf([blur(), noise()], { p: 0.1 })
 */
export function oneOf(transforms: TransformSpec<any>[], options: { p?: number } = {}): TransformSpec {
  const children = checkChildren('oneOf()', transforms);
  const o = validate(z.object({ p: probability.default(1) }).strict(), options, 'oneOf()');
  return { name: 'oneOf', p: o.p, options: {}, children };
}

/**
 * Apply `n` distinct transforms picked at random from `transforms`, in their declared
 * order, each still subject to its own `p`. The group runs with probability `p` (default 1).
 * @example someOf([hsv(), blur(), noise()], { n: 2 })
 */
export function someOf(transforms: TransformSpec<any>[], options: { n?: number; p?: number } = {}): TransformSpec {
  const children = checkChildren('someOf()', transforms);
  const o = validate(
    z.object({ n: z.number().int('n must be a whole number').min(1, 'n must be ≥ 1').default(1), p: probability.default(1) }).strict(),
    options,
    'someOf()',
  );
  return { name: 'someOf', p: o.p, options: { n: o.n }, children };
}
