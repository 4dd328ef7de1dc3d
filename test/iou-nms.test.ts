/**
 * Box metrics and NMS (SPEC §9). Expected numbers come from test/reference/iou_nms.py:
 * YOLOv5 `bbox_iou` (v7.0, xywh=False, eps 1e-7) rewritten in numpy float64 from its
 * documented formula, and a plain Python greedy / DIoU-NMS (Darknet `box_diounms`).
 *
 * DIoU-NMS by hand: a = [0,0,10,10], b = [5,0,15,10]: IoU = 50/150 = ⅓; centres (5,5) and
 * (10,5): ρ² = 25; enclosing box 15×10: c² = 325; (ρ²/c²)^0.6 = (1/13)^0.6 = 0.2146021;
 * measure = ⅓ − 0.2146021 = 0.1187312. Greedy at 0.3 suppresses b (⅓ > 0.3); DIoU-NMS at
 * 0.3 keeps it, at 0.1 suppresses it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { boxIoU, boxIoUBatch, boxIoUTensor, IOU_EPS, type IoUKind } from '../src/train/iou.ts';
import { nms } from '../src/train/nms.ts';
import { initBackend } from '../src/tensor/backend.ts';
import { ConfigError } from '../src/core/errors.ts';

const KINDS: IoUKind[] = ['iou', 'giou', 'diou', 'ciou'];

// [name, a, b, iou, giou, diou, ciou] — test/reference/iou_nms.py
const PAIRS: [string, number[], number[], number, number, number, number][] = [
  ['overlapping', [10, 20, 50, 80], [30, 40, 90, 100], 0.15384615384319528, -0.03365384615387504, 0.05228365384398874, 0.0519943261419383],
  ['overlapping, different aspect', [0, 0, 100, 20], [40, -10, 60, 60], 0.1333333333288889, -0.4380952380915193, 0.11823266218805063, -0.05640378967016821],
  ['overlapping, fractional', [12.5, 7.25, 33.75, 41.5], [20.125, 3.5, 44, 30.875], 0.3038137092681629, 0.18894319967040774, 0.24982127725396047, 0.2496616164085096],
  ['shifted copy', [100, 100, 200, 150], [110, 105, 210, 155], 0.6806722688961232, 0.6641433432765617, 0.6724078060862605, 0.6724078060862605],
  ['disjoint, side by side', [0, 0, 10, 10], [20, 0, 30, 10], 0.0, -0.3333333332222223, -0.39999999996, -0.39999999996],
  ['disjoint, diagonal', [0, 0, 10, 20], [50, 60, 70, 65], 0.0, -0.9340659340454052, -0.6335616438286732, -0.7033088863009189],
  ['disjoint, far apart', [0, 0, 1, 1], [600, 600, 608, 640], 0.0, -0.9991750616773748, -0.9598704675179451, -0.9770925076910096],
  ['nested', [0, 0, 100, 100], [25, 25, 75, 75], 0.24999999999749997, 0.24999999999749997, 0.24999999999749997, 0.24999999999749997],
  ['nested, off centre', [0, 0, 100, 100], [5, 60, 35, 95], 0.10499999999894999, 0.10499999999894999, 0.02218749999936405, 0.022181141585434716],
  ['nested, reversed order', [25, 40, 35, 90], [0, 0, 100, 100], 0.04999999999949999, 0.04999999999949999, 0.018749999999656243, 0.0007380493714824674],
  ['identical', [10, 10, 60, 40], [10, 10, 60, 40], 0.9999999999333333, 0.9999999999333333, 0.9999999999333333, 0.9999999999333333],
  ['identical, unit', [0, 0, 1, 1], [0, 0, 1, 1], 0.9999999000000099, 0.9999999000000099, 0.9999999000000099, 0.9999999000000099],
  ['touching edge', [0, 0, 10, 10], [10, 0, 20, 10], 0.0, 0.0, -0.19999999995999998, -0.19999999995999998],
  ['touching corner', [0, 0, 10, 10], [10, 10, 20, 20], 0.0, -0.49999999987500005, -0.24999999996875, -0.24999999996875],
  ['very thin vs square', [0, 0, 100, 0.5], [40, -20, 60, 20], 0.011904761903344671, -0.7780952380769054, 0.011899373972310235, -0.15181998746288553],
  ['very thin, tall', [10, 0, 10.25, 300], [0, 100, 30, 130], 0.007751937983694891, -0.8847480620063884, -0.005985857670855453, -0.05610606801575521],
  ['zero height vs box', [0, 5, 10, 5], [0, 0, 10, 10], 0.0, 9.999999964752428e-09, 0.0, -0.049999993708169356],
  // enclosing area 0 → eps: YOLOv5 gives GIoU 20 here, and so do we
  ['two zero-height', [0, 5, 10, 5], [2, 5, 12, 5], 0.0, 20.0, -0.027777777758487655, -0.027777777758487655],
  ['large image boxes', [0, 0, 608, 608], [304, 152, 608, 456], 0.24999999999993236, 0.24999999999993236, 0.21874999999993658, 0.21874999999993658],
  ['tiny overlap', [0, 0, 10, 10], [9.99, 9.99, 20, 20], 4.995004992509775e-07, -0.4994995003746258, -0.24974956296828205, -0.24974956296828205],
  ['same centre, different shape', [40, 45, 60, 55], [45, 30, 55, 70], 0.19999999995999998, -0.17499999999312496, 0.19999999995999998, 0.11758598812920541],
];

describe('boxIoU (YOLOv5 bbox_iou, eps 1e-7)', () => {
  it('agrees with the reference to 1e-12 on 21 pairs × 4 kinds', () => {
    assert.equal(IOU_EPS, 1e-7);
    for (const [name, a, b, ...want] of PAIRS) {
      KINDS.forEach((kind, k) => {
        const got = boxIoU(a, b, kind);
        assert.ok(Math.abs(got - want[k]!) <= 1e-12, `${name} ${kind}: got ${got}, want ${want[k]}`);
      });
    }
  });

  it('is symmetric and defaults to plain IoU', () => {
    for (const [name, a, b] of PAIRS) {
      for (const kind of KINDS) assert.ok(Math.abs(boxIoU(a, b, kind) - boxIoU(b, a, kind)) <= 1e-15, `${name} ${kind}`);
      assert.equal(boxIoU(a, b), boxIoU(a, b, 'iou'));
    }
  });

  it('rejects a wrong kind or box length', () => {
    assert.throws(() => boxIoU([0, 0, 1, 1], [0, 0, 1, 1], 'eiou' as IoUKind), /kind must be one of/);
    assert.throws(() => boxIoU([0, 0, 1], [0, 0, 1, 1], 'iou'), /4 numbers/);
  });

  it('boxIoUBatch computes aligned pairs, as float32 of the scalar value', () => {
    const a = new Float32Array(PAIRS.flatMap((p) => p[1]));
    const b = new Float32Array(PAIRS.flatMap((p) => p[2]));
    for (const kind of KINDS) {
      const got = boxIoUBatch(a, b, kind);
      assert.equal(got.length, PAIRS.length);
      PAIRS.forEach(([name, pa, pb], i) => {
        // the inputs are float32 too: compare with the scalar form on the same float32 numbers
        const want = Math.fround(boxIoU(Array.from(Float32Array.from(pa)), Array.from(Float32Array.from(pb)), kind));
        assert.equal(got[i], want, `${name} ${kind}`);
      });
    }
    const out = new Float32Array(PAIRS.length + 3);
    assert.equal(boxIoUBatch(a, b, 'ciou', out), out);
    assert.throws(() => boxIoUBatch(a, b.subarray(4), 'iou'), /same length/);
  });
});

// ---- the tfjs form -------------------------------------------------------------------------
// Degenerate zero-height pairs are left out: in float32 their eps-sized areas round away.
const TENSOR_PAIRS = PAIRS.filter(([name]) => !name.includes('zero-height'));

async function checkTensorForm(backend: string): Promise<void> {
  assert.equal(tf.getBackend(), backend);
  const before = tf.memory().numTensors;
  const a = tf.tensor2d(TENSOR_PAIRS.map((p) => p[1]));
  const b = tf.tensor2d(TENSOR_PAIRS.map((p) => p[2]));
  for (const [k, kind] of KINDS.entries()) {
    const m = boxIoUTensor(a, b, kind);
    assert.deepEqual(m.shape, [TENSOR_PAIRS.length]);
    const got = await m.data();
    TENSOR_PAIRS.forEach(([name, , , ...want], i) => {
      // float32 arithmetic on pixel-sized numbers: ~1e-6 relative to the largest term
      assert.ok(Math.abs(got[i]! - want[k]!) <= 2e-5, `${backend} ${name} ${kind}: got ${got[i]}, want ${want[k]}`);
    });
    m.dispose();
  }
  // broadcasting: one target box against a [2, 3, 4] block of predictions
  const preds = tf.tensor3d([[[0, 0, 10, 10], [5, 0, 15, 10], [0, 0, 20, 20]], [[1, 1, 9, 9], [20, 20, 30, 30], [0, 5, 10, 15]]]);
  const target = tf.tensor1d([0, 0, 10, 10]);
  const m = boxIoUTensor(preds, target, 'ciou');
  assert.deepEqual(m.shape, [2, 3]);
  const flat = await m.data();
  const pb = await preds.array();
  pb.flat().forEach((p, i) => assert.ok(Math.abs(flat[i]! - boxIoU(p, [0, 0, 10, 10], 'ciou')) <= 1e-5, `broadcast ${i}`));
  tf.dispose([a, b, preds, target, m]);
  assert.equal(tf.memory().numTensors, before, 'boxIoUTensor leaks no tensor');
}

// ∂/∂a of sum(1 − metric): finite for identical and disjoint boxes, and equal to the
// numerical derivative of the float64 scalar form (CIoU with alpha held fixed, as YOLOv5).
async function checkGradients(backend: string): Promise<void> {
  assert.equal(tf.getBackend(), backend);
  const cases: [string, number[], number[]][] = [
    ['identical', [10, 10, 60, 40], [10, 10, 60, 40]],
    ['disjoint', [0, 0, 10, 20], [50, 60, 70, 65]],
    ['overlapping', [10, 20, 50, 80], [30, 40, 90, 100]],
    ['nested', [5, 60, 35, 95], [0, 0, 100, 100]],
  ];
  for (const kind of KINDS) {
    const a = tf.tensor2d(cases.map((c) => c[1]));
    const b = tf.tensor2d(cases.map((c) => c[2]));
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.sub(1, boxIoUTensor(x, b, kind))))(a);
    const grads = (await g.array()) as number[][];
    tf.dispose([a, b, g]);
    cases.forEach(([name, pa, pb], i) => {
      for (const v of grads[i]!) assert.ok(Number.isFinite(v), `${backend} ${kind} ${name}: gradient ${grads[i]}`);
      if (name === 'identical' || name === 'disjoint') return; // kinks (relu at 0, max) there
      for (let c = 0; c < 4; c++) {
        const h = 1e-4;
        const up = pa.slice(); up[c]! += h;
        const dn = pa.slice(); dn[c]! -= h;
        const f = (x: number[]) => 1 - fixedAlphaMetric(x, pb, kind, pa);
        const num = (f(up) - f(dn)) / (2 * h);
        assert.ok(Math.abs(grads[i]![c]! - num) <= 1e-4 + 1e-3 * Math.abs(num), `${backend} ${kind} ${name} ∂x${c}: ${grads[i]![c]} vs ${num}`);
      }
    });
  }
}

// CIoU with alpha frozen at its value for `at` (YOLOv5's no_grad alpha); other kinds as is.
function fixedAlphaMetric(a: number[], b: number[], kind: IoUKind, at: number[]): number {
  if (kind !== 'ciou') return boxIoU(a, b, kind);
  const v = (x: number[]) => {
    const d = Math.atan((b[2]! - b[0]!) / Math.max(b[3]! - b[1]!, 1e-7)) - Math.atan((x[2]! - x[0]!) / Math.max(x[3]! - x[1]!, 1e-7));
    return (4 / Math.PI ** 2) * d * d;
  };
  const v0 = v(at);
  const alpha = v0 / (v0 - boxIoU(at, b, 'iou') + (1 + 1e-7));
  return boxIoU(a, b, 'diou') - alpha * v(a);
}

describe('boxIoUTensor (tfjs, differentiable)', () => {
  it('matches the scalar form on the cpu backend, with broadcasting and no leak', async () => {
    await tf.setBackend('cpu');
    await checkTensorForm('cpu');
  });

  it('has finite gradients equal to the numerical ones on cpu', async () => {
    await tf.setBackend('cpu');
    await checkGradients('cpu');
  });

  it('does the same on the wasm backend', async () => {
    const name = await initBackend('wasm');
    assert.equal(name, 'wasm');
    await tf.setBackend('wasm');
    await checkTensorForm('wasm');
    await checkGradients('wasm');
    await tf.setBackend('cpu');
  });
});

// ---- NMS -----------------------------------------------------------------------------------
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(1664525, x) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

// test/reference/iou_nms.py random_detections
function randomDetections(seed: number, n: number, nClasses: number) {
  const next = lcg(seed);
  const boxes: number[][] = [];
  const scores: number[] = [];
  const classes: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(next() * 6);
    const cx = 60 + k * 90 + next() * 30;
    const cy = 80 + (k % 3) * 120 + next() * 30;
    const w = 20 + next() * 60;
    const h = 20 + next() * 60;
    boxes.push([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
    scores.push(next());
    classes.push(Math.floor(next() * nClasses));
  }
  return { boxes, scores, classes };
}

describe('nms', () => {
  const A = [0, 0, 10, 10];
  const B = [1, 0, 11, 10]; // IoU with A 90/110
  const C = [20, 20, 30, 30];

  it('greedy: suppresses within a class only; classes ascending, each by descending score', () => {
    assert.deepEqual(nms([A, B, C], [0.9, 0.8, 0.7], [0, 0, 0], { iouThreshold: 0.5, kind: 'greedy' }), [0, 2]);
    assert.deepEqual(nms([A, B, C], [0.9, 0.8, 0.7], [0, 1, 0], { iouThreshold: 0.5, kind: 'greedy' }), [0, 2, 1]);
    assert.deepEqual(nms([C, B, A], [0.7, 0.8, 0.9], [3, 1, 3], { iouThreshold: 0.5 }), [1, 2, 0]);
    // the higher score wins whatever the input order
    assert.deepEqual(nms([B, A], [0.8, 0.9], [0, 0], { iouThreshold: 0.5 }), [1]);
  });

  it('suppresses only strictly above the threshold', () => {
    const half = [0, 0, 10, 20]; // IoU with A exactly 0.5
    assert.deepEqual(nms([A, half], [0.9, 0.8], [0, 0], { iouThreshold: 0.5 }), [0, 1]);
    assert.deepEqual(nms([A, half], [0.9, 0.8], [0, 0], { iouThreshold: 0.49 }), [0]);
  });

  it('a suppressed box suppresses nothing (chain A > B > C keeps A and C)', () => {
    const b = [6, 0, 16, 10]; // IoU(A,b) = 40/160, IoU(b,c) = 40/160, IoU(A,c) = 0
    const c = [12, 0, 22, 10];
    assert.deepEqual(nms([A, b, c], [0.9, 0.8, 0.7], [0, 0, 0], { iouThreshold: 0.2 }), [0, 2]);
  });

  it('DIoU-NMS: IoU − (ρ²/c²)^β against the threshold (worked numbers above)', () => {
    const b = [5, 0, 15, 10];
    const measure = 1 / 3 - Math.pow(25 / 325, 0.6);
    assert.ok(Math.abs(measure - 0.1187312) < 1e-7, `measure ${measure}`);
    assert.deepEqual(nms([A, b], [0.9, 0.8], [0, 0], { iouThreshold: 0.3, kind: 'greedy' }), [0]);
    assert.deepEqual(nms([A, b], [0.9, 0.8], [0, 0], { iouThreshold: 0.3, kind: 'diou' }), [0, 1]);
    assert.deepEqual(nms([A, b], [0.9, 0.8], [0, 0], { iouThreshold: 0.1, kind: 'diou' }), [0]);
    // beta: (1/13)^1 = 0.0769 → measure 0.256 > 0.25 suppresses; β 0.6 keeps
    assert.deepEqual(nms([A, b], [0.9, 0.8], [0, 0], { iouThreshold: 0.25, kind: 'diou', beta: 1 }), [0]);
    assert.deepEqual(nms([A, b], [0.9, 0.8], [0, 0], { iouThreshold: 0.25, kind: 'diou' }), [0, 1]);
    // concentric boxes: ρ = 0, DIoU-NMS is greedy NMS
    const inner = [1, 1, 9, 9]; // IoU 0.64
    assert.deepEqual(nms([A, inner], [0.9, 0.8], [0, 0], { iouThreshold: 0.6, kind: 'diou' }), [0]);
  });

  it('ties in score keep the lower index first', () => {
    assert.deepEqual(nms([B, A, C], [0.5, 0.5, 0.5], [0, 0, 0], { iouThreshold: 0.5 }), [0, 2]);
    assert.deepEqual(nms([C, A, B], [0.5, 0.5, 0.5], [0, 0, 0], { iouThreshold: 0.9 }), [0, 1, 2]);
  });

  it('scoreThreshold drops scores ≤ it; maxDetections keeps the best over all classes', () => {
    const boxes = [[0, 0, 1, 1], [10, 0, 11, 1], [20, 0, 21, 1], [30, 0, 31, 1], [40, 0, 41, 1]];
    const scores = [0.3, 0.9, 0.5, 0.7, 0.1];
    const classes = [1, 1, 0, 0, 0];
    assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: 0.5 }), [3, 2, 4, 1, 0]);
    assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: 0.5, scoreThreshold: 0.3 }), [3, 2, 1]);
    assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: 0.5, maxDetections: 3 }), [3, 2, 1]);
    assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: 0.5, maxDetections: 1 }), [1]);
  });

  it('classAgnostic: one pass over all classes, output by descending score', () => {
    assert.deepEqual(nms([A, B, C], [0.8, 0.9, 0.7], [0, 1, 0], { iouThreshold: 0.5, classAgnostic: true }), [1, 2]);
  });

  it('takes a flat Float64Array, typed scores and classes; empty input gives []', () => {
    const { boxes, scores, classes } = randomDetections(7, 200, 3);
    const flat = new Float64Array(boxes.flat());
    const opts = { iouThreshold: 0.45, kind: 'diou' as const };
    assert.deepEqual(nms(flat, Float64Array.from(scores), Int32Array.from(classes), opts), nms(boxes, scores, classes, opts));
    assert.deepEqual(nms([], [], [], { iouThreshold: 0.5 }), []);
  });

  it('validates its options and inputs', () => {
    assert.throws(() => nms([A], [1], [0], {} as never), ConfigError);
    assert.throws(() => nms([A], [1], [0], { iouThreshold: 1.5 }), ConfigError);
    assert.throws(() => nms([A], [1], [0], { iouThreshold: 0.5, kind: 'soft' as never }), ConfigError);
    assert.throws(() => nms([A], [1], [0], { iouThreshold: 0.5, iou: 0.5 } as never), ConfigError);
    assert.throws(() => nms([A], [1, 2], [0], { iouThreshold: 0.5 }), /scores/);
  });

  // test/reference/iou_nms.py: [seed, n, classes, threshold, greedy kept, diou kept]
  const REF: [number, number, number, number, number[], number[]][] = [
    [7, 200, 3, 0.45,
      [134, 135, 46, 86, 163, 17, 89, 26, 128, 110, 41, 90, 152, 8, 120, 133, 196, 125, 92, 156, 38, 58, 21, 13, 121, 5, 141, 155, 43, 91, 191, 94, 146, 62, 182, 95, 181, 67, 179, 83, 189, 0, 169, 18, 150, 153, 172, 139, 123, 6, 138, 7, 176, 151, 53, 32, 20, 107, 1, 192, 101, 34, 60, 66, 22, 140, 64, 116, 16, 166, 76, 52, 126, 48, 112, 65, 88, 72, 114, 63, 37, 33, 145, 96, 31, 111, 28, 113, 69, 93, 4, 24, 29, 194, 167, 143, 54, 183, 40, 19, 158],
      [134, 135, 46, 86, 163, 17, 105, 89, 26, 10, 128, 110, 41, 47, 90, 152, 8, 120, 61, 71, 133, 117, 197, 196, 125, 92, 156, 102, 38, 58, 51, 21, 190, 121, 5, 141, 155, 43, 91, 191, 94, 146, 62, 182, 164, 95, 181, 67, 179, 83, 189, 0, 169, 84, 119, 18, 150, 153, 172, 139, 123, 6, 138, 173, 7, 176, 151, 53, 32, 20, 74, 198, 107, 1, 177, 12, 192, 101, 34, 160, 60, 66, 22, 140, 64, 116, 16, 166, 76, 52, 126, 48, 112, 65, 88, 72, 114, 63, 37, 33, 145, 14, 31, 111, 28, 113, 69, 178, 93, 82, 4, 24, 148, 106, 142, 29, 194, 193, 73, 143, 11, 54, 40, 27, 19, 79, 158]],
    [2024, 300, 1, 0.5,
      [71, 222, 280, 245, 0, 221, 117, 200, 129, 90, 182, 206, 296, 131, 116, 249, 298, 241, 299, 244, 151, 79, 23, 64, 28, 273, 137, 102, 122, 257, 294, 208, 39, 181, 297, 132, 19, 5, 126, 66, 53, 97, 86, 288, 9, 57, 209, 4, 12, 108, 88, 291, 81, 197, 130, 30, 21, 140, 198, 147, 47, 46, 37, 271, 20, 180, 246, 242, 259, 89, 100, 75, 226, 174, 190, 69, 106, 231, 284, 191, 210],
      [71, 222, 280, 245, 0, 221, 117, 200, 129, 90, 182, 206, 296, 131, 116, 249, 133, 139, 298, 241, 299, 165, 244, 151, 186, 79, 23, 64, 28, 211, 113, 38, 262, 160, 194, 273, 137, 49, 102, 122, 257, 208, 148, 39, 181, 297, 285, 132, 5, 126, 66, 53, 97, 86, 269, 9, 57, 78, 216, 104, 4, 238, 94, 60, 108, 251, 291, 81, 197, 25, 130, 30, 50, 18, 183, 21, 140, 119, 198, 256, 207, 43, 142, 264, 47, 175, 46, 247, 77, 20, 92, 85, 154, 246, 59, 178, 82, 282, 253, 125, 242, 212, 259, 89, 75, 15, 226, 159, 218, 31, 174, 190, 199, 106, 231, 145, 120, 191, 173, 167, 210]],
    [99, 120, 4, 0.3,
      [10, 103, 117, 57, 44, 5, 59, 94, 98, 77, 55, 76, 90, 95, 115, 108, 52, 91, 38, 105, 30, 106, 46, 93, 11, 22, 48, 112, 24, 36, 51, 75, 58, 78, 6, 85, 53, 99, 68, 88, 23, 27, 107, 2, 113, 21, 41, 56],
      [10, 103, 117, 33, 57, 44, 5, 94, 71, 98, 77, 13, 50, 76, 42, 90, 95, 89, 63, 115, 108, 52, 91, 38, 72, 105, 15, 110, 30, 106, 46, 93, 11, 80, 22, 48, 49, 112, 60, 69, 24, 43, 86, 17, 36, 3, 51, 34, 26, 97, 58, 78, 6, 85, 53, 99, 68, 88, 23, 27, 107, 2, 83, 113, 32, 45, 21, 56]],
  ];

  it('agrees with the Python reference on random clustered boxes (greedy and DIoU)', () => {
    for (const [seed, n, nc, thr, greedy, diou] of REF) {
      const { boxes, scores, classes } = randomDetections(seed, n, nc);
      assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: thr, kind: 'greedy' }), greedy, `seed ${seed} greedy`);
      assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: thr, kind: 'diou', beta: 0.6 }), diou, `seed ${seed} diou`);
      // maxDetections: the best 40 survivors by score, still class by class
      const best = new Set([...diou].sort((i, j) => scores[j]! - scores[i]! || i - j).slice(0, 40));
      assert.deepEqual(nms(boxes, scores, classes, { iouThreshold: thr, kind: 'diou', maxDetections: 40 }), diou.filter((i) => best.has(i)), `seed ${seed} diou top 40`);
    }
  });
});
