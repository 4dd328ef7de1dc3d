/**
 * The YOLO loss (src/train/loss.ts; SPEC §7–§9, §15 grid sensitivity): hand-built batches
 * against test/reference/loss.py (every box kind, both size decodings, gr, balance, gain
 * scaling, batch multiplication), gradients against the reference's finite differences,
 * what ignore slots and zero-weight boxes contribute (nothing), gradients on cpu and on
 * wasm, a descent step, option validation, leaks, and a real coco128 batch.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batch, decode, encodeTargets, fromYolo, letterbox, toTensors } from '../index.ts';
import { initBackend } from '../src/tensor/backend.ts';
import { registerTrainingKernels } from '../src/train/wasm-kernels.ts';
import { ConfigError } from '../src/core/errors.ts';
import {
  bceWithLogits,
  decodeOutputs,
  layerSettings,
  resolveLossOptions,
  yoloLoss,
  type LossTargetLayer,
  type YoloLossOptions,
} from '../src/train/loss.ts';
import type { IoUKind } from '../src/train/iou.ts';
import { COCO128 } from './helpers.ts';

// ---- The hand-built cases of test/reference/loss.py ----------------------------------------

const C = 3;
const LAYERS = [
  { stride: 16, anchors: [[10, 14], [23, 27]] },
  { stride: 32, anchors: [[37, 58], [81, 82]] },
];
type Slot = [layer: number, b: number, y: number, x: number, a: number];
type Shape5 = [number, number, number, number, number];
const A_SHAPES: Shape5[] = [[1, 4, 4, 2, 5 + C], [1, 2, 2, 2, 5 + C]];
const POS: Slot = [0, 0, 1, 2, 1];
const IGN: Slot = [0, 0, 3, 0, 0];
const A_SLOTS: [Slot, number[]][] = [
  [POS, [41.3, 22.7, 120.0, 30.4, 1, 0.7, 0.05, 0.95, 0.05]],
  [IGN, [8, 56, 12, 10, -1, 0, 0, 0, 0]],
];
const B_SHAPES: Shape5[] = [[2, 4, 4, 2, 5 + C], [2, 2, 2, 2, 5 + C]];
const B_SLOTS: [Slot, number[]][] = [
  [[0, 0, 1, 2, 1], [41.3, 22.7, 120.0, 30.4, 1, 0.7, 0.05, 0.95, 0.05]],
  [[0, 0, 1, 3, 1], [41.3, 22.7, 120.0, 30.4, 1, 0.7, 0.05, 0.95, 0.05]],
  [[0, 1, 0, 0, 0], [6.5, 9.1, 11.0, 15.2, 1, 0.3, 0, 0, 1]],
  [[1, 1, 1, 0, 1], [20.4, 47.9, 70.3, 77.1, 1, 1.0, 0, 1, 0]],
  [[0, 0, 3, 0, 0], [8, 56, 12, 10, -1, 0, 0, 0, 0]],
  [[1, 0, 0, 1, 0], [40, 10, 20, 12, -1, 0, 0, 0, 0]],
];

/** Flat offset of a slot's channel k in a [B,H,W,A,K] layout. */
const offset = (shape: number[], [, b, y, x, a]: Slot, k: number) => ((((b * shape[1]! + y) * shape[2]! + x) * shape[3]! + a) * shape[4]!) + k;

/** The raw head values of loss.py: 1.5·sin(0.37·i + 0.11 + layer), as float32. */
function rawArrays(shapes: Shape5[]): Float32Array[] {
  return shapes.map((s, l) => {
    const n = s.reduce((p, d) => p * d, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = 1.5 * Math.sin(0.37 * i + 0.11 + l);
    return out;
  });
}

function targetArrays(shapes: Shape5[], slots: [Slot, number[]][]): Float32Array[] {
  const out = shapes.map((s) => new Float32Array(s[0] * s[1] * s[2] * s[3] * (s[4] + 1)));
  for (const [slot, values] of slots) {
    const shape = [...shapes[slot[0]]!.slice(0, 4), C + 6];
    out[slot[0]]!.set(values, offset(shape, slot, 0));
  }
  return out;
}

const tShape = (s: Shape5): Shape5 => [s[0], s[1], s[2], s[3], s[4] + 1];

interface Case {
  raws: tf.Tensor[];
  targets: LossTargetLayer[];
  dispose(): void;
}

function makeCase(shapes: Shape5[], raws: Float32Array[], targets: Float32Array[]): Case {
  const r = raws.map((d, l) => tf.tensor(d, shapes[l]!));
  const t = targets.map((d, l) => ({ ...LAYERS[l]!, tensor: tf.tensor(d, tShape(shapes[l]!)) }));
  return { raws: r, targets: t, dispose: () => tf.dispose([...r, ...t.map((x) => x.tensor)]) };
}

const caseA = (mutate?: (raws: Float32Array[], targets: Float32Array[]) => void): Case => {
  const raws = rawArrays(A_SHAPES);
  const targets = targetArrays(A_SHAPES, A_SLOTS);
  mutate?.(raws, targets);
  return makeCase(A_SHAPES, raws, targets);
};

interface Values { total: number; box: number; objectness: number; classes: number; positives: number }

function lossValues(c: Case, options: YoloLossOptions): Values {
  const l = yoloLoss(c.raws, c.targets, options);
  const v = {
    total: l.total.dataSync()[0]!,
    box: l.box.dataSync()[0]!,
    objectness: l.objectness.dataSync()[0]!,
    classes: l.classes.dataSync()[0]!,
    positives: l.positives,
  };
  tf.dispose([l.total, l.box, l.objectness, l.classes]);
  return v;
}

function assertNear(actual: number, expected: number, tol: number, label: string): void {
  assert.ok(Number.isFinite(actual) && Math.abs(actual - expected) <= tol, `${label}: ${actual} vs ${expected} (tolerance ${tol})`);
}

function assertValues(v: Values, want: Omit<Values, 'positives'>, label: string, tol = 1e-5): void {
  for (const k of ['total', 'box', 'objectness', 'classes'] as const) assertNear(v[k], want[k], tol, `${label} ${k}`);
}

/** d total / d raw of layer l, read back. */
function gradients(c: Case, options: YoloLossOptions, layer = 0): Float32Array {
  const g = tf.grad((x: tf.Tensor) => {
    const raws = c.raws.map((r, l) => (l === layer ? x : r));
    return yoloLoss(raws, c.targets, options).total;
  })(c.raws[layer]!);
  const out = g.dataSync() as Float32Array;
  g.dispose();
  return out;
}

const DARKNET_A: YoloLossOptions = { wh: 'darknet', scaleXY: [1.2, 1.1] };

// From test/reference/loss.py.
const CASE_A: Record<'darknet' | 'yolov5', Record<IoUKind, Omit<Values, 'positives'>>> = {
  darknet: {
    iou: { total: 0.0997519977, box: 0.0543927922, objectness: 0.0250093023, classes: 0.0203499032 },
    giou: { total: 0.107405905, box: 0.0620467, objectness: 0.0250093023, classes: 0.0203499032 },
    diou: { total: 0.0999447915, box: 0.0545855861, objectness: 0.0250093023, classes: 0.0203499032 },
    ciou: { total: 0.101278915, box: 0.05591971, objectness: 0.0250093023, classes: 0.0203499032 },
  },
  yolov5: {
    iou: { total: 0.0969659803, box: 0.0516067748, objectness: 0.0250093023, classes: 0.0203499032 },
    giou: { total: 0.117321119, box: 0.0719619131, objectness: 0.0250093023, classes: 0.0203499032 },
    diou: { total: 0.0976492776, box: 0.0522900722, objectness: 0.0250093023, classes: 0.0203499032 },
    ciou: { total: 0.0994662853, box: 0.0541070799, objectness: 0.0250093023, classes: 0.0203499032 },
  },
};
const CASE_B = {
  darknet: { total: 3.31409572, box: 0.112535098, objectness: 1.50235525, classes: 0.0421575173 },
  yolov5: { total: 3.30408637, box: 0.108752732, objectness: 1.50113293, classes: 0.0421575173 },
};
// d total / d raw (layer 0): the positive slot's 8 channels, a negative's objectness, the ignore slot's objectness.
const GRAD_A = {
  diou: [7.63692581e-5, 0.00012639978, -0.00660943858, 0.0194916626, -8.89913837e-5, 0.00555225218, -0.00411084042, 0.00307238097, 0.000399446198, 0],
  ciou: [7.6369272e-5, 0.000126399793, -0.00903205161, 0.0219142756, -8.89913837e-5, 0.00555225218, -0.00411084042, 0.00307238097, 0.000399446212, 0],
};
const KINDS: IoUKind[] = ['iou', 'giou', 'diou', 'ciou'];
const BACKENDS = ['cpu', 'wasm'] as const;

before(async () => {
  assert.equal(await initBackend('wasm'), 'wasm');
  registerTrainingKernels();
});

describe('yoloLoss: worked numbers from test/reference/loss.py', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: one image, one positive, one ignore slot, an empty layer — every kind, both wh forms`, async () => {
      await tf.setBackend(backend);
      const c = caseA();
      for (const wh of ['darknet', 'yolov5'] as const) {
        for (const kind of KINDS) {
          const v = lossValues(c, wh === 'darknet' ? { ...DARKNET_A, kind } : { wh, kind });
          assertValues(v, CASE_A[wh][kind], `${wh} ${kind}`);
          assert.equal(v.positives, 1);
        }
      }
      // Without options: ciou, darknet; two layers take scaleXY 1.05 each.
      const d = lossValues(c, {});
      const explicit = lossValues(c, { kind: 'ciou', wh: 'darknet', scaleXY: 1.05 });
      assert.deepEqual(d, explicit);
      c.dispose();
    });

    it(`${backend}: two images, four positives (one in a neighbour cell), gr 0.5, balance [4, 1], imageSize 320, × B`, async () => {
      await tf.setBackend(backend);
      const c = makeCase(B_SHAPES, rawArrays(B_SHAPES), targetArrays(B_SHAPES, B_SLOTS));
      const common: YoloLossOptions = { kind: 'ciou', gr: 0.5, balance: 'yolov5', imageSize: 320, multiplyByBatch: true };
      const dn = lossValues(c, { ...common, wh: 'darknet', scaleXY: [1.2, 1.1] });
      assertValues(dn, CASE_B.darknet, 'darknet');
      assert.equal(dn.positives, 4);
      assertValues(lossValues(c, { ...common, wh: 'yolov5' }), CASE_B.yolov5, 'yolov5');
      // imageSize as { width, height } is the same thing.
      assertValues(lossValues(c, { ...common, wh: 'yolov5', imageSize: { width: 320, height: 320 } }), CASE_B.yolov5, 'yolov5 {w,h}');
      c.dispose();
    });

    it(`${backend}: tf.grad matches the reference's central differences (DIoU; CIoU with α held constant)`, async () => {
      await tf.setBackend(backend);
      const c = caseA();
      const shape = [...A_SHAPES[0]!];
      const at = [...Array.from({ length: 8 }, (_, k) => offset(shape, POS, k)), offset(shape, [0, 0, 0, 0, 0], 4), offset(shape, IGN, 4)];
      for (const kind of ['diou', 'ciou'] as const) {
        const g = gradients(c, { ...DARKNET_A, kind });
        at.forEach((o, i) => assertNear(g[o]!, GRAD_A[kind][i]!, 2e-6, `${kind} d/d raw[${i}]`));
      }
      c.dispose();
    });
  }
});

describe('what slots contribute', () => {
  before(() => tf.setBackend('cpu'));

  it('an ignore slot (objectness −1) contributes nothing, whatever the head outputs there', () => {
    const base = caseA();
    const wild = caseA((raws) => {
      for (let k = 0; k < 5 + C; k++) raws[0]![offset([...A_SHAPES[0]!], IGN, k)] = k % 2 ? 30 : -30;
    });
    for (const kind of KINDS) assert.deepEqual(lossValues(wild, { kind }), lossValues(base, { kind }), kind);
    const g = gradients(wild, {});
    for (let k = 0; k < 5 + C; k++) assert.equal(g[offset([...A_SHAPES[0]!], IGN, k)], 0, `channel ${k}`);
    // As a negative instead it would count.
    const negative = caseA((_, targets) => targets[0]!.fill(0, offset([1, 4, 4, 2, 6 + C], IGN, 0), offset([1, 4, 4, 2, 6 + C], IGN, 6 + C)));
    assert.notEqual(lossValues(negative, {}).objectness, lossValues(base, {}).objectness);
    tf.dispose([base, wild, negative].flatMap((x) => [...x.raws, ...x.targets.map((t) => t.tensor)]));
  });

  it('a zero-weight box contributes nothing: box and classes as without it, objectness as an ignore slot', () => {
    const zeroSlot: Slot = [0, 0, 2, 1, 0];
    const tOff = offset([1, 4, 4, 2, 6 + C], zeroSlot, 0);
    const withZero = caseA((_, t) => t[0]!.set([25, 40, 30, 20, 1, 0, 0.05, 0.05, 0.95], tOff));
    const asIgnore = caseA((_, t) => t[0]!.set([25, 40, 30, 20, -1, 0, 0, 0, 0], tOff));
    const without = caseA();
    for (const kind of KINDS) {
      const z = lossValues(withZero, { kind });
      assert.deepEqual(z, lossValues(asIgnore, { kind }), kind);
      const w = lossValues(without, { kind });
      assert.equal(z.box, w.box);
      assert.equal(z.classes, w.classes);
      assert.equal(z.positives, 1);
    }
    const g = gradients(withZero, {});
    for (let k = 0; k < 5 + C; k++) assert.equal(g[offset([...A_SHAPES[0]!], zeroSlot, k)], 0, `channel ${k}`);
    tf.dispose([withZero, asIgnore, without].flatMap((x) => [...x.raws, ...x.targets.map((t) => t.tensor)]));
  });

  it('weights are relative: halving every weight leaves box and classes unchanged; a box pulls by w / Σw', () => {
    const c1 = makeCase(B_SHAPES, rawArrays(B_SHAPES), targetArrays(B_SHAPES, B_SLOTS));
    const reweigh = (f: (s: Slot, w: number) => number) =>
      makeCase(B_SHAPES, rawArrays(B_SHAPES), targetArrays(B_SHAPES, B_SLOTS.map(([s, v]) => [s, v.map((x, k) => (k === 5 ? f(s, x) : x))] as [Slot, number[]])));
    const c2 = reweigh((_, w) => w / 2);
    const a = lossValues(c1, {});
    const b = lossValues(c2, {});
    assertNear(b.box, a.box, 1e-7, 'box');
    assertNear(b.classes, a.classes, 1e-7, 'classes');
    assert.notEqual(b.objectness, a.objectness, 'objectness: positives against negatives (weight 1)');
    // Layer 0 holds weights 0.7, 0.7, 0.3; the 0.3 box raised to 0.6 pulls the box term
    // (0.6 / 2.0) / (0.3 / 1.7) = 1.7 times as hard.
    const light: Slot = [0, 1, 0, 0, 0];
    const c3 = reweigh((s, w) => (s.join() === light.join() ? 0.6 : w));
    const boxOnly: YoloLossOptions = { gains: { box: 1, obj: 0, cls: 0 }, scaleGains: false };
    const shape = [...B_SHAPES[0]!];
    const g1 = gradients(c1, boxOnly);
    const g3 = gradients(c3, boxOnly);
    for (let k = 0; k < 4; k++) assertNear(g3[offset(shape, light, k)]! / g1[offset(shape, light, k)]!, 1.7, 1e-4, `channel ${k}`);
    tf.dispose([c1, c2, c3].flatMap((x) => [...x.raws, ...x.targets.map((t) => t.tensor)]));
  });

  it('binary-smoothed class targets (ε 0.1: 0.95 / 0.05) give the mean BCE of the reference', () => {
    const logits = [1.5, -0.5, 2];
    const c = caseA((raws, targets) => {
      raws[0]!.set(logits, offset([...A_SHAPES[0]!], POS, 5));
      targets[0]!.set([0.95, 0.05, 0.05], offset([1, 4, 4, 2, 6 + C], POS, 6));
    });
    const v = lossValues(c, { gains: { box: 0, obj: 0, cls: 1 }, scaleGains: false });
    assertNear(v.classes, 0.93413943, 1e-6, 'mean BCE');
    assert.equal(v.total, v.classes);
    // The element-wise form, and its stability at large logits.
    const e = tf.tidy(() => bceWithLogits(tf.tensor([1.5, -0.5, 2, 200, -200, 0]), tf.tensor([0.95, 0.05, 0.05, 1, 0, 0.5])).dataSync());
    const want = [0.2764133, 0.499077, 2.026928, 0, 0, Math.LN2];
    want.forEach((w, i) => assertNear(e[i]!, w, 1e-6, `bce[${i}]`));
    c.dispose();
  });

  it('one class: no class term (YOLOv5), box and objectness as usual', () => {
    const shapes: Shape5[] = [[1, 2, 2, 1, 6]];
    const raw = tf.tensor(rawArrays(shapes)[0]!, shapes[0]);
    const t = new Float32Array(2 * 2 * 7);
    t.set([20, 12, 18, 14, 1, 1, 0.95], 0);
    const targets = [{ stride: 16, anchors: [[16, 16]], tensor: tf.tensor(t, [1, 2, 2, 1, 7]) }];
    const l = yoloLoss([raw], targets);
    assert.equal(l.classes.dataSync()[0], 0);
    assert.ok(l.box.dataSync()[0]! > 0 && l.objectness.dataSync()[0]! > 0);
    tf.dispose([raw, targets[0]!.tensor, l.total, l.box, l.objectness, l.classes]);
  });
});

describe('gradients and descent', () => {
  it('gradients are finite, non-zero exactly where they should be, and agree on cpu and wasm', async () => {
    const grads: Record<string, Float32Array[]> = {};
    for (const backend of BACKENDS) {
      await tf.setBackend(backend);
      const c = makeCase(B_SHAPES, rawArrays(B_SHAPES), targetArrays(B_SHAPES, B_SLOTS));
      grads[backend] = [0, 1].map((l) => gradients(c, { gr: 0.5 }, l));
      c.dispose();
    }
    for (const l of [0, 1]) {
      const [cpu, wasm] = [grads.cpu![l]!, grads.wasm![l]!];
      const shape = [...B_SHAPES[l]!];
      const positives = B_SLOTS.filter(([s, v]) => s[0] === l && v[4] === 1).map(([s]) => s);
      const ignores = B_SLOTS.filter(([s, v]) => s[0] === l && v[4] === -1).map(([s]) => s);
      let scale = 0;
      for (let i = 0; i < cpu.length; i++) {
        assert.ok(Number.isFinite(cpu[i]!) && Number.isFinite(wasm[i]!), `finite at ${i}`);
        scale = Math.max(scale, Math.abs(cpu[i]!));
      }
      for (let i = 0; i < cpu.length; i++) assertNear(wasm[i]!, cpu[i]!, 1e-5 * scale, `layer ${l} wasm vs cpu at ${i}`);
      for (const s of positives) for (let k = 0; k < 5 + C; k++) assert.notEqual(cpu[offset(shape, s, k)], 0, `positive ${s} channel ${k}`);
      for (const s of ignores) for (let k = 0; k < 5 + C; k++) assert.equal(cpu[offset(shape, s, k)], 0, `ignore ${s} channel ${k}`);
      // A negative slot: only its objectness logit has a gradient.
      const isSpecial = (i: number) => [...positives, ...ignores].some((s) => Math.floor(i / (5 + C)) === Math.floor(offset(shape, s, 0) / (5 + C)));
      for (let i = 0; i < cpu.length; i++) {
        if (isSpecial(i)) continue;
        if (i % (5 + C) === 4) assert.ok(cpu[i]! > 0, `negative objectness at ${i} is pushed down`);
        else assert.equal(cpu[i], 0, `negative slot, channel ${i % (5 + C)}`);
      }
    }
  });

  it('a gradient step toward the target lowers the loss, for every kind and both wh forms (cpu and wasm)', async () => {
    for (const backend of BACKENDS) {
      await tf.setBackend(backend);
      const c = makeCase(B_SHAPES, rawArrays(B_SHAPES), targetArrays(B_SHAPES, B_SLOTS));
      for (const wh of ['darknet', 'yolov5'] as const) {
        for (const kind of KINDS) {
          const options: YoloLossOptions = { kind, wh, gr: 0.5 };
          let raws = c.raws.map((r) => r.clone());
          let last = Infinity;
          let firstBox = NaN;
          for (let step = 0; step < 4; step++) {
            const f = (...xs: tf.Tensor[]) => yoloLoss(xs, c.targets, options).total;
            const { value, grads } = tf.valueAndGrads(f)(raws);
            const now = value.dataSync()[0]!;
            assert.ok(now < last, `${backend} ${wh} ${kind} step ${step}: ${now} ≥ ${last}`);
            last = now;
            const next = raws.map((r, i) => tf.tidy(() => r.sub(grads[i]!.mul(2))));
            if (step === 0) {
              const l = yoloLoss(raws, c.targets, options);
              firstBox = l.box.dataSync()[0]!;
              tf.dispose([l.total, l.box, l.objectness, l.classes]);
            }
            tf.dispose([value, ...grads, ...raws]);
            raws = next;
          }
          const l = yoloLoss(raws, c.targets, options);
          assert.ok(l.box.dataSync()[0]! < firstBox, `${backend} ${wh} ${kind}: the box term falls too`);
          tf.dispose([l.total, l.box, l.objectness, l.classes, ...raws]);
        }
      }
      c.dispose();
    }
  });

  it('leaks no tensor: the loss, its gradient and decodeOutputs allocate only what they return', async () => {
    for (const backend of BACKENDS) {
      await tf.setBackend(backend);
      const c = makeCase(B_SHAPES, rawArrays(B_SHAPES), targetArrays(B_SHAPES, B_SLOTS));
      const start = tf.memory().numTensors;
      const l = yoloLoss(c.raws, c.targets, { gr: 0.5, kind: 'ciou' });
      assert.equal(tf.memory().numTensors, start + 4);
      tf.dispose([l.total, l.box, l.objectness, l.classes]);
      const g = tf.grads((...xs: tf.Tensor[]) => yoloLoss(xs, c.targets, { gr: 0.5 }).total)(c.raws);
      assert.equal(tf.memory().numTensors, start + 2);
      tf.dispose(g);
      const d = decodeOutputs(c.raws, LAYERS);
      assert.equal(tf.memory().numTensors, start + 6);
      tf.dispose(d.flatMap((x) => [x.boxes, x.objectness, x.classes]));
      assert.throws(() => yoloLoss(c.raws, c.targets, { kind: 'xiou' as IoUKind }), ConfigError);
      assert.equal(tf.memory().numTensors, start);
      c.dispose();
    }
  });
});

describe('options and decoding', () => {
  before(() => tf.setBackend('cpu'));

  it('per-layer defaults and YOLOv5 gain scaling (3/nl, C/80, W·H/640²)', () => {
    const s = (o: YoloLossOptions, nl: number, classes: number, side: number) =>
      layerSettings(resolveLossOptions(o), nl, classes, { width: side, height: side });
    assert.deepEqual(s({}, 3, 80, 640), { scaleXY: [1.2, 1.1, 1.05], balance: [1, 1, 1], gains: { box: 0.05, obj: 1, cls: 0.5 } });
    assert.deepEqual(s({ wh: 'yolov5', balance: 'yolov5' }, 3, 80, 640).scaleXY, [2, 2, 2]);
    assert.deepEqual(s({ balance: 'yolov5' }, 3, 80, 640).balance, [4, 1, 0.4]);
    assert.deepEqual(s({ balance: 'yolov5' }, 2, 80, 640).balance, [4, 1]);
    assert.deepEqual(s({}, 2, 80, 640).scaleXY, [1.05, 1.05]);
    assert.deepEqual(s({ scaleXY: 1.1 }, 3, 80, 640).scaleXY, [1.1, 1.1, 1.1]);
    assert.deepEqual(s({}, 3, 20, 320).gains, { box: 0.05, obj: 0.25, cls: 0.125 });
    assert.deepEqual(s({}, 2, 80, 640).gains, { box: 0.07500000000000001, obj: 1.5, cls: 0.75 });
    assert.deepEqual(s({ imageSize: { width: 640, height: 320 } }, 3, 80, 128).gains.obj, 0.5);
    assert.deepEqual(s({ scaleGains: false, gains: { box: 1 } }, 2, 20, 320).gains, { box: 1, obj: 1, cls: 0.5 });
  });

  it('rejects bad options and mismatched shapes with a ConfigError that says what to pass', () => {
    const c = caseA();
    const bad = (o: unknown, re: RegExp) => assert.throws(() => yoloLoss(c.raws, c.targets, o as YoloLossOptions), (e: Error) => e instanceof ConfigError && re.test(e.message));
    bad({ kind: 'eiou' }, /kind must be 'ciou'/);
    bad({ wh: 'exp' }, /wh must be 'darknet'/);
    bad({ scaleXY: [1.2, 1.1, 1.05] }, /scaleXY has 3 values for 2 layers/);
    bad({ scaleXY: 0 }, /scaleXY/);
    bad({ gr: 2 }, /gr must be in 0\.\.1/);
    bad({ balance: [1] }, /balance has 1 values for 2 layers/);
    bad({ gains: { box: -1 } }, /gains\.box must be ≥ 0/);
    bad({ gains: { iou: 1 } }, /gains/);
    bad({ iouLoss: 'ciou' }, /iouLoss/);
    assert.throws(() => yoloLoss([c.raws[0]!], c.targets), /1 outputs for 2 target layers/);
    assert.throws(() => yoloLoss([c.raws[1]!, c.raws[0]!], c.targets), /does not fit target/);
    const wrongC = tf.zeros([1, 4, 4, 2, 9]);
    assert.throws(() => yoloLoss([wrongC, c.raws[1]!], c.targets), /does not fit target/);
    assert.throws(() => yoloLoss(c.raws, [{ ...c.targets[0]!, anchors: [[10, 14]] }, c.targets[1]!]), /anchors must be 2 pairs/);
    assert.throws(() => yoloLoss([], []), /no target layers/);
    wrongC.dispose();
    c.dispose();
  });

  it('decodeOutputs gives the boxes the loss scores, in input pixels', () => {
    const c = caseA();
    const [d0] = decodeOutputs(c.raws, LAYERS, DARKNET_A);
    const boxes = d0!.boxes.dataSync();
    const raw = rawArrays(A_SHAPES)[0]!;
    const t = (k: number) => Math.fround(raw[offset([...A_SHAPES[0]!], POS, k)]!);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    // Slot (y 1, x 2, anchor 1 = 23×27) of stride 16 with scaleXY 1.2.
    const cx = (1.2 * sig(t(0)) - 0.1 + 2) * 16;
    const cy = (1.2 * sig(t(1)) - 0.1 + 1) * 16;
    const w = Math.exp(t(2)) * 23;
    const h = Math.exp(t(3)) * 27;
    const o = ((1 * 4 + 2) * 2 + 1) * 4;
    [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2].forEach((v, i) => assertNear(boxes[o + i]!, v, 1e-4, `box[${i}]`));
    assert.deepEqual(d0!.objectness.shape, [1, 4, 4, 2]);
    assert.deepEqual(d0!.classes.shape, [1, 4, 4, 2, 3]);
    assertNear(d0!.objectness.dataSync()[(1 * 4 + 2) * 2 + 1]!, sig(t(4)), 1e-6, 'objectness');
    tf.dispose(decodeOutputs(c.raws, LAYERS).flatMap((x) => [x.boxes, x.objectness, x.classes]));
    tf.dispose([d0!.boxes, d0!.objectness, d0!.classes]);
    c.dispose();
  });
});

describe('a real batch', () => {
  it('coco128 (8 images, letterbox 128) with random raw outputs: a finite loss, positives > 0, no leaks', async () => {
    await tf.setBackend('wasm');
    const start = tf.memory().numTensors;
    const p = fromYolo(COCO128, { limit: 8 }).pipe(decode(), letterbox(128), batch(8), encodeTargets(), toTensors());
    let batches = 0;
    for await (const b of p) {
      batches++;
      const targets = b.targets!;
      assert.deepEqual(targets.map((t) => t.tensor.shape), [[8, 16, 16, 3, 86], [8, 8, 8, 3, 86], [8, 4, 4, 3, 86]]);
      const outputs = targets.map((t, l) => tf.randomNormal([...t.tensor.shape.slice(0, 4), 85], 0, 1, 'float32', 17 + l));
      const before = tf.memory().numTensors;
      for (const options of [{}, { wh: 'yolov5', balance: 'yolov5', gr: 1 }] as YoloLossOptions[]) {
        const l = yoloLoss(outputs, targets, options);
        for (const k of ['total', 'box', 'objectness', 'classes'] as const) {
          const v = l[k].dataSync()[0]!;
          assert.ok(Number.isFinite(v) && v > 0, `${k} = ${v}`);
        }
        assert.ok(l.positives > 0, `positives ${l.positives}`);
        tf.dispose([l.total, l.box, l.objectness, l.classes]);
      }
      const g = tf.grads((...xs: tf.Tensor[]) => yoloLoss(xs, targets).total)(outputs);
      for (const t of g) assert.ok((t.dataSync() as Float32Array).every(Number.isFinite));
      tf.dispose(g);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose(outputs);
      b.dispose();
    }
    assert.equal(batches, 1);
    assert.equal(tf.memory().numTensors, start);
  });
});
