/**
 * Previews: the bitmap font, box drawing, the grid, the `dumpSamples()` operator and
 * `freebies preview`. Expected pixels are worked by hand from the rules in
 * src/render/*.ts (outline on columns round(x1)..round(x2)−1, tag above the box, …).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { lastValueFrom, tap, toArray } from 'rxjs';
import sharp from 'sharp';
import { batch, BoxFlag, decode, fromYolo, letterbox, type RawImage, type Sample } from '../index.ts';
import { dumpSamples } from '../operators/dump-samples.ts';
import { drawText, FONT, glyph, glyphPixel, measureText } from '../src/render/font.ts';
import { classColor, drawBoxes, IGNORE_COLOR, layoutBox, PALETTE, type Rgb } from '../src/render/draw.ts';
import { encodePng, gridLayout, renderGrid, shortId } from '../src/render/grid.ts';
import { COCO128, REPO } from './helpers.ts';

const blank = (width: number, height: number, v = 0): RawImage => ({ data: new Uint8Array(width * height * 3).fill(v), width, height });
const px = (img: RawImage, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
const made: string[] = [];
const tmpdir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-preview-'));
  made.push(d);
  return d;
};
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

// Our glyphs, as drawn in src/render/font.ts ('#' ink): capitals on rows 0..6, descenders on 7..8.
const A = ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#', '.....', '.....'];
const g = ['.....', '.....', '.####', '#...#', '#...#', '#...#', '.####', '....#', '.###.'];
const b = ['#....', '#....', '#.##.', '##..#', '#...#', '#...#', '####.', '.....', '.....'];

describe('bitmap font', () => {
  it('covers printable ASCII; A and g are the bitmaps drawn above; others fall back to ?', () => {
    for (const [ch, art] of [['A', A], ['g', g]] as const) {
      for (let y = 0; y < FONT.height; y++) {
        for (let x = 0; x < FONT.width; x++) assert.equal(glyphPixel(ch, x, y), art[y]![x] === '#', `${ch} at ${x},${y}`);
      }
    }
    assert.deepEqual(glyph('é'), glyph('?'));
    for (let c = 33; c <= 126; c++) assert.ok(glyph(String.fromCharCode(c)).some((r) => r !== 0), `glyph ${c} is blank`);
    assert.ok(glyph(' ').every((r) => r === 0));
    assert.deepEqual(measureText('car', 1), { width: 17, height: 9 });
    assert.deepEqual(measureText('car', 3), { width: 51, height: 27 });
  });

  it('drawText renders a glyph as its bitmap, each font pixel a scale×scale square, clipped at the edge', () => {
    const img = blank(14, 20);
    drawText(img, 'A', 2, 1, [9, 8, 7], 2);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 14; x++) {
        const fx = Math.floor((x - 2) / 2);
        const fy = Math.floor((y - 1) / 2);
        const ink = fx >= 0 && fx < 5 && fy >= 0 && fy < 9 && A[fy]![fx] === '#';
        assert.deepEqual(px(img, x, y), ink ? [9, 8, 7] : [0, 0, 0], `pixel ${x},${y}`);
      }
    }
    const edge = blank(4, 4);
    drawText(edge, 'A', -1, -1, [1, 1, 1], 1); // only glyph columns 1..4, rows 1..4 land
    assert.deepEqual(px(edge, 0, 0), [0, 0, 0]); // glyph (1,1) is blank
    assert.deepEqual(px(edge, 2, 2), [1, 1, 1]); // glyph (3,3) is ink ('#####' row)
  });
});

describe('drawBoxes', () => {
  const names = ['a', 'bb'];

  it('puts the class colour exactly on the outline pixels and nowhere else outside the label tag', () => {
    const img = blank(40, 30);
    const set = { boxes: Float32Array.of(5.2, 12.6, 20.4, 25.5), classes: Int32Array.of(1), flags: Uint8Array.of(0) };
    const out = drawBoxes(img, set, { names, thickness: 2 });
    assert.ok(img.data.every((v) => v === 0), 'input unchanged');
    assert.notEqual(out.data, img.data);
    // Outline rect: columns round(5.2)=5 .. round(20.4)−1=19, rows round(12.6)=13 .. round(25.5)−1=25.
    // Tag: 'bb' is (6·2−1)=11×9 at scale 1 (40×30 → scale 1), plus 1 px padding: 13×11 above row 13 → rows 2..12, columns 5..17.
    const l = layoutBox(set.boxes, 1, 0, img, { names, thickness: 2 })!;
    assert.deepEqual(l.outline, { left: 5, top: 13, right: 19, bottom: 25 });
    assert.deepEqual(l.tag, { left: 5, top: 2, right: 17, bottom: 12 });
    const color = [...classColor(1)];
    assert.deepEqual(color, [...PALETTE[1]!]);
    const text = [...l.textColor];
    for (let y = 0; y < 30; y++) {
      for (let x = 0; x < 40; x++) {
        const inTag = x >= 5 && x <= 17 && y >= 2 && y <= 12;
        const inRect = x >= 5 && x <= 19 && y >= 13 && y <= 25;
        const onOutline = inRect && (x <= 6 || x >= 18 || y <= 14 || y >= 24);
        const p = px(out, x, y);
        if (inTag) {
          // Text 'bb' at (6, 3): glyph pixels in the text colour, the rest of the tag filled.
          const gx = x - 6;
          const gy = y - 3;
          const col = gx % 6;
          const ink = gx >= 0 && gx < 11 && col < 5 && gy >= 0 && gy < 9 && b[gy]![col] === '#';
          assert.deepEqual(p, ink ? text : color, `tag pixel ${x},${y}`);
        } else assert.deepEqual(p, onOutline ? color : [0, 0, 0], `pixel ${x},${y}`);
      }
    }
  });

  it('puts the tag inside the box when the box touches the top edge, labelled with the id when names are unknown', () => {
    const out = drawBoxes(blank(40, 30), { boxes: Float32Array.of(0, 0, 10, 10), classes: Int32Array.of(7) });
    const l = layoutBox(Float32Array.of(0, 0, 10, 10), 7, 0, { width: 40, height: 30 })!;
    assert.equal(l.label, '7');
    assert.deepEqual(l.tag, { left: 0, top: 0, right: 6, bottom: 10 }); // 5×9 glyph + 1 px padding
    assert.equal(l.thickness, 1);
    const c = [...classColor(7)];
    assert.deepEqual(px(out, 0, 0), c);
    assert.deepEqual(px(out, 9, 0), c); // top edge right of the tag
    assert.deepEqual(px(out, 9, 9), c);
    assert.deepEqual(px(out, 5, 9), c);
    assert.deepEqual(px(out, 8, 8), [0, 0, 0]); // interior
  });

  it('draws ignored boxes dashed in grey (4t on, 4t off from the corner) and shifts tags left at the right edge', () => {
    const set = { boxes: Float32Array.of(4, 4, 36, 28), classes: Int32Array.of(0), flags: Uint8Array.of(BoxFlag.Ignore) };
    const out = drawBoxes(blank(40, 30), set, { labels: false, thickness: 1 });
    const grey = [...IGNORE_COLOR];
    const topRow = Array.from({ length: 32 }, (_, i) => px(out, 4 + i, 4)[0] === grey[0]);
    assert.deepEqual(topRow, Array.from({ length: 32 }, (_, i) => Math.floor(i / 4) % 2 === 0));
    // Left edge, measured from row 4: rows 4..7 on, 8..11 off, 12..15 on.
    assert.deepEqual(px(out, 4, 5), grey);
    assert.deepEqual(px(out, 4, 8), [0, 0, 0]);
    assert.deepEqual(px(out, 4, 11), [0, 0, 0]);
    assert.deepEqual(px(out, 4, 12), grey);
    const l = layoutBox(Float32Array.of(30, 20, 39, 29), 0, BoxFlag.Ignore, { width: 40, height: 30 }, { names: ['x'] })!;
    assert.equal(l.label, 'x (ignore)');
    // 'x (ignore)' is 59 px + 2 padding = 61 wide > 40: the tag starts at column 0.
    assert.equal(l.tag!.left, 0);
    assert.deepEqual(l.color, IGNORE_COLOR);
  });

  it('has 20 distinct palette colours, none of them the ignore grey', () => {
    const keys = new Set(PALETTE.map((c) => c.join(',')));
    assert.equal(keys.size, 20);
    assert.ok(!keys.has(IGNORE_COLOR.join(',')));
    assert.deepEqual(classColor(21), PALETTE[1]);
    assert.deepEqual(classColor(-1), PALETTE[19]);
  });
});

describe('grid', () => {
  it('lays out ceil(sqrt(n)) columns of equal cells with gaps and captions', () => {
    const l = gridLayout(5, 20, 10, { gap: 4 });
    // 3 columns, 2 rows, caption (9 + 4)·1 = 13: 3·20 + 4·4 = 76 wide, 2·(10 + 13) + 3·4 = 58 high.
    assert.deepEqual(
      { c: l.columns, r: l.rows, w: l.width, h: l.height, cap: l.captionHeight },
      { c: 3, r: 2, w: 76, h: 58, cap: 13 },
    );
    assert.deepEqual([gridLayout(16, 608, 608).width, gridLayout(16, 608, 608).height], [4 * 608 + 5 * 4, 4 * (608 + 26) + 5 * 4]);
    const shrunk = gridLayout(4, 608, 400, { maxCell: 304, captions: false, gap: 0 });
    assert.deepEqual([shrunk.cellWidth, shrunk.cellHeight, shrunk.width, shrunk.height], [304, 200, 608, 400]);
  });

  it('renders cells letterboxed into the grid and encodes a PNG of that size', async () => {
    const cells = Array.from({ length: 5 }, (_, i) => ({ image: blank(20, 10, 200 + i), caption: `images/x/${i}.jpg` }));
    cells[1] = { image: blank(8, 6, 50), caption: 'small.png' };
    const { image, layout } = renderGrid(cells, { gap: 4 });
    assert.deepEqual([image.width, image.height, layout.columns], [76, 58, 3]);
    assert.deepEqual(px(image, 4, 4), [200, 200, 200]); // cell 0 at (4, 4)
    assert.deepEqual(px(image, 0, 0), [32, 32, 32]); // gap
    // 8×6 in a 20×10 cell (no upscale): padLeft round(5.9) = 6, padTop round(1.9) = 2 → (4 + 24 + 6, 4 + 2).
    assert.deepEqual(px(image, 34, 6), [50, 50, 50]);
    assert.deepEqual(px(image, 33, 6), [114, 114, 114]);
    assert.deepEqual(px(image, 34, 5), [114, 114, 114]);
    assert.deepEqual(px(image, 41, 11), [50, 50, 50]);
    assert.deepEqual(px(image, 42, 11), [114, 114, 114]);
    // Cell 3 is the first of row 2: y = 4 + 10 + 13 + 4 = 31.
    assert.deepEqual(px(image, 4, 31), [203, 203, 203]);
    const meta = await sharp(await encodePng(image)).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [76, 58, 'png']);
  });

  it('shortens ids to the file stem, then to the last characters', () => {
    assert.equal(shortId('images/train2017/000000000009.jpg'), '000000000009');
    assert.equal(shortId('images/train2017/000000000009.jpg', 8), '..000009');
    assert.equal(shortId('a.b.c'), 'a.b');
  });
});

describe('dumpSamples()', () => {
  const pipeline = () => fromYolo(COCO128, { limit: 8, workers: 1 }).pipe(decode(), letterbox(320));

  it('writes items 0, 3, 6 as PNGs with the boxes drawn, passing the same items through', async () => {
    const dir = tmpdir();
    const seen: Sample[] = [];
    const p = pipeline().pipe(tap((s) => seen.push(s)), dumpSamples(dir, { every: 3 }), toArray());
    const out = await lastValueFrom(p);
    assert.equal(out.length, 8);
    out.forEach((s, i) => assert.equal(s, seen[i], `item ${i} is the object that went in`));
    const files = fs.readdirSync(dir).sort();
    const expected = [0, 3, 6].map((i) => `e000-i00000${i}-${shortId(seen[i]!.id)}.png`);
    assert.deepEqual(files, expected);
    const names = p.context.dataset!.classNames;
    for (const i of [0, 3, 6]) {
      const s = seen[i]!;
      const { data, info } = await sharp(path.join(dir, expected[[0, 3, 6].indexOf(i)]!)).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [320, 320, 3]);
      assert.ok(Buffer.from(drawBoxes(s.image, s, { names }).data).equals(data), `file ${i} is the drawn sample`);
    }
    assert.deepEqual(p.report().skipped, []);
    assert.ok(p.report().stages.some((s) => s.name === 'dumpSamples' && s.items === 8));
  });

  it('writes a grid per SampleBatch and reports write failures as skips without failing the run', async () => {
    const dir = tmpdir();
    const batches = await lastValueFrom(pipeline().pipe(batch(4), dumpSamples(dir, { every: 1, limit: 1 }), toArray()));
    assert.equal(batches.length, 2);
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^e000-i000000-\d+-b4\.png$/);
    const meta = await sharp(path.join(dir, files[0]!)).metadata();
    const l = gridLayout(4, 320, 320);
    assert.deepEqual([meta.width, meta.height], [l.width, l.height]); // 652×678
    assert.deepEqual([l.width, l.height], [652, 678]);

    const notADir = path.join(dir, files[0]!); // a file: nothing can be written under it
    const p = pipeline().pipe(dumpSamples(notADir, { every: 4 }), toArray());
    const items = await lastValueFrom(p);
    assert.equal(items.length, 8);
    const skipped = p.report().skipped;
    assert.equal(skipped.length, 2);
    for (const s of skipped) assert.match(s.reason, /^dumpSamples: could not write/);
  });

  it('validates its options', () => {
    assert.throws(() => dumpSamples('out', { every: 0 }), /dumpSamples\(\): every: every must be ≥ 1/);
    assert.throws(() => dumpSamples(''), /pass the folder/);
    assert.throws(() => dumpSamples('out', { evry: 3 } as never), /dumpSamples\(\)/);
  });
});

describe('freebies preview', () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--conditions=freebies-source', '--import', 'tsx', 'src/cli/main.ts', 'preview', ...args], {
      cwd: REPO,
      timeout: 120_000,
    });

  it('writes a grid PNG of the first n samples and exits 0', async () => {
    const out = path.join(tmpdir(), 'grid.png');
    const { stdout } = await cli('pipelines/basic.ts', '--data', COCO128, '--out', out, '--n', '4', '--size', '128', '--batch-size', '4', '--workers', '1');
    // 2×2 cells of 128, caption 13: 2·128 + 3·4 = 268 wide, 2·(128 + 13) + 3·4 = 294 high.
    assert.match(stdout, new RegExp(`preview written to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 4 samples, \\d+ boxes \\(2×2 grid of 128×128 cells, 268×294 px\\)`));
    assert.match(stdout, /skipped 0/);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [268, 294, 'png']);
  });

  it('fails with exit code 2 and a message for a missing --out, --n 0 and an unknown flag', async () => {
    const cases: [string[], RegExp][] = [
      [['pipelines/basic.ts', '--data', COCO128], /preview needs --out FILE\.png/],
      [['pipelines/basic.ts', '--data', COCO128, '--out', 'x.png', '--n', '0'], /--n must be a whole number ≥ 1/],
      [['pipelines/basic.ts', '--data', COCO128, '--out', 'x.png', '--colour'], /unknown option --colour; it takes --data, --out, --n/],
    ];
    await Promise.all(
      cases.map(([args, message]) =>
        assert.rejects(cli(...args), (err: { code: number; stderr: string }) => {
          assert.equal(err.code, 2, err.stderr);
          assert.match(err.stderr, message);
          return true;
        }),
      ),
    );
  });
});
