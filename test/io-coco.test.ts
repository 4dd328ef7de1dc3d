import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../src/core/errors.ts';
import { BoxFlag } from '../src/core/types.ts';
import { indexCoco } from '../src/io/coco.ts';
import { indexDataset } from '../src/io/index.ts';

const datasets = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));
const sample = path.join(datasets, 'coco-sample');
const trainJson = path.join(sample, 'annotations', 'instances_train2017.json');

function assertClose(actual: ArrayLike<number>, expected: number[], tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('indexCoco on coco-sample train2017', () => {
  const index = indexCoco(trainJson);
  const byId = new Map(index.items.map((i) => [i.id, i]));

  it('finds 32 images under images/train2017, sorted, nothing skipped', () => {
    assert.equal(index.format, 'coco');
    assert.equal(index.root, sample);
    assert.equal(index.items.length, 32);
    assert.equal(index.items[0]!.id, 'images/train2017/000000006818.jpg');
    assert.equal(index.items[0]!.path, path.join(sample, 'images/train2017/000000006818.jpg'));
    const ids = index.items.map((i) => i.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(index.skipped, []);
  });

  it('maps the 80 non-contiguous category ids to 0..79 in id order', () => {
    assert.equal(index.classNames.length, 80);
    assert.equal(index.classNames[0], 'person');
    assert.equal(index.categoryIds[0], 1);
    assert.equal(index.classNames[79], 'toothbrush');
    assert.equal(index.categoryIds[79], 90);
    // id 64 (potted plant) sits after the unused ids 12, 26, 29, 30 and 45: index 58.
    assert.equal(index.categoryIds.indexOf(64), 58);
    assert.equal(index.classNames[58], 'potted plant');
  });

  it('reads 288 boxes: 4 crowd boxes flagged Ignore, 2 background images', async () => {
    let boxes = 0;
    const crowd: string[] = [];
    const background: string[] = [];
    for (const item of index.items) {
      const { labels, skipped } = await item.labels();
      assert.deepEqual(skipped, []);
      assert.equal(labels.normalized, false);
      boxes += labels.classes.length;
      labels.flags.forEach((f) => {
        if (f & BoxFlag.Ignore) crowd.push(item.id);
      });
      if (labels.classes.length === 0) background.push(item.id);
    }
    assert.equal(boxes, 288);
    assert.deepEqual(crowd.sort(), [
      'images/train2017/000000087038.jpg',
      'images/train2017/000000296649.jpg',
      'images/train2017/000000386912.jpg',
      'images/train2017/000000463730.jpg',
    ]);
    assert.deepEqual(background, ['images/train2017/000000058636.jpg', 'images/train2017/000000226111.jpg']);
  });

  it('converts bbox [x,y,w,h] to pixel x1,y1,x2,y2 with contiguous classes', async () => {
    const item = byId.get('images/train2017/000000397133.jpg')!;
    assert.equal(item.imageId, 397133);
    assert.equal(item.width, 640);
    assert.equal(item.height, 427);
    const { labels } = await item.labels();
    // First annotations of image 397133 in file order: ids 82445 (cat 44), 119568 (cat 67), 200887 (cat 1).
    assertClose(labels.boxes.subarray(0, 12), [
      217.62, 240.54, 217.62 + 38.99, 240.54 + 57.75,
      1, 240.24, 1 + 346.63, 240.24 + 186.76,
      388.66, 69.92, 388.66 + 109.41, 69.92 + 277.62,
    ]);
    assert.deepEqual([...labels.classes.subarray(0, 3)], [39, 60, 0]); // bottle, dining table, person
  });

  it('keeps a crowd box (annotation id above 2^31) with the Ignore flag', async () => {
    const { labels } = await byId.get('images/train2017/000000087038.jpg')!.labels();
    const i = labels.flags.indexOf(BoxFlag.Ignore);
    assert.ok(i >= 0);
    assert.equal(labels.flags.filter((f) => f === BoxFlag.Ignore).length, 1);
    assert.equal(labels.classes[i], 0);
    assertClose(labels.boxes.subarray(i * 4, i * 4 + 4), [1, 190, 639, 291]);
  });

  it('hands out fresh arrays, so a consumer may transfer them', async () => {
    const item = byId.get('images/train2017/000000397133.jpg')!;
    const a = await item.labels();
    structuredClone(a.labels.boxes, { transfer: [a.labels.boxes.buffer] });
    assert.equal(a.labels.boxes.length, 0); // detached
    const b = await item.labels();
    assert.ok(b.labels.boxes.length > 0);
    assert.ok(Math.abs(b.labels.boxes[0]! - 217.62) < 1e-4);
  });

  it('derives val2017 from the json name, and indexDataset picks the first json of a root', () => {
    const val = indexCoco(path.join(sample, 'annotations', 'instances_val2017.json'));
    assert.equal(val.items.length, 6);
    assert.ok(val.items.every((i) => i.id.startsWith('images/val2017/')));
    const detected = indexDataset(sample);
    assert.equal(detected.format, 'coco');
    assert.equal(detected.items.length, 32);
    assert.equal(indexDataset(sample, { annotationFile: 'val2017' }).items.length, 6);
    assert.equal(indexDataset(trainJson).items.length, 32);
  });
});

describe('COCO problems in the json (fixture)', () => {
  let dir: string;
  let json: string;
  const big = 2 ** 31 + 7;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'freebies-coco-'));
    await mkdir(path.join(dir, 'annotations'));
    await mkdir(path.join(dir, 'images', 'mini'), { recursive: true });
    await writeFile(path.join(dir, 'images', 'mini', 'a.jpg'), 'x');
    await writeFile(path.join(dir, 'images', 'mini', 'b.jpg'), 'x');
    json = path.join(dir, 'annotations', 'instances_mini.json');
    await writeFile(
      json,
      JSON.stringify({
        images: [
          { id: 1, file_name: 'a.jpg', width: 100, height: 50 },
          { id: 2, file_name: 'b.jpg', width: 100, height: 50 },
          { id: 3, file_name: 'gone.jpg', width: 100, height: 50 },
        ],
        categories: [
          { id: 7, name: 'seven' },
          { id: 3, name: 'three' },
        ],
        annotations: [
          { id: big, image_id: 1, category_id: 7, bbox: [10, 5, 20, 10], iscrowd: 1 },
          { id: 11, image_id: 1, category_id: 3, bbox: [0, 0, 0, 10], iscrowd: 0 },
          { id: 12, image_id: 1, category_id: 3, bbox: [1, 2, 3, -1], iscrowd: 0 },
          { id: 13, image_id: 1, category_id: 3, bbox: [1, 2, 'NaN', 4], iscrowd: 0 },
          { id: 14, image_id: 1, category_id: 99, bbox: [1, 2, 3, 4], iscrowd: 0 },
          { id: 15, image_id: 1, category_id: 3, bbox: [150, 2, 3, 4], iscrowd: 0 },
          { id: 16, image_id: 1, category_id: 3, bbox: [90, 40, 20, 20], iscrowd: 0 },
          { id: 17, image_id: 3, category_id: 3, bbox: [1, 2, 3, 4], iscrowd: 0 },
          { id: 18, image_id: 4, category_id: 3, bbox: [1, 2, 3, 4], iscrowd: 0 },
        ],
      }),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing image file and orphan annotations at index time', () => {
    const index = indexCoco(json);
    assert.deepEqual(index.classNames, ['three', 'seven']);
    assert.deepEqual(index.items.map((i) => i.id), ['images/mini/a.jpg', 'images/mini/b.jpg']);
    assert.deepEqual(index.skipped, [
      { path: path.join(dir, 'images', 'mini', 'gone.jpg'), reason: `image file is missing (image id 3 in "${json}")` },
      { path: json, reason: 'annotation 18 refers to image id 4, which is not in images' },
    ]);
  });

  it('skips boxes with w or h <= 0, NaN, an unknown category or outside the image', async () => {
    const [a, b] = indexCoco(json).items;
    const { labels, skipped } = await a!.labels();
    assert.deepEqual(skipped.map((s) => s.reason), [
      'annotation 11 of a.jpg: bbox width 0 is not positive',
      'annotation 12 of a.jpg: bbox height -1 is not positive',
      'annotation 13 of a.jpg: bbox [1,2,"NaN",4] is not 4 finite numbers [x,y,w,h]',
      'annotation 14 of a.jpg: unknown category_id 99',
      'annotation 15 of a.jpg: bbox [150,2,3,4] lies outside the 100x50 image',
    ]);
    assert.ok(skipped.every((s) => s.path === json));
    assert.deepEqual([...labels.boxes], [10, 5, 30, 15, 90, 40, 110, 60]);
    assert.deepEqual([...labels.classes], [1, 0]);
    assert.deepEqual([...labels.flags], [BoxFlag.Ignore, 0]);
    const bg = await b!.labels();
    assert.equal(bg.labels.classes.length, 0);
    assert.deepEqual(bg.skipped, []);
  });

  it('takes imageDir from the options', () => {
    const index = indexCoco(json, { imageDir: path.join(dir, 'images', 'mini') });
    assert.equal(index.items.length, 2);
    assert.equal(index.items[0]!.path, path.join(dir, 'images', 'mini', 'a.jpg'));
  });
});

describe('COCO configuration errors', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'freebies-coco-cfg-'));
    await mkdir(path.join(dir, 'annotations'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a json that does not parse names the file and what to pass', async () => {
    const bad = path.join(dir, 'annotations', 'instances_bad.json');
    await writeFile(bad, '{"images": [');
    assert.throws(() => indexCoco(bad), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^cannot parse ".*instances_bad\.json" as JSON \(.+\): pass a valid COCO instances json$/);
      return true;
    });
  });

  it('a missing json, a json without annotations, and no image folder are config errors', async () => {
    const missing = path.join(dir, 'annotations', 'instances_none.json');
    assert.throws(() => indexCoco(missing), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.startsWith(`cannot read annotation file "${missing}"`));
      assert.ok(err.message.endsWith('pass the path of a COCO instances json, e.g. annotations/instances_val2017.json'));
      return true;
    });
    const info = path.join(dir, 'annotations', 'image_info_test.json');
    await writeFile(info, JSON.stringify({ images: [], categories: [{ id: 1, name: 'a' }] }));
    assert.throws(
      () => indexCoco(info),
      new ConfigError(`"${info}" has no "annotations" array: pass a COCO instances json (image_info_* files carry no annotations)`),
    );
    const ok = path.join(dir, 'annotations', 'instances_x.json');
    await writeFile(ok, JSON.stringify({ images: [], annotations: [], categories: [{ id: 1, name: 'a' }] }));
    assert.throws(
      () => indexCoco(ok),
      new ConfigError(
        `no image folder found for "${ok}" (tried "${path.join(dir, 'images', 'x')}", "${path.join(dir, 'x')}"): pass options.imageDir`,
      ),
    );
  });
});
