/**
 * Batch → tensors. Images are collated as bytes and normalised to 0..1 on the
 * backend (cheaper than a float copy in JS); boxes, classes, weights and flags are
 * padded to the batch's largest box count, with a count per image; YOLO targets (when
 * `encodeTargets()` ran) become one 5-D tensor per layer.
 */
import * as tf from '@tensorflow/tfjs';
import type { SampleMeta } from '../core/types.ts';
import type { SampleBatch, TargetLayer } from '../batch/types.ts';
import { smoothingFromMeta, type LabelSmoothing } from '../batch/smoothing.ts';

/** One layer of YOLO targets as a tensor (from `encodeTargets()`); see {@link TargetLayer}. */
export interface BatchTargetLayer extends Omit<TargetLayer, 'data'> {
  /** `[B, gridHeight, gridWidth, A, 6 + C]` float32; channels as `TargetChannel`. */
  tensor: tf.Tensor5D;
}

/** A batch of tensors. The consumer owns it and must call `dispose()`. */
export interface Batch {
  /** [B,H,W,3] float32 in 0..1. */
  images: tf.Tensor4D;
  /** [B,N,4] float32 pixel x1,y1,x2,y2; rows past `counts[b]` are 0. */
  boxes: tf.Tensor3D;
  /** [B,N] int32; −1 in padding. */
  classes: tf.Tensor2D;
  /** [B,N] float32 per-box loss weights; 0 in padding. */
  weights: tf.Tensor2D;
  /** [B,N] int32 {@link BoxFlag} masks (1 = ignore region). */
  flags: tf.Tensor2D;
  /** [B] int32 boxes per image. */
  counts: tf.Tensor1D;
  /** Per output layer, finest first, when `encodeTargets()` ran; disposed with the batch. */
  targets?: BatchTargetLayer[];
  /** The label smoothing `smoothLabels()` set for this batch (or its first sample), if any. */
  labelSmoothing?: LabelSmoothing;
  ids: string[];
  meta: SampleMeta[];
  /** Number of images. */
  size: number;
  /** Free every tensor of the batch. */
  dispose(): void;
}

/**
 * One layer of targets as a tensor layer. Sparse targets (what `encodeTargets()` makes)
 * are scattered into zeros on the backend, so the dense array is never built in
 * JavaScript; a layer given only as `data` is uploaded as it is.
 */
export function targetTensorLayer(layer: TargetLayer): BatchTargetLayer {
  const { stride, gridWidth, gridHeight, anchors, mask, classes, collisions, shape } = layer;
  let tensor: tf.Tensor5D;
  if (layer.slots && layer.rows) {
    const { slots, rows } = layer;
    const K = shape[4];
    const slotCount = shape[0] * shape[1] * shape[2] * shape[3];
    tensor =
      slots.length === 0
        ? tf.zeros(shape)
        : tf.tidy(() => tf.reshape(tf.scatterND(tf.tensor2d(slots, [slots.length, 1], 'int32'), tf.tensor2d(rows, [slots.length, K]), [slotCount, K]), shape));
  } else tensor = tf.tensor5d(layer.data, shape);
  return { stride, gridWidth, gridHeight, anchors, mask, classes, collisions, shape, tensor };
}

let stagingBuffer = new Int32Array(0);

/**
 * A reusable int32 staging area for pixels: allocating (and zeroing) tens of MB per
 * batch costs more than the copy itself. Safe because the int32 tensor made from it
 * is cast and disposed inside collate, before the next batch.
 */
function staging(n: number): Int32Array {
  if (stagingBuffer.length < n) stagingBuffer = new Int32Array(n);
  return stagingBuffer.subarray(0, n);
}

/** Collate a {@link SampleBatch}; every image must have the same size (letterbox first). */
export function collate(b: SampleBatch): Batch {
  const first = b.samples[0];
  if (!first) throw new Error('collate: empty batch');
  const { width: W, height: H } = first.image;
  const B = b.samples.length;
  const pixels = staging(B * H * W * 3);
  let maxN = 0;
  b.samples.forEach((s, i) => {
    if (s.image.width !== W || s.image.height !== H) {
      throw new Error(
        `toTensors(): images of one batch differ in size (${s.id} is ${s.image.width}×${s.image.height}, ` +
          `${first.id} is ${W}×${H}); put letterbox(size) before batch()`,
      );
    }
    pixels.set(s.image.data, i * H * W * 3);
    maxN = Math.max(maxN, s.classes.length);
  });
  const N = Math.max(1, maxN);
  const boxes = new Float32Array(B * N * 4);
  const classes = new Int32Array(B * N).fill(-1);
  const weights = new Float32Array(B * N);
  const flags = new Int32Array(B * N);
  const counts = new Int32Array(B);
  b.samples.forEach((s, i) => {
    const n = s.classes.length;
    counts[i] = n;
    boxes.set(s.boxes, i * N * 4);
    classes.set(s.classes, i * N);
    weights.set(s.weights, i * N);
    flags.set(s.flags, i * N);
  });
  const images = tf.tidy(() => tf.tensor4d(pixels, [B, H, W, 3], 'int32').toFloat().div(255) as tf.Tensor4D);
  const tensors = {
    images,
    boxes: tf.tensor3d(boxes, [B, N, 4]),
    classes: tf.tensor2d(classes, [B, N], 'int32'),
    weights: tf.tensor2d(weights, [B, N]),
    flags: tf.tensor2d(flags, [B, N], 'int32'),
    counts: tf.tensor1d(counts, 'int32'),
  };
  let targets: BatchTargetLayer[] | undefined;
  if (b.targets) {
    targets = [];
    try {
      for (const layer of b.targets) targets.push(targetTensorLayer(layer));
    } catch (err) {
      // A malformed layer must not leak the tensors made before it.
      tf.dispose([...Object.values(tensors), ...targets.map((t) => t.tensor)]);
      throw err;
    }
  }
  const all: tf.Tensor[] = [...Object.values(tensors), ...(targets ?? []).map((t) => t.tensor)];
  const labelSmoothing = b.labelSmoothing ?? smoothingFromMeta(first.meta);
  return {
    ...tensors,
    ...(targets ? { targets } : {}),
    ...(labelSmoothing ? { labelSmoothing } : {}),
    ids: b.ids,
    meta: b.samples.map((s) => s.meta),
    size: B,
    dispose: () => tf.dispose(all),
  };
}

/** Rows 0..n−1 in consecutive runs of at most `m` (the passes of a micro-batched step). */
export function rowChunks(n: number, m: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < n; start += m) out.push(Array.from({ length: Math.min(m, n - start) }, (_, i) => start + i));
  return out;
}

/**
 * The images `rows` of `batch` (in that order) as a batch of their own: every tensor, its
 * targets, ids and meta gathered along the batch axis. The result owns new tensors (its
 * `dispose` frees them); `batch` is left as it is.
 */
export function selectBatchRows(batch: Batch, rows: readonly number[]): Batch {
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= batch.size) throw new RangeError(`selectBatchRows: row ${r} is not in a batch of ${batch.size}`);
  }
  const made = tf.tidy(() => {
    const idx = tf.tensor1d(Array.from(rows), 'int32');
    const pick = <T extends tf.Tensor>(t: T) => tf.gather(t, idx) as T;
    return {
      images: pick(batch.images),
      boxes: pick(batch.boxes),
      classes: pick(batch.classes),
      weights: pick(batch.weights),
      flags: pick(batch.flags),
      counts: pick(batch.counts),
      targets: batch.targets?.map((t) => pick(t.tensor)),
    };
  });
  const { targets: targetTensors, ...tensors } = made;
  const targets = batch.targets?.map((t, i) => ({ ...t, tensor: targetTensors![i]! }));
  const all: tf.Tensor[] = [...Object.values(tensors), ...(targetTensors ?? [])];
  return {
    ...tensors,
    ...(targets ? { targets } : {}),
    ...(batch.labelSmoothing ? { labelSmoothing: batch.labelSmoothing } : {}),
    ids: rows.map((r) => batch.ids[r]!),
    meta: rows.map((r) => batch.meta[r]!),
    size: rows.length,
    dispose: () => tf.dispose(all),
  };
}
