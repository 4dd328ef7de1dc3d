/**
 * Random perspective (SPEC §3, YOLOv5 `random_perspective`): one 3×3 matrix
 * M = T·S·R·P·C moves pixels (OpenCV-exact warp, {@link warpAffine} / {@link warpPerspective})
 * and boxes (4 corners mapped, min/max, clipped, filtered by the hygiene rule of SPEC §1).
 */
import type { Rng } from '../core/rng.ts';
import { sanitizeBoxes, type BoxFilterOptions } from './boxes.ts';
import type { Kernel, KernelSample } from './transform.ts';
import { warpAffine, warpPerspective, type Rgb } from './warp.ts';
import { flipBoxesHorizontal, flipImageHorizontal } from './flip.ts';

/** The drawn parameters of one random perspective, in YOLOv5's draw order. */
export interface PerspectiveParams {
  /** P[2][0], drawn U(−perspective, perspective). */
  perspectiveX: number;
  /** P[2][1], drawn U(−perspective, perspective). */
  perspectiveY: number;
  /** Rotation in degrees, counter-clockwise on screen as `cv2.getRotationMatrix2D`; drawn U(−degrees, degrees). */
  angle: number;
  /** Zoom factor, drawn U(1 − scale, 1 + scale). */
  scale: number;
  /** Shear along x in degrees (S[0][1] = tan), drawn U(−shear, shear). */
  shearX: number;
  /** Shear along y in degrees (S[1][0] = tan), drawn U(−shear, shear). */
  shearY: number;
  /** Where the source centre lands, as a fraction of the output width; drawn U(0.5 − translate, 0.5 + translate). */
  translateX: number;
  /** The same, as a fraction of the output height. */
  translateY: number;
}

/** The ranges the parameters are drawn from (YOLOv5 hyperparameter names and defaults). */
export interface PerspectiveRanges {
  /** Default 0. */
  degrees?: number;
  /** Default 0.1. */
  translate?: number;
  /** Default 0.5. */
  scale?: number;
  /** Default 0. */
  shear?: number;
  /** Default 0. */
  perspective?: number;
}

/** How big the output is: YOLOv5's `border` (rows, columns) added on each side, or an explicit size. */
export interface PerspectiveOutput {
  /** `[top/bottom, left/right]` pixels added on each side (negative crops, as mosaic's −s/2). Default [0, 0]. */
  border?: readonly [number, number];
  /** Output width; overrides `W + 2·border[1]`. */
  width?: number;
  /** Output height; overrides `H + 2·border[0]`. */
  height?: number;
}

/** Output size: `W + 2·border[1]` × `H + 2·border[0]` unless given. */
export function perspectiveOutputSize(
  srcWidth: number, srcHeight: number, output: PerspectiveOutput = {},
): { width: number; height: number } {
  const border = output.border ?? [0, 0];
  const width = output.width ?? srcWidth + 2 * border[1];
  const height = output.height ?? srcHeight + 2 * border[0];
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(
      `randomPerspective: output size ${width}×${height} from a ${srcWidth}×${srcHeight} image with border [${border}]; ` +
      'pass a border that leaves at least 1 pixel (W + 2·border[1] ≥ 1, H + 2·border[0] ≥ 1) or an explicit width/height',
    );
  }
  return { width, height };
}

/** 3×3 row-major product a·b, each entry summed left to right (numpy's `@` agrees to ~1e-14; its BLAS may fuse). */
function mul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
    }
  }
  return out;
}

/**
 * YOLOv5's matrix `M = T @ S @ R @ P @ C` (row-major, float64), multiplied in numpy's order.
 * C moves the source centre to the origin; P holds the perspective terms; R is
 * `cv2.getRotationMatrix2D((0,0), angle, scale)` (α = cos(angle·(π/180))·scale, β = sin(…)·scale,
 * rows [α, β], [−β, α]); S holds tan(shear·π/180); T moves the origin to
 * (translateX·W_out, translateY·H_out).
 * @param border the output size rule, as in {@link perspectiveOutputSize} (a pair, or `{ border, width, height }`).
 */
export function perspectiveMatrix(
  params: PerspectiveParams,
  srcWidth: number,
  srcHeight: number,
  border: readonly [number, number] | PerspectiveOutput = [0, 0],
): number[] {
  const output: PerspectiveOutput = Array.isArray(border) ? { border: border as readonly [number, number] } : (border as PerspectiveOutput);
  const { width, height } = perspectiveOutputSize(srcWidth, srcHeight, output);
  const C = [1, 0, -srcWidth / 2, 0, 1, -srcHeight / 2, 0, 0, 1];
  const P = [1, 0, 0, 0, 1, 0, params.perspectiveX, params.perspectiveY, 1];
  // cv2.getRotationMatrix2D converts with angle·(π/180), not (angle·π)/180: the last bit differs
  const rad = params.angle * (Math.PI / 180);
  const alpha = Math.cos(rad) * params.scale;
  const beta = Math.sin(rad) * params.scale;
  const R = [alpha, beta, 0, -beta, alpha, 0, 0, 0, 1];
  const S = [1, Math.tan((params.shearX * Math.PI) / 180), 0, Math.tan((params.shearY * Math.PI) / 180), 1, 0, 0, 0, 1];
  const T = [1, 0, params.translateX * width, 0, 1, params.translateY * height, 0, 0, 1];
  return mul3(mul3(mul3(mul3(T, S), R), P), C);
}

/**
 * Map n×4 boxes through M as YOLOv5 does: the corners x1y1, x2y2, x1y2, x2y1, each divided
 * by its third coordinate when `perspective`, then the min/max per axis (unclipped).
 */
export function perspectiveBoxes(boxes: Float32Array, M: readonly number[], perspective: boolean): Float32Array {
  const out = new Float32Array(boxes.length);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = M as [number, number, number, number, number, number, number, number, number];
  const xs = [0, 0, 0, 0];
  const ys = [0, 0, 0, 0];
  for (let i = 0; i < boxes.length; i += 4) {
    const x1 = boxes[i]!;
    const y1 = boxes[i + 1]!;
    const x2 = boxes[i + 2]!;
    const y2 = boxes[i + 3]!;
    const cx = [x1, x2, x1, x2];
    const cy = [y1, y2, y2, y1];
    for (let k = 0; k < 4; k++) {
      const x = cx[k]!;
      const y = cy[k]!;
      let u = x * m0 + y * m1 + m2;
      let v = x * m3 + y * m4 + m5;
      if (perspective) {
        const w = x * m6 + y * m7 + m8;
        u /= w;
        v /= w;
      }
      xs[k] = u;
      ys[k] = v;
    }
    out[i] = Math.min(xs[0]!, xs[1]!, xs[2]!, xs[3]!);
    out[i + 1] = Math.min(ys[0]!, ys[1]!, ys[2]!, ys[3]!);
    out[i + 2] = Math.max(xs[0]!, xs[1]!, xs[2]!, xs[3]!);
    out[i + 3] = Math.max(ys[0]!, ys[1]!, ys[2]!, ys[3]!);
  }
  return out;
}

/** Options of {@link perspectiveKernel}: output size, fill, warp kind and the hygiene rule. */
export interface PerspectiveApplyOptions extends PerspectiveOutput, BoxFilterOptions {
  /** Border colour, one grey level or [r, g, b]. Default 114. */
  fill?: number | Rgb;
  /**
   * Warp with `warpPerspective` (true) or `warpAffine` on M's top two rows (false), and
   * divide box corners by their third coordinate when true. YOLOv5 decides by its
   * `perspective` hyperparameter being non-zero. Default: whether M's last row is not [0, 0, 1].
   */
  perspective?: boolean;
  /**
   * Also flip the result left–right, pixels and boxes, as a following `flip()` would, at
   * no extra cost: the warp writes each row right to left. The chain sets it when a
   * horizontal flip follows this transform and its coin says flip (see `runChain`).
   */
  mirror?: boolean;
}

function isIdentity(M: readonly number[]): boolean {
  return M[0] === 1 && M[1] === 0 && M[2] === 0 && M[3] === 0 && M[4] === 1 && M[5] === 0 && M[6] === 0 && M[7] === 0 && M[8] === 1;
}

/** The fill option as an RGB triple. */
export function fillRgb(fill: number | Rgb | undefined): Rgb {
  if (fill === undefined) return [114, 114, 114];
  return typeof fill === 'number' ? [fill, fill, fill] : fill;
}

/**
 * Apply one random perspective with its parameters already drawn (the pure half of
 * {@link randomPerspectiveKernel}). The image is warped with M; when M is the identity and
 * the size is unchanged the image is passed through untouched (YOLOv5 skips the warp
 * then), but the boxes are still mapped, clipped and filtered. Boxes are filtered against
 * the old box × `params.scale` (YOLOv5's `box_candidates(targets·s, new)`, area_thr 0.10 unless
 * `areaThr` is given). When the sample has `meta`, `meta.affine` is set to M (row-major 3×3).
 */
export function perspectiveKernel<T extends KernelSample>(
  s: T,
  params: PerspectiveParams,
  options: PerspectiveApplyOptions = {},
): T {
  const src = s.image;
  const { width, height } = perspectiveOutputSize(src.width, src.height, options);
  const M = perspectiveMatrix(params, src.width, src.height, options);
  const perspective = options.perspective ?? (M[6] !== 0 || M[7] !== 0 || M[8] !== 1);
  const mirror = options.mirror === true;
  let image = src;
  if (!(isIdentity(M) && width === src.width && height === src.height)) {
    const fill = fillRgb(options.fill);
    image = perspective
      ? warpPerspective(src, M, width, height, fill, mirror)
      : warpAffine(src, M.slice(0, 6), width, height, fill, mirror);
  } else if (mirror) {
    image = flipImageHorizontal(src);
  }
  const moved = { ...s, image, boxes: perspectiveBoxes(s.boxes, M, perspective) } as T;
  const { fill: _fill, perspective: _p, border: _b, width: _w, height: _h, mirror: _m, ...hygiene } = options;
  const out = sanitizeBoxes(moved, s.boxes, { ...hygiene, scale: params.scale });
  if (mirror) out.boxes = flipBoxesHorizontal(out.boxes, width);
  if (s.meta) out.meta = { ...s.meta, affine: M };
  return out;
}

/**
 * Draw the parameters in YOLOv5's order: perspectiveX, perspectiveY, angle, scale,
 * shearX, shearY, translateX, translateY — each one `rng.uniform` call, drawn even when
 * its range is empty, so the stream never shifts with the options.
 */
export function drawPerspectiveParams(rng: Rng, ranges: PerspectiveRanges = {}): PerspectiveParams {
  const degrees = ranges.degrees ?? 0;
  const translate = ranges.translate ?? 0.1;
  const scale = ranges.scale ?? 0.5;
  const shear = ranges.shear ?? 0;
  const perspective = ranges.perspective ?? 0;
  const perspectiveX = rng.uniform(-perspective, perspective);
  const perspectiveY = rng.uniform(-perspective, perspective);
  const angle = rng.uniform(-degrees, degrees);
  const s = rng.uniform(1 - scale, 1 + scale);
  const shearX = rng.uniform(-shear, shear);
  const shearY = rng.uniform(-shear, shear);
  const translateX = rng.uniform(0.5 - translate, 0.5 + translate);
  const translateY = rng.uniform(0.5 - translate, 0.5 + translate);
  return { perspectiveX, perspectiveY, angle, scale: s, shearX, shearY, translateX, translateY };
}

/** Options of the `randomPerspective` kernel: the ranges, the output rule, the fill and the hygiene options. */
export interface RandomPerspectiveKernelOptions extends PerspectiveRanges, PerspectiveOutput, BoxFilterOptions {
  /** Border colour, one grey level or [r, g, b]. Default 114. */
  fill?: number | Rgb;
}

/**
 * The `randomPerspective` kernel: draws {@link PerspectiveParams} ({@link drawPerspectiveParams}
 * gives the order), then {@link perspectiveKernel}. Warps with `warpPerspective` when the
 * `perspective` range is non-zero, else `warpAffine`, as YOLOv5.
 */
export const randomPerspectiveKernel: Kernel<RandomPerspectiveKernelOptions & { mirror?: boolean }> = (s, o, rng) => {
  const params = drawPerspectiveParams(rng, o);
  const { degrees: _d, translate: _t, scale: _s, shear: _sh, perspective = 0, ...rest } = o;
  return perspectiveKernel(s, params, { ...rest, perspective: perspective !== 0 });
};

// A horizontal flip right after this transform is folded into its warp (runChain).
(randomPerspectiveKernel as Kernel & { absorbsHorizontalFlip?: boolean }).absorbsHorizontalFlip = true;

/** Registry entries of this file. */
export const perspectiveKernels: Record<string, Kernel> = {
  randomPerspective: randomPerspectiveKernel,
};
