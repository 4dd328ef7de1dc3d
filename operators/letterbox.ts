/**
 * `letterbox(size)`: resize keeping the aspect ratio and pad with grey 114 to the
 * network size (YOLOv5 `letterbox`, SPEC §3). Runs on the worker pool. `letterbox()`
 * with no size takes each sample's training shape from `randomShapes()` (SPEC §6).
 */
import { tap, type Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Sample } from '../src/core/types.ts';
import { poolStage } from '../src/stream/pool-stage.ts';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';
import { ConfigError } from '../src/core/errors.ts';
import { fuseLetterboxIntoDecode } from './decode.ts';
import { shapeScheduleOf } from './random-shapes.ts';
import { validate } from '../src/stream/options.ts';

// refine, not .int(): inside a union zod 4 reports .int() as a bare type mismatch.
const side = z
  .number()
  .refine(Number.isInteger, 'size must be a whole number of pixels')
  .refine((n) => n >= 1, 'size must be ≥ 1');
const schema = z
  .object({
    size: z.union([side, z.object({ width: side, height: side }).strict(), z.literal('shape')], {
      error: "size is a side (608), { width, height }, or 'shape' (each sample's meta.shape from randomShapes())",
    }),
    scaleUp: z.boolean().default(true),
    auto: z.boolean().default(false),
    stride: z.number().int().min(1).default(32),
    fuse: z.boolean().default(true),
  })
  .strict();

/** Options of {@link letterbox}. */
export interface LetterboxOperatorOptions {
  /** Enlarge small images. Default true. */
  scaleUp?: boolean;
  /** Pad only to the next multiple of `stride`. Default false (every output is exactly `size`). */
  auto?: boolean;
  stride?: number;
  /**
   * Right after `decode()`, resize and pad inside sharp while decoding (one libvips
   * pipeline, no pool hop: about half the CPU of decoding then letterboxing in JS).
   * Same geometry; libvips' linear interpolation instead of OpenCV's. Default true.
   */
  fuse?: boolean;
}

/**
 * Letterbox every sample to `size` (a square side, or `{width, height}`). Without a
 * size (or with `'shape'`) each sample goes to its own `meta.shape`, the training shape
 * `randomShapes()` drew for its batch; that needs `randomShapes()` upstream and pads to
 * the full shape (`auto` would give images of one batch different sizes).
 */
export function letterbox(
  size: number | { width: number; height: number } | 'shape' = 'shape',
  options: LetterboxOperatorOptions = {},
): OperatorFunction<Sample, Sample> {
  const o = validate(schema, { size, ...options }, 'letterbox()');
  const perSample = o.size === 'shape';
  if (perSample && o.auto) {
    throw new ConfigError("letterbox(): auto pads each image to its own minimum rectangle, so the images of one batch would differ: drop auto, or pass a size");
  }
  // Without width and height the kernel and the fused decoder read each sample's meta.shape.
  const to = o.size === 'shape' ? {} : typeof o.size === 'number' ? { width: o.size, height: o.size } : o.size;
  const lb = { scaleUp: o.scaleUp, auto: o.auto, stride: o.stride };
  const inPool = poolStage('letterbox', [{ name: 'letterbox', p: 1, options: { ...to, ...lb } }]);
  return freebiesOperator((source: Observable<Sample>) => {
    if (perSample && !shapeScheduleOf(contextOf(source))) {
      throw new ConfigError(
        'letterbox() without a size takes each sample\'s shape from randomShapes(): put randomShapes() before it (right after the source), or pass a size, e.g. letterbox(608)',
      );
    }
    if (o.fuse && fuseLetterboxIntoDecode(source, { ...to, options: lb })) {
      const meter = contextOf(source).stage('letterbox (fused into decode)');
      return source.pipe(tap(() => meter.count()));
    }
    return inPool(source);
  });
}
