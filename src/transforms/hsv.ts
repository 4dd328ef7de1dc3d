/** `hsv()`: HSV augmentation in its YOLOv5 or Darknet form (SPEC §2); boxes do not move. */
import { z } from 'zod';
import type { TransformSpec } from '../kernels/transform.ts';
import { DARKNET_HSV_DEFAULTS, YOLOV5_HSV_GAINS, type HsvKernelOptions } from '../kernels/color.ts';
import { probability, validate } from '../stream/options.ts';

const gain = (what: string) => z.number().min(0, `${what} must be ≥ 0 (0 keeps that channel)`);
const scale = (what: string) =>
  z.number().min(1, `${what} must be ≥ 1: the factor is drawn from [1/${what}, ${what}] (1 keeps that channel)`);

const schema = z
  .object({
    p: probability.default(1),
    mode: z.enum(['yolov5', 'darknet'], { message: "mode is 'yolov5' (default) or 'darknet'" }).default('yolov5'),
    hgain: gain('hgain').optional(),
    sgain: gain('sgain').optional(),
    vgain: gain('vgain').optional(),
    hue: z.number().min(0, 'hue must be ≥ 0').max(0.5, 'hue must be ≤ 0.5 (a fraction of the hue circle each way)').optional(),
    saturation: scale('saturation').optional(),
    exposure: scale('exposure').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const darknetOnly = (['hue', 'saturation', 'exposure'] as const).filter((k) => o[k] !== undefined);
    const yoloOnly = (['hgain', 'sgain', 'vgain'] as const).filter((k) => o[k] !== undefined);
    if (o.mode === 'yolov5' && darknetOnly.length)
      ctx.addIssue({
        code: 'custom',
        message: `${darknetOnly.join(', ')} belong to mode 'darknet': pass mode: 'darknet', or use hgain/sgain/vgain for YOLOv5`,
      });
    if (o.mode === 'darknet' && yoloOnly.length)
      ctx.addIssue({
        code: 'custom',
        message: `${yoloOnly.join(', ')} belong to mode 'yolov5': use hue/saturation/exposure with mode 'darknet'`,
      });
  });

/** Options of {@link hsv}. */
export interface HsvOptions {
  /** Probability. Default 1: YOLOv5 runs `augment_hsv` on every training image. */
  p?: number;
  /** `yolov5` (default) or `darknet`. */
  mode?: 'yolov5' | 'darknet';
  /** YOLOv5 hue gain: r_h = 1 + U(−1,1)·hgain. Default 0.015 (`hsv_h`). */
  hgain?: number;
  /** YOLOv5 saturation gain. Default 0.7 (`hsv_s`). */
  sgain?: number;
  /** YOLOv5 value gain. Default 0.4 (`hsv_v`). */
  vgain?: number;
  /** Darknet hue shift: dhue ~ U(−hue, hue), added as 179·dhue to the hue byte. 0..0.5, default 0.1. */
  hue?: number;
  /** Darknet saturation: factor `rand_scale(saturation)` ∈ [1/s, s]. ≥ 1, default 1.5. */
  saturation?: number;
  /** Darknet exposure (value): factor `rand_scale(exposure)` ∈ [1/e, e]. ≥ 1, default 1.5. */
  exposure?: number;
}

/**
 * Random hue, saturation and value, through OpenCV-exact 8-bit HSV (SPEC §2).
 *
 * - `yolov5` (YOLOv5 `augment_hsv`): r = U(−1,1)·[hgain, sgain, vgain] + 1; hue' =
 *   (hue·r_h) mod 180, sat' = clip(sat·r_s), val' = clip(val·r_v), through lookup tables.
 * - `darknet` (AlexeyAB `image_data_augmentation`): dhue ~ U(−hue, hue), dsat =
 *   rand_scale(saturation), dexp = rand_scale(exposure); S·dsat, V·dexp, H + 179·dhue
 *   with OpenCV's saturating 8-bit arithmetic.
 *
 * The RGB→HSV→RGB round trip is itself lossy (OpenCV's 8-bit HSV→RGB mostly truncates):
 * YOLOv5 with r = [1,1,1] changes 61% of the pixels of coco128's photos by a grey level or
 * so. YOLOv5 does not skip the round trip and neither does `yolov5` mode, so gains of 0
 * still pass every image through it; to leave images untouched, leave `hsv()` out of
 * the chain. `darknet` mode skips it when the draws are the identity, as Darknet does.
 *
 * @example hsv() // YOLOv5 defaults
 * @example hsv({ mode: 'darknet', hue: 0.1, saturation: 1.5, exposure: 1.5 })
 */
export function hsv(options: HsvOptions = {}): TransformSpec<HsvKernelOptions> {
  const o = validate(schema, options, 'hsv()');
  if (o.mode === 'darknet') {
    return {
      name: 'hsv',
      p: o.p,
      options: {
        mode: 'darknet',
        hue: o.hue ?? DARKNET_HSV_DEFAULTS.hue,
        saturation: o.saturation ?? DARKNET_HSV_DEFAULTS.saturation,
        exposure: o.exposure ?? DARKNET_HSV_DEFAULTS.exposure,
      },
    };
  }
  return {
    name: 'hsv',
    p: o.p,
    options: {
      mode: 'yolov5',
      hgain: o.hgain ?? YOLOV5_HSV_GAINS.hgain,
      sgain: o.sgain ?? YOLOV5_HSV_GAINS.sgain,
      vgain: o.vgain ?? YOLOV5_HSV_GAINS.vgain,
    },
  };
}
