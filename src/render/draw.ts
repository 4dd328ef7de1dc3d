/**
 * Drawing annotations onto images for previews and sample dumps: box outlines in a
 * colour per class, a label tag per box in our bitmap font, and boxes flagged
 * {@link BoxFlag.Ignore} dashed in grey. Every function returns a new image; the
 * input is never modified. Also reads pipeline items (Samples, SampleBatches,
 * tensor Batches) into the plain form that drawing takes.
 * @packageDocumentation
 */
import { BoxFlag, type RawImage, type Sample, type SampleMeta } from '../core/types.ts';
import type { SampleBatch } from '../batch/types.ts';
import type { Batch } from '../tensor/batch.ts';
import { drawText, measureText } from './font.ts';

/** An RGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/**
 * Box colours by class id (`id mod 20`): saturated hues alternating with darker and
 * lighter ones so neighbouring ids differ; grey is left out, it marks ignored boxes.
 */
export const PALETTE: readonly Rgb[] = [
  [230, 25, 75], // red
  [60, 180, 75], // green
  [0, 130, 200], // blue
  [255, 200, 0], // yellow
  [245, 130, 48], // orange
  [145, 30, 180], // purple
  [70, 220, 230], // cyan
  [240, 50, 230], // magenta
  [170, 230, 40], // lime
  [128, 0, 0], // maroon
  [0, 128, 128], // teal
  [255, 150, 190], // pink
  [154, 99, 36], // brown
  [0, 0, 128], // navy
  [128, 128, 0], // olive
  [190, 160, 255], // lavender
  [255, 100, 50], // vermilion
  [0, 90, 40], // dark green
  [100, 160, 255], // sky
  [180, 0, 90], // crimson
];

/** The colour of boxes flagged {@link BoxFlag.Ignore}. */
export const IGNORE_COLOR: Rgb = [160, 160, 160];

/** The palette colour of class `classId` (negative ids wrap too). */
export function classColor(classId: number): Rgb {
  const n = PALETTE.length;
  return PALETTE[((Math.trunc(classId) % n) + n) % n]!;
}

/** Options of {@link drawBoxes}. */
export interface DrawOptions {
  /** Class names by id; a box whose id has no name is labelled with the id. */
  names?: readonly string[];
  /** Outline thickness in pixels. Default `max(1, round(max(W, H) / 304))`: 2 px at 608. */
  thickness?: number;
  /** Font scale of the labels. Default `max(1, round(max(W, H) / 320))`: 2 at 608 (18 px text). */
  textScale?: number;
  /** Draw the label tags. Default true. */
  labels?: boolean;
}

/** A pixel rectangle; `right` and `bottom` are inclusive. */
export interface PixelRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Where one box's outline and label go on an image: see {@link layoutBox}. */
export interface BoxLayout {
  /** The pixels the outline runs along (its outer edge), inside the image. */
  outline: PixelRect;
  thickness: number;
  color: Rgb;
  /** Ignored boxes are dashed. */
  dashed: boolean;
  label: string;
  /** The filled tag behind the label (undefined when labels are off). */
  tag: PixelRect | undefined;
  /** Black or white, whichever reads better on `color`. */
  textColor: Rgb;
  textScale: number;
}

/** The default outline thickness for an image: 2 px at 608. */
export function defaultThickness(width: number, height: number): number {
  return Math.max(1, Math.round(Math.max(width, height) / 304));
}

/** The default label font scale for an image: 2 at 608. */
export function defaultTextScale(width: number, height: number): number {
  return Math.max(1, Math.round(Math.max(width, height) / 320));
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * The geometry of one box on a `width × height` image. The outline covers pixel
 * columns `round(x1) .. round(x2) − 1` and rows `round(y1) .. round(y2) − 1` (the
 * pixels whose area the box spans, rounded half up), clamped into the image, at least
 * one pixel wide; the outline's `thickness` pixels lie inside that rectangle. The tag
 * (label text plus `textScale` pixels of padding on each side) sits right above the
 * outline, left-aligned with it, or inside the box at its top when there is no room
 * above; it is shifted left when it would leave the image on the right.
 * Returns undefined for a box with a coordinate that is not finite.
 */
export function layoutBox(
  box: ArrayLike<number>,
  classId: number,
  flags: number,
  size: { width: number; height: number },
  options: DrawOptions = {},
): BoxLayout | undefined {
  const { width: W, height: H } = size;
  const x1 = box[0]!;
  const y1 = box[1]!;
  const x2 = box[2]!;
  const y2 = box[3]!;
  if (![x1, y1, x2, y2].every(Number.isFinite) || W < 1 || H < 1) return undefined;
  const left = clamp(Math.floor(x1 + 0.5), 0, W - 1);
  const top = clamp(Math.floor(y1 + 0.5), 0, H - 1);
  const right = Math.max(left, clamp(Math.floor(x2 + 0.5) - 1, 0, W - 1));
  const bottom = Math.max(top, clamp(Math.floor(y2 + 0.5) - 1, 0, H - 1));
  const ignore = (flags & BoxFlag.Ignore) !== 0;
  const color = ignore ? IGNORE_COLOR : classColor(classId);
  const name = options.names?.[classId] ?? String(classId);
  const label = ignore ? `${name} (ignore)` : name;
  const textScale = Math.max(1, Math.floor(options.textScale ?? defaultTextScale(W, H)));
  let tag: PixelRect | undefined;
  if (options.labels ?? true) {
    const text = measureText(label, textScale);
    const tw = text.width + 2 * textScale;
    const th = text.height + 2 * textScale;
    const tl = Math.max(0, Math.min(left, W - tw));
    let tt = top - th;
    if (tt < 0) tt = Math.max(0, Math.min(top, H - th));
    tag = { left: tl, top: tt, right: Math.min(W, tl + tw) - 1, bottom: Math.min(H, tt + th) - 1 };
  }
  // Rec. 601 luma: dark text on light tags.
  const luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
  return {
    outline: { left, top, right, bottom },
    thickness: Math.max(1, Math.floor(options.thickness ?? defaultThickness(W, H))),
    color,
    dashed: ignore,
    label,
    tag,
    textColor: luma > 140 ? [0, 0, 0] : [255, 255, 255],
    textScale,
  };
}

function fillRect(img: RawImage, r: PixelRect, c: Rgb): void {
  const { width: W, data } = img;
  for (let y = r.top; y <= r.bottom; y++) {
    for (let x = r.left, o = (y * W + r.left) * 3; x <= r.right; x++, o += 3) {
      data[o] = c[0];
      data[o + 1] = c[1];
      data[o + 2] = c[2];
    }
  }
}

/** Draw the outline of `l` in place: four bands `thickness` wide, dashed for ignored boxes. */
function strokeOutline(img: RawImage, l: BoxLayout): void {
  const { left, top, right, bottom } = l.outline;
  const t = l.thickness;
  const W = img.width;
  const d = img.data;
  const [r, g, b] = l.color;
  // Dashes of 4t on, 4t off along each edge, measured from the top-left corner.
  const dash = 4 * t;
  const on = (p: number): boolean => !l.dashed || Math.floor(p / dash) % 2 === 0;
  for (let y = top; y <= bottom; y++) {
    const horizontalBand = y < top + t || y > bottom - t;
    for (let x = left; x <= right; x++) {
      const verticalBand = x < left + t || x > right - t;
      if (!horizontalBand && !verticalBand) {
        // Jump across the interior of the row.
        x = Math.max(x, right - t);
        continue;
      }
      if (!(horizontalBand ? on(x - left) : on(y - top))) continue;
      const o = (y * W + x) * 3;
      d[o] = r;
      d[o + 1] = g;
      d[o + 2] = b;
    }
  }
}

/** What {@link drawBoxes} draws: boxes as absolute pixel x1,y1,x2,y2 with their classes and flags. */
export interface BoxSet {
  boxes: Float32Array;
  classes: Int32Array;
  /** {@link BoxFlag} masks; none flagged when absent. */
  flags?: Uint8Array;
}

/**
 * A copy of `image` with every box of `set` drawn: outlines first, then all label tags
 * on top, so no outline crosses a label. The input image is not modified.
 */
export function drawBoxes(image: RawImage, set: BoxSet, options: DrawOptions = {}): RawImage {
  const out: RawImage = { data: image.data.slice(), width: image.width, height: image.height };
  const n = Math.min(set.classes.length, Math.floor(set.boxes.length / 4));
  const layouts: BoxLayout[] = [];
  for (let i = 0; i < n; i++) {
    const l = layoutBox(set.boxes.subarray(4 * i, 4 * i + 4), set.classes[i]!, set.flags?.[i] ?? 0, out, options);
    if (l) layouts.push(l);
  }
  for (const l of layouts) strokeOutline(out, l);
  for (const l of layouts) {
    if (!l.tag) continue;
    fillRect(out, l.tag, l.color);
    drawText(out, l.label, l.tag.left + l.textScale, l.tag.top + l.textScale, l.textColor, l.textScale);
  }
  return out;
}

/** One image and its boxes as drawing takes them, with what is known of its origin. */
export interface Drawable extends BoxSet {
  id: string;
  image: RawImage;
  epoch?: number;
  index?: number;
  meta?: SampleMeta;
}

/** A pipeline item captured for drawing: see {@link captureItem}. */
export interface CapturedItem {
  kind: 'sample' | 'sample-batch' | 'tensor-batch';
  /** Samples in the item. */
  count: number;
  /** Ids of the samples, in order. */
  ids: string[];
  /** The samples as {@link Drawable}s; call once (it frees what was captured). */
  load(): Promise<Drawable[]>;
  /** Free what was captured without loading it. */
  release(): void;
}

function isSample(x: unknown): x is Sample {
  const s = x as Sample | null;
  return !!s && typeof s === 'object' && !!s.image && s.image.data instanceof Uint8Array && s.boxes instanceof Float32Array;
}

function isSampleBatch(x: unknown): x is SampleBatch {
  const b = x as SampleBatch | null;
  return !!b && typeof b === 'object' && Array.isArray(b.samples) && b.samples.every(isSample);
}

function isTensorBatch(x: unknown): x is Batch {
  const b = x as Batch | null;
  return !!b && typeof b === 'object' && typeof b.images?.data === 'function' && typeof b.counts?.data === 'function';
}

function sampleDrawable(s: Sample, copy: boolean): Drawable {
  const c = <A extends Uint8Array | Float32Array | Int32Array>(a: A): A => (copy ? (a.slice() as A) : a);
  return {
    id: s.id,
    image: { data: c(s.image.data), width: s.image.width, height: s.image.height },
    boxes: c(s.boxes),
    classes: c(s.classes),
    flags: c(s.flags),
    epoch: s.epoch,
    index: s.index,
    meta: s.meta,
  };
}

/**
 * Capture a pipeline item for drawing: a {@link Sample}, a {@link SampleBatch} or a
 * tensor {@link Batch}; undefined for anything else. With `copy` (default true) the
 * pixels and boxes are copied now, so the item may go on down the stream (where a
 * pool stage may transfer its buffers away) while the drawing happens later. A tensor
 * batch's tensors are cloned now (cheap: shared, reference-counted data) and read and
 * freed by `load()`, so the consumer may dispose the batch meanwhile.
 */
export function captureItem(item: unknown, options: { copy?: boolean } = {}): CapturedItem | undefined {
  const copy = options.copy ?? true;
  if (isSample(item)) {
    const d = sampleDrawable(item, copy);
    return { kind: 'sample', count: 1, ids: [item.id], load: async () => [d], release: () => undefined };
  }
  if (isSampleBatch(item)) {
    const ds = item.samples.map((s) => sampleDrawable(s, copy));
    return { kind: 'sample-batch', count: ds.length, ids: ds.map((d) => d.id), load: async () => ds, release: () => undefined };
  }
  if (isTensorBatch(item)) {
    const t = {
      images: item.images.clone(),
      boxes: item.boxes.clone(),
      classes: item.classes.clone(),
      flags: item.flags.clone(),
      counts: item.counts.clone(),
    };
    const ids = [...item.ids];
    const meta = [...item.meta];
    const release = (): void => {
      for (const x of Object.values(t)) if (!x.isDisposed) x.dispose();
    };
    return {
      kind: 'tensor-batch',
      count: item.size,
      ids,
      load: async () => {
        try {
          return await readTensorBatch(t, ids, meta);
        } finally {
          release();
        }
      },
      release,
    };
  }
  return undefined;
}

async function readTensorBatch(t: Pick<Batch, 'images' | 'boxes' | 'classes' | 'flags' | 'counts'>, ids: string[], meta: SampleMeta[]): Promise<Drawable[]> {
  const [B, H, W] = t.images.shape;
  const N = t.boxes.shape[1];
  const [pixels, boxes, classes, flags, counts] = await Promise.all([
    t.images.data() as Promise<Float32Array>,
    t.boxes.data() as Promise<Float32Array>,
    t.classes.data() as Promise<Int32Array>,
    t.flags.data() as Promise<Int32Array>,
    t.counts.data() as Promise<Int32Array>,
  ]);
  const plane = H * W * 3;
  const out: Drawable[] = [];
  for (let b = 0; b < B; b++) {
    const data = new Uint8Array(plane);
    // toTensors divides bytes by 255; rounding the product recovers them exactly.
    for (let i = 0, o = b * plane; i < plane; i++, o++) {
      const v = Math.round(pixels[o]! * 255);
      data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    const n = counts[b]!;
    const m = meta[b];
    out.push({
      id: ids[b] ?? String(b),
      image: { data, width: W, height: H },
      boxes: boxes.slice(b * N * 4, b * N * 4 + n * 4),
      classes: classes.slice(b * N, b * N + n),
      flags: Uint8Array.from(flags.subarray(b * N, b * N + n)),
      epoch: typeof m?.epoch === 'number' ? m.epoch : undefined,
      index: typeof m?.index === 'number' ? m.index : undefined,
      meta: m,
    });
  }
  return out;
}
