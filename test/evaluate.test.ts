/** From raw heads to detections and mAP: decode, confidence threshold, NMS, COCO mAP. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { detect } from '../src/train/evaluate.ts';
import { evaluateMap } from '../src/train/map.ts';

/** One layer, stride 32 on a 64×64 input (2×2 cells), one anchor of 32×32, two classes. */
function head(slots: Array<{ x: number; y: number; obj: number; cls: [number, number]; t?: [number, number, number, number] }>): tf.Tensor5D {
  const data = new Float32Array(2 * 2 * 1 * 7).fill(0);
  for (let k = 0; k < 4; k++) data[k * 7 + 4] = -12; // no object anywhere…
  for (const s of slots) {
    const k = s.y * 2 + s.x;
    data.set([...(s.t ?? [0, 0, 0, 0]), s.obj, ...s.cls], k * 7);
  }
  return tf.tensor5d(data, [1, 2, 2, 1, 7]);
}

const layers = [{ stride: 32, anchors: [[32, 32]] }];

describe('detect', () => {
  it('decodes a confident slot to its cell-sized box and class, and drops the rest', () => {
    const raw = head([{ x: 1, y: 0, obj: 10, cls: [-10, 10] }]);
    const [d] = detect([raw], { layers, decode: { scaleXY: 1 } });
    raw.dispose();
    // t = 0: centre (0.5 + cell)·stride = (48, 16), size = the anchor
    assert.equal(d!.scores.length, 1);
    assert.deepEqual(Array.from(d!.boxes), [32, 0, 64, 32]);
    assert.equal(d!.classes[0], 1);
    assert.ok(d!.scores[0]! > 0.99);
    const m = evaluateMap([{ imageId: 0, classId: 1, box: [32, 0, 64, 32] }], [{ imageId: 0, classId: 1, score: d!.scores[0]!, box: d!.boxes }]);
    assert.ok(Math.abs(m.map50 - 1) < 1e-12, `${m.map50}`);
  });

  it('suppresses an overlapping duplicate of the same class and keeps the other class (multi-label)', () => {
    // two neighbouring slots predicting the same box: shift the second by one cell back (tx → −∞ is not
    // needed: a big tw makes both boxes large and overlapping)
    const raw = head([
      { x: 0, y: 0, obj: 8, cls: [9, 3], t: [0, 0, 1, 1] },
      { x: 1, y: 0, obj: 6, cls: [9, -9], t: [0, 0, 1, 1] },
    ]);
    const [d] = detect([raw], { layers, decode: { scaleXY: 1 }, iouThreshold: 0.3 });
    raw.dispose();
    // boxes 32·e ≈ 87 px wide centred at x 16 and 48: IoU ≈ 0.58 > 0.3 → class 0 keeps one; class 1 (0.95·0.9997) stays
    assert.deepEqual(Array.from(d!.classes), [0, 1]);
    assert.ok(d!.scores[0]! > d!.scores[1]! - 1);
  });

  it('leaves no tensor behind', () => {
    const raw = head([{ x: 0, y: 1, obj: 5, cls: [1, 1] }]);
    const before = tf.memory().numTensors;
    detect([raw], { layers });
    assert.equal(tf.memory().numTensors, before);
    raw.dispose();
  });
});
