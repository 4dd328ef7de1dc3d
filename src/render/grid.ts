/**
 * Contact sheets: annotated images tiled into a grid of equal cells with a caption
 * under each, encoded as PNG with sharp. Used by `freebies preview` and `dumpSamples()`.
 * @packageDocumentation
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../core/types.ts';
import { letterboxParams, PAD_VALUE } from '../kernels/letterbox.ts';
import { resizeInto } from '../kernels/resize.ts';
import { drawBoxes, type Drawable, type DrawOptions } from './draw.ts';
import { drawText, FONT } from './font.ts';

/** Options of {@link gridLayout} and {@link renderGrid}. */
export interface GridOptions {
  /** Columns. Default `ceil(sqrt(n))`. */
  columns?: number;
  /**
   * Longest cell side in pixels. Cells are as large as the largest image (widest
   * width × tallest height), shrunk to this bound keeping their aspect ratio. Default: no bound.
   */
  maxCell?: number;
  /** Pixels between cells and around the grid. Default 4. */
  gap?: number;
  /** Caption font scale. Default `max(1, round(max(cellW, cellH) / 320))`. */
  captionScale?: number;
  /** Draw a caption strip under each cell. Default true. */
  captions?: boolean;
}

/** The geometry of a grid. */
export interface GridLayout {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  gap: number;
  /** Height of the caption strip under each cell (0 without captions). */
  captionHeight: number;
  captionScale: number;
  /** Size of the whole grid image. */
  width: number;
  height: number;
}

/** Background of the gaps and caption strips. */
const BACKGROUND = 32;
const CAPTION_COLOR = [235, 235, 235] as const;

/**
 * The geometry of a grid of `count` cells of `cellWidth × cellHeight` (before
 * `maxCell`): `columns = ceil(sqrt(count))`, `rows = ceil(count / columns)`; a caption
 * strip of `(9 + 4)·captionScale` pixels under each cell; `gap` pixels between cells and
 * around the edge. So the grid is `columns·cellW + (columns + 1)·gap` wide and
 * `rows·(cellH + captionH) + (rows + 1)·gap` high.
 */
export function gridLayout(count: number, cellWidth: number, cellHeight: number, options: GridOptions = {}): GridLayout {
  if (!(count >= 1)) throw new RangeError(`a grid needs at least one cell, got ${count}`);
  let cw = Math.max(1, Math.round(cellWidth));
  let ch = Math.max(1, Math.round(cellHeight));
  if (options.maxCell !== undefined && Math.max(cw, ch) > options.maxCell) {
    const r = options.maxCell / Math.max(cw, ch);
    cw = Math.max(1, Math.round(cw * r));
    ch = Math.max(1, Math.round(ch * r));
  }
  const columns = Math.max(1, Math.min(count, options.columns ?? Math.ceil(Math.sqrt(count))));
  const rows = Math.ceil(count / columns);
  const gap = Math.max(0, Math.floor(options.gap ?? 4));
  const captionScale = Math.max(1, Math.floor(options.captionScale ?? Math.max(1, Math.round(Math.max(cw, ch) / 320))));
  const captionHeight = (options.captions ?? true) ? (FONT.height + 4) * captionScale : 0;
  return {
    columns,
    rows,
    cellWidth: cw,
    cellHeight: ch,
    gap,
    captionHeight,
    captionScale,
    width: columns * cw + (columns + 1) * gap,
    height: rows * (ch + captionHeight) + (rows + 1) * gap,
  };
}

/**
 * A sample id made short enough for a caption: the file name without its extension
 * (ids are paths relative to the dataset root); when that still has more than
 * `maxChars` characters, its last `maxChars − 2` characters after `..`.
 */
export function shortId(id: string, maxChars = Infinity): string {
  const base = id.split(/[\\/]/).pop() ?? id;
  const stem = base.replace(/\.[A-Za-z0-9]{1,5}$/, '') || base;
  if (stem.length <= maxChars) return stem;
  if (maxChars < 3) return stem.slice(stem.length - Math.max(0, maxChars));
  return `..${stem.slice(stem.length - (maxChars - 2))}`;
}

/** One cell of a grid. */
export interface GridCell {
  image: RawImage;
  caption?: string;
}

/** Copy or shrink `src` into the cell at (x, y) of `canvas`, centred, grey 114 around it. */
function placeInCell(canvas: RawImage, src: RawImage, x: number, y: number, cw: number, ch: number): void {
  const W = canvas.width;
  const d = canvas.data;
  const p = letterboxParams(src, { width: cw, height: ch }, { scaleUp: false });
  for (let row = 0; row < ch; row++) d.fill(PAD_VALUE, ((y + row) * W + x) * 3, ((y + row) * W + x + cw) * 3);
  const left = x + p.padLeft;
  const top = y + p.padTop;
  if (p.width === src.width && p.height === src.height) {
    const rowBytes = src.width * 3;
    for (let row = 0; row < src.height; row++) {
      d.set(src.data.subarray(row * rowBytes, (row + 1) * rowBytes), ((top + row) * W + left) * 3);
    }
  } else {
    resizeInto(src, p.width, p.height, { data: d, canvasWidth: W, left, top });
  }
}

/**
 * Tile `cells` into one image laid out by {@link gridLayout}: each image is centred in
 * its cell (shrunk with our OpenCV-exact bilinear resize when larger than the cell,
 * never enlarged; grey 114 around it), its caption (shortened to fit) below it.
 */
export function renderGrid(cells: readonly GridCell[], options: GridOptions = {}): { image: RawImage; layout: GridLayout } {
  const cellW = Math.max(...cells.map((c) => c.image.width));
  const cellH = Math.max(...cells.map((c) => c.image.height));
  const layout = gridLayout(cells.length, cellW, cellH, options);
  const { width, height, columns, cellWidth: cw, cellHeight: ch, gap, captionHeight, captionScale: cs } = layout;
  const image: RawImage = { data: new Uint8Array(width * height * 3).fill(BACKGROUND), width, height };
  const maxChars = Math.max(1, Math.floor((cw - 2 * cs + cs) / (FONT.advance * cs)));
  cells.forEach((cell, i) => {
    const x = gap + (i % columns) * (cw + gap);
    const y = gap + Math.floor(i / columns) * (ch + captionHeight + gap);
    placeInCell(image, cell.image, x, y, cw, ch);
    if (captionHeight > 0 && cell.caption) {
      drawText(image, shortId(cell.caption, maxChars), x + cs, y + ch + 2 * cs, CAPTION_COLOR, cs);
    }
  });
  return { image, layout };
}

/** Encode an RGB image as PNG (sharp). */
export async function encodePng(image: RawImage): Promise<Buffer> {
  const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return sharp(input, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

/** Write `image` as a PNG at `file`, creating its folder. */
export async function writePng(file: string, image: RawImage): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, await encodePng(image));
}

/**
 * Draw every sample's boxes and tile them into a grid captioned with their ids:
 * the contact sheet that `freebies preview` and `dumpSamples()` write.
 */
export function annotatedGrid(
  samples: readonly Drawable[],
  options: { draw?: DrawOptions; grid?: GridOptions } = {},
): { image: RawImage; layout: GridLayout; boxes: number } {
  let boxes = 0;
  const cells = samples.map((s) => {
    boxes += s.classes.length;
    return { image: drawBoxes(s.image, s, options.draw), caption: s.id };
  });
  return { ...renderGrid(cells, options.grid), boxes };
}
