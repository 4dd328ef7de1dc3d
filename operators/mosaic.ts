/**
 * `mosaic()`: four images in one (SPEC §5), YOLOv5's `load_mosaic` + `random_perspective`
 * or Darknet's form. Partners come from a bounded pool of samples already decoded, so each
 * image is decoded once per epoch while every output is a full 4-image mosaic.
 */
import type { Observable, OperatorFunction } from 'rxjs';
import { fuseFitIntoDecode } from './decode.ts';
import { freebiesOperator } from '../src/stream/context.ts';
import { z } from 'zod';
import type { Sample } from '../src/core/types.ts';
import type { MosaicKernelOptions } from '../src/kernels/mosaic.ts';
import { partnerStage } from '../src/stream/partner-stage.ts';
import { probability, validate } from '../src/stream/options.ts';
import { hygieneOf, hygieneShape, type BoxFilterOptions } from '../src/transforms/hygiene.ts';
import { partnerPoolShape, type PartnerPoolOptions } from '../src/transforms/partner-options.ts';

const byte = z.number().int().min(0).max(255);
const schema = z
  .object({
    p: probability.default(1),
    mode: z.enum(['yolov5', 'darknet']).default('yolov5'),
    size: z.number().int('size must be a whole number of pixels').min(8, 'size must be ≥ 8').optional(),
    degrees: z.number().min(0).max(180).optional(),
    translate: z.number().min(0).max(1).optional(),
    scale: z.number().min(0).lt(1, 'scale must be < 1 (the zoom is drawn from [1 − scale, 1 + scale])').optional(),
    shear: z.number().min(0).lt(90).optional(),
    perspective: z.number().min(0).max(0.01).optional(),
    shuffle: z.boolean().optional(),
    fill: z.union([byte, z.tuple([byte, byte, byte])]).optional(),
    tileRounding: z.enum(['floor', 'ceil']).optional(),
    jitter: z.number().min(0).lt(0.5).optional(),
    minOffset: z.number().min(0).lt(0.5).optional(),
    toCorner: z.boolean().optional(),
    ...partnerPoolShape({ poolSize: 32, minPool: 8 }),
    ...hygieneShape,
  })
  .strict();

/** Options of {@link mosaic}. */
export interface MosaicOptions extends BoxFilterOptions, PartnerPoolOptions {
  /** Probability. Default 1 (YOLOv5 `mosaic: 1.0`; Darknet uses 0.5). */
  p?: number;
  /** `'yolov5'` (default): 2s canvas around a random centre, then random perspective with border −s/2. `'darknet'`: a random cut point, each tile jittered. */
  mode?: 'yolov5' | 'darknet';
  /** Output side s. Default: the sample's `meta.shape` (from `randomShapes()`), else 640. */
  size?: number;
  /** yolov5: random perspective ranges (YOLOv5 defaults: degrees 0, translate 0.1, scale 0.5, shear 0, perspective 0). */
  degrees?: number;
  translate?: number;
  scale?: number;
  shear?: number;
  perspective?: number;
  /** Put the sample in a random quadrant. Default true. */
  shuffle?: boolean;
  /** yolov5: canvas and border colour. Default 114. */
  fill?: number | [number, number, number];
  /** yolov5: `load_image` rounding, `'floor'` (v7.0, default) or `'ceil'`. */
  tileRounding?: 'floor' | 'ceil';
  /** darknet: tile jitter (default 0.3), cut-point margin (default 0.2), corner moves (default true). */
  jitter?: number;
  minOffset?: number;
  toCorner?: boolean;
}

/**
 * Combine each decoded sample with three partners from the pool into one mosaic of side s.
 * Put it right after `decode()`: the decoder then resizes each image to a long side of s
 * (YOLOv5's `load_image`, in libvips; elsewhere the kernel resizes tiles with the
 * OpenCV-exact bilinear), and before per-sample transforms such as `augment(hsv(), flip())`.
 * @example fromYolo(dir).pipe(decode(), mosaic(), mixup({ p: 0.1 }), augment(hsv(), flip()), batch(16), toTensors())
 */
export function mosaic(options: MosaicOptions = {}): OperatorFunction<Sample, Sample> {
  const o = validate(schema, options, 'mosaic()');
  const kernel: MosaicKernelOptions = {
    mode: o.mode,
    ...(o.size !== undefined && { size: o.size }),
    ...(o.degrees !== undefined && { degrees: o.degrees }),
    ...(o.translate !== undefined && { translate: o.translate }),
    ...(o.scale !== undefined && { scale: o.scale }),
    ...(o.shear !== undefined && { shear: o.shear }),
    ...(o.perspective !== undefined && { perspective: o.perspective }),
    ...(o.shuffle !== undefined && { shuffle: o.shuffle }),
    ...(o.fill !== undefined && { fill: o.fill }),
    ...(o.tileRounding !== undefined && { tileRounding: o.tileRounding }),
    ...(o.jitter !== undefined && { jitter: o.jitter }),
    ...(o.minOffset !== undefined && { minOffset: o.minOffset }),
    ...(o.toCorner !== undefined && { toCorner: o.toCorner }),
    ...hygieneOf(o),
  };
  const stage = partnerStage('mosaic', { kernel: 'mosaic', options: kernel, p: o.p, partners: 3, poolSize: o.poolSize, minPool: o.minPool });
  if (o.mode === 'darknet' || o.tileRounding === 'ceil') return stage;
  // Right after decode(), the tiles are resized to side s inside the decoder (libvips), so
  // the kernel finds them at size and the pool holds smaller images; elsewhere it resizes them.
  return freebiesOperator((source: Observable<Sample>) => {
    fuseFitIntoDecode(source, { side: o.size });
    return stage(source);
  });
}
