/**
 * The shipped pipelines end to end on coco128: yolov4.ts (every freebie at once) replays
 * bit for bit with 1 and 3 workers, and val.ts letterboxes every image once, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yolov4 from '../pipelines/yolov4.ts';
import val from '../pipelines/val.ts';
import type { Batch } from '../index.ts';
import { COCO128 } from './helpers.ts';

/** A batch as plain numbers: ids, a digest of the pixels, the boxes and a digest of every target layer. */
async function summary(b: Batch) {
  const images = (await b.images.data()) as Float32Array;
  let digest = 0;
  for (let i = 0; i < images.length; i += 7) digest = (digest * 31 + Math.round(images[i]! * 255)) % 1_000_000_007;
  const targets = [];
  for (const t of b.targets ?? []) {
    const d = (await t.tensor.data()) as Float32Array;
    let s = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) s += d[i]! * ((i % 997) + 1);
    targets.push({ shape: t.tensor.shape, sum: Math.round(s * 1000) });
  }
  const out = { ids: b.ids, shape: b.images.shape, digest, boxes: Array.from((await b.boxes.data()) as Float32Array), targets };
  b.dispose();
  return out;
}

describe('pipelines/yolov4.ts', () => {
  const run = async (workers: number) => {
    const p = yolov4({ data: COCO128, seed: 3, workers, size: 352, batchSize: 8, limit: 40 });
    const out = [];
    for await (const b of p) out.push(await summary(b));
    return out;
  };

  it('is deterministic: the same batches, pixels, boxes and targets with 1 and 3 workers', async () => {
    const one = await run(1);
    const three = await run(3);
    assert.deepEqual(three, one);
    // shapes 320 and 352 only (size 352); dynamic batches: 8 at 352, ⌊8·352²/320²⌋ = 9 at 320
    for (const b of one) {
      const [n, h, w] = b.shape;
      assert.equal(h, w);
      assert.ok(h === 320 || h === 352, `shape ${h}`);
      assert.equal(b.targets.length, 3);
      assert.deepEqual(b.targets.map((t) => t.shape.slice(0, 3)), [8, 16, 32].map((st) => [n, h! / st, w! / st]));
      assert.equal(b.targets[0]!.shape[4], 86, '80 classes + 6 channels');
    }
    assert.equal(one.reduce((a, b) => a + b.ids.length, 0), 40);
  });
});

describe('pipelines/val.ts', () => {
  it('letterboxes every image once, in dataset order', async () => {
    const p = val({ data: COCO128, size: 320, batchSize: 16, limit: 32 });
    const ids: string[] = [];
    for await (const b of p) {
      assert.deepEqual(b.images.shape.slice(1), [320, 320, 3]);
      ids.push(...b.ids);
      b.dispose();
    }
    assert.equal(ids.length, 32);
    assert.deepEqual(ids, [...ids].sort());
  });
});
