/**
 * `freebies preview`: run a pipeline file just long enough to take its first `n`
 * samples, draw their boxes and class names, and write them as one PNG grid — a look
 * at what the model will see.
 */
import path from 'node:path';
import type { SkipRecord } from '../core/types.ts';
import { ConfigError } from '../core/errors.ts';
import { captureItem, type Drawable } from '../render/draw.ts';
import { annotatedGrid, writePng, type GridLayout } from '../render/grid.ts';
import { loadPipelineFile, type PipelineFileOptions } from './pipeline-file.ts';

/** Options of {@link previewPipeline}. */
export interface PreviewOptions extends PipelineFileOptions {
  /** Where to write the PNG grid. */
  out: string;
  /** Samples to draw. Default 16. */
  n?: number;
  /**
   * Draw samples of this epoch (0-based; the pipeline runs epochs 0..epoch). Default 0.
   * Tensor batches carry no epoch unless their `meta` has one: their samples are then
   * counted, `epoch × min(dataset size, limit)` of them passed over, which is exact
   * only when no sample was skipped before.
   */
  epoch?: number;
  /** Longest cell side in the grid, in pixels. Default: the images' own size. */
  maxCell?: number;
}

/** What {@link previewPipeline} drew. */
export interface PreviewResult {
  out: string;
  samples: number;
  boxes: number;
  layout: GridLayout;
  /** Samples and label lines the pipeline skipped while the preview ran. */
  skipped: SkipRecord[];
}

/**
 * Run `freebies preview <file>`: take the first `n` samples the pipeline yields
 * (Samples, SampleBatches or tensor Batches, whose tensors are read back and disposed),
 * stop the pipeline, draw and write the grid.
 */
export async function previewPipeline(file: string, options: PreviewOptions): Promise<PreviewResult> {
  const { out, n = 16, epoch = 0, maxCell, ...fileOptions } = options;
  if (!out) throw new ConfigError('preview needs --out FILE.png: where to write the grid');
  if (path.extname(out).toLowerCase() !== '.png') throw new ConfigError(`--out must name a .png file, got "${out}"`);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--n must be a whole number ≥ 1 (samples to draw), got ${n}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new ConfigError(`--epoch must be a whole number ≥ 0, got ${epoch}`);
  if (maxCell !== undefined && (!Number.isInteger(maxCell) || maxCell < 8)) {
    throw new ConfigError(`--cell must be a whole number of pixels ≥ 8, got ${maxCell}`);
  }
  const factory = await loadPipelineFile(file);
  // Only epochs up to the one asked for are needed; the run stops once n samples are in.
  const pipeline = factory({ ...fileOptions, epochs: epoch + 1 });
  const ctx = pipeline.context;
  const perEpoch = ctx.dataset
    ? Math.min(ctx.dataset.items.length, fileOptions.limit ?? Infinity)
    : undefined;
  const taken: Drawable[] = [];
  let unknownEpochSeen = 0;
  let unsupported: string | undefined;
  for await (const item of pipeline) {
    const captured = captureItem(item, { copy: false });
    if (!captured) {
      (item as { dispose?: () => void } | null)?.dispose?.();
      unsupported = describe(item);
      break;
    }
    let drawables: Drawable[];
    try {
      drawables = await captured.load();
    } finally {
      (item as { dispose?: () => void }).dispose?.();
    }
    for (const d of drawables) {
      if (d.epoch === undefined) {
        // Tensor batches carry no epoch: count samples, assuming none was skipped before.
        const before = unknownEpochSeen++;
        if (epoch > 0 && (perEpoch === undefined || before < epoch * perEpoch)) continue;
      } else if (d.epoch !== epoch) continue;
      if (taken.length < n) taken.push(d);
    }
    if (taken.length >= n) break;
  }
  if (unsupported) {
    throw new ConfigError(
      `${file} yields ${unsupported}; preview draws Samples, SampleBatches (batch()) or tensor Batches (toTensors())`,
    );
  }
  const skipped = ctx.report().skipped;
  if (taken.length === 0) {
    const why = skipped.length ? ` (${skipped.length} skipped, first: ${skipped[0]!.path}: ${skipped[0]!.reason})` : '';
    throw new ConfigError(`${file} yielded no samples for epoch ${epoch}${why}`);
  }
  const names = ctx.dataset?.classNames;
  const { image, layout, boxes } = annotatedGrid(taken, {
    draw: { names },
    grid: { maxCell },
  });
  await writePng(out, image);
  return { out, samples: taken.length, boxes, layout, skipped };
}

function describe(item: unknown): string {
  if (item === null || typeof item !== 'object') return `a ${item === null ? 'null' : typeof item}`;
  const keys = Object.keys(item).slice(0, 6).join(', ');
  return `objects with keys {${keys}}`;
}

/** The lines `freebies preview` prints about a result. */
export function formatPreview(r: PreviewResult): string {
  const l = r.layout;
  const lines = [
    `preview written to ${r.out}: ${r.samples} sample${r.samples === 1 ? '' : 's'}, ${r.boxes} box${r.boxes === 1 ? '' : 'es'} ` +
      `(${l.columns}×${l.rows} grid of ${l.cellWidth}×${l.cellHeight} cells, ${l.width}×${l.height} px)`,
  ];
  if (r.skipped.length) {
    lines.push(`skipped ${r.skipped.length}:`);
    for (const s of r.skipped.slice(0, 20)) lines.push(`  ${s.path}${s.line ? `:${s.line}` : ''}  ${s.reason}`);
    if (r.skipped.length > 20) lines.push(`  … ${r.skipped.length - 20} more`);
  } else lines.push('skipped 0');
  return lines.join('\n');
}
