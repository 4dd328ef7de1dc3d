"""Reference numbers for test/targets.test.ts and test/smoothing.test.ts (SPEC §7, §8).

Written from the behaviour the references document, not from their code:
- `best` / `iou-threshold`: Darknet (AlexeyAB) YOLOv4 yolo layer. Shape IoU of the box and each
  of the anchors with both centred at the origin; the best anchor is the first with the highest
  IoU (strict >, starting from 0); with `iou_thresh` every other anchor of the layer's mask
  whose IoU > threshold is assigned too. Cell = int(x * grid).
- `wh-ratio`: YOLOv5 `build_targets`. Per layer, boxes and anchors in grid units; keep the
  anchors with max(w/aw, aw/w, h/ah, ah/h) < anchor_t; offsets (0,0), (+.5,0), (0,+.5),
  (-.5,0), (0,-.5) subtracted from the centre (grid units) for the own cell and the
  neighbours selected by ((g % 1 < .5) & (g > 1)) and (((G - g) % 1 < .5) & (G - g > 1));
  cell = trunc(g - offset), clamped to the grid. Computed in float32 like the torch tensors.
  Output order as YOLOv5 builds it: per layer, offset-major, then anchor; we drop duplicates
  (SPEC §7), which YOLOv5 keeps.

Run: /usr/bin/python3 test/reference/targets.py  (CI never runs it; the numbers are in the tests.)
"""
import math
import numpy as np

ANCHORS = [[12, 16], [19, 36], [40, 28], [36, 75], [76, 55], [72, 146], [142, 110], [192, 243], [459, 401]]
MASKS = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
STRIDES = [8, 16, 32]


def shape_iou(w, h, aw, ah):
    inter = min(w, aw) * min(h, ah)
    return inter / (w * h + aw * ah - inter)


def grid(size, stride):
    return math.ceil(size / stride)


def darknet(box, rule, anchors=ANCHORS, masks=MASKS, strides=STRIDES, size=(608, 608), thr=0.213):
    cx, cy, w, h = box
    ious = [shape_iou(w, h, aw, ah) for aw, ah in anchors]
    best, best_iou = 0, 0.0
    for n, v in enumerate(ious):
        if v > best_iou:
            best, best_iou = n, v
    out = []
    for layer, (mask, stride) in enumerate(zip(masks, strides)):
        gw, gh = grid(size[0], stride), grid(size[1], stride)
        x = min(max(int(cx / stride), 0), gw - 1)
        y = min(max(int(cy / stride), 0), gh - 1)
        if best in mask:
            out.append((layer, mask.index(best), x, y))
        if rule == 'iou-threshold':
            for n in range(len(anchors)):
                if n != best and n in mask and ious[n] > thr:
                    out.append((layer, mask.index(n), x, y))
    return out


def yolov5(box, anchors=ANCHORS, masks=MASKS, strides=STRIDES, size=(608, 608), anchor_t=4.0):
    W, H = size
    # normalised xywh as a YOLOv5 label row holds it, float32
    t = np.array([box[0] / W, box[1] / H, box[2] / W, box[3] / H], dtype=np.float32)
    off = np.array([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], dtype=np.float32) * 0.5
    out = []
    for layer, (mask, stride) in enumerate(zip(masks, strides)):
        G = np.array([grid(W, stride), grid(H, stride)], dtype=np.float32)
        anc = np.array([anchors[n] for n in mask], dtype=np.float32) / np.float32(stride)
        g = t[:2] * G
        wh = t[2:] * G
        r = wh[None, :] / anc
        keep = np.maximum(r, 1 / r).max(1) < anchor_t
        gi = G - g
        sel = [True,
               bool((g[0] % 1 < 0.5) and (g[0] > 1)), bool((g[1] % 1 < 0.5) and (g[1] > 1)),
               bool((gi[0] % 1 < 0.5) and (gi[0] > 1)), bool((gi[1] % 1 < 0.5) and (gi[1] > 1))]
        for k in range(5):
            if not sel[k]:
                continue
            for a in range(len(mask)):
                if not keep[a]:
                    continue
                c = np.trunc(g - off[k]).astype(np.int64)
                x = int(min(max(c[0], 0), G[0] - 1))
                y = int(min(max(c[1], 0), G[1] - 1))
                item = (layer, a, x, y)
                if item not in out:
                    out.append(item)
    return out


def show(name, xs):
    print(name, [list(x) for x in xs])


print('# shape IoU of 40x28 with each default anchor')
print([round(shape_iou(40, 28, aw, ah), 6) for aw, ah in ANCHORS])

BOXES = {
    'exact-anchor-2': (100, 200, 40, 28),
    'mid': (300.5, 123.25, 60, 90),
    'large': (304, 304, 400, 380),
    'tiny': (5, 5, 4, 4),
    'cell-border': (16, 47.999, 30, 30),
    'image-edge': (608, 0, 100, 60),
    'tall': (250, 400, 20, 150),
}
for rule in ['best', 'iou-threshold']:
    print('#', rule)
    for k, b in BOXES.items():
        show(f'{k} {b}', darknet(b, rule))
print('# wh-ratio')
for k, b in BOXES.items():
    show(f'{k} {b}', yolov5(b))
# neighbours: exactly on a cell corner (integer g on every layer), near the far edge, at 320
for b in [(64, 64, 30, 40), (604, 3, 50, 50), (13, 21, 20, 24), (100.2, 100.7, 48, 64)]:
    show(f'wh-ratio {b}', yolov5(b))
show('wh-ratio 320 (100,60,50,40)', yolov5((100, 60, 50, 40), anchors=[[a * 320 / 608 for a in p] for p in ANCHORS], size=(320, 320)))

print('# grid clamping on 640x320 (grids 80x40, 40x20, 20x10)')
show('best (640,320,40,28)', darknet((640, 320, 40, 28), 'best', size=(640, 320)))
show('best (-3,-0.5,40,28)', darknet((-3, -0.5, 40, 28), 'best', size=(640, 320)))
show('wh-ratio (640,320,459,401)', yolov5((640, 320, 459, 401), size=(640, 320)))

print('# ties and thresholds on custom anchors')
TA = [[10, 20], [20, 10], [40, 40]]
TM = [[0, 1], [2]]
TS = [8, 16]
show('tie best 14x14', darknet((20, 20, 14, 14), 'best', TA, TM, TS, (64, 64)))
show('tie iou 14x14', darknet((20, 20, 14, 14), 'iou-threshold', TA, TM, TS, (64, 64)))
A2 = [[10, 10], [20, 20]]
show('thr=0.25 exact', darknet((4, 4, 10, 10), 'iou-threshold', A2, [[0], [1]], [8, 16], (64, 64), 0.25))
show('thr=0.2499', darknet((4, 4, 10, 10), 'iou-threshold', A2, [[0], [1]], [8, 16], (64, 64), 0.2499))
show('ratio 4 exactly (48x64 vs 12x16)', yolov5((300, 300, 48, 64), [[12, 16]], [[0]], [8]))
show('ratio 3.99', yolov5((300, 300, 47.88, 63.84), [[12, 16]], [[0]], [8]))

print('# label smoothing (SPEC §8)')
def cat(y, a):
    return [v * (1 - a) + a / len(y) for v in y]
def binary(y, e):
    return [v * (1 - e / 2) + (1 - v) * e / 2 for v in y]
def others(y, a):
    return [v * (1 - a) + (1 - v) * a / (len(y) - 1) for v in y]
print('categorical', cat([0, 0, 1, 0, 0], 0.1))
print('others', others([0, 0, 1, 0, 0], 0.1))
print('binary', binary([0, 1, 0], 0.1))
y = cat([1, 0, 0], 0.1)
print('cross-entropy', -sum(a * math.log(b) for a, b in zip(y, [0.8, 0.1, 0.1])))
print('soft categorical', cat([0.3, 0.7, 0, 0], 0.2))
print('soft others', others([0.3, 0.7, 0, 0], 0.2))
print('soft binary', binary([0.3, 0.7, 0, 1], 0.2))
# smooth then mix = mix then smooth (affine maps, convex weights)
lam = 0.35
ya, yb = [1, 0, 0, 0], [0, 0, 1, 0]
mixed = [lam * a + (1 - lam) * b for a, b in zip(ya, yb)]
print('smooth(mix)', cat(mixed, 0.1), 'mix(smooth)', [lam * a + (1 - lam) * b for a, b in zip(cat(ya, 0.1), cat(yb, 0.1))])

print('# the hand-made batch of test/targets.test.ts (iou-threshold, YOLOv4 anchors at 608)')
for name, b in [('A image 0 class 1', (100, 200, 40, 28)), ('B image 0 class 2', (102, 203, 19, 36)),
                ('C image 1 ignore', (600, 4, 100, 60))]:
    slots = darknet(b, 'iou-threshold')
    print(name, [list(s) + [round(shape_iou(b[2], b[3], *ANCHORS[MASKS[s[0]][s[1]]]), 4)] for s in slots])
# slot winners: a real box beats an ignore box, then the larger shape IoU, then the earlier box
# (0,2,12,25): A 1.0 vs B 0.4182 -> A;  (0,1,12,25): A 0.4182 vs B 1.0 -> B;  (1,0,6,12): A 0.3585 vs B 0.2533 -> A
