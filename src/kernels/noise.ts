/**
 * Additive Gaussian noise (SPEC §2): x' = clip(round(x + σ·z)), z ~ N(0,1) per pixel
 * and channel. z comes from a 65 536-entry table of normal quantiles indexed by 16
 * random bits, so two values cost one 32-bit draw and no logarithm: ≈ 1 M values per
 * 608×608 image would otherwise dominate the cost. The table reaches ±4.32σ.
 */
import type { RawImage } from '../core/types.ts';
import type { Rng } from '../core/rng.ts';
import type { Kernel, KernelSample } from './transform.ts';
import { kernels, stageImage, takeOutput } from '../wasm/index.ts';

/**
 * The standard normal quantile Φ⁻¹(p), 0 < p < 1, by Acklam's rational approximation
 * (relative error below 1.2e-9).
 */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  const pLow = 0.02425;
  if (p < pLow) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - pLow) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

let quantiles: Float64Array | undefined;

/** Φ⁻¹((i + ½) / 65536) for i = 0..65535: equiprobable cells, built once per thread. */
export function normalTable(): Float64Array {
  if (!quantiles) {
    quantiles = new Float64Array(65536);
    for (let i = 0; i < 65536; i++) quantiles[i] = normalQuantile((i + 0.5) / 65536);
  }
  return quantiles;
}

/**
 * Add N(0, σ) noise to every byte (or, with `perChannel` false, the same value to the
 * three channels of a pixel), rounding half away from zero and clipping to 0..255.
 */
export function addGaussianNoise(src: RawImage, sigma: number, rng: Rng, perChannel = true): RawImage {
  // The loop runs in WebAssembly (assembly/kernels.ts `addNoise`) with the generator's
  // state handed over and back: the same words, in the same order, as `rng.u32()` gives.
  const n = src.data.length;
  const k = kernels();
  const { srcPtr, dstPtr, scratchPtr } = stageImage(src.data, n, 65536 * 2 + 16);
  const mem = k.memory.buffer;
  // σ·z rounded once per table entry, written straight into the module's memory:
  // x is an integer, so round(x + σz) = x + round(σz).
  const table = normalTable();
  const offsets = new Int16Array(mem, scratchPtr, 65536);
  for (let i = 0; i < 65536; i++) {
    const v = sigma * table[i]!;
    offsets[i] = Math.max(-255, Math.min(255, Math.sign(v) * Math.round(Math.abs(v))));
  }
  const statePtr = scratchPtr + 65536 * 2;
  const state = new Int32Array(mem, statePtr, 4);
  state.set(rng.getState());
  k.addNoise(srcPtr, dstPtr, n, scratchPtr, statePtr, perChannel);
  rng.setState(new Int32Array(mem, statePtr, 4));
  const data = takeOutput(dstPtr, n);
  return { data, width: src.width, height: src.height };
}

/** Options of the `noise` kernel. */
export interface NoiseKernelOptions {
  /** σ range in grey levels (0..255 scale); σ ~ U(lo, hi). */
  sigma: [number, number];
  /** Independent noise per channel (default) or one value per pixel. */
  perChannel: boolean;
}

/** The `noise` kernel: one draw for σ, then the per-pixel draws. Boxes never move. */
export const noiseKernel: Kernel<NoiseKernelOptions> = (s: KernelSample, o, rng) => {
  const sigma = rng.uniform(o.sigma[0], o.sigma[1]);
  return { ...s, image: addGaussianNoise(s.image, sigma, rng, o.perChannel) };
};

export const noiseKernels: Record<string, Kernel> = { noise: noiseKernel };
