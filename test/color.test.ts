/**
 * Colour kernels (SPEC §2): OpenCV-exact 8-bit RGB↔HSV, HSV augmentation (YOLOv5 and
 * Darknet forms), brightness/contrast. Every expected byte below comes from cv2 4.6.0
 * (x86-64, AVX2 + FMA) via test/reference/hsv.py; LUT entries are also worked by hand.
 *
 * OpenCV's 8-bit HSV→RGB has two paths: the vector path (each row's first ⌊W/32⌋·32
 * pixels; truncates) and the scalar path (the rest of the row; rounds half to even).
 * Offline, our conversions matched cv2 on all 2^24 inputs each way on both paths (0
 * mismatches); here a few dozen chosen values and checksums over grids keep that.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyHsvLuts,
  brightnessContrast as bcImage,
  brightnessContrastKernel,
  brightnessContrastLut,
  colorKernels,
  darknetHsvLuts,
  hsvDarknet,
  hsvKernel,
  hsvToRgb,
  hsvToRgbPixel,
  hsvYolov5,
  randScale,
  rgbToHsv,
  rgbToHsvPixel,
  yolov5HsvLuts,
} from '../src/kernels/color.ts';
import { hsv } from '../src/transforms/hsv.ts';
import { brightness, brightnessContrast, contrast } from '../src/transforms/brightness-contrast.ts';
import { Rng } from '../src/core/rng.ts';
import { ConfigError } from '../src/core/errors.ts';
import type { RawImage } from '../src/core/types.ts';
import type { KernelSample } from '../src/kernels/transform.ts';

/** 32-bit FNV-1a, as in test/reference/hsv.py. */
function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  return h >>> 0;
}

/** Byte i = top 8 bits of (i+1)·2654435761 mod 2^32 (test_image in hsv.py). */
function testImage(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.imul(i + 1, 2654435761 | 0) >>> 24;
  return { data, width, height };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Outputs of the 34×3 test image (32 vector + 2 scalar pixels per row), from cv2. */
const Y1 =
  'e0a3ffc584ebabffca9bffc072d99bffc790e4afffdf9fffc07ce3a9ffc999ffc26ad190ffc78ee3adffde9dffb776dda7ffca' +
  '94fab9ffcd9cffc58be3abffda9bffb26ed5a5ffc68cf4b5ffcc99ffc388e2a9ffdb97feac68cea3ffc786ecabffcc98ffc286' +
  'e1a7ffd291f8afffcfa1ffc37fe6a8ffca95ffc081dea5ffcd89f0adffcb9dffc477de9cffc993e4afffe0a1ffc783eaabffcc' +
  '9bffc070d796ffc790e4adffdc9fffc07be3a9ffc998ffc169d092ffc68de0adffde9cffb874dba7ffca92f9b8ffce9cffc68c' +
  'e3abffdd9affb26ed5a5ffc68df3b2ffcd9affc387dfa9ffdb97feaa66cda3ffc784ebadffcb97ffc184e1a7ffd490f7adffce' +
  'a1ffc37ee4a3ffca95ffc081e1a5ffcd89f0adffcb9dffc176dd9fffc992e2afffe0a1ffc682e8abffcc9bffc370d695ffc891';
const Y2 =
  '57009a44008008ab3e00903000762ba14b006a0fb155009746007c05a73b008c330072269d4900660aad52009240007801a33c' +
  '00892db353009947006206a94c008f410074009f35008530b052009545005f03a64e008b3f0070009b3800812bac5000914400' +
  '5b00a14800870fb24a009732007d2da84e008e420054009e4a00830cae42009436007928a44c006e11b557009a47007f07aa43' +
  '009030007527a04a006a0eb050009646007c05a63a008c330071299c4800610aad52009243007700a33b00882db35400984700' +
  '6206a850008e410074009f3500842caf51009545005903a54e008b3f0070009b3800802eab4f009043005b00a14b00860eb24a' +
  '009732007c29a74d008d410058009d4a00830cad4100933100782ca44c006811b457009a47007f06aa42008f340075279f4a00';
const Y3 =
  'a03bda7516b553f18d2dcc6707a747e3811fc05cfa9a36d57511af4dec8728c66703a13dde7c1aba56f59430cf6a0baa48e687' +
  '22c15cfd9b39d87615b450ef8a2cca6905a443e17c1cbc5cf89533d3700eaf4bea8925c465019f3cdb7c18b652f3912fcd6b0a' +
  'a945e47f20bf5cfb9b38d67212b151ed8b29c865039f40df7f1ab957f69131d1710cab46e88624c45fff9e3ad97a15b451f091' +
  '2dcb6707a641e2801fbe5af99436d4740faf4deb8726c66601a041dd7b19b456f4932fce6f0ba947e68621c05bfd9b39d77614' +
  'b450ee8f2bc96905a441e07b1dbb57f79534d2700da94ae98924c464009e3cdb7b16b556f28f2dcc6a08a945e38420be5bfb9b' +
  '37d57111b04bec8a28c76503a440de7e1ab957f59131d06b0baa4be78523be5ffe9e39d97915b350f0902cca6b07a541e17f1e';
const D1 =
  'a201b482009614c78500a96b008a5cbc9000bd1bcf9e00b082009110c38100a46d008554b78c00b816ca9900ab79008c0bbe82' +
  '00a065d1a000b38900b311c69000a77a008807ba78009b67cd9d00ae8500af0dc19100a275008302b57900965fc99a00a98200' +
  'aa09bc88009e1bcf9300b170009261c49600a57e00a005b889009917cb8900ad73008d59c09300c01ed3a100b386009513c68a' +
  '00a86a008956bb8f00bc1ace9700af8200910fc28000a46d008458b78c00b216ca9900aa7e008c0abe82009f64d1a000b28800' +
  'b311c59500a67a008805b977009b62cc9c00ae8500a90dc19100a275008301b579009664c89900a98100aa09bc8d009d1acf92' +
  '00b06f00915bc39500a47d00a505b789009917ca8800ac6c008c5dbf9200ba1ed2a100b385009411c68900a76f008856ba8f00';
const D2 =
  '8a7cff6d62ff9dff898bff7366f250ff6464998dff8779ff6d5dfe9aff8683ff7063e949ff6060968aff8476ff6056f795ff84' +
  '85ff6cff7474ff5d5d9488ff7d73ff5d4dee96ff817cff67ff7171ff58589285ff7d6eff5646e78fff7d7dff63ff6f6fff5555' +
  '8f82ff746aff9dff8d90ff7a74ff5eff6b6bff4f4f887fff7565ff9fff8b89ff7672f857ff68689b8fff8a7cff7161ff98ff88' +
  '8bff736bf150ff6464998dff8279ff6c5cfe9aff8682ff6e5de847ff6060928aff8375ff6454f594ff8384ff6bff7474ff5d5d' +
  '9488ff8172ff5c4cee95ff8081ff68ff7171ff57578e85ff7c6dff5545e58eff7c77ff62ff6d6dff53538f82ff796aff9dff8d' +
  '90ff7a79ff5eff6a6aff4e4e8c7fff7565ff9fff8b8dff766bf756ff6767978fff897bff7060ff98ff8886ff7369ef4fff6464';


describe('RGB → HSV (cv2.COLOR_RGB2HSV, 8-bit)', () => {
  it('matches cv2 on chosen colours, the cube corners and greys', () => {
    const cases: [[number, number, number], [number, number, number]][] = [
      [[255, 0, 0], [0, 255, 255]], [[0, 255, 0], [60, 255, 255]], [[0, 0, 255], [120, 255, 255]],
      [[255, 255, 0], [30, 255, 255]], [[0, 255, 255], [90, 255, 255]], [[255, 0, 255], [150, 255, 255]],
      [[255, 255, 255], [0, 0, 255]], [[0, 0, 0], [0, 0, 0]], [[255, 128, 0], [15, 255, 255]],
      [[12, 200, 99], [74, 240, 200]], [[200, 15, 100], [166, 236, 200]], [[1, 2, 3], [105, 170, 3]],
      [[37, 37, 38], [120, 7, 38]], [[128, 64, 32], [10, 191, 128]], [[90, 200, 250], [99, 163, 250]],
      // hue −1/255 of a sector rounds to 0, never to 180
      [[254, 1, 128], [165, 254, 254]], [[255, 0, 1], [0, 255, 255]], [[7, 7, 7], [0, 0, 7]], [[128, 128, 128], [0, 0, 128]],
    ];
    for (const [rgb, want] of cases) assert.deepEqual(rgbToHsvPixel(...rgb), want, `rgb ${rgb}`);
    for (let g = 0; g < 256; g++) assert.deepEqual(rgbToHsvPixel(g, g, g), [0, 0, g]);
  });

  it('image conversion agrees with the pixel function and with cv2 over a 52³ grid (checksum)', () => {
    const steps = Array.from({ length: 52 }, (_, i) => i * 5);
    const data = new Uint8Array(52 ** 3 * 3);
    let k = 0;
    for (const r of steps) for (const g of steps) for (const b of steps) (data[k++] = r), (data[k++] = g), (data[k++] = b);
    const out = rgbToHsv({ data, width: 52 ** 3, height: 1 });
    assert.equal(fnv1a(out), 0x6c333eb5);
    for (let i = 0; i < out.length; i += 3 * 997) assert.deepEqual([...out.subarray(i, i + 3)], rgbToHsvPixel(data[i]!, data[i + 1]!, data[i + 2]!));
  });
});

describe('HSV → RGB (cv2.COLOR_HSV2RGB, 8-bit)', () => {
  const hsvs: [number, number, number][] = [
    [0, 255, 255], [30, 255, 255], [60, 255, 255], [90, 255, 255], [120, 255, 255], [150, 255, 255], [179, 255, 255],
    [15, 66, 67], [76, 75, 75], [33, 187, 75], [1, 153, 25], [0, 0, 200], [100, 0, 37], [180, 200, 200], [200, 200, 200],
    [255, 255, 255], [45, 85, 9], [122, 18, 0], [7, 119, 225],
  ];
  const vector = [
    [255, 0, 0], [255, 255, 0], [0, 255, 0], [0, 254, 255], [0, 0, 255], [255, 0, 254], [255, 0, 8], [67, 58, 49],
    [52, 75, 64], [69, 75, 19], [25, 10, 10], [200, 200, 200], [37, 37, 37], [200, 43, 43], [200, 147, 43],
    [0, 255, 127], [7, 9, 6], [0, 0, 0], [225, 144, 120],
  ];
  const scalar = [
    [255, 0, 0], [255, 255, 0], [0, 255, 0], [0, 255, 255], [0, 0, 255], [255, 0, 255], [255, 0, 8], [67, 58, 50],
    [53, 75, 65], [70, 75, 20], [25, 11, 10], [200, 200, 200], [37, 37, 37], [200, 43, 43], [200, 148, 43],
    [0, 255, 128], [8, 9, 6], [0, 0, 0], [225, 144, 120],
  ];

  it('matches cv2 on chosen triples, on both OpenCV paths (hue ≥ 180 wraps)', () => {
    hsvs.forEach((t, i) => {
      assert.deepEqual(hsvToRgbPixel(...t), vector[i], `vector ${t}`);
      assert.deepEqual(hsvToRgbPixel(...t, 'scalar'), scalar[i], `scalar ${t}`);
    });
  });

  it('splits each row like OpenCV: ⌊W/32⌋·32 vector pixels, then the scalar path', () => {
    // (15, 66, 67): vector → blue 49, scalar → blue 50. cv2 on a 33-wide row: pixel 32 alone is 50.
    const w = 33;
    const data = new Uint8Array(w * 2 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([15, 66, 67], i);
    const out = hsvToRgb(data, w, 2).data;
    for (let y = 0; y < 2; y++) for (let x = 0; x < w; x++) assert.equal(out[(y * w + x) * 3 + 2], x < 32 ? 49 : 50, `x=${x}`);
    assert.deepEqual([...hsvToRgb(data, w, 2, 0).data.subarray(0, 3)], [67, 58, 50]); // vectorBlock 0: scalar everywhere
  });

  it('matches cv2 over 256 hues × 52 × 52 (checksums of both paths)', () => {
    const steps = Array.from({ length: 52 }, (_, i) => i * 5);
    const data = new Uint8Array(256 * 52 * 52 * 3);
    let k = 0;
    for (let h = 0; h < 256; h++) for (const s of steps) for (const v of steps) (data[k++] = h), (data[k++] = s), (data[k++] = v);
    assert.equal(fnv1a(hsvToRgb(data, 416, data.length / 3 / 416).data), 0x417847f7);
    assert.equal(fnv1a(hsvToRgb(data, 1, data.length / 3).data), 0x123e2e9b);
  });

  it('greys survive the round trip; most colours lose a level (YOLOv5 r = [1,1,1])', () => {
    const g = Uint8Array.from({ length: 256 * 3 }, (_, i) => i / 3);
    const grey = { data: g, width: 256, height: 1 };
    assert.deepEqual(hsvToRgb(rgbToHsv(grey), 256, 1).data, g);
    const img = testImage(34, 3);
    const out = hsvYolov5(img, [1, 1, 1]);
    assert.equal(hex(out.data), Y3);
    assert.notEqual(hex(out.data), hex(img.data));
  });
});

describe('YOLOv5 augment_hsv', () => {
  it('builds the lookup tables of r = [1.01, 0.5, 1.3] (float64, truncated, hue mod 180)', () => {
    const { hue, sat, val } = yolov5HsvLuts([1.01, 0.5, 1.3]);
    // hue: 100·1.01 = 101; 178·1.01 = 179.78 → 179; 179·1.01 = 180.79 mod 180 = 0.79 → 0; 255·1.01 = 257.55 → 77
    assert.deepEqual([hue[0], hue[100], hue[178], hue[179], hue[255]], [0, 101, 179, 0, 77]);
    // sat: 1·0.5 → 0; 3·0.5 = 1.5 → 1; 255·0.5 = 127.5 → 127
    assert.deepEqual([sat[1], sat[3], sat[255]], [0, 1, 127]);
    // val: 3·1.3 = 3.9 → 3; 100·1.3 = 130; 196·1.3 = 254.8 → 254; 200·1.3 = 260 → 255
    assert.deepEqual([val[3], val[100], val[196], val[200]], [3, 130, 254, 255]);
  });

  it('takes Python’s non-negative mod when r_h < 0 (hgain > 1)', () => {
    const { hue, sat } = yolov5HsvLuts([-0.5, -0.2, 1]);
    assert.deepEqual([hue[0], hue[1], hue[100]], [0, 179, 130]); // −0.5 mod 180 = 179.5; −50 mod 180 = 130
    assert.equal(sat[100], 0);
  });

  it('matches cv2 bit for bit on a whole image (vector and scalar pixels)', () => {
    const img = testImage(34, 3);
    assert.equal(fnv1a(img.data), 0x660eb82a);
    assert.equal(hex(hsvYolov5(img, [1.01, 0.5, 1.3]).data), Y1);
    assert.equal(hex(hsvYolov5(img, [0.987, 1.45, 0.71]).data), Y2);
    assert.equal(fnv1a(hsvYolov5(testImage(608, 608), [1.01, 0.5, 1.3]).data), 0xc2fd9283);
  });

  it('the kernel draws r = U(−1,1)·gains + 1 in order h, s, v and keeps boxes, size and input', () => {
    const image = testImage(34, 3);
    const before = image.data.slice();
    const s: KernelSample = {
      image,
      boxes: Float32Array.of(1, 1, 20, 2),
      classes: Int32Array.of(3),
      weights: Float32Array.of(1),
      flags: Uint8Array.of(0),
    };
    const o = { mode: 'yolov5' as const, hgain: 0.015, sgain: 0.7, vgain: 0.4 };
    const out = hsvKernel(s, o, new Rng(1, 2, 3)) as KernelSample;
    const rng = new Rng(1, 2, 3);
    const r: [number, number, number] = [rng.uniform(-1, 1) * 0.015 + 1, rng.uniform(-1, 1) * 0.7 + 1, rng.uniform(-1, 1) * 0.4 + 1];
    assert.deepEqual(out.image.data, hsvYolov5(image, r).data);
    assert.equal(out.image.width, 34);
    assert.equal(out.image.height, 3);
    assert.equal(out.boxes, s.boxes);
    assert.equal(out.classes, s.classes);
    assert.equal(out.weights, s.weights);
    assert.equal(out.flags, s.flags);
    assert.deepEqual(image.data, before);
    // determinism: the same key gives the same bytes, another key other bytes
    assert.deepEqual((hsvKernel(s, o, new Rng(1, 2, 3)) as KernelSample).image.data, out.image.data);
    assert.notDeepEqual((hsvKernel(s, o, new Rng(1, 2, 4)) as KernelSample).image.data, out.image.data);
    assert.equal(colorKernels.hsv, hsvKernel);
  });
});

describe('Darknet HSV (image_data_augmentation, OpenCV)', () => {
  it('builds the saturating Mat-arithmetic tables (cvRound: half to even)', () => {
    // dhue = 2.5/179: the float product 179·dhue is exactly 2.5, which cvRound makes 2
    const a = darknetHsvLuts(2.5 / 179, 1.5, 0.5);
    assert.deepEqual([a.hue[0], a.hue[10], a.hue[179], a.hue[253], a.hue[254]], [2, 12, 181, 255, 255]);
    // 1·1.5 = 1.5 → 2; 3·1.5 = 4.5 → 4; 5·1.5 = 7.5 → 8; 200·1.5 = 300 → 255
    assert.deepEqual([a.sat[1], a.sat[3], a.sat[5], a.sat[200]], [2, 4, 8, 255]);
    // 1·0.5 → 0; 3·0.5 = 1.5 → 2; 255·0.5 = 127.5 → 128
    assert.deepEqual([a.val[1], a.val[3], a.val[255]], [0, 2, 128]);
    const b = darknetHsvLuts(-0.09, 1.37, 1);
    // 179·−0.09 = −16.11 → −16, saturated at 0
    assert.deepEqual([b.hue[0], b.hue[16], b.hue[17], b.hue[255]], [0, 0, 1, 239]);
    assert.deepEqual([b.sat[100], b.sat[186], b.sat[187]], [137, 255, 255]);
  });

  it('matches cv2 bit for bit on whole images', () => {
    const img = testImage(34, 3);
    assert.equal(hex(hsvDarknet(img, 0.043, 1.37, 1 / 1.21).data), D1);
    assert.equal(hex(hsvDarknet(img, -0.09, 0.7, 1.45).data), D2);
    assert.equal(fnv1a(hsvDarknet(img, 2.5 / 179, 1, 1).data), 0xe697bed8);
    assert.equal(fnv1a(hsvDarknet(testImage(100, 7), 0.043, 1.37, 1 / 1.21).data), 0x97296f15);
  });

  it('skips the round trip when the draws are the identity, as Darknet does', () => {
    const img = testImage(34, 3);
    assert.equal(hsvDarknet(img, 0, 1, 1), img);
  });

  it('rand_scale(s): u ~ U(1, s), then u or 1/u with probability ½', () => {
    const rng = new Rng(42);
    let below = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = randScale(rng, 1.5);
      assert.ok(x >= Math.fround(1 / 1.5) && x <= 1.5, `${x}`);
      if (x < 1) below++;
    }
    assert.ok(Math.abs(below / n - 0.5) < 0.02, `${below / n} below 1`);
    // draw order: u, then the coin
    const a = new Rng(9);
    const u = Math.fround(a.uniform(1, 1.5));
    const coin = a.next() < 0.5;
    assert.equal(randScale(new Rng(9), 1.5), coin ? u : Math.fround(1 / u));
  });

  it('the kernel draws dhue, then rand_scale for saturation, then for exposure', () => {
    const image = testImage(34, 3);
    const s: KernelSample = { image, boxes: new Float32Array(0), classes: new Int32Array(0), weights: new Float32Array(0), flags: new Uint8Array(0) };
    const o = { mode: 'darknet' as const, hue: 0.1, saturation: 1.5, exposure: 1.5 };
    const out = hsvKernel(s, o, new Rng(5, 0, 7, 1)) as KernelSample;
    const rng = new Rng(5, 0, 7, 1);
    const dhue = rng.uniform(-0.1, 0.1);
    const dsat = randScale(rng, 1.5);
    const dexp = randScale(rng, 1.5);
    assert.deepEqual(out.image.data, hsvDarknet(image, dhue, dsat, dexp).data);
    assert.equal(out.boxes, s.boxes);
  });
});

describe('brightness / contrast', () => {
  it('builds clip(round_half_up(α·x + β)) tables', () => {
    const a = brightnessContrastLut(1.5, 0);
    // 1.5 → 2, 4.5 → 5, 7.5 → 8 (half up), 300 → 255
    assert.deepEqual([a[0], a[1], a[3], a[5], a[200]], [0, 2, 5, 8, 255]);
    const b = brightnessContrastLut(1, -25.5);
    // −25.5 → 0 (clipped), 30 − 25.5 = 4.5 → 5, 255 − 25.5 = 229.5 → 230
    assert.deepEqual([b[0], b[30], b[255]], [0, 5, 230]);
    const c = brightnessContrastLut(0.8, 0);
    assert.deepEqual([c[3], c[255]], [2, 204]); // 2.4 → 2, 204.00000000000003 → 204
    assert.equal(brightnessContrastLut(1.2, 10)[100], 130);
    assert.deepEqual(brightnessContrastLut(1, 0), Uint8Array.from({ length: 256 }, (_, i) => i));
  });

  it('applies one table to every channel', () => {
    const img = { data: Uint8Array.of(0, 100, 255, 30, 31, 32), width: 2, height: 1 };
    assert.deepEqual([...bcImage(img, 1.2, 10).data], [10, 130, 255, 46, 47, 48]);
  });

  it('the kernel draws α then β and keeps boxes and size', () => {
    const image = testImage(34, 3);
    const s: KernelSample = { image, boxes: Float32Array.of(0, 0, 5, 5), classes: Int32Array.of(1), weights: Float32Array.of(1), flags: Uint8Array.of(0) };
    const o = { contrast: [-0.2, 0.2] as [number, number], brightness: [-0.1, 0.3] as [number, number] };
    const out = brightnessContrastKernel(s, o, new Rng(3)) as KernelSample;
    const rng = new Rng(3);
    const alpha = 1 + rng.uniform(-0.2, 0.2);
    const beta = 255 * rng.uniform(-0.1, 0.3);
    assert.deepEqual(out.image.data, bcImage(image, alpha, beta).data);
    assert.equal(out.image.width, 34);
    assert.equal(out.boxes, s.boxes);
    assert.deepEqual((brightnessContrastKernel(s, o, new Rng(3)) as KernelSample).image.data, out.image.data);
    assert.equal(colorKernels.brightnessContrast, brightnessContrastKernel);
  });
});

describe('factories', () => {
  it('hsv() defaults to YOLOv5 gains and p 1; darknet mode has Darknet defaults', () => {
    assert.deepEqual(hsv(), { name: 'hsv', p: 1, options: { mode: 'yolov5', hgain: 0.015, sgain: 0.7, vgain: 0.4 } });
    assert.deepEqual(hsv({ mode: 'darknet', p: 0.5 }), { name: 'hsv', p: 0.5, options: { mode: 'darknet', hue: 0.1, saturation: 1.5, exposure: 1.5 } });
    assert.deepEqual(hsv({ hgain: 0, sgain: 0.5 }).options, { mode: 'yolov5', hgain: 0, sgain: 0.5, vgain: 0.4 });
  });

  it('hsv() rejects bad options with a message that says what to pass', () => {
    assert.throws(() => hsv({ hue: 0.1 }), (e: Error) => e instanceof ConfigError && /mode: 'darknet'/.test(e.message));
    assert.throws(() => hsv({ mode: 'darknet', hgain: 0.1 }), /belong to mode 'yolov5'/);
    assert.throws(() => hsv({ hgain: -0.1 }), /hgain must be ≥ 0/);
    assert.throws(() => hsv({ mode: 'darknet', saturation: 0.5 }), /saturation must be ≥ 1/);
    assert.throws(() => hsv({ mode: 'darknet', hue: 0.6 }), /hue must be ≤ 0.5/);
    assert.throws(() => hsv({ mode: 'bgr' as never }), /'yolov5' \(default\) or 'darknet'/);
    assert.throws(() => hsv({ p: 2 }), /probability/);
    assert.throws(() => hsv({ gain: 1 } as never), ConfigError);
  });

  it('brightness(), contrast() and brightnessContrast() resolve to one kernel with explicit ranges', () => {
    assert.deepEqual(brightness(), { name: 'brightnessContrast', p: 0.5, options: { contrast: [0, 0], brightness: [-0.2, 0.2] } });
    assert.deepEqual(contrast({ limit: 0.3, p: 1 }), { name: 'brightnessContrast', p: 1, options: { contrast: [-0.3, 0.3], brightness: [0, 0] } });
    assert.deepEqual(brightnessContrast({ brightness: [0, 0.4] }), {
      name: 'brightnessContrast',
      p: 0.5,
      options: { contrast: [-0.2, 0.2], brightness: [0, 0.4] },
    });
    assert.throws(() => brightness({ limit: 2 }), /≤ 1/);
    assert.throws(() => contrast({ limit: -0.1 }), /pass \[lo, hi\]/);
    assert.throws(() => brightnessContrast({ contrast: [0.3, 0.1] }), /lo ≤ hi/);
    assert.throws(() => brightnessContrast({ gamma: 1 } as never), ConfigError);
  });

  it('a spec runs through the registry-shaped kernel table', async () => {
    const s: KernelSample = { image: testImage(34, 3), boxes: new Float32Array(0), classes: new Int32Array(0), weights: new Float32Array(0), flags: new Uint8Array(0) };
    for (const spec of [hsv(), hsv({ mode: 'darknet' }), brightness(), contrast(), brightnessContrast()]) {
      const out = await colorKernels[spec.name]!(s, spec.options, new Rng(11));
      assert.equal(out.image.data.length, s.image.data.length);
    }
  });
});

it('applyHsvLuts with identity tables is the plain round trip', () => {
  const img = testImage(34, 3);
  const id = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(applyHsvLuts(img, { hue: id, sat: id, val: id }).data, hsvToRgb(rgbToHsv(img), 34, 3).data);
});

it('property: an image equals its pixels converted one by one, on the path OpenCV takes at each x', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.tuple(fc.double({ min: 0.9, max: 1.1, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true })),
      (w, h, seed, r) => {
        const rng = new Rng(seed);
        const data = Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 255));
        const img = { data, width: w, height: h };
        const out = hsvYolov5(img, r);
        assert.equal(out.width, w);
        assert.equal(out.height, h);
        const { hue, sat, val } = yolov5HsvLuts(r);
        for (let p = 0; p < w * h; p++) {
          const x = p % w;
          const [H, S, V] = rgbToHsvPixel(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!);
          const want = hsvToRgbPixel(hue[H]!, sat[S]!, val[V]!, x < Math.floor(w / 32) * 32 ? 'vector' : 'scalar');
          assert.deepEqual([...out.data.subarray(3 * p, 3 * p + 3)], want, `pixel ${x},${Math.floor(p / w)}`);
        }
      },
    ),
    { numRuns: 60 },
  );
});
