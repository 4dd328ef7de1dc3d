/**
 * Re-injection of adversarial samples (SPEC §11): the sink's bounded drop-oldest queue and
 * its share rule, and `reinject()` in a real coco128 pipeline — off, it changes nothing;
 * on, a step's samples arrive in a later batch with their boxes (resized with the pixels
 * when the batch has another size), in lockstep the same every run, and the pipeline's
 * in-flight accounting ends at zero.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdversarialSink, batch, ConfigError, decode, fromYolo, letterbox, reinject, type Sample, type SampleBatch } from '../index.ts';
import { COCO128, sleep } from './helpers.ts';

const pipeline = (sink?: AdversarialSink, size = 64) =>
  fromYolo(COCO128, { limit: 16, seed: 3, workers: 1, shuffle: false }).pipe(decode(), letterbox(size), batch(4), reinject(sink));

/** A sample with one box, `id`, on a `side`² grey image. */
function fake(id: string, side: number, box: [number, number, number, number]): Sample {
  return {
    id,
    index: 0,
    epoch: 0,
    image: { data: new Uint8Array(side * side * 3).fill(77), width: side, height: side },
    boxes: Float32Array.from(box),
    classes: Int32Array.of(5),
    weights: Float32Array.of(1),
    flags: Uint8Array.of(0),
    meta: { path: id, originalWidth: side, originalHeight: side, adversarial: true },
  };
}

function digest(b: SampleBatch): string {
  return b.samples.map((s) => `${s.id}:${s.image.width}x${s.image.height}:${s.image.data.reduce((a, v) => (a * 31 + v) >>> 0, 7)}:${Array.from(s.boxes).join(',')}`).join('|');
}

describe('AdversarialSink', () => {
  it('allows ⌊ratio·n/(1 − ratio)⌋ samples per batch of n', () => {
    const q = new AdversarialSink({ ratio: 0.25 });
    assert.deepEqual([16, 4, 3, 2, 1].map((n) => q.allowance(n)), [5, 1, 1, 0, 0]);
    assert.deepEqual([4, 1].map((n) => new AdversarialSink({ ratio: 0.5 }).allowance(n)), [4, 1]);
  });

  it('drops the oldest beyond its capacity and counts them', async () => {
    const q = new AdversarialSink({ ratio: 0.5, capacity: 2 });
    const seen: string[] = [];
    q.subscribe((s) => seen.push(s.id));
    q.endStep([0, 1, 2].map((i) => fake(`a${i}`, 8, [0, 0, 4, 4])));
    q.next(fake('a3', 8, [0, 0, 4, 4]));
    q.next(fake('a4', 8, [0, 0, 4, 4]));
    assert.deepEqual(seen, ['a0', 'a1', 'a2', 'a3', 'a4'], 'a Subject: subscribers see every sample');
    assert.deepEqual(q.stats, { made: 5, reinjected: 0, dropped: 3, waiting: 2, steps: 1 });
    const taken = await q.takeFor(8);
    assert.deepEqual(taken.map((s) => s.id), ['a3', 'a4']);
    assert.deepEqual(q.stats, { made: 5, reinjected: 2, dropped: 3, waiting: 0, steps: 1 });
  });

  it('in lockstep, bounds eligible samples at take time and the whole queue at 4 × capacity', async () => {
    const q = new AdversarialSink({ ratio: 0.5, capacity: 2, lag: 1 });
    for (let step = 0; step < 3; step++) q.endStep([0, 1, 2].map((i) => fake(`s${step}-${i}`, 8, [0, 0, 4, 4])));
    assert.equal(q.stats.waiting, 8, 'nothing taken yet: 9 made, 4 × 2 kept');
    assert.equal(q.stats.dropped, 1);
    q.beginRun();
    // batch 3 may take what steps ≤ 2 made: the 8 waiting, cut to the newest 2 (capacity)
    const taken = await q.takeFor(4);
    assert.deepEqual(taken.map((s) => s.id), ['s2-1', 's2-2']);
    assert.deepEqual(q.stats, { made: 9, reinjected: 2, dropped: 7, waiting: 0, steps: 3 });
  });

  it('rejects options with a message that says what to pass', () => {
    assert.throws(() => new AdversarialSink({ ratio: 1 }), (e: Error) => e instanceof ConfigError && /ratio must be < 1/.test(e.message));
    assert.throws(() => new AdversarialSink({ lag: 0 }), /lag must be ≥ 1/);
    assert.throws(() => reinject({} as AdversarialSink), /pass the AdversarialSink/);
  });
});

describe('reinject()', () => {
  it('without a sink passes every batch through unchanged', async () => {
    const plain = fromYolo(COCO128, { limit: 16, seed: 3, workers: 1, shuffle: false }).pipe(decode(), letterbox(64), batch(4));
    const a: string[] = [];
    for await (const b of plain) a.push(digest(b));
    const b2: string[] = [];
    for await (const b of pipeline(undefined)) b2.push(digest(b));
    assert.equal(a.length, 4);
    assert.deepEqual(b2, a);
  });

  it('mixes a step’s samples into a later batch, boxes moved with the pixels, the same every run', async () => {
    const run = async () => {
      const sink = new AdversarialSink({ ratio: 0.25, lag: 1 });
      const p = pipeline(sink);
      const out: SampleBatch[] = [];
      let step = 0;
      for await (const b of p) {
        out.push(b);
        // the "trainer": one 96² adversarial sample per step, with a box it can check
        sink.endStep([fake(`adv${step}`, 96, [12, 24, 48, 72])]);
        step++;
      }
      return { out, stats: sink.stats, report: p.report() };
    };
    const { out, stats, report } = await run();
    assert.equal(out.length, 4);
    assert.equal(out[0]!.size, 4, 'the first batch can not have any: no step has ended');
    for (let j = 1; j < 4; j++) {
      const b = out[j]!;
      assert.equal(b.size, 5, `batch ${j}: 4 of its own + ⌊0.25·4/0.75⌋ = 1`);
      const adv = b.samples[4]!;
      assert.equal(adv.id, `adv${j - 1}`, 'lag 1: batch j takes what step j − 1 made');
      assert.equal(adv.image.width, 64);
      assert.equal(adv.image.height, 64);
      assert.deepEqual(Array.from(adv.boxes), [8, 16, 32, 48], '96 → 64: every coordinate × 2/3');
      assert.deepEqual(Array.from(adv.classes), [5]);
      assert.equal(adv.meta.adversarial, true);
      assert.equal(b.ids[4], `adv${j - 1}`);
      assert.ok(b.samples.slice(0, 4).every((s) => !s.meta.adversarial));
    }
    assert.deepEqual(stats, { made: 4, reinjected: 3, dropped: 0, waiting: 1, steps: 4 });
    assert.equal(report.samples, 16 + 3, 'delivered: 16 of the source + 3 re-injected');
    assert.equal(report.samplesHeld, 0, 'every sample held was delivered: borrowed credits paid back');
    const again = await run();
    assert.deepEqual(again.out.map(digest), out.map(digest), 'lockstep repeats exactly');
  });

  it('in lockstep, a batch waits for the step it depends on', async () => {
    const sink = new AdversarialSink({ ratio: 0.5, lag: 1 });
    const it = pipeline(sink)[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value!.size, 4);
    let second: IteratorResult<SampleBatch> | undefined;
    const pending = it.next().then((r) => (second = r));
    await sleep(300);
    assert.equal(second, undefined, 'batch 1 waits for step 0');
    sink.endStep([fake('x', 64, [1, 2, 3, 4])]);
    await pending;
    assert.equal(second!.value!.size, 5);
    assert.equal(second!.value!.samples[4]!.id, 'x');
    await it.return!();
  });

  it('refuses items that are not batches of samples', async () => {
    const p = fromYolo(COCO128, { limit: 2, workers: 1 }).pipe(decode(), reinject(new AdversarialSink()) as never);
    await assert.rejects(
      (async () => {
        for await (const _ of p as AsyncIterable<unknown>) void _;
      })(),
      /put it after batch\(\) or dynamicBatch\(\)/,
    );
  });
});
