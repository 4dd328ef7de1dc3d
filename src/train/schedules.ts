/**
 * Learning-rate schedules (SPEC §10): the cosine-with-warm-up-and-restarts scheduler the seed
 * names (katsura-jp/pytorch-cosine-annealing-with-warmup), PyTorch's
 * `CosineAnnealingWarmRestarts`, Darknet's burn-in with its `constant` / `steps` / `sgdr`
 * policies, and YOLOv5's `one_cycle` and linear lambdas.
 *
 * Every schedule is a function of the number of steps taken, `t`, behind one interface
 * ({@link LrSchedule}): `lr` is the learning rate after the steps taken so far, `step()` takes
 * one more, `lrAt(t)` reads any position without moving, and `state()` / `load()` carry the
 * position through a checkpoint as plain JSON. A "step" is whatever the caller steps on —
 * an iteration for Darknet, an epoch for YOLOv5, either for the others.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { validate } from '../stream/options.ts';

/** The names of the schedule kinds, as they appear in {@link ScheduleState.kind}. */
export type ScheduleKind = 'cosine-warmup-restarts' | 'cosine-warm-restarts' | 'darknet' | 'one-cycle';

/**
 * A checkpointable schedule position. Plain, JSON-safe data: the kind, the number of steps
 * taken and the resolved options (defaults filled in) of the schedule that saved it.
 */
export interface ScheduleState {
  kind: ScheduleKind;
  step: number;
  options: Record<string, unknown>;
}

/** The interface every schedule here implements. */
export interface LrSchedule {
  /** The learning rate after the steps taken so far (before any step: the reference's initial lr). */
  readonly lr: number;
  /** Steps taken so far. */
  readonly steps: number;
  /** Take one step. */
  step(): void;
  /** The lr after `t` steps, without moving this schedule (for plots and look-ahead). */
  lrAt(t: number): number;
  /** The position, to save in a checkpoint. */
  state(): ScheduleState;
  /**
   * Restore a position saved by {@link state}. Throws {@link ConfigError} when the state was
   * saved by another kind of schedule or with other options (use {@link scheduleFromState} to
   * rebuild the saved schedule instead).
   */
  load(state: ScheduleState): void;
}

/** A number; `hint` says what to pass when it is missing. */
const num = (what: string, hint = '') =>
  z.number({ error: (iss) => (iss.input === undefined ? `${what} is required${hint}` : `${what} must be a finite number`) });
const count = (what: string, hint = '') => num(what, hint).int(`${what} must be a whole number of steps`);
const positiveSteps = (what: string, hint = '') => count(what, hint).min(1, `${what} must be ≥ 1`);
const lrValue = (what: string, hint = '') => num(what, hint).min(0, `${what} must be ≥ 0`);

const stateSchema = z
  .object({
    kind: z.enum(['cosine-warmup-restarts', 'cosine-warm-restarts', 'darknet', 'one-cycle']),
    step: z.number().int('step must be a whole number').min(0, 'step must be ≥ 0'),
    options: z.record(z.string(), z.unknown()),
  })
  .strict();

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  return a === b;
}

/** Shared bookkeeping: the step counter, the cached lr and the state round trip. */
abstract class Schedule<O extends object> implements LrSchedule {
  #t = 0;
  // computed on first read: subclass fields do not exist yet while this constructor runs
  #lr: number | undefined;

  protected constructor(
    private readonly kind: ScheduleKind,
    /** Resolved options (defaults filled in), frozen so that a state() snapshot cannot drift. */
    readonly options: Readonly<O>,
  ) {
    for (const v of Object.values(options)) if (Array.isArray(v)) Object.freeze(v);
    Object.freeze(options);
  }

  get lr(): number {
    return (this.#lr ??= this.lrAt(this.#t));
  }

  get steps(): number {
    return this.#t;
  }

  step(): void {
    this.#t += 1;
    this.#lr = this.advance(this.#t);
  }

  abstract lrAt(t: number): number;

  /** The lr after one more step, `t` steps in all; schedules with an incremental position override it. */
  protected advance(t: number): number {
    return this.lrAt(t);
  }

  /** Re-derive any incremental position for step `t` (after load). */
  protected seek(_t: number): void {}

  state(): ScheduleState {
    const options = JSON.parse(JSON.stringify(this.options)) as Record<string, unknown>;
    return { kind: this.kind, step: this.#t, options };
  }

  load(state: ScheduleState): void {
    const where = `${this.constructor.name}.load()`;
    const s = validate(stateSchema, state, where);
    if (s.kind !== this.kind) {
      throw new ConfigError(`${where}: the state was saved by a '${s.kind}' schedule, this one is '${this.kind}'; rebuild it with scheduleFromState(state)`);
    }
    const mine = this.options as Record<string, unknown>;
    for (const k of new Set([...Object.keys(mine), ...Object.keys(s.options)])) {
      if (!sameValue(mine[k], s.options[k])) {
        throw new ConfigError(
          `${where}: the state was saved with ${k} ${JSON.stringify(s.options[k])}, this schedule has ${k} ${JSON.stringify(mine[k])}; construct it with the saved options (scheduleFromState(state) does)`,
        );
      }
    }
    this.#t = s.step;
    this.seek(s.step);
    this.#lr = undefined;
  }

  protected checkT(t: number): void {
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`lrAt(t): t must be a whole number ≥ 0, got ${t}`);
  }
}

// ---------------------------------------------------------------------------------------------
// katsura-jp CosineAnnealingWarmupRestarts

const cwrSchema = z
  .object({
    firstCycleSteps: positiveSteps('firstCycleSteps', ': the steps in the first cycle, warm-up included'),
    cycleMult: num('cycleMult').gt(0, 'cycleMult must be > 0 (1 keeps every cycle the same length)').default(1),
    maxLr: lrValue('maxLr').default(0.1),
    minLr: lrValue('minLr').default(0.001),
    warmupSteps: count('warmupSteps').min(0, 'warmupSteps must be ≥ 0').default(0),
    gamma: num('gamma').gt(0, 'gamma must be > 0 (1 keeps maxLr; 0.5 halves it at each restart)').default(1),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.minLr > o.maxLr) {
      ctx.addIssue({ code: 'custom', path: ['minLr'], message: `minLr (${o.minLr}) must be ≤ maxLr (${o.maxLr}): the cosine runs from maxLr down to minLr` });
    }
    if (o.warmupSteps >= o.firstCycleSteps) {
      ctx.addIssue({ code: 'custom', path: ['warmupSteps'], message: `warmupSteps (${o.warmupSteps}) must be < firstCycleSteps (${o.firstCycleSteps}): the warm-up is part of each cycle` });
    }
    if (o.cycleMult < 1 && o.warmupSteps === 0) {
      ctx.addIssue({ code: 'custom', path: ['cycleMult'], message: 'cycleMult < 1 needs warmupSteps ≥ 1: without warm-up the cycles shrink to 0 steps (the reference divides by zero there); pass cycleMult ≥ 1' });
    }
  });

/** Options of {@link CosineAnnealingWarmupRestarts} (katsura-jp names, camel-cased). */
export interface CosineAnnealingWarmupRestartsOptions {
  /** Steps in the first cycle, warm-up included. Required. */
  firstCycleSteps: number;
  /** Cycle length factor after each restart (warm-up excluded; truncated each time). Default 1. */
  cycleMult?: number;
  /** Peak lr of the first cycle. Default 0.1. */
  maxLr?: number;
  /** Floor of every cycle and the lr before the first step. Default 0.001. */
  minLr?: number;
  /** Linear warm-up steps at the start of every cycle; < firstCycleSteps. Default 0. */
  warmupSteps?: number;
  /** maxLr factor per restart. Default 1. */
  gamma?: number;
}

type CwrResolved = Required<CosineAnnealingWarmupRestartsOptions>;

/** Where step `t` falls: the cycle index, the step inside it and the cycle's length. */
interface CwrPosition {
  cycle: number;
  inCycle: number;
  length: number;
}

function nextCycleLength(length: number, o: CwrResolved): number {
  return Math.trunc((length - o.warmupSteps) * o.cycleMult) + o.warmupSteps;
}

function cwrPosition(o: CwrResolved, t: number): CwrPosition {
  let cycle = 0;
  let inCycle = t;
  let length = o.firstCycleSteps;
  while (inCycle >= length) {
    const next = nextCycleLength(length, o);
    if (next === length) {
      // truncation has stopped the growth (always for cycleMult 1): every later cycle has this length
      const k = Math.floor(inCycle / length);
      return { cycle: cycle + k, inCycle: inCycle - k * length, length };
    }
    inCycle -= length;
    cycle += 1;
    length = next;
  }
  return { cycle, inCycle, length };
}

function cwrLr(o: CwrResolved, p: CwrPosition): number {
  // same operation order as the reference, so the floats agree to the last bit where libm does
  const maxLr = o.maxLr * o.gamma ** p.cycle;
  const base = o.minLr;
  if (p.inCycle < o.warmupSteps) return ((maxLr - base) * p.inCycle) / o.warmupSteps + base;
  const phase = (Math.PI * (p.inCycle - o.warmupSteps)) / (p.length - o.warmupSteps);
  return base + ((maxLr - base) * (1 + Math.cos(phase))) / 2;
}

/**
 * Cosine annealing with linear warm-up and warm restarts, exactly as
 * katsura-jp/pytorch-cosine-annealing-with-warmup's `CosineAnnealingWarmupRestarts` behaves
 * under `scheduler.step()` (SPEC §10, §14):
 *
 * - every cycle opens with `warmupSteps` linear steps from minLr to the cycle's maxLr, then a
 *   cosine from maxLr down to minLr over the rest of the cycle;
 * - after each restart the cycle length becomes `trunc((length − warmupSteps)·cycleMult) +
 *   warmupSteps` (so for a non-integer cycleMult the truncation compounds: 7, 9, 12, 17, … for
 *   first 7, warm-up 2, mult 1.5) and maxLr becomes `maxLr·gamma^cycle`;
 * - before the first step the lr is minLr — the reference's `init_lr()` sets it after
 *   construction — even without warm-up, where the cycle formula would give maxLr.
 *
 * The reference's other entry, `step(epoch)`, locates the cycle with
 * `n = int(log_mult(epoch/first·(mult−1) + 1))` and length `first·multⁿ`, i.e. assuming
 * untruncated lengths and no warm-up; it disagrees with stepping for a non-integer cycleMult or
 * warmupSteps > 0, and training loops do not use it, so this class follows stepping; `lrAt(t)`
 * returns what t steps give. Worked (first 10, maxLr 0.1, minLr 0.001, gamma 0.7): 0.0975773,
 * 0.0905463, 0.0795954, …, 0.07 at step 10, 0.049 at step 20.
 */
export class CosineAnnealingWarmupRestarts extends Schedule<CwrResolved> {
  #pos: CwrPosition;

  constructor(options: CosineAnnealingWarmupRestartsOptions) {
    super('cosine-warmup-restarts', validate(cwrSchema, options, 'CosineAnnealingWarmupRestarts()'));
    this.#pos = { cycle: 0, inCycle: 0, length: this.options.firstCycleSteps };
  }

  /** The cycle index after the steps taken so far (0 in the first cycle). */
  get cycle(): number {
    return this.#pos.cycle;
  }

  lrAt(t: number): number {
    this.checkT(t);
    if (t === 0) return this.options.minLr;
    return cwrLr(this.options, cwrPosition(this.options, t));
  }

  // the reference's own bookkeeping, one step at a time; lrAt walks the same integer arithmetic
  protected override advance(): number {
    const p = this.#pos;
    p.inCycle += 1;
    if (p.inCycle >= p.length) {
      p.cycle += 1;
      p.inCycle -= p.length;
      p.length = nextCycleLength(p.length, this.options);
    }
    return cwrLr(this.options, p);
  }

  protected override seek(t: number): void {
    this.#pos = cwrPosition(this.options, t);
  }
}

// ---------------------------------------------------------------------------------------------
// PyTorch CosineAnnealingWarmRestarts

const sgdrTorchSchema = z
  .object({
    baseLr: lrValue('baseLr', ': the optimizer lr, the peak of every cycle'),
    t0: positiveSteps('t0', ': the steps in the first cycle (PyTorch T_0)'),
    tMult: num('tMult').int('tMult must be a whole number ≥ 1 (PyTorch takes an integer T_mult)').min(1, 'tMult must be ≥ 1').default(1),
    etaMin: lrValue('etaMin').default(0),
  })
  .strict()
  .refine((o) => o.etaMin <= o.baseLr, { path: ['etaMin'], message: 'etaMin must be ≤ baseLr: the cosine runs from baseLr down to etaMin' });

/** Options of {@link CosineAnnealingWarmRestarts} (PyTorch's names, camel-cased). */
export interface CosineAnnealingWarmRestartsOptions {
  /** The optimizer's lr, the peak of every cycle (PyTorch's `base_lr`). Required. */
  baseLr: number;
  /** Steps in the first cycle (`T_0`). Required. */
  t0: number;
  /** Whole-number cycle length factor (`T_mult`). Default 1. */
  tMult?: number;
  /** Floor (`eta_min`). Default 0. */
  etaMin?: number;
}

type SgdrTorchResolved = Required<CosineAnnealingWarmRestartsOptions>;

/**
 * PyTorch `CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)` (SGDR, Loshchilov & Hutter):
 * `lr = etaMin + (baseLr − etaMin)·(1 + cos(π·Tcur/Ti))/2`, Ti = t0·tMultⁱ in cycle i, Tcur the
 * steps since the last restart; the lr is baseLr before the first step and at every restart.
 * The cycle is found in exact integer arithmetic (PyTorch's own `step(epoch)` closed form uses a
 * float logarithm, which can land one cycle early exactly at a boundary).
 */
export class CosineAnnealingWarmRestarts extends Schedule<SgdrTorchResolved> {
  constructor(options: CosineAnnealingWarmRestartsOptions) {
    super('cosine-warm-restarts', validate(sgdrTorchSchema, options, 'CosineAnnealingWarmRestarts()'));
  }

  lrAt(t: number): number {
    this.checkT(t);
    const { baseLr, t0, tMult, etaMin } = this.options;
    let tCur = t;
    let tI = t0;
    if (tMult === 1) tCur = t % t0;
    else {
      while (tCur >= tI) {
        tCur -= tI;
        tI *= tMult;
      }
    }
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }
}

// ---------------------------------------------------------------------------------------------
// Darknet get_current_rate: burn-in + constant / steps / sgdr

/** Darknet's SGDR uses this literal rather than M_PI (AlexeyAB network.c). */
const DARKNET_PI = 3.14159265;

const darknetSchema = z
  .object({
    lr: lrValue('lr', ': Darknet learning_rate, e.g. 0.001'),
    policy: z.enum(['constant', 'steps', 'sgdr'], "policy must be 'constant', 'steps' or 'sgdr'").default('constant'),
    burnIn: count('burnIn').min(0, 'burnIn must be ≥ 0').default(0),
    power: num('power').default(4),
    steps: z.array(count('each of steps').min(0, 'steps must be ≥ 0')).optional(),
    scales: z.array(num('each of scales')).optional(),
    lrMin: lrValue('lrMin').optional(),
    sgdrCycle: positiveSteps('sgdrCycle').optional(),
    sgdrMult: num('sgdrMult').int('sgdrMult must be a whole number (Darknet reads it with option_find_int)').min(1, 'sgdrMult must be ≥ 1').optional(),
    float32: z.boolean().default(true),
  })
  .strict()
  .superRefine((o, ctx) => {
    const misplaced = (keys: (keyof typeof o)[], policy: string) => {
      for (const k of keys) {
        if (o[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} only applies to policy '${policy}' (policy is '${o.policy}')` });
      }
    };
    if (o.policy === 'steps') {
      if (!o.steps || !o.scales) {
        ctx.addIssue({ code: 'custom', path: [o.steps ? 'scales' : 'steps'], message: "policy 'steps' needs steps and scales, e.g. { steps: [400000, 450000], scales: [0.1, 0.1] }" });
      } else {
        if (o.steps.length !== o.scales.length) {
          ctx.addIssue({ code: 'custom', path: ['scales'], message: `scales must have one factor per step: ${o.steps.length} steps, ${o.scales.length} scales` });
        }
        for (let i = 1; i < o.steps.length; i++) {
          if (o.steps[i]! < o.steps[i - 1]!) {
            ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'steps must be in ascending order (Darknet stops at the first step beyond the current batch)' });
          }
        }
      }
    } else misplaced(['steps', 'scales'], 'steps');
    if (o.policy === 'sgdr') {
      if (o.sgdrCycle === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sgdrCycle'], message: "policy 'sgdr' needs sgdrCycle, the first cycle in batches (Darknet's default is max_batches: pass that)" });
      }
    } else misplaced(['lrMin', 'sgdrCycle', 'sgdrMult'], 'sgdr');
  })
  .transform((o) => {
    const common = { lr: o.lr, burnIn: o.burnIn, power: o.power, float32: o.float32 };
    if (o.policy === 'steps') return { policy: 'steps' as const, ...common, steps: o.steps!, scales: o.scales! };
    if (o.policy === 'sgdr') {
      return { policy: 'sgdr' as const, ...common, lrMin: o.lrMin ?? 0.00001, sgdrCycle: o.sgdrCycle!, sgdrMult: o.sgdrMult ?? 2 };
    }
    return { policy: 'constant' as const, ...common };
  });

/** Options of {@link DarknetSchedule} (Darknet's `[net]` keys, camel-cased). */
export interface DarknetScheduleOptions {
  /** `learning_rate`. Required. */
  lr: number;
  /** `policy`. Default 'constant'. */
  policy?: 'constant' | 'steps' | 'sgdr';
  /** `burn_in` batches. Default 0 (none). */
  burnIn?: number;
  /** `power` of the burn-in ramp. Default 4. */
  power?: number;
  /** policy 'steps': batch numbers, ascending. */
  steps?: number[];
  /** policy 'steps': the factor applied at each step (cumulative). */
  scales?: number[];
  /** policy 'sgdr': `learning_rate_min`. Default 0.00001. */
  lrMin?: number;
  /** policy 'sgdr': `sgdr_cycle`, the first cycle in batches (Darknet defaults it to max_batches). */
  sgdrCycle?: number;
  /** policy 'sgdr': `sgdr_mult`, whole-number cycle growth. Default 2. */
  sgdrMult?: number;
  /**
   * Round as Darknet's C code does (its rates are `float`: float32 values, a float32 division
   * in the burn-in, double pow/cos). Default true; false computes everything in float64.
   */
  float32?: boolean;
}

type DarknetResolved = z.infer<typeof darknetSchema>;

const identity = (x: number) => x;

/**
 * Darknet's `get_current_rate` (AlexeyAB, SPEC §10) at batch `t`:
 * - burn-in first: for t < burnIn the lr is `lr·(t/burnIn)^power` (0 at t = 0), whatever the policy;
 * - `constant`: lr;
 * - `steps`: lr times every scale whose step is ≤ t (the scale applies from that batch on);
 * - `sgdr`: cycles of sgdrCycle·sgdrMultⁱ batches, `lrMin + ½(lr − lrMin)(1 + cos(π·k/size))`
 *   with k the batches since the cycle began. Darknet's loop advances a cycle only when
 *   `start + size < t`, so the lr reaches lrMin exactly at a cycle's last batch and restarts one
 *   batch later; the burn-in does not shift the cycles; π is Darknet's literal 3.14159265.
 *
 * `t` is Darknet's `get_current_batch()`; during iteration i (1-based) Darknet updates with the
 * rate at t = i.
 */
export class DarknetSchedule extends Schedule<DarknetResolved> {
  constructor(options: DarknetScheduleOptions) {
    super('darknet', validate(darknetSchema, options, 'DarknetSchedule()'));
  }

  lrAt(t: number): number {
    this.checkT(t);
    const o = this.options;
    const f = o.float32 ? Math.fround : identity;
    const lr = f(o.lr);
    if (t < o.burnIn) return f(lr * Math.pow(f(t / o.burnIn), f(o.power)));
    if (o.policy === 'steps') {
      let rate = lr;
      for (let i = 0; i < o.steps.length; i++) {
        if (o.steps[i]! > t) return rate;
        rate = f(rate * f(o.scales[i]!));
      }
      return rate;
    }
    if (o.policy === 'sgdr') {
      const lrMin = f(o.lrMin);
      let start = 0;
      let size = o.sgdrCycle;
      while (start + size < t) {
        start += size;
        size *= o.sgdrMult;
      }
      return f(lrMin + 0.5 * f(lr - lrMin) * (1 + Math.cos(((t - start) * DARKNET_PI) / size)));
    }
    return lr;
  }
}

// ---------------------------------------------------------------------------------------------
// YOLOv5 one_cycle / linear lambdas

const oneCycleSchema = z
  .object({
    lr0: lrValue('lr0', ': the base lr the lambda multiplies, e.g. 0.01'),
    y1: num('y1').default(1),
    y2: num('y2', ': the factor at the last step (YOLOv5 passes lrf, e.g. 0.01)'),
    steps: positiveSteps('steps', ': the steps from y1 to y2 (YOLOv5: epochs)'),
    shape: z.enum(['cosine', 'linear'], "shape must be 'cosine' (one_cycle) or 'linear'").default('cosine'),
  })
  .strict();

/** Options of {@link OneCycleSchedule}. */
export interface OneCycleScheduleOptions {
  /** Base lr the lambda multiplies (YOLOv5 `lr0`). Required. */
  lr0: number;
  /** Factor at step 0. Default 1. */
  y1?: number;
  /** Factor at step `steps` (YOLOv5 `lrf`). Required. */
  y2: number;
  /** Steps from y1 to y2 (YOLOv5: epochs). Required. */
  steps: number;
  /** 'cosine' (`one_cycle`, YOLOv5 `--cos-lr`) or 'linear' (YOLOv5's default). Default 'cosine'. */
  shape?: 'cosine' | 'linear';
}

type OneCycleResolved = z.infer<typeof oneCycleSchema>;

/**
 * YOLOv5 `one_cycle(y1, y2, steps)`: the factor `((1 − cos(x·π/steps))/2)·(y2 − y1) + y1`,
 * a half-cosine ramp from y1 at x = 0 to y2 at x = steps (beyond steps it turns back, as
 * YOLOv5's lambda does; YOLOv5 never goes there).
 */
export function oneCycle(y1 = 0, y2 = 1, steps = 100): (x: number) => number {
  return (x) => ((1 - Math.cos((x * Math.PI) / steps)) / 2) * (y2 - y1) + y1;
}

/**
 * YOLOv5's linear lambda generalised to y1: `(1 − x/steps)·(y1 − y2) + y2`; with y1 = 1 it is
 * YOLOv5 (v6.1+) `(1 − x/epochs)·(1 − lrf) + lrf` to the last bit. (Releases before v6.1 divided
 * by epochs − 1.)
 */
export function linearLambda(y1 = 1, y2 = 0, steps = 100): (x: number) => number {
  return (x) => (1 - x / steps) * (y1 - y2) + y2;
}

/**
 * YOLOv5's epoch schedule (`LambdaLR` with `one_cycle(1, lrf, epochs)` or the linear lambda):
 * `lr = lr0·λ(t)`. Worked (lr0 0.01, lrf 0.1, 10 epochs, cosine): 0.01, 0.00977975, …, 0.001.
 */
export class OneCycleSchedule extends Schedule<OneCycleResolved> {
  constructor(options: OneCycleScheduleOptions) {
    super('one-cycle', validate(oneCycleSchema, options, 'OneCycleSchedule()'));
  }

  lrAt(t: number): number {
    this.checkT(t);
    const { lr0, y1, y2, steps, shape } = this.options;
    return lr0 * (shape === 'cosine' ? oneCycle(y1, y2, steps) : linearLambda(y1, y2, steps))(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Factory

/** Options of {@link createSchedule}: a schedule's options with its `kind`. */
export type ScheduleOptions =
  | ({ kind: 'cosine-warmup-restarts' } & CosineAnnealingWarmupRestartsOptions)
  | ({ kind: 'cosine-warm-restarts' } & CosineAnnealingWarmRestartsOptions)
  | ({ kind: 'darknet' } & DarknetScheduleOptions)
  | ({ kind: 'one-cycle' } & OneCycleScheduleOptions);

/** Build a schedule from `{ kind, ...options }` (e.g. from a config file). */
export function createSchedule(options: ScheduleOptions): LrSchedule {
  const { kind, ...rest } = (options ?? {}) as ScheduleOptions;
  switch (kind) {
    case 'cosine-warmup-restarts':
      return new CosineAnnealingWarmupRestarts(rest as CosineAnnealingWarmupRestartsOptions);
    case 'cosine-warm-restarts':
      return new CosineAnnealingWarmRestarts(rest as CosineAnnealingWarmRestartsOptions);
    case 'darknet':
      return new DarknetSchedule(rest as DarknetScheduleOptions);
    case 'one-cycle':
      return new OneCycleSchedule(rest as OneCycleScheduleOptions);
    default:
      throw new ConfigError(
        `createSchedule(): kind must be 'cosine-warmup-restarts', 'cosine-warm-restarts', 'darknet' or 'one-cycle', got ${JSON.stringify(kind)}`,
      );
  }
}

/** Rebuild the schedule that saved `state`, at the saved position. */
export function scheduleFromState(state: ScheduleState): LrSchedule {
  const s = validate(stateSchema, state, 'scheduleFromState()');
  const schedule = createSchedule({ kind: s.kind, ...s.options } as ScheduleOptions);
  schedule.load(s as ScheduleState);
  return schedule;
}

/** The lr after `t` steps of the schedule `options` describes (validates each call: in loops use `lrAt` of one instance). */
export function lrAt(options: ScheduleOptions, t: number): number {
  return createSchedule(options).lrAt(t);
}
