/**
 * Dataset readers: YOLO txt, COCO json and PASCAL VOC xml, and a detector that picks
 * the right one from a path.
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { ConfigError } from '../core/errors.ts';
import { indexCoco, type CocoOptions } from './coco.ts';
import { isDirectory, type DatasetIndex } from './dataset.ts';
import { indexVoc, type VocOptions } from './voc.ts';
import { indexYolo, type YoloOptions } from './yolo.ts';

export { DEFAULT_IMAGE_EXTENSIONS, type DatasetIndex, type DatasetItem } from './dataset.ts';
export * from './yolo.ts';
export * from './coco.ts';
export * from './voc.ts';

/** Options of {@link indexDataset}: those of every reader, plus a way to pin the format or the json. */
export interface IndexOptions extends YoloOptions, CocoOptions, VocOptions {
  /** Skip detection and use this reader. */
  format?: 'yolo' | 'coco' | 'voc';
  /**
   * For a COCO root folder: which json under `annotations/` to use — a split
   * (`val2017` → `instances_val2017.json`), a file name, or a path. Default: the first
   * `instances_*.json` in sorted order.
   */
  annotationFile?: string;
}

/**
 * Indexes a dataset, detecting its format: a `.json` file is COCO; a folder with
 * `Annotations/` is VOC; a folder with `annotations/instances_*.json` is COCO;
 * anything else is YOLO.
 * @throws {ConfigError} the path does not exist, or the chosen reader's configuration errors.
 */
export function indexDataset(pathOrFile: string, options: IndexOptions = {}): DatasetIndex {
  const target = path.resolve(pathOrFile);
  if (!fs.existsSync(target)) {
    throw new ConfigError(
      `nothing at "${target}": pass a dataset folder (YOLO images/+labels/, VOC Annotations/+JPEGImages/, COCO annotations/+images/) or a COCO json`,
    );
  }
  const { format, annotationFile, classNames, dataYaml, imageExtensions, imageDir, imageSet } = options;
  const isDir = isDirectory(target);
  if (!isDir) {
    if (format === 'coco' || (format === undefined && path.extname(target).toLowerCase() === '.json')) {
      return indexCoco(target, { imageDir });
    }
    if (format === undefined) {
      throw new ConfigError(`"${target}" is a file but not a .json: pass a dataset folder or a COCO instances json`);
    }
    throw new ConfigError(`"${target}" is a file, but the ${format} reader needs a folder: pass the dataset folder`);
  }
  const chosen = format ?? detectFormat(target, annotationFile);
  if (chosen === 'voc') return indexVoc(target, { classNames, imageSet, imageExtensions });
  if (chosen === 'coco') return indexCoco(findCocoJson(target, annotationFile), { imageDir });
  return indexYolo(target, { classNames, dataYaml, imageExtensions });
}

function detectFormat(dir: string, annotationFile: string | undefined): 'yolo' | 'coco' | 'voc' {
  if (isDirectory(path.join(dir, 'Annotations'))) return 'voc';
  if (annotationFile !== undefined || cocoJsons(dir).length > 0) return 'coco';
  return 'yolo';
}

function cocoJsons(dir: string): string[] {
  const annDir = path.join(dir, 'annotations');
  if (!isDirectory(annDir)) return [];
  return fg.sync('instances_*.json', { cwd: annDir, onlyFiles: true }).sort();
}

/** The json a COCO root folder stands for. */
function findCocoJson(dir: string, annotationFile: string | undefined): string {
  const annDir = path.join(dir, 'annotations');
  if (annotationFile !== undefined) {
    const candidates = [
      path.resolve(dir, annotationFile),
      path.join(annDir, annotationFile),
      path.join(annDir, `instances_${annotationFile}.json`),
    ];
    const found = candidates.find((c) => fs.existsSync(c) && !isDirectory(c));
    if (found === undefined) {
      const have = cocoJsons(dir);
      throw new ConfigError(
        `no annotation json "${annotationFile}" for "${dir}": pass annotationFile as one of [${have.join(', ')}], a split name, or a path`,
      );
    }
    return found;
  }
  const [first] = cocoJsons(dir);
  if (first === undefined) {
    throw new ConfigError(`no annotations/instances_*.json in "${dir}": pass the json file itself, or set format`);
  }
  return path.join(annDir, first);
}
