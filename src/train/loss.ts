/**
 * The YOLO training loss (SPEC §9 box losses, §7 multi-anchor targets, §8 smoothed class
 * targets, §15 grid sensitivity): the model's raw head outputs against the targets of
 * `encodeTargets()`, as YOLOv5's `ComputeLoss` (v7.0) structures it, with Darknet's
 * YOLOv4 box decoding by default.
 *
 * Per layer l, every slot (image, cell, anchor) of the raw output
 * `[B, H, W, A, 5 + C] = (tx, ty, tw, th, objectness logit, C class logits)` is decoded in
 * grid cells, relative to the slot's own cell (YOLOv5's frame; IoU, GIoU, DIoU and CIoU do
 * not depend on it, only the eps of `bbox_iou` does):
 * ```
 * xy = s · sigmoid(t_xy) − (s − 1)/2                  grid sensitivity, s = scaleXY[l]
 * wh = exp(min(t_wh, 8)) · anchor / stride            wh 'darknet' (default)
 * wh = (2 · sigmoid(t_wh))² · anchor / stride         wh 'yolov5'
 * ```
 * and the target slot's box (channels cx, cy, w, h in input pixels) becomes
 * `(cx/stride − cellX, cy/stride − cellY, w/stride, h/stride)`. A slot is *positive* when
 * its objectness target is 1 and its weight (channel 5) w > 0; it is *ignored* when its
 * objectness target is −1 (an ignore region) or it is 1 with w = 0 (a box that must not
 * teach anything); every other slot is a *negative*. With the metric of `boxIoUTensor`
 * (YOLOv5's `bbox_iou`, eps 1e-7; CIoU's α carries no gradient):
 * ```
 * box_l = Σ_pos w·(1 − metric) / Σ_pos w
 * cls_l = Σ_pos w·Σ_c BCE(x_c, z_c) / (C · Σ_pos w)        z: the (already smoothed) class channels
 * obj_l = Σ_slots m·BCE(x_obj, z_obj) / Σ_slots m          m: 1 negative, w positive, 0 ignored
 * z_obj = (1 − gr) + gr · max(metric, 0)  on positives (metric without gradient), 0 elsewhere
 * BCE(x, z) = max(x, 0) − x·z + log(1 + exp(−|x|))        (stable BCE with logits)
 * ```
 * `box_l` and `cls_l` are 0 in a layer without positives, and `cls_l` is 0 when C = 1
 * (YOLOv5: with one class objectness already says it). With every weight 1 and no ignored
 * slot the three means are exactly YOLOv5's (mean over the positives; over positives ×
 * classes; over all slots). Weights act relatively, as in any weighted mean: MixUp's λ and 1 − λ make one
 * image's boxes count more than the other's, while a layer whose boxes all carry the
 * same weight is unchanged by it.
 *
 * The reported terms and the total:
 * ```
 * box        = gBox · Σ_l box_l
 * objectness = gObj · Σ_l balance[l] · obj_l
 * classes    = gCls · Σ_l cls_l
 * total      = box + objectness + classes        (× B with multiplyByBatch, as YOLOv5's loss)
 * ```
 * with YOLOv5's gains box 0.05, obj 1.0, cls 0.5, scaled (unless `scaleGains: false`) as
 * YOLOv5's train.py does: gBox = box · 3/nl, gCls = cls · C/80 · 3/nl,
 * gObj = obj · (W·H / 640²) · 3/nl, where nl is the number of layers, C the number of classes
 * and W×H `imageSize` (YOLOv5's `(imgsz/640)²` for a square image) — by default the batch's
 * own input size, read from the first layer as gridWidth·stride × gridHeight·stride.
 *
 * Only portable tfjs ops (cpu, wasm — with `registerTrainingKernels()` for the network's
 * own gradients — webgl, tfjs-node and tfjs-node-gpu); everything runs inside `tf.tidy`.
 * The objectness term is dense over every slot; the box and class terms run on the
 * positive slots only, gathered by index (the indices come from one read-back of the
 * targets' objectness and weight channels per layer; the gather's gradient is a
 * `ScatterNd`, since tfjs's own needs `UnsortedSegmentSum`, which wasm lacks). Channels are
 * picked with contiguous row slices of transposed views or a `matMul` with a one-hot
 * matrix: a column slice of a rank-2+ tensor takes a per-element path on cpu and wasm
 * (seconds per batch at 608).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { validate } from '../stream/options.ts';
import { TargetChannel } from '../batch/types.ts';
import { boxIoUTensor, type IoUKind } from './iou.ts';

/**
 * What the loss needs of one target layer: a `BatchTargetLayer` from `toTensors()` (see
 * src/tensor/batch.ts) fits as it is.
 */
export interface LossTargetLayer {
  /** `[B, H, W, A, 6 + C]` float32, channels as `TargetChannel`. */
  tensor: tf.Tensor;
  /** Input pixels per cell. */
  stride: number;
  /** `[w, h]` per anchor of the layer (position a on the A axis), input pixels. */
  anchors: number[][];
}

/** How the raw `t_wh` become a box size: Darknet's `exp` or YOLOv5's `(2·sigmoid)²`. */
export type WhDecoding = 'darknet' | 'yolov5';

/** Options of {@link yoloLoss}. */
export interface YoloLossOptions {
  /** Box metric (SPEC §9): `'ciou'` (default), `'diou'`, `'giou'` or `'iou'`; loss = 1 − metric. */
  kind?: IoUKind;
  /** Size decoding: `'darknet'` exp(t)·anchor (default) or `'yolov5'` (2·sigmoid(t))²·anchor. */
  wh?: WhDecoding;
  /**
   * Grid sensitivity per layer (SPEC §15; Darknet `scale_x_y`), a number for every layer or
   * one per layer, finest first. Default with `wh: 'darknet'`: yolov4.cfg's 1.2, 1.1, 1.05
   * for three layers, 1.05 for every layer otherwise (yolov4-tiny); with `wh: 'yolov5'`: 2
   * (YOLOv5's `2·sigmoid − 0.5`, which reaches the neighbour cells `wh-ratio` assigns).
   */
  scaleXY?: number | number[];
  /**
   * YOLOv5's `gr`: the objectness target of a positive is `(1 − gr) + gr·max(metric, 0)`.
   * Default 0: plain 1 (Darknet; YOLOv5 trains with 1).
   */
  gr?: number;
  /**
   * Objectness weight per layer, finest first: a list, or `'yolov5'` for YOLOv5's
   * [4.0, 1.0, 0.4] (three layers; otherwise the first nl of [4.0, 1.0, 0.25, 0.06, 0.02]).
   * Default every layer 1.
   */
  balance?: number[] | 'yolov5';
  /** Loss gains before scaling. Default YOLOv5's `hyp.scratch`: box 0.05, obj 1.0, cls 0.5. */
  gains?: { box?: number; obj?: number; cls?: number };
  /** Scale the gains as YOLOv5's train.py does (by 3/nl, C/80 and (W·H)/640²). Default true. */
  scaleGains?: boolean;
  /**
   * The image size the objectness gain is scaled for: a side (square) or `{ width, height }`.
   * YOLOv5 uses its fixed `--img`; default here: the batch's own size, so that under random
   * shapes the objectness mean over more cells weighs as much as over fewer.
   */
  imageSize?: number | { width: number; height: number };
  /** Multiply `total` (only) by the batch size B, as YOLOv5's loss does for its learning rates. Default false. */
  multiplyByBatch?: boolean;
}

/** {@link YoloLossOptions} validated; per-layer values still depend on the layer count. */
export interface ResolvedLossOptions {
  kind: IoUKind;
  wh: WhDecoding;
  scaleXY: number | number[] | undefined;
  gr: number;
  balance: number[] | 'yolov5' | undefined;
  gains: { box: number; obj: number; cls: number };
  scaleGains: boolean;
  imageSize: { width: number; height: number } | undefined;
  multiplyByBatch: boolean;
}

/** The loss terms of one batch. The caller owns the four scalars (`tf.dispose` them). */
export interface YoloLoss {
  /** box + objectness + classes (× B with `multiplyByBatch`). */
  total: tf.Scalar;
  /** The gained box term. */
  box: tf.Scalar;
  /** The gained, balanced objectness term. */
  objectness: tf.Scalar;
  /** The gained class term. */
  classes: tf.Scalar;
  /** Number of positive slots over all layers (objectness 1, weight > 0). */
  positives: number;
}

/** Darknet's per-layer `scale_x_y` in yolov4.cfg (strides 8, 16, 32). */
export const YOLOV4_SCALE_XY: readonly number[] = [1.2, 1.1, 1.05];
/** YOLOv5's objectness balance for three layers. */
export const YOLOV5_BALANCE: readonly number[] = [4.0, 1.0, 0.4];
/** YOLOv5's balance for other layer counts (the first nl). */
const YOLOV5_BALANCE_ANY: readonly number[] = [4.0, 1.0, 0.25, 0.06, 0.02];
/** Default gains (YOLOv5 `hyp.scratch-low.yaml`). */
export const YOLOV5_GAINS = { box: 0.05, obj: 1.0, cls: 0.5 } as const;
/** Upper clamp of `t_wh` before `exp` (e⁸ ≈ 2981 anchors: past any image, far from float32 overflow). */
export const WH_EXP_MAX = 8;

const KINDS = ['iou', 'giou', 'diou', 'ciou'] as const;
const positive = (what: string) => z.number().finite(`${what} must be a finite number`).gt(0, `${what} must be > 0`);
const nonNegative = (what: string) => z.number().finite(`${what} must be a finite number`).min(0, `${what} must be ≥ 0`);

const schema = z
  .object({
    kind: z
      .enum(KINDS, { message: "kind must be 'ciou' (default), 'diou', 'giou' or 'iou'" })
      .default('ciou'),
    wh: z
      .enum(['darknet', 'yolov5'], { message: "wh must be 'darknet' (exp, default) or 'yolov5' ((2·sigmoid)²)" })
      .default('darknet'),
    scaleXY: z
      .union([positive('scaleXY'), z.array(positive('scaleXY')).min(1, 'scaleXY: give one value per layer')], {
        message: 'scaleXY is a number > 0 or one per layer, e.g. [1.2, 1.1, 1.05]',
      })
      .optional(),
    gr: z.number().min(0, 'gr must be in 0..1').max(1, 'gr must be in 0..1').default(0),
    balance: z
      .union([z.literal('yolov5'), z.array(nonNegative('balance'))], {
        message: "balance is 'yolov5' or one weight ≥ 0 per layer, e.g. [4, 1, 0.4]",
      })
      .optional(),
    gains: z
      .object({
        box: nonNegative('gains.box').default(YOLOV5_GAINS.box),
        obj: nonNegative('gains.obj').default(YOLOV5_GAINS.obj),
        cls: nonNegative('gains.cls').default(YOLOV5_GAINS.cls),
      })
      .strict()
      .default({ ...YOLOV5_GAINS }),
    scaleGains: z.boolean().default(true),
    imageSize: z
      .union([positive('imageSize'), z.object({ width: positive('imageSize.width'), height: positive('imageSize.height') }).strict()], {
        message: 'imageSize is a side in pixels or { width, height }',
      })
      .optional(),
    multiplyByBatch: z.boolean().default(false),
  })
  .strict();

/** Validate {@link YoloLossOptions} (zod; a `ConfigError` that says what to pass). */
export function resolveLossOptions(options: YoloLossOptions = {}, where = 'yoloLoss()'): ResolvedLossOptions {
  const o = validate(schema, options, where);
  const imageSize = typeof o.imageSize === 'number' ? { width: o.imageSize, height: o.imageSize } : o.imageSize;
  return { ...o, scaleXY: o.scaleXY, balance: o.balance, imageSize };
}

/** The per-layer values and final gains {@link yoloLoss} uses for `layers` layers of C classes on W×H input. */
export interface LayerSettings {
  scaleXY: number[];
  balance: number[];
  gains: { box: number; obj: number; cls: number };
}

/**
 * Resolve the per-layer settings and the gains for nl layers, C classes and an input of
 * `size` (used only when `imageSize` is not set). See the module comment for the rules.
 */
export function layerSettings(o: ResolvedLossOptions, nl: number, classes: number, size: { width: number; height: number }): LayerSettings {
  const perLayer = (v: number | number[], what: string): number[] => {
    if (typeof v === 'number') return new Array<number>(nl).fill(v);
    if (v.length !== nl) throw new ConfigError(`yoloLoss(): ${what} has ${v.length} values for ${nl} layers; give one per layer, finest first`);
    return [...v];
  };
  const scaleXY = perLayer(o.scaleXY ?? (o.wh === 'yolov5' ? 2 : nl === 3 ? [...YOLOV4_SCALE_XY] : 1.05), 'scaleXY');
  let balance: number[];
  if (o.balance === 'yolov5') {
    if (nl === 3) balance = [...YOLOV5_BALANCE];
    else if (nl <= YOLOV5_BALANCE_ANY.length) balance = YOLOV5_BALANCE_ANY.slice(0, nl);
    else throw new ConfigError(`yoloLoss(): balance 'yolov5' covers up to 5 layers, the model has ${nl}; pass one weight per layer`);
  } else {
    balance = perLayer(o.balance ?? 1, 'balance');
  }
  let gains = { ...o.gains };
  if (o.scaleGains) {
    const img = o.imageSize ?? size;
    const layers = 3 / nl;
    gains = {
      box: gains.box * layers,
      obj: gains.obj * ((img.width * img.height) / (640 * 640)) * layers,
      cls: gains.cls * (classes / 80) * layers,
    };
  }
  return { scaleXY, balance, gains };
}

/** Identity forward, zero gradient: the objectness target built from the IoU is a constant. */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * Rows `idx` of a 2-D `x`. tfjs's own gather differentiates through `UnsortedSegmentSum`,
 * which the wasm backend lacks; the rows are distinct here, so the gradient is a plain
 * scatter (`ScatterNd`: cpu, wasm, webgl, node).
 */
const gatherRows = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, idx, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([idx]);
  return {
    value: tf.gather(x, idx),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const i = saved[0]!;
      return [tf.scatterND(tf.reshape(i, [-1, 1]), dy, x.shape), tf.zerosLike(i)];
    },
  };
}) as (x: tf.Tensor, idx: tf.Tensor) => tf.Tensor;

/**
 * Column `col` of a 2-D `[N, K]` x as `[N]`. Forward: a product with a one-hot column
 * (a column slice takes a per-element path on cpu and wasm); backward: dy padded into
 * that column, cheaper than the product's own gradient (an [N,1]×[1,K] matMul) or a
 * broadcast multiply (per element on cpu).
 */
function pickColumn(x: tf.Tensor, col: number): tf.Tensor {
  const K = x.shape[1]!;
  const pick = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor2D;
    return {
      value: tf.reshape(tf.matMul(t, columnPicker(K, [col])), [t.shape[0]!]),
      gradFunc: (dy: tf.Tensor) => tf.pad(tf.reshape(dy, [-1, 1]), [[0, 0], [col, K - 1 - col]]),
    };
  });
  return pick(x);
}

/**
 * Darknet's objectness loss of images that hold no object: ½·Σ σ(t)² over the objectness
 * logit t of every slot of every layer, summed, not averaged. Its gradient is Darknet's
 * delta for an empty truth (0 − σ(t), through the logistic's gradient), so the step size
 * of Darknet's Self-Adversarial Training (`adversarial_lr`) means here what it means
 * there (SPEC §11 `darknet`). `outputs`: the raw heads `[B, H, W, A, 5 + C]`.
 */
export function noObjectLoss(outputs: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const terms = outputs.map((raw) => {
      const K = raw.shape[raw.rank - 1]!;
      const p = tf.sigmoid(pickColumn(tf.reshape(raw, [-1, K]), 4));
      return tf.sum(tf.square(p));
    });
    return tf.mul(tf.addN(terms), 0.5) as tf.Scalar;
  });
}

/**
 * Element-wise binary cross-entropy of logits x against targets z (any z in 0..1),
 * `max(x, 0) − x·z + log(1 + exp(−|x|))`: no overflow for any finite x.
 */
export function bceWithLogits(x: tf.Tensor, z: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.sub(tf.relu(x), tf.mul(x, z)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
}

/**
 * `[K, k]` 0/1 matrix that picks columns `cols` of a `[N, K]` tensor by `matMul`. Column
 * slices of a tall tensor take a slow per-element path on cpu and wasm; a product with a
 * one-hot matrix is one fast kernel everywhere, exact, and differentiable.
 */
function columnPicker(K: number, cols: number[]): tf.Tensor2D {
  const m = new Float32Array(K * cols.length);
  cols.forEach((c, j) => (m[c * cols.length + j] = 1));
  return tf.tensor2d(m, [K, cols.length]);
}

/** What the loss reads of one layer's targets (objectness and weight of every slot). */
interface SlotPlan {
  /** Slot indices (row of the `[N, K]` view) of the positives. */
  positives: Int32Array;
  /** Their weights. */
  weights: Float32Array;
  sumWeights: number;
  /** 1 on the negative slots, 0 elsewhere. */
  negatives: Float32Array;
  /** Σ of the objectness weights: 1 a negative, w a positive, 0 an ignored slot. */
  sumObjWeights: number;
  /** Per positive: its cell (x, y) and anchor (w, h) in cells. */
  cells: Float32Array;
  anchors: Float32Array;
}

function planSlots(objAndWeight: Float32Array | Int32Array | Uint8Array, shape: number[], anchors: number[][], stride: number): SlotPlan {
  const [, H, W, A] = shape as [number, number, number, number];
  const N = objAndWeight.length / 2;
  const negatives = new Float32Array(N);
  const pos: number[] = [];
  let sumObj = 0;
  for (let s = 0; s < N; s++) {
    const obj = objAndWeight[2 * s]!;
    const w = objAndWeight[2 * s + 1]!;
    if (obj > 0.5) {
      // An assigned box of weight 0 teaches nothing: ignored, as an ignore region (−1) is.
      if (w > 0) {
        pos.push(s);
        sumObj += w;
      }
    } else if (!(obj < -0.5)) {
      negatives[s] = 1;
      sumObj += 1;
    }
  }
  const P = pos.length;
  const positives = Int32Array.from(pos);
  const weights = new Float32Array(P);
  const cells = new Float32Array(2 * P);
  const anchorCells = new Float32Array(2 * P);
  let sumW = 0;
  pos.forEach((s, j) => {
    const a = s % A;
    const x = Math.floor(s / A) % W;
    const y = Math.floor(s / (A * W)) % H;
    weights[j] = objAndWeight[2 * s + 1]!;
    sumW += weights[j]!;
    cells[2 * j] = x;
    cells[2 * j + 1] = y;
    anchorCells[2 * j] = anchors[a]![0]! / stride;
    anchorCells[2 * j + 1] = anchors[a]![1]! / stride;
  });
  return { positives, weights, sumWeights: sumW, negatives, sumObjWeights: sumObj, cells, anchors: anchorCells };
}

/**
 * Predicted centre (relative to the cell) and size in cells from channel-major raw values
 * `txy`, `twh` (`[2, n]` each): xy = s·sigmoid(t) − (s − 1)/2; wh per `wh`.
 */
function decodeCells(txy: tf.Tensor, twh: tf.Tensor, anchorCells: tf.Tensor, scaleXY: number, wh: WhDecoding): { xy: tf.Tensor; wh: tf.Tensor } {
  const xy = tf.sub(tf.mul(tf.sigmoid(txy), scaleXY), (scaleXY - 1) / 2);
  const size = wh === 'darknet' ? tf.exp(tf.minimum(twh, WH_EXP_MAX)) : tf.square(tf.mul(tf.sigmoid(twh), 2));
  return { xy, wh: tf.mul(size, anchorCells) };
}

/** `[n, 4]` x1, y1, x2, y2 from channel-major centre and size (`[2, n]` each). */
function corners(xy: tf.Tensor, wh: tf.Tensor): tf.Tensor {
  const half = tf.div(wh, 2);
  return tf.transpose(tf.concat([tf.sub(xy, half), tf.add(xy, half)], 0));
}

/** Rows [from, from + count) of a channel-major `[K, n]` tensor (contiguous: cheap everywhere). */
const rows = (t: tf.Tensor, from: number, count: number) => tf.slice(t, [from, 0], [count, -1]);

function checkLayer(raw: tf.Tensor, layer: LossTargetLayer, l: number, classes: number | undefined): void {
  const t = layer.tensor;
  const where = `yoloLoss(): layer ${l}`;
  if (raw.rank !== 5) throw new ConfigError(`${where}: the output is [${raw.shape}]; pass the raw head as [B, H/stride, W/stride, A, 5 + C]`);
  if (t.rank !== 5) throw new ConfigError(`${where}: the target is [${t.shape}]; pass encodeTargets()'s [B, H, W, A, 6 + C] tensor`);
  if (raw.shape.slice(0, 4).some((d, i) => d !== t.shape[i]) || raw.shape[4] !== t.shape[4]! - 1) {
    throw new ConfigError(
      `${where}: output [${raw.shape}] does not fit target [${t.shape}]; the output must be [B, H, W, A, 5 + C] for a target [B, H, W, A, 6 + C], layers in the same order (finest first)`,
    );
  }
  if (raw.dtype !== 'float32' || t.dtype !== 'float32') {
    throw new ConfigError(`${where}: outputs and targets must be float32, got ${raw.dtype} and ${t.dtype}`);
  }
  if (raw.shape[4]! < 6) throw new ConfigError(`${where}: the output has ${raw.shape[4]} channels; it needs 5 + C with C ≥ 1`);
  if (classes !== undefined && raw.shape[4]! - 5 !== classes) {
    throw new ConfigError(`${where}: ${raw.shape[4]! - 5} classes, layer 0 has ${classes}; every layer predicts the same classes`);
  }
  checkAnchors(layer, raw.shape[3]!, where);
}

function checkAnchors(layer: { stride: number; anchors: number[][] }, A: number, where: string): void {
  if (!(layer.stride > 0)) throw new ConfigError(`${where}: stride must be > 0, got ${layer.stride}`);
  if (layer.anchors.length !== A || layer.anchors.some((a) => a.length !== 2 || !(a[0]! > 0 && a[1]! > 0))) {
    throw new ConfigError(`${where}: anchors must be ${A} pairs [w, h] > 0 (one per position on the A axis), got ${JSON.stringify(layer.anchors)}`);
  }
}

/**
 * The YOLO loss of a batch (SPEC §9; formulas in the module comment). `outputs[l]` is the
 * raw head of layer l, `[B, H/stride, W/stride, A, 5 + C]`; `targets[l]` its targets
 * (a `Batch`'s `targets`, or `{ tensor, stride, anchors }`), both finest first.
 * Differentiable in `outputs`; use `.total` in `tf.grad`/`optimizer.minimize`. Allocates
 * nothing beyond the four returned scalars.
 *
 * Cost: the objectness term is dense (every slot); the box and class terms run on the
 * positive slots only, gathered by index. To find them it reads back the objectness and
 * weight channels of the targets (2 floats a slot, one synchronous read per layer).
 *
 * @example
 * const { total, box, objectness, classes, positives } = yoloLoss(model.predict(batch.images), batch.targets!);
 */
export function yoloLoss(outputs: tf.Tensor[], targets: readonly LossTargetLayer[], options: YoloLossOptions = {}): YoloLoss {
  const o = resolveLossOptions(options);
  const nl = targets.length;
  if (nl === 0) throw new ConfigError('yoloLoss(): no target layers; run encodeTargets() before toTensors()');
  if (outputs.length !== nl) {
    throw new ConfigError(`yoloLoss(): ${outputs.length} outputs for ${nl} target layers; pass one raw head per layer, finest first`);
  }
  outputs.forEach((raw, l) => checkLayer(raw, targets[l]!, l, l === 0 ? undefined : outputs[0]!.shape[4]! - 5));
  const K = outputs[0]!.shape[4]!;
  const C = K - 5;
  const [B, H0, W0] = outputs[0]!.shape as number[];
  const first = targets[0]!;
  const settings = layerSettings(o, nl, C, { width: W0! * first.stride, height: H0! * first.stride });
  const plans = targets.map((t) => {
    const read = tf.tidy(() => tf.matMul(tf.reshape(t.tensor, [-1, K + 1]), columnPicker(K + 1, [TargetChannel.Objectness, TargetChannel.Weight])));
    const data = read.dataSync();
    read.dispose();
    return planSlots(data, t.tensor.shape, t.anchors, t.stride);
  });
  const positives = plans.reduce((n, p) => n + p.positives.length, 0);

  const result = tf.tidy(() => {
    const boxTerms: tf.Tensor[] = [];
    const objTerms: tf.Tensor[] = [];
    const clsTerms: tf.Tensor[] = [];
    outputs.forEach((raw, l) => {
      const plan = plans[l]!;
      const { tensor: target, stride } = targets[l]!;
      const x2 = tf.reshape(raw, [-1, K]);
      const P = plan.positives.length;
      // Objectness, split as Σ_negatives BCE(x, 0) + Σ_positives w·BCE(x, z_obj): the
      // positives' part needs the metric, which only the gathered rows have.
      const objParts: tf.Tensor[] = [];
      if (plan.sumObjWeights > 0) {
        const xObj = pickColumn(x2, 4);
        objParts.push(tf.sum(tf.mul(tf.tensor1d(plan.negatives), bceWithLogits(xObj, 0))));
      }
      if (P > 0) {
        const idx = tf.tensor1d(plan.positives, 'int32');
        // Channel-major [K, P] views of the positives' raw values and targets.
        const xp = tf.transpose(gatherRows(x2, idx));
        const tp = tf.transpose(tf.gather(tf.reshape(target, [-1, K + 1]), idx));
        const p = decodeCells(rows(xp, 0, 2), rows(xp, 2, 2), tf.transpose(tf.tensor2d(plan.anchors, [P, 2])), settings.scaleXY[l]!, o.wh);
        const gxy = tf.sub(tf.div(rows(tp, TargetChannel.X, 2), stride), tf.transpose(tf.tensor2d(plan.cells, [P, 2])));
        const gwh = tf.div(rows(tp, TargetChannel.W, 2), stride);
        const metric = boxIoUTensor(corners(p.xy, p.wh), corners(gxy, gwh), o.kind);
        const w = tf.tensor1d(plan.weights);
        boxTerms.push(tf.div(tf.sum(tf.mul(w, tf.sub(1, metric))), plan.sumWeights));
        if (C > 1) {
          const perSlot = tf.sum(bceWithLogits(rows(xp, 5, C), rows(tp, TargetChannel.Classes, C)), 0);
          clsTerms.push(tf.div(tf.sum(tf.mul(w, perSlot)), plan.sumWeights * C));
        }
        const zObj = o.gr > 0 ? tf.add(tf.mul(stopGradient(tf.relu(metric)), o.gr), 1 - o.gr) : 1;
        objParts.push(tf.sum(tf.mul(w, bceWithLogits(tf.reshape(rows(xp, 4, 1), [P]), zObj))));
      }
      if (objParts.length) objTerms.push(tf.mul(tf.addN(objParts), settings.balance[l]! / plan.sumObjWeights));
    });
    const sum = (ts: tf.Tensor[]) => (ts.length ? tf.addN(ts) : tf.scalar(0));
    const box = tf.mul(sum(boxTerms), settings.gains.box) as tf.Scalar;
    const objectness = tf.mul(sum(objTerms), settings.gains.obj) as tf.Scalar;
    const classes = tf.mul(sum(clsTerms), settings.gains.cls) as tf.Scalar;
    let total = tf.add(tf.add(box, objectness), classes) as tf.Scalar;
    if (o.multiplyByBatch) total = tf.mul(total, B!) as tf.Scalar;
    return { total, box, objectness, classes };
  });
  return { ...result, positives };
}

/** One layer's predictions decoded to input pixels (see {@link decodeOutputs}). */
export interface DecodedLayer {
  /** `[B, H, W, A, 4]` voc boxes x1, y1, x2, y2 in input pixels. */
  boxes: tf.Tensor;
  /** `[B, H, W, A]` sigmoid of the objectness logit. */
  objectness: tf.Tensor;
  /** `[B, H, W, A, C]` sigmoid of the class logits. */
  classes: tf.Tensor;
}

/**
 * Decode the raw heads `[B, H, W, A, 5 + C]` (finest first) to pixel boxes and
 * probabilities exactly as {@link yoloLoss} decodes them with the same `options`
 * (`wh`, `scaleXY` and its per-layer defaults; the other options are checked and unused):
 * centre `(s·sigmoid(t_xy) − (s−1)/2 + cell)·stride`, size `exp(min(t_wh, 8))·anchor`
 * ('darknet') or `(2·sigmoid(t_wh))²·anchor` ('yolov5'). For inference (NMS, mAP); the
 * caller owns the returned tensors.
 */
export function decodeOutputs(
  outputs: tf.Tensor[],
  layers: readonly { stride: number; anchors: number[][] }[],
  options: YoloLossOptions = {},
): DecodedLayer[] {
  const o = resolveLossOptions(options, 'decodeOutputs()');
  if (outputs.length !== layers.length || outputs.length === 0) {
    throw new ConfigError(`decodeOutputs(): ${outputs.length} outputs for ${layers.length} layers; pass one raw head per layer, finest first`);
  }
  outputs.forEach((raw, l) => {
    if (raw.rank !== 5 || raw.shape[4]! < 6) throw new ConfigError(`decodeOutputs(): output ${l} is [${raw.shape}]; pass a raw head [B, H, W, A, 5 + C]`);
    checkAnchors(layers[l]!, raw.shape[3]!, `decodeOutputs(): layer ${l}`);
  });
  const [, H0, W0, , K0] = outputs[0]!.shape as number[];
  const settings = layerSettings(o, outputs.length, K0! - 5, { width: W0! * layers[0]!.stride, height: H0! * layers[0]!.stride });
  return tf.tidy(() =>
    outputs.map((raw, l) => {
      const { stride, anchors } = layers[l]!;
      const [B, H, W, A, K] = raw.shape as number[];
      // Per-slot cell and anchor, channel-major [2, N].
      const n = B! * H! * W! * A!;
      const cell = new Float32Array(2 * n);
      const anchor = new Float32Array(2 * n);
      for (let s = 0; s < n; s++) {
        cell[s] = Math.floor(s / A!) % W!;
        cell[n + s] = Math.floor(s / (A! * W!)) % H!;
        anchor[s] = anchors[s % A!]![0]! / stride;
        anchor[n + s] = anchors[s % A!]![1]! / stride;
      }
      const x = tf.transpose(tf.reshape(raw, [-1, K!]));
      const p = decodeCells(rows(x, 0, 2), rows(x, 2, 2), tf.tensor2d(anchor, [2, n]), settings.scaleXY[l]!, o.wh);
      const boxes = tf.mul(corners(tf.add(p.xy, tf.tensor2d(cell, [2, n])), p.wh), stride);
      return {
        boxes: tf.reshape(boxes, [B!, H!, W!, A!, 4]),
        objectness: tf.reshape(tf.sigmoid(rows(x, 4, 1)), [B!, H!, W!, A!]),
        classes: tf.reshape(tf.transpose(tf.sigmoid(rows(x, 5, K! - 5))), [B!, H!, W!, A!, K! - 5]),
      };
    }),
  );
}
