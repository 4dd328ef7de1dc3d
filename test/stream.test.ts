/** Stream tests: the three ways to consume, backpressure, determinism, epochs and shards. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs';
import { augment, batch, decode, flip, fromYolo, initBackend, letterbox, prefetch, toTensors, type Batch } from '../index.ts';
import { COCO128, readBatch, sleep } from './helpers.ts';

const small = (o: { seed?: number; workers?: number; limit?: number; epochs?: number; shard?: { index: number; count: number } } = {}) =>
  fromYolo(COCO128, { limit: 24, workers: 2, ...o }).pipe(decode(), augment(flip()), letterbox(96), batch(8), toTensors());

describe('consuming a pipeline', () => {
  it('for await yields tensor batches of the declared shape', async () => {
    const p = small();
    const shapes: number[][] = [];
    let ids = 0;
    for await (const b of p) {
      shapes.push(b.images.shape);
      assert.equal(b.images.dtype, 'float32');
      const max = (await b.images.max().data())[0]!;
      assert.ok(max <= 1 && max > 0.5, `images are scaled to 0..1 (max ${max})`);
      ids += b.ids.length;
      b.dispose();
    }
    assert.deepEqual(shapes, [[8, 96, 96, 3], [8, 96, 96, 3], [8, 96, 96, 3]]);
    assert.equal(ids, 24);
    assert.equal(p.report().samples, 24);
    assert.equal(p.report().batches, 3);
  });

  it('as an Observable, with the same batches as the iterator', async () => {
    const viaObservable = await lastValueFrom(small().pipe(toArray()));
    const a = await Promise.all(viaObservable.map(readBatch));
    const b: Awaited<ReturnType<typeof readBatch>>[] = [];
    for await (const x of small()) b.push(await readBatch(x));
    assert.deepEqual(a.map((x) => x.ids), b.map((x) => x.ids));
    assert.deepEqual(a[1]!.images, b[1]!.images);
    assert.deepEqual(a[2]!.boxes, b[2]!.boxes);
  });

  it('as a tf.data.Dataset for model.fitDataset', async () => {
    await initBackend('wasm');
    const model = tf.sequential({
      // Dense only: tfjs 4.22's wasm backend has no conv weight-gradient kernel (the trainer issue adds it).
      layers: [tf.layers.flatten({ inputShape: [96, 96, 3] }), tf.layers.dense({ units: 1 })],
    });
    model.compile({ optimizer: tf.train.sgd(1e-4), loss: 'meanSquaredError' });
    const before = tf.memory().numTensors;
    // Target: the number of boxes in each image (a scalar per image).
    const ds = small().toDataset((b: Batch) => ({ xs: b.images, ys: tf.tidy(() => b.counts.toFloat().expandDims(1)) }));
    const history = await model.fitDataset(ds, { epochs: 2, verbose: 0 });
    assert.equal(history.history.loss!.length, 2);
    for (const l of history.history.loss as number[]) assert.ok(Number.isFinite(l) && l > 0, `finite loss ${l}`);
    // Every batch tensor is disposed: toDataset frees what the element does not use, fitDataset the rest.
    assert.equal(tf.memory().numTensors - before, 0, 'no batch tensor outlives its step');
    model.dispose();
  });
});

describe('backpressure', () => {
  it('a consumer taking one batch per second holds the pipeline to the prefetch bound', async () => {
    const p = fromYolo(COCO128, { workers: 2, epochs: Infinity }).pipe(decode(), letterbox(160), batch(4), toTensors(), prefetch(1));
    const bound = 4 * (1 + 1);
    const rss: number[] = [];
    let n = 0;
    for await (const b of p) {
      b.dispose();
      const r = p.report();
      const decoded = r.stages.find((s) => s.name === 'decode')!.items;
      // Never more decoded than delivered plus what the bound allows in flight.
      assert.ok(decoded <= r.samples + r.inFlightBound, `decoded ${decoded} ≤ delivered ${r.samples} + bound ${r.inFlightBound}`);
      assert.ok(r.samplesHeld <= r.inFlightBound);
      rss.push(process.memoryUsage().rss);
      if (++n === 6) break;
      await sleep(1000);
    }
    const r = p.report();
    assert.equal(r.inFlightBound, Math.max(bound, 2 * 2 + 2));
    assert.ok(r.maxSamplesHeld <= r.inFlightBound, `held at most ${r.maxSamplesHeld}`);
    // While the consumer sleeps the source stays parked: nothing beyond the bound was decoded.
    const decoded = r.stages.find((s) => s.name === 'decode')!.items;
    assert.ok(decoded <= 6 * 4 + r.inFlightBound, `decoded ${decoded}`);
    const growth = (rss[5]! - rss[1]!) / 2 ** 20;
    assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB between batch 2 and 6`);
  });
});

describe('determinism', () => {
  it('one seed gives bit-identical batches with 1 and with 3 workers', async () => {
    const run = async (workers: number) => {
      const out = [];
      for await (const b of small({ seed: 7, workers })) out.push(await readBatch(b));
      return out;
    };
    const one = await run(1);
    const three = await run(3);
    assert.equal(one.length, 3);
    assert.deepEqual(one.map((b) => b.ids), three.map((b) => b.ids));
    for (let i = 0; i < one.length; i++) {
      assert.ok(Buffer.from(one[i]!.images.buffer).equals(Buffer.from(three[i]!.images.buffer)), `batch ${i} pixels`);
      assert.deepEqual(one[i]!.boxes, three[i]!.boxes);
    }
    // A different seed shuffles differently.
    const other: string[] = [];
    for await (const b of small({ seed: 8 })) other.push(...(await readBatch(b)).ids);
    assert.notDeepEqual(other, one.flatMap((b) => b.ids));
  });

  it('epochs reshuffle, and shards are disjoint, complete and repeatable', async () => {
    const ids = async (o: Parameters<typeof fromYolo>[1]) => {
      const got = await lastValueFrom(fromYolo(COCO128, o).pipe(toArray()));
      return got.map((r) => r.id);
    };
    const two = await ids({ epochs: 2, seed: 3 });
    assert.equal(two.length, 256);
    assert.notDeepEqual(two.slice(0, 128), two.slice(128));
    assert.deepEqual([...two.slice(0, 128)].sort(), [...two.slice(128)].sort());
    const shards = await Promise.all([0, 1, 2].map((index) => ids({ seed: 3, shard: { index, count: 3 } })));
    assert.deepEqual(shards.map((s) => s.length), [43, 43, 42]);
    const all = shards.flat();
    assert.equal(new Set(all).size, 128);
    assert.deepEqual(await ids({ seed: 3, shard: { index: 1, count: 3 } }), shards[1]);
  });
});
