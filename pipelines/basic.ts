/**
 * The basic pipeline: decode → letterbox(608) → augment(hsv, randomPerspective, flip) →
 * batch(16) → (adversarial samples, with `freebies train --sat`) → tensors. Letterbox comes first, as in YOLOv5's loader, so it fuses into the
 * decode (resized and padded inside sharp); the per-sample chain is YOLOv5's default one
 * (HSV gains 0.015/0.7/0.4, translate 0.1, scale 0.5, horizontal flip p 0.5), all of it
 * in one worker task per sample, and the flip folds into the perspective warp.
 * A pipeline file's default export takes the run's options and returns the pipeline;
 * `freebies profile pipelines/basic.ts --data DIR` runs it.
 */
import {
  augment, batch, decode, flip, fromFolder, hsv, letterbox, prefetch, randomPerspective, reinject, toTensors,
  type PipelineFileOptions,
} from 'freebies';

export default function basic({ data, seed = 0, epochs = 1, workers, size = 608, batchSize = 16, adversarial }: PipelineFileOptions) {
  return fromFolder(data, { seed, epochs, workers }).pipe(
    decode(),
    letterbox(size),
    augment(hsv(), randomPerspective(), flip()),
    batch(batchSize),
    // Self-Adversarial Training's samples come back here (`freebies train --sat`); a no-op without it
    reinject(adversarial),
    toTensors(),
    prefetch(2),
  );
}
