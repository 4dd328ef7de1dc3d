/**
 * The basic pipeline: decode → letterbox(608) → augment(flip) → batch(16) → tensors.
 * Letterbox comes before the flip, as in YOLOv5's loader, so it fuses into the decode
 * (resized and padded inside sharp) and the flip runs on the network-sized image.
 * A pipeline file's default export takes the run's options and returns the pipeline;
 * `freebies profile pipelines/basic.ts --data DIR` runs it.
 */
import { augment, batch, decode, flip, fromFolder, letterbox, prefetch, toTensors, type PipelineFileOptions } from 'freebies';

export default function basic({ data, seed = 0, epochs = 1, workers, size = 608, batchSize = 16 }: PipelineFileOptions) {
  return fromFolder(data, { seed, epochs, workers }).pipe(
    decode(),
    letterbox(size),
    augment(flip()),
    batch(batchSize),
    toTensors(),
    prefetch(2),
  );
}
