/**
 * COCO detection datasets: one `instances_*.json` with images, annotations and categories.
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { ConfigError } from '../core/errors.ts';
import { BoxFlag, type LabelSet, type SkipRecord } from '../core/types.ts';
import { compareIds, errorMessage, isDirectory, toPosix, type DatasetIndex, type DatasetItem } from './dataset.ts';

/** Options of {@link indexCoco}. */
export interface CocoOptions {
  /** The folder that `file_name`s are relative to. Default `<root>/images/<split>`, then `<root>/<split>`. */
  imageDir?: string;
}

/** A COCO item also carries the json's image id and size. */
export interface CocoItem extends DatasetItem {
  /** The `id` of the image entry in the json. */
  imageId: number | string;
  /** `width`/`height` from the json, when present. */
  width?: number;
  height?: number;
}

/** A COCO index whose items carry their json image ids. */
export interface CocoIndex extends DatasetIndex {
  format: 'coco';
  items: CocoItem[];
  /** The COCO category id of each class index (`categoryIds[classIndex]`). */
  categoryIds: number[];
}

type ImageKey = number | string;

/** What one image collects while the annotations are grouped. */
interface Group {
  item: Omit<CocoItem, 'labels'>;
  fileName: string;
  boxes: number[];
  classes: number[];
  flags: number[];
  skipped: SkipRecord[];
}

/**
 * Indexes a COCO instances json synchronously. Annotations are grouped by image once,
 * here, so `labels()` only copies prepared arrays.
 *
 * - Category ids (COCO's non-contiguous 1..90) map to contiguous class indices in
 *   ascending id order; `classNames` keep the COCO names.
 * - `bbox` `[x,y,w,h]` becomes pixel `x1,y1,x2,y2`; boxes with w or h ≤ 0, non-finite
 *   numbers, an unknown category or lying wholly outside the image are skipped and
 *   reported by that image's `labels()`.
 * - `iscrowd: 1` (and the `ignore: 1` some converters write) boxes are kept with
 *   `BoxFlag.Ignore`. Annotation ids (which exceed 2^31 for crowd boxes) are never
 *   stored in typed arrays, only quoted in messages.
 * - Images without annotations are background images. Images whose file is missing,
 *   duplicate image entries and annotations of unknown images are reported in the
 *   index's `skipped`.
 *
 * The dataset root is the folder above `annotations/` (or the json's folder); item ids
 * are image paths relative to it, e.g. `images/train2017/000000397133.jpg`.
 * @throws {ConfigError} unreadable or invalid json, no categories, no image folder.
 */
export function indexCoco(annotationFile: string, options: CocoOptions = {}): CocoIndex {
  const file = path.resolve(annotationFile);
  const json = readJson(file);
  const { images, annotations, categories } = checkShape(json, file);

  const jsonDir = path.dirname(file);
  let root = path.basename(jsonDir) === 'annotations' ? path.dirname(jsonDir) : jsonDir;
  const imageDir = resolveImageDir(file, root, options.imageDir);
  // Ids must stay relative paths without "..", so an image folder elsewhere becomes the root.
  if (path.relative(root, imageDir).startsWith('..') || path.isAbsolute(path.relative(root, imageDir))) root = imageDir;

  const { classNames, categoryIds, classOf } = mapCategories(categories, file);
  // One listing instead of a stat per image: the official train json lists 118k files.
  const present = new Set(fg.sync('**/*', { cwd: imageDir, onlyFiles: true, dot: true }));

  const skipped: SkipRecord[] = [];
  const groups = new Map<ImageKey, Group | null>(); // null: listed, but not usable (already reported)
  const byItemId = new Set<string>();
  for (let i = 0; i < images.length; i++) {
    const img = images[i] as Record<string, unknown> | null;
    const id = img?.['id'];
    const fileName = img?.['file_name'];
    if (typeof id !== 'number' && typeof id !== 'string') {
      skipped.push({ path: file, reason: `images[${i}] has no numeric or string id` });
      continue;
    }
    if (groups.has(id)) {
      skipped.push({ path: file, reason: `images[${i}] repeats image id ${id}; the first entry is used` });
      continue;
    }
    if (typeof fileName !== 'string' || fileName === '') {
      skipped.push({ path: file, reason: `image id ${id} has no file_name` });
      groups.set(id, null);
      continue;
    }
    const rel = path.posix.normalize(fileName.replace(/\\/g, '/'));
    const abs = path.join(imageDir, rel);
    if (!present.has(rel)) {
      skipped.push({ path: abs, reason: `image file is missing (image id ${id} in "${file}")` });
      groups.set(id, null);
      continue;
    }
    const itemId = toPosix(path.relative(root, abs));
    if (byItemId.has(itemId)) {
      skipped.push({ path: abs, reason: `image id ${id} repeats file_name "${fileName}" of another image; the first is used` });
      groups.set(id, null);
      continue;
    }
    byItemId.add(itemId);
    const width = positive(img?.['width']);
    const height = positive(img?.['height']);
    const item: Omit<CocoItem, 'labels'> = { id: itemId, path: abs, imageId: id };
    if (width !== undefined) item.width = width;
    if (height !== undefined) item.height = height;
    groups.set(id, { item, fileName, boxes: [], classes: [], flags: [], skipped: [] });
  }

  for (let i = 0; i < annotations.length; i++) {
    const ann = annotations[i] as Record<string, unknown> | null;
    const annId = ann?.['id'] ?? `#${i}`;
    const imageId = ann?.['image_id'];
    const group = typeof imageId === 'number' || typeof imageId === 'string' ? groups.get(imageId) : undefined;
    if (group === null) continue;
    if (group === undefined) {
      skipped.push({ path: file, reason: `annotation ${String(annId)} refers to image id ${String(imageId)}, which is not in images` });
      continue;
    }
    const skip = (why: string) =>
      group.skipped.push({ path: file, reason: `annotation ${String(annId)} of ${group.fileName}: ${why}` });
    const cls = classOf.get(ann?.['category_id'] as number);
    if (cls === undefined) {
      skip(`unknown category_id ${String(ann?.['category_id'])}`);
      continue;
    }
    const bbox = ann?.['bbox'];
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      skip(`bbox ${JSON.stringify(bbox)} is not 4 finite numbers [x,y,w,h]`);
      continue;
    }
    const [x, y, w, h] = bbox as [number, number, number, number];
    if (w <= 0 || h <= 0) {
      skip(`bbox ${w <= 0 ? `width ${w}` : `height ${h}`} is not positive`);
      continue;
    }
    const { width: W, height: H } = group.item;
    if ((W !== undefined && (x >= W || x + w <= 0)) || (H !== undefined && (y >= H || y + h <= 0))) {
      skip(`bbox [${bbox.join(',')}] lies outside the ${W ?? '?'}x${H ?? '?'} image`);
      continue;
    }
    group.boxes.push(x, y, x + w, y + h);
    group.classes.push(cls);
    group.flags.push(ann?.['iscrowd'] === 1 || ann?.['iscrowd'] === true || ann?.['ignore'] === 1 ? BoxFlag.Ignore : 0);
  }

  const items: CocoItem[] = [];
  for (const group of groups.values()) {
    if (group === null) continue;
    const prepared: LabelSet = {
      boxes: Float32Array.from(group.boxes),
      classes: Int32Array.from(group.classes),
      flags: Uint8Array.from(group.flags),
      normalized: false,
    };
    const lineSkips = group.skipped;
    // Fresh copies every call: consumers may transfer (detach) the buffers they get.
    const labels = () =>
      Promise.resolve({
        labels: {
          boxes: prepared.boxes.slice(),
          classes: prepared.classes.slice(),
          flags: prepared.flags.slice(),
          normalized: false,
        },
        skipped: lineSkips.map((s) => ({ ...s })),
      });
    items.push({ ...group.item, labels });
  }
  items.sort(compareIds);
  return { format: 'coco', root, classNames, categoryIds, items, skipped };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read annotation file "${file}": ${errorMessage(err)}: pass the path of a COCO instances json, e.g. annotations/instances_val2017.json`,
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError(`cannot parse "${file}" as JSON (${errorMessage(err)}): pass a valid COCO instances json`);
  }
}

function checkShape(json: unknown, file: string): { images: unknown[]; annotations: unknown[]; categories: unknown[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`"${file}" is not a COCO instances json (expected an object with images, annotations, categories)`);
  }
  const j = json as Record<string, unknown>;
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(j[key])) {
      throw new ConfigError(
        `"${file}" has no "${key}" array: pass a COCO instances json (image_info_* files carry no annotations)`,
      );
    }
  }
  return { images: j['images'] as unknown[], annotations: j['annotations'] as unknown[], categories: j['categories'] as unknown[] };
}

/** Contiguous 0-based class indices in ascending category-id order. */
function mapCategories(
  categories: unknown[],
  file: string,
): { classNames: string[]; categoryIds: number[]; classOf: Map<number, number> } {
  const cats = categories.map((c, i) => {
    const { id, name } = (c ?? {}) as { id?: unknown; name?: unknown };
    if (typeof id !== 'number' || !Number.isFinite(id) || typeof name !== 'string') {
      throw new ConfigError(`"${file}": categories[${i}] needs a numeric id and a string name: fix the json`);
    }
    return { id, name };
  });
  if (cats.length === 0) throw new ConfigError(`"${file}" has an empty categories list: a detection json must define its classes`);
  cats.sort((a, b) => a.id - b.id);
  const classOf = new Map<number, number>();
  cats.forEach((c, i) => {
    if (classOf.has(c.id)) throw new ConfigError(`"${file}" defines category id ${c.id} twice: make category ids unique`);
    classOf.set(c.id, i);
  });
  return { classNames: cats.map((c) => c.name), categoryIds: cats.map((c) => c.id), classOf };
}

/** `options.imageDir`, or the usual place for the json's split. */
function resolveImageDir(file: string, root: string, given: string | undefined): string {
  if (given !== undefined) {
    const dir = path.resolve(given);
    if (!isDirectory(dir)) throw new ConfigError(`no folder at "${dir}" (options.imageDir): pass the folder that holds the images`);
    return dir;
  }
  const split = /^instances_(.+)\.json$/i.exec(path.basename(file))?.[1];
  const tried = split === undefined ? [path.join(root, 'images')] : [path.join(root, 'images', split), path.join(root, split)];
  const dir = tried.find(isDirectory);
  if (dir === undefined) {
    throw new ConfigError(
      `no image folder found for "${file}" (tried ${tried.map((t) => `"${t}"`).join(', ')}): pass options.imageDir`,
    );
  }
  return dir;
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
