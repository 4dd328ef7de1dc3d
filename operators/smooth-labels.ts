/**
 * `smoothLabels`: label smoothing (SPEC §8), both as the pure function of SPEC §14 and
 * as a stream operator that sets how `encodeTargets()` builds class targets.
 */
import { map, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import type { Sample } from '../src/core/types.ts';
import type { SampleBatch } from '../src/batch/types.ts';
import { ConfigError } from '../src/core/errors.ts';
import { resolveSmoothing, smoothTarget, type LabelSmoothing, type SmoothingOptions } from '../src/batch/smoothing.ts';
import { freebiesOperator } from '../src/stream/context.ts';

export type { LabelSmoothing, SmoothingMode, SmoothingOptions } from '../src/batch/smoothing.ts';

/** Stamp one stream item with the setting; refuses items it cannot carry it on. */
function stamp<T>(item: T, s: LabelSmoothing): T {
  const x = item as Partial<SampleBatch & Sample> & { images?: unknown; labels?: unknown };
  if (Array.isArray(x.samples)) {
    if (x.targets) {
      throw new ConfigError('smoothLabels(): the batch already has targets; put smoothLabels() before encodeTargets()');
    }
    return { ...item, labelSmoothing: s };
  }
  if (x.image && x.boxes) return { ...item, meta: { ...x.meta, labelSmoothing: s } };
  if (x.images !== undefined) {
    throw new ConfigError('smoothLabels(): tensor batches cannot be smoothed; put smoothLabels() before encodeTargets() and toTensors()');
  }
  throw new ConfigError(
    'smoothLabels(): items here are not decoded samples or sample batches; put smoothLabels() after decode() and before encodeTargets()',
  );
}

/**
 * Label smoothing (SPEC §8). Two forms:
 *
 * **Function** (SPEC §14): `smoothLabels(target, { epsilon, mode })` smooths one target
 * vector — one-hot or soft (mixed), each entry in [0,1], C = its length — and returns a
 * new array. ε 0.1 on [0,0,1,0,0]: `categorical` → 0.92 / 0.02; `others` → 0.9 / 0.025;
 * `binary` → 0.95 / 0.05. Smoothing is affine per entry, so smooth-then-mix equals
 * mix-then-smooth for MixUp/CutMix soft labels.
 *
 * **Operator**: `smoothLabels({ epsilon, mode })` in a pipeline records the setting on each
 * decoded sample (`meta.labelSmoothing`) or, after `batch()`, on each batch
 * (`labelSmoothing`); `encodeTargets()` then writes smoothed class targets (under
 * `binary` also the negatives of an assigned slot get ε/2). It may stand anywhere between
 * `decode()` and `encodeTargets()`; the last setting on the way wins. Placed after
 * `encodeTargets()` (or before `decode()`) it fails with a message saying where to put it.
 *
 * Defaults: ε 0.1, mode `categorical` (SPEC §8); YOLO's sigmoid class heads (Darknet
 * `label_smooth_eps`, YOLOv5 `smooth_BCE`) use `binary`.
 */
export function smoothLabels(target: ArrayLike<number>, options: SmoothingOptions): number[];
export function smoothLabels<T extends Sample | SampleBatch>(options?: SmoothingOptions): MonoTypeOperatorFunction<T>;
export function smoothLabels<T extends Sample | SampleBatch>(
  a?: ArrayLike<number> | SmoothingOptions,
  b?: SmoothingOptions,
): number[] | MonoTypeOperatorFunction<T> {
  if (a != null && typeof (a as { length?: unknown }).length === 'number') {
    return smoothTarget(a as ArrayLike<number>, b as SmoothingOptions);
  }
  if (b !== undefined) {
    throw new TypeError('smoothLabels(target, options): target must be an array of class targets, e.g. [0, 1, 0]');
  }
  const s = resolveSmoothing(a as SmoothingOptions | undefined, 'smoothLabels()');
  return freebiesOperator((source: Observable<T>) => source.pipe(map((item) => stamp(item, s))));
}
