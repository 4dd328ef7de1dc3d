/**
 * Random training shapes and dynamic batch sizes (SPEC §6), as pure functions: the
 * shape schedule (a list of sizes, or Darknet's random-resize rule) and the rules that
 * give the number of images of a batch of a given shape (Darknet `dynamic_minibatch`,
 * or a memory budget). No RxJS here: `randomShapes()` and `dynamicBatch()` are the
 * stream side.
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors.ts';
import { Rng, RngDomain } from '../core/rng.ts';

/** A network input size in pixels. */
export interface Shape {
  width: number;
  height: number;
}

/** The default list of training sizes: 320, 352, …, 608 (square, step 32). */
export const DEFAULT_SIZES: readonly number[] = Array.from({ length: 10 }, (_, i) => 320 + 32 * i);

/** Darknet's random-resize parameters (`[net] width/height`, `random` coef, `resize_step`). */
export interface DarknetShapeRule {
  /** The network size of the cfg. Default 416. */
  init: Shape;
  /** Darknet's `random=` coefficient. Default 1.4. */
  coef: number;
  /** Darknet's `resize_step`. Default 32. */
  step: number;
}

/**
 * A shape schedule as plain data: which shapes a run may use and when the shape is
 * forced to the largest one. Made by {@link makeShapeSchedule}.
 */
export interface ShapeSchedule {
  rule: 'list' | 'darknet';
  /** The list rule's sizes, in the order draws index them. */
  sizes: Shape[];
  /** The Darknet rule's parameters (rule `darknet` only). */
  darknet?: DarknetShapeRule;
  /** Batches that share one drawn shape. */
  every: number;
  /** Every shape the schedule can produce (distinct, ascending by area). */
  shapes: Shape[];
  /** The largest shape: the list's largest area, or Darknet's `max_dim` (the scale `coef`). */
  largest: Shape;
  /** The first `every` batches of a run use {@link largest}. */
  largestFirst: boolean;
  /** With `totalBatches` known, its last `largestLast` batches use {@link largest}. */
  largestLast: number;
  /** Batches in the whole run, when known. */
  totalBatches?: number;
}

/** Options of {@link makeShapeSchedule}. */
export interface ShapeScheduleOptions {
  /** `list` (default) draws from `sizes`; `darknet` applies Darknet's rule to `init`/`coef`/`step`. */
  rule?: 'list' | 'darknet';
  /** List rule: sizes (a number is a square side). Default {@link DEFAULT_SIZES}. */
  sizes?: Array<number | Shape>;
  /** Darknet rule: the cfg's network size. Default 416. */
  init?: number | Shape;
  /** Darknet rule: `random=` coefficient. Default 1.4. */
  coef?: number;
  /** Darknet rule: `resize_step`. Default 32. */
  step?: number;
  /** Batches per drawn shape. Default 10. */
  every?: number;
  /** Largest shape for the run's first `every` batches. Default: true for `darknet`, false for `list`. */
  largestFirst?: boolean;
  /** Largest shape for the run's last N batches (needs `totalBatches`). Default: 100 for `darknet`, 0 for `list`. */
  largestLast?: number;
  /** Batches in the whole run (Darknet's `max_batches`). */
  totalBatches?: number;
}

const square = (s: number | Shape): Shape => (typeof s === 'number' ? { width: s, height: s } : { width: s.width, height: s.height });
const area = (s: Shape): number => s.width * s.height;
const key = (s: Shape): string => `${s.width}x${s.height}`;

/** Distinct shapes, ascending by area (ties: narrower first). */
function distinctByArea(shapes: Shape[]): Shape[] {
  const seen = new Map<string, Shape>();
  for (const s of shapes) seen.set(key(s), s);
  return [...seen.values()].sort((a, b) => area(a) - area(b) || a.width - b.width);
}

/**
 * One side of Darknet's random resize: `roundl(scale·init/step + 1)·step`, computed in
 * float32 as Darknet's `float random_val` is (rounding half away from zero, like `roundl`).
 */
function darknetSide(scale: number, init: number, step: number): number {
  const f = Math.fround;
  const x = f(f(f(f(scale) * init) / step) + 1);
  return Math.round(x) * step;
}

/**
 * The shape Darknet's rule gives for a drawn scale (`rand_scale(coef)`: u ~ U(1, coef),
 * then u or 1/u): each side is `round(scale·init/step + 1)·step`; a scale below 1 that
 * would still give a side larger than `init` gives `init` instead; a side is at least
 * `step`. With init 416, coef 1.4, step 32 every side is one of 320, 352, …, 608: e.g.
 * scale 1.2 → 544, scale 1 → 448, scale 0.99 → 416 (clamped), scale 1/1.4 → 320.
 */
export function darknetShape(scale: number, rule: DarknetShapeRule): Shape {
  let width = darknetSide(scale, rule.init.width, rule.step);
  let height = darknetSide(scale, rule.init.height, rule.step);
  if (scale < 1 && (width > rule.init.width || height > rule.init.height)) {
    width = rule.init.width;
    height = rule.init.height;
  }
  return { width: Math.max(width, rule.step), height: Math.max(height, rule.step) };
}

/** Darknet's `max_dim`: the shape of scale `coef` (608 × 608 for 416, 1.4, 32). */
export function darknetLargest(rule: DarknetShapeRule): Shape {
  return {
    width: Math.max(darknetSide(rule.coef, rule.init.width, rule.step), rule.step),
    height: Math.max(darknetSide(rule.coef, rule.init.height, rule.step), rule.step),
  };
}

/**
 * Every shape Darknet's rule can give for scales in [1/coef, coef], and `max_dim`. Each
 * side is a step function of the scale: evaluating at every breakpoint of either side
 * (and at 1, where the clamp starts), and between consecutive ones, finds them all.
 */
export function darknetShapes(rule: DarknetShapeRule): Shape[] {
  const lo = 1 / rule.coef;
  const hi = rule.coef;
  const points = [lo, hi, 1];
  for (const init of [rule.init.width, rule.init.height]) {
    // Side m·step starts where scale·init/step + 1 reaches m − 0.5.
    for (let m = 0; m <= Math.ceil((hi * init) / rule.step) + 2; m++) {
      const s = ((m - 1.5) * rule.step) / init;
      if (s > lo && s < hi) points.push(s);
    }
  }
  points.sort((a, b) => a - b);
  const shapes: Shape[] = [darknetLargest(rule)];
  for (let i = 0; i < points.length; i++) {
    shapes.push(darknetShape(points[i]!, rule));
    if (i + 1 < points.length) shapes.push(darknetShape((points[i]! + points[i + 1]!) / 2, rule));
  }
  return distinctByArea(shapes);
}

/** Validate schedule options and make the schedule (configuration errors throw {@link ConfigError}). */
export function makeShapeSchedule(options: ShapeScheduleOptions = {}): ShapeSchedule {
  const rule = options.rule ?? 'list';
  const every = options.every ?? 10;
  if (!Number.isInteger(every) || every < 1) throw new ConfigError(`every must be a whole number of batches ≥ 1, e.g. every: 10 (got ${every})`);
  const isDarknet = rule === 'darknet';
  const largestLast = options.largestLast ?? (isDarknet ? 100 : 0);
  if (!Number.isInteger(largestLast) || largestLast < 0) throw new ConfigError(`largestLast must be a whole number ≥ 0 (got ${largestLast})`);
  const common = {
    every,
    largestFirst: options.largestFirst ?? isDarknet,
    largestLast,
    totalBatches: options.totalBatches,
  };
  if (isDarknet) {
    const darknet: DarknetShapeRule = { init: square(options.init ?? 416), coef: options.coef ?? 1.4, step: options.step ?? 32 };
    return { rule, sizes: [], darknet, shapes: darknetShapes(darknet), largest: darknetLargest(darknet), ...common };
  }
  const sizes = (options.sizes ?? [...DEFAULT_SIZES]).map(square);
  if (sizes.length === 0) throw new ConfigError('sizes must list at least one size, e.g. sizes: [320, 416, 512, 608]');
  const largest = sizes.reduce((a, b) => (area(b) > area(a) ? b : a));
  return { rule, sizes, shapes: distinctByArea(sizes), largest, ...common };
}

/** Where a batch sits in the run. */
export interface BatchPosition {
  /** The epoch its samples come from (part of the RNG key). */
  epoch: number;
  /** Its ordinal within that epoch, from 0 (blocks of `every` batches restart each epoch). */
  batch: number;
  /** Its ordinal within the whole run, from 0 (for the largest-first and largest-last rules). */
  runBatch: number;
}

/**
 * The shape of one batch. Batches `every·j … every·j + every − 1` of an epoch share the
 * shape drawn from the stream keyed `(Shapes, seed, epoch, j)`, so the schedule is the
 * same whatever the workers do, and differs between epochs. Draws: list rule — one
 * `int(0, sizes.length − 1)` picks the size; Darknet rule — `uniform(1, coef)` then
 * `chance(0.5)` (true keeps u, false takes 1/u), as Darknet's `rand_scale`. The run's
 * first `every` batches (`largestFirst`) and, with `totalBatches`, its last `largestLast`
 * batches take the largest shape without drawing.
 */
export function scheduleShape(schedule: ShapeSchedule, seed: number, at: BatchPosition): Shape {
  const { largest } = schedule;
  if (schedule.largestFirst && at.runBatch < schedule.every) return { ...largest };
  if (schedule.totalBatches !== undefined && schedule.largestLast > 0 && at.runBatch >= schedule.totalBatches - schedule.largestLast) {
    return { ...largest };
  }
  const rng = new Rng(RngDomain.Shapes, seed, at.epoch, Math.floor(at.batch / schedule.every));
  if (schedule.rule === 'darknet') {
    const d = schedule.darknet!;
    const u = rng.uniform(1, d.coef);
    return darknetShape(rng.chance(0.5) ? u : 1 / u, d);
  }
  return { ...schedule.sizes[rng.int(0, schedule.sizes.length - 1)]! };
}

// ---------------------------------------------------------------------------------
// Batch-size rules

/** Images in a batch of a given shape. */
export type BatchSizeRule = (shape: Shape) => number;

/**
 * Darknet `dynamic_minibatch` with its integer arithmetic: b = ⌊b0·Hmax·Wmax / (H·W)⌋
 * (C int division), then b' = (int)(b·0.8) replaces b when b' > b0. `largest` is the
 * shape b0 is meant for. Worked: b0 16, 608² → 320²: ⌊16·369664/102400⌋ = ⌊57.76⌋ = 57,
 * ⌊57·0.8⌋ = ⌊45.6⌋ = 45 > 16, so 45. At 608² it stays 16 (⌊12.8⌋ = 12 is not > 16).
 * The 0.8 step is not monotone in the shape: 544² gives 19 (15 is not > 16) while 512²
 * gives 17. Never below 1.
 */
export function darknetBatchSize(base: number, shape: Shape, largest: Shape): number {
  let b = Math.floor((base * largest.width * largest.height) / (shape.width * shape.height));
  const smaller = Math.trunc(b * 0.8);
  if (smaller > base) b = smaller;
  return Math.max(1, b);
}

/**
 * The default per-image memory factor: YOLOv4 (yolov4.cfg, 162 layers) keeps 1071.5 float32
 * values per input pixel for backpropagation (each convolution's output, its batch-norm
 * output and its activation; route, shortcut, max-pool and upsample outputs), which is
 * 357 times the 3 floats of the input pixel itself: ≈ 1.48 GiB per 608 × 608 image.
 * test/reference/activation-memory.py derives it. Weights, gradients of weights and
 * optimiser state do not grow with the batch: leave them out of the budget.
 */
export const YOLOV4_ACTIVATION_FACTOR = 357;

/**
 * Default bytes one image of a batch costs a training step: the float32 input
 * (H·W·3·4 bytes) × `factor` (default {@link YOLOV4_ACTIVATION_FACTOR}, for YOLOv4's activations).
 */
export function defaultBytesPerImage(shape: Shape, factor = YOLOV4_ACTIVATION_FACTOR): number {
  return shape.width * shape.height * 3 * 4 * factor;
}

/**
 * Memory-budget rule: b = ⌊budgetBytes / bytesPerImage(shape)⌋, never below 1. Worked
 * (default bytes per image): 2 GiB at 320² → ⌊2147483648 / 438681600⌋ = 4; at 608² → 1.
 */
export function memoryBatchSize(
  budgetBytes: number,
  shape: Shape,
  bytesPerImage: (shape: Shape) => number = defaultBytesPerImage,
): number {
  const per = bytesPerImage(shape);
  if (!(per > 0)) throw new ConfigError(`bytesPerImage must be > 0 bytes (got ${per} for ${key(shape)})`);
  return Math.max(1, Math.floor(budgetBytes / per));
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Bytes from a number or a size string: `'2GiB'` = 2·2³⁰, `'512MiB'`, `'1.5 GB'` = 1.5·10⁹
 * (kB/MB/GB/TB are decimal, KiB/MiB/GiB/TiB binary, units case-insensitive).
 */
export function parseBytes(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`a memory size must be a number of bytes > 0 (got ${value})`);
    return Math.floor(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new ConfigError(`"${value}" is not a memory size: pass bytes (2147483648) or a string like '2GiB', '512MiB', '1.5GB'`);
  }
  return Math.floor(Number(m[1]) * unit);
}

/** The largest batch a rule gives over every shape of a schedule (what demand must allow in flight). */
export function maxBatchSize(rule: BatchSizeRule, shapes: readonly Shape[]): number {
  return shapes.reduce((m, s) => Math.max(m, rule(s)), 1);
}
