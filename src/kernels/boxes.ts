/**
 * Box formats, clipping and the hygiene rule of SPEC §1 (YOLOv5 `box_candidates`,
 * with albumentations-style options). Pure functions, no pixels.
 */
import type { Annotated } from '../core/types.ts';

/** Box formats at the edges of the pipeline (SPEC §0). */
export type BoxFormat = 'yolo' | 'coco' | 'voc';

/**
 * Convert boxes between `yolo` (cx,cy,w,h normalised), `coco` (x,y,w,h pixels) and
 * `voc` (x1,y1,x2,y2 pixels) on an image of the given size.
 * @example convertBoxes([[0.5,0.5,0.2,0.4]], 'yolo', 'voc', {width:640,height:480}) // [[256,144,384,336]]
 */
export function convertBoxes(
  boxes: number[][],
  from: BoxFormat,
  to: BoxFormat,
  size: { width: number; height: number },
): number[][] {
  const { width: W, height: H } = size;
  return boxes.map((b) => {
    if (b.length !== 4) throw new TypeError(`convertBoxes: each box needs 4 numbers, got ${b.length}`);
    const [p, q, r, s] = b as [number, number, number, number];
    let x1: number, y1: number, x2: number, y2: number;
    if (from === 'yolo') [x1, y1, x2, y2] = [(p - r / 2) * W, (q - s / 2) * H, (p + r / 2) * W, (q + s / 2) * H];
    else if (from === 'coco') [x1, y1, x2, y2] = [p, q, p + r, q + s];
    else [x1, y1, x2, y2] = [p, q, r, s];
    if (to === 'voc') return [x1, y1, x2, y2];
    if (to === 'coco') return [x1, y1, x2 - x1, y2 - y1];
    return [(x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (x2 - x1) / W, (y2 - y1) / H];
  });
}

/** Options of the hygiene rule. Defaults are YOLOv5's `box_candidates`. */
export interface BoxFilterOptions {
  /** Minimum width and height in pixels (exclusive). Default 2. */
  whThr?: number;
  /** Maximum aspect ratio max(w/h, h/w) (exclusive). Default 100. */
  arThr?: number;
  /** Minimum new area / (old area × scale²) (exclusive). Default 0.1. */
  areaThr?: number;
  /** albumentations `min_area`: minimum area in pixels² (inclusive). Default 0. */
  minArea?: number;
  /** albumentations `min_visibility`: minimum new area / (old area × scale²) (inclusive). Default 0. */
  minVisibility?: number;
  /** albumentations `min_width`, pixels (inclusive). Default 0. */
  minWidth?: number;
  /** albumentations `min_height`, pixels (inclusive). Default 0. */
  minHeight?: number;
}

/** The names of {@link BoxFilterOptions}, for picking them out of a larger options object. */
export const BOX_FILTER_KEYS = ['whThr', 'arThr', 'areaThr', 'minArea', 'minVisibility', 'minWidth', 'minHeight'] as const;

/** The box-filter options set in `o` (undefined ones left out). */
export function pickBoxFilterOptions(o: BoxFilterOptions): BoxFilterOptions {
  const out: BoxFilterOptions = {};
  for (const k of BOX_FILTER_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const EPS = 1e-16;

function keepBox(
  w1: number, h1: number, w2: number, h2: number, scale: number, o: BoxFilterOptions,
): boolean {
  const whThr = o.whThr ?? 2;
  const arThr = o.arThr ?? 100;
  const areaThr = o.areaThr ?? 0.1;
  const ar = Math.max(w2 / (h2 + EPS), h2 / (w2 + EPS));
  const visible = (w2 * h2) / (w1 * h1 * scale * scale + EPS);
  return (
    w2 > whThr && h2 > whThr && visible > areaThr && ar < arThr &&
    w2 * h2 >= (o.minArea ?? 0) && visible >= (o.minVisibility ?? 0) &&
    w2 >= (o.minWidth ?? 0) && h2 >= (o.minHeight ?? 0)
  );
}

/**
 * YOLOv5 `box_candidates`: which boxes survive a geometric change (SPEC §1).
 * `before` and `after` are voc boxes; `after` should already be clipped.
 */
export function boxCandidates(
  before: number[][],
  after: number[][],
  options: BoxFilterOptions & { scale?: number } = {},
): boolean[] {
  if (before.length !== after.length) throw new TypeError('boxCandidates: before and after must have the same length');
  return before.map((b, i) => {
    const a = after[i]!;
    return keepBox(b[2]! - b[0]!, b[3]! - b[1]!, a[2]! - a[0]!, a[3]! - a[1]!, options.scale ?? 1, options);
  });
}

/**
 * n×4 voc boxes of a `fromWidth × fromHeight` image on the same image resized to
 * `toWidth × toHeight`: each coordinate `(c / from) · to`, as YOLOv5 scales labels it
 * keeps normalised. Returns a new array.
 */
export function scaleBoxes(boxes: Float32Array, fromWidth: number, fromHeight: number, toWidth: number, toHeight: number): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = (boxes[i]! / fromWidth) * toWidth;
    out[i + 1] = (boxes[i + 1]! / fromHeight) * toHeight;
    out[i + 2] = (boxes[i + 2]! / fromWidth) * toWidth;
    out[i + 3] = (boxes[i + 3]! / fromHeight) * toHeight;
  }
  return out;
}

/** Clip n×4 voc boxes to `[0,W]×[0,H]` in place. */
export function clipBoxes(boxes: Float32Array, width: number, height: number): Float32Array {
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = Math.min(Math.max(boxes[i]!, 0), width);
    boxes[i + 1] = Math.min(Math.max(boxes[i + 1]!, 0), height);
    boxes[i + 2] = Math.min(Math.max(boxes[i + 2]!, 0), width);
    boxes[i + 3] = Math.min(Math.max(boxes[i + 3]!, 0), height);
  }
  return boxes;
}

/** Keep the boxes (and their per-box arrays) whose `keep[i]` is true. */
export function selectBoxes<T extends Pick<Annotated, 'boxes' | 'classes' | 'weights' | 'flags'>>(
  s: T,
  keep: ArrayLike<boolean>,
): T {
  let n = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i]) n++;
  if (n === keep.length) return s;
  const boxes = new Float32Array(n * 4);
  const classes = new Int32Array(n);
  const weights = new Float32Array(n);
  const flags = new Uint8Array(n);
  let j = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    boxes.set(s.boxes.subarray(i * 4, i * 4 + 4), j * 4);
    classes[j] = s.classes[i]!;
    weights[j] = s.weights[i]!;
    flags[j] = s.flags[i]!;
    j++;
  }
  return { ...s, boxes, classes, weights, flags };
}

/**
 * Box hygiene after a geometric change: clip `after` to the image, then keep only
 * the boxes that pass {@link boxCandidates} against `before` (both n×4 voc).
 * `scale` is the change's zoom factor (the area rule compares against old area × scale²).
 */
export function sanitizeBoxes<T extends Annotated>(
  s: T,
  before: Float32Array,
  options: BoxFilterOptions & { scale?: number } = {},
): T {
  const { width, height } = s.image;
  clipBoxes(s.boxes, width, height);
  const n = s.classes.length;
  const keep = new Array<boolean>(n);
  const scale = options.scale ?? 1;
  for (let i = 0; i < n; i++) {
    const b = before.subarray(i * 4, i * 4 + 4);
    const a = s.boxes.subarray(i * 4, i * 4 + 4);
    keep[i] = keepBox(b[2]! - b[0]!, b[3]! - b[1]!, a[2]! - a[0]!, a[3]! - a[1]!, scale, options);
  }
  return selectBoxes(s, keep);
}
