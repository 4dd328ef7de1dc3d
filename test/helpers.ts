/** Shared test helpers: dataset paths and batch readers. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Batch } from '../index.ts';

export const DATASETS = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));
export const COCO128 = path.join(DATASETS, 'coco128');
export const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A batch's contents as plain arrays (then disposes it). */
export async function readBatch(b: Batch): Promise<{ ids: string[]; images: Float32Array; boxes: Float32Array; counts: Int32Array }> {
  const out = {
    ids: b.ids,
    images: (await b.images.data()) as Float32Array,
    boxes: (await b.boxes.data()) as Float32Array,
    counts: (await b.counts.data()) as Int32Array,
  };
  b.dispose();
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
