"""Reference numbers for test/loss.test.ts (SPEC §7–§9, §15 grid sensitivity).

Our own float64 numpy re-statement of the loss that src/train/loss.ts documents, written from
the behaviour YOLOv5's ComputeLoss (v7.0) and Darknet's yolo layer describe, not from their code:

- Decode, per layer, in grid cells relative to the slot's own cell:
  xy = s * sigmoid(t_xy) - (s - 1) / 2          (grid sensitivity, s = scaleXY of the layer)
  wh = exp(min(t_wh, 8)) * anchor / stride       ('darknet')
  wh = (2 * sigmoid(t_wh))**2 * anchor / stride  ('yolov5')
  target: cx / stride - cellX, cy / stride - cellY, w / stride, h / stride.
- The box metric is YOLOv5's bbox_iou (eps 1e-7), as in src/train/iou.ts.
- Positive slot: objectness 1 and weight w > 0. Ignore: objectness -1, or objectness 1 with w = 0.
- Per layer l:
  box_l = sum_pos w (1 - metric) / sum_pos w                       (0 without positives)
  cls_l = sum_pos w sum_c BCE(x_c, z_c) / (C sum_pos w)            (0 when C = 1, as YOLOv5)
  obj_l = sum_slots m BCE(x_obj, z_obj) / sum_slots m,  m = 1 negative, w positive, 0 ignore;
          z_obj = (1 - gr) + gr * max(metric, 0) on positives, 0 elsewhere.
- box = g_box * sum box_l, objectness = g_obj * sum balance_l obj_l, classes = g_cls * sum cls_l,
  with (scaleGains) g_box = 0.05 * 3/nl, g_cls = 0.5 * C/80 * 3/nl,
  g_obj = 1.0 * (W*H / 640^2) * 3/nl. total = box + objectness + classes (times B if asked).
- BCE(x, z) = max(x, 0) - x z + log(1 + exp(-|x|)).

Inputs are rounded to float32 first (what the tfjs tensors hold); the arithmetic is float64.
Gradients: central differences in float64; for CIoU with alpha frozen at its value (YOLOv5
computes alpha under no_grad, so autograd treats it as a constant).

Run: /usr/bin/python3 test/reference/loss.py  (CI never runs it; the numbers are in the tests.)
"""
import math
import numpy as np

EPS = 1e-7
f32 = lambda v: float(np.float32(v))


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def bce(x, z):
    return max(x, 0.0) - x * z + math.log1p(math.exp(-abs(x)))


def metric(a, b, kind, alpha=None):
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    wa, ha = ax2 - ax1, max(ay2 - ay1, EPS)
    wb, hb = bx2 - bx1, max(by2 - by1, EPS)
    inter = max(min(ax2, bx2) - max(ax1, bx1), 0) * max(min(ay2, by2) - max(ay1, by1), 0)
    union = wa * ha + wb * hb - inter + EPS
    iou = inter / union
    if kind == 'iou':
        return iou
    cw = max(ax2, bx2) - min(ax1, bx1)
    ch = max(ay2, by2) - min(ay1, by1)
    if kind == 'giou':
        c_area = cw * ch + EPS
        return iou - (c_area - union) / c_area
    c2 = cw * cw + ch * ch + EPS
    rho2 = ((bx1 + bx2 - ax1 - ax2) ** 2 + (by1 + by2 - ay1 - ay2) ** 2) / 4
    if kind == 'diou':
        return iou - rho2 / c2
    v = 4 / math.pi ** 2 * (math.atan(wb / hb) - math.atan(wa / ha)) ** 2
    if alpha is None:
        alpha = v / (v - iou + (1 + EPS))
    return iou - (rho2 / c2 + v * alpha)


def ciou_alpha(a, b):
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    wa, ha = ax2 - ax1, max(ay2 - ay1, EPS)
    wb, hb = bx2 - bx1, max(by2 - by1, EPS)
    iou = metric(a, b, 'iou')
    v = 4 / math.pi ** 2 * (math.atan(wb / hb) - math.atan(wa / ha)) ** 2
    return v / (v - iou + (1 + EPS))


def raw_values(shape, layer):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return np.float32(1.5 * np.sin(0.37 * i + 0.11 + layer)).astype(np.float64).reshape(shape)


def pred_box(t, s, anchor, stride, wh):
    px = s * sigmoid(t[0]) - (s - 1) / 2
    py = s * sigmoid(t[1]) - (s - 1) / 2
    if wh == 'darknet':
        pw = math.exp(min(t[2], 8.0)) * anchor[0] / stride
        ph = math.exp(min(t[3], 8.0)) * anchor[1] / stride
    else:
        pw = (2 * sigmoid(t[2])) ** 2 * anchor[0] / stride
        ph = (2 * sigmoid(t[3])) ** 2 * anchor[1] / stride
    return [px - pw / 2, py - ph / 2, px + pw / 2, py + ph / 2]


def target_box(g, x, y, stride):
    cx, cy, w, h = g[0] / stride - x, g[1] / stride - y, g[2] / stride, g[3] / stride
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def loss(raws, targets, layers, opts, frozen_alpha=None):
    """raws[l]: [B,H,W,A,5+C]; targets[l]: [B,H,W,A,6+C]; layers[l] = (stride, anchors)."""
    nl = len(raws)
    C = raws[0].shape[-1] - 5
    B = raws[0].shape[0]
    kind, wh, gr = opts['kind'], opts['wh'], opts.get('gr', 0.0)
    scale = opts['scaleXY']
    balance = opts.get('balance', [1.0] * nl)
    W, H = opts.get('imageSize', (raws[0].shape[2] * layers[0][0], raws[0].shape[1] * layers[0][0]))
    g_box = 0.05 * 3 / nl
    g_cls = 0.5 * C / 80 * 3 / nl
    g_obj = 1.0 * (W * H / 640 ** 2) * 3 / nl
    lbox = lobj = lcls = 0.0
    alphas = {}
    for l in range(nl):
        raw, tg = raws[l], targets[l]
        stride, anchors = layers[l]
        _, GH, GW, A, _ = raw.shape
        sb = sw = so = sm = sc = 0.0
        for b in range(B):
            for y in range(GH):
                for x in range(GW):
                    for a in range(A):
                        t, g = raw[b, y, x, a], tg[b, y, x, a]
                        obj, w = g[4], g[5]
                        if obj < -0.5 or (obj > 0.5 and w <= 0):
                            continue
                        if obj > 0.5:
                            p = pred_box(t, scale[l], anchors[a], stride, wh)
                            q = target_box(g, x, y, stride)
                            key = (l, b, y, x, a)
                            al = None
                            if kind == 'ciou' and frozen_alpha is not None:
                                al = frozen_alpha[key]
                            alphas[key] = ciou_alpha(p, q)
                            m = metric(p, q, kind, al)
                            sb += w * (1 - m)
                            sw += w
                            if C > 1:
                                sc += w * sum(bce(t[5 + c], g[6 + c]) for c in range(C)) / C
                            zo = (1 - gr) + gr * max(m, 0.0)
                            so += w * bce(t[4], zo)
                            sm += w
                        else:
                            so += bce(t[4], 0.0)
                            sm += 1
        if sw > 0:
            lbox += sb / sw
            lcls += sc / sw
        lobj += balance[l] * so / sm
    box, objectness, classes = g_box * lbox, g_obj * lobj, g_cls * lcls
    total = box + objectness + classes
    if opts.get('multiplyByBatch'):
        total *= B
    return dict(total=total, box=box, objectness=objectness, classes=classes), alphas


def make_targets(shapes, slots, C):
    ts = [np.zeros(s[:4] + (6 + C,), dtype=np.float64) for s in shapes]
    for (l, b, y, x, a), vals in slots:
        ts[l][b, y, x, a] = [f32(v) for v in vals]
    return ts


LAYERS = [(16, [[10, 14], [23, 27]]), (32, [[37, 58], [81, 82]])]
C = 3

# Case A: one image of 64x64, one positive slot (layer 0), one ignore slot, layer 1 all negative.
A_SHAPES = [(1, 4, 4, 2, 5 + C), (1, 2, 2, 2, 5 + C)]
A_SLOTS = [
    ((0, 0, 1, 2, 1), [41.3, 22.7, 120.0, 30.4, 1, 0.7, 0.05, 0.95, 0.05]),
    ((0, 0, 3, 0, 0), [8, 56, 12, 10, -1, 0, 0, 0, 0]),
]
# Case B: two images, four positives (one in a neighbour cell, as wh-ratio assigns), two ignores.
B_SHAPES = [(2, 4, 4, 2, 5 + C), (2, 2, 2, 2, 5 + C)]
B_SLOTS = [
    ((0, 0, 1, 2, 1), [41.3, 22.7, 120.0, 30.4, 1, 0.7, 0.05, 0.95, 0.05]),
    ((0, 0, 1, 3, 1), [41.3, 22.7, 120.0, 30.4, 1, 0.7, 0.05, 0.95, 0.05]),
    ((0, 1, 0, 0, 0), [6.5, 9.1, 11.0, 15.2, 1, 0.3, 0, 0, 1]),
    ((1, 1, 1, 0, 1), [20.4, 47.9, 70.3, 77.1, 1, 1.0, 0, 1, 0]),
    ((0, 0, 3, 0, 0), [8, 56, 12, 10, -1, 0, 0, 0, 0]),
    ((1, 0, 0, 1, 0), [40, 10, 20, 12, -1, 0, 0, 0, 0]),
]


def fmt(d):
    return '{ ' + ', '.join(f'{k}: {v:.9g}' for k, v in d.items()) + ' }'


def main():
    raws_a = [raw_values(s, l) for l, s in enumerate(A_SHAPES)]
    tg_a = make_targets(A_SHAPES, A_SLOTS, C)
    print('Case A (scaleXY [1.2, 1.1] for darknet, default 2 for yolov5):')
    for wh in ['darknet', 'yolov5']:
        for kind in ['iou', 'giou', 'diou', 'ciou']:
            s = [1.2, 1.1] if wh == 'darknet' else [2.0, 2.0]
            r, _ = loss(raws_a, tg_a, LAYERS, dict(kind=kind, wh=wh, scaleXY=s))
            print(f'  {wh} {kind}: {fmt(r)}')

    raws_b = [raw_values(s, l) for l, s in enumerate(B_SHAPES)]
    tg_b = make_targets(B_SHAPES, B_SLOTS, C)
    print('Case B (ciou, gr 0.5, balance [4, 1], imageSize 320, multiplyByBatch):')
    for wh in ['darknet', 'yolov5']:
        s = [1.2, 1.1] if wh == 'darknet' else [2.0, 2.0]
        r, _ = loss(raws_b, tg_b, LAYERS, dict(kind='ciou', wh=wh, scaleXY=s, gr=0.5, balance=[4.0, 1.0],
                                                imageSize=(320, 320), multiplyByBatch=True))
        print(f'  {wh}: {fmt(r)}')

    # Gradients of case A's total w.r.t. layer 0's raw values at the positive slot (8 channels),
    # the objectness of a negative slot (0,0,0,0) and of the ignore slot (3,0,0).
    print('Case A gradients, darknet, layer 0 (positive slot channels 0..7; negative obj; ignore obj):')
    for kind in ['diou', 'ciou']:
        opts = dict(kind=kind, wh='darknet', scaleXY=[1.2, 1.1])
        _, alphas = loss(raws_a, tg_a, LAYERS, opts)
        frozen = alphas if kind == 'ciou' else None
        h = 1e-6
        cells = [(0, 1, 2, 1, c) for c in range(8)] + [(0, 0, 0, 0, 4), (0, 3, 0, 0, 4)]
        grads = []
        for idx in cells:
            plus = [r.copy() for r in raws_a]
            minus = [r.copy() for r in raws_a]
            plus[0][idx] += h
            minus[0][idx] -= h
            lp, _ = loss(plus, tg_a, LAYERS, opts, frozen)
            lm, _ = loss(minus, tg_a, LAYERS, opts, frozen)
            grads.append((lp['total'] - lm['total']) / (2 * h))
        print(f'  {kind}: [' + ', '.join(f'{g:.9g}' for g in grads) + ']')

    # Binary smoothing (eps 0.1) on its own: mean BCE of logits [1.5, -0.5, 2] against [0.95, 0.05, 0.05].
    x, z = [1.5, -0.5, 2.0], [0.95, 0.05, 0.05]
    print('smoothed BCE mean:', f'{sum(bce(f32(a), f32(b)) for a, b in zip(x, z)) / 3:.9g}')


if __name__ == '__main__':
    main()
