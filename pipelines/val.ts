/**
 * The validation pipeline: every image once, in order, letterboxed to `size` (608 by
 * default) with no augmentation, in batches of `batchSize`. Letterbox geometry stays in
 * each sample's meta so detections map back to the original image.
 */
import { batch, decode, fromFolder, letterbox, prefetch, toTensors, type PipelineFileOptions } from 'freebies';

export default function val({ data, seed = 0, workers, size = 608, batchSize = 16, limit }: PipelineFileOptions) {
  return fromFolder(data, { seed, epochs: 1, shuffle: false, workers, limit }).pipe(
    decode(),
    letterbox(size),
    batch(batchSize),
    toTensors(),
    prefetch(2),
  );
}
