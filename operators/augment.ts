/**
 * `augment(...transforms)`: the fused per-sample stage. The whole chain runs in one
 * worker task per sample, so pixels cross a thread boundary once, however many
 * transforms there are. Each transform draws from its own keyed RNG stream.
 */
import type { OperatorFunction } from 'rxjs';
import { ConfigError } from '../src/core/errors.ts';
import type { Sample } from '../src/core/types.ts';
import type { TransformSpec } from '../src/kernels/transform.ts';
import { poolStage } from '../src/stream/pool-stage.ts';

/** Apply `transforms` in order to every sample, in one worker task per sample. */
export function augment(...transforms: TransformSpec<any>[]): OperatorFunction<Sample, Sample> {
  transforms.forEach((t, i) => {
    if (!t || typeof t.name !== 'string' || typeof t.p !== 'number') {
      throw new ConfigError(`augment(): argument ${i + 1} is not a transform; pass transforms such as flip() or hsv() (call them: flip(), not flip)`);
    }
  });
  return poolStage('augment', transforms as TransformSpec[]);
}
