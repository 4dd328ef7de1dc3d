/**
 * Sources: a dataset index becomes a stream of {@link SampleRef}s — shuffled per
 * epoch with a seed, optionally sharded, and emitted only as demand credits allow.
 */
import { Observable } from 'rxjs';
import { z } from 'zod';
import { Rng, RngDomain } from '../core/rng.ts';
import type { SampleRef } from '../core/types.ts';
import type { DatasetIndex } from '../io/dataset.ts';
import { indexYolo } from '../io/yolo.ts';
import { indexCoco } from '../io/coco.ts';
import { indexVoc } from '../io/voc.ts';
import { indexDataset, type IndexOptions } from '../io/index.ts';
import { PipelineContext } from './context.ts';
import { Pipeline } from './pipeline.ts';
import { validate } from './options.ts';

const sourceSchema = z
  .object({
    seed: z.number().int('seed must be an integer').default(0),
    epochs: z
      .union([z.literal(Infinity), z.number().int().min(1)], { error: 'epochs must be a whole number ≥ 1 or Infinity' })
      .default(1),
    shuffle: z.boolean().default(true),
    shard: z
      .object({ index: z.number().int().min(0), count: z.number().int().min(1) })
      .refine((s) => s.index < s.count, 'shard.index must be below shard.count (shards are numbered 0..count-1)')
      .optional(),
    workers: z.number().int().min(0, 'workers must be ≥ 0 (0 runs pixel work inline)').optional(),
    limit: z.number().int().min(1, 'limit must be ≥ 1').optional(),
  })
  .strict();

/** Options of every source. */
export interface SourceOptions {
  /** Seed of the shuffle and of every random draw downstream. Default 0. */
  seed?: number;
  /** Passes over the data; `Infinity` for an endless training stream. Default 1. */
  epochs?: number;
  /** Shuffle each epoch (seeded by `seed` and the epoch). Default true. */
  shuffle?: boolean;
  /** Read only shard `index` of `count` disjoint, deterministic shards. */
  shard?: { index: number; count: number };
  /** Worker threads for pixel work; 0 runs it inline. Default: the number of cores. */
  workers?: number;
  /** Use only the first `limit` samples of each epoch's order (quick runs). */
  limit?: number;
}

/**
 * One epoch's samples as `[position, item index]` pairs: a seeded shuffle of the whole
 * set, then this shard's share (every `count`-th position), then at most `limit`.
 * Positions index the full epoch order, so RNG keys do not depend on sharding.
 */
export function epochOrder(
  count: number,
  epoch: number,
  o: Pick<SourceOptions, 'seed' | 'shuffle' | 'shard' | 'limit'>,
): Array<[number, number]> {
  const order = Array.from({ length: count }, (_, i) => i);
  if (o.shuffle ?? true) new Rng(RngDomain.Shuffle, o.seed ?? 0, epoch).shuffle(order);
  const out: Array<[number, number]> = [];
  for (let pos = 0; pos < count; pos++) {
    if (o.shard && pos % o.shard.count !== o.shard.index) continue;
    out.push([pos, order[pos]!]);
    if (o.limit !== undefined && out.length >= o.limit) break;
  }
  return out;
}

/** A pipeline of sample references over an indexed dataset. */
export function fromDataset(index: DatasetIndex, options: SourceOptions = {}): Pipeline<SampleRef> {
  const o = validate(sourceSchema, options, 'source options');
  const ctx = new PipelineContext({ seed: o.seed, workers: o.workers });
  ctx.dataset = index;
  const meter = ctx.stage('source');
  const source = new Observable<SampleRef>((subscriber) => {
    let stopped = false;
    for (const s of index.skipped) ctx.skip(s);
    void (async () => {
      for (let epoch = 0; epoch < o.epochs && !stopped; epoch++) {
        for (const [pos, itemIndex] of epochOrder(index.items.length, epoch, o)) {
          const wait = ctx.credits?.take();
          if (wait) await wait;
          if (stopped) break;
          const item = index.items[itemIndex]!;
          meter.count();
          subscriber.next({ id: item.id, path: item.path, index: pos, epoch, labels: () => item.labels() });
        }
      }
      if (!stopped) subscriber.complete();
    })().catch((err) => subscriber.error(err));
    return () => {
      stopped = true;
    };
  });
  return Pipeline.from(source, ctx);
}

/** A YOLO-layout dataset (images/ and labels/ side by side, a data yaml naming the classes). */
export function fromYolo(dir: string, options: SourceOptions & { classNames?: string[]; dataYaml?: string } = {}): Pipeline<SampleRef> {
  const { classNames, dataYaml, ...rest } = options;
  return fromDataset(indexYolo(dir, { classNames, dataYaml }), rest);
}

/** A COCO instances JSON; images default to `<root>/images/<split>`. */
export function fromCoco(annotationFile: string, options: SourceOptions & { imageDir?: string } = {}): Pipeline<SampleRef> {
  const { imageDir, ...rest } = options;
  return fromDataset(indexCoco(annotationFile, { imageDir }), rest);
}

/** A Pascal VOC folder (Annotations/*.xml and JPEGImages/). */
export function fromVoc(dir: string, options: SourceOptions & { classNames?: string[]; imageSet?: string } = {}): Pipeline<SampleRef> {
  const { classNames, imageSet, ...rest } = options;
  return fromDataset(indexVoc(dir, { classNames, imageSet }), rest);
}

/** Any of the three layouts, detected from the path; reader options pass through. */
export function fromFolder(path: string, options: SourceOptions & IndexOptions = {}): Pipeline<SampleRef> {
  const { format, annotationFile, classNames, dataYaml, imageExtensions, imageDir, imageSet, ...rest } = options;
  return fromDataset(indexDataset(path, { format, annotationFile, classNames, dataYaml, imageExtensions, imageDir, imageSet }), rest);
}
