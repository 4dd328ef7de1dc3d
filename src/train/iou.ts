/**
 * Box overlap metrics (SPEC §9, Zheng et al. 2020): IoU, GIoU, DIoU and CIoU on voc boxes
 * `x1,y1,x2,y2`, in three forms that compute the same formula:
 * - {@link boxIoU}: one pair of `number[]` boxes, float64 (the SPEC §14 export);
 * - {@link boxIoUBatch}: n aligned pairs of flat n×4 typed arrays → `Float32Array` n;
 * - {@link boxIoUTensor}: tfjs tensors `[..., 4]` → `[...]`, differentiable, for the box loss.
 *
 * The formula is YOLOv5's `bbox_iou` (v7.0, `xywh=False`, eps 1e-7), eps placed exactly
 * where YOLOv5 places it, so a loss built on it matches YOLOv5's to 1e-6:
 * ```
 * w = x2 − x1;  h = max(y2 − y1, eps)              (only heights are clamped)
 * inter = max(min(ax2,bx2) − max(ax1,bx1), 0) · max(min(ay2,by2) − max(ay1,by1), 0)
 * union = wa·ha + wb·hb − inter + eps;   iou = inter / union
 * cw = max(ax2,bx2) − min(ax1,bx1);      ch = max(ay2,by2) − min(ay1,by1)
 * giou = iou − (cw·ch + eps − union) / (cw·ch + eps)
 * c2 = cw² + ch² + eps;  rho2 = ((bx1 + bx2 − ax1 − ax2)² + (by1 + by2 − ay1 − ay2)²) / 4
 * diou = iou − rho2 / c2
 * v = 4/π² · (atan(wb/hb) − atan(wa/ha))²;  alpha = v / (v − iou + (1 + eps))
 * ciou = iou − (rho2 / c2 + v · alpha)
 * ```
 * Every metric is symmetric in (a, b). The box loss is `1 − metric`. Degenerate inputs
 * behave as YOLOv5's: e.g. two zero-height boxes on one line have GIoU 20, because the
 * enclosing area is only eps; boxes that survive the hygiene rule (SPEC §1) never get there.
 * NMS uses its own plain IoU (Darknet's, no eps): see `nms.ts`.
 */
import * as tf from '@tensorflow/tfjs';

/** Which overlap metric: plain IoU, generalised, distance or complete IoU (SPEC §9). */
export type IoUKind = 'iou' | 'giou' | 'diou' | 'ciou';

/** YOLOv5's `bbox_iou` eps. */
export const IOU_EPS = 1e-7;

const FOUR_OVER_PI2 = 4 / (Math.PI * Math.PI);
const KINDS: readonly IoUKind[] = ['iou', 'giou', 'diou', 'ciou'];

function checkKind(kind: IoUKind, where: string): void {
  if (!KINDS.includes(kind)) throw new TypeError(`${where}: kind must be one of ${KINDS.join(', ')}, got ${String(kind)}`);
}

// The one scalar implementation, shared by boxIoU and boxIoUBatch so that they cannot drift.
function metric(
  ax1: number, ay1: number, ax2: number, ay2: number,
  bx1: number, by1: number, bx2: number, by2: number,
  kind: IoUKind,
): number {
  const eps = IOU_EPS;
  const wa = ax2 - ax1;
  const ha = Math.max(ay2 - ay1, eps);
  const wb = bx2 - bx1;
  const hb = Math.max(by2 - by1, eps);
  const inter = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0) * Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
  const union = wa * ha + wb * hb - inter + eps;
  const iou = inter / union;
  if (kind === 'iou') return iou;
  const cw = Math.max(ax2, bx2) - Math.min(ax1, bx1);
  const ch = Math.max(ay2, by2) - Math.min(ay1, by1);
  if (kind === 'giou') {
    const cArea = cw * ch + eps;
    return iou - (cArea - union) / cArea;
  }
  const c2 = cw * cw + ch * ch + eps;
  const dx = bx1 + bx2 - ax1 - ax2;
  const dy = by1 + by2 - ay1 - ay2;
  const rho2 = (dx * dx + dy * dy) / 4;
  if (kind === 'diou') return iou - rho2 / c2;
  const da = Math.atan(wb / hb) - Math.atan(wa / ha);
  const v = FOUR_OVER_PI2 * da * da;
  const alpha = v / (v - iou + (1 + eps));
  return iou - (rho2 / c2 + v * alpha);
}

/**
 * The overlap metric of two voc boxes `[x1, y1, x2, y2]` (pixels), as YOLOv5's `bbox_iou`
 * (eps 1e-7), in float64. SPEC §9, §14.
 * @example boxIoU([0, 0, 100, 100], [25, 25, 75, 75], 'iou') // 0.2499999999975
 */
export function boxIoU(a: ArrayLike<number>, b: ArrayLike<number>, kind: IoUKind = 'iou'): number {
  checkKind(kind, 'boxIoU()');
  if (a.length !== 4 || b.length !== 4) throw new TypeError('boxIoU(): boxes are [x1, y1, x2, y2] (voc, 4 numbers each)');
  return metric(a[0]!, a[1]!, a[2]!, a[3]!, b[0]!, b[1]!, b[2]!, b[3]!, kind);
}

/**
 * The metric of n aligned pairs: box i of `a` with box i of `b`, both flat n×4 voc arrays
 * (e.g. a sample's `boxes`). Computed in float64, stored as float32.
 * @param out where to write the n results (allocated when omitted).
 */
export function boxIoUBatch(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  kind: IoUKind = 'iou',
  out?: Float32Array,
): Float32Array {
  checkKind(kind, 'boxIoUBatch()');
  if (a.length % 4 !== 0 || a.length !== b.length) {
    throw new TypeError(`boxIoUBatch(): a and b are flat n×4 arrays of the same length, got ${a.length} and ${b.length}`);
  }
  const n = a.length / 4;
  const res = out ?? new Float32Array(n);
  if (res.length < n) throw new TypeError(`boxIoUBatch(): out holds ${res.length} values, needs ${n}`);
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    res[i] = metric(a[k]!, a[k + 1]!, a[k + 2]!, a[k + 3]!, b[k]!, b[k + 1]!, b[k + 2]!, b[k + 3]!, kind);
  }
  return res;
}

// YOLOv5 computes CIoU's alpha under torch.no_grad(): alpha is a weight, not a path for
// the gradient. tfjs has no stopGradient op; customGrad with a zero gradient is one, and
// it runs on every backend.
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * The metric of voc boxes held in tfjs tensors `[..., 4]` (shapes broadcast against each
 * other), returned with the last axis dropped. Same formula as {@link boxIoU}, in the
 * tensors' float32, built from portable ops only (cpu, wasm, webgl, node) inside
 * `tf.tidy`, and differentiable: the CIoU loss is `1 − boxIoUTensor(pred, target, 'ciou')`.
 * As in YOLOv5, CIoU's alpha carries no gradient.
 */
export function boxIoUTensor(a: tf.Tensor, b: tf.Tensor, kind: IoUKind = 'iou'): tf.Tensor {
  checkKind(kind, 'boxIoUTensor()');
  if (a.shape[a.rank - 1] !== 4 || b.shape[b.rank - 1] !== 4) {
    throw new TypeError(`boxIoUTensor(): tensors end in a 4 axis (x1, y1, x2, y2), got [${a.shape}] and [${b.shape}]`);
  }
  return tf.tidy(() => {
    const eps = tf.scalar(IOU_EPS);
    const [ax1, ay1, ax2, ay2] = tf.split(a, 4, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [bx1, by1, bx2, by2] = tf.split(b, 4, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const wa = tf.sub(ax2, ax1);
    const ha = tf.maximum(tf.sub(ay2, ay1), eps);
    const wb = tf.sub(bx2, bx1);
    const hb = tf.maximum(tf.sub(by2, by1), eps);
    const iw = tf.relu(tf.sub(tf.minimum(ax2, bx2), tf.maximum(ax1, bx1)));
    const ih = tf.relu(tf.sub(tf.minimum(ay2, by2), tf.maximum(ay1, by1)));
    const inter = tf.mul(iw, ih);
    const union = tf.add(tf.sub(tf.add(tf.mul(wa, ha), tf.mul(wb, hb)), inter), eps);
    const iou = tf.div(inter, union);
    let m: tf.Tensor;
    if (kind === 'iou') {
      m = iou;
    } else {
      const cw = tf.sub(tf.maximum(ax2, bx2), tf.minimum(ax1, bx1));
      const ch = tf.sub(tf.maximum(ay2, by2), tf.minimum(ay1, by1));
      if (kind === 'giou') {
        const cArea = tf.add(tf.mul(cw, ch), eps);
        m = tf.sub(iou, tf.div(tf.sub(cArea, union), cArea));
      } else {
        const c2 = tf.add(tf.add(tf.square(cw), tf.square(ch)), eps);
        const dx = tf.sub(tf.add(bx1, bx2), tf.add(ax1, ax2));
        const dy = tf.sub(tf.add(by1, by2), tf.add(ay1, ay2));
        const rho2 = tf.div(tf.add(tf.square(dx), tf.square(dy)), 4);
        const dTerm = tf.div(rho2, c2);
        if (kind === 'diou') {
          m = tf.sub(iou, dTerm);
        } else {
          const da = tf.sub(tf.atan(tf.div(wb, hb)), tf.atan(tf.div(wa, ha)));
          const v = tf.mul(tf.square(da), FOUR_OVER_PI2);
          const alpha = stopGradient(tf.div(v, tf.add(tf.sub(v, iou), 1 + IOU_EPS)));
          m = tf.sub(iou, tf.add(dTerm, tf.mul(v, alpha)));
        }
      }
    }
    return tf.reshape(m, m.shape.slice(0, -1));
  });
}
