/**
 * Affine and perspective warps of 8-bit RGB that produce exactly the bytes of OpenCV 4.6's
 * `cv::warpAffine` / `cv::warpPerspective` with INTER_LINEAR and BORDER_CONSTANT, which
 * YOLOv5's `random_perspective` calls (SPEC §3).
 *
 * OpenCV's behaviour, reproduced here from its outputs:
 * - the forward matrix is inverted in double (affine: through the 2×2 determinant;
 *   perspective: through the 3×3 adjugate over the determinant, as `cv::invert` does for 3×3);
 * - every destination pixel gets a source position in fixed point with 5 fractional bits;
 *   affine sums per-column and per-row terms rounded at 2^10 and drops 5 bits after adding 16;
 *   perspective divides in double per pixel, with x measured from the start of its block
 *   (blocks of `bw0` columns, see {@link perspectiveBlockWidth}), and rounds to 2^5;
 * - the bilinear weights come from the 32×32 fraction table, `(32−fx)(32−fy)·32` etc.,
 *   summing to 2^15; the value is `(Σ w·p + 2^14) >> 15`; a neighbour outside the source
 *   takes the fill colour.
 * Rounding is cvRound's: halves go to the even neighbour. OpenCV refuses images of 32767 px
 * or more on a side; these functions accept them (positions are not saturated to shorts,
 * which changes nothing below that size).
 */
import type { RawImage } from '../core/types.ts';
import { roundHalfEven } from './round.ts';
import { argInt32, kernels, stageImage, takeOutput } from '../wasm/index.ts';

/** An RGB fill colour for pixels that map outside the source. */
export type Rgb = readonly [number, number, number];

/** YOLOv5's border colour. */
const GREY: Rgb = [114, 114, 114];

/** OpenCV's INTER_BITS: source positions carry 5 fractional bits (a 32×32 weight table). */
const INTER_BITS = 5;
/** Affine terms are rounded at 2^10 (OpenCV's AB_BITS), then 5 bits are dropped after adding half a table step. */
const AB_SCALE = 1 << 10;
const ROUND_DELTA = AB_SCALE >> INTER_BITS >> 1;
/** remapRow takes positions with 10 fractional bits and drops these. */
const SHIFT = 10 - INTER_BITS;
/** x + 1.5·2^52 − 1.5·2^52 rounds a double below 2^51 in magnitude half to even (the FPU's mode). */
const ROUND_MAGIC = 6755399441055744;
/** Perspective positions (5 fractional bits) are clamped to ±2^20 px. */
const POS_LIMIT = 1 << 25;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/**
 * cvRound / saturate_cast<int>(double): round half to even. A value beyond the int range
 * comes back as INT_MIN, as the x86 conversion OpenCV relies on returns it.
 */
function cvRound(v: number): number {
  if (!(v >= INT_MIN - 0.5 && v < INT_MAX + 0.5)) return INT_MIN;
  return roundHalfEven(v) | 0;
}

/** saturate_cast<uchar> of a fill value: round half even, clamp to 0..255. */
function fillByte(v: number): number {
  if (!(v > 0)) return 0;
  return v >= 255 ? 255 : cvRound(v);
}

function checkSizes(src: RawImage, width: number, height: number, who: string): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`${who}: bad output size ${width}×${height}; pass positive integers`);
  }
  if (src.width < 1 || src.height < 1 || src.data.length < src.width * src.height * 3) {
    throw new RangeError(`${who}: bad source image ${src.width}×${src.height} with ${src.data.length} bytes`);
  }
}

function checkMatrix(M: ArrayLike<number>, n: number, who: string): void {
  if (M.length !== n) throw new TypeError(`${who}: the matrix needs ${n} numbers (row-major), got ${M.length}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(M[i])) throw new RangeError(`${who}: matrix entry ${i} is ${M[i]}`);
}

/*
 * The bilinear lookup runs in WebAssembly (assembly/kernels.ts `remapRow`), one
 * destination row at a time. Pixel i's source position, with 5 fractional
 * bits, is `(X0 + colX[i]) >> 5` (and likewise y): the affine warp passes its per-row and
 * per-column terms with 10 fractional bits, the perspective warp passes X0 = 0 and
 * finished positions shifted left by 5.
 *
 * OpenCV's value is `(Σ w·p + 2^14) >> 15` with weights `(32−fx)(32−fy)·32` etc. Dividing
 * weights and shift by 32 gives the same integers, and so does interpolating along x, then
 * y: `t = a·(32−fx) + b·fx` per row, then `(t·(32−fy) + u·fy + 512) >> 10` (exact in
 * integers). Inside the source the row steps run on packed lanes: one unaligned 32-bit
 * read yields a pixel's R and B (bytes 0 and 2, 16 bits apart) and G; a lane stays below
 * 255·32 < 2^16, so a multiply never carries into the next lane. Four reads per pixel
 * instead of twelve; the bytes are the same.
 * Rows are written right to left when `mirror` is set: a horizontal flip of the result
 * at no cost, the same bytes as warping and then flipping.
 */

/**
 * The inverse of a forward 2×3 affine matrix as `cv::warpAffine` computes it (in double,
 * through the 2×2 determinant; a singular matrix gives all zeros).
 */
export function invertAffine(M: ArrayLike<number>): number[] {
  const [a, b, c, d, e, f] = [M[0]!, M[1]!, M[2]!, M[3]!, M[4]!, M[5]!];
  let D = a * e - b * d;
  D = D !== 0 ? 1 / D : 0;
  const A11 = e * D;
  const A22 = a * D;
  const A12 = -b * D;
  const A21 = -d * D;
  return [A11, A12, -A11 * c - A12 * f, A21, A22, -A21 * c - A22 * f];
}

/**
 * The inverse of a 3×3 matrix as `cv::invert` computes it for 3×3 doubles: the adjugate
 * times 1/det (the cofactor expansion along the first row); a singular matrix gives all zeros.
 */
export function invert3x3(M: ArrayLike<number>): number[] {
  const [a, b, c, d, e, f, g, h, i] = [M[0]!, M[1]!, M[2]!, M[3]!, M[4]!, M[5]!, M[6]!, M[7]!, M[8]!];
  let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (det === 0) return [0, 0, 0, 0, 0, 0, 0, 0, 0];
  det = 1 / det;
  return [
    (e * i - f * h) * det, (c * h - b * i) * det, (b * f - c * e) * det,
    (f * g - d * i) * det, (a * i - c * g) * det, (c * d - a * f) * det,
    (d * h - e * g) * det, (b * g - a * h) * det, (a * e - b * d) * det,
  ];
}

/**
 * `cv::warpAffine(src, M, (width, height), INTER_LINEAR, BORDER_CONSTANT, fill)`, byte for byte.
 * @param M forward 2×3 matrix, row-major (source → destination), as YOLOv5 passes `M[:2]`.
 * @param fill colour of destination pixels that map outside the source. Default 114 grey.
 * @param mirror write the result flipped left–right (the same bytes as flipping afterwards).
 */
export function warpAffine(src: RawImage, M: ArrayLike<number>, width: number, height: number, fill: Rgb = GREY, mirror = false): RawImage {
  checkSizes(src, width, height, 'warpAffine');
  checkMatrix(M, 6, 'warpAffine');
  const [a11, a12, b1, a21, a22, b2] = invertAffine(M) as [number, number, number, number, number, number];
  const [f0, f1, f2] = [fillByte(fill[0]), fillByte(fill[1]), fillByte(fill[2])];
  const k = kernels();
  const { srcPtr, dstPtr } = stageImage(src.data, width * height * 3);
  // per-column terms shared by every row, and per-row terms, rounded as OpenCV rounds them
  const colX = argInt32(0, width);
  const colY = argInt32(1, width);
  for (let x = 0; x < width; x++) {
    colX.view[x] = cvRound(a11 * x * AB_SCALE);
    colY.view[x] = cvRound(a21 * x * AB_SCALE);
  }
  const rowX = argInt32(2, height);
  const rowY = argInt32(3, height);
  for (let y = 0; y < height; y++) {
    rowX.view[y] = (cvRound((a12 * y + b1) * AB_SCALE) + ROUND_DELTA) | 0;
    rowY.view[y] = (cvRound((a22 * y + b2) * AB_SCALE) + ROUND_DELTA) | 0;
  }
  k.warpAffineRows(srcPtr, src.width, src.height, dstPtr, width, height, colX.ptr, colY.ptr, rowX.ptr, rowY.ptr, f0, f1, f2, mirror);
  return { data: takeOutput(dstPtr, width * height * 3), width, height };
}

/**
 * The width of the column blocks in which OpenCV's warpPerspective measures x: blocks hold
 * 32×32 = 1024 pixels and are at most 16 rows tall (64 columns on any image 16+ rows tall).
 * The block start enters the double arithmetic (`X0 = M0·x_block + M1·y + M2`, then
 * `X0 + M0·x_offset`), so a position that lands within an ulp of a rounding tie rounds as
 * OpenCV's does only with the same blocks (pinned by a test).
 */
export function perspectiveBlockWidth(width: number, height: number): number {
  const bh = Math.min(16, height);
  return Math.min(Math.floor(1024 / bh), width);
}

/**
 * `cv::warpPerspective(src, M, (width, height), INTER_LINEAR, BORDER_CONSTANT, fill)`, byte for byte.
 * @param M forward 3×3 matrix, row-major (source → destination).
 * @param fill colour of destination pixels that map outside the source. Default 114 grey.
 * @param mirror write the result flipped left–right (the same bytes as flipping afterwards).
 */
export function warpPerspective(src: RawImage, M: ArrayLike<number>, width: number, height: number, fill: Rgb = GREY, mirror = false): RawImage {
  checkSizes(src, width, height, 'warpPerspective');
  checkMatrix(M, 9, 'warpPerspective');
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = invert3x3(M) as [number, number, number, number, number, number, number, number, number];
  const bw = perspectiveBlockWidth(width, height);
  const [f0, f1, f2] = [fillByte(fill[0]), fillByte(fill[1]), fillByte(fill[2])];
  const k = kernels();
  const { srcPtr, dstPtr } = stageImage(src.data, width * height * 3);
  const xs = argInt32(0, width);
  const ys = argInt32(1, width);
  for (let y = 0; y < height; y++) {
    for (let xb = 0; xb < width; xb += bw) {
      const X0 = m0 * xb + m1 * y + m2;
      const Y0 = m3 * xb + m4 * y + m5;
      const W0 = m6 * xb + m7 * y + m8;
      const end = Math.min(bw, width - xb);
      for (let i = 0; i < end; i++) {
        let w = W0 + m6 * i;
        w = w !== 0 ? (1 << INTER_BITS) / w : 0;
        let fX = (X0 + m0 * i) * w;
        let fY = (Y0 + m3 * i) * w;
        fX = fX > INT_MAX ? INT_MAX : fX < INT_MIN ? INT_MIN : fX;
        fY = fY > INT_MAX ? INT_MAX : fY < INT_MIN ? INT_MIN : fY;
        // cvRound: half to even
        let X = (fX + ROUND_MAGIC - ROUND_MAGIC) | 0;
        let Y = (fY + ROUND_MAGIC - ROUND_MAGIC) | 0;
        // Positions beyond ±2^20 px are outside any image (OpenCV caps sizes at 32767);
        // clamping them keeps the shift to 10 fractional bits inside int32.
        X = X > POS_LIMIT ? POS_LIMIT : X < -POS_LIMIT ? -POS_LIMIT : X;
        Y = Y > POS_LIMIT ? POS_LIMIT : Y < -POS_LIMIT ? -POS_LIMIT : Y;
        xs.view[xb + i] = X << SHIFT;
        ys.view[xb + i] = Y << SHIFT;
      }
    }
    k.warpRow(srcPtr, src.width, src.height, dstPtr, width, y, xs.ptr, ys.ptr, f0, f1, f2, mirror);
  }
  return { data: takeOutput(dstPtr, width * height * 3), width, height };
}
