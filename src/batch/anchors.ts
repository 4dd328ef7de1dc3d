/**
 * Which anchors, in which layers and cells, a ground-truth box is assigned to
 * (SPEC §7): Darknet YOLOv4's `best` and `iou-threshold` rules and YOLOv5's
 * `wh-ratio` rule with its neighbour cells.
 */
import { z } from 'zod';
import { validate } from '../stream/options.ts';

/** YOLOv4's COCO anchors, `[w, h]` in pixels at 608×608 (SPEC §7). */
export const YOLOV4_ANCHORS: readonly (readonly [number, number])[] = [
  [12, 16], [19, 36], [40, 28], [36, 75], [76, 55], [72, 146], [142, 110], [192, 243], [459, 401],
];
/** Anchor indices of each output layer, finest first. */
export const YOLOV4_MASKS: readonly (readonly number[])[] = [[0, 1, 2], [3, 4, 5], [6, 7, 8]];
/** Stride of each output layer in input pixels. */
export const YOLOV4_STRIDES: readonly number[] = [8, 16, 32];
/** The network size the YOLOv4 anchors were computed for. */
export const YOLOV4_ANCHOR_SIZE = 608;

/**
 * - `best`: only the anchor of highest shape IoU over all anchors (ties: lowest index).
 * - `iou-threshold` (Darknet YOLOv4): the best anchor plus every other with shape IoU > `iouThreshold`.
 * - `wh-ratio` (YOLOv5 `build_targets`): every anchor with max(w/aw, aw/w, h/ah, ah/h) < `anchorT`,
 *   at the centre cell and up to two neighbour cells.
 */
export type AnchorRule = 'best' | 'iou-threshold' | 'wh-ratio';

/** A box by centre and size, in input pixels. */
export interface CenterBox {
  cx: number;
  cy: number;
  w: number;
  h: number;
}

/** Options of {@link assignAnchors}. */
export interface AssignAnchorsOptions {
  rule: AnchorRule;
  /** `[w, h]` per anchor, in pixels of `inputSize`. */
  anchors: readonly (readonly number[])[];
  /** Per layer, the (global) indices of its anchors. */
  masks: readonly (readonly number[])[];
  /** Per layer, its stride in pixels. */
  strides: readonly number[];
  /** The network input: a square side or `{width, height}`. */
  inputSize: number | { width: number; height: number };
  /** `iou-threshold` only: default 0.213 (Darknet YOLOv4 `iou_thresh`). */
  iouThreshold?: number;
  /** `wh-ratio` only: default 4 (YOLOv5 `anchor_t`). */
  anchorT?: number;
}

/**
 * One assignment. `anchor` is the position **within the layer's mask** (0 ≤ anchor <
 * masks[layer].length — the A axis of the layer's target tensor, Darknet's `mask_n`,
 * YOLOv5's `a`); the global anchor index is `masks[layer][anchor]`.
 */
export interface AnchorAssignment {
  layer: number;
  anchor: number;
  cellX: number;
  cellY: number;
}

/** Shape IoU: IoU of (0,0,w,h) and (0,0,aw,ah) — boxes aligned at one corner (SPEC §7). */
export function shapeIoU(w: number, h: number, aw: number, ah: number): number {
  const inter = Math.min(w, aw) * Math.min(h, ah);
  return inter / (w * h + aw * ah - inter);
}

/** Options with sizes resolved: what the per-box loop reads. */
export interface AnchorConfig {
  rule: AnchorRule;
  /** `[w0, h0, w1, h1, …]` in input pixels. */
  anchors: Float64Array;
  masks: number[][];
  strides: number[];
  gridWidths: number[];
  gridHeights: number[];
  iouThreshold: number;
  anchorT: number;
}

const positive = (what: string) => z.number().finite().gt(0, `${what} must be > 0`);
const schema = z
  .object({
    rule: z.enum(['best', 'iou-threshold', 'wh-ratio'], {
      message: "rule must be 'best', 'iou-threshold' (Darknet YOLOv4) or 'wh-ratio' (YOLOv5)",
    }),
    anchors: z
      .array(z.tuple([positive('an anchor width'), positive('an anchor height')]), {
        message: 'anchors must be [w, h] pairs in pixels, e.g. [[12, 16], [19, 36]]',
      })
      .min(1, 'give at least one anchor'),
    masks: z
      .array(z.array(z.number().int().min(0, 'a mask holds anchor indices ≥ 0')).min(1, 'a layer needs at least one anchor'))
      .min(1, 'give one mask per output layer, e.g. [[0, 1, 2], [3, 4, 5], [6, 7, 8]]'),
    strides: z.array(z.number().int('a stride is a whole number of pixels').min(1)).min(1, 'give one stride per layer, e.g. [8, 16, 32]'),
    inputSize: z.union([
      positive('inputSize'),
      z.object({ width: positive('inputSize.width'), height: positive('inputSize.height') }).strict(),
    ]),
    iouThreshold: z.number().min(0).max(1, 'iouThreshold is a shape IoU in [0, 1]').default(0.213),
    anchorT: z.number().gt(1, 'anchorT is a ratio > 1 (YOLOv5 uses 4)').default(4),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.masks.length !== o.strides.length) {
      ctx.addIssue({ code: 'custom', message: `${o.masks.length} masks but ${o.strides.length} strides: give one stride per layer` });
    }
    for (const m of o.masks) {
      for (const i of m) {
        if (i >= o.anchors.length) {
          ctx.addIssue({ code: 'custom', path: ['masks'], message: `mask index ${i} names no anchor (there are ${o.anchors.length})` });
        }
      }
    }
  });

/** Validate options and compute grid sizes. `where` names the caller in messages. */
export function resolveAnchorConfig(options: AssignAnchorsOptions, where = 'assignAnchors()'): AnchorConfig {
  const o = validate(schema, options, where);
  const size = typeof o.inputSize === 'number' ? { width: o.inputSize, height: o.inputSize } : o.inputSize;
  return {
    rule: o.rule,
    anchors: Float64Array.from(o.anchors.flat()),
    masks: o.masks.map((m) => [...m]),
    strides: [...o.strides],
    // A stride-s 'same' convolution stack gives ⌈size/s⌉ cells; exact when size is a multiple of s.
    gridWidths: o.strides.map((s) => Math.ceil(size.width / s)),
    gridHeights: o.strides.map((s) => Math.ceil(size.height / s)),
    iouThreshold: o.iouThreshold,
    anchorT: o.anchorT,
  };
}

const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);

/**
 * Calls `visit(layer, anchor, cellX, cellY, shapeIoU)` for each assignment of the box,
 * in the order {@link assignAnchors} documents, each (layer, anchor, cell) once. The box
 * must have w, h > 0 (callers filter degenerate boxes).
 */
export function forEachAssignment(
  cfg: AnchorConfig,
  cx: number,
  cy: number,
  w: number,
  h: number,
  visit: (layer: number, anchor: number, cellX: number, cellY: number, iou: number) => void,
): void {
  const { anchors, masks, strides } = cfg;
  const nAnchors = anchors.length / 2;
  if (cfg.rule !== 'wh-ratio') {
    let best = 0;
    let bestIoU = 0;
    const ious = new Float64Array(nAnchors);
    for (let n = 0; n < nAnchors; n++) {
      const v = shapeIoU(w, h, anchors[2 * n]!, anchors[2 * n + 1]!);
      ious[n] = v;
      // Strict: the first of equal IoUs wins (ties → lowest index).
      if (v > bestIoU) {
        bestIoU = v;
        best = n;
      }
    }
    for (let l = 0; l < masks.length; l++) {
      const mask = masks[l]!;
      const x = clamp(Math.floor(cx / strides[l]!), cfg.gridWidths[l]! - 1);
      const y = clamp(Math.floor(cy / strides[l]!), cfg.gridHeights[l]! - 1);
      // Darknet's order in a layer: the best anchor first, then the others above the threshold.
      for (let a = 0; a < mask.length; a++) if (mask[a] === best) visit(l, a, x, y, bestIoU);
      if (cfg.rule === 'iou-threshold') {
        for (let a = 0; a < mask.length; a++) {
          const n = mask[a]!;
          if (n !== best && ious[n]! > cfg.iouThreshold) visit(l, a, x, y, ious[n]!);
        }
      }
    }
    return;
  }
  const seen: number[] = [];
  for (let l = 0; l < masks.length; l++) {
    const mask = masks[l]!;
    const s = strides[l]!;
    const G = cfg.gridWidths[l]!;
    const Gy = cfg.gridHeights[l]!;
    const gx = cx / s;
    const gy = cy / s;
    const gix = G - gx;
    const giy = Gy - gy;
    const fx = gx - Math.floor(gx);
    const fy = gy - Math.floor(gy);
    const fix = gix - Math.floor(gix);
    const fiy = giy - Math.floor(giy);
    // YOLOv5's offsets, in its order: own cell, left, up, right, down.
    const cells: number[] = [Math.floor(gx), Math.floor(gy)];
    if (fx < 0.5 && gx > 1) cells.push(Math.floor(gx - 0.5), Math.floor(gy));
    if (fy < 0.5 && gy > 1) cells.push(Math.floor(gx), Math.floor(gy - 0.5));
    if (fix < 0.5 && gix > 1) cells.push(Math.floor(gx + 0.5), Math.floor(gy));
    if (fiy < 0.5 && giy > 1) cells.push(Math.floor(gx), Math.floor(gy + 0.5));
    const ok: number[] = [];
    const okIoU: number[] = [];
    for (let a = 0; a < mask.length; a++) {
      const aw = anchors[2 * mask[a]!]!;
      const ah = anchors[2 * mask[a]! + 1]!;
      const r = Math.max(w / aw, aw / w, h / ah, ah / h);
      if (r < cfg.anchorT) {
        ok.push(a);
        okIoU.push(shapeIoU(w, h, aw, ah));
      }
    }
    if (ok.length === 0) continue;
    seen.length = 0;
    for (let c = 0; c < cells.length; c += 2) {
      const x = clamp(cells[c]!, G - 1);
      const y = clamp(cells[c + 1]!, Gy - 1);
      // An exact-integer centre (or a clamped one) names its own cell twice: count it once.
      let dup = false;
      for (let k = 0; k < seen.length; k += 2) if (seen[k] === x && seen[k + 1] === y) dup = true;
      if (dup) continue;
      seen.push(x, y);
      for (let k = 0; k < ok.length; k++) visit(l, ok[k]!, x, y, okIoU[k]!);
    }
  }
}

/**
 * The anchors, layers and cells a ground-truth box is assigned to (SPEC §7, §14).
 *
 * `box` is centre and size in pixels of `inputSize`; anchors are in the same pixels.
 * Layer l has `masks[l]` anchors and a grid of ⌈width/strides[l]⌉ × ⌈height/strides[l]⌉
 * cells; cells are clamped to the grid (a centre on the right or bottom edge falls in the
 * last cell). The centre in cells is c/stride (SPEC §7); Darknet and YOLOv5 agree with it
 * when the input size is a multiple of the largest stride, as `letterbox()` makes it. `anchor` in the result is the position within `masks[layer]` (see
 * {@link AnchorAssignment}).
 *
 * Order: layer by layer; within a layer, for `best`/`iou-threshold` the best anchor first
 * then the others in mask order (Darknet's order); for `wh-ratio` cell by cell — own,
 * left, up, right, down (YOLOv5's offset order) — each with its anchors in mask order.
 * A (layer, anchor, cell) appears once.
 *
 * A best anchor that no mask lists assigns nothing under `best` (as in Darknet); an anchor
 * listed by two masks is assigned in both layers.
 *
 * @example
 * // YOLOv4 COCO anchors at 608: a 40×28 box is anchor 2 exactly; 1, 3 and 4 pass IoU 0.213.
 * assignAnchors({ cx: 100, cy: 200, w: 40, h: 28 }, { rule: 'iou-threshold', anchors, masks, strides, inputSize: 608 })
 * // → [{layer 0, anchor 2, cell 12,25}, {0, 1, 12,25}, {1, 0, 6,12}, {1, 1, 6,12}]
 */
export function assignAnchors(box: CenterBox, options: AssignAnchorsOptions): AnchorAssignment[] {
  const { cx, cy, w, h } = box ?? ({} as CenterBox);
  for (const [k, v] of [['cx', cx], ['cy', cy], ['w', w], ['h', h]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`assignAnchors(): box.${k} is ${String(v)}; pass {cx, cy, w, h} in pixels`);
    }
  }
  if (!(w > 0 && h > 0)) throw new RangeError(`assignAnchors(): box is ${w}×${h}; w and h must be > 0`);
  const out: AnchorAssignment[] = [];
  forEachAssignment(resolveAnchorConfig(options), cx, cy, w, h, (layer, anchor, cellX, cellY) => {
    out.push({ layer, anchor, cellX, cellY });
  });
  return out;
}
