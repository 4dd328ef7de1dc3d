/**
 * The shape every dataset reader returns: a sorted, synchronous index of images whose
 * labels are read lazily. Indexing fails fast on configuration mistakes; problems with
 * single files or lines are collected as {@link SkipRecord}s instead.
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LabelSet, SkipRecord } from '../core/types.ts';

/** One image of a dataset; its labels are read only when asked for. */
export interface DatasetItem {
  /** Image path relative to the dataset root, with posix separators. Unique and stable. */
  id: string;
  /** Absolute image path. */
  path: string;
  /**
   * Reads and validates this image's labels. Bad boxes or lines come back in `skipped`
   * and the rest is kept; a label file that cannot be read or parsed at all rejects
   * with a `SampleError`, so the caller skips the whole sample.
   * The returned arrays are fresh: the caller owns (and may transfer) them.
   */
  labels(): Promise<{ labels: LabelSet; skipped: SkipRecord[] }>;
}

/** The result of indexing a dataset. */
export interface DatasetIndex {
  format: 'yolo' | 'coco' | 'voc';
  /** Absolute dataset root; every item id is relative to it. */
  root: string;
  /** Class names; a box's class is an index into this list. */
  classNames: string[];
  /** The images, sorted by id so indexing is deterministic. */
  items: DatasetItem[];
  /** Problems found while indexing, e.g. an annotation that points at a missing image. */
  skipped: SkipRecord[];
}

/** Image extensions recognised by default (matched case-insensitively). */
export const DEFAULT_IMAGE_EXTENSIONS: readonly string[] = ['jpg', 'jpeg', 'png', 'bmp', 'webp', 'tif', 'tiff'];

/** An empty label set: a background image. */
export function emptyLabels(normalized: boolean): LabelSet {
  return { boxes: new Float32Array(0), classes: new Int32Array(0), flags: new Uint8Array(0), normalized };
}

/** Builds a {@link LabelSet} from plain arrays (`boxes` flat, 4 numbers per box). */
export function toLabelSet(boxes: number[], classes: number[], flags: number[], normalized: boolean): LabelSet {
  return {
    boxes: Float32Array.from(boxes),
    classes: Int32Array.from(classes),
    flags: Uint8Array.from(flags),
    normalized,
  };
}

/** `rel` with posix separators, so ids are the same on every OS. */
export function toPosix(rel: string): string {
  return rel.split(path.sep).join('/');
}

/**
 * Plain code-unit order: `localeCompare` depends on the ICU locale, which would make
 * the item order (and so every seeded shuffle) machine-dependent.
 */
export function compareIds(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Normalises user-given extensions (`.JPG` → `jpg`) for a case-insensitive glob. */
export function normalizeExtensions(exts: readonly string[] | undefined): string[] {
  const list = (exts ?? DEFAULT_IMAGE_EXTENSIONS).map((e) => e.replace(/^\./, '').toLowerCase()).filter(Boolean);
  return [...new Set(list)];
}

/** A fast-glob pattern matching files with any of `exts` (a brace set needs 2+ entries). */
export function extensionGlob(exts: readonly string[]): string {
  return exts.length === 1 ? `*.${exts[0]}` : `*.{${exts.join(',')}}`;
}

/** Node's `err.code`, if any. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A short message for an unknown thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `p` is an existing directory (false on any stat error). */
export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
