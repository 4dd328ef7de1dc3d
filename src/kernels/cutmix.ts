/**
 * CutMix (SPEC §5; Yun et al. 2019, reference `rand_bbox` in clovaai/CutMix-PyTorch): a
 * rectangle of the second image replaces the same rectangle of the first.
 *
 * The reference, on an NCHW batch, names the row axis W (`size[2]`) and the column axis H:
 * its first cut length and first centre draw are along the rows. Here the axes carry their
 * usual names and the draws keep the reference's order: λ, then the centre row, then the
 * centre column. Per axis (length L, centre c): cut = int(L·√(1−λ)) (truncated), the patch
 * runs from clip(c − ⌊cut/2⌋, 0, L) to clip(c + ⌊cut/2⌋, 0, L) — so an odd cut loses a pixel,
 * as in the reference — and λ is corrected to 1 − patch area / (W·H).
 */
import type { Rng } from '../core/rng.ts';
import { pickBoxFilterOptions, sanitizeBoxes, selectBoxes, type BoxFilterOptions } from './boxes.ts';
import { DEFAULT_MIN_VISIBILITY, rectRuns, visibleFractions } from './occlusion.ts';
import type { KernelSample } from './transform.ts';
import type { MixKernel } from './transform.ts';
import { assertSameSize, concatBoxes, mixMeta } from './mixup.ts';

/** A pixel rectangle, ends exclusive: columns x1 ≤ x < x2, rows y1 ≤ y < y2. */
export interface CutmixRect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * The reference's `rand_bbox` with its draws given, plus the λ correction.
 * @param lambda the drawn λ in [0, 1].
 * @param cx centre column, an integer in [0, W).
 * @param cy centre row, an integer in [0, H).
 * @returns the patch and the corrected λ = 1 − area / (W·H).
 */
export function cutmixRect(
  width: number, height: number, lambda: number, cx: number, cy: number,
): { rect: CutmixRect; lambda: number } {
  const ratio = Math.sqrt(1 - lambda);
  const halfW = Math.floor(Math.trunc(width * ratio) / 2);
  const halfH = Math.floor(Math.trunc(height * ratio) / 2);
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const rect = {
    x1: clip(cx - halfW, width),
    y1: clip(cy - halfH, height),
    x2: clip(cx + halfW, width),
    y2: clip(cy + halfH, height),
  };
  const area = (rect.x2 - rect.x1) * (rect.y2 - rect.y1);
  return { rect, lambda: 1 - area / (width * height) };
}

/** Options of {@link cutmixSamples} and the `cutmix` kernel. */
export interface CutmixOptions extends BoxFilterOptions {
  /**
   * A box of the first image is dropped when less than this fraction of it stays visible
   * outside the patch (occlusion.ts's exact fractional visibility). Also passed to the
   * hygiene of the second image's boxes when given. Default {@link DEFAULT_MIN_VISIBILITY} (0.1).
   */
  minVisibility?: number;
  /** Weight each box's loss by the corrected λ (first image) or 1 − λ (second). Default false. */
  weighted?: boolean;
}

/**
 * CutMix with the patch already drawn (the pure half of {@link cutmixKernel}).
 * Pixels: `x` with `rect` copied from `y`. Boxes: `x`'s whose visible fraction outside the
 * patch is ≥ `minVisibility`, then `y`'s clipped to the patch and filtered by SPEC §1
 * hygiene at scale 1 (plus the hygiene options given). `lambda` is the corrected λ: it goes
 * to `meta.mix` and, with `weighted`, into the weights.
 */
export function cutmixSamples<T extends KernelSample>(
  x: T, y: KernelSample, rect: CutmixRect, lambda: number, options: CutmixOptions = {},
): T {
  assertSameSize(x.image, y.image, 'cutmix');
  const { width: W, height: H } = x.image;
  const { x1, y1, x2, y2 } = rect;
  if (!(Number.isInteger(x1) && Number.isInteger(y1) && Number.isInteger(x2) && Number.isInteger(y2) &&
      x1 >= 0 && y1 >= 0 && x2 <= W && y2 <= H)) {
    throw new RangeError(`cutmix: the patch must be integer pixels inside the ${W}×${H} image, got ${JSON.stringify(rect)}`);
  }
  const data = x.image.data.slice(0, W * H * 3);
  const empty = !(x2 > x1 && y2 > y1);
  if (!empty) {
    const row = W * 3;
    for (let r = y1; r < y2; r++) data.set(y.image.data.subarray(r * row + x1 * 3, r * row + x2 * 3), r * row + x1 * 3);
  }
  const image = { data, width: W, height: H };

  let first: KernelSample = x;
  const minVisibility = options.minVisibility ?? DEFAULT_MIN_VISIBILITY;
  if (!empty && x.classes.length > 0 && minVisibility > 0) {
    const vis = visibleFractions(x.boxes, rectRuns(W, H, [x1, y1, x2, y2]));
    const keep = new Array<boolean>(vis.length);
    for (let i = 0; i < vis.length; i++) keep[i] = vis[i]! >= minVisibility;
    first = selectBoxes(x, keep);
  }

  // The second image's boxes, clipped to the patch (an empty patch leaves them 0 wide: dropped).
  const moved = y.boxes.slice();
  for (let i = 0; i < moved.length; i += 4) {
    moved[i] = Math.min(Math.max(moved[i]!, x1), x2);
    moved[i + 1] = Math.min(Math.max(moved[i + 1]!, y1), y2);
    moved[i + 2] = Math.min(Math.max(moved[i + 2]!, x1), x2);
    moved[i + 3] = Math.min(Math.max(moved[i + 3]!, y1), y2);
  }
  const second = sanitizeBoxes({ ...y, image, boxes: moved }, y.boxes, { ...pickBoxFilterOptions(options), scale: 1 });

  const out = { ...x, image, ...concatBoxes([first, second], options.weighted ? [lambda, 1 - lambda] : undefined) } as T;
  const meta = mixMeta(x.meta, { kind: 'cutmix', lambda });
  if (meta) out.meta = meta;
  return out;
}

/** Options of the `cutmix` kernel. */
export interface CutmixKernelOptions extends CutmixOptions {
  /** λ ~ Beta(alpha, beta); the reference's `beta` hyperparameter is both. Defaults 1, 1 (uniform). */
  alpha?: number;
  beta?: number;
}

/**
 * Draw one CutMix: λ = `rng.beta(alpha, beta)` (two Gamma draws), then the centre row
 * `rng.int(0, H−1)`, then the centre column `rng.int(0, W−1)`; patch and corrected λ by
 * {@link cutmixRect}.
 */
export function drawCutmix(rng: Rng, width: number, height: number, o: Pick<CutmixKernelOptions, 'alpha' | 'beta'> = {}): { rect: CutmixRect; lambda: number } {
  const alpha = o.alpha ?? o.beta ?? 1;
  const beta = o.beta ?? o.alpha ?? 1;
  const lambda = rng.beta(alpha, beta);
  const cy = rng.int(0, height - 1);
  const cx = rng.int(0, width - 1);
  return cutmixRect(width, height, lambda, cx, cy);
}

/**
 * The `cutmix` kernel: a patch of `samples[1]` pasted into `samples[0]` (same size, else a
 * RangeError). Draws: {@link drawCutmix}.
 */
export const cutmixKernel: MixKernel<CutmixKernelOptions> = (samples, o, rng) => {
  if (samples.length < 2) throw new RangeError(`cutmix needs 2 samples, got ${samples.length}`);
  const [x, y] = samples as [KernelSample, KernelSample];
  assertSameSize(x.image, y.image, 'cutmix');
  const { rect, lambda } = drawCutmix(rng, x.image.width, x.image.height, o);
  const { alpha: _a, beta: _b, ...rest } = o;
  return cutmixSamples(x, y, rect, lambda, rest);
};

/** Registry entries of this file (multi-sample kernels). */
export const cutmixMixKernels: Record<string, MixKernel> = {
  cutmix: cutmixKernel,
};
