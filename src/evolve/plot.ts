/**
 * The plot of a hyperparameter search (SPEC §12): fitness against generation, with the
 * best and the median fitness of each generation as lines and every candidate as a dot
 * (hollow when its fitness was reused from an identical earlier candidate, a red cross at
 * the bottom when its evaluation failed). A self-contained HTML page with an inline SVG,
 * and beside it a PNG rasterised by sharp with the text drawn in our bitmap font, so it
 * reads on a machine without fonts (as src/train/plot.ts does for training runs).
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { measureText } from '../render/font.ts';
import { median } from '../bench/stats.ts';
import { escapeXml, formatTick, niceAxis, svgText, type TextMode } from '../train/plot.ts';
import type { EvaluationRecord } from './log.ts';
import type { Individual } from './operators.ts';

/** One candidate on the plot. */
export interface FitnessPoint {
  generation: number;
  index: number;
  /** null when the evaluation failed. */
  fitness: number | null;
  /** `reused`: not trained, its genes' earlier fitness was taken (elites, repeats). */
  status: 'ok' | 'failed' | 'reused';
}

/** One generation's numbers. */
export interface GenerationSummary {
  generation: number;
  candidates: number;
  failed: number;
  /** Best and median of the finite fitnesses (undefined when every candidate failed). */
  best: number | undefined;
  median: number | undefined;
}

/**
 * The candidates of a search as plot points: `populations` as {@link evolve} returns them
 * (reused candidates included), `records` the log, which says which were trained and
 * which failed. A candidate with no record of its own was reused.
 */
export function fitnessPoints(populations: readonly (readonly Individual[])[], records: readonly EvaluationRecord[]): FitnessPoint[] {
  const logged = new Map<string, EvaluationRecord>();
  for (const r of records) if (!logged.has(`${r.generation}/${r.index}`)) logged.set(`${r.generation}/${r.index}`, r);
  const out: FitnessPoint[] = [];
  populations.forEach((pop, generation) =>
    pop.forEach((ind, index) => {
      const r = logged.get(`${generation}/${index}`);
      const fitness = Number.isFinite(ind.fitness) ? ind.fitness : null;
      out.push({ generation, index, fitness, status: !r ? (fitness === null ? 'failed' : 'reused') : r.status });
    }),
  );
  return out;
}

/** Best and median fitness per generation (generations in order, none skipped). */
export function summarizeGenerations(points: readonly FitnessPoint[]): GenerationSummary[] {
  const n = points.reduce((m, p) => Math.max(m, p.generation + 1), 0);
  return Array.from({ length: n }, (_, generation) => {
    const here = points.filter((p) => p.generation === generation);
    const ok = here.flatMap((p) => (p.fitness === null ? [] : [p.fitness]));
    return { generation, candidates: here.length, failed: here.length - ok.length, best: ok.length ? Math.max(...ok) : undefined, median: ok.length ? median(ok) : undefined };
  });
}

// ---------------------------------------------------------------------------------------
// SVG

const INK = '#222';
const GRID = '#e3e3e3';
const MUTED = '#666';
const BEST = '#d62728';
const MEDIAN = '#1f77b4';
const DOT = '#2ca02c';
const FAILED = '#b00020';

const f1 = (v: number): string => String(Math.round(v * 10) / 10);

/** Options of {@link renderFitnessSvg} and {@link plotFitness}. */
export interface FitnessPlotOptions {
  /** Chart size in SVG units. Default 640×360. */
  width?: number;
  height?: number;
  /** Chart title. Default "Fitness per generation". */
  title?: string;
  /** Generations the search may run: the x axis spans them all, so a running search's plot keeps its scale. */
  generations?: number;
}

const MARGIN = { left: 64, right: 16, top: 40, bottom: 42 };

/**
 * The chart's SVG element. It carries `data-generations`, `data-candidates`, `data-failed`
 * and the axis ranges; each candidate is a `<circle>` (or, failed, a `<path>`) with
 * `data-generation`, `data-index` and `data-fitness`; the two lines are `<polyline>`s with
 * `data-series="best"` / `"median"` and `data-values` (comma-separated, per generation).
 */
export function renderFitnessSvg(points: readonly FitnessPoint[], options: FitnessPlotOptions & { bitmap?: boolean } = {}): string {
  const W = options.width ?? 640;
  const H = options.height ?? 360;
  const bitmap = options.bitmap ?? false;
  const mode: TextMode = bitmap ? 'bitmap' : 'text';
  const gens = summarizeGenerations(points);
  const PW = W - MARGIN.left - MARGIN.right;
  const PH = H - MARGIN.top - MARGIN.bottom;
  const finite = points.flatMap((p) => (p.fitness === null ? [] : [p.fitness]));
  const lastGen = Math.max(0, (options.generations ?? 0) - 1, gens.length - 1);
  const xa = niceAxis(0, Math.max(1, lastGen), Math.min(8, Math.max(1, lastGen)), true, true);
  const ya = niceAxis(finite.length ? Math.min(0, ...finite) : 0, finite.length ? Math.max(...finite) : 1, 5);
  // Half a generation of room each side, so the dots of the first and last stay inside.
  const x0 = xa.lo - 0.5;
  const x1 = xa.hi + 0.5;
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * PW;
  const py = (y: number) => MARGIN.top + (1 - (y - ya.lo) / (ya.hi - ya.lo)) * PH;
  const out: string[] = [`<rect width="${W}" height="${H}" fill="#fff"/>`];
  for (const t of ya.ticks) {
    const y = f1(py(t));
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + PW}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
    out.push(svgText(mode, formatTick(t, ya.step), MARGIN.left - 7, py(t), { anchor: 'end', color: MUTED, size: 10 }));
  }
  for (const t of xa.ticks) {
    const x = f1(px(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + PH}" stroke="${GRID}"/>`);
    out.push(svgText(mode, formatTick(t, xa.step), px(t), MARGIN.top + PH + 13, { anchor: 'middle', color: MUTED, size: 10 }));
  }
  out.push(`<path d="M${MARGIN.left} ${MARGIN.top}V${MARGIN.top + PH}H${MARGIN.left + PW}" fill="none" stroke="${INK}" stroke-width="1.2"/>`);
  out.push(svgText(mode, 'generation', MARGIN.left + PW / 2, H - 10, { anchor: 'middle' }));
  out.push(svgText(mode, 'fitness', 14, MARGIN.top + PH / 2, { anchor: 'middle', rotate: true }));
  out.push(svgText(mode, options.title ?? 'Fitness per generation', MARGIN.left, 13, { size: 13, bold: true }));
  // Legend, top right.
  let lx = W - MARGIN.right;
  for (const [text, mark] of [
    ['failed', (x: number) => cross(x, 28, 3.5)],
    ['candidate', (x: number) => `<circle cx="${x}" cy="28" r="3" fill="${DOT}" fill-opacity="0.7"/>`],
    ['median', (x: number) => `<line x1="${x - 8}" x2="${x + 8}" y1="28" y2="28" stroke="${MEDIAN}" stroke-width="2" stroke-dasharray="4 3"/>`],
    ['best', (x: number) => `<line x1="${x - 8}" x2="${x + 8}" y1="28" y2="28" stroke="${BEST}" stroke-width="2"/>`],
  ] as const) {
    lx -= bitmap ? measureText(text).width : text.length * 6;
    out.push(svgText(mode, text, lx, 28, { size: 10 }));
    lx -= 14;
    out.push(mark(lx));
    lx -= 16;
  }
  // Candidates: spread across a third of a generation by index, so a generation's dots do not pile up.
  const perGen = new Map<number, number>();
  for (const p of points) perGen.set(p.generation, Math.max(perGen.get(p.generation) ?? 0, p.index + 1));
  for (const p of points) {
    const n = perGen.get(p.generation)!;
    const x = px(p.generation + (n > 1 ? (p.index / (n - 1) - 0.5) * 0.35 : 0));
    const attrs = `data-generation="${p.generation}" data-index="${p.index}" data-fitness="${p.fitness ?? 'failed'}" data-status="${p.status}"`;
    if (p.fitness === null) {
      out.push(`<g ${attrs}>${cross(x, py(ya.lo) - 5, 3.5)}</g>`);
      continue;
    }
    const fill = p.status === 'reused' ? `fill="none" stroke="${DOT}" stroke-width="1.2"` : `fill="${DOT}" fill-opacity="0.7"`;
    const tip = bitmap ? '' : `<title>${escapeXml(`generation ${p.generation}, candidate ${p.index}: fitness ${p.fitness.toPrecision(4)}${p.status === 'reused' ? ' (reused)' : ''}`)}</title>`;
    out.push(`<circle ${attrs} cx="${f1(x)}" cy="${f1(py(p.fitness))}" r="3" ${fill}>${tip}</circle>`);
  }
  for (const [key, color, dash] of [
    ['median', MEDIAN, ' stroke-dasharray="4 3"'],
    ['best', BEST, ''],
  ] as const) {
    const pts = gens.flatMap((g) => (g[key] === undefined ? [] : [[g.generation, g[key]!] as const]));
    const coords = pts.map(([x, y]) => `${f1(px(x))},${f1(py(y))}`).join(' ');
    const values = gens.map((g) => (g[key] === undefined ? '' : String(g[key]))).join(',');
    out.push(`<polyline data-series="${key}" data-values="${values}" points="${coords}" fill="none" stroke="${color}" stroke-width="2"${dash} stroke-linejoin="round"/>`);
  }
  const failed = points.filter((p) => p.fitness === null).length;
  const attrs = `data-chart="fitness" data-generations="${gens.length}" data-candidates="${points.length}" data-failed="${failed}" data-y-min="${ya.lo}" data-y-max="${ya.hi}"`;
  const font = bitmap ? '' : ` font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"${font} role="img" aria-label="fitness per generation" ${attrs}>${out.join('')}</svg>`;
}

function cross(x: number, y: number, r: number): string {
  return `<path d="M${f1(x - r)} ${f1(y - r)}L${f1(x + r)} ${f1(y + r)}M${f1(x - r)} ${f1(y + r)}L${f1(x + r)} ${f1(y - r)}" stroke="${FAILED}" stroke-width="1.6"/>`;
}

/** What {@link plotFitness} wrote. */
export interface FitnessPlotResult {
  html: string;
  png?: string;
  /** Why no PNG was written (sharp could not render the SVG). */
  pngSkipped?: string;
  generations: GenerationSummary[];
}

/**
 * Write the page (`out`, e.g. OUT/fitness.html) and a PNG beside it (same name, `.png`;
 * `pngScale` pixels per SVG unit, default 2). Notes under the chart (e.g. the best
 * candidate's hyperparameters) are listed on the page.
 */
export async function plotFitness(
  points: readonly FitnessPoint[],
  out: string,
  options: FitnessPlotOptions & { notes?: string[]; pngScale?: number; png?: boolean } = {},
): Promise<FitnessPlotResult> {
  const generations = summarizeGenerations(points);
  const title = options.title ?? 'Fitness per generation';
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const pngPath = /\.html?$/i.test(out) ? out.replace(/\.html?$/i, '.png') : `${out}.png`;
  let png: string | undefined;
  let pngSkipped: string | undefined;
  if (options.png === false) pngSkipped = 'disabled (png: false)';
  else {
    const scale = options.pngScale ?? 2;
    const svg = renderFitnessSvg(points, { ...options, bitmap: true }).replace(/width="(\d+)" height="(\d+)"/, (_, w: string, h: string) => `width="${Number(w) * scale}" height="${Number(h) * scale}"`);
    try {
      await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toFile(pngPath);
      png = pngPath;
    } catch (e) {
      pngSkipped = `sharp could not render the SVG: ${(e as Error).message}`;
    }
  }
  const rows = generations
    .map((g) => `<tr><td>${g.generation}</td><td>${g.candidates}</td><td>${g.failed}</td><td>${g.best?.toFixed(4) ?? '–'}</td><td>${g.median?.toFixed(4) ?? '–'}</td></tr>`)
    .join('');
  const css = [
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}",
    'h1{font-size:20px;margin:0 0 12px}',
    'svg{background:#fff;border:1px solid #ddd;border-radius:6px;max-width:100%;height:auto}',
    'table{border-collapse:collapse;margin-top:12px;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}',
    '.notes{font-size:13px;color:#444}',
  ].join('');
  const notes = (options.notes ?? []).map((n) => `<li>${escapeXml(n)}</li>`).join('');
  const html =
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${css}</style></head><body>\n` +
    `<h1>${escapeXml(title)}</h1>\n${renderFitnessSvg(points, options)}\n` +
    (notes ? `<ul class="notes">${notes}</ul>\n` : '') +
    `<table><tr><th>generation</th><th>candidates</th><th>failed</th><th>best</th><th>median</th></tr>${rows}</table>\n` +
    (png ? `<p class="notes">Also as an image: ${escapeXml(path.basename(png))}</p>\n` : '') +
    '</body></html>\n';
  fs.writeFileSync(out, html);
  return { html: out, ...(png ? { png } : { pngSkipped }), generations };
}
