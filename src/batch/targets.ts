/**
 * YOLO target encoding (SPEC §7): the boxes of a {@link SampleBatch} written into one
 * dense array per output layer, `[B, gridH, gridW, A, 6 + C]`, at the slots
 * {@link forEachAssignment} gives. Pure: no streams, no tfjs.
 */
import { z } from 'zod';
import { BoxFlag } from '../core/types.ts';
import { ConfigError } from '../core/errors.ts';
import { validate } from '../stream/options.ts';
import {
  forEachAssignment,
  resolveAnchorConfig,
  YOLOV4_ANCHOR_SIZE,
  YOLOV4_ANCHORS,
  YOLOV4_MASKS,
  YOLOV4_STRIDES,
  type AnchorConfig,
  type AnchorRule,
} from './anchors.ts';
import { checkSmoothingClasses, smoothedOneHot, smoothingFromMeta, type LabelSmoothing } from './smoothing.ts';
import { SparseTargetLayer, TargetChannel, type SampleBatch, type TargetLayer } from './types.ts';

/** Options of `encodeTargets()`. Defaults: YOLOv4 COCO (SPEC §7). */
export interface TargetOptions {
  /** `[w, h]` per anchor in pixels of `anchorSize`. Default YOLOv4's nine COCO anchors. */
  anchors?: number[][];
  /** Per layer, the indices of its anchors. Default [[0,1,2],[3,4,5],[6,7,8]]. */
  masks?: number[][];
  /** Per layer, its stride. Default [8, 16, 32]. */
  strides?: number[];
  /** Assignment rule (SPEC §7). Default `iou-threshold`. */
  rule?: AnchorRule;
  /** `iou-threshold`: default 0.213. */
  iouThreshold?: number;
  /** `wh-ratio`: default 4. */
  anchorT?: number;
  /** Number of classes C. Default: the dataset's class count. */
  classes?: number;
  /** The network size `anchors` are given for. Default 608 (YOLOv4's COCO anchors). */
  anchorSize?: number | { width: number; height: number };
  /**
   * Scale the anchors by (batch width / anchorSize.width, batch height / anchorSize.height),
   * so a batch at 320 uses the 608 anchors × 320/608. Default false: the anchors keep their
   * pixel sizes at every input size, as Darknet and YOLOv5 do during multi-scale training
   * (objects shrink with the image, so their sizes in pixels stay comparable to the anchors).
   */
  scaleAnchors?: boolean;
}

/** {@link TargetOptions} validated, with defaults; `classes` may still be unknown. */
export interface TargetEncoding {
  anchors: number[][];
  masks: number[][];
  strides: number[];
  rule: AnchorRule;
  iouThreshold: number;
  anchorT: number;
  classes: number | undefined;
  anchorSize: { width: number; height: number };
  scaleAnchors: boolean;
}

const side = z.number().finite().gt(0, 'anchorSize must be > 0');
const schema = z
  .object({
    anchors: z.array(z.array(z.number())).default(() => YOLOV4_ANCHORS.map((a) => [...a])),
    masks: z.array(z.array(z.number())).default(() => YOLOV4_MASKS.map((m) => [...m])),
    strides: z.array(z.number()).default(() => [...YOLOV4_STRIDES]),
    rule: z
      .enum(['best', 'iou-threshold', 'wh-ratio'], {
        message: "rule must be 'best', 'iou-threshold' (Darknet YOLOv4, default) or 'wh-ratio' (YOLOv5)",
      })
      .default('iou-threshold'),
    iouThreshold: z.number().default(0.213),
    anchorT: z.number().default(4),
    classes: z.number().int('classes is a whole number').min(1, 'classes must be ≥ 1').optional(),
    anchorSize: z.union([side, z.object({ width: side, height: side }).strict()]).default(YOLOV4_ANCHOR_SIZE),
    scaleAnchors: z.boolean().default(false),
  })
  .strict();

/** Validate `encodeTargets()` options (anchors, masks and strides as `assignAnchors` does). */
export function resolveTargetOptions(options: TargetOptions | undefined, where = 'encodeTargets()'): TargetEncoding {
  const o = validate(schema, options ?? {}, where);
  const anchorSize = typeof o.anchorSize === 'number' ? { width: o.anchorSize, height: o.anchorSize } : o.anchorSize;
  // Same checks and messages as assignAnchors.
  resolveAnchorConfig(
    { rule: o.rule, anchors: o.anchors, masks: o.masks, strides: o.strides, inputSize: anchorSize, iouThreshold: o.iouThreshold, anchorT: o.anchorT },
    where,
  );
  return { ...o, classes: o.classes, anchorSize };
}

/** The anchor configuration for a batch of `width`×`height` images (anchors scaled when asked). */
export function anchorConfigFor(enc: TargetEncoding, width: number, height: number): AnchorConfig {
  const sx = enc.scaleAnchors ? width / enc.anchorSize.width : 1;
  const sy = enc.scaleAnchors ? height / enc.anchorSize.height : 1;
  const anchors = new Float64Array(enc.anchors.length * 2);
  enc.anchors.forEach(([w, h], i) => {
    anchors[2 * i] = w! * sx;
    anchors[2 * i + 1] = h! * sy;
  });
  return {
    rule: enc.rule,
    anchors,
    masks: enc.masks,
    strides: enc.strides,
    gridWidths: enc.strides.map((s) => Math.ceil(width / s)),
    gridHeights: enc.strides.map((s) => Math.ceil(height / s)),
    iouThreshold: enc.iouThreshold,
    anchorT: enc.anchorT,
  };
}

/** The smoothing that applies to sample `i` of `b`: the batch's setting, else the sample's. */
export function smoothingOfSample(b: SampleBatch, i: number): LabelSmoothing | undefined {
  return b.labelSmoothing ?? smoothingFromMeta(b.samples[i]?.meta);
}

/**
 * Encode the YOLO targets of a batch, one {@link TargetLayer} per layer (finest first),
 * held sparse (the assigned slots and their rows; `data` densifies on first read).
 * Every image must have the same size. `classes` is C.
 *
 * Per assigned slot: channels 0–3 the box's cx, cy, w, h in input pixels; 4 objectness
 * (1, or −1 for a box flagged {@link BoxFlag.Ignore}: neither positive nor negative);
 * 5 the box's weight (`sample.weights`; 0 for an ignore box); 6.. the class targets —
 * one-hot, smoothed as {@link smoothingOfSample} says (under `binary` the negative
 * classes of an assigned slot get ε/2); all 0 for an ignore box. Unassigned slots are 0.
 *
 * When boxes of one image claim the same slot the winner is, in order: a real box over an
 * ignore box, the larger shape IoU with the slot's anchor, the earlier box. Every claim on
 * an already claimed slot counts in the layer's `collisions`. Boxes with w or h ≤ 0 are
 * skipped.
 */
export function encodeBatchTargets(b: SampleBatch, enc: TargetEncoding, classes: number): SparseTargetLayer[] {
  const first = b.samples[0];
  if (!first) throw new Error('encodeTargets(): empty batch');
  const { width: W, height: H } = first.image;
  for (const s of b.samples) {
    if (s.image.width !== W || s.image.height !== H) {
      throw new ConfigError(
        `encodeTargets(): images of one batch differ in size (${s.id} is ${s.image.width}×${s.image.height}, ` +
          `${first.id} is ${W}×${H}); put letterbox(size) before batch()`,
      );
    }
  }
  const cfg = anchorConfigFor(enc, W, H);
  const B = b.samples.length;
  const K = TargetChannel.Classes + classes;
  const layers = cfg.masks.map((mask, l) => ({
    stride: cfg.strides[l]!,
    gridWidth: cfg.gridWidths[l]!,
    gridHeight: cfg.gridHeights[l]!,
    anchors: mask.map((n) => [cfg.anchors[2 * n]!, cfg.anchors[2 * n + 1]!]),
    mask: [...mask],
    collisions: 0,
    // The claimed slots' rows, in claim order (a slot won again overwrites its row).
    rows: new RowBuffer(K),
    rowOf: new Map<number, number>(),
  }));
  // Priority of a slot's current owner: 2 + IoU for a real box, IoU for an ignore box.
  const owners = layers.map(() => new Map<number, number>());
  for (let bi = 0; bi < B; bi++) {
    const s = b.samples[bi]!;
    const smoothing = smoothingOfSample(b, bi);
    if (smoothing) checkSmoothingClasses(smoothing, classes, 'encodeTargets()');
    const { positive, negative } = smoothedOneHot(smoothing, classes);
    const n = s.classes.length;
    for (let i = 0; i < n; i++) {
      const x1 = s.boxes[4 * i]!;
      const y1 = s.boxes[4 * i + 1]!;
      const w = s.boxes[4 * i + 2]! - x1;
      const h = s.boxes[4 * i + 3]! - y1;
      if (!(w > 0 && h > 0)) continue;
      const cx = x1 + w / 2;
      const cy = y1 + h / 2;
      const ignore = ((s.flags[i] ?? 0) & BoxFlag.Ignore) !== 0;
      const cls = s.classes[i]!;
      if (!ignore && !(cls >= 0 && cls < classes)) {
        throw new ConfigError(
          `encodeTargets(): ${s.id} has a box of class ${cls} but classes is ${classes}; ` +
            `pass encodeTargets({ classes }) with the dataset's class count`,
        );
      }
      const weight = s.weights[i] ?? 1;
      forEachAssignment(cfg, cx, cy, w, h, (l, a, x, y, iou) => {
        const layer = layers[l]!;
        const A = layer.mask.length;
        const slot = ((bi * layer.gridHeight + y) * layer.gridWidth + x) * A + a;
        const priority = (ignore ? 0 : 2) + iou;
        const held = owners[l]!.get(slot);
        if (held !== undefined) {
          layer.collisions++;
          if (priority <= held) return;
        }
        owners[l]!.set(slot, priority);
        let row = layer.rowOf.get(slot);
        if (row === undefined) {
          row = layer.rows.add();
          layer.rowOf.set(slot, row);
        }
        const d = layer.rows.data;
        const o = row * K;
        d[o] = cx;
        d[o + 1] = cy;
        d[o + 2] = w;
        d[o + 3] = h;
        d[o + TargetChannel.Objectness] = ignore ? -1 : 1;
        d[o + TargetChannel.Weight] = ignore ? 0 : weight;
        d.fill(ignore ? 0 : negative, o + TargetChannel.Classes, o + K);
        if (!ignore) d[o + TargetChannel.Classes + cls] = positive;
      });
    }
  }
  return layers.map((layer) => {
    // Slots in ascending order: the layout a dense array would have, and a sorted scatter.
    const order = [...layer.rowOf.entries()].sort((a, b) => a[0] - b[0]);
    const slots = Int32Array.from(order, ([slot]) => slot);
    const rows = new Float32Array(order.length * K);
    order.forEach(([, row], i) => rows.set(layer.rows.data.subarray(row * K, (row + 1) * K), i * K));
    const A = layer.mask.length;
    return new SparseTargetLayer(layer.stride, layer.gridWidth, layer.gridHeight, layer.anchors, layer.mask, classes, layer.collisions, [B, layer.gridHeight, layer.gridWidth, A, K], slots, rows);
  });
}

/** A growable array of rows of K floats. */
class RowBuffer {
  data: Float32Array;
  private count = 0;

  constructor(private readonly K: number) {
    this.data = new Float32Array(16 * K);
  }

  /** A new row's index (its floats are not cleared: the caller writes every channel). */
  add(): number {
    if ((this.count + 1) * this.K > this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    return this.count++;
  }
}
