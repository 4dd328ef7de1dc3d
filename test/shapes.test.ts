/**
 * Random training shapes and dynamic batch sizes (SPEC §6): the shape schedule (list
 * rule, Darknet rule), the batch-size rules on worked numbers (test/reference/shapes.py),
 * marble tests of dynamicBatch(), and whole pipelines over coco128 and over a fixture
 * with a corrupt image: every batch is one shape, no sample is lost or moved.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filter, lastValueFrom, map, of, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import sharp from 'sharp';
import { batch, ConfigError, decode, fromYolo, type Sample, type SampleBatch } from '../index.ts';
import {
  darknetBatchSize,
  darknetLargest,
  darknetShape,
  darknetShapes,
  DEFAULT_SIZES,
  defaultBytesPerImage,
  makeShapeSchedule,
  maxBatchSize,
  memoryBatchSize,
  parseBytes,
  scheduleShape,
  YOLOV4_ACTIVATION_FACTOR,
  type Shape,
  type ShapeSchedule,
} from '../src/batch/shapes.ts';
import { randomShapes, type ShapeTag } from '../operators/random-shapes.ts';
import { batchSizeRule, dynamicBatch } from '../operators/dynamic-batch.ts';
import { letterbox } from '../operators/letterbox.ts';
import { COCO128 } from './helpers.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const sq = (n: number): Shape => ({ width: n, height: n });
const DARKNET = { init: sq(416), coef: 1.4, step: 32 };
const tag = (s: { meta: unknown }) => s.meta as ShapeTag;

/** The shapes of batches `from … from + n − 1` of one epoch. */
const shapesOf = (schedule: ShapeSchedule, seed: number, epoch: number, n: number, from = 0, runOffset = 1000) =>
  Array.from({ length: n }, (_, i) => scheduleShape(schedule, seed, { epoch, batch: from + i, runBatch: runOffset + from + i }).width);

describe('shape schedule: list rule', () => {
  const list = makeShapeSchedule({ sizes: [320, 416, 512, 608], every: 10 });

  it('defaults to 320, 352, …, 608 changing every 10 batches', () => {
    assert.deepEqual(DEFAULT_SIZES, [320, 352, 384, 416, 448, 480, 512, 544, 576, 608]);
    const d = makeShapeSchedule();
    assert.equal(d.every, 10);
    assert.deepEqual(d.shapes.map((s) => s.width), DEFAULT_SIZES);
    assert.deepEqual(d.largest, sq(608));
    assert.equal(d.largestFirst, false);
  });

  it('changes only every `every` batches, and only to listed sizes', () => {
    const widths = shapesOf(list, 0, 0, 100);
    for (let k = 0; k < 100; k++) {
      assert.ok([320, 416, 512, 608].includes(widths[k]!), `batch ${k}: ${widths[k]}`);
      if (k % 10 !== 0) assert.equal(widths[k], widths[k - 1], `batch ${k} keeps the shape of its block`);
    }
    // Worked: blocks 0..9 of seed 0, epoch 0 (the draw int(0, 3) of the stream (Shapes, 0, 0, j)).
    assert.deepEqual(widths.filter((_, k) => k % 10 === 0), [320, 416, 512, 512, 512, 608, 320, 512, 416, 320]);
  });

  it('is deterministic per seed and differs across seeds and epochs', () => {
    const blocks = (seed: number, epoch: number) => shapesOf(list, seed, epoch, 10).concat(shapesOf(list, seed, epoch, 90, 10)).filter((_, k) => k % 10 === 0);
    assert.deepEqual(blocks(0, 0), blocks(0, 0));
    assert.deepEqual(blocks(0, 1), [416, 512, 320, 320, 320, 416, 416, 320, 512, 320]);
    assert.deepEqual(blocks(1, 0), [416, 512, 320, 320, 512, 608, 608, 512, 416, 320]);
    assert.notDeepEqual(blocks(0, 0), blocks(0, 1));
    assert.notDeepEqual(blocks(0, 0), blocks(1, 0));
  });

  it('non-square sizes pass through; largest is the largest area', () => {
    const s = makeShapeSchedule({ sizes: [{ width: 640, height: 384 }, 512, { width: 320, height: 640 }] });
    assert.deepEqual(s.largest, { width: 512, height: 512 });
    assert.deepEqual(s.shapes, [{ width: 320, height: 640 }, { width: 640, height: 384 }, sq(512)]);
  });
});

describe('shape schedule: Darknet rule (init 416, coef 1.4, step 32)', () => {
  it('maps a drawn scale to round(scale·416/32 + 1)·32, clamped to 416 below scale 1', () => {
    const w = (scale: number) => darknetShape(scale, DARKNET).width;
    assert.equal(w(1.4), 608); // 1.4·13 + 1 = 19.2 → 19
    assert.equal(w(1.2), 544); // 16.6 → 17
    assert.equal(w(1.05), 480); // 14.65 → 15
    assert.equal(w(1), 448); // 14: a scale of 1 never gives 416
    assert.equal(w(0.99), 416); // 13.87 → 14 = 448 > 416 while scale < 1: clamped to init
    assert.equal(w(0.95), 416); // 13.35 → 13
    assert.equal(w(0.8), 352); // 11.4 → 11
    assert.equal(w(1 / 1.4), 320); // 10.29 → 10
    assert.deepEqual(darknetLargest(DARKNET), sq(608));
    assert.deepEqual(darknetShape(1.4, { ...DARKNET, init: { width: 416, height: 320 } }), { width: 608, height: 480 });
  });

  it('can produce exactly 320, 352, …, 608', () => {
    assert.deepEqual(darknetShapes(DARKNET).map((s) => s.width), DEFAULT_SIZES);
    const s = makeShapeSchedule({ rule: 'darknet' });
    assert.deepEqual(s.shapes.map((x) => x.width), DEFAULT_SIZES);
    assert.deepEqual(s.largest, sq(608));
  });

  it('the first `every` batches and the last 100 use 608; the rest draw from 320..608', () => {
    const s = makeShapeSchedule({ rule: 'darknet', every: 10, totalBatches: 1000 });
    const widths = Array.from({ length: 1000 }, (_, k) => scheduleShape(s, 3, { epoch: 0, batch: k, runBatch: k }).width);
    assert.deepEqual(widths.slice(0, 10), Array(10).fill(608));
    assert.deepEqual(widths.slice(900), Array(100).fill(608));
    const drawn = new Set(widths.slice(10, 900));
    for (const x of drawn) assert.ok(x % 32 === 0 && x >= 320 && x <= 608, `${x}`);
    assert.ok(drawn.size >= 8, `drawn sizes: ${[...drawn].sort()}`);
    for (let k = 10; k < 900; k++) if (k % 10 !== 0) assert.equal(widths[k], widths[k - 1]);
    // Only the run's first block is forced: epoch 1's first block draws.
    const epoch1 = Array.from({ length: 20 }, (_, seed) => scheduleShape(s, seed, { epoch: 1, batch: 0, runBatch: 500 }).width);
    assert.ok(epoch1.some((x) => x !== 608));
    // Worked: seed 0, blocks 0..9 with the run's first block forced to 608.
    const s0 = makeShapeSchedule({ rule: 'darknet' });
    assert.deepEqual(
      Array.from({ length: 10 }, (_, j) => scheduleShape(s0, 0, { epoch: 0, batch: 10 * j, runBatch: 10 * j }).width),
      [608, 512, 544, 384, 544, 352, 416, 352, 544, 480],
    );
  });
});

describe('batch-size rules', () => {
  it("Darknet dynamic_minibatch with C integer arithmetic (base 16 at 608)", () => {
    // 320: ⌊16·608²/320²⌋ = ⌊57.76⌋ = 57; (int)(57·0.8) = 45 > 16 → 45.
    // 544: ⌊19.98⌋ = 19; (int)15.2 = 15 is not > 16 → 19 (more than 512's 17: Darknet's rule is not monotone).
    const got = DEFAULT_SIZES.map((s) => darknetBatchSize(16, sq(s), sq(608)));
    assert.deepEqual(got, [45, 37, 32, 27, 23, 20, 17, 19, 17, 16]);
    assert.deepEqual(DEFAULT_SIZES.map((s) => darknetBatchSize(2, sq(s), sq(608))), [5, 4, 4, 3, 3, 3, 2, 2, 2, 2]);
    assert.equal(darknetBatchSize(1, sq(32), sq(64)), 3); // ⌊4⌋ → (int)3.2 = 3 > 1
    assert.equal(maxBatchSize((s) => darknetBatchSize(16, s, sq(608)), darknetShapes(DARKNET)), 45);
  });

  it('memory budget: ⌊budget / bytesPerImage⌋, never below 1', () => {
    assert.equal(YOLOV4_ACTIVATION_FACTOR, 357);
    assert.equal(defaultBytesPerImage(sq(320)), 320 * 320 * 3 * 4 * 357); // 438 681 600
    assert.equal(memoryBatchSize(2 * GiB, sq(320)), 4);
    assert.equal(memoryBatchSize(2 * GiB, sq(416)), 2);
    assert.equal(memoryBatchSize(2 * GiB, sq(608)), 1);
    assert.equal(memoryBatchSize(512 * MiB, sq(320)), 1);
    assert.equal(memoryBatchSize(1, sq(608)), 1);
    // Own bytes per image: the uint8 input only, 608·608·3 = 1 108 992 → ⌊1936.4⌋.
    assert.equal(memoryBatchSize(2 * GiB, sq(608), (s) => s.width * s.height * 3), 1936);
    const rule = batchSizeRule({ memoryBudget: '2GiB' }, sq(608));
    assert.deepEqual([320, 416, 608].map((s) => rule(sq(s))), [4, 2, 1]);
  });

  it("parses '2GiB', '512MiB', '1.5GB' and rejects what is not a size", () => {
    assert.equal(parseBytes('2GiB'), 2147483648);
    assert.equal(parseBytes('512MiB'), 536870912);
    assert.equal(parseBytes('1.5 GB'), 1.5e9);
    assert.equal(parseBytes('100kib'), 102400);
    assert.equal(parseBytes('12'), 12);
    assert.equal(parseBytes(4096), 4096);
    for (const bad of ['2 gigs', '', 'GiB', '-1GiB', '0MiB', 0, -5, Number.NaN]) {
      assert.throws(() => parseBytes(bad), (e: unknown) => e instanceof ConfigError && /memory size/.test(e.message), String(bad));
    }
  });
});

/** Fake sample references for marble tests. */
const ref = (id: string, epoch = 0) => ({ id, epoch, index: 0 });
const ids = (b: SampleBatch) => b.ids.join('');

describe('dynamicBatch() (marbles)', () => {
  const scheduler = () => new TestScheduler((a, b) => assert.deepEqual(a, b));
  const values = (names: string, epoch = (_: string) => 0) => Object.fromEntries([...names].map((c) => [c, ref(c, epoch(c))]));

  it('groups by batch ordinal and emits when the batch is full, the rest at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e|', values('abcde'));
      const out = src.pipe(randomShapes({ sizes: [32], every: 1 }), dynamicBatch({ size: 2 }) as never, map(ids));
      expectObservable(out).toBe('--x---y--(z|)', { x: 'ab', y: 'cd', z: 'e' });
    });
  });

  it('a skipped sample leaves its batch short, emitted when the next batch begins; no other moves', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e-f|', values('abcdef'));
      const out = src.pipe(
        randomShapes({ sizes: [32], every: 1 }),
        filter((s) => s.id !== 'c'),
        dynamicBatch({ size: 2 }) as never,
        map(ids),
      );
      expectObservable(out).toBe('--x-----y-z|', { x: 'ab', y: 'd', z: 'ef' });
    });
  });

  it('a new epoch starts a new batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e|', values('abcde', (c) => (c < 'd' ? 0 : 1)));
      const out = src.pipe(randomShapes({ sizes: [32], every: 1 }), dynamicBatch({ size: 2 }) as never, map(ids));
      expectObservable(out).toBe('--x---y-z|', { x: 'ab', y: 'c', z: 'de' });
    });
  });

  it('dropLast drops a short last batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c|', values('abc'));
      const out = src.pipe(randomShapes({ sizes: [32], every: 1 }), dynamicBatch({ size: 2, dropLast: true }) as never, map(ids));
      expectObservable(out).toBe('--x--|', { x: 'ab' });
    });
  });

  it("sizes follow each batch's shape (Darknet rule: base 1 → 1 at 64², 3 at 32²)", () => {
    // The context's seed is 0; with every 1 each batch draws its own shape.
    const schedule = makeShapeSchedule({ sizes: [64, 32], every: 1 });
    const sizes = Array.from({ length: 8 }, (_, k) => darknetBatchSize(1, scheduleShape(schedule, 0, { epoch: 0, batch: k, runBatch: k }), sq(64)));
    assert.ok(sizes.includes(1) && sizes.includes(3), `both shapes occur: ${sizes}`);
    const n = sizes.reduce((a, b) => a + b, 0);
    const names = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i)).join('');
    // Input frames 0, 2, 4, …: a full batch leaves with its last sample.
    const groups: Record<string, string> = {};
    let marble = '';
    let i = 0;
    sizes.forEach((size, k) => {
      const letter = String.fromCharCode(65 + k);
      groups[letter] = names.slice(i, i + size);
      i += size;
      marble = marble.padEnd(2 * i - 2, '-') + letter;
    });
    marble += '|';
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold(`${[...names].join('-')}|`, values(names));
      const out = src.pipe(
        randomShapes({ sizes: [64, 32], every: 1 }),
        dynamicBatch({ base: 1 }) as never,
        map((b: SampleBatch) => {
          assert.equal(new Set(b.samples.map((s) => tag(s).shape.width)).size, 1, 'one shape per batch');
          return ids(b);
        }),
      );
      expectObservable(out).toBe(marble, groups);
    });
  });
});

describe('randomShapes() without dynamicBatch()', () => {
  it('takes the batch size of the batch(n) after it', async () => {
    const items = await lastValueFrom(
      of(...'abcdefg'.split('').map((c) => ref(c))).pipe(
        randomShapes({ sizes: [32, 64], every: 1 }),
        toArray(),
      ),
    );
    assert.ok(items.every((s) => tag(s).batchSize === 1), 'no batch stage: one sample per batch');
    // batch(3) registers its size when piped, before the run starts.
    const withBatch: Sample[] = [];
    const chain = of(...'abcdefg'.split('').map((c) => ref(c))).pipe(randomShapes({ sizes: [32, 64], every: 1 }));
    const batched = (chain as unknown as Observable<Sample>).pipe(batch(3));
    for (const b of await lastValueFrom(batched.pipe(toArray()))) withBatch.push(...b.samples);
    assert.deepEqual(withBatch.map((s) => tag(s).batch), [0, 0, 0, 1, 1, 1, 2]);
    assert.ok(withBatch.every((s) => tag(s).batchSize === 3));
  });
});

describe('configuration errors', () => {
  it('fail at once, saying what to pass', () => {
    const is = (re: RegExp) => (e: unknown) => e instanceof ConfigError && re.test(e.message);
    assert.throws(() => dynamicBatch({}), is(/exactly one of base/));
    assert.throws(() => dynamicBatch({ base: 16, size: 4 }), is(/exactly one of base/));
    assert.throws(() => dynamicBatch({ memoryBudget: '2 gigs' }), is(/'2GiB'/));
    assert.throws(() => dynamicBatch({ base: 16, bytesPerImage: () => 1 }), is(/bytesPerImage goes with memoryBudget/));
    assert.throws(() => randomShapes({ sizes: [320], coef: 1.2 }), is(/either sizes/));
    assert.throws(() => randomShapes({ coef: 1.2 }), is(/rule: 'darknet'/));
    assert.throws(() => randomShapes({ every: 0 }), is(/every/));
    assert.throws(() => letterbox('shape', { auto: true }), is(/auto/));
    const src = () => fromYolo(COCO128, { limit: 2, workers: 0 });
    assert.throws(() => src().pipe(decode(), letterbox()), is(/randomShapes\(\)/));
    assert.throws(() => src().pipe(decode(), dynamicBatch({ base: 16 })), is(/randomShapes\(\)/));
  });
});

/** A batch's content: ids, its shape, and a hash of its pixels. */
async function collect(p: AsyncIterable<SampleBatch>) {
  const out: Array<{ ids: string[]; shape: string; size: number; expected: number; hash: string }> = [];
  for await (const b of p) {
    const t = tag(b.samples[0]!);
    for (const s of b.samples) {
      assert.equal(tag(s).batch, t.batch, 'one ordinal per batch');
      assert.deepEqual([s.image.width, s.image.height], [t.shape.width, t.shape.height], `${s.id}: image of the batch's shape`);
      assert.equal(s.image.data.length, s.image.width * s.image.height * 3);
    }
    const h = createHash('sha1');
    for (const s of b.samples) h.update(s.image.data);
    out.push({ ids: b.ids, shape: `${t.shape.width}x${t.shape.height}`, size: b.size, expected: t.batchSize, hash: h.digest('hex') });
  }
  return out;
}

describe('randomShapes → decode → letterbox → dynamicBatch over coco128', () => {
  it('every batch is one shape of the size its rule gives; the ids out are the ids in', async () => {
    const refs = await lastValueFrom(fromYolo(COCO128, { limit: 64, seed: 1, workers: 0 }).pipe(toArray()));
    const p = fromYolo(COCO128, { limit: 64, seed: 1, workers: 2 }).pipe(
      randomShapes({ rule: 'darknet', every: 2 }),
      decode(),
      letterbox(),
      dynamicBatch({ base: 2 }),
    );
    const got = await collect(p);
    assert.deepEqual(got.flatMap((b) => b.ids).sort(), refs.map((r) => r.id).sort(), 'the multiset of ids is kept');
    assert.deepEqual(got.flatMap((b) => b.ids), refs.map((r) => r.id), 'and their order');
    got.forEach((b, i) => {
      const s = Number(b.shape.split('x')[0]);
      assert.equal(b.expected, darknetBatchSize(2, sq(s), sq(608)), `batch ${i} size rule at ${b.shape}`);
      if (i < got.length - 1) assert.equal(b.size, b.expected, `batch ${i} is full`);
      else assert.ok(b.size <= b.expected);
      if (i < 2) assert.equal(b.shape, '608x608', 'Darknet: the first block is the largest');
      if (i % 2 === 1) assert.equal(b.shape, got[i - 1]!.shape, 'the shape changes every 2 batches');
    });
    assert.ok(new Set(got.map((b) => b.shape)).size >= 3);
    const r = p.report();
    assert.equal(r.samples, 64);
    assert.equal(r.samplesHeld, 0);
    // The largest batch the rule can form (5 at 320²) bounds demand: 5 × (prefetch 2 + 1).
    assert.equal(p.context.maxBatchSize, 5);
    assert.equal(r.inFlightBound, 15);
    assert.ok(r.stages.some((s) => s.name === 'letterbox (fused into decode)'), 'letterbox ran inside decode');
  });

  it('1 and 3 workers give the same batches; the fused path makes the same ones', async () => {
    const run = (workers: number, fuse: boolean) =>
      collect(
        fromYolo(COCO128, { limit: 32, seed: 4, workers }).pipe(
          randomShapes({ sizes: [64, 96, 128], every: 2 }),
          decode(),
          letterbox('shape', { fuse }),
          dynamicBatch({ base: 4 }),
        ),
      );
    const one = await run(1, false);
    const three = await run(3, false);
    assert.deepEqual(one, three);
    // base 4 at 128²: 4 at 128, ⌊7.1⌋ = 7 → (int)5.6 = 5 at 96, 16 → 12 at 64.
    for (const b of one) assert.equal(b.expected, { '64x64': 12, '96x96': 5, '128x128': 4 }[b.shape]);
    const fused = await run(2, true);
    const shape = (bs: typeof one) => bs.map((b) => ({ ids: b.ids, shape: b.shape }));
    assert.deepEqual(shape(fused), shape(one));
  });
});

describe('a corrupt image mid-batch', () => {
  let root = '';
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-shapes-'));
  });
  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  /** Twelve 48 × 40 images img00..img11 with one box each; `broken` is truncated. */
  async function dataset(dir: string, broken?: string): Promise<string> {
    const images = path.join(root, dir, 'images', 'train');
    const labels = path.join(root, dir, 'labels', 'train');
    fs.mkdirSync(images, { recursive: true });
    fs.mkdirSync(labels, { recursive: true });
    for (let i = 0; i < 12; i++) {
      const name = `img${String(i).padStart(2, '0')}`;
      const buf = Buffer.alloc(48 * 40 * 3, 20 * i);
      const jpeg = await sharp(buf, { raw: { width: 48, height: 40, channels: 3 } }).jpeg().toBuffer();
      fs.writeFileSync(path.join(images, `${name}.jpg`), name === broken ? jpeg.subarray(0, jpeg.length >> 1) : jpeg);
      fs.writeFileSync(path.join(labels, `${name}.txt`), '0 0.5 0.5 0.5 0.5\n');
    }
    return path.join(root, dir);
  }

  it("shortens its own batch and moves no other sample, nor any batch's shape", async () => {
    const run = async (dir: string) =>
      collect(
        fromYolo(dir, { shuffle: false, workers: 1, classNames: ['a'] }).pipe(
          randomShapes({ sizes: [64, 32], every: 1 }),
          decode(),
          letterbox(),
          dynamicBatch({ base: 2 }),
        ),
      );
    const good = await run(await dataset('good'));
    const bad = await run(await dataset('bad', 'img05'));
    const victim = 'images/train/img05.jpg';
    const hit = good.findIndex((b) => b.ids.includes(victim));
    assert.ok(hit >= 0 && good[hit]!.size > 1, 'the corrupt image sits in a batch with others');
    assert.equal(bad.length, good.length);
    bad.forEach((b, i) => {
      assert.deepEqual(b.ids, good[i]!.ids.filter((id) => id !== victim), `batch ${i} ids`);
      assert.equal(b.shape, good[i]!.shape, `batch ${i} shape`);
      assert.equal(b.expected, good[i]!.expected);
      if (i !== hit) assert.equal(b.hash, good[i]!.hash, `batch ${i} pixels`);
    });
    assert.equal(bad[hit]!.size, good[hit]!.size - 1);
  });
});
