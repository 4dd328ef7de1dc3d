/**
 * Colour kernels (SPEC §2): OpenCV-exact 8-bit RGB↔HSV, the HSV augmentation in its
 * YOLOv5 (`augment_hsv`) and Darknet (`image_data_augmentation`) forms, and
 * brightness/contrast through a lookup table. Boxes never move: a colour kernel returns
 * the input's per-box arrays as they are (they are not mutated, so sharing is safe).
 *
 * Exactness. The conversions reproduce what `cv2.cvtColor` computes for 8-bit images,
 * checked exhaustively against OpenCV 4.6 (opencv-python wheel on an x86-64 CPU with
 * AVX2 and FMA): 0 mismatches over all 2^24 RGB colours (RGB→HSV) and all 2^24 HSV
 * triples, hue 0..255 (HSV→RGB); see test/reference/hsv.py.
 *
 * - RGB→HSV is integer arithmetic (division tables with a 12-bit shift, rounded), the
 *   same on every CPU and for every pixel position.
 * - HSV→RGB goes through float32 and OpenCV has two code paths that disagree on about
 *   74% of all triples by one grey level: the vector path (FMA in both `1 − s·h` terms,
 *   result truncated) and the scalar path (FMA only in `1 − s·f`, result rounded half
 *   to even). With the AVX2 dispatch the vector path converts each row's first
 *   ⌊W/32⌋·32 pixels and the scalar path the rest ({@link HSV_VECTOR_BLOCK}); this
 *   module does the same, so whole images agree bit for bit. CPUs without AVX2 (SSE4.1
 *   build: blocks of 16, no FMA) give slightly different bytes in OpenCV itself.
 *
 * @packageDocumentation
 */
import type { RawImage } from '../core/types.ts';
import type { Rng } from '../core/rng.ts';
import type { Kernel, KernelSample } from './transform.ts';

import { bytes, kernels, stageImage, takeOutput, TABLES } from '../wasm/index.ts';
import { roundHalfEven } from './round.ts';

const fround = Math.fround;

// ---------------------------------------------------------------------------------
// RGB → HSV (8-bit, hue 0..179)

/** OpenCV's fixed-point shift for the 8-bit RGB→HSV division tables. */
const HSV_SHIFT = 12;
const HALF = 1 << (HSV_SHIFT - 1);

/** round((255 << 12) / v): turns `diff · SDIV[v] >> 12` into 255·diff/v. */
const SDIV = new Int32Array(256);
/** round((180 << 12) / (6·diff)): turns `h · HDIV[diff] >> 12` into 30·h/diff (hue 0..180). */
const HDIV = new Int32Array(256);
for (let i = 1; i < 256; i++) {
  // Neither quotient is ever an exact half (2^13 does not divide 2·i), so Math.round
  // agrees with OpenCV's round-half-to-even here.
  SDIV[i] = Math.round((255 << HSV_SHIFT) / i);
  HDIV[i] = Math.round((180 << HSV_SHIFT) / (6 * i));
}

/**
 * One 8-bit RGB colour to OpenCV HSV (`cv2.COLOR_RGB2HSV`): hue 0..179, s and v 0..255.
 * `v = max`, `s = round(255·(max − min)/max)`, hue from the sector of the maximum, all
 * in 12-bit fixed point as OpenCV rounds it.
 * @example rgbToHsvPixel(255, 128, 0) // [15, 255, 255]
 */
export function rgbToHsvPixel(r: number, g: number, b: number): [number, number, number] {
  const v = r > g ? (r > b ? r : b) : g > b ? g : b;
  const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
  const diff = v - mn;
  const s = (diff * SDIV[v]! + HALF) >> HSV_SHIFT;
  const num = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
  let h = (num * HDIV[diff]! + HALF) >> HSV_SHIFT;
  if (h < 0) h += 180;
  return [h, s, v];
}

/**
 * RGB → HSV for a whole image, each plane passed through a 256-entry lookup table, into
 * `out` (interleaved H,S,V). Allocation-free; always called with tables (identity ones
 * for a plain conversion) so the loop stays monomorphic.
 */
function rgbToHsvInto(src: Uint8Array, out: Uint8Array, lutH: Uint8Array, lutS: Uint8Array, lutV: Uint8Array): void {
  const n = src.length;
  const sdiv = SDIV;
  const hdiv = HDIV;
  for (let i = 0; i < n; i += 3) {
    const r = src[i]!;
    const g = src[i + 1]!;
    const b = src[i + 2]!;
    // Nested on the maximum (fewer unpredictable branches than max, min, then the
    // sector); ties go to r, then g, as in OpenCV.
    let v: number, diff: number, num: number;
    if (r >= g) {
      if (r >= b) {
        v = r;
        diff = r - (g < b ? g : b);
        num = g - b;
      } else {
        v = b;
        diff = b - g;
        num = r - g + 4 * diff;
      }
    } else if (g >= b) {
      v = g;
      diff = g - (r < b ? r : b);
      num = b - r + 2 * diff;
    } else {
      v = b;
      diff = b - r;
      num = r - g + 4 * diff;
    }
    let h = (num * hdiv[diff]! + HALF) >> HSV_SHIFT;
    if (h < 0) h += 180;
    out[i] = lutH[h]!;
    out[i + 1] = lutS[(diff * sdiv[v]! + HALF) >> HSV_SHIFT]!;
    out[i + 2] = lutV[v]!;
  }
}

const IDENTITY = Uint8Array.from({ length: 256 }, (_, i) => i);

/** `cv2.cvtColor(img, cv2.COLOR_RGB2HSV)` for an 8-bit RGB image: interleaved H (0..179), S, V. */
export function rgbToHsv(src: RawImage): Uint8Array {
  const out = new Uint8Array(src.data.length);
  rgbToHsvInto(src.data, out, IDENTITY, IDENTITY, IDENTITY);
  return out;
}

// ---------------------------------------------------------------------------------
// HSV → RGB (8-bit, through float32)

/**
 * Pixels per block of OpenCV's vector HSV→RGB path under the AVX2 dispatch (4 vectors
 * of 8 float lanes). Each row's first ⌊W/32⌋·32 pixels take the vector path, the rest
 * the scalar path. Pass 0 as `vectorBlock` for the scalar path everywhere (an OpenCV
 * built without SIMD).
 */
export const HSV_VECTOR_BLOCK = 32;


/*
 * Tables of the float32 HSV→RGB arithmetic: everything that does not depend on all three
 * of H, S, V, so a pixel costs one float multiply chain. Module constants, built once at
 * import, which V8 compiles into the loops better than tables passed around.
 */
const K255 = fround(1 / 255);
const HSCALE = fround(6 / 180);
/** fround(x/255) for a byte x: OpenCV's s and v. */
const UNIT = new Float32Array(256);
/** Sector 0..5 of hue byte H (h·6/180 wrapped to [0,6)). */
const SECTOR = new Uint8Array(256);
/** The fractional part of h·6/180 within its sector. */
const FRAC = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  UNIT[i] = fround(i * K255);
  const h = fround(i * HSCALE); // < 8.5, so the subtractions below are exact in float32
  const whole = Math.floor(h);
  FRAC[i] = h - whole;
  SECTOR[i] = whole % 6;
}
/**
 * By S<<8|H: the factor of v in the one tab that depends on the hue (tab2 = v·(1 − s·f) in
 * odd sectors, tab3 = v·(1 − s·(1 − f)) in even ones), vector and scalar path.
 */
const FAC_VEC = new Float32Array(65536);
const FAC_SC = new Float32Array(65536);
/** Output byte of tab0 = v, by V: vector path (truncates) and scalar path (rounds). */
const O0_VEC = new Uint8Array(256);
const O0_SC = new Uint8Array(256);
/** Output byte of tab1 = v·(1 − s), by S<<8|V. */
const O1_VEC = new Uint8Array(65536);
const O1_SC = new Uint8Array(65536);
// Built at import (≈ 7 ms once per thread) rather than lazily: module constants keep the
// per-pixel loops ≈ 4% faster than tables held in `let` bindings. In a function so V8 optimises it.
function fillHsvTables(): void {
  for (let v = 0; v < 256; v++) {
    const t = fround(UNIT[v]! * 255);
    O0_VEC[v] = Math.trunc(t);
    O0_SC[v] = roundHalfEven(t);
  }
  for (let s = 0; s < 256; s++) {
    const S = UNIT[s]!;
    const oneMinusS = fround(1 - S);
    for (let v = 0; v < 256; v++) {
      const t = fround(fround(UNIT[v]! * oneMinusS) * 255);
      O1_VEC[(s << 8) | v] = Math.trunc(t);
      O1_SC[(s << 8) | v] = roundHalfEven(t);
    }
    for (let h = 0; h < 256; h++) {
      const f = FRAC[h]!;
      const k = (s << 8) | h;
      if (SECTOR[h]! & 1) {
        // 1 − s·f is a fused multiply-subtract on both paths: the product of two floats is
        // exact in float64, then one rounding to float32.
        FAC_VEC[k] = FAC_SC[k] = fround(1 - S * f);
      } else {
        // 1 − s·(1 − f) is fused on the vector path only.
        const g = fround(1 - f);
        FAC_VEC[k] = fround(1 - S * g);
        FAC_SC[k] = fround(1 - fround(S * g));
      }
    }
  }
}
fillHsvTables();

/**
 * HSV → RGB for interleaved 8-bit HSV `hsv` (hue bytes ≥ 180 wrap, as OpenCV's do) into
 * `out`, row by row with OpenCV's split between the vector and the scalar path.
 */
function hsvToRgbInto(hsv: Uint8Array, out: Uint8Array, width: number, height: number, vectorBlock: number): void {
  const vecEnd = vectorBlock > 0 ? Math.floor(width / vectorBlock) * vectorBlock : 0;
  const row = width * 3;
  if (vecEnd === width) {
    hsvRunVector(hsv, out, 0, row * height);
    return;
  }
  for (let y = 0; y < height; y++) {
    const base = y * row;
    if (vecEnd > 0) hsvRunVector(hsv, out, base, base + vecEnd * 3);
    hsvRunScalar(hsv, out, base + vecEnd * 3, base + row);
  }
}

/*
 * The two paths below differ only in their tables and in truncating vs rounding; they
 * are separate loops because one shared loop with a flag ran 1.5× slower in V8.
 * OpenCV's sector table {b,g,r} = {1,3,0} {1,0,2} {3,0,1} {0,2,1} {0,1,3} {2,1,0} is
 * written out in RGB order; `t` is tab3 in even sectors and tab2 in odd ones.
 */

/** OpenCV's vector path over byte offsets [start, end): truncates. */
function hsvRunVector(hsv: Uint8Array, out: Uint8Array, start: number, end: number): void {
  const vf = UNIT, sector = SECTOR, fac = FAC_VEC, o0 = O0_VEC, o1 = O1_VEC;
  for (let i = start; i < end; i += 3) {
    const H = hsv[i]!;
    const S = hsv[i + 1]!;
    const V = hsv[i + 2]!;
    const t = fround(fround(vf[V]! * fac[(S << 8) | H]!) * 255) | 0;
    const t0 = o0[V]!;
    const t1 = o1[(S << 8) | V]!;
    switch (sector[H]) {
      case 0: out[i] = t0; out[i + 1] = t; out[i + 2] = t1; break;
      case 1: out[i] = t; out[i + 1] = t0; out[i + 2] = t1; break;
      case 2: out[i] = t1; out[i + 1] = t0; out[i + 2] = t; break;
      case 3: out[i] = t1; out[i + 1] = t; out[i + 2] = t0; break;
      case 4: out[i] = t; out[i + 1] = t1; out[i + 2] = t0; break;
      default: out[i] = t0; out[i + 1] = t1; out[i + 2] = t;
    }
  }
}

/** OpenCV's scalar path over byte offsets [start, end): rounds half to even. */
function hsvRunScalar(hsv: Uint8Array, out: Uint8Array, start: number, end: number): void {
  const vf = UNIT, sector = SECTOR, fac = FAC_SC, o0 = O0_SC, o1 = O1_SC;
  for (let i = start; i < end; i += 3) {
    const H = hsv[i]!;
    const S = hsv[i + 1]!;
    const V = hsv[i + 2]!;
    const t = roundHalfEven(fround(fround(vf[V]! * fac[(S << 8) | H]!) * 255));
    const t0 = o0[V]!;
    const t1 = o1[(S << 8) | V]!;
    switch (sector[H]) {
      case 0: out[i] = t0; out[i + 1] = t; out[i + 2] = t1; break;
      case 1: out[i] = t; out[i + 1] = t0; out[i + 2] = t1; break;
      case 2: out[i] = t1; out[i + 1] = t0; out[i + 2] = t; break;
      case 3: out[i] = t1; out[i + 1] = t; out[i + 2] = t0; break;
      case 4: out[i] = t; out[i + 1] = t1; out[i + 2] = t0; break;
      default: out[i] = t0; out[i + 1] = t1; out[i + 2] = t;
    }
  }
}

/**
 * One OpenCV HSV triple (hue 0..255; ≥ 180 wraps) to RGB by one of OpenCV's two 8-bit
 * paths: `vector` (default; the path most pixels of an image take) or `scalar`.
 * @example hsvToRgbPixel(15, 66, 67) // [67, 58, 49]; hsvToRgbPixel(15, 66, 67, 'scalar') // [67, 58, 50]
 */
export function hsvToRgbPixel(h: number, s: number, v: number, path: 'vector' | 'scalar' = 'vector'): [number, number, number] {
  const out = new Uint8Array(3);
  hsvToRgbInto(Uint8Array.of(h, s, v), out, 1, 1, path === 'scalar' ? 0 : 1);
  return [out[0]!, out[1]!, out[2]!];
}

/**
 * `cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)` for interleaved 8-bit HSV of `width`×`height`.
 * `vectorBlock` ({@link HSV_VECTOR_BLOCK}, default 32) says where each row switches from
 * OpenCV's vector path to its scalar path; 0 = scalar everywhere.
 */
export function hsvToRgb(hsv: Uint8Array, width: number, height: number, vectorBlock = HSV_VECTOR_BLOCK): RawImage {
  if (hsv.length !== width * height * 3) throw new RangeError(`hsvToRgb: ${hsv.length} bytes is not ${width}×${height}×3`);
  const data = new Uint8Array(hsv.length);
  hsvToRgbInto(hsv, data, width, height, vectorBlock);
  return { data, width, height };
}

/** A scratch HSV buffer reused between calls (kernels run synchronously, one at a time per thread). */
let scratch = new Uint8Array(0);

/**
 * RGB → HSV, each of H, S, V through its 256-entry table, → RGB: the per-pixel path
 * of both HSV augmentations. Returns a new image; `src` is not touched.
 */
export function applyHsvLuts(
  src: RawImage,
  luts: { hue: Uint8Array; sat: Uint8Array; val: Uint8Array },
  vectorBlock = HSV_VECTOR_BLOCK,
): RawImage {
  const { width, height } = src;
  const n = src.data.length;
  const vecEnd = vectorBlock > 0 ? Math.floor(width / vectorBlock) * vectorBlock : 0;
  const data = vecEnd > 0 ? hsvVectorPart(src, vecEnd, luts) : new Uint8Array(n);
  if (vecEnd === width) return { data, width, height };
  // OpenCV's scalar path for the rest of each row
  const row = width * 3;
  if (scratch.length < row) scratch = new Uint8Array(row);
  for (let y = 0; y < height; y++) {
    const split = y * row + vecEnd * 3;
    const len = (width - vecEnd) * 3;
    const hsv = scratch.subarray(0, len);
    rgbToHsvInto(src.data.subarray(split, split + len), hsv, luts.hue, luts.sat, luts.val);
    hsvRunScalar(hsv, data.subarray(split, split + len), 0, len);
  }
  return { data, width, height };
}

/** Whether this thread's WebAssembly instance holds the conversion tables yet. */
let wasmTablesReady = false;

/** Write the tables of the float32 HSV→RGB arithmetic into the wasm memory, in assembly/kernels.ts's layout. */
function loadWasmTables(): void {
  const mem = bytes();
  const at = (offset: number) => TABLES + offset;
  new Int32Array(mem.buffer, at(0), 256).set(SDIV);
  new Int32Array(mem.buffer, at(1024), 256).set(HDIV);
  new Float32Array(mem.buffer, at(2048), 256).set(UNIT);
  mem.set(SECTOR, at(3072));
  mem.set(O0_VEC, at(3328));
  new Float32Array(mem.buffer, at(8192), 65536).set(FAC_VEC);
  mem.set(O1_VEC, at(270336));
  wasmTablesReady = true;
}

/**
 * RGB → LUT'd HSV → RGB on OpenCV's vector path for the first `vecEnd` pixels of every
 * row, in WebAssembly (assembly/kernels.ts `hsvCached`): the same arithmetic as the
 * two-pass TypeScript path, plus a direct-mapped cache of colours seen in the image —
 * photos repeat about half their colours (the letterbox pad entirely), and a hit skips
 * both conversions. Returns the output with the rows' tails still to fill.
 */
function hsvVectorPart(src: RawImage, vecEnd: number, luts: { hue: Uint8Array; sat: Uint8Array; val: Uint8Array }): Uint8Array {
  const k = kernels();
  const n = src.data.length;
  const { srcPtr, dstPtr } = stageImage(src.data, n);
  if (!wasmTablesReady) loadWasmTables();
  const mem = bytes();
  mem.set(luts.hue, TABLES + 3584);
  mem.set(luts.sat, TABLES + 3840);
  mem.set(luts.val, TABLES + 4096);
  k.hsvCached(srcPtr, dstPtr, src.width * 3, src.height, vecEnd * 3, TABLES);
  return takeOutput(dstPtr, n);
}

// ---------------------------------------------------------------------------------
// HSV augmentation: YOLOv5

/** YOLOv5's default gains (`hyp.scratch.yaml`: hsv_h 0.015, hsv_s 0.7, hsv_v 0.4). */
export const YOLOV5_HSV_GAINS = { hgain: 0.015, sgain: 0.7, vgain: 0.4 } as const;

/**
 * YOLOv5 `augment_hsv` lookup tables for gains `r = [r_h, r_s, r_v]`, in float64 over
 * x = 0..255: hue `(x·r_h) mod 180` (Python's non-negative mod), saturation and value
 * `clip(x·r, 0, 255)`, each truncated to a byte as numpy's `astype(uint8)` does.
 * @example yolov5HsvLuts([1.01, 0.5, 1.3]).hue[179] // 0 (180.79 mod 180 = 0.79)
 */
export function yolov5HsvLuts(r: readonly [number, number, number]): { hue: Uint8Array; sat: Uint8Array; val: Uint8Array } {
  const hue = new Uint8Array(256);
  const sat = new Uint8Array(256);
  const val = new Uint8Array(256);
  const clip = (x: number) => Math.trunc(x < 0 ? 0 : x > 255 ? 255 : x);
  for (let x = 0; x < 256; x++) {
    let m = (x * r[0]) % 180;
    if (m < 0) m += 180; // may round to 180 for a tiny negative product, as numpy's does
    hue[x] = Math.trunc(m);
    sat[x] = clip(x * r[1]);
    val[x] = clip(x * r[2]);
  }
  return { hue, sat, val };
}

/**
 * YOLOv5 `augment_hsv` with the gains already drawn (`r = U(−1,1)·[h,s,v] + 1`).
 * The RGB→HSV→RGB round trip is itself lossy (the vector path truncates), so
 * `r = [1,1,1]` changes pixels too: 14 398 315 of the 2^24 RGB colours (86%), 61% of the
 * pixels of coco128's photos, mostly by one grey level down. YOLOv5 does not
 * short-circuit it and neither does this function (matching YOLOv5 is the contract).
 */
export function hsvYolov5(src: RawImage, r: readonly [number, number, number]): RawImage {
  return applyHsvLuts(src, yolov5HsvLuts(r));
}

// ---------------------------------------------------------------------------------
// HSV augmentation: Darknet

/** Darknet's defaults (`hue=.1 saturation=1.5 exposure=1.5` in yolov4.cfg). */
export const DARKNET_HSV_DEFAULTS = { hue: 0.1, saturation: 1.5, exposure: 1.5 } as const;

/**
 * Darknet (AlexeyAB, OpenCV build) lookup tables for drawn `dhue`, `dsat`, `dexp`, as
 * OpenCV's saturating Mat arithmetic on the 8-bit planes computes them (Darknet holds
 * the three as C floats):
 * - `S *= dsat`, `V *= dexp` (`convertTo` in float32): `sat(cvRound(fround(x·dsat)))`;
 * - `H += 179·dhue` (float product; the scalar is cvRound-ed to an integer before the
 *   saturating add): `sat(H + cvRound(fround(179·dhue)))`. No hue wrap here: values up
 *   to 255 reach HSV→RGB, which wraps h ≥ 180. cvRound is round half to even, so the
 *   offset differs from `round(H + 179·dhue)` only when 179·dhue is exactly k + ½.
 */
export function darknetHsvLuts(dhue: number, dsat: number, dexp: number): { hue: Uint8Array; sat: Uint8Array; val: Uint8Array } {
  const hue = new Uint8Array(256);
  const sat = new Uint8Array(256);
  const val = new Uint8Array(256);
  const shift = roundHalfEven(fround(179 * fround(dhue)));
  const a = fround(dsat);
  const b = fround(dexp);
  const sat8 = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);
  for (let x = 0; x < 256; x++) {
    hue[x] = sat8(x + shift);
    sat[x] = sat8(roundHalfEven(fround(x * a)));
    val[x] = sat8(roundHalfEven(fround(x * b)));
  }
  return { hue, sat, val };
}

/**
 * Darknet's HSV augmentation with the factors already drawn. Like Darknet, it leaves
 * the image untouched (returns `src` itself) when `dsat = dexp = 1` and `dhue = 0`.
 */
export function hsvDarknet(src: RawImage, dhue: number, dsat: number, dexp: number): RawImage {
  if (fround(dsat) === 1 && fround(dexp) === 1 && fround(dhue) === 0) return src;
  return applyHsvLuts(src, darknetHsvLuts(dhue, dsat, dexp));
}

/**
 * Darknet's `rand_scale(s)`: u ~ U(1, s), then u or 1/u with probability ½ each (two
 * draws: u, then the coin). Returned as a float32 value, as Darknet's is.
 */
export function randScale(rng: Rng, s: number): number {
  const u = fround(rng.uniform(1, s));
  return rng.next() < 0.5 ? u : fround(1 / u);
}

/** Options of the `hsv` kernel (what `hsv()` puts in its spec). */
export type HsvKernelOptions =
  | { mode: 'yolov5'; hgain: number; sgain: number; vgain: number }
  | { mode: 'darknet'; hue: number; saturation: number; exposure: number };

/**
 * The `hsv` kernel. Draws, in order:
 * - `yolov5`: three uniforms U(−1,1) for h, s, v; `r = u·[hgain, sgain, vgain] + 1`.
 * - `darknet`: dhue ~ U(−hue, hue); dsat = rand_scale(saturation) (u, coin); dexp =
 *   rand_scale(exposure) (u, coin) — five draws.
 * Boxes and every per-box array are passed through unchanged.
 */
export const hsvKernel: Kernel<HsvKernelOptions> = (s: KernelSample, o: HsvKernelOptions, rng: Rng): KernelSample => {
  if (o.mode === 'darknet') {
    const dhue = fround(rng.uniform(-o.hue, o.hue));
    const dsat = randScale(rng, o.saturation);
    const dexp = randScale(rng, o.exposure);
    return { ...s, image: hsvDarknet(s.image, dhue, dsat, dexp) };
  }
  const r: [number, number, number] = [
    rng.uniform(-1, 1) * o.hgain + 1,
    rng.uniform(-1, 1) * o.sgain + 1,
    rng.uniform(-1, 1) * o.vgain + 1,
  ];
  return { ...s, image: hsvYolov5(s.image, r) };
};

// ---------------------------------------------------------------------------------
// Brightness and contrast

/**
 * The lookup table of `x' = clip(round(α·x + β), 0, 255)` over x = 0..255, computed in
 * float64 and rounded half up (`floor(y + 0.5)`), then clipped. albumentations'
 * `RandomBrightnessContrast` truncates a float32 table instead; rounding removes that
 * −½ grey-level bias, so results differ from it by at most one level.
 * @example brightnessContrastLut(1.2, 10)[100] // 130
 */
export function brightnessContrastLut(alpha: number, beta: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const y = Math.floor(alpha * x + beta + 0.5);
    lut[x] = y < 0 ? 0 : y > 255 ? 255 : y;
  }
  return lut;
}

/**
 * Map every byte of an image through a 256-entry table (all channels alike). Works two
 * bytes per lookup in a 64K-entry table built from `lut` (≈ 0.1 ms), four bytes per
 * load and store: 3–4× faster than a byte loop. The same for either endianness, since
 * every byte keeps its place.
 */
export function applyLut(src: RawImage, lut: Uint8Array): RawImage {
  const s = src.data;
  const n = s.length;
  const data = new Uint8Array(n);
  let i = 0;
  if ((s.byteOffset & 3) === 0 && n >= 1 << 16) {
    const pair = new Uint16Array(65536);
    for (let hi = 0; hi < 256; hi++) {
      const h = lut[hi]! << 8;
      for (let lo = 0; lo < 256; lo++) pair[(hi << 8) | lo] = h | lut[lo]!;
    }
    const m = n >> 2;
    const s32 = new Uint32Array(s.buffer, s.byteOffset, m);
    const d32 = new Uint32Array(data.buffer, 0, m);
    for (let k = 0; k < m; k++) {
      const w = s32[k]!;
      d32[k] = pair[w & 0xffff]! | (pair[w >>> 16]! << 16);
    }
    i = m << 2;
  }
  for (; i < n; i++) data[i] = lut[s[i]!]!;
  return { data, width: src.width, height: src.height };
}

/** `x' = clip(round(α·x + β))` on every pixel value (see {@link brightnessContrastLut}). */
export function brightnessContrast(src: RawImage, alpha: number, beta: number): RawImage {
  return applyLut(src, brightnessContrastLut(alpha, beta));
}

/** Options of the `brightnessContrast` kernel: explicit ranges, as the factories resolve them. */
export interface BrightnessContrastKernelOptions {
  /** α = 1 + U(lo, hi). `[0, 0]` keeps the contrast. */
  contrast: [number, number];
  /** β = 255·U(lo, hi) (albumentations `brightness_by_max`). `[0, 0]` keeps the brightness. */
  brightness: [number, number];
}

/**
 * The `brightnessContrast` kernel. Draws, in order: the contrast offset (α = 1 + U(contrast)),
 * then the brightness offset (β = 255·U(brightness)) — both always drawn, even from an
 * empty range, so the stream does not depend on which factory made the spec.
 */
export const brightnessContrastKernel: Kernel<BrightnessContrastKernelOptions> = (
  s: KernelSample,
  o: BrightnessContrastKernelOptions,
  rng: Rng,
): KernelSample => {
  const alpha = 1 + rng.uniform(o.contrast[0], o.contrast[1]);
  const beta = 255 * rng.uniform(o.brightness[0], o.brightness[1]);
  return { ...s, image: brightnessContrast(s.image, alpha, beta) };
};

/** Registry names → kernels of this module. */
export const colorKernels: Record<string, Kernel> = {
  hsv: hsvKernel,
  brightnessContrast: brightnessContrastKernel,
};
