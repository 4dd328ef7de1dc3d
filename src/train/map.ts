/**
 * COCO mean average precision of box detections (SPEC §13, §14): pycocotools' `COCOeval`
 * for `iouType='bbox'`, area range "all", computed the same way step by step so that the
 * numbers agree with pycocotools to floating-point rounding.
 *
 * Per (image, class):
 * - detections sorted by descending score (ties: input order), at most `maxDets` (100) kept;
 *   like pycocotools the cap is per image *and class* (YOLOv5 caps detections per image
 *   across classes in its NMS, `max_det` 300, before evaluating);
 * - ground truths with `iscrowd`, with `ignore`, or whose area is outside `areaRange`
 *   are "ignored"; they are put after the others (stable);
 * - IoU of a detection with a crowd gt is intersection / detection area;
 * - for each IoU threshold t, detections in score order take, among the gts not yet
 *   matched (crowd gts may be matched any number of times), the one of highest IoU ≥ t
 *   (ties: the later gt); a detection that already holds a regular gt stops before the
 *   ignored ones, so it prefers any regular match. A detection matched to an ignored gt,
 *   or unmatched with an area outside `areaRange`, counts neither as TP nor as FP.
 * Per class, over all images: detections by descending score (ties: image order, then the
 * order above), cumulative TP/FP; recall = TP / (non-ignored gts), precision =
 * TP / (TP + FP + 2⁻⁵²); precision made non-increasing from the right; AP at threshold t is
 * the mean over the 101 recall points 0, 0.01, …, 1 of the precision at the first rank whose
 * recall reaches the point (0 beyond the last recall). A class's AP is the mean over the
 * thresholds 0.50:0.05:0.95; a class without a non-ignored gt gets −1 and is left out of
 * the means (pycocotools' −1). `map` is the mean AP over classes, `map50`/`map75` the same
 * at IoU 0.5/0.75; all are −1 when no class has a gt.
 *
 * Images are those named by any gt or detection (a detection on an image with no gt is a
 * false positive), in ascending id order; classes are all class ids seen, ascending.
 * pycocotools differences kept out: its `ignore` flag is overwritten by `iscrowd` (here both
 * count), and its gt area is the annotation's `area` field (here `area`, else box w·h).
 */
import { z } from 'zod';
import { validate } from '../stream/options.ts';

/** One ground-truth box (voc `[x1, y1, x2, y2]` pixels). */
export interface MapGroundTruth {
  imageId: number | string;
  classId: number;
  box: ArrayLike<number>;
  /** A crowd region: matches count as neither TP nor FP, IoU = intersection / detection area. */
  iscrowd?: boolean | number;
  /** An ignored object: matches count as neither TP nor FP (plain IoU). */
  ignore?: boolean | number;
  /** Object area for the area range (COCO's segmentation area); default the box's w·h. */
  area?: number;
}

/** One detection (voc `[x1, y1, x2, y2]` pixels). */
export interface MapDetection {
  imageId: number | string;
  classId: number;
  score: number;
  box: ArrayLike<number>;
}

/** Options of {@link evaluateMap}; the defaults are COCO's. */
export interface MapOptions {
  /** Detections kept per image and class, highest scores first. Default 100. */
  maxDets?: number;
  /** IoU thresholds. Default 0.50:0.05:0.95 (numpy linspace values). */
  iouThresholds?: number[];
  /** Object area range `[lo, hi]` (pixels²); objects outside are ignored. Default `[0, 1e10]` (COCO "all"). */
  areaRange?: [number, number];
}

/** Per-class result; AP values are −1 for a class without a non-ignored gt. */
export interface MapClassResult {
  classId: number;
  /** AP@[.5:.95]. */
  ap: number;
  /** AP@.5. */
  ap50: number;
  /** AP@.75. */
  ap75: number;
  /** Non-ignored ground truths of the class. */
  gtCount: number;
}

/** Result of {@link evaluateMap}. */
export interface MapResult {
  /** mAP@[.5:.95] (pycocotools `stats[0]`). */
  map: number;
  /** mAP@.5 (`stats[1]`). */
  map50: number;
  /** mAP@.75 (`stats[2]`). */
  map75: number;
  /** Every class seen, ascending id. */
  perClass: MapClassResult[];
}

/** COCO IoU thresholds, bit-identical to pycocotools' `np.linspace(.5, .95, 10)`. */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5));

// np.linspace(0, 1, 101): i·0.01, last exactly 1
const REC_THRS = Float64Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));
const R = REC_THRS.length;
const SPACING_1 = 2.220446049250313e-16; // np.spacing(1)

const mapSchema = z
  .object({
    maxDets: z.number().int().positive('maxDets must be a positive integer (COCO: 100)').default(100),
    iouThresholds: z.array(z.number().min(0).max(1)).min(1, 'iouThresholds needs at least one threshold').optional(),
    areaRange: z.tuple([z.number(), z.number()]).default([0, 1e10]),
  })
  .strict();

function compareIds(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function boxOf(x: MapGroundTruth | MapDetection, what: string, i: number): ArrayLike<number> {
  const b = x.box;
  if (!b || b.length !== 4) throw new TypeError(`evaluateMap(): ${what}[${i}].box must be [x1, y1, x2, y2] (voc pixels)`);
  if (typeof x.imageId !== 'number' && typeof x.imageId !== 'string') throw new TypeError(`evaluateMap(): ${what}[${i}].imageId must be a number or a string`);
  if (!Number.isFinite(x.classId)) throw new TypeError(`evaluateMap(): ${what}[${i}].classId must be a finite number`);
  return b;
}

// Stable counting sort of `order` by `key[i]` in 0..n−1.
function countingSort(order: Int32Array, key: Int32Array | Uint8Array, n: number): Int32Array {
  const start = new Int32Array(n + 1);
  for (let i = 0; i < order.length; i++) start[key[order[i]!]! + 1]!++;
  for (let k = 0; k < n; k++) start[k + 1]! += start[k]!;
  const out = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const j = order[i]!;
    out[start[key[j]!]!++] = j;
  }
  return out;
}

/**
 * COCO box mAP (pycocotools `COCOeval`, bbox, area all, 101-point interpolation, IoU
 * 0.50:0.05:0.95, 100 detections per image and class). SPEC §13, §14.
 * @example evaluateMap([{ imageId: 1, classId: 0, box: [0, 0, 10, 10] }],
 *   [{ imageId: 1, classId: 0, score: 0.9, box: [0, 0, 10, 10] }]) // map 1, map50 1, map75 1
 */
export function evaluateMap(
  groundTruth: readonly MapGroundTruth[],
  detections: readonly MapDetection[],
  options?: MapOptions,
): MapResult {
  const o = validate(mapSchema, options, 'evaluateMap()');
  const thrs = o.iouThresholds ?? COCO_IOU_THRESHOLDS;
  const T = thrs.length;
  const [areaLo, areaHi] = o.areaRange;
  const maxDets = o.maxDets;

  // --- index images and classes -------------------------------------------------------
  const imageSet = new Map<number | string, number>();
  const classSet = new Map<number, number>();
  for (const g of groundTruth) { imageSet.set(g.imageId, 0); classSet.set(g.classId, 0); }
  for (const d of detections) { imageSet.set(d.imageId, 0); classSet.set(d.classId, 0); }
  const imageIds = [...imageSet.keys()].sort(compareIds);
  imageIds.forEach((id, i) => imageSet.set(id, i));
  const classIds = [...classSet.keys()].sort((a, b) => a - b);
  classIds.forEach((id, i) => classSet.set(id, i));
  const nImg = imageIds.length;
  const K = classIds.length;

  // --- flatten ground truths -----------------------------------------------------------
  const nG = groundTruth.length;
  const gBox = new Float64Array(nG * 4);
  const gCls = new Int32Array(nG);
  const gImg = new Int32Array(nG);
  const gIg = new Uint8Array(nG);
  const gCrowd = new Uint8Array(nG);
  for (let i = 0; i < nG; i++) {
    const g = groundTruth[i]!;
    const b = boxOf(g, 'groundTruth', i);
    gBox[i * 4] = b[0]!; gBox[i * 4 + 1] = b[1]!; gBox[i * 4 + 2] = b[2]!; gBox[i * 4 + 3] = b[3]!;
    gCls[i] = classSet.get(g.classId)!;
    gImg[i] = imageSet.get(g.imageId)!;
    gCrowd[i] = g.iscrowd ? 1 : 0;
    const area = g.area ?? (b[2]! - b[0]!) * (b[3]! - b[1]!);
    gIg[i] = g.iscrowd || g.ignore || area < areaLo || area > areaHi ? 1 : 0;
  }
  // (class, image, ignored last, input order): stable counting sorts, least significant first
  let gOrder: Int32Array = Int32Array.from({ length: nG }, (_, i) => i);
  gOrder = countingSort(countingSort(countingSort(gOrder, gIg, 2), gImg, nImg), gCls, K);

  // --- flatten detections --------------------------------------------------------------
  const nD = detections.length;
  const dBox = new Float64Array(nD * 4);
  const dCls = new Int32Array(nD);
  const dImg = new Int32Array(nD);
  const dScore = new Float64Array(nD);
  for (let i = 0; i < nD; i++) {
    const d = detections[i]!;
    const b = boxOf(d, 'detections', i);
    if (typeof d.score !== 'number' || Number.isNaN(d.score)) throw new TypeError(`evaluateMap(): detections[${i}].score must be a number`);
    dBox[i * 4] = b[0]!; dBox[i * 4 + 1] = b[1]!; dBox[i * 4 + 2] = b[2]!; dBox[i * 4 + 3] = b[3]!;
    dCls[i] = classSet.get(d.classId)!;
    dImg[i] = imageSet.get(d.imageId)!;
    dScore[i] = d.score;
  }
  // One comparison sort: score desc, then image, then input order. Within one (class,
  // image) that is pycocotools' stable sort by score; within one class it is the order of
  // its accumulate step (images concatenated in id order, then a stable sort by score).
  const byScore = Int32Array.from({ length: nD }, (_, i) => i);
  byScore.sort((a, b) => dScore[b]! - dScore[a]! || dImg[a]! - dImg[b]! || a - b);
  const dOrder = countingSort(countingSort(byScore, dImg, nImg), dCls, K); // (class, image, score desc)
  const dAcc = countingSort(byScore, dCls, K); // (class, score desc, image)

  // --- per (class, image): match at every threshold -------------------------------------
  // outcome[det·T + t]: 0 FP, 1 TP, 2 ignored; detections past maxDets are not kept.
  const kept = new Uint8Array(nD);
  const outcome = new Uint8Array(nD * T);
  const npig = new Int32Array(K);
  let ious = new Float64Array(64);
  let gtm = new Uint8Array(64);
  let gi = 0;
  let di = 0;
  const keyOf = (cls: number, img: number) => cls * nImg + img;
  while (gi < nG || di < nD) {
    const kg = gi < nG ? keyOf(gCls[gOrder[gi]!]!, gImg[gOrder[gi]!]!) : Infinity;
    const kd = di < nD ? keyOf(dCls[dOrder[di]!]!, dImg[dOrder[di]!]!) : Infinity;
    const key = Math.min(kg, kd);
    const cls = Math.floor(key / nImg);
    const g0 = gi;
    while (gi < nG && keyOf(gCls[gOrder[gi]!]!, gImg[gOrder[gi]!]!) === key) gi++;
    const d0 = di;
    while (di < nD && keyOf(dCls[dOrder[di]!]!, dImg[dOrder[di]!]!) === key) di++;
    const G = gi - g0;
    const D = Math.min(di - d0, maxDets);
    for (let g = g0; g < gi; g++) if (!gIg[gOrder[g]!]) npig[cls]!++;

    if (ious.length < D * G) ious = new Float64Array(D * G * 2);
    if (gtm.length < G) gtm = new Uint8Array(G * 2);
    for (let d = 0; d < D; d++) {
      const di4 = dOrder[d0 + d]! * 4;
      const dx1 = dBox[di4]!, dy1 = dBox[di4 + 1]!, dx2 = dBox[di4 + 2]!, dy2 = dBox[di4 + 3]!;
      const dArea = (dx2 - dx1) * (dy2 - dy1);
      for (let g = 0; g < G; g++) {
        const gIdx = gOrder[g0 + g]!;
        const gi4 = gIdx * 4;
        let v = 0;
        const w = Math.min(dx2, gBox[gi4 + 2]!) - Math.max(dx1, gBox[gi4]!);
        if (w > 0) {
          const h = Math.min(dy2, gBox[gi4 + 3]!) - Math.max(dy1, gBox[gi4 + 1]!);
          if (h > 0) {
            const inter = w * h;
            const u = gCrowd[gIdx] ? dArea : dArea + (gBox[gi4 + 2]! - gBox[gi4]!) * (gBox[gi4 + 3]! - gBox[gi4 + 1]!) - inter;
            v = inter / u;
          }
        }
        ious[d * G + g] = v;
      }
    }
    for (let t = 0; t < T; t++) {
      gtm.fill(0, 0, G);
      const thr = Math.min(thrs[t]!, 1 - 1e-10);
      for (let d = 0; d < D; d++) {
        let best = thr;
        let m = -1;
        for (let g = 0; g < G; g++) {
          const gIdx = gOrder[g0 + g]!;
          if (gtm[g] && !gCrowd[gIdx]) continue;
          if (m > -1 && !gIg[gOrder[g0 + m]!] && gIg[gIdx]) break;
          const v = ious[d * G + g]!;
          if (v < best) continue;
          best = v;
          m = g;
        }
        let out: number;
        if (m === -1) {
          const di4 = dOrder[d0 + d]! * 4;
          const dArea = (dBox[di4 + 2]! - dBox[di4]!) * (dBox[di4 + 3]! - dBox[di4 + 1]!);
          out = dArea < areaLo || dArea > areaHi ? 2 : 0;
        } else {
          gtm[m] = 1;
          out = gIg[gOrder[g0 + m]!] ? 2 : 1;
        }
        outcome[dOrder[d0 + d]! * T + t] = out;
      }
    }
    for (let d = 0; d < D; d++) kept[dOrder[d0 + d]!] = 1;
  }

  // --- per class: precision envelope and 101-point AP -----------------------------------
  const t50 = thrs.indexOf(0.5);
  const t75 = thrs.indexOf(0.75);
  const perClass: MapClassResult[] = [];
  let sumAll = 0, sum50 = 0, sum75 = 0, valid = 0;
  let rc = new Float64Array(64);
  let pr = new Float64Array(64);
  let ord = new Int32Array(64);
  let a0 = 0;
  for (let k = 0; k < K; k++) {
    // this class's kept detections in accumulate order
    let nd = 0;
    while (a0 < nD && dCls[dAcc[a0]!] === k) {
      const i = dAcc[a0++]!;
      if (!kept[i]) continue;
      if (nd === ord.length) { const o2 = new Int32Array(nd * 2); o2.set(ord); ord = o2; }
      ord[nd++] = i;
    }
    if (npig[k] === 0) {
      perClass.push({ classId: classIds[k]!, ap: -1, ap50: -1, ap75: -1, gtCount: 0 });
      continue;
    }
    if (rc.length < nd) { rc = new Float64Array(nd * 2); pr = new Float64Array(nd * 2); }
    const apT = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      let tp = 0, fp = 0;
      for (let i = 0; i < nd; i++) {
        const out = outcome[ord[i]! * T + t];
        if (out === 1) tp++;
        else if (out === 0) fp++;
        rc[i] = tp / npig[k]!;
        pr[i] = tp / (fp + tp + SPACING_1);
      }
      for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
      let q = 0;
      let p = 0;
      for (let r = 0; r < R; r++) {
        while (p < nd && rc[p]! < REC_THRS[r]!) p++;
        if (p >= nd) break;
        q += pr[p]!;
      }
      apT[t] = q;
    }
    let tot = 0;
    for (let t = 0; t < T; t++) tot += apT[t]!;
    sumAll += tot;
    const a50 = t50 >= 0 ? apT[t50]! / R : NaN;
    const a75 = t75 >= 0 ? apT[t75]! / R : NaN;
    sum50 += a50;
    sum75 += a75;
    valid++;
    perClass.push({ classId: classIds[k]!, ap: tot / (T * R), ap50: a50, ap75: a75, gtCount: npig[k]! });
  }
  if (valid === 0) return { map: -1, map50: -1, map75: -1, perClass };
  return { map: sumAll / (T * R * valid), map50: sum50 / valid, map75: sum75 / valid, perClass };
}
