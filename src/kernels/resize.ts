/**
 * Bilinear resize of 8-bit RGB with OpenCV's INTER_LINEAR conventions (half-pixel
 * centres, edge clamping, 11-bit fixed-point weights), which YOLOv5 uses for letterbox
 * and load_image. Separable; each source row is interpolated horizontally once, and
 * the result may be written straight into a larger canvas (letterbox padding).
 */
import type { RawImage } from '../core/types.ts';

const BITS = 11;
const ONE = 1 << BITS;

/** cvRound as `saturate_cast<short>(float)` does it: halves go to the even neighbour (x ≥ 0 here). */
function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Per output index: the offsets of the two source neighbours (clamped at the edge, so
 * never past the row) and their weights, computed as OpenCV's `resize` does: scale =
 * 1/(dst/src) in double, the source coordinate rounded to float32, weights
 * `saturate_cast<short>(w·2048)`. Only the horizontal axis zeroes the weight at the edges
 * (`clampEdges`); vertically OpenCV keeps the fraction and clamps only the row index.
 */
function axisMap(
  src: number, dst: number, channels: number, clampEdges: boolean,
): { offset: Int32Array; next: Int32Array; weight0: Int32Array; weight: Int32Array } {
  const scale = 1 / (dst / src);
  const offset = new Int32Array(dst);
  const next = new Int32Array(dst);
  const weight0 = new Int32Array(dst);
  const weight = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let i = Math.floor(f);
    f = Math.fround(f - i);
    if (clampEdges) {
      if (i < 0) {
        i = 0;
        f = 0;
      }
      if (i >= src - 1) {
        i = src - 1;
        f = 0;
      }
    }
    offset[d] = Math.min(Math.max(i, 0), src - 1) * channels;
    next[d] = Math.min(Math.max(i + 1, 0), src - 1) * channels;
    weight0[d] = roundEven(Math.fround(Math.fround(1 - f) * ONE));
    weight[d] = roundEven(Math.fround(f * ONE));
  }
  return { offset, next, weight0, weight };
}

/** Where {@link resizeInto} writes: a canvas and the top-left corner of the resized image on it. */
export interface ResizeTarget {
  data: Uint8Array;
  /** Canvas width in pixels. */
  canvasWidth: number;
  left: number;
  top: number;
}

/** Resize `src` to `width × height` and write it into `target` at (left, top). */
export function resizeInto(src: RawImage, width: number, height: number, target: ResizeTarget): void {
  if (!(width >= 1 && height >= 1)) throw new RangeError(`resize: bad target size ${width}×${height}`);
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const xm = axisMap(sw, width, 3, true);
  const ym = axisMap(sh, height, 1, false);
  const xOff = xm.offset;
  const xNext = xm.next;
  const xW0 = xm.weight0;
  const xW = xm.weight;
  const rowLen = width * 3;
  const srcRow = sw * 3;
  let rowA = new Int32Array(rowLen);
  let rowB = new Int32Array(rowLen);
  let aIndex = -1;
  let bIndex = -1;

  const horizontal = (y: number, out: Int32Array): void => {
    const base = y * srcRow;
    for (let x = 0, o = 0; x < width; x++, o += 3) {
      const a = xW[x]!;
      const p = base + xOff[x]!;
      const q = base + xNext[x]!;
      const b = xW0[x]!;
      out[o] = s[p]! * b + s[q]! * a;
      out[o + 1] = s[p + 1]! * b + s[q + 1]! * a;
      out[o + 2] = s[p + 2]! * b + s[q + 2]! * a;
    }
  };

  const d = target.data;
  const canvasRow = target.canvasWidth * 3;
  for (let y = 0; y < height; y++) {
    const y0 = ym.offset[y]!;
    const y1 = ym.next[y]!;
    if (aIndex !== y0) {
      if (bIndex === y0) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        aIndex = y0;
        bIndex = -1;
      } else {
        horizontal(y0, rowA);
        aIndex = y0;
      }
    }
    if (bIndex !== y1) {
      if (y1 === y0) {
        rowB.set(rowA);
      } else {
        horizontal(y1, rowB);
      }
      bIndex = y1;
    }
    const wa = ym.weight0[y]!;
    const wb = ym.weight[y]!;
    const o = (y + target.top) * canvasRow + target.left * 3;
    // OpenCV's VResizeLinear<uchar, int, short, FixedPtCast<int, uchar, 22>> (scalar and SIMD alike):
    // each term drops 4 bits, multiplies by its 11-bit weight and keeps the high 16 bits; then (sum + 2) >> 2.
    for (let i = 0; i < rowLen; i++) {
      const v = (((wa * (rowA[i]! >> 4)) >> 16) + ((wb * (rowB[i]! >> 4)) >> 16) + 2) >> 2;
      d[o + i] = v > 255 ? 255 : v;
    }
  }
}

/** Resize `src` to `width × height` (bilinear, OpenCV INTER_LINEAR semantics). */
export function resizeBilinear(src: RawImage, width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  resizeInto(src, width, height, { data, canvasWidth: width, left: 0, top: 0 });
  return { data, width, height };
}
