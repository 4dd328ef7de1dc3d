/**
 * MixUp (SPEC §5): two images blended pixel by pixel, x = λ·x_i + (1−λ)·x_j, their box
 * lists concatenated. YOLOv5 (`utils/augmentations.py` `mixup`, v7.0) draws λ ~ Beta(32, 32)
 * and computes the blend in float64 then truncates to uint8 (`.astype(np.uint8)`); Darknet
 * uses λ = 0.5; Zhang et al. 2019 ("Bag of Freebies for Training Object Detection Neural
 * Networks") draw λ ~ Beta(1.5, 1.5) and weight each box's loss by λ or 1 − λ (`weighted`).
 *
 * The helpers shared by the mixing kernels (mosaic, cutmix) live here too: the
 * {@link MixKernel} type is in transform.ts, concatenation and metadata here.
 */
import type { Rng } from '../core/rng.ts';
import type { Annotated, RawImage, SampleMeta } from '../core/types.ts';
import type { KernelSample, MixKernel } from './transform.ts';

/** What a mixing kernel records in `meta.mix`: which mix made the sample, and λ for whole-image labels. */
export interface MixInfo {
  kind: 'mosaic' | 'mixup' | 'cutmix';
  /** Share of the first sample: ŷ = λ·y_i + (1−λ)·y_j. Absent for mosaic. */
  lambda?: number;
}

/**
 * The output's metadata: the first sample's, with `mix` set. Geometry records of the first
 * sample (`letterbox`, `affine`) are dropped: they no longer map the mixed pixels back to
 * that one image. No metadata in, none out.
 */
export function mixMeta(meta: SampleMeta | undefined, mix: MixInfo): SampleMeta | undefined {
  if (!meta) return undefined;
  const { letterbox: _l, affine: _a, ...rest } = meta;
  return { ...rest, mix } as SampleMeta;
}


type BoxArrays = Pick<Annotated, 'boxes' | 'classes' | 'weights' | 'flags'>;

/**
 * The per-box arrays of `parts` one after the other (new arrays). `weightScale[k]`, when
 * given, multiplies the weights of part k (float32, as the weights are stored).
 */
export function concatBoxes(parts: readonly BoxArrays[], weightScale?: readonly number[]): BoxArrays {
  let n = 0;
  for (const p of parts) n += p.classes.length;
  const boxes = new Float32Array(n * 4);
  const classes = new Int32Array(n);
  const weights = new Float32Array(n);
  const flags = new Uint8Array(n);
  let j = 0;
  parts.forEach((p, k) => {
    const m = p.classes.length;
    boxes.set(p.boxes.subarray(0, m * 4), j * 4);
    classes.set(p.classes, j);
    flags.set(p.flags, j);
    const f = weightScale?.[k];
    if (f === undefined) weights.set(p.weights, j);
    else for (let i = 0; i < m; i++) weights[j + i] = p.weights[i]! * f;
    j += m;
  });
  return { boxes, classes, weights, flags };
}

/** Throw unless the two images have the same size (the mixing operator pairs same-size partners). */
export function assertSameSize(a: RawImage, b: RawImage, who: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(
      `${who}: the two images must have the same size, got ${a.width}×${a.height} and ${b.width}×${b.height}; ` +
      'bring partners to one size first (letterbox or resize them to the training shape before mixing)',
    );
  }
}

/**
 * YOLOv5's blend `(a·λ + b·(1−λ)).astype(uint8)`: both products and their sum in float64,
 * then truncated. Every output byte depends only on the two input bytes, so the 65 536
 * possible results are tabulated once (the same float64 operations, so the same bytes) and
 * each pixel is one lookup.
 * @param lambda in [0, 1].
 */
export function mixupImages(a: RawImage, b: RawImage, lambda: number): RawImage {
  assertSameSize(a, b, 'mixup');
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`mixup: λ must be in [0, 1], got ${lambda}`);
  const mu = 1 - lambda;
  const lut = new Uint8Array(65536);
  const right = new Float64Array(256);
  for (let v = 0; v < 256; v++) right[v] = v * mu;
  for (let u = 0; u < 256; u++) {
    const left = u * lambda;
    const row = u << 8;
    // λ ∈ [0, 1] keeps the sum in [0, 255 + ε]: truncation is `| 0`, and 255.000…1 stays 255
    for (let v = 0; v < 256; v++) lut[row | v] = (left + right[v]!) | 0;
  }
  const x = a.data;
  const y = b.data;
  const n = a.width * a.height * 3;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = lut[(x[i]! << 8) | y[i]!]!;
  return { data, width: a.width, height: a.height };
}

/**
 * MixUp with λ already drawn (the pure half of {@link mixupKernel}): pixels by
 * {@link mixupImages}, boxes of `x` then boxes of `y` (classes, flags and weights with them).
 * `weighted` multiplies the weights of `x`'s boxes by λ and of `y`'s by 1 − λ. The output's
 * metadata is `x`'s with `mix: { kind: 'mixup', lambda }`.
 */
export function mixupSamples<T extends KernelSample>(x: T, y: KernelSample, lambda: number, weighted = false): T {
  const image = mixupImages(x.image, y.image, lambda);
  const boxes = concatBoxes([x, y], weighted ? [lambda, 1 - lambda] : undefined);
  const out = { ...x, image, ...boxes } as T;
  const meta = mixMeta(x.meta, { kind: 'mixup', lambda });
  if (meta) out.meta = meta;
  return out;
}

/** Options of the `mixup` kernel. */
export interface MixupKernelOptions {
  /** `'yolov5'` (default): λ ~ Beta(32, 32). `'darknet'`: λ = 0.5. */
  mode?: 'yolov5' | 'darknet';
  /** Beta parameters, overriding the mode's (Zhang et al. 2019 use 1.5, 1.5). `beta` defaults to `alpha`. */
  alpha?: number;
  beta?: number;
  /** A fixed λ in [0, 1], overriding everything else (no draw). */
  lambda?: number;
  /** Weight each box's loss by λ (first image) or 1 − λ (second). Default false. */
  weighted?: boolean;
}

/**
 * λ for one MixUp: fixed (`lambda`, or 0.5 in `darknet` mode: no draw), else
 * `rng.beta(alpha, beta)` — one Gamma(alpha) then one Gamma(beta) from the rng.
 */
export function drawMixupLambda(rng: Rng, o: MixupKernelOptions = {}): number {
  if (o.lambda !== undefined) return o.lambda;
  if (o.alpha === undefined && o.beta === undefined && o.mode === 'darknet') return 0.5;
  const alpha = o.alpha ?? o.beta ?? 32;
  const beta = o.beta ?? o.alpha ?? 32;
  return rng.beta(alpha, beta);
}

/**
 * The `mixup` kernel: `samples[0]` blended with `samples[1]` (same size, else a RangeError).
 * Draws: λ only ({@link drawMixupLambda}).
 */
export const mixupKernel: MixKernel<MixupKernelOptions> = (samples, o, rng) => {
  if (samples.length < 2) throw new RangeError(`mixup needs 2 samples, got ${samples.length}`);
  const lambda = drawMixupLambda(rng, o);
  return mixupSamples(samples[0]!, samples[1]!, lambda, o.weighted === true);
};

/** Registry entries of this file (multi-sample kernels). */
export const mixupMixKernels: Record<string, MixKernel> = {
  mixup: mixupKernel,
};
