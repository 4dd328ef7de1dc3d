/**
 * Pipeline files: a module whose default export takes the run's options and returns
 * a pipeline. TypeScript files are loaded through tsx, so users write them as-is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.ts';
import type { Pipeline } from '../stream/pipeline.ts';
import type { TargetOptions } from '../batch/targets.ts';
import type { AdversarialSink } from '../stream/adversarial-sink.ts';

/** What the CLI passes to a pipeline file's default export. */
export interface PipelineFileOptions {
  /** Dataset folder or annotation file. */
  data: string;
  seed?: number;
  epochs?: number;
  /** Worker threads (default: cores). */
  workers?: number;
  /** Network input size. */
  size?: number;
  batchSize?: number;
  /** Use only the first `limit` samples of each epoch. */
  limit?: number;
  /**
   * The anchors, masks, strides and classes of the model the batches will train (`freebies
   * train` passes `modelTargetOptions(model)`): a pipeline that encodes targets hands them
   * to `encodeTargets()`, so they fit the model without being encoded again.
   */
  targets?: TargetOptions;
  /**
   * Hyperparameters of the run by name (`freebies evolve` passes a candidate's genes, e.g.
   * `hsvH`, `mixup`): a pipeline reads the ones it knows, with its own defaults.
   */
  hyperparameters?: Readonly<Record<string, number>>;
  /**
   * Self-Adversarial Training's sink when `freebies train --sat` re-injects: a training
   * pipeline puts `reinject(adversarial)` after its batching operator (a no-op when undefined).
   */
  adversarial?: AdversarialSink;
}

/** A pipeline file's default export. */
export type PipelineFactory = (options: PipelineFileOptions) => Pipeline<unknown>;

/**
 * Import a module given by path (resolved against the working directory) or file: URL;
 * TypeScript files load through tsx, also from the built package, so users write them as-is.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const href = file.startsWith('file:') ? file : pathToFileURL(path.resolve(file)).href;
  if (/\.[cm]?ts$/.test(href)) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  return (await import(href)) as Record<string, unknown>;
}

/** Import a pipeline file and return its factory; fails with a message that says what to fix. */
export async function loadPipelineFile(file: string): Promise<PipelineFactory> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new ConfigError(`no pipeline file at "${abs}": pass a file such as pipelines/basic.ts`);
  const mod = await importModule(abs);
  if (typeof mod.default !== 'function') {
    throw new ConfigError(
      `${file}: the default export must be a function (options) => pipeline, e.g. ` +
        '`export default ({ data }) => fromFolder(data).pipe(decode(), ...)`',
    );
  }
  return mod.default as PipelineFactory;
}
