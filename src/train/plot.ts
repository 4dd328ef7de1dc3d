/**
 * The end-of-run plot of a training log: a self-contained HTML page (inline SVG, no
 * scripts, fonts or network) with the loss and each loss part against step (raw and a
 * moving average), the learning rate, images/s and, when the log holds validation
 * records, mAP@.5 / mAP@.5:.95 (/ mAP@.75) against step; the run's summary on top. Next to
 * the page, a PNG of the same charts rasterised by sharp (librsvg).
 *
 * The log is the trainer's JSONL ({@link StepRecord}, one line per batch) in which
 * validation records (`{ epoch, step, map, map50, map75 }`, any object with a numeric
 * `map` or `map50`) may be interleaved. Lines that are not JSON objects, and step
 * records without a step, are skipped and counted ("malformed"); non-finite values
 * (`null`, which is what `JSON.stringify` makes of NaN/Infinity, or the bare `NaN` /
 * `Infinity` tokens Python's json writes) are left out of their series and counted.
 * When the steps go backwards, the log holds several runs appended one after the other
 * (the trainer appends): the last run is plotted and the earlier ones are counted.
 *
 * Text in the PNG is drawn with our bitmap font (src/render/font.ts) as SVG paths, so
 * the PNG is readable on a machine without fonts; the HTML uses real `<text>`.
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ConfigError } from '../core/errors.ts';
import { FONT, glyph, measureText } from '../render/font.ts';
import type { SatRecord, StepRecord } from './trainer.ts';

/** A validation record interleaved in the training log (mAP values in [0, 1]). */
export interface ValidationRecord {
  epoch?: number;
  /** The step the validation ran after (the previous step record's step when missing). */
  step: number;
  /** mAP@.5:.95 (COCO). */
  map?: number;
  map50?: number;
  map75?: number;
}

/** A training log split into its step and validation records, with what was skipped. */
export interface ParsedTrainingLog {
  /** The step records of the plotted (last) run, in log order. */
  steps: StepRecord[];
  /** The validation records of the plotted run, in log order. */
  validations: ValidationRecord[];
  /** Lines (or array items) that were not JSON objects, or step records without a finite step. */
  malformed: number;
  /** 1-based line numbers (array indices + 1) of the first malformed entries (at most 20). */
  malformedLines: number[];
  /** Records of the plotted run with a non-finite loss, loss part, lr, images/s or mAP value (those values are left out). */
  nonFinite: number;
  /** JSON objects that are neither step nor validation records (left out). */
  ignored: number;
  /** Runs before the plotted one (the steps went backwards this many times). */
  earlierRuns: number;
}

/** The run's numbers shown at the top of the page. */
export interface TrainingSummary {
  /** Step records plotted (batches). */
  steps: number;
  /** The last step record's `step` and `updates`. */
  lastStep: number | undefined;
  updates: number | undefined;
  /** Images trained on (the sum of the records' `images`). */
  images: number;
  /** The last finite total loss, and its moving average at the end of the run. */
  finalLoss: number | undefined;
  finalLossAverage: number | undefined;
  /** The lowest finite total loss and its step. */
  minLoss: { value: number; step: number } | undefined;
  /** Images per second over the run: images / (Σ dataWaitMs + Σ stepMs). */
  imagesPerSecond: number | undefined;
  /** Share of the run's time spent waiting for batches. */
  dataWaitShare: number | undefined;
  validations: number;
  /** The best mAP@.5:.95 and mAP@.5 and where they were reached (first best). */
  bestMap: { value: number; step: number; epoch?: number } | undefined;
  bestMap50: { value: number; step: number; epoch?: number } | undefined;
  /** The moving-average window (records) used for the loss and images/s lines. */
  window: number;
}

/** One chart: an id (`loss`, `part-box`, `sat-loss`, `lr`, `images-per-second`, `map`), its title and the SVG element. */
export interface TrainingChart {
  id: string;
  title: string;
  svg: string;
}

/** What {@link renderTrainingPlotSvg} returns. */
export interface RenderedTrainingPlot {
  charts: TrainingChart[];
  summary: TrainingSummary;
  log: ParsedTrainingLog;
}

/** Options of {@link renderTrainingPlotSvg} and {@link plotTrainingLog}. */
export interface TrainingPlotOptions {
  /** Moving-average window in records. Default: max(5, ⌈n / 25⌉), at most n. */
  window?: number;
  /**
   * Most points drawn per line: longer series are thinned to the min and max of equal
   * buckets (spikes stay visible). Default 2000.
   */
  maxPoints?: number;
  /** Chart size in SVG units. Default 520×300. */
  width?: number;
  height?: number;
  /** Page title. Default "Training run". */
  title?: string;
}

/** Options of {@link plotTrainingLog}. */
export interface PlotTrainingLogOptions extends TrainingPlotOptions {
  /** Write a PNG next to the page (same name, `.png`). Default true. */
  png?: boolean;
  /** PNG pixels per SVG unit. Default 2. */
  pngScale?: number;
}

/** What {@link plotTrainingLog} wrote. */
export interface PlotTrainingLogResult {
  html: string;
  /** The PNG's path, when one was written. */
  png?: string;
  /** Why no PNG was written (disabled, empty log, or sharp could not render the SVG). */
  pngSkipped?: string;
  /** The PNG's size in pixels, when one was written. */
  pngSize?: { width: number; height: number };
  summary: TrainingSummary;
  log: ParsedTrainingLog;
}

// ---------------------------------------------------------------------------------------
// Parsing

const KNOWN_PARTS = ['box', 'objectness', 'classes', 'positives'];
const MAX_MALFORMED_LINES = 20;

/** A number, or NaN for anything else (null is how JSON writes a non-finite value). */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's json writes bare NaN / Infinity; read them as null (non-finite) rather than as a broken line. */
const BARE_NON_FINITE = /([:\[,]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g;

/**
 * Parse a JSONL training log (see the module comment). Blank lines are not counted.
 */
export function parseTrainingLog(text: string): ParsedTrainingLog {
  const items: { value: unknown; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      try {
        value = JSON.parse(line.replace(BARE_NON_FINITE, '$1null'));
      } catch {
        value = undefined;
      }
    }
    items.push({ value, line: i + 1 });
  }
  return collect(items);
}

/** Split in-memory records (e.g. the trainer's `onStep` records) like {@link parseTrainingLog}. */
export function collectTrainingRecords(records: readonly unknown[]): ParsedTrainingLog {
  return collect(records.map((value, i) => ({ value, line: i + 1 })));
}

function collect(items: readonly { value: unknown; line: number }[]): ParsedTrainingLog {
  let steps: StepRecord[] = [];
  let validations: ValidationRecord[] = [];
  const malformedLines: number[] = [];
  let malformed = 0;
  let ignored = 0;
  let earlierRuns = 0;
  let lastStep: number | undefined;
  const bad = (line: number): void => {
    malformed++;
    if (malformedLines.length < MAX_MALFORMED_LINES) malformedLines.push(line);
  };
  for (const { value, line } of items) {
    if (!isObject(value)) {
      bad(line);
      continue;
    }
    if (typeof value.map === 'number' || typeof value.map50 === 'number') {
      const step = Number.isFinite(num(value.step)) ? num(value.step) : lastStep;
      if (step === undefined) {
        bad(line);
        continue;
      }
      const v: ValidationRecord = { step };
      if (Number.isFinite(num(value.epoch))) v.epoch = num(value.epoch);
      for (const k of ['map', 'map50', 'map75'] as const) if (k in value) v[k] = num(value[k]);
      validations.push(v);
      continue;
    }
    if (!('loss' in value) && !('parts' in value)) {
      ignored++;
      continue;
    }
    const step = num(value.step);
    if (!Number.isFinite(step)) {
      bad(line);
      continue;
    }
    if (lastStep !== undefined && step <= lastStep) {
      // A new run appended to the same file: start over, keep count.
      earlierRuns++;
      steps = [];
      validations = [];
    }
    lastStep = step;
    const parts: Record<string, number> = {};
    if (isObject(value.parts)) for (const [k, p] of Object.entries(value.parts)) parts[k] = num(p);
    steps.push({
      step,
      updates: num(value.updates),
      images: num(value.images),
      lr: num(value.lr),
      loss: num(value.loss),
      parts,
      dataWaitMs: num(value.dataWaitMs),
      stepMs: num(value.stepMs),
      imagesPerSecond: num(value.imagesPerSecond),
      ...(isObject(value.sat) ? { sat: value.sat as unknown as SatRecord } : {}),
    });
  }
  let nonFinite = 0;
  for (const r of steps) {
    const values = [r.loss, r.lr, r.imagesPerSecond, ...Object.values(r.parts)];
    if (values.some((v) => !Number.isFinite(v))) nonFinite++;
  }
  for (const v of validations) {
    if ((['map', 'map50', 'map75'] as const).some((k) => k in v && !Number.isFinite(v[k]!))) nonFinite++;
  }
  return { steps, validations, malformed, malformedLines, nonFinite, ignored, earlierRuns };
}

// ---------------------------------------------------------------------------------------
// Numbers

/** Trailing moving average: point i is the mean of values max(0, i − w + 1)..i. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const w = Math.max(1, Math.floor(window));
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= w) sum -= values[i - w]!;
    out[i] = sum / Math.min(i + 1, w);
  }
  return out;
}

/** The default moving-average window for n records. */
export function defaultWindow(n: number): number {
  return Math.max(1, Math.min(n, Math.max(5, Math.ceil(n / 25))));
}

/** A linear axis: [lo, hi] ⊇ the data range, on multiples of `step` (1, 2 or 5 × 10^k). */
export interface Axis {
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
}

/**
 * A "nice" axis covering [min, max] with about `count` intervals. A zero-width range is
 * widened by 10 % of its value (or ±1 at zero); `integer` keeps the step ≥ 1; `tight`
 * keeps [lo, hi] = [min, max] with only the ticks inside (the step axis: no empty tail).
 */
export function niceAxis(min: number, max: number, count = 5, integer = false, tight = false): Axis {
  if (!(max > min)) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  let step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  if (integer) step = Math.max(1, step);
  let lo = Math.floor(min / step) * step;
  let hi = Math.ceil(max / step) * step;
  // Floating-point division can land a hair on the wrong side of a multiple.
  if (lo > min) lo -= step;
  if (hi < max) hi += step;
  const n = Math.round((hi - lo) / step);
  const ticks: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = Number((lo + i * step).toPrecision(12));
    if (!tight || (t >= min - step * 1e-9 && t <= max + step * 1e-9)) ticks.push(t);
  }
  return tight ? { lo: min, hi: max, step, ticks } : { lo, hi, step, ticks };
}

/** A tick label: as many decimals as the step needs, `k`/`M` for large values, exponent for tiny steps. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(step);
  if (a >= 1e6 && Math.abs(v) >= 1e6) return `${Number((v / 1e6).toPrecision(6))}M`;
  if (a >= 1e3 && Math.abs(v) >= 1e4) return `${Number((v / 1e3).toPrecision(6))}k`;
  const decimals = Math.max(0, -Math.floor(Math.log10(a) + 1e-9));
  if (decimals > 4) return v.toExponential(Math.max(0, Math.round(Math.log10(Math.abs(v) / a) + 1e-9)));
  return v.toFixed(decimals);
}

/** A value for the summary: 4 significant digits. */
function formatValue(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/** Thin a series to at most `max` points: the min and max of equal buckets, in step order. */
function thin(points: readonly [number, number][], max: number): [number, number][] {
  if (points.length <= max || max < 2) return points.slice();
  const buckets = Math.floor(max / 2);
  const out: [number, number][] = [];
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor((b * points.length) / buckets);
    const e = Math.floor(((b + 1) * points.length) / buckets);
    let lo = s;
    let hi = s;
    for (let i = s + 1; i < e; i++) {
      if (points[i]![1] < points[lo]![1]) lo = i;
      if (points[i]![1] > points[hi]![1]) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else if (lo < hi) out.push(points[lo]!, points[hi]!);
    else out.push(points[hi]!, points[lo]!);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// SVG

/** `s` with XML's special characters escaped (for SVG text and attributes). */
export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** How {@link svgText} writes text: a `<text>` element, or our font's pixels as a path (no font needed to rasterise). */
export type TextMode = 'text' | 'bitmap';
type Anchor = 'start' | 'middle' | 'end';

const INK = '#222';
const GRID = '#e3e3e3';
const MUTED = '#666';
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/**
 * `s` centred vertically on y. In bitmap mode each glyph pixel is a unit square of a
 * path (our font, so no font is needed to rasterise it); x and y are rounded so the
 * squares fall on whole pixels.
 */
export function svgText(mode: TextMode, s: string, x: number, y: number, o: { anchor?: Anchor; color?: string; size?: number; rotate?: boolean; bold?: boolean } = {}): string {
  const anchor = o.anchor ?? 'start';
  const color = o.color ?? INK;
  if (mode === 'text') {
    const rot = o.rotate ? ` transform="rotate(-90 ${x} ${y})"` : '';
    return `<text x="${x}" y="${y}" text-anchor="${anchor}" dominant-baseline="middle" font-size="${o.size ?? 11}"${o.bold ? ' font-weight="bold"' : ''} fill="${color}"${rot}>${escapeXml(s)}</text>`;
  }
  const { width } = measureText(s, 1);
  const dx = anchor === 'start' ? 0 : anchor === 'middle' ? -Math.round(width / 2) : -width;
  // Capitals and digits sit on rows 0..6: centre those.
  const dy = -4;
  let d = '';
  for (let i = 0; i < s.length; i++) {
    const rows = glyph(s[i]!);
    const gx = dx + i * FONT.advance;
    for (let r = 0; r < FONT.height; r++) {
      const bits = rows[r]!;
      let c = 0;
      while (c < FONT.width) {
        if (((bits >> (FONT.width - 1 - c)) & 1) === 0) {
          c++;
          continue;
        }
        let e = c;
        while (e < FONT.width && ((bits >> (FONT.width - 1 - e)) & 1) === 1) e++;
        d += `M${gx + c} ${dy + r}h${e - c}v1h${c - e}z`;
        c = e;
      }
    }
  }
  if (d === '') return '';
  const t = `translate(${Math.round(x)} ${Math.round(y)})${o.rotate ? ' rotate(-90)' : ''}`;
  return `<path transform="${t}" fill="${color}" shape-rendering="crispEdges" d="${d}"/>`;
}

interface Series {
  key: string;
  label: string;
  color: string;
  points: [number, number][];
  width: number;
  opacity?: number;
  markers?: boolean;
}

interface ChartSpec {
  id: string;
  title: string;
  yLabel: string;
  series: Series[];
  /** Whether the y axis starts at 0 (mAP). */
  zeroBased?: boolean;
  /** Shared x range (the run's steps) so the charts line up. */
  xMin: number;
  xMax: number;
}

const MARGIN = { left: 62, right: 14, top: 34, bottom: 40 };

/** The chart's inner SVG (without the outer element), and the data attributes. */
function chartBody(spec: ChartSpec, mode: TextMode, W: number, H: number, maxPoints: number): { body: string; attrs: string } {
  const PW = W - MARGIN.left - MARGIN.right;
  const PH = H - MARGIN.top - MARGIN.bottom;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of spec.series) {
    for (const [, y] of s.points) {
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
  }
  if (!Number.isFinite(yMin)) {
    yMin = 0;
    yMax = 1;
  }
  // Start the step axis at 0 when the run starts near it, so 0 gets a tick.
  const x0 = spec.xMin > 0 && spec.xMin <= 0.05 * spec.xMax ? 0 : spec.xMin;
  const xa = niceAxis(x0, spec.xMax, 6, true, true);
  const ya = niceAxis(spec.zeroBased ? Math.min(0, yMin) : yMin, yMax, 5);
  const px = (x: number): number => MARGIN.left + ((x - xa.lo) / (xa.hi - xa.lo)) * PW;
  const py = (y: number): number => MARGIN.top + (1 - (y - ya.lo) / (ya.hi - ya.lo)) * PH;
  const f1 = (v: number): string => String(Math.round(v * 10) / 10);
  const out: string[] = [];
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  // Grid and ticks.
  for (const t of ya.ticks) {
    const y = f1(py(t));
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + PW}" y1="${y}" y2="${y}" stroke="${GRID}" stroke-width="1"/>`);
    out.push(`<line x1="${MARGIN.left - 4}" x2="${MARGIN.left}" y1="${y}" y2="${y}" stroke="${INK}" stroke-width="1"/>`);
    out.push(svgText(mode, formatTick(t, ya.step), MARGIN.left - 7, py(t), { anchor: 'end', color: MUTED, size: 10 }));
  }
  for (const t of xa.ticks) {
    const x = f1(px(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + PH}" stroke="${GRID}" stroke-width="1"/>`);
    out.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + PH}" y2="${MARGIN.top + PH + 4}" stroke="${INK}" stroke-width="1"/>`);
    out.push(svgText(mode, formatTick(t, xa.step), px(t), MARGIN.top + PH + 13, { anchor: 'middle', color: MUTED, size: 10 }));
  }
  // Axes.
  out.push(`<path d="M${MARGIN.left} ${MARGIN.top}V${MARGIN.top + PH}H${MARGIN.left + PW}" fill="none" stroke="${INK}" stroke-width="1.2"/>`);
  out.push(svgText(mode, 'step', MARGIN.left + PW / 2, H - 9, { anchor: 'middle', size: 11 }));
  out.push(svgText(mode, spec.yLabel, 13, MARGIN.top + PH / 2, { anchor: 'middle', rotate: true, size: 11 }));
  out.push(svgText(mode, spec.title, MARGIN.left, 12, { size: 13, bold: true }));
  // Legend: top right, one swatch per labelled series.
  let lx = W - MARGIN.right;
  const legend: string[] = [];
  for (const s of [...spec.series].reverse()) {
    if (s.label === '') continue;
    const tw = mode === 'bitmap' ? measureText(s.label, 1).width : s.label.length * 6.2;
    lx -= tw;
    legend.push(svgText(mode, s.label, lx, 26, { size: 10, color: INK }));
    lx -= 22;
    legend.push(`<line x1="${lx}" x2="${lx + 16}" y1="26" y2="26" stroke="${s.color}" stroke-width="${Math.max(2, s.width)}"${s.opacity ? ` stroke-opacity="${s.opacity}"` : ''}/>`);
    lx -= 12;
  }
  out.push(...legend);
  // Lines.
  for (const s of spec.series) {
    const pts = thin(s.points, maxPoints);
    const coords = pts.map(([x, y]) => `${f1(px(x))},${f1(py(y))}`).join(' ');
    out.push(
      `<polyline data-series="${escapeXml(s.key)}" data-count="${s.points.length}" points="${coords}" fill="none" stroke="${s.color}" stroke-width="${s.width}" stroke-linejoin="round" stroke-linecap="round"${s.opacity ? ` stroke-opacity="${s.opacity}"` : ''}/>`,
    );
    if (s.markers) {
      for (const [x, y] of pts) {
        const tip = mode === 'text' ? `<title>${escapeXml(`${s.label} ${formatValue(y)} at step ${x}`)}</title>` : '';
        out.push(`<circle cx="${f1(px(x))}" cy="${f1(py(y))}" r="3" fill="${s.color}">${tip}</circle>`);
      }
    }
  }
  const attrs = `data-chart="${escapeXml(spec.id)}" data-x-min="${xa.lo}" data-x-max="${xa.hi}" data-y-min="${ya.lo}" data-y-max="${ya.hi}"`;
  return { body: out.join(''), attrs };
}

function finitePoints(steps: readonly StepRecord[], value: (r: StepRecord) => number): [number, number][] {
  const pts: [number, number][] = [];
  for (const r of steps) {
    const v = value(r);
    if (Number.isFinite(v)) pts.push([r.step, v]);
  }
  return pts;
}

function withAverage(key: string, label: string, color: string, pts: [number, number][], window: number): Series[] {
  const avg = movingAverage(
    pts.map((p) => p[1]),
    window,
  );
  return [
    { key, label, color, points: pts, width: 1, opacity: 0.35 },
    { key: `${key}-avg`, label: `mean of ${window}`, color, points: pts.map((p, i) => [p[0], avg[i]!]), width: 2 },
  ];
}

function partKeys(steps: readonly StepRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of steps) for (const k of Object.keys(r.parts)) seen.add(k);
  const known = KNOWN_PARTS.filter((k) => seen.has(k));
  const rest = [...seen].filter((k) => !KNOWN_PARTS.includes(k)).sort();
  return [...known, ...rest];
}

function chartSpecs(log: ParsedTrainingLog, window: number): ChartSpec[] {
  const { steps, validations } = log;
  const xs = [...steps.map((r) => r.step), ...validations.map((v) => v.step)];
  if (xs.length === 0) return [];
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const specs: ChartSpec[] = [];
  if (steps.length > 0) {
    specs.push({ id: 'loss', title: 'Loss', yLabel: 'loss', xMin, xMax, series: withAverage('loss', 'loss', PALETTE[0]!, finitePoints(steps, (r) => r.loss), window) });
    partKeys(steps).forEach((k, i) => {
      const color = PALETTE[(i + 1) % PALETTE.length]!;
      specs.push({ id: `part-${k}`, title: `Loss part: ${k}`, yLabel: k, xMin, xMax, series: withAverage(`part-${k}`, k, color, finitePoints(steps, (r) => num(r.parts[k])), window) });
    });
    // Self-Adversarial Training: the loss of a batch's adversarial and of its clean images, each alone.
    const adversarial = finitePoints(steps, (r) => num(r.sat?.lossAdversarial));
    if (adversarial.length > 0) {
      specs.push({
        id: 'sat-loss',
        title: 'SAT: loss on adversarial vs clean images',
        yLabel: 'loss',
        xMin,
        xMax,
        series: [
          ...withAverage('sat-adversarial', 'adversarial', PALETTE[3]!, adversarial, window),
          ...withAverage('sat-clean', 'clean', PALETTE[2]!, finitePoints(steps, (r) => num(r.sat?.lossClean)), window),
        ],
      });
    }
    specs.push({ id: 'lr', title: 'Learning rate', yLabel: 'lr', xMin, xMax, series: [{ key: 'lr', label: 'lr', color: PALETTE[4]!, points: finitePoints(steps, (r) => r.lr), width: 2 }] });
    specs.push({
      id: 'images-per-second',
      title: 'Throughput',
      yLabel: 'images/s',
      xMin,
      xMax,
      series: withAverage('images-per-second', 'images/s', PALETTE[5]!, finitePoints(steps, (r) => r.imagesPerSecond), window),
    });
  }
  const mapSeries: Series[] = [];
  const mapKinds = [
    ['map50', 'mAP@.5', PALETTE[2]!],
    ['map', 'mAP@.5:.95', PALETTE[0]!],
    ['map75', 'mAP@.75', PALETTE[3]!],
  ] as const;
  for (const [k, label, color] of mapKinds) {
    // mAP is −1 where no class had a ground truth (pycocotools): nothing to plot there.
    const pts = validations.filter((v) => Number.isFinite(v[k]) && v[k]! >= 0).map((v): [number, number] => [v.step, v[k]!]);
    if (pts.length > 0) mapSeries.push({ key: k, label, color, points: pts, width: 2, markers: true });
  }
  if (mapSeries.length > 0) specs.push({ id: 'map', title: 'Validation mAP', yLabel: 'mAP', xMin, xMax, zeroBased: true, series: mapSeries });
  return specs;
}

function best(validations: readonly ValidationRecord[], k: 'map' | 'map50'): TrainingSummary['bestMap'] {
  let b: TrainingSummary['bestMap'];
  for (const v of validations) {
    const x = v[k];
    if (x === undefined || !Number.isFinite(x) || x < 0) continue;
    if (b === undefined || x > b.value) b = { value: x, step: v.step, ...(v.epoch !== undefined ? { epoch: v.epoch } : {}) };
  }
  return b;
}

/** The run's summary numbers (see {@link TrainingSummary}). */
export function summarizeTrainingLog(log: ParsedTrainingLog, window = defaultWindow(log.steps.length)): TrainingSummary {
  const { steps } = log;
  const losses = finitePoints(steps, (r) => r.loss);
  let images = 0;
  let waitMs = 0;
  let busyMs = 0;
  for (const r of steps) {
    if (Number.isFinite(r.images)) images += r.images;
    if (Number.isFinite(r.dataWaitMs)) waitMs += r.dataWaitMs;
    if (Number.isFinite(r.stepMs)) busyMs += r.stepMs;
  }
  let minLoss: TrainingSummary['minLoss'];
  for (const [step, value] of losses) if (minLoss === undefined || value < minLoss.value) minLoss = { value, step };
  const avg = movingAverage(
    losses.map((p) => p[1]),
    window,
  );
  const last = steps.at(-1);
  const total = waitMs + busyMs;
  return {
    steps: steps.length,
    lastStep: last?.step,
    updates: last && Number.isFinite(last.updates) ? last.updates : undefined,
    images,
    finalLoss: losses.at(-1)?.[1],
    finalLossAverage: avg.at(-1),
    minLoss,
    imagesPerSecond: total > 0 ? images / (total / 1000) : undefined,
    dataWaitShare: total > 0 ? waitMs / total : undefined,
    validations: log.validations.length,
    bestMap: best(log.validations, 'map'),
    bestMap50: best(log.validations, 'map50'),
    window,
  };
}

function toLog(records: readonly object[] | ParsedTrainingLog): ParsedTrainingLog {
  if (Array.isArray(records)) return collectTrainingRecords(records);
  if (isObject(records) && Array.isArray(records.steps) && Array.isArray(records.validations)) return records as ParsedTrainingLog;
  throw new ConfigError('renderTrainingPlotSvg: pass an array of log records (StepRecord and validation objects) or the result of parseTrainingLog()');
}

function resolved(options: TrainingPlotOptions, n: number): { window: number; maxPoints: number; W: number; H: number } {
  const window = options.window ?? defaultWindow(n);
  const maxPoints = options.maxPoints ?? 2000;
  const W = options.width ?? 520;
  const H = options.height ?? 300;
  if (!(Number.isInteger(window) && window >= 1)) throw new ConfigError(`training plot: window must be a whole number ≥ 1 (got ${window})`);
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) throw new ConfigError(`training plot: maxPoints must be a whole number ≥ 2 (got ${maxPoints})`);
  if (!(W >= 200 && H >= 150)) throw new ConfigError(`training plot: width/height must be at least 200×150 (got ${W}×${H})`);
  return { window, maxPoints, W, H };
}

/**
 * The charts of a training log as standalone SVG elements (real `<text>`, for a page):
 * `loss`, one `part-<name>` per loss part, `lr`, `images-per-second` and, when there are
 * validation records, `map`. Each `<svg>` carries `data-chart`, `data-x-min/max` and
 * `data-y-min/max` (the axis ranges); each `<polyline>` `data-series` and `data-count`
 * (the number of data points, before thinning to `maxPoints`). An empty log gives no charts.
 */
export function renderTrainingPlotSvg(records: readonly object[] | ParsedTrainingLog, options: TrainingPlotOptions = {}): RenderedTrainingPlot {
  const log = toLog(records);
  const o = resolved(options, log.steps.length);
  const charts = chartSpecs(log, o.window).map((spec) => {
    const { body, attrs } = chartBody(spec, 'text', o.W, o.H, o.maxPoints);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${o.W}" height="${o.H}" viewBox="0 0 ${o.W} ${o.H}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" role="img" aria-label="${escapeXml(spec.title)}" ${attrs}>${body}</svg>`;
    return { id: spec.id, title: spec.title, svg };
  });
  return { charts, summary: summarizeTrainingLog(log, o.window), log };
}

/** The summary as short `label value` pairs (for the page and the PNG header). */
function summaryPairs(s: TrainingSummary): [string, string][] {
  const pairs: [string, string][] = [
    ['steps', s.lastStep !== undefined && s.lastStep !== s.steps ? `${s.steps} (last ${s.lastStep})` : String(s.steps)],
    ['images', String(s.images)],
    ['final loss', formatValue(s.finalLoss)],
    [`final loss (mean of ${s.window})`, formatValue(s.finalLossAverage)],
  ];
  if (s.minLoss) pairs.push(['min loss', `${formatValue(s.minLoss.value)} @ ${s.minLoss.step}`]);
  if (s.updates !== undefined) pairs.push(['updates', String(s.updates)]);
  if (s.imagesPerSecond !== undefined) pairs.push(['images/s', formatValue(s.imagesPerSecond)]);
  if (s.dataWaitShare !== undefined) pairs.push(['data wait', `${(s.dataWaitShare * 100).toFixed(1)}%`]);
  const at = (b: NonNullable<TrainingSummary['bestMap']>): string => `${formatValue(b.value)} @ ${b.step}${b.epoch !== undefined ? ` (epoch ${b.epoch})` : ''}`;
  pairs.push(['best mAP@.5:.95', s.bestMap ? at(s.bestMap) : '–']);
  if (s.bestMap50) pairs.push(['best mAP@.5', at(s.bestMap50)]);
  return pairs;
}

function notes(log: ParsedTrainingLog): string[] {
  const n: string[] = [];
  if (log.malformed > 0) {
    const more = log.malformed > log.malformedLines.length ? ', …' : '';
    n.push(`${log.malformed} malformed line${log.malformed === 1 ? '' : 's'} skipped (line${log.malformed === 1 ? '' : 's'} ${log.malformedLines.join(', ')}${more})`);
  }
  if (log.nonFinite > 0) n.push(`${log.nonFinite} record${log.nonFinite === 1 ? '' : 's'} with non-finite values (NaN/Infinity); those values are left out of the charts`);
  if (log.ignored > 0) n.push(`${log.ignored} record${log.ignored === 1 ? '' : 's'} that are neither step nor validation records ignored`);
  if (log.earlierRuns > 0) n.push(`the log holds ${log.earlierRuns + 1} runs appended one after another; the last one is plotted`);
  return n;
}

/** The self-contained HTML page of a rendered plot. */
function page(plot: RenderedTrainingPlot, title: string, png: string | undefined): string {
  const pairs = summaryPairs(plot.summary);
  const list = notes(plot.log);
  const empty = plot.charts.length === 0;
  const css = [
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}",
    'h1{font-size:20px;margin:0 0 12px}',
    '.summary{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}',
    '.stat{background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px 10px}',
    '.stat b{display:block;font-size:16px}.stat span{font-size:11px;color:#666}',
    '.notes{color:#8a4b00;font-size:13px;margin:0 0 12px}',
    '.charts{display:flex;flex-wrap:wrap;gap:12px}',
    '.charts svg{background:#fff;border:1px solid #ddd;border-radius:6px;max-width:100%;height:auto}',
    '.empty{font-size:16px;color:#666}',
  ].join('');
  const body: string[] = [`<h1>${escapeXml(title)}</h1>`];
  if (empty) body.push('<p class="empty">The log has no training or validation records: nothing to plot.</p>');
  else body.push(`<div class="summary">${pairs.map(([k, v]) => `<div class="stat"><b>${escapeXml(v)}</b><span>${escapeXml(k)}</span></div>`).join('')}</div>`);
  if (list.length > 0) body.push(`<ul class="notes">${list.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`);
  if (!empty) body.push(`<div class="charts">${plot.charts.map((c) => c.svg).join('\n')}</div>`);
  if (png) body.push(`<p class="notes" style="color:#666">Also as an image: ${escapeXml(png)}</p>`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeXml(title)}</title><style>${css}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

/**
 * One SVG with every chart in a two-column grid under a one-line summary, text drawn
 * with the bitmap font: what the PNG is rasterised from. `scale` sets the pixel size
 * (the drawing stays in chart units, so the bitmap glyphs land on whole pixels).
 */
export function renderTrainingPlotSheet(records: readonly object[] | ParsedTrainingLog, options: TrainingPlotOptions & { scale?: number } = {}): { svg: string; width: number; height: number } | undefined {
  const log = toLog(records);
  const o = resolved(options, log.steps.length);
  const specs = chartSpecs(log, o.window);
  if (specs.length === 0) return undefined;
  const scale = options.scale ?? 2;
  if (!(Number.isInteger(scale) && scale >= 1 && scale <= 4)) throw new ConfigError(`training plot: pngScale must be 1, 2, 3 or 4 (got ${scale})`);
  const cols = Math.min(2, specs.length);
  const rows = Math.ceil(specs.length / cols);
  const gap = 8;
  const width = cols * o.W + (cols + 1) * gap;
  // The summary wraps to as many lines as the sheet's width needs (the font is 6 units a character).
  const perLine = Math.floor((width - 2 * gap) / FONT.advance);
  const lines: string[] = [];
  for (const [k, v] of summaryPairs(summarizeTrainingLog(log, o.window))) {
    if (k === 'updates') continue;
    const item = `${k} ${v}`;
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 3 + item.length <= perLine) lines[last] += `   ${item}`;
    else lines.push(item);
  }
  const header = 20 + 14 * lines.length;
  const height = header + rows * o.H + (rows + 1) * gap;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="#f2f2f2"/>`];
  parts.push(svgText('bitmap', options.title ?? 'Training run', gap, 12, { color: INK }));
  lines.forEach((l, i) => parts.push(svgText('bitmap', l, gap, 28 + 14 * i, { color: MUTED })));
  specs.forEach((spec, i) => {
    const x = gap + (i % cols) * (o.W + gap);
    const y = header + gap + Math.floor(i / cols) * (o.H + gap);
    parts.push(`<g transform="translate(${x} ${y})">${chartBody(spec, 'bitmap', o.W, o.H, o.maxPoints).body}</g>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width * scale}" height="${height * scale}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
  return { svg, width: width * scale, height: height * scale };
}

/**
 * Plot a training log: `source` is the JSONL file the trainer wrote (`log: path`) or the
 * records themselves. Writes a self-contained HTML page at `out` (its folder created)
 * and, unless `png: false`, a PNG beside it (`out` with `.png` for `.html`). When sharp
 * cannot render the SVG the PNG is skipped and `pngSkipped` says why; the page is
 * always written. An empty log gives a page that says so and no PNG.
 */
export async function plotTrainingLog(source: readonly object[] | string, out: string, options: PlotTrainingLogOptions = {}): Promise<PlotTrainingLogResult> {
  if (typeof out !== 'string' || out === '') throw new ConfigError('plotTrainingLog: pass the output path of the HTML page, e.g. plotTrainingLog(logPath, outDir + "/plot.html")');
  let log: ParsedTrainingLog;
  if (typeof source === 'string') {
    let text: string;
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (e) {
      throw new ConfigError(`plotTrainingLog: cannot read the log ${source}: ${(e as Error).message}`);
    }
    log = parseTrainingLog(text);
  } else if (Array.isArray(source)) {
    log = collectTrainingRecords(source);
  } else {
    throw new ConfigError('plotTrainingLog: pass the path of a JSONL training log or an array of records');
  }
  const title = options.title ?? `Training run${typeof source === 'string' ? `: ${path.basename(source)}` : ''}`;
  const plot = renderTrainingPlotSvg(log, options);
  const pngPath = /\.html?$/i.test(out) ? out.replace(/\.html?$/i, '.png') : `${out}.png`;
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });

  let png: string | undefined;
  let pngSkipped: string | undefined;
  let pngSize: PlotTrainingLogResult['pngSize'];
  if (options.png === false) pngSkipped = 'disabled (png: false)';
  else {
    const sheet = renderTrainingPlotSheet(log, { ...options, title, scale: options.pngScale ?? 2 });
    if (!sheet) pngSkipped = 'the log has no records to plot';
    else {
      try {
        const info = await sharp(Buffer.from(sheet.svg), { limitInputPixels: false }).flatten({ background: '#ffffff' }).png().toFile(pngPath);
        png = pngPath;
        pngSize = { width: info.width, height: info.height };
      } catch (e) {
        pngSkipped = `sharp could not render the SVG: ${(e as Error).message}`;
      }
    }
  }
  fs.writeFileSync(out, page(plot, title, png ? path.basename(png) : undefined));
  return { html: out, ...(png ? { png, pngSize } : { pngSkipped }), summary: plot.summary, log: plot.log };
}
