/**
 * The engine of the multi-image operators (mosaic, mixup, cutmix): a bounded pool of
 * samples already decoded, from which each output draws its partners, so a source image
 * is decoded once per epoch while every output mixes several (DESIGN rule 2).
 *
 * Partners are chosen on arrival, in stream order, from the samples that arrived before
 * (the pool is a deterministic function of the stream), so the same seed gives the same
 * mixes with any number of workers. The pool keeps shared-memory copies of the most
 * recent `poolSize` samples; a worker reads them without a copy and never writes them.
 * The first `minPool` samples are held until the pool has that many, so the first outputs
 * mix as many distinct images as later ones.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { Rng, RngDomain } from '../core/rng.ts';
import type { Sample } from '../core/types.ts';
import { contextOf, freebiesOperator } from './context.ts';
import { poolMap } from './pool-stage.ts';

/** How a partner stage draws and mixes. */
export interface PartnerStageOptions {
  /** Registry name of the multi-image kernel. */
  kernel: string;
  /** The kernel's options (plain data). */
  options: unknown;
  /** Probability that a sample is mixed; otherwise it passes unchanged (it still joins the pool). */
  p: number;
  /** Partners per mixed sample (3 for a 4-image mosaic, 1 for mixup and cutmix). */
  partners: number;
  /** Most recent samples kept as partners. */
  poolSize: number;
  /** Samples gathered before the first output (bounded by the pipeline's in-flight bound). */
  minPool: number;
  /**
   * Partners must have the sample's image size (mixup and cutmix blend pixel for pixel).
   * A sample with no such partner in the pool passes unmixed (random training shapes can
   * leave the pool with other sizes just after a shape change).
   */
  sameSize?: boolean;
  /** Modules that register custom kernels in the workers. */
  modules?: string[];
}

/** A copy of `s` whose pixels live in shared memory, for use as a partner by several tasks. */
export function shareSample(s: Sample): Sample {
  const data = new Uint8Array(new SharedArrayBuffer(s.image.data.length));
  data.set(s.image.data);
  return {
    ...s,
    image: { ...s.image, data },
    boxes: s.boxes.slice(),
    classes: s.classes.slice(),
    weights: s.weights.slice(),
    flags: s.flags.slice(),
    meta: { ...s.meta },
  };
}

/**
 * Pick `n` partners for the sample just added at the end of `pool`, from the others,
 * without repeats while there are enough; with replacement (itself included) on a pool
 * too small, e.g. a two-image dataset.
 */
export function pickPartners(pool: readonly Sample[], n: number, rng: Rng): Sample[] {
  const others = pool.length - 1;
  if (others >= n) {
    const idx = rng.shuffle(Array.from({ length: others }, (_, i) => i)).slice(0, n);
    return idx.map((i) => pool[i]!);
  }
  return Array.from({ length: n }, () => pool[rng.int(0, pool.length - 1)]!);
}

interface Job {
  sample: Sample;
  partners: Sample[] | undefined;
}

/** An operator that mixes each sample with partners from the pool, on the worker pool. */
export function partnerStage(name: string, o: PartnerStageOptions): OperatorFunction<Sample, Sample> {
  return freebiesOperator((source) => {
    const ctx = contextOf(source);
    const operator = ctx.nextOperatorIndex();
    const keyOf = (s: Sample) => [RngDomain.Mix, ctx.seed, s.epoch, s.index, operator];

    // In stream order: join the pool, and choose partners from what came before.
    const choose = (source$: typeof source) =>
      new Observable<Job>((subscriber) => {
        const pool: Sample[] = [];
        const held: Sample[] = [];
        const minPool = Math.max(1, Math.min(o.minPool, o.poolSize, ctx.inFlightBound - 1));
        let warm = false;
        const decide = (sample: Sample, poolNow: Sample[]): Job => {
          const rng = new Rng(...keyOf(sample), 0);
          if (!rng.chance(o.p)) return { sample, partners: undefined };
          if (o.sameSize) {
            const { width, height } = sample.image;
            poolNow = poolNow.filter((p) => p.image.width === width && p.image.height === height);
            if (poolNow.length < 2) return { sample, partners: undefined };
          }
          return { sample, partners: pickPartners(poolNow, o.partners, rng) };
        };
        const join = (sample: Sample) => {
          pool.push(shareSample(sample));
          if (pool.length > o.poolSize) pool.shift();
        };
        // While warming up, each held sample chooses from the pool as it was when it came
        // in plus the samples held after it, i.e. the first minPool samples, itself last.
        const release = () => {
          warm = true;
          for (const s of held) {
            const i = pool.findIndex((p) => p.id === s.id && p.index === s.index && p.epoch === s.epoch);
            const view = [...pool.slice(0, i), ...pool.slice(i + 1), pool[i]!];
            subscriber.next(decide(s, view));
          }
          held.length = 0;
        };
        const sub = source$.subscribe({
          next: (sample) => {
            join(sample);
            if (warm) {
              subscriber.next(decide(sample, pool));
              return;
            }
            held.push(sample);
            if (pool.length >= minPool) release();
          },
          error: (err) => subscriber.error(err),
          complete: () => {
            if (!warm) release();
            pool.length = 0;
            subscriber.complete();
          },
        });
        return () => sub.unsubscribe();
      });

    return choose(source).pipe(
      poolMap(ctx, name, (job: Job) => ({
        sample: job.sample,
        task: job.partners && {
          mix: { name: o.kernel, options: o.options },
          key: [...keyOf(job.sample), 1],
          samples: [job.sample, ...job.partners],
          modules: o.modules,
        },
      })),
    );
  });
}
