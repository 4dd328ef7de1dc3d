/**
 * `decode()`: sample references in, decoded samples out — image pixels from sharp,
 * boxes from the source's labels in absolute pixels. A file that cannot be decoded
 * is skipped and reported; label lines the source rejected are reported too.
 */
import os from 'node:os';
import type { OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Sample, SampleRef } from '../src/core/types.ts';
import { decodeFitted, decodeImage, decodeLetterboxed, DEFAULT_MAX_PIXELS } from '../src/io/decode.ts';
import { letterboxBoxes, letterboxTarget, type LetterboxOptions } from '../src/kernels/letterbox.ts';
import { labelsToPixels } from '../src/io/labels.ts';
import { scaleBoxes } from '../src/kernels/boxes.ts';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';
import { orderedConcurrentMap, SKIP } from '../src/stream/ordered-map.ts';
import { validate } from '../src/stream/options.ts';

const schema = z
  .object({
    concurrency: z.number().int().min(1, 'concurrency must be ≥ 1').optional(),
    ignoreIcc: z.boolean().default(true),
    maxPixels: z.number().int().min(1).default(DEFAULT_MAX_PIXELS),
  })
  .strict();

/** Options of {@link decode}. */
export interface DecodeOperatorOptions {
  /** Images decoding at once. Default: 2 × cores (sharp decodes on libuv's threads). */
  concurrency?: number;
  /** Ignore embedded ICC profiles, as OpenCV does. Default true. */
  ignoreIcc?: boolean;
  /** Skip images with more pixels than this. Default 8192². */
  maxPixels?: number;
}

/**
 * A letterbox that a `letterbox()` right after `decode()` hands to the decoder to run
 * inside sharp. Without `width` and `height` each sample goes to its own `meta.shape`
 * (from `randomShapes()` before `decode()`).
 */
export interface FusedLetterbox {
  width?: number;
  height?: number;
  options: LetterboxOptions;
}

/**
 * A resize to a long side of `side` (YOLOv5's `load_image`) that `mosaic()` right after
 * `decode()` hands to the decoder. Without `side`, each sample's `meta.shape` width.
 */
export interface FusedFit {
  side?: number;
}

interface Fusion {
  letterbox?: FusedLetterbox;
  fit?: FusedFit;
}

const fusionSlots = new WeakMap<object, Fusion>();

/**
 * If `source` is the direct output of `decode()`, let it letterbox while decoding and
 * return true; the caller then passes samples through.
 */
export function fuseLetterboxIntoDecode(source: object, letterbox: FusedLetterbox): boolean {
  const slot = fusionSlots.get(source);
  if (!slot || slot.letterbox || slot.fit) return false;
  slot.letterbox = letterbox;
  return true;
}

/**
 * If `source` is the direct output of `decode()`, let it resize each image to a long side
 * of `fit.side` while decoding (libvips) and return true.
 */
export function fuseFitIntoDecode(source: object, fit: FusedFit): boolean {
  const slot = fusionSlots.get(source);
  if (!slot || slot.letterbox || slot.fit) return false;
  slot.fit = fit;
  return true;
}

/** The long side a fused fit gives `ref`, if any. */
function fitSide(ref: SampleRef, fit: FusedFit | undefined): number | undefined {
  if (!fit) return undefined;
  if (fit.side !== undefined) return fit.side;
  const shape = (ref as SampleRef & { meta?: { shape?: { width: number; height: number } } }).meta?.shape;
  return shape ? Math.max(shape.width, shape.height) : undefined;
}

/**
 * Decode each referenced image with sharp and attach its boxes in pixels. A reference's
 * own `meta` (e.g. the training shape `randomShapes()` set) is carried into the sample's.
 */
export function decode(options: DecodeOperatorOptions = {}): OperatorFunction<SampleRef, Sample> {
  const o = validate(schema, options, 'decode()');
  const concurrency = o.concurrency ?? 2 * (os.availableParallelism?.() ?? os.cpus().length);
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    const meter = ctx.stage('decode', concurrency);
    // Filled in by a letterbox() attached right after this stage, before any run starts.
    const fusion: Fusion = {};
    const out = source.pipe(
      orderedConcurrentMap(
        async (ref): Promise<Sample | typeof SKIP> => {
          let image;
          let fitted: Awaited<ReturnType<typeof decodeLetterboxed>> | undefined;
          let resized: Awaited<ReturnType<typeof decodeFitted>> | undefined;
          const side = fitSide(ref, fusion.fit);
          let to: { width: number; height: number } | undefined;
          if (fusion.letterbox) {
            try {
              to = letterboxTarget(ref, fusion.letterbox);
            } catch (err) {
              ctx.skip({ path: ref.path, reason: `letterbox failed: ${(err as Error).message}` });
              ctx.drop(1);
              return SKIP;
            }
          }
          try {
            if (fusion.letterbox && to) {
              const l = fusion.letterbox;
              fitted = await decodeLetterboxed(ref.path, to, l.options, o);
              image = fitted.image;
            } else if (side !== undefined) {
              resized = await decodeFitted(ref.path, side, o);
              image = resized.image;
            } else image = await decodeImage(ref.path, o);
          } catch (err) {
            ctx.skip({ path: ref.path, reason: `unreadable image: ${(err as Error).message}` });
            ctx.drop(1);
            return SKIP;
          }
          let read;
          try {
            read = await ref.labels();
          } catch (err) {
            ctx.skip({ path: ref.path, reason: `unreadable labels: ${(err as Error).message}` });
            ctx.drop(1);
            return SKIP;
          }
          const original = fitted?.original ?? resized?.original ?? image;
          const { boxes, dropped } = labelsToPixels(read.labels, original.width, original.height);
          for (const s of read.skipped) ctx.skip(s);
          for (const d of dropped) ctx.skip({ path: ref.path, reason: d });
          ctx.hold(1);
          const meta: Sample['meta'] = {
            ...(ref as SampleRef & { meta?: object }).meta,
            path: ref.path,
            originalWidth: original.width,
            originalHeight: original.height,
          };
          if (resized && (image.width !== original.width || image.height !== original.height)) {
            // as mosaic's own tile resize scales them
            boxes.boxes = scaleBoxes(boxes.boxes, original.width, original.height, image.width, image.height);
          }
          if (fitted) {
            boxes.boxes = letterboxBoxes(boxes.boxes, original, fitted.params);
            meta.letterbox = { ratio: fitted.params.ratio, padLeft: fitted.params.padLeft, padTop: fitted.params.padTop };
          }
          return { id: ref.id, index: ref.index, epoch: ref.epoch, image, ...boxes, meta };
        },
        concurrency,
        meter,
      ),
    );
    fusionSlots.set(out, fusion);
    return out;
  });
}
