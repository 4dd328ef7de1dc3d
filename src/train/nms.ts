/**
 * Non-maximum suppression, greedy and DIoU (SPEC §9, §14).
 *
 * Per class, candidates are visited in descending score (ties: lower index first); a
 * candidate is kept unless it overlaps an already kept box of its class by more than the
 * threshold:
 * - `greedy`: IoU(i, j) > iouThreshold (torchvision `nms`, YOLOv5 `non_max_suppression`);
 * - `diou` (Darknet `diounms_sort` / `box_diounms`, Zheng et al. 2020):
 *   IoU(i, j) − (ρ²/c²)^β > iouThreshold, ρ² the squared distance of the centres, c² the
 *   squared diagonal of the smallest enclosing box, β = `beta` (Darknet `beta_nms`, 0.6);
 *   when c² is 0 the term is 0.
 *
 * IoU here is plain intersection / union with no eps (torchvision `nms`, Darknet `box_iou`;
 * 0 for disjoint or empty boxes), unlike the loss metrics of `iou.ts`.
 *
 * Output order: classes ascending; within a class descending score, ties by lower index.
 * `maxDetections` keeps the highest-scoring survivors over all classes (ties: lower index),
 * as YOLOv5's `max_det`, then orders them as above.
 */
import { z } from 'zod';
import { validate } from '../stream/options.ts';

/** Options of {@link nms}. */
export interface NmsOptions {
  /** Suppress when the overlap measure is strictly above this (0..1). */
  iouThreshold: number;
  /** `greedy` (IoU) or `diou` (IoU − (ρ²/c²)^β). Default `greedy`. */
  kind?: 'greedy' | 'diou';
  /** DIoU-NMS exponent (Darknet `beta_nms`). Default 0.6. */
  beta?: number;
  /** Candidates with score ≤ this are dropped first (YOLOv5 `conf_thres`: `score > thr`). Default: none dropped. */
  scoreThreshold?: number;
  /** At most this many boxes come back, the highest scores (YOLOv5 `max_det`). Default 300. */
  maxDetections?: number;
  /** One pass over all boxes regardless of class (YOLOv5 `agnostic`); output in descending score. Default false. */
  classAgnostic?: boolean;
}

const nmsSchema = z
  .object({
    iouThreshold: z.number({ message: 'iouThreshold is required: a number in 0..1, e.g. 0.45' }).min(0).max(1),
    kind: z.enum(['greedy', 'diou'], { message: "kind is 'greedy' or 'diou'" }).default('greedy'),
    beta: z.number().positive('beta must be > 0 (Darknet beta_nms, default 0.6)').default(0.6),
    scoreThreshold: z.number().default(-Infinity),
    maxDetections: z.number().int().positive('maxDetections must be a positive integer, e.g. 300').default(300),
    classAgnostic: z.boolean().default(false),
  })
  .strict();

/** Boxes as `number[][]` (voc rows) or one flat n×4 voc array. */
export type NmsBoxes = ArrayLike<number>[] | Float32Array | Float64Array;

/**
 * Non-maximum suppression of voc boxes (pixels), class by class (SPEC §9, §14).
 * @param boxes n boxes `[x1, y1, x2, y2]`, or a flat n×4 array.
 * @param scores n confidences.
 * @param classes n class ids (integers).
 * @returns kept indices into the inputs: classes ascending, each class in descending
 *   score, ties by lower index (with `classAgnostic`, all in descending score).
 * @example nms([[0,0,10,10],[1,0,11,10],[20,20,30,30]], [0.9,0.8,0.7], [0,0,0], { iouThreshold: 0.5 }) // [0, 2]
 */
export function nms(boxes: NmsBoxes, scores: ArrayLike<number>, classes: ArrayLike<number>, options: NmsOptions): number[] {
  const o = validate(nmsSchema, options, 'nms()');
  const flat = boxes instanceof Float32Array || boxes instanceof Float64Array;
  const n = flat ? boxes.length / 4 : boxes.length;
  if (!Number.isInteger(n)) throw new TypeError('nms(): a flat boxes array holds n×4 numbers');
  if (scores.length !== n || classes.length !== n) {
    throw new TypeError(`nms(): ${n} boxes need ${n} scores and ${n} classes, got ${scores.length} and ${classes.length}`);
  }
  const b = new Float64Array(n * 4);
  if (flat) b.set(boxes);
  else {
    for (let i = 0; i < n; i++) {
      const r = (boxes as ArrayLike<number>[])[i]!;
      if (r.length !== 4) throw new TypeError(`nms(): box ${i} has ${r.length} numbers, a voc box has 4`);
      b[i * 4] = r[0]!; b[i * 4 + 1] = r[1]!; b[i * 4 + 2] = r[2]!; b[i * 4 + 3] = r[3]!;
    }
  }
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) area[i] = (b[i * 4 + 2]! - b[i * 4]!) * (b[i * 4 + 3]! - b[i * 4 + 1]!);

  // All candidates in descending score (ties: lower index), each compared only with the
  // kept boxes of its own class. This order is also maxDetections' ranking, so once that
  // many are kept no later candidate could make the cut and the loop stops.
  const cand: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i]! > o.scoreThreshold) cand.push(i);
  cand.sort((i, j) => scores[j]! - scores[i]! || i - j);

  const diou = o.kind === 'diou';
  const beta = o.beta;
  const thr = o.iouThreshold;
  const keptByClass = new Map<number, number[]>();
  let total = 0;
  for (let c = 0; c < cand.length && total < o.maxDetections; c++) {
    const j = cand[c]!;
    const cj = o.classAgnostic ? 0 : classes[j]!;
    let kept = keptByClass.get(cj);
    if (!kept) keptByClass.set(cj, (kept = []));
    const jx1 = b[j * 4]!, jy1 = b[j * 4 + 1]!, jx2 = b[j * 4 + 2]!, jy2 = b[j * 4 + 3]!;
    let suppressed = false;
    for (let k = 0; k < kept.length; k++) {
      const i = kept[k]!;
      const ix1 = b[i * 4]!, iy1 = b[i * 4 + 1]!, ix2 = b[i * 4 + 2]!, iy2 = b[i * 4 + 3]!;
      // disjoint boxes: IoU 0, and the DIoU term only lowers it, so no threshold ≥ 0 is passed
      const iw = Math.min(ix2, jx2) - Math.max(ix1, jx1);
      if (iw <= 0) continue;
      const ih = Math.min(iy2, jy2) - Math.max(iy1, jy1);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const union = area[i]! + area[j]! - inter;
      if (union <= 0) continue;
      let m = inter / union;
      if (m <= thr) continue;
      if (diou) {
        const cw = Math.max(ix2, jx2) - Math.min(ix1, jx1);
        const ch = Math.max(iy2, jy2) - Math.min(iy1, jy1);
        const c2 = cw * cw + ch * ch;
        if (c2 > 0) {
          const dx = (ix1 + ix2) / 2 - (jx1 + jx2) / 2;
          const dy = (iy1 + iy2) / 2 - (jy1 + jy2) / 2;
          m -= Math.pow((dx * dx + dy * dy) / c2, beta);
        }
      }
      if (m > thr) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) {
      kept.push(j);
      total++;
    }
  }
  // classes ascending; each list is already in descending score
  return [...keptByClass.keys()].sort((x, y) => x - y).flatMap((k) => keptByClass.get(k)!);
}
