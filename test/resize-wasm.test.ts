/**
 * The bilinear resize runs in WebAssembly (assembly/kernels.ts `resizeLinear`); it must give
 * the same bytes as the TypeScript implementation it replaced, which test/letterbox.test.ts,
 * test/crop.test.ts, test/mix.test.ts and test/preview.test.ts check against cv2.resize.
 * `referenceResizeInto` below is that TypeScript, kept verbatim as the oracle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { resizeBilinear, resizeInto, type ResizeTarget } from '../src/kernels/resize.ts';
import { kernels, stageImage } from '../src/wasm/index.ts';
import type { RawImage } from '../src/core/types.ts';

// ---------------------------------------------------------------------------------
// The reference: src/kernels/resize.ts as it was in TypeScript (OpenCV INTER_LINEAR, 8-bit).

const BITS = 11;
const ONE = 1 << BITS;

function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function axisMap(
  src: number, dst: number, channels: number, clampEdges: boolean,
): { offset: Int32Array; next: Int32Array; weight0: Int32Array; weight: Int32Array } {
  const scale = 1 / (dst / src);
  const offset = new Int32Array(dst);
  const next = new Int32Array(dst);
  const weight0 = new Int32Array(dst);
  const weight = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let i = Math.floor(f);
    f = Math.fround(f - i);
    if (clampEdges) {
      if (i < 0) {
        i = 0;
        f = 0;
      }
      if (i >= src - 1) {
        i = src - 1;
        f = 0;
      }
    }
    offset[d] = Math.min(Math.max(i, 0), src - 1) * channels;
    next[d] = Math.min(Math.max(i + 1, 0), src - 1) * channels;
    weight0[d] = roundEven(Math.fround(Math.fround(1 - f) * ONE));
    weight[d] = roundEven(Math.fround(f * ONE));
  }
  return { offset, next, weight0, weight };
}

function referenceResizeInto(src: RawImage, width: number, height: number, target: ResizeTarget): void {
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const xm = axisMap(sw, width, 3, true);
  const ym = axisMap(sh, height, 1, false);
  const xOff = xm.offset;
  const xNext = xm.next;
  const xW0 = xm.weight0;
  const xW = xm.weight;
  const rowLen = width * 3;
  const srcRow = sw * 3;
  let rowA = new Int32Array(rowLen);
  let rowB = new Int32Array(rowLen);
  let aIndex = -1;
  let bIndex = -1;

  const horizontal = (y: number, out: Int32Array): void => {
    const base = y * srcRow;
    for (let x = 0, o = 0; x < width; x++, o += 3) {
      const a = xW[x]!;
      const p = base + xOff[x]!;
      const q = base + xNext[x]!;
      const b = xW0[x]!;
      out[o] = s[p]! * b + s[q]! * a;
      out[o + 1] = s[p + 1]! * b + s[q + 1]! * a;
      out[o + 2] = s[p + 2]! * b + s[q + 2]! * a;
    }
  };

  const d = target.data;
  const canvasRow = target.canvasWidth * 3;
  for (let y = 0; y < height; y++) {
    const y0 = ym.offset[y]!;
    const y1 = ym.next[y]!;
    if (aIndex !== y0) {
      if (bIndex === y0) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        aIndex = y0;
        bIndex = -1;
      } else {
        horizontal(y0, rowA);
        aIndex = y0;
      }
    }
    if (bIndex !== y1) {
      if (y1 === y0) {
        rowB.set(rowA);
      } else {
        horizontal(y1, rowB);
      }
      bIndex = y1;
    }
    const wa = ym.weight0[y]!;
    const wb = ym.weight[y]!;
    const o = (y + target.top) * canvasRow + target.left * 3;
    for (let i = 0; i < rowLen; i++) {
      const v = (((wa * (rowA[i]! >> 4)) >> 16) + ((wb * (rowB[i]! >> 4)) >> 16) + 2) >> 2;
      d[o + i] = v > 255 ? 255 : v;
    }
  }
}

function referenceResize(src: RawImage, width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  referenceResizeInto(src, width, height, { data, canvasWidth: width, left: 0, top: 0 });
  return data;
}

// ---------------------------------------------------------------------------------

/** xorshift32 bytes: deterministic noise. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * A test image: noise, smooth ramps, or saturated blocks of 0 and 255 (the largest row sums,
 * where the vertical pass's clamp and the 16-bit row values are at their limits).
 */
function image(width: number, height: number, seed: number, kind = seed % 3): RawImage {
  const data = noise(width * height * 3, seed);
  if (kind === 1) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = (x * 7 + y) & 255;
        data[i + 1] = (y * 5 + (data[i + 1]! & 3)) & 255;
        data[i + 2] = ((x ^ y) * 3) & 255;
      }
    }
  } else if (kind === 2) {
    for (let i = 0; i < data.length; i++) data[i] = data[i]! & 0x20 ? 255 : 0;
  }
  return { data, width, height };
}

/** Index and values of the first difference, for a readable failure. */
function firstDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i}: ${a[i]} vs ${b[i]}`;
  return 'none';
}

function assertSameResize(src: RawImage, width: number, height: number): void {
  const got = resizeBilinear(src, width, height);
  assert.equal(got.width, width);
  assert.equal(got.height, height);
  const want = referenceResize(src, width, height);
  assert.ok(Buffer.compare(got.data, want) === 0, `${src.width}×${src.height} → ${width}×${height}: ${firstDifference(got.data, want)}`);
}

/** resizeInto on a noisy canvas must write the region exactly as the reference and leave every other byte alone. */
function assertSameInto(src: RawImage, width: number, height: number, canvasWidth: number, canvasHeight: number, left: number, top: number, seed: number): void {
  const canvas = noise(canvasWidth * canvasHeight * 3, seed ^ 0x5bd1e995);
  const want = canvas.slice();
  resizeInto(src, width, height, { data: canvas, canvasWidth, left, top });
  referenceResizeInto(src, width, height, { data: want, canvasWidth, left, top });
  assert.ok(
    Buffer.compare(canvas, want) === 0,
    `${src.width}×${src.height} → ${width}×${height} at (${left}, ${top}) on ${canvasWidth}×${canvasHeight}: ${firstDifference(canvas, want)}`,
  );
}

describe('resize in WebAssembly = the TypeScript reference, byte for byte', () => {
  it('the sizes the pipeline uses: letterbox 640×480 → 608×456, 608×608, 320×240, mosaic 1216×912', () => {
    for (let kind = 0; kind < 3; kind++) {
      const src = image(640, 480, 101 + kind, kind);
      for (const [w, h] of [[608, 456], [608, 608], [320, 240], [1216, 912], [640, 480], [641, 479]] as const) assertSameResize(src, w, h);
    }
  });

  it('1-pixel sides, tiny targets, extreme aspect ratios', () => {
    const cases: [number, number, number, number][] = [
      [1, 1, 1, 1], [1, 1, 7, 3], [1, 5, 1, 9], [5, 1, 9, 1], [1, 9, 4, 2], [9, 1, 2, 4],
      [300, 2, 17, 40], [2, 300, 40, 17], [97, 61, 1, 1], [97, 61, 1, 60], [97, 61, 96, 1],
      [3, 3, 400, 1], [640, 480, 3, 2], [1000, 3, 999, 4], [4, 1000, 5, 999],
    ];
    cases.forEach(([sw, sh, w, h], i) => assertSameResize(image(sw, sh, 7 + i), w, h));
  });

  it('random sizes and images, up- and downscaling each axis independently', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 160 }), fc.integer({ min: 1, max: 160 }),
        fc.integer({ min: 1, max: 240 }), fc.integer({ min: 1, max: 240 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (sw, sh, w, h, seed) => assertSameResize(image(sw, sh, seed), w, h),
      ),
      { numRuns: 150, seed: 20240607 },
    );
  });

  it('random placements on a canvas: the region matches, the rest of the canvas is untouched', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (sw, sh, w, h, left, top, right, bottom, seed) =>
          assertSameInto(image(sw, sh, seed), w, h, left + w + right, top + h + bottom, left, top, seed),
      ),
      { numRuns: 100, seed: 777 },
    );
  });

  it('letterbox and mosaic canvases: 608×608, 1216×1216 and a 2500×2100 one that grows the memory', () => {
    const src = image(640, 480, 4242, 0);
    assertSameInto(src, 608, 456, 608, 608, 0, 76, 1); // letterbox padding top and bottom
    assertSameInto(image(480, 640, 99, 1), 456, 608, 608, 608, 76, 0, 2); // and left and right
    assertSameInto(src, 608, 456, 1216, 1216, 0, 0, 3); // mosaic tiles: top-left
    assertSameInto(src, 608, 456, 1216, 1216, 608, 760, 4); // bottom-right corner
    assertSameInto(src, 1216, 912, 1216, 1216, 0, 152, 5); // a tile as wide as the canvas
    const big = image(1900, 1500, 5, 2);
    assertSameInto(big, 2400, 2000, 2500, 2100, 37, 61, 6);
    assert.ok(kernels().memory.buffer.byteLength >= 2400 * 2000 * 3 + 1900 * 1500 * 3, 'the memory grew for the big canvas');
    // smaller calls after the growth (stale rows and maps from the big call must not leak in)
    assertSameResize(image(33, 17, 8), 12, 40);
    assertSameInto(image(7, 5, 9), 3, 2, 10, 10, 7, 8, 10);
  });

  it('the result is the caller\'s own array, not a view of the module\'s memory', () => {
    const out = resizeBilinear(image(20, 10, 3), 31, 7);
    assert.notEqual(out.data.buffer, kernels().memory.buffer);
    const before = out.data.slice();
    resizeBilinear(image(20, 10, 4), 31, 7);
    assert.deepEqual(out.data, before);
  });

  it('the module saturates at 255 per channel (weights summing past 2048, which the axis maps never produce)', () => {
    // 2×1 source [255, 10, 128], [200, 255, 0]; every output pixel takes both source pixels at
    // weights (2048, 2048) horizontally and rows (0, 0) at (wa, wb) vertically. Row values:
    // (255 + 200)·2048 >> 4 = 58240, (10 + 255)·2048 >> 4 = 33920, 128·2048 >> 4 = 16384.
    // wa = wb = 2048: t = (2048·v) >> 16 = 1820, 1060, 512; (2t + 2) >> 2 = 910, 530, 256 → all 255.
    // wa = wb = 1024: t = 910, 530, 256; (2t + 2) >> 2 = 455 → 255, 265 → 255, 128.
    // wa = 1024, wb = 0: (t + 2) >> 2 = 228, 133, 64.
    // Width 5 (15 values) runs both the four-at-a-time loop and its tail.
    const width = 5;
    const k = kernels();
    const { srcPtr, dstPtr, scratchPtr } = stageImage(Uint8Array.of(255, 10, 128, 200, 255, 0), width * 3 * 3, 4096);
    const maps = new Int32Array(k.memory.buffer, scratchPtr, (width + 3) * 4);
    for (let x = 0; x < width; x++) maps.set([0, 3, 2048, 2048], x * 4);
    maps.set([0, 0, 2048, 2048, 0, 0, 1024, 1024, 0, 0, 1024, 0], width * 4);
    const bufA = scratchPtr + 1024;
    k.resizeLinear(srcPtr, 6, dstPtr, width, 3, scratchPtr, scratchPtr + width * 16, bufA, bufA + 1024);
    const out = Array.from(new Uint8Array(k.memory.buffer, dstPtr, width * 3 * 3));
    const rows = [[255, 255, 255], [255, 255, 128], [228, 133, 64]];
    assert.deepEqual(out, rows.flatMap((rgb) => Array.from({ length: width }, () => rgb).flat()));
  });

  it('rejects a bad target size, a region outside the canvas and a short source', () => {
    const src = image(4, 4, 1);
    const canvas = { data: new Uint8Array(10 * 10 * 3), canvasWidth: 10 };
    assert.throws(() => resizeBilinear(src, 0, 3), /bad target size/);
    assert.throws(() => resizeBilinear(src, 2.5, 3), /bad target size/);
    assert.throws(() => resizeInto(src, 0, 5, { ...canvas, left: 0, top: 0 }), /bad target size/);
    assert.throws(() => resizeInto(src, 5, 5, { ...canvas, left: 6, top: 0 }), /outside the canvas/);
    assert.throws(() => resizeInto(src, 5, 5, { ...canvas, left: 0, top: 6 }), /outside the canvas/);
    assert.throws(() => resizeInto(src, 5, 5, { ...canvas, left: -1, top: 0 }), /outside the canvas/);
    assert.throws(() => resizeBilinear({ data: new Uint8Array(47), width: 4, height: 4 }, 2, 2), /bad source image/);
    assert.throws(() => resizeBilinear({ data: new Uint8Array(0), width: 0, height: 4 }, 2, 2), /bad source image/);
  });
});
