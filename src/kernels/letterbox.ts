/**
 * Letterbox (YOLOv5 `letterbox`, SPEC §3): resize keeping the aspect ratio, then pad
 * to the target with grey 114. Pure: pixels and boxes in, pixels and boxes out.
 */
import { roundHalfEven } from './round.ts';
import type { Annotated, RawImage } from '../core/types.ts';
import { resizeInto } from './resize.ts';

/** The geometry of a letterbox: scale, unpadded size and padding on each side. */
export interface LetterboxParams {
  ratio: number;
  /** Unpadded (resized) size. */
  width: number;
  height: number;
  padLeft: number;
  padTop: number;
  padRight: number;
  padBottom: number;
}

/** Options of {@link letterboxParams}. */
export interface LetterboxOptions {
  /** Allow enlarging a small image. Default true. */
  scaleUp?: boolean;
  /** Pad only to the next multiple of `stride` (minimum rectangle) instead of the full target. Default false. */
  auto?: boolean;
  /** Stride for `auto`. Default 32. */
  stride?: number;
}

/** The letterbox geometry from `from` to `to`, exactly as YOLOv5 computes it. */
export function letterboxParams(
  from: { width: number; height: number },
  to: { width: number; height: number },
  options: LetterboxOptions = {},
): LetterboxParams {
  const { scaleUp = true, auto = false, stride = 32 } = options;
  let ratio = Math.min(to.height / from.height, to.width / from.width);
  if (!scaleUp) ratio = Math.min(ratio, 1);
  // Python's round() is banker's rounding; YOLOv5 calls int(round(...)).
  const width = roundHalfEven(from.width * ratio);
  const height = roundHalfEven(from.height * ratio);
  let dw = to.width - width;
  let dh = to.height - height;
  if (auto) {
    dw = dw % stride;
    dh = dh % stride;
  }
  dw /= 2;
  dh /= 2;
  return {
    ratio,
    width,
    height,
    padTop: roundHalfEven(dh - 0.1),
    padBottom: roundHalfEven(dh + 0.1),
    padLeft: roundHalfEven(dw - 0.1),
    padRight: roundHalfEven(dw + 0.1),
  };
}


/** Fill value for padding (YOLOv5 uses 114 grey). */
export const PAD_VALUE = 114;

/** Place `src` at (left, top) on a new canvas of `width × height` filled with `fill`. */
export function padImage(src: RawImage, width: number, height: number, left: number, top: number, fill = PAD_VALUE): RawImage {
  const data = new Uint8Array(width * height * 3);
  data.fill(fill);
  const rowBytes = src.width * 3;
  for (let y = 0; y < src.height; y++) {
    const dy = y + top;
    if (dy < 0 || dy >= height) continue;
    data.set(src.data.subarray(y * rowBytes, (y + 1) * rowBytes), (dy * width + left) * 3);
  }
  return { data, width, height };
}

/**
 * Map boxes on an image of size `from` onto its letterboxed canvas. The scale is the
 * real resized/original size per axis, so boxes stay on the pixels they cover.
 */
export function letterboxBoxes(boxes: Float32Array, from: { width: number; height: number }, p: LetterboxParams): Float32Array {
  const sx = p.width / from.width;
  const sy = p.height / from.height;
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = boxes[i]! * sx + p.padLeft;
    out[i + 1] = boxes[i + 1]! * sy + p.padTop;
    out[i + 2] = boxes[i + 2]! * sx + p.padLeft;
    out[i + 3] = boxes[i + 3]! * sy + p.padTop;
  }
  return out;
}

/**
 * The size a sample is letterboxed to: `to` when it names one, else the sample's
 * `meta.shape` (set by `randomShapes()`: each batch has its own training shape, SPEC §6).
 */
export function letterboxTarget(s: object, to: { width?: number; height?: number }): { width: number; height: number } {
  if (typeof to.width === 'number' && typeof to.height === 'number') return { width: to.width, height: to.height };
  const shape = (s as { meta?: { shape?: { width?: unknown; height?: unknown } } }).meta?.shape;
  if (shape && typeof shape.width === 'number' && typeof shape.height === 'number') return { width: shape.width, height: shape.height };
  throw new Error('letterbox without a size needs meta.shape: put randomShapes() upstream, or pass a size');
}

/**
 * Letterbox a sample to `to` — or, when `to` has no width and height, to the sample's
 * `meta.shape` (see {@link letterboxTarget}); boxes are scaled and shifted with the pixels.
 */
export function letterboxKernel<T extends Annotated>(
  s: T,
  size: { width?: number; height?: number },
  options: LetterboxOptions = {},
): T & { letterbox: LetterboxParams } {
  const to = letterboxTarget(s, size);
  const p = letterboxParams(s.image, to, options);
  const width = p.width + p.padLeft + p.padRight;
  const height = p.height + p.padTop + p.padBottom;
  let image: RawImage;
  if (p.width === s.image.width && p.height === s.image.height) {
    image = padImage(s.image, width, height, p.padLeft, p.padTop);
  } else {
    // Resize straight into the padded canvas: one pass, no intermediate image.
    const data = new Uint8Array(width * height * 3).fill(PAD_VALUE);
    resizeInto(s.image, p.width, p.height, { data, canvasWidth: width, left: p.padLeft, top: p.padTop });
    image = { data, width, height };
  }
  const boxes = letterboxBoxes(s.boxes, s.image, p);
  return { ...s, image, boxes, letterbox: p };
}
