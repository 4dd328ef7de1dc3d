import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, SampleError } from '../src/core/errors.ts';
import { indexYolo, img2labelPath, parseYoloLabels } from '../src/io/yolo.ts';
import { indexDataset } from '../src/io/index.ts';

const datasets = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));
const coco128 = path.join(datasets, 'coco128');

/** Asserts a Float32Array against float64 expectations to float32 precision. */
function assertClose(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('indexYolo on coco128', () => {
  const index = indexYolo(coco128);

  it('finds 128 images, sorted, with 80 class names from coco128.yaml', () => {
    assert.equal(index.format, 'yolo');
    assert.equal(index.root, coco128);
    assert.equal(index.items.length, 128);
    assert.equal(index.classNames.length, 80);
    assert.equal(index.classNames[0], 'person');
    assert.equal(index.classNames[79], 'toothbrush');
    assert.equal(index.items[0]!.id, 'images/train2017/000000000009.jpg');
    assert.equal(index.items[0]!.path, path.join(coco128, 'images/train2017/000000000009.jpg'));
    assert.equal(index.items[0]!.labelPath, path.join(coco128, 'labels/train2017/000000000009.txt'));
    const ids = index.items.map((i) => i.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(index.skipped, []);
  });

  it('reads 929 boxes in total, 2 background images, no skipped lines', async () => {
    let boxes = 0;
    const background: string[] = [];
    for (const item of index.items) {
      const { labels, skipped } = await item.labels();
      assert.deepEqual(skipped, [], item.id);
      assert.equal(labels.normalized, true);
      assert.equal(labels.boxes.length, labels.classes.length * 4);
      boxes += labels.classes.length;
      if (labels.classes.length === 0) background.push(item.id);
    }
    assert.equal(boxes, 929);
    assert.deepEqual(background, ['images/train2017/000000000250.jpg', 'images/train2017/000000000508.jpg']);
  });

  it('converts the first box of 000000000009.txt to normalised x1,y1,x2,y2', async () => {
    // "45 0.479492 0.688771 0.955609 0.5955": x1 = 0.479492 - 0.955609/2, y2 = 0.688771 + 0.5955/2
    const { labels } = await index.items[0]!.labels();
    assert.equal(labels.classes.length, 8);
    assert.equal(labels.classes[0], 45);
    assertClose(labels.boxes.subarray(0, 4), [0.0016875, 0.391021, 0.9572965, 0.986521]);
    assert.equal(labels.flags[0], 0);
  });

  it('returns fresh arrays on every call', async () => {
    const a = await index.items[0]!.labels();
    a.labels.boxes[0] = 42;
    const b = await index.items[0]!.labels();
    assert.ok(Math.abs(b.labels.boxes[0]! - 0.0016875) < 1e-6);
  });

  it('also indexes the images/train2017 folder itself (yaml found above images/)', () => {
    const sub = indexYolo(path.join(coco128, 'images/train2017'));
    assert.equal(sub.items.length, 128);
    assert.equal(sub.classNames.length, 80);
    assert.equal(sub.items[0]!.id, '000000000009.jpg');
    assert.equal(sub.items[0]!.labelPath, path.join(coco128, 'labels/train2017/000000000009.txt'));
  });

  it('is what indexDataset detects for the folder', () => {
    const detected = indexDataset(coco128);
    assert.equal(detected.format, 'yolo');
    assert.equal(detected.items.length, 128);
  });
});

describe('img2labelPath', () => {
  it('swaps the last images/ component and the extension, as YOLOv5 does', () => {
    const p = path.join('/d', 'images', 'a', 'images', 'x.v1.JPG');
    assert.equal(img2labelPath(p), path.join('/d', 'images', 'a', 'labels', 'x.v1.txt'));
    assert.equal(img2labelPath(path.join('/d', 'pics', 'x.jpg')), undefined);
  });
});

describe('YOLO label validation (fixture)', () => {
  let dir: string;
  const names = ['cat', 'dog', 'bird'];
  // 1-based line numbers are part of what is asserted, so the order here matters.
  const lines = [
    '0 0.5 0.5 0.2 0.4', //                     1 good
    '1 0.5 0.5 0.2', //                         2 four fields
    '0 0.5 0.5 0.2 0.4 0.9', //                 3 six fields (not a polygon)
    '0 abc 0.5 0.2 0.2', //                     4 not a number
    '0 nan 0.5 0.2 0.2', //                     5 NaN
    '1.5 0.5 0.5 0.2 0.2', //                   6 class not an integer
    '3 0.5 0.5 0.2 0.2', //                     7 class >= number of classes
    '-1 0.5 0.5 0.2 0.2', //                    8 negative class
    '0 0.5 0.5 0 0.2', //                       9 zero width
    '0 0.5 0.5 0.2 -0.1', //                    10 negative height
    '1 0.95 0.5 0.2 0.2', //                    11 partly outside: clipped to x2 = 1, kept
    '0 1.5 0.5 0.2 0.2', //                     12 wholly outside: nothing left
    '0 0.50 0.5 0.2 0.4', //                    13 same numbers as line 1: duplicate
    '', //                                      14 blank: ignored
    '2 0.1 0.1 0.3 0.1 0.3 0.4 0.1 0.4', //     15 polygon: its bounding box is kept
    '2  0.25\t0.25 0.1 0.1 ', //                16 good, odd whitespace
    '2 0.1 0.1 0.1 0.2 0.1 0.3', //             17 polygon of zero width
    '0 Infinity 0.5 0.2 0.2', //                18 not a plain number
    '1 0.5 0.5 0.2 0.2', //                     19 good (same box as 13 but another class)
  ];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'freebies-yolo-'));
    await mkdir(path.join(dir, 'images', 'train'), { recursive: true });
    await mkdir(path.join(dir, 'labels', 'train'), { recursive: true });
    for (const f of ['bad.jpg', 'empty.PNG', 'missing.jpeg', 'notes.txt']) await writeFile(path.join(dir, 'images', 'train', f), 'x');
    await writeFile(path.join(dir, 'labels', 'train', 'bad.txt'), `\uFEFF${lines.join('\r\n')}\n`);
    await writeFile(path.join(dir, 'labels', 'train', 'empty.txt'), '');
    await writeFile(path.join(dir, 'data.yaml'), `names:\n  - ${names.join('\n  - ')}\n`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('skips exactly the bad lines, with their reasons, and keeps the good ones', async () => {
    const index = indexYolo(dir);
    assert.deepEqual(index.classNames, names);
    assert.deepEqual(
      index.items.map((i) => i.id),
      ['images/train/bad.jpg', 'images/train/empty.PNG', 'images/train/missing.jpeg'],
    );
    const { labels, skipped } = await index.items[0]!.labels();
    const labelPath = path.join(dir, 'labels', 'train', 'bad.txt');
    assert.deepEqual(skipped, [
      { path: labelPath, line: 2, reason: 'expected 5 fields "class cx cy w h" (or a polygon "class x1 y1 x2 y2 x3 y3 ..."), got 4' },
      { path: labelPath, line: 3, reason: 'expected 5 fields "class cx cy w h" (or a polygon "class x1 y1 x2 y2 x3 y3 ..."), got 6' },
      { path: labelPath, line: 4, reason: 'field 2 "abc" is not a number' },
      { path: labelPath, line: 5, reason: 'field 2 "nan" is not a number' },
      { path: labelPath, line: 6, reason: 'class id "1.5" is not an integer' },
      { path: labelPath, line: 7, reason: 'class id 3 is out of range 0..2' },
      { path: labelPath, line: 8, reason: 'class id -1 is out of range 0..2' },
      { path: labelPath, line: 9, reason: 'width 0 is not positive' },
      { path: labelPath, line: 10, reason: 'height -0.1 is not positive' },
      { path: labelPath, line: 12, reason: 'box lies outside the image (0..1): nothing left after clipping' },
      { path: labelPath, line: 13, reason: 'duplicate of line 1' },
      { path: labelPath, line: 17, reason: 'polygon has zero width' },
      { path: labelPath, line: 18, reason: 'field 2 "Infinity" is not a number' },
    ]);
    assert.deepEqual([...labels.classes], [0, 1, 2, 2, 1]);
    assertClose(labels.boxes, [
      0.4, 0.3, 0.6, 0.7, //     line 1
      0.85, 0.4, 1, 0.6, //      line 11, clipped on the right
      0.1, 0.1, 0.3, 0.4, //     line 15, polygon bounds
      0.2, 0.2, 0.3, 0.3, //     line 16
      0.4, 0.4, 0.6, 0.6, //     line 19
    ]);
    assert.deepEqual([...labels.flags], [0, 0, 0, 0, 0]);
  });

  it('treats an empty or a missing label file as a background image', async () => {
    const index = indexYolo(dir);
    for (const item of index.items.slice(1)) {
      const { labels, skipped } = await item.labels();
      assert.equal(labels.classes.length, 0, item.id);
      assert.equal(labels.boxes.length, 0);
      assert.deepEqual(skipped, []);
    }
  });

  it('rejects with a SampleError when the label path cannot be read', async () => {
    const index = indexYolo(dir);
    const item = index.items[2]!; // missing.jpeg: put a folder where its label file goes
    await mkdir(item.labelPath);
    try {
      await assert.rejects(item.labels(), (err: unknown) => err instanceof SampleError && err.path === item.labelPath);
    } finally {
      await rm(item.labelPath, { recursive: true });
    }
  });

  it('takes names from an {id: name} map, and from options over any yaml', async () => {
    const flat = path.join(dir, 'flat');
    await mkdir(flat);
    await writeFile(path.join(flat, 'a.jpg'), 'x');
    await writeFile(path.join(flat, 'a.txt'), '1 0.5 0.5 0.5 0.5\n');
    await writeFile(path.join(flat, 'meta.yml'), 'nc: 2\nnames:\n  1: b\n  0: a\n');
    const index = indexYolo(flat);
    assert.deepEqual(index.classNames, ['a', 'b']);
    assert.equal(index.items[0]!.labelPath, path.join(flat, 'a.txt'));
    const { labels } = await index.items[0]!.labels();
    assert.deepEqual([...labels.classes], [1]);
    assertClose(labels.boxes, [0.25, 0.25, 0.75, 0.75]);
    assert.deepEqual(indexYolo(flat, { classNames: ['x'] }).classNames, ['x']);
    // With one class, line 1 ("1 ...") is now out of range.
    const { skipped } = await indexYolo(flat, { classNames: ['x'] }).items[0]!.labels();
    assert.deepEqual(skipped, [{ path: path.join(flat, 'a.txt'), line: 1, reason: 'class id 1 is out of range 0..0' }]);
  });

  it('reads a .txt beside the image when there is no labels/ folder', async () => {
    const beside = path.join(dir, 'beside');
    await mkdir(path.join(beside, 'images'), { recursive: true });
    await writeFile(path.join(beside, 'images', 'p.jpg'), 'x');
    await writeFile(path.join(beside, 'images', 'p.txt'), '0 0.5 0.5 0.2 0.2\n');
    const index = indexYolo(beside, { classNames: ['a'] });
    assert.equal(index.items[0]!.labelPath, path.join(beside, 'images', 'p.txt'));
    const { labels } = await index.items[0]!.labels();
    assertClose(labels.boxes, [0.4, 0.4, 0.6, 0.6]);
  });

  it('parses label text without touching the disk', () => {
    const { labels, skipped } = parseYoloLabels('0 0.5 0.5 1 1\n0 0.5 0.5 1 1\n', 'x.txt', 1);
    assertClose(labels.boxes, [0, 0, 1, 1]);
    assert.deepEqual(skipped, [{ path: 'x.txt', line: 2, reason: 'duplicate of line 1' }]);
  });
});

describe('YOLO configuration errors', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'freebies-yolo-cfg-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing folder says which path and what to pass', () => {
    const missing = path.join(dir, 'nope');
    assert.throws(() => indexYolo(missing, { classNames: ['a'] }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(
        err.message,
        `no folder at "${missing}": pass the dataset root that contains images/ and labels/ (or a folder of images with .txt labels beside them)`,
      );
      return true;
    });
  });

  it('a folder without images says which extensions were looked for', async () => {
    await mkdir(path.join(dir, 'empty', 'images'), { recursive: true });
    await writeFile(path.join(dir, 'empty', 'images', 'readme.md'), 'no images');
    assert.throws(
      () => indexYolo(path.join(dir, 'empty'), { classNames: ['a'] }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          `no images found under "${path.join(dir, 'empty', 'images')}": expected *.jpg|*.jpeg|*.png|*.bmp|*.webp|*.tif|*.tiff files in images/ ` +
            '(pass imageExtensions if your images use another extension)',
    );
  });

  it('no class names says to pass classNames or a data yaml', async () => {
    await mkdir(path.join(dir, 'nonames', 'images'), { recursive: true });
    await writeFile(path.join(dir, 'nonames', 'images', 'a.jpg'), 'x');
    assert.throws(() => indexYolo(path.join(dir, 'nonames')), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^no class names found for the YOLO dataset at ".*nonames": pass options\.classNames, or options\.dataYaml/);
      return true;
    });
  });

  it('names with gaps in the ids, or disagreeing with nc, are refused', async () => {
    const yaml = path.join(dir, 'gap.yaml');
    await writeFile(yaml, 'names:\n  0: a\n  2: c\n');
    assert.throws(() => indexYolo(coco128, { dataYaml: yaml }), /has id 2, but the ids must be 0\.\.1 with no gaps: renumber them/);
    await writeFile(yaml, 'nc: 3\nnames: [a, b]\n');
    assert.throws(() => indexYolo(coco128, { dataYaml: yaml }), /lists 2 classes but nc is 3: make them agree/);
    assert.throws(() => indexYolo(coco128, { dataYaml: path.join(dir, 'absent.yaml') }), ConfigError);
  });
});
