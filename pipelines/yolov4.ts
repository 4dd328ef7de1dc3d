/**
 * YOLOv4's Bag of Freebies as a training pipeline, with no tuning:
 * random training shapes 320..608 (a new shape every 10 batches) → decode (each image
 * resized so its long side is the shape, inside the decoder) → mosaic of 4 images with
 * random perspective (translate 0.1, scale 0.5) → MixUp p 0.1 → HSV (YOLOv5 gains) and
 * horizontal flip → batches whose size grows as the shape shrinks (Darknet's
 * dynamic_minibatch from 16 at 608) → adversarial samples mixed back in (with
 * `freebies train --sat`) → binary label smoothing → YOLO targets for three
 * scales with several anchors per ground truth (Darknet's iou_thresh 0.213) → tensors.
 *
 * `freebies profile pipelines/yolov4.ts --data DIR` runs it; from code:
 * `import yolov4 from 'freebies/pipelines/yolov4.ts'` or copy it and change what you need.
 */
import {
  augment, decode, DEFAULT_SEARCH_SPACE, DEFAULT_SIZES, dynamicBatch, encodeTargets, flip, fromFolder, hsv, mixup, mosaic, prefetch,
  randomShapes, reinject, smoothLabels, toTensors, type Gene, type PipelineFileOptions,
} from 'freebies';

/**
 * The augmentation hyperparameters this pipeline reads from `hyperparameters` (YOLOv5's
 * names, so a `freebies evolve` search space can name them), with their defaults.
 */
export const HYPERPARAMETERS = { hsv_h: 0.015, hsv_s: 0.7, hsv_v: 0.4, translate: 0.1, scale: 0.5, fliplr: 0.5, mixup: 0.1 };

/**
 * What `freebies evolve pipelines/yolov4.ts` searches: SPEC §12's seed genes (lr, batch,
 * weight decay, IoU threshold) and this pipeline's augmentation gains, on YOLOv5's ranges.
 */
export const searchSpace: Gene[] = [
  ...DEFAULT_SEARCH_SPACE,
  { name: 'hsv_h', kind: 'float', min: 0, max: 0.1 },
  { name: 'hsv_s', kind: 'float', min: 0, max: 0.9 },
  { name: 'hsv_v', kind: 'float', min: 0, max: 0.9 },
  { name: 'translate', kind: 'float', min: 0, max: 0.9 },
  { name: 'scale', kind: 'float', min: 0, max: 0.9 },
  { name: 'fliplr', kind: 'float', min: 0, max: 1 },
  { name: 'mixup', kind: 'float', min: 0, max: 1 },
];

export default function yolov4({ data, seed = 0, epochs = 1, workers, size = 608, batchSize = 16, limit, targets, hyperparameters, adversarial }: PipelineFileOptions) {
  const h = { ...HYPERPARAMETERS, ...hyperparameters };
  // 320, 352, …, up to `size` (608 by default)
  const sizes = DEFAULT_SIZES.filter((s) => s <= size);
  return fromFolder(data, { seed, epochs, workers, limit }).pipe(
    randomShapes({ sizes: sizes.length ? sizes : [size], every: 10 }),
    decode(),
    mosaic({ translate: h.translate, scale: h.scale }),
    mixup({ p: h.mixup }),
    augment(hsv({ hgain: h.hsv_h, sgain: h.hsv_s, vgain: h.hsv_v }), flip({ p: h.fliplr })),
    dynamicBatch({ base: batchSize }),
    // Self-Adversarial Training's samples come back here (`freebies train --sat`); a no-op without it
    reinject(adversarial),
    smoothLabels({ epsilon: 0.1, mode: 'binary' }),
    // the trained model's anchors when `freebies train` gives them, else YOLOv4's COCO ones
    encodeTargets({ rule: 'iou-threshold', iouThreshold: 0.213, ...targets }),
    toTensors(),
    prefetch(2),
  );
}
