import assert from 'node:assert/strict';
import { cp, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, SampleError } from '../src/core/errors.ts';
import { BoxFlag } from '../src/core/types.ts';
import { indexVoc, VOC_CLASSES } from '../src/io/voc.ts';
import { indexDataset } from '../src/io/index.ts';

const datasets = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));
const voc = path.join(datasets, 'voc-sample');

describe('indexVoc on voc-sample', () => {
  const index = indexVoc(voc);
  const byId = new Map(index.items.map((i) => [i.id, i]));

  it('finds 30 images, sorted, with the 20 VOC classes', () => {
    assert.equal(index.format, 'voc');
    assert.equal(index.root, voc);
    assert.equal(index.items.length, 30);
    assert.equal(index.items[0]!.id, 'JPEGImages/2007_000027.jpg');
    assert.equal(index.items[0]!.annotationPath, path.join(voc, 'Annotations', '2007_000027.xml'));
    assert.equal(index.items[29]!.id, 'JPEGImages/2007_000661.jpg');
    const ids = index.items.map((i) => i.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(index.classNames, [...VOC_CLASSES]);
    assert.equal(index.classNames.length, 20);
    assert.equal(index.classNames[14], 'person');
    assert.deepEqual(index.skipped, []);
  });

  it('reads 69 objects: 12 difficult (Ignore), 33 truncated, every class present', async () => {
    let objects = 0;
    let difficult = 0;
    let truncated = 0;
    const perClass = new Array<number>(20).fill(0);
    for (const item of index.items) {
      const { labels, skipped } = await item.labels();
      assert.deepEqual(skipped, []);
      assert.equal(labels.normalized, false);
      objects += labels.classes.length;
      labels.flags.forEach((f) => {
        if (f & BoxFlag.Ignore) difficult++;
        if (f & BoxFlag.Truncated) truncated++;
      });
      labels.classes.forEach((c) => perClass[c]!++);
    }
    assert.equal(objects, 69);
    assert.equal(difficult, 12);
    assert.equal(truncated, 33);
    // aeroplane 8, bicycle 3, ..., person 19, ..., tvmonitor 4 (SOURCE.md counts)
    assert.deepEqual(perClass, [8, 3, 3, 5, 6, 1, 1, 1, 3, 2, 1, 1, 1, 2, 19, 1, 1, 2, 4, 4]);
  });

  it('turns 1-based inclusive pixels into 0-based x1,y1,x2,y2', async () => {
    // 2007_000027.xml: person xmin 174 ymin 101 xmax 349 ymax 351 (486x500 image)
    const { labels } = await byId.get('JPEGImages/2007_000027.jpg')!.labels();
    assert.deepEqual([...labels.boxes], [173, 100, 349, 351]);
    assert.deepEqual([...labels.classes], [14]);
    assert.deepEqual([...labels.flags], [0]);
  });

  it('sets both flag bits on a difficult, truncated object', async () => {
    // 2007_000129.xml (334x500): bicycle, bicycle*, bicycle*, person*, person, person (* difficult)
    const { labels } = await byId.get('JPEGImages/2007_000129.jpg')!.labels();
    assert.deepEqual([...labels.classes], [1, 1, 1, 14, 14, 14]);
    const both = BoxFlag.Ignore | BoxFlag.Truncated;
    assert.deepEqual([...labels.flags], [0, both, both, both, BoxFlag.Truncated, BoxFlag.Truncated]);
    // person xmin 1 ymin 1 xmax 66 ymax 363: a box touching the top-left corner starts at 0,0
    assert.deepEqual([...labels.boxes.subarray(12, 16)], [0, 0, 66, 363]);
  });

  it('restricts to an image set, and is what indexDataset detects', () => {
    const set = indexVoc(voc, { imageSet: 'default' });
    assert.equal(set.items.length, 30);
    assert.equal(indexDataset(voc).format, 'voc');
  });
});

describe('VOC problems (fixture)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'freebies-voc-'));
    await mkdir(path.join(dir, 'Annotations'));
    await mkdir(path.join(dir, 'JPEGImages'));
    await mkdir(path.join(dir, 'ImageSets', 'Main'), { recursive: true });
    await cp(path.join(voc, 'JPEGImages', '2007_000027.jpg'), path.join(dir, 'JPEGImages', 'a.jpg'));
    await writeFile(path.join(dir, 'JPEGImages', 'broken.jpg'), 'x');
    const obj = (name: string, box: string, extra = '') =>
      `<object><name>${name}</name>${extra}<bndbox>${box}</bndbox></object>`;
    await writeFile(
      path.join(dir, 'Annotations', 'a.xml'),
      `<annotation><filename>a.jpg</filename>` +
        obj('person', '<xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax>', '<truncated>1</truncated><difficult>0</difficult>') +
        obj('unicorn', '<xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax>') +
        obj('dog', '<xmin>1</xmin><ymin>2</ymin><xmax>ten</xmax><ymax>20</ymax>') +
        obj('cat', '<xmin>30</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax>') +
        obj(' car ', '<xmin>5</xmin><ymin>5</ymin><xmax>5</xmax><ymax>5</ymax>', '<difficult>1</difficult>') +
        `</annotation>`,
    );
    await writeFile(path.join(dir, 'Annotations', 'broken.xml'), '<annotation><object></annotation>');
    await writeFile(path.join(dir, 'Annotations', 'lonely.xml'), '<annotation></annotation>');
    await writeFile(path.join(dir, 'ImageSets', 'Main', 'some.txt'), 'a\nghost\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('skips unknown classes and unusable boxes, keeps the rest', async () => {
    const index = indexVoc(dir);
    assert.deepEqual(index.items.map((i) => i.id), ['JPEGImages/a.jpg', 'JPEGImages/broken.jpg']);
    assert.deepEqual(index.skipped, [
      { path: path.join(dir, 'JPEGImages', 'lonely.jpg'), reason: 'image file is missing for Annotations/lonely.xml' },
    ]);
    const { labels, skipped } = await index.items[0]!.labels();
    const xml = path.join(dir, 'Annotations', 'a.xml');
    assert.deepEqual(skipped, [
      { path: xml, reason: 'object 2 (unicorn): unknown class "unicorn"; pass classNames that include it' },
      { path: xml, reason: 'object 3 (dog): bndbox xmax is missing or not a number' },
      { path: xml, reason: 'object 4 (cat): empty box: xmin 30 xmax 10 ymin 2 ymax 20' },
    ]);
    // A one-pixel box (xmin = xmax = 5) is 1 px wide: [4, 5].
    assert.deepEqual([...labels.boxes], [0, 1, 10, 20, 4, 4, 5, 5]);
    assert.deepEqual([...labels.classes], [14, 6]);
    assert.deepEqual([...labels.flags], [BoxFlag.Truncated, BoxFlag.Ignore]);
  });

  it('rejects malformed xml with a SampleError', async () => {
    const item = indexVoc(dir).items[1]!;
    await assert.rejects(item.labels(), (err: unknown) => {
      assert.ok(err instanceof SampleError);
      assert.equal(err.path, path.join(dir, 'Annotations', 'broken.xml'));
      assert.match(err.reason, /^invalid XML at line 1: /);
      return true;
    });
  });

  it('uses given class names, and reports image-set ids without an xml', async () => {
    const index = indexVoc(dir, { classNames: ['unicorn'], imageSet: 'some' });
    assert.deepEqual(index.items.map((i) => i.id), ['JPEGImages/a.jpg']);
    assert.deepEqual(index.skipped, [
      { path: path.join(dir, 'Annotations', 'ghost.xml'), reason: 'annotation file is missing (id listed in image set "some")' },
    ]);
    const { labels } = await index.items[0]!.labels();
    assert.deepEqual([...labels.classes], [0]);
    assert.deepEqual([...labels.boxes], [0, 1, 10, 20]);
  });

  it('configuration errors say what to change', () => {
    assert.throws(
      () => indexVoc(dir, { imageSet: 'trainval' }),
      new ConfigError(
        `no image set "trainval" at "${path.join(dir, 'ImageSets', 'Main', 'trainval.txt')}": pass imageSet as one of [some] or leave it out to use every xml`,
      ),
    );
    const missing = path.join(dir, 'nope');
    assert.throws(
      () => indexVoc(missing),
      new ConfigError(`no folder at "${missing}": pass the VOC root that contains Annotations/ and JPEGImages/ (e.g. VOCdevkit/VOC2012)`),
    );
    assert.throws(
      () => indexVoc(path.join(dir, 'ImageSets')),
      new ConfigError(
        `no Annotations/ folder in "${path.join(dir, 'ImageSets')}": pass the VOC root that contains Annotations/ and JPEGImages/ (e.g. VOCdevkit/VOC2012)`,
      ),
    );
    assert.throws(() => indexVoc(dir, { classNames: ['a', 'a'] }), /classNames lists "a" twice/);
  });
});
