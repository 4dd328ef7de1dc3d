/**
 * Every kernel the worker can run, by name. A new transform registers here once and
 * is available inline and in every worker.
 */
import type { Kernel, MixKernel } from './transform.ts';
import { flipKernel } from './flip.ts';
import { letterboxKernel, type LetterboxOptions } from './letterbox.ts';
import { blurKernels } from './blur.ts';
import { noiseKernels } from './noise.ts';
import { cropKernels } from './crop.ts';
import { occlusionKernels } from './occlusion.ts';
import { mixKernels as builtInMixKernels } from './mosaic.ts';
import { colorKernels } from './color.ts';
import { perspectiveKernels } from './perspective.ts';

const kernels = new Map<string, Kernel>();

/** Register a kernel under `name` (replacing any earlier one). */
export function registerKernel(name: string, kernel: Kernel): void {
  kernels.set(name, kernel);
}

const mixKernels = new Map<string, MixKernel>();

/** Register a multi-image kernel (mosaic, mixup, cutmix, or your own) under `name`. */
export function registerMixKernel(name: string, kernel: MixKernel): void {
  mixKernels.set(name, kernel);
}

/** The multi-image kernel named `name`, if registered. */
export function lookupMixKernel(name: string): MixKernel | undefined {
  return mixKernels.get(name);
}

/** The kernel named `name`, if registered. */
export function lookupKernel(name: string): Kernel | undefined {
  return kernels.get(name);
}

/**
 * Import a module of custom kernels and register its `kernels` export
 * (`{ [name]: Kernel }`) and its `mixKernels` export (`{ [name]: MixKernel }`). Used by workers, so a module never has to import this registry.
 */
export async function loadKernelModule(url: string): Promise<void> {
  const mod = (await import(url)) as { kernels?: Record<string, Kernel>; mixKernels?: Record<string, MixKernel> };
  const has = (x: unknown) => !!x && typeof x === 'object';
  if (!has(mod.kernels) && !has(mod.mixKernels)) {
    throw new Error(`${url} has neither a \`kernels\` nor a \`mixKernels\` export ({ name: kernel })`);
  }
  for (const [name, kernel] of Object.entries(mod.kernels ?? {})) registerKernel(name, kernel);
  for (const [name, kernel] of Object.entries(mod.mixKernels ?? {})) registerMixKernel(name, kernel);
}

registerKernel('flip', (s, o: { direction: 'horizontal' | 'vertical' }) => flipKernel(s, o.direction));
registerKernel('letterbox', (s, o: { width: number; height: number } & LetterboxOptions) => {
  const { letterbox, ...out } = letterboxKernel(s, o, o);
  out.meta = { ...out.meta!, letterbox: { ratio: letterbox.ratio, padLeft: letterbox.padLeft, padTop: letterbox.padTop } };
  return out;
});
for (const group of [colorKernels, perspectiveKernels, blurKernels, noiseKernels, cropKernels, occlusionKernels]) {
  for (const [name, kernel] of Object.entries(group)) registerKernel(name, kernel);
}
for (const [name, kernel] of Object.entries(builtInMixKernels)) registerMixKernel(name, kernel);
