/**
 * Gaussian blur (SPEC §2), including Darknet's *background blur* that keeps the
 * pixels inside boxes sharp. The convolution runs in libvips through sharp: at
 * 608×608 it costs ≈ 5 ms for any σ, where a typed-array separable filter costs
 * 50–150 ms. Boxes never move.
 */
import sharp from 'sharp';
import type { RawImage } from '../core/types.ts';
import type { Rng } from '../core/rng.ts';
import type { Kernel, KernelSample } from './transform.ts';

/** sharp's smallest σ; below it a blur is the identity to 8 bits anyway. */
export const MIN_SIGMA = 0.3;

/**
 * Where libvips cuts the Gaussian mask. Its default (0.2) truncates at 1.8σ and makes
 * the blur visibly narrower than σ says; exp(−4.5) ≈ 0.011 cuts at 3σ, as OpenCV's
 * kernel size rule for 8-bit images does.
 */
const MIN_AMPLITUDE = 0.011;

/** OpenCV's σ for a kernel size when σ is not given (`getGaussianKernel`): 0.3·((k−1)/2 − 1) + 0.8. */
export function sigmaForKernelSize(k: number): number {
  return 0.3 * ((k - 1) * 0.5 - 1) + 0.8;
}

/** Blur a whole image with a Gaussian of standard deviation `sigma` pixels. */
export async function gaussianBlur(src: RawImage, sigma: number): Promise<RawImage> {
  const { width, height } = src;
  if (sigma < MIN_SIGMA) return src;
  const { data } = await sharp(src.data, { raw: { width, height, channels: 3 } })
    .blur({ sigma, minAmplitude: MIN_AMPLITUDE })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/**
 * Put back the original pixels inside every box of a blurred image, as Darknet's
 * background blur does: each box's region is its corners truncated toward zero,
 * `[trunc(x1), trunc(x1) + trunc(w)) × [trunc(y1), trunc(y1) + trunc(h))`, clipped to the image.
 * Writes into `blurred` (a fresh buffer owned by the caller).
 */
export function restoreBoxes(original: RawImage, blurred: RawImage, boxes: Float32Array): RawImage {
  const { width: W, height: H } = original;
  const row = W * 3;
  for (let i = 0; i < boxes.length; i += 4) {
    const left = Math.trunc(boxes[i]!);
    const top = Math.trunc(boxes[i + 1]!);
    const x0 = Math.max(0, left);
    const y0 = Math.max(0, top);
    const x1 = Math.min(W, left + Math.trunc(boxes[i + 2]! - boxes[i]!));
    const y1 = Math.min(H, top + Math.trunc(boxes[i + 3]! - boxes[i + 1]!));
    if (x1 <= x0 || y1 <= y0) continue;
    for (let y = y0; y < y1; y++) {
      const a = y * row + x0 * 3;
      blurred.data.set(original.data.subarray(a, y * row + x1 * 3), a);
    }
  }
  return blurred;
}

/** Options of the `blur` kernel: exactly one of `sigma` and `kernelSize` is a range. */
export interface BlurKernelOptions {
  /** σ range in pixels; σ ~ U(lo, hi). */
  sigma?: [number, number];
  /** Odd kernel-size range; k is drawn uniformly from the odd sizes in it and σ follows OpenCV's rule. */
  kernelSize?: [number, number];
  /** Darknet's background blur: keep the pixels inside boxes sharp. */
  background: boolean;
}

/** Draw σ: from `sigma` (one uniform draw) or from an odd kernel size (one integer draw). */
export function drawSigma(o: BlurKernelOptions, rng: Rng): number {
  if (o.sigma) return rng.uniform(o.sigma[0], o.sigma[1]);
  const [lo, hi] = o.kernelSize ?? [3, 7];
  const first = lo % 2 === 1 ? lo : lo + 1;
  const count = Math.floor((hi - first) / 2) + 1;
  return sigmaForKernelSize(first + 2 * rng.int(0, count - 1));
}

/** The `blur` kernel: draws σ (see {@link drawSigma}), blurs, and restores boxes when `background`. */
export const blurKernel: Kernel<BlurKernelOptions> = async (s: KernelSample, o, rng) => {
  const blurred = await gaussianBlur(s.image, drawSigma(o, rng));
  if (blurred === s.image) return s;
  return { ...s, image: o.background ? restoreBoxes(s.image, blurred, s.boxes) : blurred };
};

export const blurKernels: Record<string, Kernel> = { blur: blurKernel };
