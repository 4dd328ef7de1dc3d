/**
 * `dumpSamples(dir)`: a pass-through stage that writes every `every`-th item as a PNG
 * with its boxes and class names drawn — a look at what the model sees, from inside a
 * running pipeline.
 */
import path from 'node:path';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { z } from 'zod';
import { captureItem, drawBoxes, type CapturedItem, type Drawable } from '../src/render/draw.ts';
import { annotatedGrid, shortId, writePng } from '../src/render/grid.ts';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';
import { validate } from '../src/stream/options.ts';

const count = (what: string) => z.number().int(`${what} must be a whole number`).min(1, `${what} must be ≥ 1`);
const schema = z
  .object({
    dir: z.string().min(1, 'pass the folder to write into, e.g. dumpSamples("runs/samples")'),
    every: count('every').default(100),
    limit: count('limit').optional(),
    grid: z
      .union([
        z.boolean(),
        z.object({ columns: count('grid.columns').optional(), maxCell: count('grid.maxCell').optional(), gap: z.number().int().min(0).optional() }).strict(),
      ])
      .default(true),
    names: z.array(z.string()).optional(),
  })
  .strict();

/** Options of {@link dumpSamples}. */
export interface DumpSamplesOptions {
  /** Write item 0, `every`, 2·`every`, … of each run. Default 100. */
  every?: number;
  /** Dump at most this many items per run. Default: no limit. */
  limit?: number;
  /**
   * A batch (`SampleBatch` or tensor `Batch`) becomes one grid PNG (true, the default;
   * or the grid's `{ columns, maxCell, gap }`), or one PNG per sample (false).
   */
  grid?: boolean | { columns?: number; maxCell?: number; gap?: number };
  /** Class names by id. Default: the dataset's names (the ids when there are none). */
  names?: string[];
}

/** Files being drawn or written at once; a dump beyond this is left out rather than queued. */
const MAX_PENDING = 8;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** A file-name-safe short form of a sample id. */
const safeId = (id: string): string => shortId(id).replace(/[^A-Za-z0-9._-]+/g, '_').slice(-64) || 'sample';

/**
 * The file name of one sample, or of a batch by its first sample:
 * `e<epoch>-i<index>-<id>.png` (`-b<size>` before `.png` for a batch grid). Epoch and
 * position in the epoch make names unique within a dataset; tensor batches, which carry
 * neither, are named `n<item>-<id>-b<size>.png` by their item number in the run.
 */
function fileName(first: Drawable, item: number, batchSize?: number): string {
  const b = batchSize === undefined ? '' : `-b${batchSize}`;
  if (first.epoch !== undefined && first.index !== undefined) {
    return `e${pad(first.epoch, 3)}-i${pad(first.index, 6)}-${safeId(first.id)}${b}.png`;
  }
  return `n${pad(item, 6)}-${safeId(first.id)}${b}.png`;
}

/**
 * Write every `every`-th item that passes to `dir` as a PNG with its boxes and class
 * names drawn (each class its own colour, ignored boxes dashed grey; see
 * `src/render/draw.ts`). Takes Samples (one image per file) and batches — `batch()`'s
 * SampleBatch or `toTensors()`' Batch — drawn as one grid per batch, captioned with the
 * sample ids. Files are named by epoch, position and id (`e000-i000300-000000000009.png`),
 * so they never collide within a run.
 *
 * The items pass through unchanged — the same objects, in the same order, at once.
 * What is written is copied when the item passes, then drawn and encoded
 * asynchronously (sharp encodes on libuv's threads), so the stream never waits for a
 * file; a stream that completes does so after its last file is written. A file that
 * cannot be written is reported in `pipeline.report().skipped` (reason
 * `dumpSamples: …`) and the run goes on; so is a dump left out because 8 files were
 * still being written. The stage appears in the profile as `dumpSamples`, its busy
 * time being the drawing and encoding.
 *
 * @param dir folder to write into (created when needed).
 * @example
 * ```ts
 * const pipeline = fromYolo('datasets/coco128').pipe(
 *   decode(), letterbox(608), augment(flip()),
 *   dumpSamples('runs/augmented', { every: 50 }), // e000-i000000-….png, e000-i000050-….png, …
 *   batch(16), toTensors(),
 * );
 * ```
 */
export function dumpSamples<T>(dir: string, options: DumpSamplesOptions = {}): MonoTypeOperatorFunction<T> {
  const o = validate(schema, { dir, ...options }, 'dumpSamples()');
  const gridOptions = typeof o.grid === 'object' ? o.grid : {};
  return freebiesOperator((source: Observable<T>) => {
    const ctx = contextOf(source);
    const meter = ctx.stage('dumpSamples');

    async function write(captured: CapturedItem, item: number): Promise<void> {
      // Let the item travel on before any drawing starts.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const end = meter.start();
      let file = dir;
      try {
        const samples = await captured.load();
        const names = o.names ?? ctx.dataset?.classNames;
        if (samples.length === 0) return;
        const asGrid = captured.kind !== 'sample' && o.grid !== false;
        const groups = asGrid ? [samples] : samples.map((s) => [s]);
        for (const group of groups) {
          const first = group[0]!;
          file = path.join(dir, fileName(first, item, asGrid ? group.length : undefined));
          const image = asGrid
            ? annotatedGrid(group, { draw: { names }, grid: gridOptions }).image
            : drawBoxes(first.image, first, { names });
          await writePng(file, image);
        }
      } catch (err) {
        ctx.skip({ path: file, reason: `dumpSamples: could not write: ${(err as Error)?.message ?? String(err)}` });
      } finally {
        end(false);
      }
    }

    return new Observable<T>((subscriber) => {
      let seen = 0;
      let written = 0;
      let unknownReported = false;
      const pending = new Set<Promise<void>>();
      const sub = source.subscribe({
        next: (item) => {
          const k = seen++;
          meter.count();
          if (k % o.every === 0 && (o.limit === undefined || written < o.limit)) {
            // Captured (copied) before the item moves on: a later pool stage may transfer its buffers away.
            const captured = captureItem(item);
            if (!captured) {
              if (!unknownReported) {
                unknownReported = true;
                ctx.skip({ path: dir, reason: 'dumpSamples: items are neither Samples nor batches; nothing written' });
              }
            } else if (pending.size >= MAX_PENDING) {
              captured.release();
              ctx.skip({ path: dir, reason: `dumpSamples: item ${k} not written, ${MAX_PENDING} files still being written` });
            } else {
              written++;
              const p = write(captured, k).finally(() => pending.delete(p));
              pending.add(p);
            }
          }
          subscriber.next(item);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          void Promise.allSettled([...pending]).then(() => subscriber.complete());
        },
      });
      return () => sub.unsubscribe();
    });
  });
}
