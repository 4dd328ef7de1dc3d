/**
 * YOLO txt datasets (YOLOv5 / Darknet layout): one `class cx cy w h` line per box,
 * normalised to 0..1, in a `.txt` file per image.
 * @packageDocumentation
 */
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { parse as parseYaml } from 'yaml';
import { ConfigError, SampleError } from '../core/errors.ts';
import type { LabelSet, SkipRecord } from '../core/types.ts';
import {
  compareIds,
  emptyLabels,
  errorCode,
  errorMessage,
  extensionGlob,
  isDirectory,
  normalizeExtensions,
  toLabelSet,
  toPosix,
  type DatasetIndex,
  type DatasetItem,
} from './dataset.ts';

/** Options of {@link indexYolo}. */
export interface YoloOptions {
  /** Class names; take precedence over any data yaml. */
  classNames?: string[];
  /** A data yaml with `names:` (list or `{id: name}` map); relative paths resolve against the cwd, then the dataset root. */
  dataYaml?: string;
  /** Image extensions without the dot, matched case-insensitively. Default jpg jpeg png bmp webp tif tiff. */
  imageExtensions?: string[];
}

/** A YOLO item also says where its label file is (it may not exist: a background image). */
export interface YoloItem extends DatasetItem {
  /** Absolute path of the `.txt` label file. */
  labelPath: string;
}

/** A YOLO index whose items carry their label paths. */
export interface YoloIndex extends DatasetIndex {
  format: 'yolo';
  items: YoloItem[];
}

/**
 * Indexes a YOLO dataset synchronously, so that configuration mistakes throw at once;
 * label files are read later, by each item's `labels()`.
 *
 * Layouts: `<dir>/images/**` with labels at the same path under `labels/` (YOLOv5's
 * `img2label_paths`: the last `/images/` component becomes `/labels/`), or a folder of
 * images with each `.txt` beside its image (also used when `<dir>/labels` is absent).
 * Every image under `images/` is indexed, whatever split folder it is in: pass
 * `<dir>/images/<split>` to index one split. A missing or empty label file is a
 * background image. Class names come from `options.classNames`, `options.dataYaml`, or
 * a yaml with `names:` in `dir` (or in the folder above `images/` when `dir` is inside it).
 * @throws {ConfigError} no such folder, no images, no (or invalid) class names.
 */
export function indexYolo(dir: string, options: YoloOptions = {}): YoloIndex {
  const root = path.resolve(dir);
  if (!isDirectory(root)) {
    throw new ConfigError(
      `no folder at "${root}": pass the dataset root that contains images/ and labels/ (or a folder of images with .txt labels beside them)`,
    );
  }
  const exts = normalizeExtensions(options.imageExtensions);
  if (exts.length === 0) throw new ConfigError('imageExtensions is empty: pass at least one extension, e.g. ["jpg", "png"]');

  const nested = isDirectory(path.join(root, 'images'));
  const imageRoot = nested ? path.join(root, 'images') : root;
  const found = fg.sync(`**/${extensionGlob(exts)}`, { cwd: imageRoot, caseSensitiveMatch: false, onlyFiles: true });
  if (found.length === 0) {
    throw new ConfigError(
      `no images found under "${imageRoot}": expected ${exts.map((e) => `*.${e}`).join('|')} files in ${nested ? 'images/' : 'the folder'} ` +
        `(pass imageExtensions if your images use another extension)`,
    );
  }
  const classNames = resolveClassNames(root, options);

  // Without a labels/ folder a .txt beside the image wins (else labels would silently
  // vanish); one listing avoids a stat per image.
  const useRule = nested && isDirectory(path.join(root, 'labels'));
  const besideTxt = useRule ? undefined : new Set(fg.sync('**/*.txt', { cwd: root, onlyFiles: true }));
  const nc = classNames.length;
  const items: YoloItem[] = found.map((rel) => {
    const abs = path.join(imageRoot, rel);
    const beside = replaceExtension(abs, '.txt');
    const labelPath =
      besideTxt?.has(toPosix(path.relative(root, beside))) === true ? beside : (img2labelPath(abs) ?? beside);
    return {
      id: toPosix(path.relative(root, abs)),
      path: abs,
      labelPath,
      labels: () => readYoloLabels(labelPath, nc),
    };
  });
  items.sort(compareIds);
  return { format: 'yolo', root, classNames, items, skipped: [] };
}

/**
 * YOLOv5's `img2label_paths`: the last `/images/` component becomes `/labels/` and the
 * extension `.txt`; `undefined` when the path has no `images` component.
 */
export function img2labelPath(imagePath: string): string | undefined {
  const sa = `${path.sep}images${path.sep}`;
  const i = imagePath.lastIndexOf(sa);
  if (i < 0) return undefined;
  const swapped = `${imagePath.slice(0, i)}${path.sep}labels${path.sep}${imagePath.slice(i + sa.length)}`;
  return replaceExtension(swapped, '.txt');
}

/** Reads one label file; a missing file is a background image. */
async function readYoloLabels(labelPath: string, numClasses: number): Promise<{ labels: LabelSet; skipped: SkipRecord[] }> {
  let text: string;
  try {
    text = await readFile(labelPath, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { labels: emptyLabels(true), skipped: [] };
    throw new SampleError(labelPath, `cannot read label file: ${errorMessage(err)}`);
  }
  return parseYoloLabels(text, labelPath, numClasses);
}

// Plain decimals only: Number() would also take "0x1f", "Infinity" and "" (as 0).
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses and validates the text of one YOLO label file. Each bad line is skipped and
 * reported with its 1-based line number; the good lines are kept.
 *
 * - 5 fields `class cx cy w h`; a line of `class x1 y1 x2 y2 x3 y3 ...` (7+ fields, an
 *   odd count: a YOLOv5 segment polygon) becomes the polygon's bounding box, as YOLOv5's
 *   `segments2boxes` does — but per line, where YOLOv5 switches the whole file to polygons.
 * - class ids must be integers (`3` or `3.0`) in `0..numClasses-1`; w and h must be > 0.
 * - boxes reaching outside 0..1 are clipped to it (silently: tiny overshoots are common
 *   in exported labels); a box with nothing left inside is skipped.
 * - repeated lines (the same numbers) are kept once, as YOLOv5 does, and reported.
 * - blank lines are ignored.
 * @returns boxes as normalised x1,y1,x2,y2 (`normalized: true`), flags all 0.
 */
export function parseYoloLabels(
  text: string,
  labelPath: string,
  numClasses: number,
): { labels: LabelSet; skipped: SkipRecord[] } {
  const boxes: number[] = [];
  const classes: number[] = [];
  const skipped: SkipRecord[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = lines[i]!.trim();
    if (trimmed === '') continue;
    const skip = (reason: string) => skipped.push({ path: labelPath, line, reason });
    const fields = trimmed.split(/\s+/);
    const n = fields.length;
    const isPolygon = n >= 7 && n % 2 === 1;
    if (n !== 5 && !isPolygon) {
      skip(`expected 5 fields "class cx cy w h" (or a polygon "class x1 y1 x2 y2 x3 y3 ..."), got ${n}`);
      continue;
    }
    const bad = fields.findIndex((f) => !NUMBER.test(f));
    if (bad >= 0) {
      skip(`field ${bad + 1} "${fields[bad]}" is not a number`);
      continue;
    }
    const nums = fields.map(Number);
    const cls = nums[0]!;
    if (!Number.isInteger(cls)) {
      skip(`class id "${fields[0]}" is not an integer`);
      continue;
    }
    if (cls < 0 || cls >= numClasses) {
      skip(`class id ${cls} is out of range 0..${numClasses - 1}`);
      continue;
    }
    let x1: number, y1: number, x2: number, y2: number;
    if (isPolygon) {
      [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let k = 1; k < n; k += 2) {
        x1 = Math.min(x1, nums[k]!);
        x2 = Math.max(x2, nums[k]!);
        y1 = Math.min(y1, nums[k + 1]!);
        y2 = Math.max(y2, nums[k + 1]!);
      }
      if (x2 <= x1 || y2 <= y1) {
        skip(`polygon has zero ${x2 <= x1 ? 'width' : 'height'}`);
        continue;
      }
    } else {
      const [cx, cy, w, h] = nums.slice(1) as [number, number, number, number];
      if (w <= 0 || h <= 0) {
        skip(w <= 0 ? `width ${w} is not positive` : `height ${h} is not positive`);
        continue;
      }
      [x1, y1, x2, y2] = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
    }
    const key = nums.join(' ');
    const first = seen.get(key);
    if (first !== undefined) {
      skip(`duplicate of line ${first}`);
      continue;
    }
    seen.set(key, line);
    const [c1, d1, c2, d2] = [clamp01(x1), clamp01(y1), clamp01(x2), clamp01(y2)];
    if (c2 <= c1 || d2 <= d1) {
      skip('box lies outside the image (0..1): nothing left after clipping');
      continue;
    }
    boxes.push(c1, d1, c2, d2);
    classes.push(cls);
  }
  return { labels: toLabelSet(boxes, classes, new Array<number>(classes.length).fill(0), true), skipped };
}

/** Class names from the options, a given data yaml, or a yaml found next to the data. */
function resolveClassNames(root: string, options: YoloOptions): string[] {
  if (options.classNames !== undefined) return checkNames(options.classNames, 'options.classNames');
  if (options.dataYaml !== undefined) {
    const candidates = [path.resolve(options.dataYaml), path.resolve(root, options.dataYaml)];
    const file = candidates.find((f) => fs.existsSync(f));
    if (file === undefined) {
      throw new ConfigError(`no data yaml at "${candidates[0]}": pass options.dataYaml as a path to a yaml with names:`);
    }
    const names = namesFromYaml(file);
    if (names === undefined) {
      throw new ConfigError(`data yaml "${file}" has no names: add names: [a, b, ...] (or {0: a, 1: b}) or pass options.classNames`);
    }
    return names;
  }
  for (const folder of yamlFolders(root)) {
    const yamls = fg.sync('*.{yaml,yml}', { cwd: folder, onlyFiles: true, caseSensitiveMatch: false }).sort();
    for (const y of yamls) {
      const names = namesFromYaml(path.join(folder, y));
      if (names !== undefined) return names;
    }
  }
  throw new ConfigError(
    `no class names found for the YOLO dataset at "${root}": pass options.classNames, or options.dataYaml ` +
      `(a yaml with names:), or put a data yaml with names: in the dataset root`,
  );
}

/** The dataset root, and the folder above `images/` when the root lies inside one. */
function yamlFolders(root: string): string[] {
  const parts = root.split(path.sep);
  const i = parts.lastIndexOf('images');
  return i > 0 ? [root, parts.slice(0, i).join(path.sep) || path.sep] : [root];
}

/**
 * `names:` of a data yaml as a list; `undefined` when the yaml has none (so the search
 * moves on to the next yaml).
 * @throws {ConfigError} unreadable or invalid yaml, or invalid names.
 */
function namesFromYaml(file: string): string[] | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read data yaml "${file}": ${errorMessage(err)}: fix the file or pass options.classNames`);
  }
  if (typeof doc !== 'object' || doc === null || !('names' in doc)) return undefined;
  const { names, nc } = doc as { names: unknown; nc?: unknown };
  const where = `names: in "${file}"`;
  let list: unknown[];
  if (Array.isArray(names)) {
    list = names;
  } else if (typeof names === 'object' && names !== null) {
    // The `{id: name}` form (ultralytics): ids must be exactly 0..n-1 or indices would shift.
    const entries = Object.entries(names);
    list = new Array<unknown>(entries.length);
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || list[id] !== undefined) {
        throw new ConfigError(`${where} has id ${k}, but the ids must be 0..${entries.length - 1} with no gaps: renumber them`);
      }
      list[id] = v;
    }
  } else {
    throw new ConfigError(`${where} must be a list or an {id: name} map: fix the yaml or pass options.classNames`);
  }
  const checked = checkNames(list, where);
  if (nc !== undefined && nc !== checked.length) {
    throw new ConfigError(`${where} lists ${checked.length} classes but nc is ${String(nc)}: make them agree`);
  }
  return checked;
}

function checkNames(names: unknown, where: string): string[] {
  if (!Array.isArray(names) || names.length === 0) {
    throw new ConfigError(`${where} must be a non-empty list of class names`);
  }
  // yaml reads `- 1` or `- true` as non-strings; a name is just a label, so stringify them.
  return names.map((n, i) => {
    if (n === null || n === undefined || (typeof n === 'object')) {
      throw new ConfigError(`${where}: class ${i} has no usable name (${JSON.stringify(n)}): give every class a name`);
    }
    return String(n);
  });
}

function replaceExtension(p: string, ext: string): string {
  const e = path.extname(p);
  return (e ? p.slice(0, -e.length) : p) + ext;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
