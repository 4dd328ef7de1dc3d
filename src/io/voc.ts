/**
 * PASCAL VOC datasets: `Annotations/<id>.xml` per image, images in `JPEGImages/`.
 * @packageDocumentation
 */
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ConfigError, SampleError } from '../core/errors.ts';
import { BoxFlag, type LabelSet, type SkipRecord } from '../core/types.ts';
import {
  compareIds,
  errorMessage,
  extensionGlob,
  isDirectory,
  normalizeExtensions,
  toLabelSet,
  toPosix,
  type DatasetIndex,
  type DatasetItem,
} from './dataset.ts';

/** The 20 PASCAL VOC classes in the standard (alphabetical) order. */
export const VOC_CLASSES: readonly string[] = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** Options of {@link indexVoc}. */
export interface VocOptions {
  /** Class names, in class-index order. Default {@link VOC_CLASSES}. */
  classNames?: string[];
  /** Restrict to the ids in `ImageSets/Main/<imageSet>.txt` (e.g. `trainval`). Default: every xml. */
  imageSet?: string;
  /** Extensions looked for in `JPEGImages/`, case-insensitive. Default jpg jpeg png bmp webp tif tiff. */
  imageExtensions?: string[];
}

/** A VOC item also says where its xml is. */
export interface VocItem extends DatasetItem {
  /** Absolute path of `Annotations/<id>.xml`. */
  annotationPath: string;
}

/** A VOC index whose items carry their xml paths. */
export interface VocIndex extends DatasetIndex {
  format: 'voc';
  items: VocItem[];
}

/**
 * Indexes a VOC dataset synchronously (a listing of `Annotations/*.xml` and of
 * `JPEGImages/`); each xml is parsed only when its item's `labels()` is called.
 *
 * An image is paired with its xml by file stem (`JPEGImages/<id>.jpg`), as
 * torchvision's `VOCDetection` and Detectron2 do, so indexing needs no xml parse; the
 * xml's `<filename>` is not consulted. An xml without an image (or an `imageSet` id
 * without an xml) is reported in the index's `skipped`.
 * @throws {ConfigError} no such folder, no Annotations/ or JPEGImages/, no xml, unknown
 * image set, invalid class names.
 */
export function indexVoc(dir: string, options: VocOptions = {}): VocIndex {
  const root = path.resolve(dir);
  const hint = 'pass the VOC root that contains Annotations/ and JPEGImages/ (e.g. VOCdevkit/VOC2012)';
  if (!isDirectory(root)) throw new ConfigError(`no folder at "${root}": ${hint}`);
  const annDir = path.join(root, 'Annotations');
  const imgDir = path.join(root, 'JPEGImages');
  if (!isDirectory(annDir)) throw new ConfigError(`no Annotations/ folder in "${root}": ${hint}`);
  if (!isDirectory(imgDir)) throw new ConfigError(`no JPEGImages/ folder in "${root}": ${hint}`);

  const classNames = checkClassNames(options.classNames ?? [...VOC_CLASSES]);
  const classIndex = new Map(classNames.map((n, i) => [n, i] as const));
  const exts = normalizeExtensions(options.imageExtensions);
  if (exts.length === 0) throw new ConfigError('imageExtensions is empty: pass at least one extension, e.g. ["jpg"]');

  const xmls = new Set(fg.sync('*.xml', { cwd: annDir, onlyFiles: true }).map((f) => f.slice(0, -4)));
  if (xmls.size === 0) throw new ConfigError(`no annotations found under "${annDir}": expected <id>.xml files in Annotations/`);
  // Sorted so that when two images share a stem (a.jpg, a.png) the choice is stable.
  const imageByStem = new Map<string, string>();
  for (const f of fg.sync(extensionGlob(exts), { cwd: imgDir, onlyFiles: true, caseSensitiveMatch: false }).sort()) {
    const stem = f.slice(0, f.length - path.extname(f).length);
    if (!imageByStem.has(stem)) imageByStem.set(stem, f);
  }

  const skipped: SkipRecord[] = [];
  const ids = options.imageSet === undefined ? [...xmls] : readImageSet(root, options.imageSet);
  const items: VocItem[] = [];
  for (const id of ids) {
    const annotationPath = path.join(annDir, `${id}.xml`);
    if (!xmls.has(id)) {
      skipped.push({ path: annotationPath, reason: `annotation file is missing (id listed in image set "${options.imageSet}")` });
      continue;
    }
    const image = imageByStem.get(id);
    if (image === undefined) {
      skipped.push({ path: path.join(imgDir, `${id}.jpg`), reason: `image file is missing for Annotations/${id}.xml` });
      continue;
    }
    const abs = path.join(imgDir, image);
    items.push({
      id: toPosix(path.relative(root, abs)),
      path: abs,
      annotationPath,
      labels: () => readVocLabels(annotationPath, classIndex),
    });
  }
  items.sort(compareIds);
  return { format: 'voc', root, classNames, items, skipped };
}

async function readVocLabels(
  xmlPath: string,
  classIndex: ReadonlyMap<string, number>,
): Promise<{ labels: LabelSet; skipped: SkipRecord[] }> {
  let text: string;
  try {
    text = await readFile(xmlPath, 'utf8');
  } catch (err) {
    throw new SampleError(xmlPath, `cannot read annotation file: ${errorMessage(err)}`);
  }
  return parseVocXml(text, xmlPath, classIndex);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  // Keep text as strings: "0001" or "1e3" must not be guessed at; numbers are parsed below.
  parseTagValue: false,
  isArray: (_name, jpath) => jpath === 'annotation.object',
});

/**
 * Parses one VOC xml into pixel boxes. Objects with an unknown class or an unusable
 * `bndbox` are skipped and reported (with their 1-based position among the objects).
 *
 * VOC coordinates are 1-based inclusive pixel indices: pixel k covers [k−1, k] in our
 * continuous 0-based space, so `x1 = xmin − 1, y1 = ymin − 1, x2 = xmax, y2 = ymax`
 * and a box `1..W` spans the whole image `[0, W]`. This is Detectron2's
 * `load_voc_instances` rule (mmdetection 3 instead subtracts 1 from all four, which
 * keeps the width xmax − xmin but shifts the box by a pixel).
 *
 * `difficult=1` sets `BoxFlag.Ignore`, `truncated=1` sets `BoxFlag.Truncated`.
 * @throws {SampleError} the text is not well-formed xml or has no `<annotation>`.
 */
export function parseVocXml(
  text: string,
  xmlPath: string,
  classIndex: ReadonlyMap<string, number>,
): { labels: LabelSet; skipped: SkipRecord[] } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new SampleError(xmlPath, `invalid XML at line ${valid.err.line}: ${valid.err.msg}`);
  const doc = parser.parse(text) as { annotation?: { object?: unknown[] } | string };
  const ann = doc.annotation;
  if (ann === undefined) throw new SampleError(xmlPath, 'no <annotation> root element: not a VOC annotation');
  const objects = typeof ann === 'object' ? (ann.object ?? []) : [];

  const boxes: number[] = [];
  const classes: number[] = [];
  const flags: number[] = [];
  const skipped: SkipRecord[] = [];
  objects.forEach((raw, k) => {
    const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const name = typeof o['name'] === 'string' ? o['name'].trim() : '';
    const skip = (why: string) => skipped.push({ path: xmlPath, reason: `object ${k + 1} (${name || 'no name'}): ${why}` });
    const cls = classIndex.get(name);
    if (cls === undefined) {
      skip(`unknown class "${name}"; pass classNames that include it`);
      return;
    }
    const bb = (typeof o['bndbox'] === 'object' && o['bndbox'] !== null ? o['bndbox'] : {}) as Record<string, unknown>;
    const coords = (['xmin', 'ymin', 'xmax', 'ymax'] as const).map((key) => toNumber(bb[key]));
    const missing = coords.findIndex((v) => v === undefined);
    if (missing >= 0) {
      skip(`bndbox ${['xmin', 'ymin', 'xmax', 'ymax'][missing]} is missing or not a number`);
      return;
    }
    const [xmin, ymin, xmax, ymax] = coords as [number, number, number, number];
    const [x1, y1, x2, y2] = [xmin - 1, ymin - 1, xmax, ymax];
    if (x2 <= x1 || y2 <= y1) {
      skip(`empty box: xmin ${xmin} xmax ${xmax} ymin ${ymin} ymax ${ymax}`);
      return;
    }
    boxes.push(x1, y1, x2, y2);
    classes.push(cls);
    flags.push((isOne(o['difficult']) ? BoxFlag.Ignore : 0) | (isOne(o['truncated']) ? BoxFlag.Truncated : 0));
  });
  return { labels: toLabelSet(boxes, classes, flags, false), skipped };
}

/** Ids listed in `ImageSets/Main/<name>.txt` (first token per line; class files add ±1). */
function readImageSet(root: string, name: string): string[] {
  const mainDir = path.join(root, 'ImageSets', 'Main');
  const file = path.join(mainDir, `${name}.txt`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    const available = isDirectory(mainDir) ? fg.sync('*.txt', { cwd: mainDir }).sort().map((f) => f.slice(0, -4)) : [];
    throw new ConfigError(
      `no image set "${name}" at "${file}": pass imageSet as one of [${available.join(', ')}] or leave it out to use every xml`,
    );
  }
  const ids = [...new Set(text.split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean))];
  if (ids.length === 0) throw new ConfigError(`image set "${file}" lists no ids: fill it or leave imageSet out`);
  return ids;
}

function checkClassNames(names: unknown): string[] {
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n.trim() !== '')) {
    throw new ConfigError('classNames must be a non-empty list of non-empty strings, e.g. ["person", "car"]');
  }
  const trimmed = names.map((n: string) => n.trim());
  const dup = trimmed.find((n, i) => trimmed.indexOf(n) !== i);
  if (dup !== undefined) throw new ConfigError(`classNames lists "${dup}" twice: each class name must be unique`);
  return trimmed;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** VOC writes `1`/`0`; some tools write `1.0` or `true`. */
function isOne(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const s = v.trim().toLowerCase();
  return s === 'true' || Number(s) === 1;
}
