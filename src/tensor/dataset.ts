/**
 * A pipeline as a `tf.data.Dataset`, for `model.fitDataset`. Each element is what
 * `toXY` makes of a batch; tensors of the batch that `toXY` does not return are
 * disposed here, and tfjs disposes the returned ones after the step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './batch.ts';

/** Turns a batch into a dataset element (e.g. `{ xs, ys }`). */
export type BatchToElement = (batch: Batch) => tf.TensorContainer;

/** Default element: `{ xs: images, ys: boxes }`. */
export const imagesAndBoxes: BatchToElement = (b) => ({ xs: b.images, ys: b.boxes });

function tensorsIn(value: tf.TensorContainer, into: Set<tf.Tensor>): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => tensorsIn(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => tensorsIn(v as tf.TensorContainer, into));
  return into;
}

/** Wrap an async iterable of batches as a dataset. */
export function batchesToDataset(
  batches: () => AsyncIterator<Batch>,
  toElement: BatchToElement = imagesAndBoxes,
): tf.data.Dataset<tf.TensorContainer> {
  return tf.data.generator(() => {
    const it = batches();
    return {
      next: async () => {
        const r = await it.next();
        if (r.done) return { value: undefined, done: true };
        const element = toElement(r.value);
        const keep = tensorsIn(element, new Set());
        const all = [
          r.value.images, r.value.boxes, r.value.classes, r.value.weights, r.value.flags, r.value.counts,
          ...(r.value.targets ?? []).map((t) => t.tensor),
        ];
        for (const t of all) if (!keep.has(t)) t.dispose();
        return { value: element, done: false };
      },
    } as unknown as Iterator<tf.TensorContainer>;
  });
}
