/**
 * The basic pipeline: decode → augment(flip) → letterbox(608) → batch(16) → tensors.
 * A pipeline file's default export takes the run's options and returns the pipeline;
 * `freebies profile pipelines/basic.ts --data DIR` runs it.
 */
import { augment, batch, decode, flip, fromFolder, letterbox, prefetch, toTensors, type PipelineFileOptions } from 'freebies';

export default function basic({ data, seed = 0, epochs = 1, workers, size = 608, batchSize = 16 }: PipelineFileOptions) {
  return fromFolder(data, { seed, epochs, workers }).pipe(
    decode(),
    augment(flip()),
    letterbox(size),
    batch(batchSize),
    toTensors(),
    prefetch(2),
  );
}
