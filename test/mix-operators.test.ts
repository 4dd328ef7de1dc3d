/**
 * mosaic(), mixup() and cutmix() as stream stages: partners from the decode-once pool,
 * one output per input, valid boxes, and the same mixes with 1 and 3 workers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch, cutmix, decode, dynamicBatch, fromYolo, letterbox, mixup, mosaic, randomShapes, type Sample } from '../index.ts';
import { pickPartners } from '../src/stream/partner-stage.ts';
import { Rng } from '../src/core/rng.ts';
import { COCO128 } from './helpers.ts';

const digest = (s: Sample) => s.image.data.reduce((a, v, i) => (a + v * ((i % 251) + 1)) % 1_000_000_007, 0);

function checkBoxes(s: Sample) {
  const { width: W, height: H } = s.image;
  assert.equal(s.boxes.length, s.classes.length * 4);
  for (let i = 0; i < s.boxes.length; i += 4) {
    const [x1, y1, x2, y2] = s.boxes.subarray(i, i + 4);
    assert.ok(x1! >= 0 && y1! >= 0 && x2! <= W && y2! <= H, `${s.id}: box outside ${W}×${H}`);
    assert.ok(x2! - x1! > 2 && y2! - y1! > 2, `${s.id}: degenerate box`);
  }
}

describe('mosaic and mixup on coco128', () => {
  const run = async (workers: number) => {
    const p = fromYolo(COCO128, { limit: 24, workers, seed: 5 }).pipe(decode(), mosaic({ size: 320 }), mixup({ p: 0.5 }), batch(8));
    const out: Sample[] = [];
    for await (const b of p) out.push(...b.samples);
    return { out, report: p.report() };
  };

  it('makes one 4-image mosaic per decoded sample, decoding each image once', async () => {
    const { out, report } = await run(2);
    assert.equal(out.length, 24);
    assert.deepEqual(out.map((s) => s.id).sort(), [...new Set(out.map((s) => s.id))].sort(), 'each input once');
    const decodeStage = report.stages.find((s) => s.name === 'decode')!;
    assert.equal(decodeStage.items, 24, 'one decode per output');
    let mixed = 0;
    for (const s of out) {
      assert.equal(s.image.width, 320);
      assert.equal(s.image.height, 320);
      checkBoxes(s);
      const partners = s.meta.partners as string[];
      assert.ok(Array.isArray(partners) && partners.length >= 3, 'mosaic partners recorded');
      assert.equal(new Set([s.id, ...partners.slice(0, 3)]).size, 4, 'four distinct images');
      if ((s.meta.mix as { kind?: string } | undefined)?.kind === 'mixup') mixed++;
    }
    // p 0.5 over 24 samples
    assert.ok(mixed >= 4 && mixed <= 20, `${mixed} mixed`);
    assert.ok(out.reduce((a, s) => a + s.classes.length, 0) > 100);
  });

  it('gives identical samples with 1 and 3 workers', async () => {
    const a = (await run(1)).out;
    const b = (await run(3)).out;
    assert.deepEqual(b.map((s) => s.id), a.map((s) => s.id));
    assert.deepEqual(b.map(digest), a.map(digest));
    assert.deepEqual(b.map((s) => Array.from(s.boxes)), a.map((s) => Array.from(s.boxes)));
  });

  it('follows random training shapes: each batch one size, the mosaic at that size', async () => {
    const p = fromYolo(COCO128, { limit: 32, workers: 2, seed: 1 }).pipe(
      randomShapes({ sizes: [256, 320], every: 1 }),
      decode(),
      mosaic(),
      mixup({ p: 0.5 }),
      dynamicBatch({ size: 8 }),
    );
    const sizes = new Set<number>();
    let n = 0;
    for await (const b of p) {
      const w = b.samples[0]!.image.width;
      sizes.add(w);
      for (const s of b.samples) {
        assert.equal(s.image.width, w);
        assert.equal(s.image.height, w);
        checkBoxes(s);
      }
      n += b.size;
    }
    assert.equal(n, 32);
    assert.deepEqual([...sizes].sort(), [256, 320]);
  });

  it('cutmix pastes a partner of the same size', async () => {
    const p = fromYolo(COCO128, { limit: 12, workers: 2 }).pipe(decode(), letterbox(256), cutmix({ p: 1 }), batch(4));
    let n = 0;
    for await (const b of p) {
      for (const s of b.samples) {
        checkBoxes(s);
        const mix = s.meta.mix as { kind: string; lambda: number };
        assert.equal(mix.kind, 'cutmix');
        assert.ok(mix.lambda >= 0 && mix.lambda <= 1);
        n++;
      }
    }
    assert.equal(n, 12);
  });
});

describe('pickPartners', () => {
  it('draws distinct partners other than the sample itself, and repeats only on a tiny pool', () => {
    const pool = Array.from({ length: 6 }, (_, i) => ({ id: String(i) }) as Sample);
    for (let k = 0; k < 50; k++) {
      const ids = pickPartners(pool, 3, new Rng(k)).map((s) => s.id);
      assert.equal(new Set(ids).size, 3);
      assert.ok(!ids.includes('5'), 'the sample (last) is not its own partner');
    }
    const tiny = pool.slice(0, 2);
    assert.equal(pickPartners(tiny, 3, new Rng(1)).length, 3);
  });
});
