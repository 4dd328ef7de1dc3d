/**
 * Bilinear resize of 8-bit RGB with OpenCV's INTER_LINEAR conventions (half-pixel
 * centres, edge clamping, 11-bit fixed-point weights), which YOLOv5 uses for letterbox
 * and load_image. Separable; each source row is interpolated horizontally once, and
 * the result may be written straight into a larger canvas (letterbox padding).
 *
 * The axis maps (float32 coordinates, clamping, weights) are computed here; the pixel
 * loops run in WebAssembly (assembly/kernels.ts `resizeLinear`) with the same integer
 * arithmetic, so the bytes are those of the former TypeScript loops (test/resize-wasm.test.ts).
 */
import { roundHalfEven } from './round.ts';
import type { RawImage } from '../core/types.ts';
import { kernels, stageImage } from '../wasm/index.ts';

const BITS = 11;
const ONE = 1 << BITS;


/**
 * Per output index d, written to `map[at + 4d ..]`: the offsets of the two source
 * neighbours (clamped at the edge, so never past the row) and their weights, computed as
 * OpenCV's `resize` does: scale = 1/(dst/src) in double, the source coordinate rounded to
 * float32, weights `saturate_cast<short>(w·2048)`. Only the horizontal axis zeroes the
 * weight at the edges (`clampEdges`); vertically OpenCV keeps the fraction and clamps only
 * the row index. Interleaved so that the module reads one entry from one cache line.
 */
function axisMap(src: number, dst: number, channels: number, clampEdges: boolean, map: Int32Array, at: number): void {
  const scale = 1 / (dst / src);
  for (let d = 0, m = at; d < dst; d++, m += 4) {
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
    map[m] = Math.min(Math.max(i, 0), src - 1) * channels;
    map[m + 1] = Math.min(Math.max(i + 1, 0), src - 1) * channels;
    map[m + 2] = roundHalfEven(Math.fround(Math.fround(1 - f) * ONE));
    map[m + 3] = roundHalfEven(Math.fround(f * ONE));
  }
}

/** Where {@link resizeInto} writes: a canvas and the top-left corner of the resized image on it. */
export interface ResizeTarget {
  data: Uint8Array;
  /** Canvas width in pixels. */
  canvasWidth: number;
  left: number;
  top: number;
}

/** Output sides must be positive integers (typed-array lengths, loop bounds in the module). */
function checkSize(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`resize: bad target size ${width}×${height}; pass positive integers`);
  }
}

/**
 * Resize `src` in the module's memory (the target size already checked); returns the
 * packed result (`width·3` bytes a row), a view valid until the next call into the module.
 */
function resizeStaged(src: RawImage, width: number, height: number): Uint8Array {
  const sw = src.width;
  const sh = src.height;
  const srcBytes = sw * sh * 3;
  if (!(Number.isInteger(sw) && Number.isInteger(sh) && sw >= 1 && sh >= 1) || src.data.length < srcBytes) {
    throw new RangeError(`resize: bad source image ${sw}×${sh} with ${src.data.length} bytes`);
  }
  const rowLen = width * 3;
  const outBytes = rowLen * height;
  // scratch: x map, y map (4 i32 per entry), two horizontally interpolated rows (u32)
  const xBytes = width * 16;
  const yBytes = height * 16;
  const rowBytes = Math.ceil((rowLen * 4) / 8) * 8;
  const { srcPtr, dstPtr, scratchPtr } = stageImage(src.data.subarray(0, srcBytes), outBytes, xBytes + yBytes + 2 * rowBytes);
  const k = kernels();
  const maps = new Int32Array(k.memory.buffer, scratchPtr, (xBytes + yBytes) / 4);
  axisMap(sw, width, 3, true, maps, 0);
  axisMap(sh, height, 1, false, maps, width * 4);
  const ymap = scratchPtr + xBytes;
  const bufA = ymap + yBytes;
  k.resizeLinear(srcPtr, sw * 3, dstPtr, width, height, scratchPtr, ymap, bufA, bufA + rowBytes);
  return new Uint8Array(k.memory.buffer, dstPtr, outBytes);
}

/**
 * Resize `src` to `width × height` and write it into `target` at (left, top); the rest of
 * the canvas is left as it is. The module resizes into its own memory and the rows are
 * copied into the canvas once: staging the canvas instead would copy all of it in and
 * out, where this copies only the resized region, once.
 */
export function resizeInto(src: RawImage, width: number, height: number, target: ResizeTarget): void {
  checkSize(width, height);
  const { data, canvasWidth, left, top } = target;
  const canvasRow = canvasWidth * 3;
  const rowLen = width * 3;
  if (
    !(Number.isInteger(left) && Number.isInteger(top) && left >= 0 && top >= 0 && left + width <= canvasWidth) ||
    (top + height - 1) * canvasRow + (left + width) * 3 > data.length
  ) {
    throw new RangeError(
      `resize: a ${width}×${height} image at (${left}, ${top}) lies outside the canvas ` +
      `${canvasWidth}×${Math.floor(data.length / Math.max(canvasRow, 1))}; pass a corner that keeps it inside`,
    );
  }
  const out = resizeStaged(src, width, height);
  if (left === 0 && canvasRow === rowLen) {
    data.set(out, top * canvasRow);
  } else {
    for (let y = 0, o = top * canvasRow + left * 3; y < height; y++, o += canvasRow) {
      data.set(out.subarray(y * rowLen, (y + 1) * rowLen), o);
    }
  }
}

/** Resize `src` to `width × height` (bilinear, OpenCV INTER_LINEAR semantics). */
export function resizeBilinear(src: RawImage, width: number, height: number): RawImage {
  checkSize(width, height);
  return { data: resizeStaged(src, width, height).slice(), width, height };
}
