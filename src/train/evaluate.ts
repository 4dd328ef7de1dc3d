/**
 * Evaluation of a model on a stream of batches: decode the heads, keep the candidates
 * above a confidence threshold, per-image NMS, then COCO mAP (SPEC §13) against the
 * batch's own boxes. Both sides stay in network pixels: letterboxing moves and scales
 * boxes uniformly, so the IoUs — and the mAP — are those of the original image.
 */
import * as tf from '@tensorflow/tfjs';
import { BoxFlag } from '../core/types.ts';
import type { Batch } from '../tensor/batch.ts';
import { decodeOutputs, type YoloLossOptions } from './loss.ts';
import { evaluateMap, type MapDetection, type MapGroundTruth, type MapResult } from './map.ts';
import { nms } from './nms.ts';

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  /** The anchors per output layer, finest first, and their strides (as `encodeTargets` used). */
  layers: readonly { stride: number; anchors: number[][] }[];
  /** Candidates need objectness × class probability above this. Default 0.001 (YOLOv5 val). */
  confThreshold?: number;
  /** NMS IoU threshold. Default 0.6 (YOLOv5 val). */
  iouThreshold?: number;
  /** Greedy or DIoU-NMS (SPEC §9). Default greedy. */
  nmsKind?: 'greedy' | 'diou';
  /** Detections kept per image. Default 300. */
  maxDetections?: number;
  /** Decoding options (wh form, scaleXY): the loss's. */
  decode?: YoloLossOptions;
  /** Stop after this many batches. */
  maxBatches?: number;
}

/** Detections of one image, in network pixels. */
export interface ImageDetections {
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;
}

/**
 * Decode one batch's raw heads into per-image detections (candidates above `conf`, then
 * NMS per class). Every tensor made here is disposed.
 */
export function detect(outputs: tf.Tensor[], options: EvaluateOptions): ImageDetections[] {
  const conf = options.confThreshold ?? 0.001;
  const decoded = decodeOutputs(outputs, options.layers, options.decode ?? {});
  const B = outputs[0]!.shape[0]!;
  const C = outputs[0]!.shape[4]! - 5;
  const perImage: { boxes: number[]; scores: number[]; classes: number[] }[] = Array.from({ length: B }, () => ({ boxes: [], scores: [], classes: [] }));
  try {
    for (const layer of decoded) {
      const boxes = layer.boxes.dataSync();
      const obj = layer.objectness.dataSync();
      const cls = layer.classes.dataSync();
      const slots = obj.length / B;
      for (let b = 0; b < B; b++) {
        const out = perImage[b]!;
        for (let k = b * slots; k < (b + 1) * slots; k++) {
          const o = obj[k]!;
          if (o <= conf) continue;
          // every class above the threshold is a candidate (YOLOv5's multi-label val)
          for (let c = 0; c < C; c++) {
            const score = o * cls[k * C + c]!;
            if (score <= conf) continue;
            out.boxes.push(boxes[k * 4]!, boxes[k * 4 + 1]!, boxes[k * 4 + 2]!, boxes[k * 4 + 3]!);
            out.scores.push(score);
            out.classes.push(c);
          }
        }
      }
    }
  } finally {
    for (const l of decoded) tf.dispose([l.boxes, l.objectness, l.classes]);
  }
  return perImage.map(({ boxes, scores, classes }) => {
    const keep = nms(Float32Array.from(boxes), scores, classes, {
      iouThreshold: options.iouThreshold ?? 0.6,
      kind: options.nmsKind ?? 'greedy',
      maxDetections: options.maxDetections ?? 300,
    });
    return {
      boxes: Float32Array.from(keep.flatMap((i) => boxes.slice(i * 4, i * 4 + 4))),
      scores: Float32Array.from(keep.map((i) => scores[i]!)),
      classes: Int32Array.from(keep.map((i) => classes[i]!)),
    };
  });
}

/**
 * COCO mAP of `model` on `batches` (each disposed after use). Ground truth is the batch's
 * padded boxes; boxes flagged Ignore (COCO crowd, VOC difficult) are ignore regions.
 */
export async function evaluateModel(model: tf.LayersModel, batches: AsyncIterable<Batch>, options: EvaluateOptions): Promise<MapResult & { images: number }> {
  const gts: MapGroundTruth[] = [];
  const dets: MapDetection[] = [];
  let images = 0;
  let taken = 0;
  const iterator = batches[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (options.maxBatches !== undefined && taken >= options.maxBatches) break;
      const next = await iterator.next();
      if (next.done) break;
      const batch = next.value;
      taken++;
      try {
        const outputs = tf.tidy(() => {
          const o = model.predict(batch.images) as tf.Tensor | tf.Tensor[];
          return Array.isArray(o) ? o : [o];
        });
        let found: ImageDetections[];
        try {
          found = detect(outputs, options);
        } finally {
          tf.dispose(outputs);
        }
        const [boxes, classes, flags, counts] = [batch.boxes.dataSync(), batch.classes.dataSync(), batch.flags.dataSync(), batch.counts.dataSync()];
        const N = batch.boxes.shape[1];
        for (let b = 0; b < batch.size; b++) {
          const imageId = images + b;
          for (let i = 0; i < counts[b]!; i++) {
            const k = b * N + i;
            gts.push({
              imageId,
              classId: classes[k]!,
              box: boxes.slice(k * 4, k * 4 + 4),
              ignore: (flags[k]! & BoxFlag.Ignore) !== 0,
            });
          }
          const d = found[b]!;
          for (let i = 0; i < d.scores.length; i++) {
            dets.push({ imageId, classId: d.classes[i]!, score: d.scores[i]!, box: d.boxes.slice(i * 4, i * 4 + 4) });
          }
        }
        images += batch.size;
      } finally {
        batch.dispose();
      }
    }
  } finally {
    await iterator.return?.();
  }
  return { ...evaluateMap(gts, dets), images };
}
