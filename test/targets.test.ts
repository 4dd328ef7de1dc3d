/**
 * Anchor assignment and YOLO targets (SPEC §7): worked numbers for the three rules
 * (from test/reference/targets.py, which follows Darknet's and YOLOv5's documented
 * behaviour), a hand-made batch checked slot by slot, collate to tensors without leaks,
 * and an end-to-end coco128 run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, map, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import * as tf from '@tensorflow/tfjs';
import { batch, decode, fromYolo, initBackend, letterbox, toTensors, type Batch, type Sample } from '../index.ts';
import {
  assignAnchors,
  shapeIoU,
  YOLOV4_ANCHORS,
  YOLOV4_MASKS,
  YOLOV4_STRIDES,
  type AnchorAssignment,
  type AssignAnchorsOptions,
} from '../src/batch/anchors.ts';
import { encodeBatchTargets, resolveTargetOptions } from '../src/batch/targets.ts';
import { TargetChannel, type SampleBatch, type TargetLayer } from '../src/batch/types.ts';
import { collate } from '../src/tensor/batch.ts';
import { encodeTargets } from '../operators/encode-targets.ts';
import { smoothLabels } from '../operators/smooth-labels.ts';
import { BoxFlag } from '../src/core/types.ts';
import { COCO128 } from './helpers.ts';

const V4 = {
  anchors: YOLOV4_ANCHORS.map((a) => [...a]),
  masks: YOLOV4_MASKS.map((m) => [...m]),
  strides: [...YOLOV4_STRIDES],
  inputSize: 608,
};
type Rule = AssignAnchorsOptions['rule'];
const at = (rule: Rule, cx: number, cy: number, w: number, h: number, more: Partial<AssignAnchorsOptions> = {}) =>
  assignAnchors({ cx, cy, w, h }, { ...V4, rule, ...more }).map((a) => [a.layer, a.anchor, a.cellX, a.cellY]);

describe('assignAnchors (SPEC §7, worked numbers from test/reference/targets.py)', () => {
  it('shape IoU is the IoU of corner-aligned boxes', () => {
    // 40×28 against the nine YOLOv4 anchors: anchor 2 is the same shape.
    const ious = YOLOV4_ANCHORS.map(([aw, ah]) => Math.round(shapeIoU(40, 28, aw, ah) * 1e6) / 1e6);
    assert.deepEqual(ious, [0.171429, 0.418239, 1, 0.358464, 0.267943, 0.106545, 0.071703, 0.024005, 0.006085]);
  });

  it("'best': the single anchor of highest shape IoU, in its layer, at ⌊c/stride⌋", () => {
    assert.deepEqual(at('best', 100, 200, 40, 28), [[0, 2, 12, 25]]);
    assert.deepEqual(at('best', 300.5, 123.25, 60, 90), [[1, 1, 18, 7]]);
    assert.deepEqual(at('best', 304, 304, 400, 380), [[2, 2, 9, 9]]);
    assert.deepEqual(at('best', 5, 5, 4, 4), [[0, 0, 0, 0]]);
    // On a cell border ⌊16/8⌋ = 2; just below the next border ⌊47.999/8⌋ = 5.
    assert.deepEqual(at('best', 16, 47.999, 30, 30), [[0, 2, 2, 5]]);
    // A centre on the right edge: ⌊608/16⌋ = 38 is clamped to the last cell, 37.
    assert.deepEqual(at('best', 608, 0, 100, 60), [[1, 1, 37, 0]]);
    assert.deepEqual(at('best', 250, 400, 20, 150), [[1, 0, 15, 25]]);
  });

  it("'iou-threshold' (Darknet, 0.213): the best anchor first, then every other anchor above the threshold", () => {
    assert.deepEqual(at('iou-threshold', 100, 200, 40, 28), [[0, 2, 12, 25], [0, 1, 12, 25], [1, 0, 6, 12], [1, 1, 6, 12]]);
    assert.deepEqual(at('iou-threshold', 300.5, 123.25, 60, 90), [[1, 1, 18, 7], [1, 0, 18, 7], [1, 2, 18, 7], [2, 0, 9, 3]]);
    assert.deepEqual(at('iou-threshold', 304, 304, 400, 380), [[2, 2, 9, 9], [2, 1, 9, 9]]);
    assert.deepEqual(at('iou-threshold', 5, 5, 4, 4), [[0, 0, 0, 0]]);
    assert.deepEqual(at('iou-threshold', 16, 47.999, 30, 30), [[0, 2, 2, 5], [0, 0, 2, 5], [0, 1, 2, 5], [1, 0, 1, 2], [1, 1, 1, 2]]);
    assert.deepEqual(at('iou-threshold', 608, 0, 100, 60), [[1, 1, 37, 0], [1, 0, 37, 0], [1, 2, 37, 0], [2, 0, 18, 0]]);
    assert.deepEqual(at('iou-threshold', 250, 400, 20, 150), [[0, 1, 31, 50], [1, 0, 15, 25], [1, 2, 15, 25]]);
  });

  it("'wh-ratio' (YOLOv5 build_targets, anchor_t 4): all anchors within the ratio, own cell and neighbours, duplicates once", () => {
    // gx = 12.5 (no x neighbour), gy = 25 exactly: up 24; "down" ⌊25.5⌋ = 25 is the own cell, counted once.
    assert.deepEqual(at('wh-ratio', 100, 200, 40, 28), [
      [0, 0, 12, 25], [0, 1, 12, 25], [0, 2, 12, 25], [0, 0, 12, 24], [0, 1, 12, 24], [0, 2, 12, 24],
      [1, 0, 6, 12], [1, 1, 6, 12], [1, 0, 5, 12], [1, 1, 5, 12],
      [2, 0, 3, 6], [2, 0, 2, 6], [2, 0, 3, 5],
    ]);
    assert.deepEqual(at('wh-ratio', 300.5, 123.25, 60, 90), [
      [0, 1, 37, 15], [0, 2, 37, 15], [0, 1, 37, 14], [0, 2, 37, 14], [0, 1, 38, 15], [0, 2, 38, 15],
      [1, 0, 18, 7], [1, 1, 18, 7], [1, 2, 18, 7], [1, 0, 19, 7], [1, 1, 19, 7], [1, 2, 19, 7],
      [1, 0, 18, 8], [1, 1, 18, 8], [1, 2, 18, 8],
      [2, 0, 9, 3], [2, 1, 9, 3], [2, 0, 8, 3], [2, 1, 8, 3], [2, 0, 9, 4], [2, 1, 9, 4],
    ]);
    assert.deepEqual(at('wh-ratio', 304, 304, 400, 380), [[2, 0, 9, 9], [2, 1, 9, 9], [2, 2, 9, 9]]);
    // 4×4 is more than 4× smaller than every anchor in one side.
    assert.deepEqual(at('wh-ratio', 5, 5, 4, 4), []);
    assert.deepEqual(at('wh-ratio', 16, 47.999, 30, 30), [
      [0, 0, 2, 5], [0, 1, 2, 5], [0, 2, 2, 5], [0, 0, 1, 5], [0, 1, 1, 5], [0, 2, 1, 5], [0, 0, 2, 6], [0, 1, 2, 6], [0, 2, 2, 6],
      [1, 0, 1, 2], [1, 1, 1, 2], [1, 0, 1, 3], [1, 1, 1, 3],
    ]);
    // The image edge: the own cell is clamped from 76 to 75 and the left neighbour ⌊75.5⌋ = 75 is the
    // same cell; gy = 0 has no upper neighbour, and the lower one ⌊0.5⌋ = 0 is the own cell again.
    assert.deepEqual(at('wh-ratio', 608, 0, 100, 60), [[0, 2, 75, 0], [1, 0, 37, 0], [1, 1, 37, 0], [1, 2, 37, 0], [2, 0, 18, 0]]);
    assert.deepEqual(at('wh-ratio', 250, 400, 20, 150), [
      [1, 0, 15, 25], [1, 1, 15, 25], [1, 2, 15, 25], [1, 0, 15, 24], [1, 1, 15, 24], [1, 2, 15, 24], [1, 0, 16, 25], [1, 1, 16, 25], [1, 2, 16, 25],
    ]);
    // On a cell corner of every layer: left and up neighbours, the right/down ones are the own cell.
    assert.deepEqual(at('wh-ratio', 64, 64, 30, 40), [
      [0, 0, 8, 8], [0, 1, 8, 8], [0, 2, 8, 8], [0, 0, 7, 8], [0, 1, 7, 8], [0, 2, 7, 8], [0, 0, 8, 7], [0, 1, 8, 7], [0, 2, 8, 7],
      [1, 0, 4, 4], [1, 1, 4, 4], [1, 2, 4, 4], [1, 0, 3, 4], [1, 1, 3, 4], [1, 2, 3, 4], [1, 0, 4, 3], [1, 1, 4, 3], [1, 2, 4, 3],
    ]);
    // Near the far corner: G − gx ≤ 1 and gy ≤ 1 leave no neighbours.
    assert.deepEqual(at('wh-ratio', 604, 3, 50, 50), [[0, 1, 75, 0], [0, 2, 75, 0], [1, 0, 37, 0], [1, 1, 37, 0], [1, 2, 37, 0], [2, 0, 18, 0]]);
    // gx ≤ 1 on the coarse layers: no left neighbour there.
    assert.deepEqual(at('wh-ratio', 13, 21, 20, 24), [
      [0, 0, 1, 2], [0, 1, 1, 2], [0, 2, 1, 2], [0, 0, 2, 2], [0, 1, 2, 2], [0, 2, 2, 2], [0, 0, 1, 3], [0, 1, 1, 3], [0, 2, 1, 3],
      [1, 0, 0, 1], [1, 1, 0, 1], [1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 1], [1, 1, 1, 1],
    ]);
    assert.deepEqual(at('wh-ratio', 100.2, 100.7, 48, 64), [
      [0, 1, 12, 12], [0, 2, 12, 12], [0, 1, 13, 12], [0, 2, 13, 12], [0, 1, 12, 13], [0, 2, 12, 13],
      [1, 0, 6, 6], [1, 1, 6, 6], [1, 2, 6, 6], [1, 0, 5, 6], [1, 1, 5, 6], [1, 2, 5, 6], [1, 0, 6, 5], [1, 1, 6, 5], [1, 2, 6, 5],
      [2, 0, 3, 3], [2, 0, 2, 3], [2, 0, 3, 2],
    ]);
    // At 320 with the anchors scaled by 320/608.
    const scaled = YOLOV4_ANCHORS.map(([w, h]) => [(w * 320) / 608, (h * 320) / 608]);
    assert.deepEqual(at('wh-ratio', 100, 60, 50, 40, { anchors: scaled, inputSize: 320 }), [
      [0, 2, 12, 7], [1, 0, 6, 3], [1, 1, 6, 3], [1, 2, 6, 3], [1, 0, 5, 3], [1, 1, 5, 3], [1, 2, 5, 3], [1, 0, 6, 4], [1, 1, 6, 4], [1, 2, 6, 4],
      [2, 0, 3, 1], [2, 1, 3, 1], [2, 0, 2, 1], [2, 1, 2, 1], [2, 0, 3, 2], [2, 1, 3, 2],
    ]);
  });

  it('ties go to the lowest anchor index; thresholds and the ratio bound are strict', () => {
    const tie = { anchors: [[10, 20], [20, 10], [40, 40]], masks: [[0, 1], [2]], strides: [8, 16], inputSize: 64 };
    // 14×14 has IoU 140/256 with both 10×20 and 20×10.
    assert.deepEqual(at('best', 20, 20, 14, 14, tie), [[0, 0, 2, 2]]);
    assert.deepEqual(at('iou-threshold', 20, 20, 14, 14, tie), [[0, 0, 2, 2], [0, 1, 2, 2]]);
    const two = { anchors: [[10, 10], [20, 20]], masks: [[0], [1]], strides: [8, 16], inputSize: 64 };
    // 10×10 vs 20×20: IoU exactly 0.25.
    assert.deepEqual(at('iou-threshold', 4, 4, 10, 10, { ...two, iouThreshold: 0.25 }), [[0, 0, 0, 0]]);
    assert.deepEqual(at('iou-threshold', 4, 4, 10, 10, { ...two, iouThreshold: 0.2499 }), [[0, 0, 0, 0], [1, 0, 0, 0]]);
    const one = { anchors: [[12, 16]], masks: [[0]], strides: [8] };
    // 48×64 vs 12×16 is a ratio of exactly 4: out; 47.88×63.84 (3.99): in.
    assert.deepEqual(at('wh-ratio', 300, 300, 48, 64, one), []);
    assert.deepEqual(at('wh-ratio', 300, 300, 47.88, 63.84, one), [[0, 0, 37, 37]]);
  });

  it('clamps cells to the grid, on non-square inputs too', () => {
    const wide = { inputSize: { width: 640, height: 320 } };
    // Grids 80×40, 40×20, 20×10: the bottom-right corner is the last cell.
    assert.deepEqual(at('best', 640, 320, 40, 28, wide), [[0, 2, 79, 39]]);
    assert.deepEqual(at('best', -3, -0.5, 40, 28, wide), [[0, 2, 0, 0]]);
    // Own cell (20,10) clamped to (19,9); the left and up neighbours are (19,9) again: one slot per anchor.
    assert.deepEqual(at('wh-ratio', 640, 320, 459, 401, wide), [[2, 0, 19, 9], [2, 1, 19, 9], [2, 2, 19, 9]]);
  });

  it('a best anchor in no mask assigns nothing; an anchor in two masks is assigned in both layers', () => {
    const partial = { anchors: [[10, 10], [20, 20], [40, 40]], masks: [[1], [2]], strides: [8, 16], inputSize: 64 };
    assert.deepEqual(at('best', 20, 20, 10, 10, partial), []);
    // IoU 0.25 with anchor 1 passes 0.213 even though the best (anchor 0) is unused.
    assert.deepEqual(at('iou-threshold', 20, 20, 10, 10, partial), [[0, 0, 2, 2]]);
    // YOLOv4-tiny lists anchor 3 in both of its layers.
    const tiny = {
      anchors: [[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]],
      masks: [[3, 4, 5], [1, 2, 3]],
      strides: [32, 16],
      inputSize: 416,
    };
    assert.deepEqual(at('best', 200, 100, 81, 82, tiny), [[0, 0, 6, 3], [1, 2, 12, 6]]);
  });

  it('returns {layer, anchor, cellX, cellY}, anchor being the position in the layer mask', () => {
    const r: AnchorAssignment[] = assignAnchors({ cx: 300.5, cy: 123.25, w: 60, h: 90 }, { ...V4, rule: 'best' });
    assert.deepEqual(r, [{ layer: 1, anchor: 1, cellX: 18, cellY: 7 }]);
    assert.equal(V4.masks[r[0]!.layer]![r[0]!.anchor], 4);
  });

  it('rejects bad input with a message that says what to pass', () => {
    assert.throws(() => at('nearest' as Rule, 1, 1, 4, 4), /rule must be 'best', 'iou-threshold'/);
    assert.throws(() => at('best', 1, 1, 4, 4, { strides: [8, 16] }), /3 masks but 2 strides/);
    assert.throws(() => at('best', 1, 1, 4, 4, { masks: [[0, 1, 9], [3], [4]] }), /mask index 9 names no anchor/);
    assert.throws(() => at('best', 1, 1, 4, 4, { anchors: [[12, -1]] }), /anchor height must be > 0/);
    assert.throws(() => at('best', 1, 1, 0, 4), /w and h must be > 0/);
    assert.throws(() => at('best', Number.NaN, 1, 4, 4), /box\.cx is NaN/);
    assert.throws(() => at('best', 1, 1, 4, 4, { inputSize: 0 }), /inputSize must be > 0/);
  });
});

/** A sample with boxes given as x1,y1,x2,y2 rows. */
function sample(id: string, rows: number[][], classes: number[], o: { weights?: number[]; flags?: number[]; size?: number; pixels?: boolean } = {}): Sample {
  const size = o.size ?? 608;
  return {
    id,
    index: 0,
    epoch: 0,
    image: { data: new Uint8Array(o.pixels ? size * size * 3 : 0), width: size, height: size },
    boxes: new Float32Array(rows.flat()),
    classes: Int32Array.from(classes),
    weights: Float32Array.from(o.weights ?? classes.map(() => 1)),
    flags: Uint8Array.from(o.flags ?? classes.map(() => 0)),
    meta: { path: id, originalWidth: size, originalHeight: size },
  };
}
const sampleBatch = (samples: Sample[]): SampleBatch => ({ samples, size: samples.length, ids: samples.map((s) => s.id) });
const xyxy = (cx: number, cy: number, w: number, h: number) => [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];

/** The channels of one slot. */
function slot(t: TargetLayer, b: number, x: number, y: number, a: number): number[] {
  const [, gh, gw, A, K] = t.shape;
  const o = (((b * gh + y) * gw + x) * A + a) * K;
  return Array.from(t.data.subarray(o, o + K));
}
/** Every slot with non-zero objectness, as "b,x,y,a". */
function assigned(t: TargetLayer): string[] {
  const [B, gh, gw, A, K] = t.shape;
  const out: string[] = [];
  for (let b = 0; b < B; b++)
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++)
        for (let a = 0; a < A; a++) if (t.data[(((b * gh + y) * gw + x) * A + a) * K + TargetChannel.Objectness] !== 0) out.push(`${b},${x},${y},${a}`);
  return out;
}

/**
 * Two 608×608 images, three boxes (C = 3, YOLOv4 defaults, iou-threshold):
 * image 0: A class 1, 40×28 at (100,200), weight 0.7; B class 2, 19×36 at (102,203).
 * image 1: C class 0, 100×60 at (600,4), flagged Ignore.
 */
const handMade = () =>
  sampleBatch([
    sample('img0', [xyxy(100, 200, 40, 28), xyxy(102, 203, 19, 36)], [1, 2], { weights: [0.7, 1] }),
    sample('img1', [xyxy(600, 4, 100, 60)], [0], { flags: [BoxFlag.Ignore] }),
  ]);

describe('encodeBatchTargets: a hand-made batch', () => {
  const enc = resolveTargetOptions({});

  it('writes each box at its slots; collisions go to the real box, then the larger shape IoU', () => {
    const [l0, l1, l2] = encodeBatchTargets(handMade(), enc, 3);
    assert.deepEqual(l0!.shape, [2, 76, 76, 3, 9]);
    assert.deepEqual(l1!.shape, [2, 38, 38, 3, 9]);
    assert.deepEqual(l2!.shape, [2, 19, 19, 3, 9]);
    assert.deepEqual([l0!.stride, l0!.gridWidth, l0!.gridHeight, l0!.mask], [8, 76, 76, [0, 1, 2]]);
    assert.deepEqual(l1!.anchors, [[36, 75], [76, 55], [72, 146]]);
    // A: (0,2,12,25) IoU 1, (0,1,12,25) 0.418, (1,0,6,12) 0.358, (1,1,6,12) 0.268.
    // B: (0,1,12,25) IoU 1, (0,0,12,25) 0.281, (0,2,12,25) 0.418, (1,0,6,12) 0.253.
    // C: (1,1,37,0), (1,0,37,0), (1,2,37,0), (2,0,18,0), all ignore.
    assert.deepEqual(assigned(l0!), ['0,12,25,0', '0,12,25,1', '0,12,25,2']);
    assert.deepEqual(assigned(l1!), ['0,6,12,0', '0,6,12,1', '1,37,0,0', '1,37,0,1', '1,37,0,2']);
    assert.deepEqual(assigned(l2!), ['1,18,0,0']);
    const A = [100, 200, 40, 28];
    const B = [102, 203, 19, 36];
    const C = [600, 4, 100, 60];
    const w07 = Math.fround(0.7);
    assert.deepEqual(slot(l0!, 0, 12, 25, 2), [...A, 1, w07, 0, 1, 0]); // A beats B (1.0 > 0.418)
    assert.deepEqual(slot(l0!, 0, 12, 25, 1), [...B, 1, 1, 0, 0, 1]); // B beats A (1.0 > 0.418)
    assert.deepEqual(slot(l0!, 0, 12, 25, 0), [...B, 1, 1, 0, 0, 1]);
    assert.deepEqual(slot(l1!, 0, 6, 12, 0), [...A, 1, w07, 0, 1, 0]); // A 0.358 beats B 0.253
    assert.deepEqual(slot(l1!, 0, 6, 12, 1), [...A, 1, w07, 0, 1, 0]);
    // An ignore region: objectness −1, no weight, no class.
    for (const a of [0, 1, 2]) assert.deepEqual(slot(l1!, 1, 37, 0, a), [...C, -1, 0, 0, 0, 0]);
    assert.deepEqual(slot(l2!, 1, 18, 0, 0), [...C, -1, 0, 0, 0, 0]);
    assert.deepEqual([l0!.collisions, l1!.collisions, l2!.collisions], [2, 1, 0]);
    // Nothing else is written.
    const nonZero = (t: TargetLayer) => t.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
    assert.equal(nonZero(l0!), 3 * 7); // 4 box + obj + weight + 1 class each
    assert.equal(nonZero(l1!), 2 * 7 + 3 * 5);
    assert.equal(nonZero(l2!), 5);
  });

  it('a real box beats an ignore box whatever the IoU; equal claims keep the earlier box', () => {
    const b = sampleBatch([
      sample('x', [xyxy(100, 200, 40, 28), xyxy(100, 200, 40, 28), xyxy(100, 200, 40, 28)], [0, 1, 2], { flags: [BoxFlag.Ignore, 0, 0] }),
    ]);
    const [l0, l1] = encodeBatchTargets(b, enc, 3);
    for (const a of [1, 2]) assert.deepEqual(slot(l0!, 0, 12, 25, a).slice(4), [1, 1, 0, 1, 0]);
    assert.deepEqual(slot(l1!, 0, 6, 12, 0).slice(4), [1, 1, 0, 1, 0]);
    // Four slots, three boxes: every slot claimed twice more.
    assert.equal(l0!.collisions + l1!.collisions, 8);
  });

  it('smoothed class targets, per the batch or the samples (binary: the negatives of a slot get ε/2)', () => {
    const hb = handMade();
    hb.labelSmoothing = { epsilon: 0.1, mode: 'binary' };
    const [l0] = encodeBatchTargets(hb, enc, 3);
    const f = Math.fround;
    assert.deepEqual(slot(l0!, 0, 12, 25, 2).slice(6), [f(0.05), f(0.95), f(0.05)]);
    assert.deepEqual(slot(l0!, 0, 12, 25, 0).slice(6), [f(0.05), f(0.05), f(0.95)]);
    const hs = handMade();
    hs.samples[0]!.meta.labelSmoothing = { epsilon: 0.3, mode: 'categorical' };
    const [m0] = encodeBatchTargets(hs, enc, 3);
    assert.deepEqual(slot(m0!, 0, 12, 25, 2).slice(6), [f(0.1), f(0.8), f(0.1)]);
  });

  it('keeps the anchors in pixels by default (as Darknet and YOLOv5), and scales them with scaleAnchors', () => {
    const small = sampleBatch([sample('s', [xyxy(50, 100, 20, 14)], [0], { size: 304 })]);
    const [s0, s1] = encodeBatchTargets(small, resolveTargetOptions({ scaleAnchors: true }), 1);
    assert.deepEqual(s0!.shape, [1, 38, 38, 3, 7]);
    assert.deepEqual(s1!.anchors, [[18, 37.5], [38, 27.5], [36, 73]]);
    // 20×14 at 304 is anchor 2 × 1/2: same slots as 40×28 at 608, halved cells.
    assert.deepEqual(assigned(s0!), ['0,6,12,1', '0,6,12,2']);
    const [f0] = encodeBatchTargets(small, enc, 1);
    assert.deepEqual(f0!.anchors, [[12, 16], [19, 36], [40, 28]]);
    // Unscaled, 20×14 is closest to 12×16 (IoU 0.553); 19×36 (0.381) and 40×28 (0.25) pass 0.213 too.
    assert.deepEqual(assigned(f0!), ['0,6,12,0', '0,6,12,1', '0,6,12,2']);
  });

  it('wh-ratio rule with neighbours, and degenerate boxes are skipped', () => {
    const b = sampleBatch([sample('x', [xyxy(64, 64, 30, 40), [10, 10, 10, 30]], [0, 0])]);
    const [l0, l1, l2] = encodeBatchTargets(b, resolveTargetOptions({ rule: 'wh-ratio' }), 1);
    assert.deepEqual(assigned(l0!).sort(), ['0,7,8,0', '0,7,8,1', '0,7,8,2', '0,8,7,0', '0,8,7,1', '0,8,7,2', '0,8,8,0', '0,8,8,1', '0,8,8,2']);
    assert.equal(assigned(l1!).length, 9);
    assert.equal(assigned(l2!).length, 0);
  });

  it('errors: class out of range, images of different sizes, bad options', () => {
    assert.throws(() => encodeBatchTargets(handMade(), enc, 2), /has a box of class 2 but classes is 2/);
    const mixed = sampleBatch([sample('a', [], []), sample('b', [], [], { size: 320 })]);
    assert.throws(() => encodeBatchTargets(mixed, enc, 2), /differ in size.*letterbox/);
    assert.throws(() => resolveTargetOptions({ rule: 'x' as never }), /rule must be/);
    assert.throws(() => resolveTargetOptions({ masks: [[0, 1, 2], [3, 4, 5]] }), /2 masks but 3 strides/);
    assert.throws(() => resolveTargetOptions({ classes: 0 }), /classes must be ≥ 1/);
    assert.throws(() => resolveTargetOptions({ foo: 1 } as never), /foo/);
  });
});

describe('encodeTargets() operator and toTensors()', () => {
  it('adds targets to each batch, one out per one in (marbles)', () => {
    new TestScheduler((a, b) => assert.deepEqual(a, b)).run(({ cold, expectObservable }) => {
      const src = cold('a--b|', { a: handMade(), b: sampleBatch([sample('c', [], [])]) });
      const out = src.pipe(
        encodeTargets({ classes: 3 }),
        map((b) => b.targets!.map((t) => `${t.shape.join('x')}:${assigned(t).length}:${t.collisions}`).join(' ')),
      );
      expectObservable(out).toBe('a--b|', {
        a: '2x76x76x3x9:3:2 2x38x38x3x9:5:1 2x19x19x3x9:1:0',
        b: '1x76x76x3x9:0:0 1x38x38x3x9:0:0 1x19x19x3x9:0:0',
      });
    });
  });

  it('fails at once when the class count is unknown or too small', () => {
    assert.throws(() => of(handMade()).pipe(encodeTargets()), /number of classes is unknown.*classes: 80/);
    assert.throws(() => fromYolo(COCO128).pipe(decode(), batch(2), encodeTargets({ classes: 10 })), /classes is 10 but the dataset has 80/);
  });

  it('collate makes one Tensor5D per layer, equal to the arrays, and dispose frees every tensor', async () => {
    await initBackend();
    const b = handMade();
    b.samples.forEach((s) => (s.image.data = new Uint8Array(608 * 608 * 3)));
    const before = tf.memory().numTensors;
    const encoded = await lastValueFrom(of(b).pipe(smoothLabels({ epsilon: 0.1, mode: 'binary' }), encodeTargets({ classes: 3 }), toArray()));
    const out: Batch = collate(encoded[0]!);
    assert.deepEqual(out.labelSmoothing, { epsilon: 0.1, mode: 'binary' });
    assert.equal(out.targets!.length, 3);
    for (let l = 0; l < 3; l++) {
      const t = out.targets![l]!;
      assert.equal(t.tensor.rank, 5);
      assert.deepEqual(t.tensor.shape, encoded[0]!.targets![l]!.shape);
      assert.deepEqual(await t.tensor.data(), encoded[0]!.targets![l]!.data);
      assert.equal(t.stride, [8, 16, 32][l]);
    }
    // The padded raw boxes stay for trainers that assign anchors themselves.
    assert.deepEqual(out.boxes.shape, [2, 2, 4]);
    assert.deepEqual(Array.from(await out.counts.data()), [2, 1]);
    assert.equal(tf.memory().numTensors - before, 6 + 3);
    out.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('end to end on coco128', () => {
  it('letterbox(320), batch(8), binary smoothing: [8,40,40,3,86]… with every box at its slots, and no leaks', async () => {
    await initBackend();
    const before = tf.memory().numTensors;
    const p = fromYolo(COCO128, { limit: 16, workers: 2 }).pipe(
      decode(),
      letterbox(320),
      batch(8),
      smoothLabels({ epsilon: 0.1, mode: 'binary' }),
      encodeTargets(),
      toTensors(),
    );
    // anchors keep their pixel sizes at 320 (the default, as Darknet and YOLOv5)
    const anchors = YOLOV4_ANCHORS;
    let batches = 0;
    let boxesSeen = 0;
    for await (const b of p) {
      batches++;
      assert.deepEqual(b.targets!.map((t) => t.tensor.shape), [[8, 40, 40, 3, 86], [8, 20, 20, 3, 86], [8, 10, 10, 3, 86]]);
      assert.deepEqual(b.targets![2]!.anchors, YOLOV4_MASKS[2]!.map((n) => anchors[n]));
      const boxes = (await b.boxes.data()) as Float32Array;
      const classes = (await b.classes.data()) as Int32Array;
      const flags = (await b.flags.data()) as Int32Array;
      const counts = (await b.counts.data()) as Int32Array;
      const N = b.boxes.shape[1];
      const data = await Promise.all(b.targets!.map((t) => t.tensor.data() as Promise<Float32Array>));
      // Re-derive every claim with assignAnchors and the winner of each slot.
      const claims = new Map<string, { prio: number; i: number; img: number }>();
      let nClaims = 0;
      for (let img = 0; img < 8; img++) {
        for (let i = 0; i < counts[img]!; i++) {
          const r = img * N + i;
          const [x1, y1, x2, y2] = boxes.subarray(4 * r, 4 * r + 4);
          const w = x2! - x1!;
          const h = y2! - y1!;
          const cx = x1! + w / 2;
          const cy = y1! + h / 2;
          boxesSeen++;
          const ignore = (flags[r]! & BoxFlag.Ignore) !== 0;
          for (const a of assignAnchors({ cx, cy, w, h }, { ...V4, anchors, inputSize: 320, rule: 'iou-threshold' })) {
            nClaims++;
            const [aw, ah] = anchors[YOLOV4_MASKS[a.layer]![a.anchor]!]!;
            const prio = (ignore ? 0 : 2) + shapeIoU(w, h, aw!, ah!);
            const key = `${a.layer},${img},${a.cellX},${a.cellY},${a.anchor}`;
            const held = claims.get(key);
            if (!held || prio > held.prio) claims.set(key, { prio, i: r, img });
          }
        }
      }
      assert.ok(claims.size > 0);
      const f = Math.fround;
      for (const [key, { i: r }] of claims) {
        const [l, img, x, y, a] = key.split(',').map(Number) as [number, number, number, number, number];
        const [, gh, gw, A, K] = b.targets![l]!.tensor.shape;
        const o = (((img * gh + y) * gw + x) * A + a) * K;
        const got = Array.from(data[l]!.subarray(o, o + K));
        const [x1, y1, x2, y2] = boxes.subarray(4 * r, 4 * r + 4);
        const want = [f(x1! + (x2! - x1!) / 2), f(y1! + (y2! - y1!) / 2), f(x2! - x1!), f(y2! - y1!), 1, 1];
        assert.deepEqual(got.slice(0, 6), want, `slot ${key}`);
        const cls = got.slice(6);
        assert.equal(cls[classes[r]!], f(0.95));
        assert.equal(cls.filter((v) => v === f(0.05)).length, 79);
      }
      // Exactly the claimed slots hold objects, and every lost claim is a counted collision.
      let objects = 0;
      for (const [l, d] of data.entries()) {
        const K = b.targets![l]!.tensor.shape[4];
        for (let o = TargetChannel.Objectness; o < d.length; o += K) if (d[o] !== 0) objects++;
      }
      assert.equal(objects, claims.size);
      assert.equal(b.targets!.reduce((n, t) => n + t.collisions, 0), nClaims - claims.size);
      b.dispose();
    }
    assert.equal(batches, 2);
    assert.ok(boxesSeen > 50, `${boxesSeen} boxes`);
    assert.equal(tf.memory().numTensors, before, 'every batch tensor, targets included, is disposed');
  });
});
