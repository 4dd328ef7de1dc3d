/**
 * Bad data through the whole pipeline: broken images and bad label lines are skipped
 * and reported (with path, line and a reason naming the problem), good samples are
 * all delivered, nothing throws. And configuration mistakes fail at once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  augment,
  batch,
  ConfigError,
  decode,
  flip,
  fromFolder,
  fromYolo,
  letterbox,
  toTensors,
  type SkipRecord,
} from '../index.ts';

let root = '';

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-'));
});

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

// Every good image is 96 × 80. letterbox(64): ratio = min(64/80, 64/96) = 2/3, resized
// to 64 × round(53.33) = 53, padTop = round(5.5 − 0.1) = 5, padLeft 0. A pixel box
// maps as x' = x · 64/96, y' = y · 53/80 + 5.
const W = 96;
const H = 80;
const SIZE = 64;
const SX = 64 / 96;
const SY = 53 / 80;
const PAD_TOP = 5;
const toNet = ([x1, y1, x2, y2]: number[]): number[] => [x1! * SX, y1! * SY + PAD_TOP, x2! * SX, y2! * SY + PAD_TOP];

/** "c 0.5 0.5 0.5 0.5": pixels [24, 20, 72, 60]; symmetric, so a flip leaves it in place. */
const CENTRED = (c: number) => `${c} 0.5 0.5 0.5 0.5`;
const CENTRED_NET = toNet([24, 20, 72, 60]); // [16, 18.25, 48, 44.75]

// outside.txt line 1: cx 0.95 w 0.3 → x 0.8..1.1, clipped to 0.8..1.0 = pixels 76.8..96;
// y 0.4..0.6 = pixels 32..48. The image is red on the left half and blue on the right,
// so the delivered pixels tell whether flip() mirrored it (then x becomes 96 − x).
const CLIPPED_NET = toNet([76.8, 32, 96, 48]); // [51.2, 26.2, 64, 36.8]
const CLIPPED_FLIPPED_NET = toNet([0, 32, 19.2, 48]); // [0, 26.2, 12.8, 36.8]

const ALPHA_RGB = [10, 200, 30];
const MAX_PIXELS = 200 * 200;

/** The dataset's files; `good` ones must be delivered. */
interface Fixture {
  name: string;
  good: boolean;
  /** Label file text; undefined = no label file. */
  label?: string;
  /** Boxes expected in the batch (network pixels), in label order. */
  boxes?: number[][];
  classes?: number[];
}

const fixtures: Fixture[] = [
  { name: 'good.jpg', good: true, label: `${CENTRED(0)}\n`, boxes: [CENTRED_NET], classes: [0] },
  { name: 'trunc.jpg', good: false, label: `${CENTRED(0)}\n` },
  { name: 'zero.jpg', good: false, label: `${CENTRED(0)}\n` },
  { name: 'text.jpg', good: false },
  { name: 'alpha.png', good: true, label: `${CENTRED(1)}\n`, boxes: [CENTRED_NET], classes: [1] },
  { name: 'grey.jpg', good: true, label: `${CENTRED(2)}\n`, boxes: [CENTRED_NET], classes: [2] },
  { name: 'big.jpg', good: false, label: `${CENTRED(0)}\n` },
  // Each bad line sits next to a good one, which must be kept.
  { name: 'fourfields.png', good: true, label: `0 0.5 0.5 0.2\n${CENTRED(1)}\n`, boxes: [CENTRED_NET], classes: [1] },
  { name: 'classid.png', good: true, label: `3 0.5 0.5 0.2 0.2\n${CENTRED(2)}\n`, boxes: [CENTRED_NET], classes: [2] },
  { name: 'nan.png', good: true, label: `${CENTRED(0)}\n1 0.5 0.5 NaN 0.2\n`, boxes: [CENTRED_NET], classes: [0] },
  { name: 'negw.png', good: true, label: `${CENTRED(2)}\n\n2 0.5 0.5 -0.2 0.2\n`, boxes: [CENTRED_NET], classes: [2] },
  { name: 'outside.png', good: true, label: '0 0.95 0.5 0.3 0.2\n1 1.5 1.5 0.2 0.2\n', classes: [0] },
  { name: 'empty.png', good: true, label: '', boxes: [], classes: [] },
  { name: 'nolabel.png', good: true, boxes: [], classes: [] },
];

const id = (name: string) => `images/train/${name}`;
const imagePath = (name: string) => path.join(root, 'images', 'train', name);
const labelPath = (name: string) => path.join(root, 'labels', 'train', name.replace(/\.\w+$/, '.txt'));

/** Writes the YOLO dataset described by {@link fixtures} under `root`. */
async function writeDataset(): Promise<void> {
  fs.mkdirSync(path.join(root, 'images', 'train'), { recursive: true });
  fs.mkdirSync(path.join(root, 'labels', 'train'), { recursive: true });
  // Seeded noise (sharp's own noise is random per run): the same files every run.
  let state = 12345;
  const noise = (width: number, height: number) => {
    const buf = Buffer.alloc(width * height * 3);
    for (let i = 0; i < buf.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      buf[i] = state >>> 24;
    }
    return sharp(buf, { raw: { width, height, channels: 3 } });
  };
  const rgb = (fill: (x: number) => number[]) => {
    const buf = Buffer.alloc(W * H * 3);
    for (let i = 0; i < W * H; i++) buf.set(fill(i % W), i * 3);
    return sharp(buf, { raw: { width: W, height: H, channels: 3 } });
  };

  await noise(W, H).jpeg().toFile(imagePath('good.jpg'));
  const full = await noise(W, H).jpeg().toBuffer();
  fs.writeFileSync(imagePath('trunc.jpg'), full.subarray(0, Math.floor(full.length / 2)));
  fs.writeFileSync(imagePath('zero.jpg'), '');
  fs.writeFileSync(imagePath('text.jpg'), 'this is a text file, not a JPEG\n');
  const rgba = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) rgba.set([...ALPHA_RGB, i % 3 === 0 ? 0 : 128], i * 4);
  await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toFile(imagePath('alpha.png'));
  await noise(W, H).toColourspace('b-w').jpeg().toFile(imagePath('grey.jpg'));
  await noise(256, 200).jpeg().toFile(imagePath('big.jpg')); // 51 200 pixels > MAX_PIXELS
  for (const name of ['fourfields.png', 'classid.png', 'nan.png', 'negw.png', 'empty.png', 'nolabel.png']) {
    await noise(W, H).png().toFile(imagePath(name));
  }
  await rgb((x) => (x < W / 2 ? [255, 0, 0] : [0, 0, 255])).png().toFile(imagePath('outside.png'));

  for (const f of fixtures) if (f.label !== undefined) fs.writeFileSync(labelPath(f.name), f.label);

  // Preconditions of the fixtures themselves.
  assert.equal((await sharp(imagePath('alpha.png')).metadata()).channels, 4);
  assert.equal((await sharp(imagePath('grey.jpg')).metadata()).channels, 1);
  assert.ok(full.length > 1000, 'the JPEG to truncate has scan data to cut');
}

/** A skip record as a comparable key. */
const key = (s: { path: string; line?: number }) => `${s.path}${s.line === undefined ? '' : `:${s.line}`}`;

describe('bad data through fromYolo → decode → augment(flip) → letterbox → batch → toTensors', () => {
  it('skips and reports every bad file and line, delivers every good sample with the right boxes', async () => {
    await writeDataset();
    const pipeline = fromYolo(root, { classNames: ['a', 'b', 'c'], workers: 2 }).pipe(
      decode({ maxPixels: MAX_PIXELS }),
      augment(flip({ p: 0.5 })),
      letterbox(SIZE),
      batch(4),
      toTensors(),
    );

    const delivered: string[] = [];
    const sizes: number[] = [];
    const seen = new Map<string, { boxes: number[][]; classes: number[]; pixels: number[][][] }>();
    for await (const b of pipeline) {
      try {
        assert.deepEqual(b.images.shape, [b.size, SIZE, SIZE, 3]);
        assert.equal(b.ids.length, b.size);
        sizes.push(b.size);
        const [boxes, classes, counts, images] = await Promise.all([
          b.boxes.array(),
          b.classes.array(),
          b.counts.array(),
          b.images.array(),
        ]);
        b.ids.forEach((sid, i) => {
          delivered.push(sid);
          const n = counts[i]!;
          seen.set(sid, {
            boxes: boxes[i]!.slice(0, n),
            classes: classes[i]!.slice(0, n),
            // The centre row of the image, 0..255.
            pixels: [images[i]![SIZE / 2]!.map((px) => px.map((v) => Math.round(v * 255)))],
          });
          // Padding rows of the box arrays stay empty.
          for (let k = n; k < classes[i]!.length; k++) assert.equal(classes[i]![k], -1, `${sid}: padding class`);
        });
      } finally {
        b.dispose();
      }
    }

    // Exactly the good images, each once.
    const good = fixtures.filter((f) => f.good).map((f) => id(f.name));
    assert.deepEqual([...delivered].sort(), [...good].sort());
    assert.deepEqual(sizes, [4, 4, 2]);

    const report = pipeline.report();
    assert.equal(report.samples, good.length);
    assert.equal(report.batches, 3);
    assert.equal(report.samplesHeld, 0, 'no sample is left counted as in flight');

    // Every bad file and line, by path (and line number), with a reason naming the problem.
    const expected: Array<{ path: string; line?: number; reason: RegExp[] }> = [
      // libjpeg says "premature end of JPEG image", but when several images decode at
      // once sharp sometimes loses that text and says only "Warning treated as error due
      // to failOn setting". Both are accepted.
      {
        path: imagePath('trunc.jpg'),
        reason: [/unreadable image/, /premature end|truncat|corrupt|Warning treated as error/i],
      },
      { path: imagePath('zero.jpg'), reason: [/unreadable image/, /empty|0 bytes|unsupported image format/i] },
      { path: imagePath('text.jpg'), reason: [/unreadable image/, /unsupported image format/i] },
      { path: imagePath('big.jpg'), reason: [/unreadable image/, /pixel limit/i] },
      { path: labelPath('fourfields.png'), line: 1, reason: [/expected 5 fields/, /got 4/] },
      { path: labelPath('classid.png'), line: 1, reason: [/class id 3/, /out of range 0\.\.2/] },
      { path: labelPath('nan.png'), line: 2, reason: [/field 4 "NaN" is not a number/] },
      { path: labelPath('negw.png'), line: 3, reason: [/width -0\.2 is not positive/] },
      { path: labelPath('outside.png'), line: 2, reason: [/outside the image/, /nothing left after clipping/] },
    ];
    const byKey = new Map<string, SkipRecord>();
    for (const s of report.skipped) {
      assert.ok(!byKey.has(key(s)), `reported once: ${key(s)} (${s.reason})`);
      byKey.set(key(s), s);
    }
    assert.deepEqual(
      [...byKey.keys()].sort(),
      expected.map(key).sort(),
      `skipped:\n${report.skipped.map((s) => `${key(s)}: ${s.reason}`).join('\n')}`,
    );
    for (const e of expected) {
      const s = byKey.get(key(e))!;
      for (const r of e.reason) assert.match(s.reason, r, `${key(e)}: reason "${s.reason}"`);
    }
    assert.equal(report.skipped.length, expected.length);

    // Boxes and classes of every delivered sample.
    const close = (actual: number[], want: number[], what: string) => {
      assert.equal(actual.length, want.length, what);
      actual.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-3, `${what}: [${actual}] vs [${want}]`));
    };
    for (const f of fixtures.filter((x) => x.good && x.boxes)) {
      const s = seen.get(id(f.name))!;
      assert.deepEqual(s.classes, f.classes, `${f.name}: classes`);
      assert.equal(s.boxes.length, f.boxes!.length, `${f.name}: box count`);
      s.boxes.forEach((b, k) => close(b, f.boxes![k]!, `${f.name}: box ${k}`));
    }

    // The partly-outside box arrives clipped, moved with the pixels if flip() mirrored them.
    const outside = seen.get(id('outside.png'))!;
    const [r, , bl] = outside.pixels[0]![5]!; // centre row, x = 5: red unless mirrored
    const mirrored = bl! > 200 && r! < 50;
    assert.ok(mirrored || (r! > 200 && bl! < 50), `outside.png pixel (5, 32) is red or blue: [${outside.pixels[0]![5]}]`);
    assert.deepEqual(outside.classes, [0]);
    assert.equal(outside.boxes.length, 1, 'the entirely-outside box is dropped, the clipped one kept');
    close(outside.boxes[0]!, mirrored ? CLIPPED_FLIPPED_NET : CLIPPED_NET, 'outside.png: clipped box');

    // Alpha dropped (colour kept where alpha was 0); grey stays grey.
    const alphaRow = seen.get(id('alpha.png'))!.pixels[0]!;
    assert.deepEqual(alphaRow[SIZE / 2], ALPHA_RGB);
    for (const [x, px] of seen.get(id('grey.jpg'))!.pixels[0]!.entries()) {
      assert.ok(px[0] === px[1] && px[1] === px[2], `grey.jpg pixel (${x}, 32) is grey: [${px}]`);
    }
  });
});

describe('configuration errors fail at once, with a helpful message', () => {
  it('fromYolo on a missing folder throws ConfigError naming the path', () => {
    const missing = path.resolve('/no/such/dir');
    assert.throws(
      () => fromYolo('/no/such/dir'),
      (err: unknown) => err instanceof ConfigError && err.message.includes(missing) && /no folder/.test(err.message),
    );
  });

  it('fromYolo on a folder without images throws saying no images were found', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-'));
    try {
      fs.mkdirSync(path.join(dir, 'images', 'train'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'labels', 'train'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'labels', 'train', 'a.txt'), '0 0.5 0.5 0.1 0.1\n');
      assert.throws(
        () => fromYolo(dir, { classNames: ['a'] }),
        (err: unknown) => err instanceof ConfigError && /no images found/.test(err.message) && err.message.includes(dir),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fromFolder on a folder of no known layout (only .txt files) throws ConfigError naming the folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-'));
    try {
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
      fs.writeFileSync(path.join(dir, 'more.txt'), '0 0.5 0.5 0.1 0.1\n');
      assert.throws(() => fromFolder(dir), (err: unknown) => err instanceof ConfigError && err.message.includes(dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('batch(0) throws saying the batch size must be ≥ 1', () => {
    assert.throws(() => batch(0), (err: unknown) => err instanceof ConfigError && /batch size must be ≥ 1/.test(err.message));
    assert.throws(() => batch(-3), ConfigError);
  });

  it('letterbox(-1) throws naming the size', () => {
    assert.throws(() => letterbox(-1), (err: unknown) => err instanceof ConfigError && /letterbox\(\).*size/.test(err.message));
    assert.throws(() => letterbox(0), ConfigError);
  });

  it('flip({ p: 2 }) throws naming p', () => {
    assert.throws(() => flip({ p: 2 }), (err: unknown) => err instanceof ConfigError && /\bp\b/.test(err.message) && /≤ 1/.test(err.message));
    assert.throws(() => flip({ p: -0.1 }), (err: unknown) => err instanceof ConfigError && /\bp\b/.test(err.message));
  });
});
