"""Reference numbers for test/iou-nms.test.ts (SPEC §9). Run: /usr/bin/python3 test/reference/iou_nms.py

Box metrics: written from the documented behaviour of YOLOv5 `utils/metrics.py bbox_iou`
(v7.0, xywh=False, eps=1e-7), in float64:
  w = x2 - x1;  h = max(y2 - y1, eps)                      (only the height is clamped)
  inter = max(min(ax2,bx2) - max(ax1,bx1), 0) * max(min(ay2,by2) - max(ay1,by1), 0)
  union = wa*ha + wb*hb - inter + eps;   iou = inter / union
  cw = max(ax2,bx2) - min(ax1,bx1);      ch = max(ay2,by2) - min(ay1,by1)
  giou = iou - (cw*ch + eps - union) / (cw*ch + eps)
  c2 = cw^2 + ch^2 + eps;  rho2 = ((bx1+bx2-ax1-ax2)^2 + (by1+by2-ay1-ay2)^2) / 4
  diou = iou - rho2 / c2
  v = 4/pi^2 * (atan(wb/hb) - atan(wa/ha))^2;  alpha = v / (v - iou + (1 + eps))
  ciou = iou - (rho2 / c2 + v * alpha)

NMS: greedy per class (suppress j against kept i when IoU > thr, IoU = inter/union, 0 when
inter or union is 0, as Darknet `box_iou`) and DIoU-NMS (Darknet `box_diounms`: IoU - (d/c)^beta
with d the squared centre distance and c the squared diagonal of the enclosing box; c == 0 ->
IoU). Random boxes come from the same 32-bit LCG the test implements:
  x <- (1664525 x + 1013904223) mod 2^32,  u = x / 2^32.
"""
import math
import numpy as np

EPS = 1e-7


def bbox_iou(a, b, kind):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    wa, ha = ax2 - ax1, max(ay2 - ay1, EPS)
    wb, hb = bx2 - bx1, max(by2 - by1, EPS)
    inter = max(min(ax2, bx2) - max(ax1, bx1), 0.0) * max(min(ay2, by2) - max(ay1, by1), 0.0)
    union = wa * ha + wb * hb - inter + EPS
    iou = inter / union
    if kind == 'iou':
        return iou
    cw = max(ax2, bx2) - min(ax1, bx1)
    ch = max(ay2, by2) - min(ay1, by1)
    if kind == 'giou':
        c_area = cw * ch + EPS
        return iou - (c_area - union) / c_area
    c2 = cw ** 2 + ch ** 2 + EPS
    rho2 = ((bx1 + bx2 - ax1 - ax2) ** 2 + (by1 + by2 - ay1 - ay2) ** 2) / 4
    if kind == 'diou':
        return iou - rho2 / c2
    v = (4 / math.pi ** 2) * (math.atan(wb / hb) - math.atan(wa / ha)) ** 2
    alpha = v / (v - iou + (1 + EPS))
    return iou - (rho2 / c2 + v * alpha)


PAIRS = [
    ('overlapping', [10, 20, 50, 80], [30, 40, 90, 100]),
    ('overlapping, different aspect', [0, 0, 100, 20], [40, -10, 60, 60]),
    ('overlapping, fractional', [12.5, 7.25, 33.75, 41.5], [20.125, 3.5, 44, 30.875]),
    ('shifted copy', [100, 100, 200, 150], [110, 105, 210, 155]),
    ('disjoint, side by side', [0, 0, 10, 10], [20, 0, 30, 10]),
    ('disjoint, diagonal', [0, 0, 10, 20], [50, 60, 70, 65]),
    ('disjoint, far apart', [0, 0, 1, 1], [600, 600, 608, 640]),
    ('nested', [0, 0, 100, 100], [25, 25, 75, 75]),
    ('nested, off centre', [0, 0, 100, 100], [5, 60, 35, 95]),
    ('nested, reversed order', [25, 40, 35, 90], [0, 0, 100, 100]),
    ('identical', [10, 10, 60, 40], [10, 10, 60, 40]),
    ('identical, unit', [0, 0, 1, 1], [0, 0, 1, 1]),
    ('touching edge', [0, 0, 10, 10], [10, 0, 20, 10]),
    ('touching corner', [0, 0, 10, 10], [10, 10, 20, 20]),
    ('very thin vs square', [0, 0, 100, 0.5], [40, -20, 60, 20]),
    ('very thin, tall', [10, 0, 10.25, 300], [0, 100, 30, 130]),
    ('zero height vs box', [0, 5, 10, 5], [0, 0, 10, 10]),
    ('two zero-height', [0, 5, 10, 5], [2, 5, 12, 5]),
    ('large image boxes', [0, 0, 608, 608], [304, 152, 608, 456]),
    ('tiny overlap', [0, 0, 10, 10], [9.99, 9.99, 20, 20]),
    ('same centre, different shape', [40, 45, 60, 55], [45, 30, 55, 70]),
]


def lcg(seed):
    x = seed & 0xFFFFFFFF
    while True:
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        yield x / 4294967296.0


def random_detections(seed, n, nclasses):
    """Clustered boxes so that NMS has work: centres near a few anchors, jittered sizes."""
    g = lcg(seed)
    boxes, scores, classes = [], [], []
    for _ in range(n):
        k = int(next(g) * 6)
        cx = 60 + k * 90 + next(g) * 30
        cy = 80 + (k % 3) * 120 + next(g) * 30
        w = 20 + next(g) * 60
        h = 20 + next(g) * 60
        boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        scores.append(next(g))
        classes.append(int(next(g) * nclasses))
    return np.array(boxes), np.array(scores), np.array(classes)


def plain_iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return 0.0 if union <= 0 else inter / union


def diou_term(a, b, beta):
    cw = max(a[2], b[2]) - min(a[0], b[0])
    ch = max(a[3], b[3]) - min(a[1], b[1])
    c = cw * cw + ch * ch
    if c == 0:
        return 0.0
    dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2
    dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    return ((dx * dx + dy * dy) / c) ** beta


def nms(boxes, scores, classes, thr, kind, beta=0.6):
    keep = []
    for c in sorted(set(classes.tolist())):
        idx = [i for i in range(len(scores)) if classes[i] == c]
        idx.sort(key=lambda i: (-scores[i], i))
        kept = []
        for j in idx:
            ok = True
            for i in kept:
                m = plain_iou(boxes[i], boxes[j])
                if kind == 'diou':
                    m -= diou_term(boxes[i], boxes[j], beta)
                if m > thr:
                    ok = False
                    break
            if ok:
                kept.append(j)
        keep += kept
    return keep


if __name__ == '__main__':
    np.set_printoptions(precision=17)
    print('// boxIoU: [name, a, b, iou, giou, diou, ciou]')
    for name, a, b in PAIRS:
        vals = [repr(float(bbox_iou(a, b, k))) for k in ('iou', 'giou', 'diou', 'ciou')]
        print(f"  ['{name}', {a}, {b}, {', '.join(vals)}],")
    for seed, n, nc, thr in [(7, 200, 3, 0.45), (2024, 300, 1, 0.5), (99, 120, 4, 0.3)]:
        boxes, scores, classes = random_detections(seed, n, nc)
        for kind in ('greedy', 'diou'):
            keep = nms(boxes, scores, classes, thr, kind)
            print(f'// seed {seed} n {n} classes {nc} thr {thr} {kind}: {len(keep)} kept')
            print('  ', keep)
