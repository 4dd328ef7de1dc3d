/**
 * `encodeTargets()`: per-scale YOLO targets for each sample batch (SPEC §7). Sits after
 * `batch()` and before `toTensors()`, which turns each layer into a `tf.Tensor5D`.
 */
import { map, type Observable, type OperatorFunction } from 'rxjs';
import type { SampleBatch } from '../src/batch/types.ts';
import { encodeBatchTargets, resolveTargetOptions, type TargetOptions } from '../src/batch/targets.ts';
import { ConfigError } from '../src/core/errors.ts';
import { contextOf, freebiesOperator } from '../src/stream/context.ts';

export type { TargetOptions } from '../src/batch/targets.ts';

/**
 * Attach YOLO targets to every {@link SampleBatch}: `batch.targets[l]` holds layer l's
 * stride, grid size, anchors (input pixels), collision count and a
 * `[B, gridH, gridW, A, 6 + C]` array — channels cx, cy, w, h (input pixels), objectness
 * (1 assigned, 0 none, −1 ignore region), the box's loss weight, then C class targets
 * (see `encodeBatchTargets` for collisions and ignore boxes).
 *
 * Defaults are YOLOv4 COCO (SPEC §7): the nine anchors in pixels, kept at every input
 * size as Darknet and YOLOv5 do (`scaleAnchors: true` scales them from 608), masks
 * [[0,1,2],[3,4,5],[6,7,8]], strides 8/16/32, rule `iou-threshold` 0.213. C is
 * `classes` or the dataset's class count. Class targets are smoothed when a
 * `smoothLabels()` operator stands anywhere before this one.
 *
 * The padded raw boxes stay on the batch (`toTensors()` gives `boxes`, `classes`,
 * `weights`, `flags`, `counts`) for trainers that assign anchors themselves.
 *
 * @example
 * fromYolo(dir).pipe(decode(), letterbox(608), batch(16), smoothLabels({ epsilon: 0.1, mode: 'binary' }), encodeTargets(), toTensors())
 */
export function encodeTargets(options: TargetOptions = {}): OperatorFunction<SampleBatch, SampleBatch> {
  const enc = resolveTargetOptions(options);
  return freebiesOperator((source: Observable<SampleBatch>) => {
    const ctx = contextOf(source);
    const known = ctx.dataset?.classNames.length;
    const classes = enc.classes ?? known;
    if (classes === undefined || classes < 1) {
      throw new ConfigError(
        'encodeTargets(): the number of classes is unknown (the source names no classes); pass it, e.g. encodeTargets({ classes: 80 })',
      );
    }
    if (known !== undefined && classes < known) {
      throw new ConfigError(
        `encodeTargets(): classes is ${classes} but the dataset has ${known} classes; pass classes ≥ ${known} or leave it out`,
      );
    }
    const meter = ctx.stage('encodeTargets');
    return source.pipe(
      map((b) => {
        if (b.targets) throw new ConfigError('encodeTargets(): this batch already has targets; use one encodeTargets() per pipeline');
        const end = meter.start();
        try {
          const targets = encodeBatchTargets(b, enc, classes);
          end(true);
          return { ...b, targets };
        } catch (err) {
          end(false);
          throw err;
        }
      }),
    );
  });
}
