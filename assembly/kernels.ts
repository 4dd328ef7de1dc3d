/**
 * The hot loops of the pixel kernels, compiled to WebAssembly (AssemblyScript): the
 * same integer and float32 arithmetic as the TypeScript they replace, so the bytes are
 * identical (tests compare both against OpenCV). JS keeps the setup — matrix inversion,
 * lookup tables, rounding of per-row terms — and passes pointers into this module's
 * memory, whose layout src/wasm/index.ts owns. Built by `npm run build:wasm`.
 */

// ---------------------------------------------------------------------------------
// HSV: RGB → (tables) HSV → RGB on OpenCV's vector path, with a colour cache.
// Table offsets inside the block at `t`; src/wasm/index.ts writes them in this layout.
const SDIV: usize = 0; // i32 × 256
const HDIV: usize = 1024; // i32 × 256
const UNIT: usize = 2048; // f32 × 256
const SECTOR: usize = 3072; // u8 × 256
const O0: usize = 3328; // u8 × 256
const LUT_H: usize = 3584; // u8 × 256
const LUT_S: usize = 3840; // u8 × 256
const LUT_V: usize = 4096; // u8 × 256
const FAC: usize = 8192; // f32 × 65536
const O1: usize = 270336; // u8 × 65536
const KEYS: usize = 335872; // i32 × 65536
const VALS: usize = 598016; // i32 × 65536

/**
 * The first `vecBytes` of each of `rows` rows (`rowBytes` apart) of `src` to `dst`; the
 * rest of each row (OpenCV's scalar-path tail) is left to the caller. Keys are `rgb + 1`
 * so a cleared slot (0) never matches; the cache is cleared per call (the tables change).
 */
export function hsvCached(src: usize, dst: usize, rowBytes: i32, rows: i32, vecBytes: i32, t: usize): void {
  memory.fill(t + KEYS, 0, 65536 * 4);
  for (let y = 0; y < rows; y++) {
    hsvRun(src, dst, y * rowBytes, y * rowBytes + vecBytes, t);
  }
}

function hsvRun(src: usize, dst: usize, start: i32, end: i32, t: usize): void {
  for (let i = start; i < end; i += 3) {
    const p = src + <usize>i;
    const r = <i32>load<u8>(p);
    const g = <i32>load<u8>(p, 1);
    const b = <i32>load<u8>(p, 2);
    const key = ((r << 16) | (g << 8) | b) + 1;
    const slot = <usize>(<u32>(key * 0x9e3779b1) >> 16);
    const q = dst + <usize>i;
    if (load<i32>(t + KEYS + (slot << 2)) == key) {
      const c = load<i32>(t + VALS + (slot << 2));
      store<u8>(q, <u8>c);
      store<u8>(q, <u8>(c >> 8), 1);
      store<u8>(q, <u8>(c >> 16), 2);
      continue;
    }
    let v: i32, diff: i32, num: i32;
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
    let h = (num * load<i32>(t + HDIV + (<usize>diff << 2)) + 2048) >> 12;
    if (h < 0) h += 180;
    const H = <i32>load<u8>(t + LUT_H + <usize>h);
    const S = <i32>load<u8>(t + LUT_S + <usize>((diff * load<i32>(t + SDIV + (<usize>v << 2)) + 2048) >> 12));
    const V = <i32>load<u8>(t + LUT_V + <usize>v);
    const k = <usize>((S << 8) | H);
    const tt = <i32>(load<f32>(t + UNIT + (<usize>V << 2)) * load<f32>(t + FAC + (k << 2)) * <f32>255);
    const t0 = <i32>load<u8>(t + O0 + <usize>V);
    const t1 = <i32>load<u8>(t + O1 + <usize>((S << 8) | V));
    let R: i32, G: i32, B: i32;
    switch (<i32>load<u8>(t + SECTOR + <usize>H)) {
      case 0: R = t0; G = tt; B = t1; break;
      case 1: R = tt; G = t0; B = t1; break;
      case 2: R = t1; G = t0; B = tt; break;
      case 3: R = t1; G = tt; B = t0; break;
      case 4: R = tt; G = t1; B = t0; break;
      default: R = t0; G = t1; B = tt;
    }
    store<u8>(q, <u8>R);
    store<u8>(q, <u8>G, 1);
    store<u8>(q, <u8>B, 2);
    store<i32>(t + KEYS + (slot << 2), key);
    store<i32>(t + VALS + (slot << 2), R | (G << 8) | (B << 16));
  }
}

// ---------------------------------------------------------------------------------
// Bilinear remap with OpenCV's 5-bit positions and 32×32 weights (see src/kernels/warp.ts).

/** A pixel whose neighbours straddle the source's edge: those outside take the fill. */
function borderPixel(
  s: usize, stride: i32, lastX: i32, lastY: i32, sx: i32, sy: i32, fx: i32, fy: i32,
  o: usize, f0: i32, f1: i32, f2: i32,
): void {
  const inX0 = sx >= 0;
  const inX1 = sx < lastX;
  const inY0 = sy >= 0;
  const inY1 = sy < lastY;
  const base = sy * stride + sx * 3;
  for (let c = 0; c < 3; c++) {
    const f = c == 0 ? f0 : c == 1 ? f1 : f2;
    const a = inY0 && inX0 ? <i32>load<u8>(s + <usize>(base + c)) : f;
    const a1 = inY0 && inX1 ? <i32>load<u8>(s + <usize>(base + 3 + c)) : f;
    const b = inY1 && inX0 ? <i32>load<u8>(s + <usize>(base + stride + c)) : f;
    const b1 = inY1 && inX1 ? <i32>load<u8>(s + <usize>(base + stride + 3 + c)) : f;
    const t = a * (32 - fx) + a1 * fx;
    const u = b * (32 - fx) + b1 * fx;
    store<u8>(o + <usize>c, <u8>((t * (32 - fy) + u * fy + 512) >> 10));
  }
}

/**
 * One destination row: pixel i's position is `((X0 + colX[i]) >> 5, (Y0 + colY[i]) >> 5)`
 * with 5 fractional bits left; written from `start`, stepping `step` bytes (−3 mirrors).
 * Inside the source, one unaligned 32-bit read gives R and B 16 bits apart (and G), so a
 * row step interpolates two channels per multiply.
 */
function remapRow(
  s: usize, sw: i32, sh: i32, X0: i32, Y0: i32, colX: usize, colY: usize, n: i32,
  out: usize, start: i32, step: i32, f0: i32, f1: i32, f2: i32,
): void {
  const stride = sw * 3;
  const lastX = sw - 1;
  const lastY = sh - 1;
  let o = start;
  for (let i = 0; i < n; i++, o += step) {
    const X = (X0 + load<i32>(colX + (<usize>i << 2))) >> 5;
    const Y = (Y0 + load<i32>(colY + (<usize>i << 2))) >> 5;
    const sx = X >> 5;
    const sy = Y >> 5;
    const fx = X & 31;
    const fy = Y & 31;
    const d = out + <usize>o;
    if (sx >= 0 && sx < lastX && sy >= 0 && sy < lastY) {
      const p = s + <usize>(sy * stride + sx * 3);
      const q = p + <usize>stride;
      const a0 = load<u32>(p);
      const a1 = load<u32>(p, 2) >> 8;
      const b0 = load<u32>(q);
      const b1 = load<u32>(q, 2) >> 8;
      const gx = <u32>(32 - fx);
      const gy = <u32>(32 - fy);
      const ufx = <u32>fx;
      const ufy = <u32>fy;
      const t = (a0 & 0xff00ff) * gx + (a1 & 0xff00ff) * ufx;
      const u = (b0 & 0xff00ff) * gx + (b1 & 0xff00ff) * ufx;
      const g = ((((a0 >> 8) & 0xff) | ((b0 & 0xff00) << 8)) * gx) + ((((a1 >> 8) & 0xff) | ((b1 & 0xff00) << 8)) * ufx);
      store<u8>(d, <u8>(((t & 0xffff) * gy + (u & 0xffff) * ufy + 512) >> 10));
      store<u8>(d, <u8>(((g & 0xffff) * gy + (g >> 16) * ufy + 512) >> 10), 1);
      store<u8>(d, <u8>(((t >> 16) * gy + (u >> 16) * ufy + 512) >> 10), 2);
    } else if (sx < -1 || sx > lastX || sy < -1 || sy > lastY) {
      store<u8>(d, <u8>f0);
      store<u8>(d, <u8>f1, 1);
      store<u8>(d, <u8>f2, 2);
    } else {
      borderPixel(s, stride, lastX, lastY, sx, sy, fx, fy, d, f0, f1, f2);
    }
  }
}

/** Start offset of row y (its last pixel when mirrored). */
function rowStart(y: i32, width: i32, mirror: bool): i32 {
  return (y * width + (mirror ? width - 1 : 0)) * 3;
}

/**
 * The whole affine warp: `colX/colY` (i32 × width) and `rowX/rowY` (i32 × height) are the
 * per-column and per-row terms at 2^10 that JS rounded as OpenCV does.
 */
export function warpAffineRows(
  s: usize, sw: i32, sh: i32, out: usize, width: i32, height: i32,
  colX: usize, colY: usize, rowX: usize, rowY: usize, f0: i32, f1: i32, f2: i32, mirror: bool,
): void {
  const step = mirror ? -3 : 3;
  for (let y = 0; y < height; y++) {
    const X0 = load<i32>(rowX + (<usize>y << 2));
    const Y0 = load<i32>(rowY + (<usize>y << 2));
    remapRow(s, sw, sh, X0, Y0, colX, colY, width, out, rowStart(y, width, mirror), step, f0, f1, f2);
  }
}

/** One row of the perspective warp: `xs/ys` hold finished positions shifted left by 5. */
export function warpRow(
  s: usize, sw: i32, sh: i32, out: usize, width: i32, y: i32,
  xs: usize, ys: usize, f0: i32, f1: i32, f2: i32, mirror: bool,
): void {
  remapRow(s, sw, sh, 0, 0, xs, ys, width, out, rowStart(y, width, mirror), mirror ? -3 : 3, f0, f1, f2);
}

// ---------------------------------------------------------------------------------
// Horizontal flip of 8-bit RGB.

export function flipRows(src: usize, dst: usize, width: i32, height: i32): void {
  const row = width * 3;
  for (let y = 0; y < height; y++) {
    const base = <usize>(y * row);
    let d = dst + base + <usize>(row - 3);
    const end = src + base + <usize>row;
    for (let p = src + base; p < end; p += 3) {
      store<u16>(d, load<u16>(p));
      store<u8>(d, load<u8>(p, 2), 2);
      d -= 3;
    }
  }
}

// ---------------------------------------------------------------------------------
// Bilinear resize with OpenCV's INTER_LINEAR fixed point (see src/kernels/resize.ts, which
// computes the per-axis maps). A map holds, per output index, four i32: the byte offset
// (x) or row index (y) of the two source neighbours, then their 11-bit weights.

/**
 * One source row (at `p`) interpolated horizontally into `row`: u32 per channel holding
 * `(p0·w0 + p1·w1) >> 4`, the only part of the sum the vertical pass reads (it stays below
 * 255·2049 >> 4 < 2^15). One 32-bit read per neighbour (the staged source is padded, so the
 * last pixel's read stays inside).
 */
function resizeHorizontal(p: usize, xmap: usize, width: i32, row: usize): void {
  let m = xmap;
  let o = row;
  const end = row + <usize>(width * 12);
  while (o < end) {
    const a = load<u32>(p + <usize>load<i32>(m));
    const b = load<u32>(p + <usize>load<i32>(m, 4));
    const w0 = load<u32>(m, 8);
    const w1 = load<u32>(m, 12);
    store<u32>(o, ((a & 0xff) * w0 + (b & 0xff) * w1) >> 4);
    store<u32>(o, (((a >> 8) & 0xff) * w0 + ((b >> 8) & 0xff) * w1) >> 4, 4);
    store<u32>(o, (((a >> 16) & 0xff) * w0 + ((b >> 16) & 0xff) * w1) >> 4, 8);
    m += 16;
    o += 12;
  }
}

/** OpenCV's vertical step for one value: ((wa·a) >> 16) + ((wb·b) >> 16), + 2, >> 2, saturated. */
function resizeVerticalOne(a: u32, b: u32, wa: u32, wb: u32): u32 {
  const v = (((wa * a) >> 16) + ((wb * b) >> 16) + 2) >> 2;
  return v > 255 ? 255 : v;
}

const LANES_16: u64 = 0x0000ffff_0000ffff;
const LANES_14: u64 = 0x00003fff_00003fff;
const LANES_TWO: u64 = 0x00000002_00000002;
const LANES_HIGH: u64 = 0x0000ff00_0000ff00;

/**
 * Two adjacent row values as two 32-bit lanes of one u64: each lane's product with an
 * 11-bit weight stays below 2^15·2^11 < 2^32 and never carries into the other lane, so
 * one multiply gives both products, and the shifts and the rounding apply per lane once
 * the bits that cross between lanes are masked off. Returns two results, 32 bits apart.
 */
// @ts-ignore: decorator
@inline
function resizeVerticalPair(a: u64, b: u64, wa: u64, wb: u64): u64 {
  const s = (((a * wa) >> 16) & LANES_16) + (((b * wb) >> 16) & LANES_16) + LANES_TWO;
  const r = (s >> 2) & LANES_14;
  if ((r & LANES_HIGH) == 0) return r;
  const lo = r & 0xffffffff;
  const hi = r >> 32;
  return (lo > 255 ? 255 : lo) | ((hi > 255 ? 255 : hi) << 32);
}

/**
 * OpenCV's VResizeLinear<uchar, int, short, FixedPtCast<int, uchar, 22>>: each term
 * multiplies its 11-bit weight by the row value (already >> 4) and keeps the high 16
 * bits; then (sum + 2) >> 2, saturated. Four values a step: two lane pairs, one store.
 */
function resizeVertical(a: usize, b: usize, wa: i32, wb: i32, out: usize, n: i32): void {
  const wa64 = <u64>wa;
  const wb64 = <u64>wb;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    const r0 = resizeVerticalPair(load<u64>(a + k), load<u64>(b + k), wa64, wb64);
    const r1 = resizeVerticalPair(load<u64>(a + k, 8), load<u64>(b + k, 8), wa64, wb64);
    const q0 = <u32>(r0 | (r0 >> 24));
    const q1 = <u32>(r1 | (r1 >> 24));
    store<u32>(out + <usize>i, (q0 & 0xffff) | (q1 << 16));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    store<u8>(out + <usize>i, <u8>resizeVerticalOne(load<u32>(a + k), load<u32>(b + k), <u32>wa, <u32>wb));
  }
}

/**
 * The whole resize of the source at `s` (`srcRow` bytes a row) to `width × height`,
 * written packed (`width·3` bytes a row) from `out`. `xmap` (width entries) and `ymap`
 * (height entries) are the axis maps; `bufA` and `bufB` hold one horizontally
 * interpolated row each (u32 × width·3). Each source row is interpolated once while
 * consecutive output rows share it.
 */
export function resizeLinear(
  s: usize, srcRow: i32, out: usize, width: i32, height: i32,
  xmap: usize, ymap: usize, bufA: usize, bufB: usize,
): void {
  const n = width * 3;
  let rowA = bufA;
  let rowB = bufB;
  let aIndex = -1;
  let bIndex = -1;
  for (let y = 0; y < height; y++) {
    const m = ymap + (<usize>y << 4);
    const y0 = load<i32>(m);
    const y1 = load<i32>(m, 4);
    if (aIndex != y0) {
      if (bIndex == y0) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        bIndex = -1;
      } else {
        resizeHorizontal(s + <usize>(y0 * srcRow), xmap, width, rowA);
      }
      aIndex = y0;
    }
    // Both neighbours in the same (edge) row: read rowA twice and leave rowB as it is.
    let second = rowA;
    if (y1 != y0) {
      if (bIndex != y1) {
        resizeHorizontal(s + <usize>(y1 * srcRow), xmap, width, rowB);
        bIndex = y1;
      }
      second = rowB;
    }
    resizeVertical(rowA, second, load<i32>(m, 8), load<i32>(m, 12), out + <usize>(y * n), n);
  }
}

// ---------------------------------------------------------------------------------
// Additive Gaussian noise: src/kernels/noise.ts's arithmetic, with the generator inline.

/**
 * `dst[i] = clamp(src[i] + offsets[idx])`, idx = 16 random bits: sfc32 (the generator
 * behind `Rng`, state a, b, c, d at `state` as four i32, written back after) gives one
 * 32-bit word per two bytes (low half first) when `perChannel`, else one word per pixel
 * (low half, the same offset for its three bytes). `offsets` holds 65 536 i16.
 */
export function addNoise(src: usize, dst: usize, n: i32, offsets: usize, state: usize, perChannel: bool): void {
  let a = load<i32>(state);
  let b = load<i32>(state, 4);
  let c = load<i32>(state, 8);
  let d = load<i32>(state, 12);
  if (perChannel) {
    for (let i = 0; i < n; i += 2) {
      const t = a + b + d;
      d += 1;
      a = b ^ <i32>(<u32>b >> 9);
      b = c + (c << 3);
      c = ((c << 21) | <i32>(<u32>c >> 11)) + t;
      const w = <u32>t;
      let v = <i32>load<u8>(src + <usize>i) + <i32>load<i16>(offsets + (<usize>(w & 0xffff) << 1));
      store<u8>(dst + <usize>i, <u8>(v < 0 ? 0 : v > 255 ? 255 : v));
      if (i + 1 < n) {
        v = <i32>load<u8>(src + <usize>(i + 1)) + <i32>load<i16>(offsets + (<usize>(w >> 16) << 1));
        store<u8>(dst + <usize>(i + 1), <u8>(v < 0 ? 0 : v > 255 ? 255 : v));
      }
    }
  } else {
    for (let i = 0; i < n; i += 3) {
      const t = a + b + d;
      d += 1;
      a = b ^ <i32>(<u32>b >> 9);
      b = c + (c << 3);
      c = ((c << 21) | <i32>(<u32>c >> 11)) + t;
      const o = <i32>load<i16>(offsets + (<usize>(<u32>t & 0xffff) << 1));
      for (let k = 0; k < 3; k++) {
        const v = <i32>load<u8>(src + <usize>(i + k)) + o;
        store<u8>(dst + <usize>(i + k), <u8>(v < 0 ? 0 : v > 255 ? 255 : v));
      }
    }
  }
  store<i32>(state, a);
  store<i32>(state, b, 4);
  store<i32>(state, c, 8);
  store<i32>(state, d, 12);
}
