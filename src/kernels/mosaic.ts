/**
 * Mosaic (SPEC §5): four images in one training sample.
 *
 * - `yolov5` (default; YOLOv5 v7.0 `load_mosaic` + `load_image`): each image is resized so
 *   its long side is s (ratio r = s / max(h0, w0); size `(int(w0·r), int(h0·r))`, truncated,
 *   as v7.0 — later YOLOv5 masters use `math.ceil`, option `tileRounding: 'ceil'`; no resize
 *   when r = 1; OpenCV-exact INTER_LINEAR). The four meet at a centre (xc, yc) on a 2s×2s
 *   canvas of 114 in the order top-left, top-right, bottom-left, bottom-right
 *   ({@link mosaicPlacement}); boxes shift with their tile and are clipped to [0, 2s]
 *   ({@link mosaicCanvas}); then random perspective with border −s/2 brings the canvas to
 *   s×s and filters the boxes (SPEC §1, against the clipped canvas boxes × scale, as YOLOv5).
 * - `darknet` (AlexeyAB `load_data_detection` with `mosaic=1`): a cut point (cut_x, cut_y);
 *   each image is jittered (crop.ts's jitter) to the full output size, and the part of it
 *   next to the cut fills its quadrant ({@link darknetTileRect}); boxes are clipped to their
 *   quadrant (Darknet's `mosaic_bound=1`) and filtered (SPEC §1).
 *
 * Multi-image kernels are {@link MixKernel}s: they take the partners with the sample.
 */
import type { Rng } from '../core/rng.ts';
import type { Annotated, RawImage } from '../core/types.ts';
import { pickBoxFilterOptions, sanitizeBoxes, scaleBoxes, type BoxFilterOptions } from './boxes.ts';
import { jitterImage, jitterOffsets, type JitterOffsets } from './crop.ts';
import { drawPerspectiveParams, fillRgb, perspectiveKernel, type PerspectiveParams, type PerspectiveRanges } from './perspective.ts';
import { resizeBilinear } from './resize.ts';
import type { KernelSample, MixKernel } from './transform.ts';
import type { Rgb } from './warp.ts';
import { concatBoxes, mixMeta, mixupMixKernels } from './mixup.ts';
import { cutmixMixKernels } from './cutmix.ts';

export type { MixKernel };

// ---------------------------------------------------------------------------------------
// Output size

/**
 * The output size of a mix: `samples[0].meta.shape` when present (random training shapes
 * put the batch's shape there: a number for a square, or `{ width, height }`), else `size`,
 * else 640 (YOLOv5's default `img_size`).
 */
export function mixOutputSize(first: KernelSample, size?: number): { width: number; height: number } {
  const shape = first.meta?.shape as number | { width: number; height: number } | undefined;
  let width: number;
  let height: number;
  if (typeof shape === 'number') width = height = shape;
  else if (shape && typeof shape === 'object') ({ width, height } = shape);
  else width = height = size ?? 640;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`mosaic: the output size must be positive integers, got ${width}×${height} (from ${shape !== undefined ? 'meta.shape' : 'options.size'})`);
  }
  return { width, height };
}

// ---------------------------------------------------------------------------------------
// YOLOv5 form

/** How `load_image` rounds the resized size: `floor` = v7.0's `int()`, `ceil` = later masters' `math.ceil`. */
export type TileRounding = 'floor' | 'ceil';

/**
 * The size YOLOv5's `load_image` resizes a `w0 × h0` image to for output size `s`:
 * r = s / max(h0, w0) in float64, then `int(w0·r) × int(h0·r)` (or ceil), at least 1 px
 * (YOLOv5 would hand cv2 a 0 and fail). r = 1 keeps the size.
 */
export function mosaicTileSize(w0: number, h0: number, s: number, rounding: TileRounding = 'floor'): { width: number; height: number } {
  const r = s / Math.max(h0, w0);
  if (r === 1) return { width: w0, height: h0 };
  const round = rounding === 'ceil' ? Math.ceil : Math.floor;
  return { width: Math.max(1, round(w0 * r)), height: Math.max(1, round(h0 * r)) };
}

/**
 * One tile: the sample resized by {@link mosaicTileSize} (OpenCV-exact bilinear; untouched when
 * the size does not change), boxes scaled by (w/w0, h/h0) — YOLOv5 keeps labels normalised
 * to the original and multiplies by the resized size.
 */
export function mosaicTile<T extends Annotated>(s: T, size: number, rounding: TileRounding = 'floor'): T {
  const { width: w0, height: h0 } = s.image;
  const { width, height } = mosaicTileSize(w0, h0, size, rounding);
  if (width === w0 && height === h0) return s;
  const image = resizeBilinear(s.image, width, height);
  return { ...s, image, boxes: scaleBoxes(s.boxes, w0, h0, width, height) };
}

/**
 * Where tile k (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of size w×h goes on
 * the 2s×2s canvas with centre (xc, yc), exactly as YOLOv5's `load_mosaic`: canvas rectangle
 * `[x1a, x2a) × [y1a, y2a)` receives tile rectangle `[x1b, x2b) × [y1b, y2b)`; boxes shift by
 * (padw, padh) = (x1a − x1b, y1a − y1b). Each tile touches the centre with one corner; the part
 * beyond the canvas is cut.
 */
export interface MosaicPlacement {
  x1a: number; y1a: number; x2a: number; y2a: number;
  x1b: number; y1b: number; x2b: number; y2b: number;
  padw: number; padh: number;
}

/** The placement of tile k, see {@link MosaicPlacement}. */
export function mosaicPlacement(k: number, w: number, h: number, s: number, xc: number, yc: number): MosaicPlacement {
  const s2 = 2 * s;
  let x1a: number, y1a: number, x2a: number, y2a: number, x1b: number, y1b: number, x2b: number, y2b: number;
  if (k === 0) {
    x1a = Math.max(xc - w, 0); y1a = Math.max(yc - h, 0); x2a = xc; y2a = yc;
    x1b = w - (x2a - x1a); y1b = h - (y2a - y1a); x2b = w; y2b = h;
  } else if (k === 1) {
    x1a = xc; y1a = Math.max(yc - h, 0); x2a = Math.min(xc + w, s2); y2a = yc;
    x1b = 0; y1b = h - (y2a - y1a); x2b = Math.min(w, x2a - x1a); y2b = h;
  } else if (k === 2) {
    x1a = Math.max(xc - w, 0); y1a = yc; x2a = xc; y2a = Math.min(s2, yc + h);
    x1b = w - (x2a - x1a); y1b = 0; x2b = w; y2b = Math.min(y2a - y1a, h);
  } else if (k === 3) {
    x1a = xc; y1a = yc; x2a = Math.min(xc + w, s2); y2a = Math.min(s2, yc + h);
    x1b = 0; y1b = 0; x2b = Math.min(w, x2a - x1a); y2b = Math.min(y2a - y1a, h);
  } else {
    throw new RangeError(`mosaicPlacement: tile index must be 0..3, got ${k}`);
  }
  return { x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b, padw: x1a - x1b, padh: y1a - y1b };
}

/** A new `width × height` image filled with one colour. */
function filledImage(width: number, height: number, fill: Rgb): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  if (fill[0] === fill[1] && fill[1] === fill[2]) return data.fill(fill[0]);
  const row = width * 3;
  for (let i = 0; i < row; i += 3) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
  }
  for (let r = 1; r < height; r++) data.copyWithin(r * row, 0, row);
  return data;
}

/**
 * The YOLOv5 mosaic canvas: 2s×2s filled with `fill` (default 114), tiles (already resized,
 * their boxes in tile pixels) placed by {@link mosaicPlacement} in the order top-left,
 * top-right, bottom-left, bottom-right. Boxes of tile k shift by its (padw, padh), are
 * concatenated in tile order and clipped to [0, 2s]; none is dropped here (the perspective
 * step filters them, as YOLOv5).
 * @param xc centre column, an integer in [0, 2s]; `yc` likewise.
 */
export function mosaicCanvas(tiles: readonly Annotated[], s: number, xc: number, yc: number, fill: number | Rgb = 114): Annotated {
  if (tiles.length !== 4) throw new RangeError(`mosaicCanvas: needs 4 tiles, got ${tiles.length}`);
  if (!(Number.isInteger(s) && s >= 1)) throw new RangeError(`mosaicCanvas: s must be a positive integer, got ${s}`);
  for (const [name, v] of [['xc', xc], ['yc', yc]] as const) {
    if (!(Number.isInteger(v) && v >= 0 && v <= 2 * s)) throw new RangeError(`mosaicCanvas: ${name} must be an integer in [0, 2s] = [0, ${2 * s}], got ${v}`);
  }
  const s2 = 2 * s;
  const data = filledImage(s2, s2, fillRgb(fill));
  const parts = tiles.map((t, k) => {
    const { width: w, height: h, data: src } = t.image;
    const p = mosaicPlacement(k, w, h, s, xc, yc);
    const len = (p.x2a - p.x1a) * 3;
    if (len > 0) {
      for (let r = 0; r < p.y2a - p.y1a; r++) {
        const from = ((p.y1b + r) * w + p.x1b) * 3;
        data.set(src.subarray(from, from + len), ((p.y1a + r) * s2 + p.x1a) * 3);
      }
    }
    const boxes = new Float32Array(t.boxes.length);
    for (let i = 0; i < boxes.length; i += 4) {
      boxes[i] = Math.min(Math.max(t.boxes[i]! + p.padw, 0), s2);
      boxes[i + 1] = Math.min(Math.max(t.boxes[i + 1]! + p.padh, 0), s2);
      boxes[i + 2] = Math.min(Math.max(t.boxes[i + 2]! + p.padw, 0), s2);
      boxes[i + 3] = Math.min(Math.max(t.boxes[i + 3]! + p.padh, 0), s2);
    }
    return { ...t, boxes };
  });
  return { image: { data, width: s2, height: s2 }, ...concatBoxes(parts) };
}

/**
 * The range of the centre: YOLOv5 draws `int(random.uniform(-x, 2s + x))` with
 * x = `-s // 2` (Python floor division), i.e. U(⌈s/2⌉, 2s − ⌈s/2⌉), truncated.
 */
export function mosaicCentreRange(s: number): [number, number] {
  const b = Math.ceil(s / 2);
  return [b, 2 * s - b];
}

/** The drawn parameters of one YOLOv5 mosaic. */
export interface YoloMosaicParams {
  /** Centre column and row on the 2s canvas (integers). */
  xc: number;
  yc: number;
  /** `order[k]` = index into `samples` of the image in quadrant k (top-left, top-right, bottom-left, bottom-right). */
  order: readonly number[];
  /** The random perspective applied to the canvas. */
  perspective: PerspectiveParams;
}

/** Options of {@link mosaicYolo}. */
export interface YoloMosaicOptions extends BoxFilterOptions {
  /** Canvas and warp border colour. Default 114. */
  fill?: number | Rgb;
  /** Default `'floor'` (YOLOv5 v7.0). */
  tileRounding?: TileRounding;
  /** Warp with `warpPerspective` (YOLOv5: when the `perspective` hyperparameter is non-zero), else `warpAffine`. Default false. */
  perspective?: boolean;
}

/**
 * The YOLOv5 mosaic with its parameters drawn (the pure half of the `mosaic` kernel in its
 * default mode): tiles ({@link mosaicTile}) in `params.order`, the canvas
 * ({@link mosaicCanvas}), then `perspectiveKernel` with border −⌈s/2⌉ and an s×s output
 * (for even s exactly YOLOv5's `border=[-s//2, -s//2]`; for odd s YOLOv5's output would be
 * (s−1)×(s−1), ours is s×s). Metadata: `samples[0]`'s, with `mix: { kind: 'mosaic' }`.
 */
export function mosaicYolo<T extends KernelSample>(
  samples: readonly T[], s: number, params: YoloMosaicParams, options: YoloMosaicOptions = {},
): T {
  if (params.order.length !== 4) throw new RangeError(`mosaic: order must name 4 samples, got ${params.order.length}`);
  const tiles = params.order.map((i) => {
    const t = samples[i];
    if (!t) throw new RangeError(`mosaic: order names sample ${i}, but only ${samples.length} were given`);
    return mosaicTile(t, s, options.tileRounding);
  });
  const canvas = mosaicCanvas(tiles, s, params.xc, params.yc, options.fill);
  const b = -Math.ceil(s / 2);
  const { tileRounding: _r, ...apply } = options;
  const out = perspectiveKernel(canvas, params.perspective, { ...apply, border: [b, b], width: s, height: s }) as KernelSample;
  const meta = mixMeta(samples[0]!.meta, { kind: 'mosaic' });
  return (meta ? { ...samples[0]!, ...out, meta } : { ...samples[0]!, ...out }) as T;
}

/**
 * Draw a YOLOv5 mosaic, in YOLOv5's order: yc then xc (`rng.uniform` over
 * {@link mosaicCentreRange}, truncated), then the quadrant order (`rng.shuffle` of [0,1,2,3],
 * 3 draws, when `shuffle`; YOLOv5 shuffles the sample among its partners), then the
 * perspective parameters (8 draws, `drawPerspectiveParams`).
 */
export function drawYoloMosaicParams(rng: Rng, s: number, o: PerspectiveRanges & { shuffle?: boolean } = {}): YoloMosaicParams {
  const [lo, hi] = mosaicCentreRange(s);
  const yc = Math.trunc(rng.uniform(lo, hi));
  const xc = Math.trunc(rng.uniform(lo, hi));
  const order = [0, 1, 2, 3];
  if (o.shuffle !== false) rng.shuffle(order);
  return { xc, yc, order, perspective: drawPerspectiveParams(rng, o) };
}

// ---------------------------------------------------------------------------------------
// Darknet form

/**
 * The inclusive range of Darknet's cut point along a side of L pixels:
 * `rand_int(L·min_offset, L·(1 − min_offset))` with min_offset a C float (0.2f) and the
 * products in float, truncated to int by the call (608 → [121, 486]).
 */
export function darknetCutRange(L: number, minOffset = 0.2): [number, number] {
  const m = Math.fround(minOffset);
  const lo = Math.trunc(Math.fround(L * m));
  const hi = Math.trunc(Math.fround(L * Math.fround(1 - m)));
  return lo <= hi ? [lo, hi] : [hi, lo];
}

/**
 * Darknet's "move each 2nd image to the corner" (without flip): the jitter of the sides away
 * from the cut moves to the sides next to it — top-left: right += left, left = 0, bottom += top,
 * top = 0; top-right: left += right, bottom += top; bottom-left: right += left, top += bottom;
 * bottom-right: left += right, top += bottom. The window's size is unchanged.
 */
export function toCornerOffsets(k: number, p: JitterOffsets): JitterOffsets {
  let { pleft, pright, ptop, pbot } = p;
  if (k === 0 || k === 2) { pright += pleft; pleft = 0; } else { pleft += pright; pright = 0; }
  if (k === 0 || k === 1) { pbot += ptop; ptop = 0; } else { ptop += pbot; pbot = 0; }
  return { pleft, pright, ptop, pbot };
}

/** Where a Darknet mosaic tile comes from (on its jittered W×H image) and goes (on the output). */
export interface DarknetTileRect {
  srcX: number;
  srcY: number;
  dstX: number;
  dstY: number;
  width: number;
  height: number;
}

/**
 * Darknet's placement of tile k (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of a
 * W×H mosaic cut at (cutX, cutY), for an `ow × oh` source jittered by `p`. The shifts skip the
 * padding the jitter added on the sides next to the cut, in C integer arithmetic:
 * left = min(cutX, max(0, trunc(−pleft·W/ow))), right = min(W − cutX, max(0, trunc(−pright·W/ow)))
 * (top and bottom likewise); the tile reads the jittered image at column W − cutX − right
 * (left tiles) or left (right tiles), and row H − cutY − bottom (top tiles) or top.
 */
export function darknetTileRect(
  k: number, W: number, H: number, cutX: number, cutY: number, p: JitterOffsets, ow: number, oh: number,
): DarknetTileRect {
  const left = Math.min(cutX, Math.max(0, Math.trunc((-p.pleft * W) / ow)));
  const top = Math.min(cutY, Math.max(0, Math.trunc((-p.ptop * H) / oh)));
  const right = Math.min(W - cutX, Math.max(0, Math.trunc((-p.pright * W) / ow)));
  const bot = Math.min(H - cutY, Math.max(0, Math.trunc((-p.pbot * H) / oh)));
  const isLeft = k === 0 || k === 2;
  const isTop = k === 0 || k === 1;
  if (!(k >= 0 && k <= 3 && Number.isInteger(k))) throw new RangeError(`darknetTileRect: tile index must be 0..3, got ${k}`);
  return {
    srcX: isLeft ? W - cutX - right : left,
    srcY: isTop ? H - cutY - bot : top,
    dstX: isLeft ? 0 : cutX,
    dstY: isTop ? 0 : cutY,
    width: isLeft ? cutX : W - cutX,
    height: isTop ? cutY : H - cutY,
  };
}

/** The drawn parameters of one Darknet mosaic. */
export interface DarknetMosaicParams {
  cutX: number;
  cutY: number;
  /** `order[k]` = index into `samples` of the image in quadrant k. */
  order: readonly number[];
  /** Per quadrant k, the jitter offsets of its image (after the corner move, when it happened). */
  offsets: readonly JitterOffsets[];
}

/**
 * The Darknet mosaic with its parameters drawn (the pure half of the `mosaic` kernel in
 * `darknet` mode). Tile k: `jitterImage` of `samples[order[k]]` to W×H (crop/pad, mean-colour
 * padding, OpenCV-exact resize), its {@link darknetTileRect} copied into the output. Boxes:
 * (x − pleft)·W/sw + dstX − srcX (y likewise), clipped to the tile's quadrant, filtered by SPEC §1
 * against the source boxes with scale √(sx·sy) (the jitter's zoom, as `jitterKernel`), tile
 * after tile. Darknet's own defaults differ in two details, both documented choices here:
 * with `mosaic_bound=0` (its default) boxes are not clipped to their quadrant, and Darknet
 * truncates box sides to whole pixels; here boxes are clipped (SPEC §5) and stay float.
 */
export function mosaicDarknet<T extends KernelSample>(
  samples: readonly T[], W: number, H: number, params: DarknetMosaicParams, hygiene: BoxFilterOptions = {},
): T {
  if (params.order.length !== 4 || params.offsets.length !== 4) throw new RangeError('mosaic: order and offsets must have 4 entries');
  const { cutX, cutY } = params;
  if (!(Number.isInteger(cutX) && Number.isInteger(cutY) && cutX >= 0 && cutX <= W && cutY >= 0 && cutY <= H)) {
    throw new RangeError(`mosaic: the cut point must be integers in [0, ${W}]×[0, ${H}], got (${cutX}, ${cutY})`);
  }
  const data = new Uint8Array(W * H * 3);
  const image: RawImage = { data, width: W, height: H };
  const row = W * 3;
  const parts = params.order.map((i, k) => {
    const src = samples[i];
    if (!src) throw new RangeError(`mosaic: order names sample ${i}, but only ${samples.length} were given`);
    const p = params.offsets[k]!;
    const { width: ow, height: oh } = src.image;
    const t = darknetTileRect(k, W, H, cutX, cutY, p, ow, oh);
    if (t.width > 0 && t.height > 0) {
      const ai = jitterImage(src.image, p, W, H);
      for (let r = 0; r < t.height; r++) {
        const from = (t.srcY + r) * row + t.srcX * 3;
        data.set(ai.data.subarray(from, from + t.width * 3), (t.dstY + r) * row + t.dstX * 3);
      }
    }
    const sw = ow - p.pleft - p.pright;
    const sh = oh - p.ptop - p.pbot;
    const sx = W / sw;
    const sy = H / sh;
    const dx = t.dstX - t.srcX;
    const dy = t.dstY - t.srcY;
    const x0 = t.dstX, x1 = t.dstX + t.width, y0 = t.dstY, y1 = t.dstY + t.height;
    const b = src.boxes;
    const boxes = new Float32Array(b.length);
    for (let j = 0; j < b.length; j += 4) {
      boxes[j] = Math.min(Math.max((b[j]! - p.pleft) * sx + dx, x0), x1);
      boxes[j + 1] = Math.min(Math.max((b[j + 1]! - p.ptop) * sy + dy, y0), y1);
      boxes[j + 2] = Math.min(Math.max((b[j + 2]! - p.pleft) * sx + dx, x0), x1);
      boxes[j + 3] = Math.min(Math.max((b[j + 3]! - p.ptop) * sy + dy, y0), y1);
    }
    return sanitizeBoxes({ ...src, image, boxes }, b, { ...hygiene, scale: Math.sqrt(sx * sy) });
  });
  const out = { ...samples[0]!, image, ...concatBoxes(parts) } as T;
  const meta = mixMeta(samples[0]!.meta, { kind: 'mosaic' });
  if (meta) out.meta = meta;
  return out;
}

/**
 * Draw a Darknet mosaic: cutX then cutY (`rng.int` over {@link darknetCutRange}), the
 * quadrant order (`rng.shuffle`, 3 draws, when `shuffle`), then per quadrant k = 0..3 the
 * jitter offsets of its image (`jitterOffsets`, 4 draws) and the corner coin (`rng.next() < 0.5`,
 * Darknet's `random_gen() % 2 == 0`; drawn even when `toCorner` is false, so the stream keeps
 * its shape).
 */
export function drawDarknetMosaicParams(
  rng: Rng, samples: readonly KernelSample[], W: number, H: number,
  o: { jitter?: number; minOffset?: number; toCorner?: boolean; shuffle?: boolean } = {},
): DarknetMosaicParams {
  const [xlo, xhi] = darknetCutRange(W, o.minOffset);
  const [ylo, yhi] = darknetCutRange(H, o.minOffset);
  const cutX = rng.int(xlo, xhi);
  const cutY = rng.int(ylo, yhi);
  const order = [0, 1, 2, 3];
  if (o.shuffle !== false) rng.shuffle(order);
  const jitter = o.jitter ?? 0.3;
  const offsets = order.map((i, k) => {
    const img = samples[i]!.image;
    const p = jitterOffsets(img.width, img.height, jitter, rng);
    const corner = rng.next() < 0.5;
    return corner && o.toCorner !== false ? toCornerOffsets(k, p) : p;
  });
  return { cutX, cutY, order, offsets };
}

// ---------------------------------------------------------------------------------------
// The kernel

/** Options of the `mosaic` kernel. */
export interface MosaicKernelOptions extends PerspectiveRanges, BoxFilterOptions {
  /** Default `'yolov5'`. */
  mode?: 'yolov5' | 'darknet';
  /** Output side s; `samples[0].meta.shape` overrides it ({@link mixOutputSize}). Default 640. */
  size?: number;
  /** Put the sample in a random quadrant (YOLOv5 shuffles it among its partners). Default true. */
  shuffle?: boolean;
  /** yolov5: canvas and warp border colour. Default 114. */
  fill?: number | Rgb;
  /** yolov5: `load_image`'s rounding. Default `'floor'` (v7.0). */
  tileRounding?: TileRounding;
  /** darknet: jitter of each tile (Darknet `jitter`). Default 0.3. */
  jitter?: number;
  /** darknet: the cut point stays this fraction away from the sides. Default 0.2. */
  minOffset?: number;
  /** darknet: "move each 2nd image to the corner" with p 0.5 per tile. Default true. */
  toCorner?: boolean;
}

/**
 * The `mosaic` kernel: `samples[0]` and three partners (4 samples, any sizes). Output side
 * from {@link mixOutputSize}. Draws: {@link drawYoloMosaicParams} (yolov5, the perspective
 * ranges default to YOLOv5's translate 0.1, scale 0.5) or {@link drawDarknetMosaicParams}.
 * YOLOv5 mode needs a square output.
 */
export const mosaicKernel: MixKernel<MosaicKernelOptions> = (samples, o, rng) => {
  if (samples.length < 4) throw new RangeError(`mosaic needs 4 samples (the sample and 3 partners), got ${samples.length}`);
  const { width, height } = mixOutputSize(samples[0]!, o.size);
  const hygiene = pickBoxFilterOptions(o);
  if (o.mode === 'darknet') {
    return mosaicDarknet(samples, width, height, drawDarknetMosaicParams(rng, samples, width, height, o), hygiene);
  }
  if (width !== height) {
    throw new RangeError(`mosaic: the yolov5 mosaic is square, but the output shape is ${width}×${height}; use square training shapes or mode 'darknet'`);
  }
  const params = drawYoloMosaicParams(rng, width, o);
  return mosaicYolo(samples, width, params, {
    ...hygiene, fill: o.fill, tileRounding: o.tileRounding, perspective: (o.perspective ?? 0) !== 0,
  });
};

/** Registry entries of this file (multi-sample kernels). */
export const mosaicMixKernels: Record<string, MixKernel> = {
  mosaic: mosaicKernel,
};

/** Every multi-sample kernel by registry name: `mosaic`, `mixup`, `cutmix`. */
export const mixKernels: Record<string, MixKernel> = {
  ...mosaicMixKernels,
  ...mixupMixKernels,
  ...cutmixMixKernels,
};

/** How many samples each multi-sample kernel takes (the sample itself and its partners). */
export const mixArity: Record<string, number> = {
  mosaic: 4,
  mixup: 2,
  cutmix: 2,
};
