/**
 * A transform as data: a named kernel, its options and its probability. Specs are
 * plain objects so a whole chain crosses into a worker in one message; the worker
 * looks each name up in the kernel registry and applies the chain in one task.
 */
import { Rng } from '../core/rng.ts';
import type { Annotated, SampleMeta } from '../core/types.ts';

/** A sample as kernels see it: pixels, boxes and the metadata a kernel may annotate. */
export type KernelSample = Annotated & { meta?: SampleMeta };

/**
 * A pure kernel: pixels and boxes in, pixels and boxes out; random draws only from `rng`.
 * A kernel never mutates its input's arrays. It may return a promise (kernels built on
 * sharp's native operations do); the chain awaits it.
 */
export type Kernel<O = any> = (s: KernelSample, options: O, rng: Rng) => KernelSample | Promise<KernelSample>;

/**
 * A multi-image kernel (mosaic, mixup, cutmix): the first sample and its partners in,
 * one sample out. Like {@link Kernel}, it never mutates its inputs (partners are shared
 * between tasks) and draws only from `rng`.
 */
export type MixKernel<O = any> = (samples: KernelSample[], options: O, rng: Rng) => KernelSample | Promise<KernelSample>;

/** A serialisable description of one transform in a chain. */
export interface TransformSpec<O = Record<string, unknown>> {
  /** The kernel's registry name, e.g. `flip`. */
  name: string;
  /** Probability that the transform is applied to a sample. */
  p: number;
  options: O;
  /** Children, for the composition transforms `oneOf` and `someOf`. */
  children?: TransformSpec[];
}

/** Looks kernels up by name; the worker and the inline path share one registry. */
export type KernelLookup = (name: string) => Kernel | undefined;

async function applyForced(s: KernelSample, spec: TransformSpec, rng: Rng, lookup: KernelLookup): Promise<KernelSample> {
  if (spec.name === 'oneOf') {
    // albumentations OneOf: pick one child with probability proportional to its p, then apply it.
    const children = spec.children ?? [];
    const total = children.reduce((a, c) => a + c.p, 0);
    if (total <= 0) return s;
    let u = rng.next() * total;
    for (const c of children) {
      u -= c.p;
      if (u < 0) return applyForced(s, c, rng, lookup);
    }
    return applyForced(s, children[children.length - 1]!, rng, lookup);
  }
  if (spec.name === 'someOf') {
    // albumentations SomeOf: n distinct children in declared order, each still subject to its own p.
    const children = spec.children ?? [];
    const n = Math.min((spec.options as { n?: number }).n ?? 1, children.length);
    const chosen = rng.shuffle(children.map((_, i) => i)).slice(0, n).sort((a, b) => a - b);
    for (const i of chosen) s = await applySpec(s, children[i]!, rng, lookup);
    return s;
  }
  const kernel = lookup(spec.name);
  if (!kernel) throw new Error(`unknown transform "${spec.name}": it is not registered in this worker`);
  return kernel(s, spec.options, rng);
}

/** Apply one spec with its probability. */
export async function applySpec(s: KernelSample, spec: TransformSpec, rng: Rng, lookup: KernelLookup): Promise<KernelSample> {
  if (!rng.chance(spec.p)) return s;
  return applyForced(s, spec, rng, lookup);
}

/** A kernel that can also mirror its own output, set on the kernel function by its module. */
type MirroringKernel = Kernel & { absorbsHorizontalFlip?: boolean };

const isHorizontalFlip = (spec: TransformSpec | undefined): boolean =>
  spec?.name === 'flip' && (spec.options as { direction?: string }).direction === 'horizontal' && !spec.children;

/**
 * Apply a chain. Transform `t` draws from the stream keyed `[...key, t]`, so adding a
 * transform at the end never changes the draws of those before it.
 *
 * A horizontal flip right after a kernel that resamples every pixel anyway (one marked
 * `absorbsHorizontalFlip`, e.g. `randomPerspective`) is folded into it: the flip's coin is
 * tossed from its own stream first, and the kernel writes its rows mirrored. The bytes,
 * boxes and draws are exactly those of the two run one after the other; the flip's pass
 * over the image is saved.
 */
export async function runChain(s: KernelSample, chain: readonly TransformSpec[], key: readonly number[], lookup: KernelLookup): Promise<KernelSample> {
  for (let t = 0; t < chain.length; t++) {
    const spec = chain[t]!;
    const rng = new Rng(...key, t);
    const next = chain[t + 1];
    if (isHorizontalFlip(next) && !spec.children && (lookup(spec.name) as MirroringKernel | undefined)?.absorbsHorizontalFlip) {
      if (!rng.chance(spec.p)) continue;
      const mirror = new Rng(...key, t + 1).chance(next!.p);
      s = await lookup(spec.name)!(s, { ...spec.options, mirror }, rng);
      t++;
      continue;
    }
    s = await applySpec(s, spec, rng, lookup);
  }
  return s;
}
