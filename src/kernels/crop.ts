/**
 * Crops and Darknet's jitter (SPEC §3): integer windows that may reach past the image
 * (the outside is filled), with the boxes shifted by the window's corner and, for
 * jitter, scaled with the resize. Each kernel is a pure function of already-drawn
 * parameters plus a {@link Kernel} that draws them from the `rng` it is given.
 */
import { roundHalfEven } from './round.ts';
import { channelSums } from './pixels.ts';
import type { Annotated, RawImage } from '../core/types.ts';
import type { Rng } from '../core/rng.ts';
import { sanitizeBoxes, type BoxFilterOptions } from './boxes.ts';
import { PAD_VALUE } from './letterbox.ts';
import { resizeBilinear } from './resize.ts';
import type { Kernel } from './transform.ts';

/** An RGB fill colour, or one value for all three channels. */
export type Fill = number | readonly [number, number, number];

/** An integer window on an image, in pixels; it may start at negative coordinates or run past the edge. */
export interface CropWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

function checkWindow(fn: string, x: number, y: number, w: number, h: number): void {
  if (!Number.isInteger(x) || !Number.isInteger(y) || !Number.isInteger(w) || !Number.isInteger(h)) {
    throw new RangeError(`${fn}: the window must be integer pixels, got x ${x}, y ${y}, ${w}×${h}`);
  }
  if (w < 1 || h < 1) throw new RangeError(`${fn}: the window must be at least 1×1, got ${w}×${h}`);
}

/**
 * The pixels of the window `(x, y, w, h)` of `src` as a new `w × h` image. The window may
 * extend past the image on any side (even miss it entirely): pixels outside the image
 * take `fill`. Integer window only, so this is a copy, never a resample.
 */
export function cropImage(src: RawImage, x: number, y: number, w: number, h: number, fill: Fill = PAD_VALUE): RawImage {
  checkWindow('cropImage', x, y, w, h);
  const { width: W, height: H } = src;
  const data = new Uint8Array(w * h * 3);
  // The part of the window that lies on the image, in source coordinates.
  const sx0 = Math.max(x, 0);
  const sy0 = Math.max(y, 0);
  const sx1 = Math.min(x + w, W);
  const sy1 = Math.min(y + h, H);
  const covered = sx0 === x && sy0 === y && sx1 === x + w && sy1 === y + h;
  if (!covered) {
    if (typeof fill === 'number') data.fill(fill);
    else if (fill[0] === fill[1] && fill[1] === fill[2]) data.fill(fill[0]);
    else {
      // Fill one row by pixels, then copy it: set() is a memcpy, a per-pixel loop over the whole canvas is not.
      const row = w * 3;
      for (let i = 0; i < row; i += 3) {
        data[i] = fill[0];
        data[i + 1] = fill[1];
        data[i + 2] = fill[2];
      }
      for (let r = 1; r < h; r++) data.copyWithin(r * row, 0, row);
    }
  }
  if (sx1 <= sx0 || sy1 <= sy0) return { data, width: w, height: h };
  const srcRow = W * 3;
  const dstRow = w * 3;
  const len = (sx1 - sx0) * 3;
  for (let sy = sy0; sy < sy1; sy++) {
    const from = sy * srcRow + sx0 * 3;
    data.set(src.data.subarray(from, from + len), (sy - y) * dstRow + (sx0 - x) * 3);
  }
  return { data, width: w, height: h };
}

/** Boxes moved by `(−dx, −dy)` into a new array: the box side of a crop whose corner is `(dx, dy)`. */
export function shiftBoxes(boxes: Float32Array, dx: number, dy: number): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = boxes[i]! - dx;
    out[i + 1] = boxes[i + 1]! - dy;
    out[i + 2] = boxes[i + 2]! - dx;
    out[i + 3] = boxes[i + 3]! - dy;
  }
  return out;
}

/**
 * Crop a sample to the integer window `win` (outside filled with `fill`): boxes shift by
 * `(−x, −y)`, are clipped to the window and filtered by SPEC §1 hygiene against the old
 * boxes with scale 1 (a crop does not zoom).
 */
export function cropKernel<T extends Annotated>(s: T, win: CropWindow, fill: Fill = PAD_VALUE, hygiene: BoxFilterOptions = {}): T {
  const image = cropImage(s.image, win.x, win.y, win.width, win.height, fill);
  const boxes = shiftBoxes(s.boxes, win.x, win.y);
  return sanitizeBoxes({ ...s, image, boxes }, s.boxes, { ...hygiene, scale: 1 });
}

// ---------------------------------------------------------------------------------------
// randomCrop

/** Options of the `randomCrop` kernel (validated by `randomCrop()` in src/transforms/random-crop.ts). */
export interface RandomCropKernelOptions extends BoxFilterOptions {
  width: number;
  height: number;
}

/**
 * Where a `width × height` window goes on a `W × H` image. Per axis: when the image is at
 * least as large as the window, the corner is a uniform integer in `[0, W − width]`;
 * when it is smaller, no draw, and the window is centred (corner `−⌊(width − W)/2⌋`, so
 * the image sits ⌊pad/2⌋ from the left/top and the extra pixel of an odd pad goes
 * right/bottom). Draws: x, then y, each only on an axis that needs one.
 */
export function randomCropWindow(W: number, H: number, width: number, height: number, rng: Rng): CropWindow {
  const x = W >= width ? rng.int(0, W - width) : -Math.floor((width - W) / 2);
  const y = H >= height ? rng.int(0, H - height) : -Math.floor((height - H) / 2);
  return { x, y, width, height };
}

/**
 * `randomCrop`: a window of exactly `width × height` at a uniformly random integer
 * position ({@link randomCropWindow}); where the image is smaller than the window the
 * image is centred and the rest is filled with grey 114 (YOLOv5's border value).
 */
export const randomCropKernel: Kernel<RandomCropKernelOptions> = (s, o, rng) => {
  const { width, height, ...hygiene } = o;
  return cropKernel(s, randomCropWindow(s.image.width, s.image.height, width, height, rng), PAD_VALUE, hygiene);
};

// ---------------------------------------------------------------------------------------
// bboxSafeCrop

/** Options of the `bboxSafeCrop` kernel (validated by `bboxSafeCrop()` in src/transforms/bbox-safe-crop.ts). */
export interface BboxSafeCropKernelOptions extends BoxFilterOptions {
  /** Shrink the box union by this fraction of its size on each side before placing the crop. Default 0. */
  erosionRate?: number;
  /** Every crop side is at least this fraction of the image's (rounded up to a pixel). Default: no bound. */
  minScale?: number;
}

/**
 * The union of all boxes, shrunk on each side by `erosionRate` × its width (height), then
 * rounded outward to integer pixels `[x1, x2) × [y1, y2)` inside the image, at least one
 * pixel each way. `null` when there are no boxes. Every box counts, ignore-flagged ones
 * included: they mark real objects, so cutting them would leave half-objects unlabelled.
 */
export function boxUnion(
  boxes: Float32Array, W: number, H: number, erosionRate = 0,
): { x1: number; y1: number; x2: number; y2: number } | null {
  if (boxes.length < 4) return null;
  let ux1 = Infinity, uy1 = Infinity, ux2 = -Infinity, uy2 = -Infinity;
  for (let i = 0; i < boxes.length; i += 4) {
    ux1 = Math.min(ux1, boxes[i]!);
    uy1 = Math.min(uy1, boxes[i + 1]!);
    ux2 = Math.max(ux2, boxes[i + 2]!);
    uy2 = Math.max(uy2, boxes[i + 3]!);
  }
  if (erosionRate > 0) {
    // Past erosion 0.5 the sides would cross: the union collapses to its centre.
    const ex = Math.min(erosionRate, 0.5) * (ux2 - ux1);
    const ey = Math.min(erosionRate, 0.5) * (uy2 - uy1);
    ux1 += ex;
    ux2 -= ex;
    uy1 += ey;
    uy2 -= ey;
  }
  const axis = (lo: number, hi: number, size: number): [number, number] => {
    let a = Math.min(Math.max(Math.floor(lo), 0), size);
    let b = Math.min(Math.max(Math.ceil(hi), 0), size);
    if (b < a) b = a;
    if (b === a) {
      if (b < size) b++;
      else a--;
    }
    return [a, b];
  };
  const [x1, x2] = axis(ux1, ux2, W);
  const [y1, y2] = axis(uy1, uy2, H);
  return { x1, y1, x2, y2 };
}

/**
 * The window of a bbox-safe crop on a `W × H` image with `boxes`.
 *
 * With boxes: `u` = {@link boxUnion}; x1 ~ int[0, u.x1], y1 ~ int[0, u.y1],
 * x2 ~ int[u.x2, W], y2 ~ int[u.y2, H] — four draws in that order — so with erosion 0
 * the window holds every box whole. With `minScale` m, the far side must also leave a
 * side of at least ⌈m·W⌉: x1 ~ int[0, min(u.x1, W − ⌈m·W⌉)], x2 ~ int[max(u.x2, x1 + ⌈m·W⌉), W].
 *
 * Without boxes: a window keeping the image's aspect ratio with sides at least
 * f = max(1 − erosionRate, minScale ?? 0) of the image's: h ~ int[⌈f·H⌉, H],
 * w = round(h·W/H) clamped to [⌈f·W⌉, W], then x ~ int[0, W − w], y ~ int[0, H − h] —
 * three draws in that order.
 */
export function bboxSafeCropWindow(
  W: number, H: number, boxes: Float32Array, erosionRate: number, minScale: number | undefined, rng: Rng,
): CropWindow {
  const u = boxUnion(boxes, W, H, erosionRate);
  const m = minScale ?? 0;
  if (u === null) {
    const f = Math.max(1 - erosionRate, m);
    const minW = Math.min(Math.max(Math.ceil(f * W - 1e-9), 1), W);
    const minH = Math.min(Math.max(Math.ceil(f * H - 1e-9), 1), H);
    const h = rng.int(minH, H);
    const w = Math.min(Math.max(Math.round((h * W) / H), minW), W);
    const x = rng.int(0, W - w);
    const y = rng.int(0, H - h);
    return { x, y, width: w, height: h };
  }
  const mw = Math.min(Math.ceil(m * W - 1e-9), W);
  const mh = Math.min(Math.ceil(m * H - 1e-9), H);
  const x1 = rng.int(0, Math.min(u.x1, W - mw));
  const y1 = rng.int(0, Math.min(u.y1, H - mh));
  const x2 = rng.int(Math.max(u.x2, x1 + mw), W);
  const y2 = rng.int(Math.max(u.y2, y1 + mh), H);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/**
 * `bboxSafeCrop` (albumentations `BBoxSafeRandomCrop`'s idea, in integer pixels): a
 * random crop that keeps every box whole ({@link bboxSafeCropWindow}). The output keeps
 * the crop's own size (no resize); boxes shift, and with erosion 0 none is cut. With
 * erosion > 0 boxes may be cut and SPEC §1 hygiene (scale 1) decides which stay.
 */
export const bboxSafeCropKernel: Kernel<BboxSafeCropKernelOptions> = (s, o, rng) => {
  const { erosionRate = 0, minScale, ...hygiene } = o;
  const win = bboxSafeCropWindow(s.image.width, s.image.height, s.boxes, erosionRate, minScale, rng);
  return cropKernel(s, win, PAD_VALUE, hygiene);
};

// ---------------------------------------------------------------------------------------
// jitter

/**
 * The image's mean colour as Darknet fills jitter padding with it: `cv::mean` (per-channel
 * sum × (1/N), the reciprocal first, as OpenCV does it — not sum / N, which rounds the
 * other way on some exact halves) then `saturate_cast<uchar>`, i.e. round half to even.
 */
export function meanColor(src: RawImage): [number, number, number] {
  const n = src.width * src.height;
  const inv = n > 0 ? 1 / n : 0;
  const [r, g, b] = channelSums(src);
  return [roundHalfEven(r * inv), roundHalfEven(g * inv), roundHalfEven(b * inv)];
}

/** How far each side of the image moves in Darknet's jitter; positive cuts in, negative pads out. */
export interface JitterOffsets {
  pleft: number;
  pright: number;
  ptop: number;
  pbot: number;
}

/**
 * Draw Darknet's jitter offsets for a `W × H` image: dw = trunc(W·j), dh = trunc(H·j);
 * four draws r ~ U[0,1) in the order pleft, pright, ptop, pbot, each offset
 * trunc(r·2d − d) (Darknet's `rand_precalc_random(−d, d, r)` cast to int).
 */
export function jitterOffsets(W: number, H: number, jitter: number, rng: Rng): JitterOffsets {
  const dw = Math.trunc(W * jitter);
  const dh = Math.trunc(H * jitter);
  // `+ 0`: trunc of a small negative gives −0, which would leak into the window's corner.
  const pleft = Math.trunc(rng.next() * 2 * dw - dw) + 0;
  const pright = Math.trunc(rng.next() * 2 * dw - dw) + 0;
  const ptop = Math.trunc(rng.next() * 2 * dh - dh) + 0;
  const pbot = Math.trunc(rng.next() * 2 * dh - dh) + 0;
  return { pleft, pright, ptop, pbot };
}

/**
 * Darknet's jitter on pixels (AlexeyAB `image_data_augmentation`, OpenCV build): the
 * window `(pleft, ptop, W − pleft − pright, H − ptop − pbot)`, its part outside the image
 * filled with {@link meanColor}, resized (OpenCV-exact bilinear) to `outW × outH`. When
 * the window is the whole image, just the resize (the mean is then never computed).
 */
export function jitterImage(src: RawImage, p: JitterOffsets, outW: number, outH: number): RawImage {
  const { width: W, height: H } = src;
  const sw = W - p.pleft - p.pright;
  const sh = H - p.ptop - p.pbot;
  if (!(sw >= 1 && sh >= 1)) throw new RangeError(`jitter: the window ${sw}×${sh} is empty (offsets ${JSON.stringify(p)} on ${W}×${H})`);
  if (p.pleft === 0 && p.ptop === 0 && sw === W && sh === H) return resizeBilinear(src, outW, outH);
  const inside = p.pleft >= 0 && p.ptop >= 0 && p.pright >= 0 && p.pbot >= 0;
  const window = cropImage(src, p.pleft, p.ptop, sw, sh, inside ? 0 : meanColor(src));
  return sw === outW && sh === outH ? window : resizeBilinear(window, outW, outH);
}

/**
 * Jitter a sample: {@link jitterImage} on the pixels; boxes shift by (−pleft, −ptop),
 * scale by (outW/sw, outH/sh), are clipped, and pass SPEC §1 hygiene with
 * scale = √((outW/sw)·(outH/sh)) — the area zoom, so a box the window leaves whole keeps a
 * visible fraction of exactly 1 despite the aspect change.
 */
export function jitterKernel<T extends Annotated>(
  s: T, p: JitterOffsets, outW: number, outH: number, hygiene: BoxFilterOptions = {},
): T {
  const { width: W, height: H } = s.image;
  const sw = W - p.pleft - p.pright;
  const sh = H - p.ptop - p.pbot;
  const image = jitterImage(s.image, p, outW, outH);
  const sx = outW / sw;
  const sy = outH / sh;
  const src = s.boxes;
  const boxes = new Float32Array(src.length);
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = (src[i]! - p.pleft) * sx;
    boxes[i + 1] = (src[i + 1]! - p.ptop) * sy;
    boxes[i + 2] = (src[i + 2]! - p.pleft) * sx;
    boxes[i + 3] = (src[i + 3]! - p.ptop) * sy;
  }
  return sanitizeBoxes({ ...s, image, boxes }, src, { ...hygiene, scale: Math.sqrt(sx * sy) });
}

/** Options of the `jitter` kernel (validated by `jitter()` in src/transforms/jitter.ts). */
export interface JitterKernelOptions extends BoxFilterOptions {
  /** Darknet `jitter`, in [0, 0.5). */
  jitter: number;
  /** Output size; default the input's. */
  width?: number;
  height?: number;
}

/**
 * `jitter`: Darknet's crop/pad jitter. Draws ({@link jitterOffsets}): pleft, pright, ptop,
 * pbot — four `rng.next()` — then {@link jitterKernel}.
 */
export const jitterKernelFromRng: Kernel<JitterKernelOptions> = (s, o, rng) => {
  const { jitter, width, height, ...hygiene } = o;
  const p = jitterOffsets(s.image.width, s.image.height, jitter, rng);
  return jitterKernel(s, p, width ?? s.image.width, height ?? s.image.height, hygiene);
};

/** The kernels of this file by registry name (the TransformSpec `name`s). */
export const cropKernels: Record<string, Kernel> = {
  randomCrop: randomCropKernel,
  bboxSafeCrop: bboxSafeCropKernel,
  jitter: jitterKernelFromRng,
};
