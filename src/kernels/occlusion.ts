/**
 * Occlusion (SPEC §4): random erasing, cutout and grid mask paint regions of the image
 * with a fill and never move boxes; a box whose visible fraction falls below
 * `minVisibility` is dropped with its class, weight and flags.
 *
 * The painted region is held as runs of pixels per row (`[x0, x1)` on row y), never as
 * a W×H mask: painting walks the runs, and visibility integrates the runs over each box,
 * so neither step allocates per pixel and both are exact.
 *
 * **Visibility** (the definition every test checks): pixel (x, y) is the unit square
 * `[x, x+1]×[y, y+1]`; a box covers each pixel by the area of their intersection
 * (fractional coverage, so a box on non-integer coordinates is counted to the last
 * fraction of a pixel). With the box clipped to the image and A its area,
 * `visible = (A − Σ covered area of painted pixels) / A`. A box whose clipped area is 0
 * has nothing to hide and counts as fully visible (hygiene, SPEC §1, is where such a
 * box goes). A box is kept when `visible ≥ minVisibility` (inclusive, as albumentations'
 * `min_visibility`). Ignore-flagged boxes follow the same rule.
 */
import type { Annotated, RawImage } from '../core/types.ts';
import type { Rng } from '../core/rng.ts';
import type { Kernel, KernelSample } from './transform.ts';
import { selectBoxes } from './boxes.ts';
import { roundHalfEven } from './round.ts';
import { channelSums } from './pixels.ts';

/**
 * What painted pixels become: a grey level 0..255, an `[r, g, b]` triple, `'mean'` (the
 * image's mean colour per channel, rounded half up) or `'random'` (independent uniform
 * bytes per pixel and channel, drawn from the rng).
 */
export type Fill = number | readonly [number, number, number] | 'mean' | 'random';

/**
 * Default `minVisibility` of the occlusion transforms: 0.1, the same fraction as SPEC §1's
 * area ratio (`box_candidates` keeps a box whose area ratio exceeds 0.1).
 */
export const DEFAULT_MIN_VISIBILITY = 0.1;

/**
 * Painted pixels of a `width × height` image as runs per row: row y owns runs
 * `rowStart[y] .. rowStart[y+1]−1`, run k covers columns `runs[2k] ≤ x < runs[2k+1]`.
 * Runs of a row are sorted, disjoint and non-empty.
 */
export interface PaintedRuns {
  width: number;
  height: number;
  rowStart: Int32Array;
  runs: Int32Array;
}

/** Appends runs row by row; grows by doubling. */
class RunBuilder {
  private runs: Int32Array;
  private n = 0;
  /** The row being filled: merging never joins runs across rows. */
  private openRow = 0;
  readonly rowStart: Int32Array;

  constructor(readonly width: number, readonly height: number, capacity = 64) {
    this.runs = new Int32Array(Math.max(2, capacity * 2));
    this.rowStart = new Int32Array(height + 1);
  }

  /** Call for rows in increasing order, runs in increasing x. Adjacent runs merge. */
  push(x0: number, x1: number): void {
    if (x1 <= x0) return;
    if (this.n > 0 && this.runs[this.n - 1] === x0 && this.n > this.rowStart[this.openRow]! * 2) {
      this.runs[this.n - 1] = x1;
      return;
    }
    if (this.n + 2 > this.runs.length) {
      const grown = new Int32Array(this.runs.length * 2);
      grown.set(this.runs);
      this.runs = grown;
    }
    this.runs[this.n++] = x0;
    this.runs[this.n++] = x1;
  }

  /** Close row y (all its runs pushed); the next pushes belong to row y + 1. */
  endRow(y: number): void {
    this.rowStart[y + 1] = this.n >> 1;
    this.openRow = y + 1;
  }

  done(): PaintedRuns {
    return { width: this.width, height: this.height, rowStart: this.rowStart, runs: this.runs.subarray(0, this.n) };
  }
}

/** Number of painted pixels (each counted once). */
export function paintedCount(p: PaintedRuns): number {
  let n = 0;
  for (let k = 0; k < p.runs.length; k += 2) n += p.runs[k + 1]! - p.runs[k]!;
  return n;
}

/**
 * The union of axis-aligned pixel rectangles `x0, y0, x1, y1` (ends exclusive, integers),
 * clipped to the image. Overlapping rectangles paint a pixel once.
 */
export function rectRuns(width: number, height: number, rects: ArrayLike<number>): PaintedRuns {
  const n = rects.length >> 2;
  const clipped: number[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = Math.max(0, rects[i * 4]!);
    const y0 = Math.max(0, rects[i * 4 + 1]!);
    const x1 = Math.min(width, rects[i * 4 + 2]!);
    const y1 = Math.min(height, rects[i * 4 + 3]!);
    if (x1 > x0 && y1 > y0) clipped.push(x0, y0, x1, y1);
  }
  const b = new RunBuilder(width, height, clipped.length);
  // Rectangles sorted by x0 once: every row's intervals then come out sorted.
  const order = Array.from({ length: clipped.length >> 2 }, (_, i) => i).sort((a, c) => clipped[a * 4]! - clipped[c * 4]!);
  for (let y = 0; y < height; y++) {
    let curA = -1;
    let curB = -1;
    for (const i of order) {
      if (y < clipped[i * 4 + 1]! || y >= clipped[i * 4 + 3]!) continue;
      const a = clipped[i * 4]!;
      const c = clipped[i * 4 + 2]!;
      if (a > curB) {
        b.push(curA, curB);
        curA = a;
        curB = c;
      } else if (c > curB) curB = c;
    }
    b.push(curA, curB);
    b.endRow(y);
  }
  return b.done();
}

/** Explicit grid-mask parameters (all already drawn). */
export interface GridMaskParams {
  /** Unit size d in pixels (integer ≥ 1): the grid's period on both axes. */
  d: number;
  /** Kept band fraction r of a unit, 0..1: masked squares have side d − ceil(d·r). */
  ratio: number;
  /** Grid offsets δx, δy in pixels, integers in [0, d). */
  dx: number;
  dy: number;
  /** Rotation of the grid about the image centre, degrees counter-clockwise (PIL `Image.rotate`). */
  angle: number;
}

/** Fixed-point scale of grid coordinates: 16 fractional bits. */
const FIX = 65536;

/**
 * Painted pixels of a grid mask (Chen et al. 2020, official implementation with mode 1:
 * the masked parts are the squares). With l = ceil(d·r), a pixel whose grid coordinates
 * are (u, v) is painted when `mod(⌊u⌋ − δx, d) ≥ l` and `mod(⌊v⌋ − δy, d) ≥ l`: squares of
 * side d − l on a lattice of period d, `(δx + l, δy + l)` the top-left of one of them.
 *
 * (u, v) is the pixel centre turned by θ about the image centre (cx, cy) = (W/2, H/2):
 * `u = cx + cosθ·(x + ½ − cx) − sinθ·(y + ½ − cy)`, `v = cy + sinθ·(x + ½ − cx) + cosθ·(y + ½ − cy)`,
 * a nearest-neighbour sample of the grid rotated counter-clockwise as PIL's `Image.rotate`
 * does in the official code. Both are held in 16.16 fixed point, like PIL's nearest affine:
 * `U(x) = round(2¹⁶·u(0)) + x·round(2¹⁶·cosθ)` (V likewise with sinθ), `⌊u⌋ = ⌊U / 2¹⁶⌋`;
 * so each row's painted runs come exactly from integer interval arithmetic, without a
 * per-pixel loop. At θ = 0, (⌊u⌋, ⌊v⌋) = (x, y). (The official code draws its grid on a
 * diagonal-sized square and crops the centre; that only shifts the phase, which δ draws.)
 */
export function gridRuns(width: number, height: number, p: GridMaskParams): PaintedRuns {
  const d = p.d;
  const l = Math.ceil(d * p.ratio);
  const empty = l >= d || width === 0;
  const b = new RunBuilder(width, height, empty ? 1 : Math.ceil(height * (width / d + 2)));
  if (empty) {
    for (let y = 0; y < height; y++) b.endRow(y);
    return b.done();
  }
  const theta = ((p.angle % 360) * Math.PI) / 180;
  // Exact 0 and 1 at multiples of 90° (Math.cos(π/2) is 6e-17, which fixed point rounds away anyway).
  const c = p.angle % 360 === 0 ? 1 : Math.cos(theta);
  const s = p.angle % 360 === 0 ? 0 : Math.sin(theta);
  const cx = width / 2;
  const cy = height / 2;
  const su = Math.round(FIX * c);
  const sv = Math.round(FIX * s);
  // A row meets at most W/d + 2 bands per axis (+1 that the band search may add).
  const iu = new Int32Array(2 * (Math.ceil(width / d) + 4));
  const iv = new Int32Array(iu.length);
  for (let y = 0; y < height; y++) {
    const py = y + 0.5 - cy;
    const u0 = Math.round(FIX * (cx + c * (0.5 - cx) - s * py));
    const v0 = Math.round(FIX * (cy + s * (0.5 - cx) + c * py));
    const nu = bandIntervals(u0, su, p.dx, d, l, width, iu);
    const nv = bandIntervals(v0, sv, p.dy, d, l, width, iv);
    // Both lists are sorted and disjoint: intersect them with two cursors.
    for (let i = 0, j = 0; i < nu && j < nv; ) {
      const a = Math.max(iu[i]!, iv[j]!);
      const e = Math.min(iu[i + 1]!, iv[j + 1]!);
      if (e > a) b.push(a, e);
      if (iu[i + 1]! < iv[j + 1]!) i += 2;
      else j += 2;
    }
    b.endRow(y);
  }
  return b.done();
}

/**
 * The columns x in [0, width) whose fixed-point coordinate `t0 + x·step` falls in a
 * painted band — `⌊t/2¹⁶⌋ ∈ [δ + l + m·d, δ + (m+1)·d)` for some m — as sorted `[x0, x1)`
 * pairs written into `out`; returns the number of values written.
 */
function bandIntervals(t0: number, step: number, delta: number, d: number, l: number, width: number, out: Int32Array): number {
  let n = 0;
  if (step === 0) {
    if (floorMod(Math.floor(t0 / FIX) - delta, d) >= l) {
      out[n++] = 0;
      out[n++] = width;
    }
    return n;
  }
  const tEnd = t0 + (width - 1) * step;
  const lo = Math.min(t0, tEnd);
  const hi = Math.max(t0, tEnd);
  // Bands that can meet [lo, hi], in the order x meets them.
  const mFirst = Math.floor((Math.floor(lo / FIX) - delta - l) / d);
  const mLast = Math.floor((Math.floor(hi / FIX) - delta) / d);
  const count = mLast - mFirst + 1;
  for (let k = 0; k < count; k++) {
    const m = step > 0 ? mFirst + k : mLast - k;
    const bandLo = (delta + l + m * d) * FIX;
    const bandHi = (delta + (m + 1) * d) * FIX;
    let x0: number;
    let x1: number;
    if (step > 0) {
      // bandLo ≤ t0 + x·step < bandHi
      x0 = Math.ceil((bandLo - t0) / step);
      x1 = Math.ceil((bandHi - t0) / step);
    } else {
      const q = -step;
      x0 = Math.floor((t0 - bandHi) / q) + 1;
      x1 = Math.floor((t0 - bandLo) / q) + 1;
    }
    if (x0 < 0) x0 = 0;
    if (x1 > width) x1 = width;
    if (x1 > x0) {
      out[n++] = x0;
      out[n++] = x1;
    }
  }
  return n;
}

function floorMod(a: number, d: number): number {
  const m = a % d;
  return m < 0 ? m + d : m;
}

/**
 * Visible fraction of each box (n×4 voc) under the painted runs, by the definition in
 * this module's header: fractional pixel coverage, box clipped to the image, 1 for a box
 * of zero clipped area.
 */
export function visibleFractions(boxes: Float32Array, painted: PaintedRuns): Float64Array {
  const { width: W, height: H, rowStart, runs } = painted;
  const n = boxes.length >> 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const bx1 = Math.min(Math.max(boxes[i * 4]!, 0), W);
    const by1 = Math.min(Math.max(boxes[i * 4 + 1]!, 0), H);
    const bx2 = Math.min(Math.max(boxes[i * 4 + 2]!, 0), W);
    const by2 = Math.min(Math.max(boxes[i * 4 + 3]!, 0), H);
    const area = (bx2 - bx1) * (by2 - by1);
    if (!(bx2 > bx1 && by2 > by1)) {
      out[i] = 1;
      continue;
    }
    let hidden = 0;
    const r0 = Math.floor(by1);
    const r1 = Math.min(H, Math.ceil(by2));
    for (let y = r0; y < r1; y++) {
      const wy = Math.min(by2, y + 1) - Math.max(by1, y);
      let row = 0;
      for (let k = rowStart[y]!, e = rowStart[y + 1]!; k < e; k++) {
        const x0 = runs[2 * k]!;
        if (x0 >= bx2) break;
        const o = Math.min(runs[2 * k + 1]!, bx2) - Math.max(x0, bx1);
        if (o > 0) row += o;
      }
      hidden += wy * row;
    }
    out[i] = (area - hidden) / area;
  }
  return out;
}

/** The image's mean colour per channel, rounded half up (0 for an empty image). */
export function meanColour(img: RawImage): [number, number, number] {
  const n = img.data.length / 3;
  if (n === 0) return [0, 0, 0];
  const [R, G, B] = channelSums(img);
  return [Math.round(R / n), Math.round(G / n), Math.round(B / n)];
}

/**
 * Paint the runs onto a copy of `src`. Fill `'random'` draws four words from `rng.u32()`
 * to seed an sfc32 stream (state a, b, c, counter, then 12 outputs discarded, as `Rng`
 * seeds itself); the stream's words give the bytes, low byte first, through the painted
 * pixels in row-major order and R, G, B within a pixel (a word's leftover bytes carry on
 * to the next run).
 */
export function paintRuns(src: RawImage, painted: PaintedRuns, fill: Fill, rng?: Rng): RawImage {
  const data = src.data.slice();
  const { width: W, height: H, rowStart, runs } = painted;
  if (W !== src.width || H !== src.height) throw new RangeError(`paintRuns: runs for ${W}×${H} on a ${src.width}×${src.height} image`);
  if (fill === 'random') {
    if (!rng) throw new TypeError("paintRuns: fill 'random' needs an rng");
    // sfc32 (the generator behind Rng) inlined and seeded by four rng draws: a method
    // call per 4 bytes costs ~10× the bytes themselves on a large erased area.
    let a = rng.u32() | 0;
    let b = rng.u32() | 0;
    let c = rng.u32() | 0;
    let n = rng.u32() | 0;
    let t = 0;
    // The state stays in locals (a closure would box it): the step is written out where used.
    for (let k = 0; k < 12; k++) {
      t = (((a + b) | 0) + n) | 0;
      n = (n + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = ((c << 21) | (c >>> 11)) + t | 0;
    }
    // Little-endian word stores: bytes land low byte first on any platform.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let word = 0;
    let left = 0;
    for (let y = 0; y < H; y++) {
      for (let k = rowStart[y]!, e = rowStart[y + 1]!; k < e; k++) {
        const end = (y * W + runs[2 * k + 1]!) * 3;
        let i = (y * W + runs[2 * k]!) * 3;
        for (; left > 0 && i < end; left--, i++) {
          data[i] = word & 255;
          word >>>= 8;
        }
        for (; i + 4 <= end; i += 4) {
          t = (((a + b) | 0) + n) | 0;
          n = (n + 1) | 0;
          a = b ^ (b >>> 9);
          b = (c + (c << 3)) | 0;
          c = ((c << 21) | (c >>> 11)) + t | 0;
          view.setInt32(i, t, true);
        }
        if (i < end) {
          t = (((a + b) | 0) + n) | 0;
          n = (n + 1) | 0;
          a = b ^ (b >>> 9);
          b = (c + (c << 3)) | 0;
          c = ((c << 21) | (c >>> 11)) + t | 0;
          word = t >>> 0;
          for (left = 4; i < end; left--, i++) {
            data[i] = word & 255;
            word >>>= 8;
          }
        }
      }
    }
    return { data, width: W, height: H };
  }
  const [r, g, b] = fill === 'mean' ? meanColour(src) : typeof fill === 'number' ? [fill, fill, fill] : fill;
  for (let y = 0; y < H; y++) {
    for (let k = rowStart[y]!, e = rowStart[y + 1]!; k < e; k++) {
      const start = (y * W + runs[2 * k]!) * 3;
      const end = (y * W + runs[2 * k + 1]!) * 3;
      // typed-array fill pays a call per run: only worth it on long runs
      if (r === g && g === b && end - start > 96) data.fill(r, start, end);
      else {
        for (let i = start; i < end; i += 3) {
          data[i] = r;
          data[i + 1] = g;
          data[i + 2] = b;
        }
      }
    }
  }
  return { data, width: W, height: H };
}

/**
 * Paint `painted` with `fill` and drop the boxes whose visible fraction is below
 * `minVisibility` (per-box arrays follow). `rng` is needed only for fill `'random'`.
 * Nothing painted: the sample comes back as it was.
 */
export function occlude<T extends Annotated>(s: T, painted: PaintedRuns, fill: Fill, minVisibility: number, rng?: Rng): T {
  if (painted.runs.length === 0) return s;
  const image = paintRuns(s.image, painted, fill, rng);
  const n = s.classes.length;
  if (n === 0 || minVisibility <= 0) return { ...s, image };
  const vis = visibleFractions(s.boxes, painted);
  const keep = new Array<boolean>(n);
  for (let i = 0; i < n; i++) keep[i] = vis[i]! >= minVisibility;
  return selectBoxes({ ...s, image }, keep);
}

// ---------------------------------------------------------------------------------------
// Random erasing

/** A pixel rectangle: columns `x .. x+width−1`, rows `y .. y+height−1`. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The random-erasing rectangle search (Zhong et al. 2017, torchvision `RandomErasing.get_params`):
 * up to 10 attempts, each drawing the area fraction `U(area)` then the log aspect ratio
 * `U(log ratio)`; `h = round(√(A·a·ratio))`, `w = round(√(A·a/ratio))` (Python round,
 * halves to even); the first attempt with `h < H` and `w < W` then draws the top
 * `int(0, H−h)` and the left `int(0, W−w)`. `null` when no attempt fits (the image stays unchanged).
 */
export function randomErasingRect(
  width: number,
  height: number,
  area: readonly [number, number],
  ratio: readonly [number, number],
  rng: Rng,
): PixelRect | null {
  const A = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const erase = A * rng.uniform(area[0], area[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const h = roundHalfEven(Math.sqrt(erase * aspect));
    const w = roundHalfEven(Math.sqrt(erase / aspect));
    if (!(h < height && w < width)) continue;
    const y = rng.int(0, height - h);
    const x = rng.int(0, width - w);
    return { x, y, width: w, height: h };
  }
  return null;
}

/** Erase one pixel rectangle (random erasing with its rectangle already drawn). */
export function eraseRect<T extends Annotated>(s: T, rect: PixelRect, fill: Fill, minVisibility: number, rng?: Rng): T {
  const painted = rectRuns(s.image.width, s.image.height, [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height]);
  return occlude(s, painted, fill, minVisibility, rng);
}

/** Options of the `randomErasing` kernel (validated by the `randomErasing()` factory). */
export interface RandomErasingKernelOptions {
  /** Erased area as a fraction of the image, `[lo, hi]`. Default `[0.02, 0.4]`. */
  area?: readonly [number, number];
  /** Aspect ratio h/w range, drawn log-uniform. Default `[0.3, 3.3]`. */
  ratio?: readonly [number, number];
  /** Default `'random'`. */
  fill?: Fill;
  /** Default {@link DEFAULT_MIN_VISIBILITY}. */
  minVisibility?: number;
}

/**
 * The `randomErasing` kernel. Draws: the rectangle search of {@link randomErasingRect}
 * (2 per attempt, then top and left), then the fill bytes when fill is `'random'`.
 */
export const randomErasingKernel: Kernel<RandomErasingKernelOptions> = (s: KernelSample, o, rng) => {
  const rect = randomErasingRect(s.image.width, s.image.height, o.area ?? [0.02, 0.4], o.ratio ?? [0.3, 3.3], rng);
  if (!rect) return s;
  return eraseRect(s, rect, o.fill ?? 'random', o.minVisibility ?? DEFAULT_MIN_VISIBILITY, rng);
};

// ---------------------------------------------------------------------------------------
// Cutout

/**
 * Square holes of side `side` centred on pixels `centres` (cx, cy pairs): hole k covers
 * columns `cx − ⌊side/2⌋ ≤ x < cx − ⌊side/2⌋ + side` (rows likewise), clipped at the border.
 * For an even side this is the reference's `[c − side/2, c + side/2)`; for an odd side the
 * reference's square is one pixel short (`2·⌊side/2⌋`), ours has the side asked for.
 */
export function cutoutRects(centres: ArrayLike<number>, side: number): Int32Array {
  const n = centres.length >> 1;
  const rects = new Int32Array(n * 4);
  const half = Math.floor(side / 2);
  for (let i = 0; i < n; i++) {
    const x0 = centres[2 * i]! - half;
    const y0 = centres[2 * i + 1]! - half;
    rects.set([x0, y0, x0 + side, y0 + side], i * 4);
  }
  return rects;
}

/** Cut square holes (cutout with its centres already drawn); overlapping holes paint once. */
export function cutoutHoles<T extends Annotated>(
  s: T,
  centres: ArrayLike<number>,
  side: number,
  fill: Fill,
  minVisibility: number,
  rng?: Rng,
): T {
  const painted = rectRuns(s.image.width, s.image.height, cutoutRects(centres, side));
  return occlude(s, painted, fill, minVisibility, rng);
}

/** Options of the `cutout` kernel (validated by the `cutout()` factory). */
export interface CutoutKernelOptions {
  /** Number of holes. Default 1. */
  holes?: number;
  /** Side as a fraction of min(W, H), rounded half up, at least 1 px. Used when `sizePx` is absent; default 0.5. */
  size?: number;
  /** Side in pixels. */
  sizePx?: number;
  /** Default 0 (the paper's zero mask). */
  fill?: Fill;
  /** Default {@link DEFAULT_MIN_VISIBILITY}. */
  minVisibility?: number;
}

/** Side in pixels of a cutout hole on a `width × height` image. */
export function cutoutSide(width: number, height: number, o: Pick<CutoutKernelOptions, 'size' | 'sizePx'>): number {
  if (o.sizePx !== undefined) return o.sizePx;
  return Math.max(1, Math.round((o.size ?? 0.5) * Math.min(width, height)));
}

/**
 * The `cutout` kernel (DeVries & Taylor 2017). Draws, per hole: centre row `int(0, H−1)`
 * then centre column `int(0, W−1)` (the reference's order); then the fill bytes when
 * fill is `'random'`.
 */
export const cutoutKernel: Kernel<CutoutKernelOptions> = (s: KernelSample, o, rng) => {
  const { width: W, height: H } = s.image;
  if (W === 0 || H === 0) return s;
  const n = o.holes ?? 1;
  const centres = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    centres[2 * i + 1] = rng.int(0, H - 1);
    centres[2 * i] = rng.int(0, W - 1);
  }
  return cutoutHoles(s, centres, cutoutSide(W, H, o), o.fill ?? 0, o.minVisibility ?? DEFAULT_MIN_VISIBILITY, rng);
};

// ---------------------------------------------------------------------------------------
// Grid mask

/** Apply a grid mask with its parameters already drawn (see {@link gridRuns}). */
export function applyGridMask<T extends Annotated>(s: T, p: GridMaskParams, fill: Fill, minVisibility: number, rng?: Rng): T {
  return occlude(s, gridRuns(s.image.width, s.image.height, p), fill, minVisibility, rng);
}

/** Options of the `gridMask` kernel (validated by the `gridMask()` factory). */
export interface GridMaskKernelOptions {
  /** Unit size d ~ int in [d1, d2), pixels. Defaults 96 and 224 (the official ImageNet setting). */
  d1?: number;
  d2?: number;
  /** Kept band fraction of a unit. Default 0.6. */
  ratio?: number;
  /** Maximum rotation in degrees; angle ~ U(0, rotate). Default 0 (no rotation). */
  rotate?: number;
  /** Default 0. */
  fill?: Fill;
  /** Default {@link DEFAULT_MIN_VISIBILITY}. */
  minVisibility?: number;
}

/**
 * The `gridMask` kernel (Chen et al. 2020). Draws, in the official code's order: d =
 * `int(d1, d2−1)`, δy = `int(0, d−1)`, δx = `int(0, d−1)`, then the angle `U(0, rotate)`
 * only when `rotate > 0`; then the fill bytes when fill is `'random'`.
 */
export const gridMaskKernel: Kernel<GridMaskKernelOptions> = (s: KernelSample, o, rng) => {
  const d1 = o.d1 ?? 96;
  const d2 = o.d2 ?? 224;
  const d = rng.int(d1, d2 - 1);
  const dy = rng.int(0, d - 1);
  const dx = rng.int(0, d - 1);
  const rotate = o.rotate ?? 0;
  const angle = rotate > 0 ? rng.uniform(0, rotate) : 0;
  return applyGridMask(s, { d, ratio: o.ratio ?? 0.6, dx, dy, angle }, o.fill ?? 0, o.minVisibility ?? DEFAULT_MIN_VISIBILITY, rng);
};

/** Registry names → kernels of this module. */
export const occlusionKernels: Record<string, Kernel> = {
  randomErasing: randomErasingKernel,
  cutout: cutoutKernel,
  gridMask: gridMaskKernel,
};
