/**
 * OpenCV-exact warps (src/kernels/warp.ts) and YOLOv5's random_perspective
 * (src/kernels/perspective.ts, SPEC §3). Every expected number below comes from
 * test/reference/warp.py (OpenCV 4.6.0, numpy 1.24):
 *
 *   cv2.warpAffine(src, M[:2], (w, h), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT, borderValue=fill)
 *   cv2.warpPerspective(src, M, (w, h), ...same...)
 *   M = T @ S @ R @ P @ C   (YOLOv5 random_perspective, R = cv2.getRotationMatrix2D((0,0), a, s))
 *   boxes: corners x1y1, x2y2, x1y2, x2y1 through M (÷ w when perspective), min/max, clip,
 *          box_candidates(old · s, new, wh_thr 2, ar_thr 100, area_thr 0.10)
 *
 * Small warps are compared byte for byte (hex); the 608×608 ones by FNV-1a 32 hash, byte sum
 * and sample pixels. The source images are integer formulas of (x, y), the same here and there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../src/core/rng.ts';
import type { RawImage, SampleMeta } from '../src/core/types.ts';
import { boxCandidates } from '../src/kernels/boxes.ts';
import {
  drawPerspectiveParams, perspectiveBoxes, perspectiveKernel, perspectiveKernels, perspectiveMatrix,
  perspectiveOutputSize, randomPerspectiveKernel, type PerspectiveParams,
} from '../src/kernels/perspective.ts';
import type { KernelSample } from '../src/kernels/transform.ts';
import { invert3x3, invertAffine, perspectiveBlockWidth, warpAffine, warpPerspective } from '../src/kernels/warp.ts';
import { randomPerspective } from '../src/transforms/random-perspective.ts';

/** R = (37x + 11y) mod 256, G = (13x + 71y) mod 256, B = (29xy + 7) mod 256 (warp.py `formula_image`). */
function formulaImage(w: number, h: number): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o += 3) {
      data[o] = (x * 37 + y * 11) % 256;
      data[o + 1] = (x * 13 + y * 71) % 256;
      data[o + 2] = (x * y * 29 + 7) % 256;
    }
  }
  return { data, width: w, height: h };
}

/** R = (5x + 3y) & 255, G = ((x² >> 3) ^ y) & 255, B = (x ^ 7y) & 255 (warp.py `gradient_image`). */
function gradientImage(w: number, h: number): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o += 3) {
      data[o] = (x * 5 + y * 3) & 255;
      data[o + 1] = (((x * x) >> 3) ^ y) & 255;
      data[o + 2] = (x ^ (y * 7)) & 255;
    }
  }
  return { data, width: w, height: h };
}

function fnv1a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h;
}

function byteSum(data: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]!;
  return s;
}

const hex = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');

function sample(image: RawImage, boxes: number[][] = [], meta?: SampleMeta): KernelSample {
  const n = boxes.length;
  const s: KernelSample = {
    image,
    boxes: new Float32Array(boxes.flat()),
    // class i = input position i, so survivors trace back to their input box
    classes: Int32Array.from({ length: n }, (_, i) => i),
    weights: Float32Array.from({ length: n }, (_, i) => i + 0.5),
    flags: Uint8Array.from({ length: n }, (_, i) => i & 1),
  };
  if (meta) s.meta = meta;
  return s;
}

/** Largest |a − b| relative to max(1, |b|) over matching entries. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return e;
}

const IDENTITY: PerspectiveParams = {
  perspectiveX: 0, perspectiveY: 0, angle: 0, scale: 1, shearX: 0, shearY: 0, translateX: 0.5, translateY: 0.5,
};

// ---- numbers from test/reference/warp.py ----
const SMALL: { name: string; M: number[]; width: number; height: number; fill: [number, number, number]; perspective: boolean; hex: string; src?: 'one' }[] = [
  {
    name: 'affine rotate+scale 7x5 -> 9x6',
    M: [1.0769906785393553, 0.45715542033245027, -0.5063965140975457, -0.45715542033245027, 1.0769906785393553, 1.7512169492724674],
    width: 9, height: 6, fill: [114, 114, 114], perspective: false,
    hex: '7272726c6765694c407a3b1e9a3f16bb614adc8289ae888e7272723d33323b1c11552f1776513b97726bb89488d8b767dfc66c7a7670101f0a303f1d51623f73857293a5b1b4bfbbd48a5ff5553ca4555010530a2d75294e95596eb88c8fca6aaf3e76d01d99b2407548639235812c29a8244ac8636aebb18bc548ad587ecd50a1ac6463506f8c588b5125cb0f46955d6766bd863faa90587a88698d727272727272',
  },
  {
    name: 'affine shear, custom fill 7x5 -> 9x6',
    M: [0.8, 0.3, 1.3, -0.2, 1.1, 0.6],
    width: 9, height: 6, fill: [10, 200, 30], perspective: false,
    hex: '0ac81e067e161b531046370b7c300dab4f2cd86d5925bf2a0ac81e0ac81e0668121f2c114d492c7a6857a7868ad6a58075c34f0ac81e0ac81e0ab11a1d64164a834c78a293a5bee4d3ad45c49d3a0ac81e0ac81e0ac81e1a9c0b48bb5c76da7da37f55d115a3c434460ac81e0ac81e0ac81e1ccd0d45b35c7299c6a16c63ce4f9c5b6e850ab83a0ac81e0ac81e1789153d33484e619a4d894238aa490fc5200ac81e',
  },
  {
    name: 'affine upscale 2.5x 7x5 -> 11x8',
    M: [2.5, 0, -1.1, 0, 2.5, -0.7],
    width: 11, height: 8, fill: [114, 114, 114], perspective: false,
    hex: '131a0b221f0e312411402a154e2e185d341b6c391e7b3e228a4425984828a74e2b183710273c18364120454628534b2f625138715640805b488f60509d6557ac6b5f1c53152b59223a5e2f49633c576847666d5475736184786e937d7ba18286b08789206e1a2f732b3e793c4d7e4e5b835e6a886f798d808893919798a3a59dafb4a290258b1f34903543954b529b6160a0756fa58c7eaaa28dafb89cb5ceaabadbb9bf9629a82438ad3f47b25a56b87564bc8b73c28982c78691ba96a0a2b1ae8ec4bd94942ec5293dca494ccf685bd48869d9a078df7887e45096bd54a57b74b3438fc2498e32c92e41cf5350d4775fd99c6ddeb57ce3728be92e9ab42ba95b4fb71070c6158b',
  },
  {
    name: 'perspective 7x5 -> 9x6',
    M: [0.95, 0.1, 1.2, -0.05, 1.05, 0.4, 0.02, -0.03, 1],
    width: 9, height: 6, fill: [114, 114, 114], perspective: true,
    hex: '72727236363a3e2f2c583425783a1e9f4418ce4f11727272727272727272243b252334144d492c785d49a5736ed487978c7a81727272727272376a32287322508553799a8da5afcfd3c83fbfb06b7272727272724886402baa2652c1717cd575a57c80d14293f53e2172727272727254974a2fc22655be847db48da56f61d03a8d7453856e7175727272606857313b1c5831907c3ecb97517aaa5f967c6a7863717d',
  },
  {
    name: 'perspective, position exactly on a half (cvRound to even) 7x5 -> 9x6',
    M: [1, 0, -0.078125, 0, 1, 0.046875, 0, 0, 1],
    width: 9, height: 6, fill: [114, 114, 114], perspective: true,
    hex: '09080e2c140e4f200e712c0e94390eb7450ed152147272727272720d4309325024575d3f7c6a5aa17775c68491e18fa7727272727272188a0b3d974362a47b87b1b3acbedcd1cb33ebd16972727272727223d10c48de626deba892e91cb71570dc22a7f6331c7272727272722e280e5335807842e39d4e65c24cc8d859581f66b07272727272726e6d6c706d73726e79756f727770787871706c7277727272727272',
  },
  {
    name: 'singular affine: every pixel reads source (0,0) 7x5 -> 3x2',
    M: [0, 0, 1.5, 0, 0, 2.5],
    width: 3, height: 2, fill: [114, 114, 114], perspective: false,
    hex: '000007000007000007000007000007000007',
  },
  {
    name: '1x1 source shifted by (0.5, 0.25) -> 2x2',
    M: [1, 0, 0.5, 0, 1, 0.25],
    width: 2, height: 2, fill: [114, 114, 114], perspective: false, src: 'one',
    hex: '4b6c924b6c9265707d65707d',
  },
];
const BLOCK = { M: [3, 0, 5.515624999999988, 0, 1, 0, 0, 0, 1], fnv: 1346518455, row0: [160, 236, 7, 173, 241, 7, 184, 245, 7, 197, 209, 7, 210, 126, 7, 222, 42, 7, 194, 6, 7, 119, 11, 7, 43, 15, 7, 15, 19, 7, 28, 24, 7, 40, 28, 7] };
const BIG: { name: string; params: PerspectiveParams; perspective: boolean; M: number[]; fnv: number; sum: number; samples: [number, number, number[]][] }[] = [
  {
    name: 'affine: degrees 7.3, scale 1.21, shear (1.5, -0.8), translate (0.47, 0.55)',
    params: { perspectiveX: 0, perspectiveY: 0, angle: 7.3, scale: 1.21, shearX: 1.5, shearY: -0.8, translateX: 0.47, translateY: 0.55 },
    perspective: false,
    M: [1.1961662378451199, 0.18517631720270972, -141.45551223908865, -0.17050711099403984, 1.1980454064999317, 101.43137795810918, 0, 0, 1],
    fnv: 861117876, sum: 140353797,
    samples: [[0, 0, [114, 114, 114]], [303, 304, [37, 27, 184]], [100, 500, [5, 234, 57]], [607, 1, [68, 171, 83]], [451, 77, [26, 159, 187]], [12, 600, [52, 81, 160]]],
  },
  {
    name: 'affine zoom-out: degrees -12, scale 0.62, translate (0.58, 0.41)',
    params: { perspectiveX: 0, perspectiveY: 0, angle: -12, scale: 0.62, shearX: 0, shearY: 0, translateX: 0.58, translateY: 0.41 },
    perspective: false,
    M: [0.6064515124549595, -0.12890524830701078, 189.51277560809552, 0.12890524830701078, 0.6064515124549595, 62.48195755256626, 0, 0, 1],
    fnv: 2029521814, sum: 131161773,
    samples: [[0, 0, [114, 114, 114]], [303, 304, [25, 83, 101]], [100, 500, [114, 114, 114]], [607, 1, [114, 114, 114]], [451, 77, [114, 114, 114]], [12, 600, [114, 114, 114]]],
  },
  {
    name: 'perspective (4e-4, -2.5e-4), degrees 5, scale 0.9, shear (2, 1)',
    params: { perspectiveX: 0.0004, perspectiveY: -0.00025, angle: 5, scale: 0.9, shearX: 2, shearY: 1, translateX: 0.52, translateY: 0.49 },
    perspective: true,
    M: [1.0203000372404354, 0.030709265351759094, -17.70623560136147, 0.05637761034981144, 0.8234644065162456, 82.24770712416142, 0.0004, -0.00025, 0.9319999999999999],
    fnv: 1586844815, sum: 136746850,
    samples: [[0, 0, [114, 114, 114]], [303, 304, [212, 172, 136]], [100, 500, [165, 110, 53]], [607, 1, [114, 114, 114]], [451, 77, [114, 114, 114]], [12, 600, [114, 114, 114]]],
  },
];
const MOSAIC = { params: { perspectiveX: 0, perspectiveY: 0, angle: 3, scale: 1.3, shearX: 0, shearY: 0, translateX: 0.55, translateY: 0.45 }, M: [1.298218395180946, 0.06803674311582698, -522.4032885099348, -0.06803674311582698, 1.298218395180946, -499.3162573216762, 0, 0, 1], fnv: 1982006467, sum: 156775802 };
const BOXES = [[10, 20, 110, 90], [300, 200, 420, 330], [600, 400, 639, 479], [0, 0, 3, 3], [50, 300, 52, 460], [5, 440, 200, 480]];
const BOX_CASES: { params: PerspectiveParams; perspective: boolean; border: [number, number]; width: number; height: number; M: number[]; mapped: number[][]; clipped: number[][]; keep: boolean[] }[] = [
  {
    params: { perspectiveX: 0, perspectiveY: 0, angle: 10, scale: 0.75, shearX: 3, shearY: -2, translateX: 0.45, translateY: 0.6 },
    perspective: false, border: [0, 0], width: 640, height: 480,
    M: [0.7317804282331029, 0.1689448237672664, 13.283505261263144, -0.15602881665266677, 0.7340578687704293, 161.75533282395034, 0, 0, 1],
    mapped: [[23.9802060189395, 159.2733203675656, 108.98438650595844, 226.2602528467623], [266.6065984846473, 243.03480358391616, 376.38307696236427, 357.185784522392], [519.9296917080314, 355.676066491068, 561.8157694867365, 419.7517619733859], [13.283505261263144, 161.28724637399233, 15.985681017264252, 163.95750643026162], [100.5559738030982, 373.85919498914046, 129.05070646232704, 491.62051162571447], [91.27812986002587, 453.53503175240587, 240.7331063161716, 513.322965750493]],
    clipped: [[23.9802060189395, 159.2733203675656, 108.98438650595844, 226.2602528467623], [266.6065984846473, 243.03480358391616, 376.38307696236427, 357.185784522392], [519.9296917080314, 355.676066491068, 561.8157694867365, 419.7517619733859], [13.283505261263144, 161.28724637399233, 15.985681017264252, 163.95750643026162], [100.5559738030982, 373.85919498914046, 129.05070646232704, 480], [91.27812986002587, 453.53503175240587, 240.7331063161716, 480]],
    keep: [true, true, true, true, true, true],
  },
  {
    params: { perspectiveX: 0.0006, perspectiveY: -0.0004, angle: -8, scale: 1.2, shearX: -1, shearY: 2.5, translateX: 0.52, translateY: 0.47 },
    perspective: true, border: [0, 0], width: 640, height: 480,
    M: [1.3850865518736613, -0.32086995327554824, -33.41890781344, 0.35425096628821634, 1.0907899679113826, -149.54990151096106, 0.0006, -0.0004, 0.904],
    mapped: [[-55.43059277975141, -137.6846923390812, 116.967997741322, -13.288220671555482], [290.14703063836913, 174.1866354161159, 449.94744732192197, 350.777532950045], [600.4628083660659, 452.279588248661, 641.5676933862073, 546.9108054177419], [-38.08320522072069, -165.4313069811516, -32.3069641839468, -160.52927117882186], [-149.01967830201218, 240.04869432047235, -70.72545767747066, 493.38995470615305], [-252.46301066620256, 454.40347359984725, 120.77314047175827, 534.7109090674829]],
    clipped: [[0, 0, 116.967997741322, 0], [290.14703063836913, 174.1866354161159, 449.94744732192197, 350.777532950045], [600.4628083660659, 452.279588248661, 640, 480], [0, 0, 0, 0], [0, 240.04869432047235, 0, 480], [0, 454.40347359984725, 120.77314047175827, 480]],
    keep: [false, true, true, false, false, true],
  },
  {
    params: { perspectiveX: 0, perspectiveY: 0, angle: 0, scale: 1.4, shearX: 0, shearY: 0, translateX: 0.5, translateY: 0.5 },
    perspective: false, border: [-80, -100], width: 440, height: 320,
    M: [1.4, 0, -228, 0, 1.4, -176, 0, 0, 1],
    mapped: [[-214, -148, -74, -50.000000000000014], [192, 104, 360, 285.99999999999994], [612, 384, 666.5999999999999, 494.5999999999999], [-228, -176, -223.8, -171.8], [-158, 244, -155.2, 468], [-221, 440, 52, 496]],
    clipped: [[0, 0, 0, 0], [192, 104, 360, 285.99999999999994], [440, 320, 440, 320], [0, 0, 0, 0], [0, 244, 0, 320], [0, 320, 52, 320]],
    keep: [false, true, false, false, false, false],
  },
];

describe('warpAffine / warpPerspective: byte for byte as cv2 (INTER_LINEAR, BORDER_CONSTANT)', () => {
  for (const c of SMALL) {
    it(c.name, () => {
      const src = c.src === 'one' ? { data: new Uint8Array([9, 99, 199]), width: 1, height: 1 } : formulaImage(7, 5);
      const out = (c.perspective ? warpPerspective : warpAffine)(src, c.M, c.width, c.height, c.fill);
      assert.equal(out.width, c.width);
      assert.equal(out.height, c.height);
      assert.equal(hex(out.data), c.hex);
    });
  }

  it('a position exactly on a half rounds to even (cvRound), not up', () => {
    // M translates by (−5/64, 3/64). Destination (1, 0) reads source x = 1 + 5/64 → 32·x = 34.5 → 34
    // (sx 1, fx 2) and y = −3/64 → 32·y = −1.5 → −2 (sy −1, fy 30): the top row is fill (114·32 = 3648),
    // the bottom row R = 37·30 + 74·2 = 1258, so R = (3648·2 + 1258·30 + 512) >> 10 = 44.
    // Rounding halves up would give fx 3, fy 31 and R = 43.
    const c = SMALL.find((s) => s.name.startsWith('perspective, position exactly on a half'))!;
    const out = warpPerspective(formulaImage(7, 5), c.M, 9, 6);
    assert.deepEqual([...out.data.subarray(3, 6)], [44, 20, 14]);
    assert.equal(hex(out.data), c.hex);
  });

  it("warpPerspective measures x from the start of OpenCV's 64-column block (a position an ulp from a half)", () => {
    assert.equal(perspectiveBlockWidth(140, 16), 64);
    assert.equal(perspectiveBlockWidth(300, 5), 204);
    assert.equal(perspectiveBlockWidth(30, 40), 30);
    const out = warpPerspective(formulaImage(49, 18), BLOCK.M, 140, 16);
    assert.deepEqual([...out.data.subarray(60 * 3, 72 * 3)], BLOCK.row0);
    assert.equal(fnv1a(out.data), BLOCK.fnv);
  });

  it('inverts as OpenCV: affine through the 2×2 determinant, 3×3 through the adjugate; singular → zeros', () => {
    assert.deepEqual(invertAffine([2, 0, 4, 0, 4, -8]), [0.5, -0, -2, -0, 0.25, 2]);
    assert.ok(invertAffine([1, 2, 3, 2, 4, 6]).every((v) => v === 0), 'singular → zeros');
    const m = [2, 1, 0, 0, 1, 3, 0.5, 0, 1];
    const inv = invert3x3(m);
    // m · inv = I
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const v = m[i * 3]! * inv[j]! + m[i * 3 + 1]! * inv[3 + j]! + m[i * 3 + 2]! * inv[6 + j]!;
        assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-15, `${i},${j}: ${v}`);
      }
    }
    assert.deepEqual(invert3x3([1, 2, 3, 2, 4, 6, 0, 0, 1]), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // a singular perspective matrix reads source (0,0) everywhere, as OpenCV does
    const out = warpPerspective(formulaImage(7, 5), [0, 0, 0, 0, 0, 0, 0, 0, 0], 2, 2);
    assert.equal(hex(out.data), '000007'.repeat(4));
  });

  it('fill: default 114; levels are rounded half-even and clamped like saturate_cast<uchar>', () => {
    const src = formulaImage(3, 3);
    const away = [1, 0, 100, 0, 1, 100];
    assert.deepEqual([...warpAffine(src, away, 2, 1).data], [114, 114, 114, 114, 114, 114]);
    assert.deepEqual([...warpAffine(src, away, 1, 1, [2.5, 300, -4]).data], [2, 255, 0]);
  });

  it('rejects a bad size or a non-finite matrix', () => {
    const src = formulaImage(3, 3);
    assert.throws(() => warpAffine(src, [1, 0, 0, 0, 1, 0], 0, 5), /output size/);
    assert.throws(() => warpAffine(src, [1, 0, 0, 0, 1, 0], 2.5, 5), /output size/);
    assert.throws(() => warpAffine(src, [1, 0, 0, 0, 1], 2, 2), /6 numbers/);
    assert.throws(() => warpPerspective(src, [1, 0, 0, 0, 1, 0, 0, NaN, 1], 2, 2), /entry 7/);
  });
});

describe('640×480 → 608×608 against cv2 (hash, sum, sample pixels)', () => {
  const src = gradientImage(640, 480);
  for (const c of BIG) {
    it(c.name, () => {
      const out = c.perspective ? warpPerspective(src, c.M, 608, 608) : warpAffine(src, c.M.slice(0, 6), 608, 608);
      for (const [x, y, rgb] of c.samples) assert.deepEqual([...out.data.subarray((y * 608 + x) * 3, (y * 608 + x) * 3 + 3)], rgb, `pixel ${x},${y}`);
      assert.equal(byteSum(out.data), c.sum);
      assert.equal(fnv1a(out.data), c.fnv);
      // the same bytes through the sample kernel, with the matrix built from the drawn parameters
      assert.ok(maxRelErr(perspectiveMatrix(c.params, 640, 480, { width: 608, height: 608 }), c.M) < 1e-12);
      const k = perspectiveKernel(sample(src), c.params, { width: 608, height: 608, perspective: c.perspective });
      assert.equal(fnv1a(k.image.data), c.fnv);
    });
  }

  it('mosaic-like: 1280×1280 canvas, border [−320, −320] → 640×640', () => {
    const out = perspectiveKernel(sample(gradientImage(1280, 1280)), MOSAIC.params, { border: [-320, -320] });
    assert.equal(out.image.width, 640);
    assert.equal(out.image.height, 640);
    assert.ok(maxRelErr(perspectiveMatrix(MOSAIC.params, 1280, 1280, [-320, -320]), MOSAIC.M) < 1e-12);
    assert.equal(byteSum(out.image.data), MOSAIC.sum);
    assert.equal(fnv1a(out.image.data), MOSAIC.fnv);
  });
});

describe('perspectiveMatrix and the boxes (YOLOv5 random_perspective)', () => {
  it('M = T·S·R·P·C agrees with numpy to 1e-12', () => {
    for (const c of BOX_CASES) {
      assert.ok(maxRelErr(perspectiveMatrix(c.params, 640, 480, c.border), c.M) < 1e-12, JSON.stringify(c.params));
    }
  });

  it('worked matrix: rotation 90°, zoom 2, centred, output 4×2 → [0, 2, −0; −2, 0, 6; 0, 0, 1] up to cos(π/2)', () => {
    const M = perspectiveMatrix({ ...IDENTITY, angle: 90, scale: 2 }, 2, 4, { width: 4, height: 2 });
    // C moves the centre (1, 2) to 0; R maps (x, y) → (2y, −2x); T adds (0.5·4, 0.5·2) = (2, 1)
    const want = [0, 2, -2, -2, 0, 3, 0, 0, 1];
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(M[i]! - want[i]!) < 1e-15, `${i}: ${M[i]} vs ${want[i]}`);
  });

  it('maps the 4 corners and takes min/max (unclipped), as YOLOv5', () => {
    for (const c of BOX_CASES) {
      const got = perspectiveBoxes(new Float32Array(BOXES.flat()), c.M, c.perspective);
      assert.ok(maxRelErr(got, c.mapped.flat()) < 1e-6, JSON.stringify(c.params));
    }
  });

  it('clips, then keeps the boxes that pass box_candidates against old × s (area_thr 0.10)', () => {
    for (const c of BOX_CASES) {
      const out = perspectiveKernel(sample(gradientImage(640, 480), BOXES), c.params, { border: c.border, perspective: c.perspective });
      assert.equal(out.image.width, c.width);
      assert.equal(out.image.height, c.height);
      const kept = c.keep.flatMap((k, i) => (k ? [i] : []));
      assert.deepEqual([...out.classes], kept);
      assert.deepEqual([...out.weights], kept.map((i) => i + 0.5));
      assert.deepEqual([...out.flags], kept.map((i) => i & 1));
      assert.ok(maxRelErr(out.boxes, kept.flatMap((i) => c.clipped[i]!)) < 1e-6);
    }
  });

  it('hygiene options tighten the rule (minArea drops the small survivors)', () => {
    const c = BOX_CASES[0]!;
    const out = perspectiveKernel(sample(gradientImage(640, 480), BOXES), c.params, { minArea: 100 });
    // box 3 maps to a 2.7 × 2.67 box: kept by box_candidates, dropped by minArea 100
    assert.deepEqual([...out.classes], [0, 1, 2, 4, 5]);
  });

  it('identity parameters return the image itself and the boxes unchanged', () => {
    const src = gradientImage(64, 48);
    const boxes = [[1, 2, 30, 40], [10.25, 11.5, 63.75, 47]];
    const input = sample(src, boxes, { path: 'a.jpg', originalWidth: 64, originalHeight: 48 });
    const out = perspectiveKernel(input, IDENTITY);
    assert.equal(out.image, src);
    assert.deepEqual([...out.boxes], boxes.flat());
    assert.deepEqual(out.meta!.affine, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.equal(input.meta!.affine, undefined, 'the input meta is not touched');
    // a translation of whole pixels, by contrast, warps
    const moved = perspectiveKernel(input, { ...IDENTITY, translateX: 0.5 + 3 / 64 });
    assert.notEqual(moved.image, src);
    assert.deepEqual([...moved.image.data.subarray(3 * 3, 3 * 3 + 3)], [...src.data.subarray(0, 3)]);
    assert.deepEqual([...moved.boxes], [4, 2, 33, 40, 13.25, 11.5, 64, 47]);
    assert.equal(perspectiveKernel(sample(src), IDENTITY).meta, undefined, 'no meta in, no meta out');
  });

  it('output size: W + 2·border[1] × H + 2·border[0], or width/height; too small a border throws', () => {
    assert.deepEqual(perspectiveOutputSize(640, 480), { width: 640, height: 480 });
    assert.deepEqual(perspectiveOutputSize(1280, 1280, { border: [-320, -320] }), { width: 640, height: 640 });
    assert.deepEqual(perspectiveOutputSize(640, 480, { border: [10, -20] }), { width: 600, height: 500 });
    assert.deepEqual(perspectiveOutputSize(640, 480, { border: [10, -20], width: 32 }), { width: 32, height: 500 });
    assert.throws(() => perspectiveOutputSize(64, 64, { border: [-32, 0] }), /border/);
  });
});

describe('randomPerspective kernel and factory', () => {
  it("draws in YOLOv5's order: perspective x, y, angle, scale, shear x, y, translate x, y", () => {
    const ranges = { degrees: 10, translate: 0.2, scale: 0.4, shear: 3, perspective: 0.001 };
    const u = new Rng(7, 1, 2, 3);
    const want: PerspectiveParams = {
      perspectiveX: u.uniform(-0.001, 0.001),
      perspectiveY: u.uniform(-0.001, 0.001),
      angle: u.uniform(-10, 10),
      scale: u.uniform(0.6, 1.4),
      shearX: u.uniform(-3, 3),
      shearY: u.uniform(-3, 3),
      translateX: u.uniform(0.3, 0.7),
      translateY: u.uniform(0.3, 0.7),
    };
    assert.deepEqual(drawPerspectiveParams(new Rng(7, 1, 2, 3), ranges), want);
    // defaults (degrees 0, translate 0.1, scale 0.5, shear 0, perspective 0) still take 8 draws
    const d = drawPerspectiveParams(new Rng(1), {});
    assert.equal(d.angle, 0);
    assert.equal(d.shearX, 0);
    assert.ok(d.scale >= 0.5 && d.scale < 1.5 && d.translateX >= 0.4 && d.translateX < 0.6);
    const r = new Rng(1);
    for (let i = 0; i < 8; i++) r.next();
    const after = new Rng(1);
    drawPerspectiveParams(after, {});
    assert.equal(after.next(), r.next());
  });

  it('the kernel = drawn parameters + perspectiveKernel; affine unless perspective > 0', async () => {
    const src = gradientImage(40, 30);
    const s = sample(src, [[5, 5, 30, 25]]);
    const opts = { degrees: 20, translate: 0.1, scale: 0.3, shear: 5, border: [3, -4] as [number, number], fill: [1, 2, 3] as [number, number, number] };
    const out = await randomPerspectiveKernel(s, opts, new Rng(5));
    const p = drawPerspectiveParams(new Rng(5), opts);
    const M = perspectiveMatrix(p, 40, 30, [3, -4]);
    assert.equal(out.image.width, 32);
    assert.equal(out.image.height, 36);
    assert.deepEqual(out.image.data, warpAffine(src, M.slice(0, 6), 32, 36, [1, 2, 3]).data);
    const persp = await randomPerspectiveKernel(s, { ...opts, perspective: 0.001 }, new Rng(5));
    const pp = drawPerspectiveParams(new Rng(5), { ...opts, perspective: 0.001 });
    assert.deepEqual(persp.image.data, warpPerspective(src, perspectiveMatrix(pp, 40, 30, [3, -4]), 32, 36, [1, 2, 3]).data);
    assert.equal(perspectiveKernels.randomPerspective, randomPerspectiveKernel);
    // the input is untouched
    assert.deepEqual([...s.boxes], [5, 5, 30, 25]);
  });

  it('randomPerspective(): YOLOv5 defaults, p 1, plain-data options', () => {
    const spec = randomPerspective();
    assert.deepEqual(spec, {
      name: 'randomPerspective', p: 1,
      options: { degrees: 0, translate: 0.1, scale: 0.5, shear: 0, perspective: 0, border: [0, 0], fill: 114 },
    });
    const full = randomPerspective({ p: 0.5, degrees: 10, shear: 2, perspective: 0.0005, border: [-320, -320], width: 640, fill: [1, 2, 3], minVisibility: 0.3 });
    assert.deepEqual(full.options, {
      degrees: 10, translate: 0.1, scale: 0.5, shear: 2, perspective: 0.0005, border: [-320, -320], fill: [1, 2, 3], minVisibility: 0.3, width: 640,
    });
    assert.deepEqual(structuredClone(full), full);
  });

  it('randomPerspective(): rejects options out of range, saying what to pass', () => {
    assert.throws(() => randomPerspective({ scale: 1 }), /scale.*0 ≤ scale < 1/);
    assert.throws(() => randomPerspective({ shear: 90 }), /shear.*< 90/);
    assert.throws(() => randomPerspective({ degrees: 200 }), /degrees.*0\.\.180/);
    assert.throws(() => randomPerspective({ perspective: 0.1 }), /perspective.*0\.\.0\.01/);
    assert.throws(() => randomPerspective({ translate: -0.1 }), /translate/);
    assert.throws(() => randomPerspective({ fill: 256 }), /fill/);
    assert.throws(() => randomPerspective({ border: [0.5, 0] }), /border/);
    assert.throws(() => randomPerspective({ width: 0 }), /width/);
    assert.throws(() => randomPerspective({ p: 2 }), /probability/);
    assert.throws(() => randomPerspective({ rotate: 5 } as never), /rotate/);
  });
});

describe('randomPerspective properties', () => {
  /** A real spread evenly over [min, max]. */
  const real = (min: number, max: number) => fc.integer({ min: 0, max: 2 ** 16 }).map((k) => min + ((max - min) * k) / 2 ** 16);
  const unitBox = fc
    .tuple(real(0, 1), real(0, 1), real(0, 1), real(0, 1))
    .map(([a, b, c, d]) => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)] as const);

  it('every surviving box lies inside the output and passes the hygiene rule; the image has the promised size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 40 }), fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: -1, max: 8 }), fc.integer({ min: -1, max: 8 }),
        fc.record({
          degrees: real(0, 180), translate: real(0, 0.5), scale: real(0, 0.9), shear: real(0, 30),
          perspective: fc.constantFrom(0, 0.001, 0.01),
        }),
        fc.array(unitBox, { maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (w, h, by, bx, ranges, units, seed) => {
          const boxes = units.map(([a, b, c, d]) => [a * w, b * h, c * w, d * h]);
          const s = sample(formulaImage(w, h), boxes);
          const out = randomPerspectiveKernel(s, { ...ranges, border: [by, bx] }, new Rng(seed)) as KernelSample;
          const W = w + 2 * bx;
          const H = h + 2 * by;
          assert.equal(out.image.width, W);
          assert.equal(out.image.height, H);
          assert.equal(out.image.data.length, W * H * 3);
          const n = out.classes.length;
          assert.equal(out.boxes.length, n * 4);
          const p = drawPerspectiveParams(new Rng(seed), ranges);
          for (let j = 0; j < n; j++) {
            const [x1, y1, x2, y2] = out.boxes.subarray(j * 4, j * 4 + 4);
            assert.ok(x1! >= 0 && x1! <= x2! && x2! <= W, `x ${x1}..${x2} on ${W}`);
            assert.ok(y1! >= 0 && y1! <= y2! && y2! <= H, `y ${y1}..${y2} on ${H}`);
            const i = out.classes[j]!;
            assert.deepEqual(boxCandidates([boxes[i]!], [[x1!, y1!, x2!, y2!]], { scale: p.scale }), [true]);
          }
          // classes stay in input order: boxes are filtered, never reordered
          for (let j = 1; j < n; j++) assert.ok(out.classes[j - 1]! < out.classes[j]!);
        },
      ),
      { numRuns: 150 },
    );
  });
});
