/**
 * `randomPerspective()`: YOLOv5's `random_perspective` (SPEC §3): rotation, zoom, shear,
 * translation and perspective in one OpenCV-exact warp; boxes move with the pixels and
 * pass the hygiene rule (SPEC §1).
 */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import type { RandomPerspectiveKernelOptions } from '../kernels/perspective.ts';
import { probability, validate } from '../stream/options.ts';
import { hygieneOf, hygieneShape, type BoxFilterOptions } from './hygiene.ts';

const byte = z.number().int('a fill level is an integer 0..255').min(0, 'a fill level is 0..255').max(255, 'a fill level is 0..255');
const borderSide = z.number().int('border is in whole pixels');

const schema = z
  .object({
    p: probability.default(1),
    degrees: z.number().min(0, 'degrees is a range ±degrees: pass 0..180').max(180, 'degrees is a range ±degrees: pass 0..180').default(0),
    translate: z.number().min(0, 'translate is a fraction of the output size: pass 0..1').max(1, 'translate is a fraction of the output size: pass 0..1').default(0.1),
    scale: z
      .number()
      .min(0, 'scale gives the zoom range 1 ± scale: pass 0 ≤ scale < 1')
      .lt(1, 'scale gives the zoom range 1 ± scale, which must stay above 0: pass 0 ≤ scale < 1')
      .default(0.5),
    shear: z.number().min(0, 'shear is a range ±shear in degrees: pass 0 ≤ shear < 90').lt(90, 'shear is a range ±shear in degrees: pass 0 ≤ shear < 90').default(0),
    perspective: z
      .number()
      .min(0, 'perspective is a range ±perspective: pass 0..0.01 (YOLOv5 uses 0..0.001)')
      .max(0.01, 'perspective beyond 0.01 folds the image over itself: pass 0..0.01 (YOLOv5 uses 0..0.001)')
      .default(0),
    border: z.tuple([borderSide, borderSide]).default([0, 0]),
    width: z.number().int('width is in whole pixels').positive('width must be ≥ 1').optional(),
    height: z.number().int('height is in whole pixels').positive('height must be ≥ 1').optional(),
    fill: z.union([byte, z.tuple([byte, byte, byte])]).default(114),
    ...hygieneShape,
  })
  .strict();

/** Options of {@link randomPerspective}; defaults are YOLOv5's hyperparameters (hyp.scratch). */
export interface RandomPerspectiveOptions extends BoxFilterOptions {
  /** Probability. Default 1 (YOLOv5 always runs it). */
  p?: number;
  /** Rotation drawn from ±degrees (0..180). Default 0. */
  degrees?: number;
  /** The source centre lands at (0.5 ± translate) of the output size (0..1). Default 0.1. */
  translate?: number;
  /** Zoom drawn from 1 ± scale (0 ≤ scale < 1). Default 0.5. */
  scale?: number;
  /** Shear drawn from ±shear degrees on each axis (0 ≤ shear < 90). Default 0. */
  shear?: number;
  /** Perspective terms drawn from ±perspective (0..0.01). Default 0 (an affine warp). */
  perspective?: number;
  /**
   * YOLOv5's `border` as [rows, columns] added on each side: the output is
   * (W + 2·border[1]) × (H + 2·border[0]). Mosaic passes [−s/2, −s/2] to crop its 2s canvas to s. Default [0, 0].
   */
  border?: [number, number];
  /** Explicit output width (overrides the border rule on x). */
  width?: number;
  /** Explicit output height (overrides the border rule on y). */
  height?: number;
  /** Border colour: one grey level or [r, g, b]. Default 114. */
  fill?: number | [number, number, number];
}

/**
 * Random perspective as YOLOv5's `random_perspective` (SPEC §3): M = T·S·R·P·C, pixels by
 * `cv2.warpAffine` (or `cv2.warpPerspective` when `perspective` > 0) reproduced byte for
 * byte, boxes by their 4 corners, then clipped and filtered (SPEC §1, against the old
 * box × zoom; area threshold 0.1 unless `areaThr` is given).
 * @example randomPerspective({ degrees: 10, translate: 0.1, scale: 0.5, shear: 2 })
 */
export function randomPerspective(options: RandomPerspectiveOptions = {}): TransformSpec<RandomPerspectiveKernelOptions> {
  const o = validate(schema, options, 'randomPerspective()');
  const kernelOptions: RandomPerspectiveKernelOptions = {
    degrees: o.degrees,
    translate: o.translate,
    scale: o.scale,
    shear: o.shear,
    perspective: o.perspective,
    border: [o.border[0], o.border[1]],
    fill: typeof o.fill === 'number' ? o.fill : [o.fill[0], o.fill[1], o.fill[2]],
    ...hygieneOf(o),
  };
  if (o.width !== undefined) kernelOptions.width = o.width;
  if (o.height !== undefined) kernelOptions.height = o.height;
  return { name: 'randomPerspective', p: o.p, options: kernelOptions };
}
