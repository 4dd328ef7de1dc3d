"""Reference numbers for test/mix.test.ts (Mosaic, MixUp, CutMix; SPEC §5). Documentation: CI never runs it.

Run with OpenCV 4.6 and numpy 1.24:  /usr/bin/python3 test/reference/mix.py
It prints JSON. Every step is written here from the behaviour of the references, with the
random draws given as numbers:

- YOLOv5 v7.0 `load_image` (augment): r = s / max(h0, w0); if r != 1,
  cv2.resize(im, (int(w0 * r), int(h0 * r)), INTER_LINEAR) (later masters: math.ceil);
  labels are normalised to (w0, h0) and multiplied by the resized (w, h).
- YOLOv5 `load_mosaic`: 2s x 2s canvas of 114; tile i (top-left, top-right, bottom-left,
  bottom-right) placed at the rectangles x1a..y2b around (xc, yc); boxes + (padw, padh);
  clip to [0, 2s]; random_perspective with border (-s//2, -s//2): M = T @ S @ R @ P @ C,
  cv2.warpAffine / warpPerspective to s x s, boxes: 4 corners through M, min/max, clip,
  box_candidates(old * scale, new, wh_thr=2, ar_thr=100, area_thr=0.10).
- AlexeyAB Darknet mosaic (load_data_detection, use_mixup == 3, flip 0): each image
  jittered to the full output size (the window (pleft, ptop, sw, sh), outside filled with
  cv::mean, INTER_LINEAR resize), the part next to the cut copied into its quadrant with
  the shifts left/top/right/bot; boxes mapped, clipped to the quadrant (mosaic_bound) and
  filtered by box_candidates against the source box x sqrt(sx * sy).
- YOLOv5 `mixup`: (im * r + im2 * (1 - r)).astype(np.uint8).
- clovaai/CutMix-PyTorch `rand_bbox`: cut = int(L * sqrt(1 - lam)), centre c, patch
  clip(c - cut // 2, 0, L) .. clip(c + cut // 2, 0, L); lam = 1 - area / (W * H).
"""
import json
import math

import cv2
import numpy as np


def tile_image(w, h, k):
    """Test image k: integer formulas of (x, y), recomputed in the test."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    r = (x * 37 + y * 11 + k * 59) % 256
    g = (x * 13 + y * 71 + k * 101) % 256
    b = (x * y * 29 + 7 + k * 17) % 256
    return np.stack([r, g, b], -1).astype(np.uint8)


def fnv1a(a):
    h = 0x811C9DC5
    for v in a.tobytes():
        h = ((h ^ v) * 0x01000193) & 0xFFFFFFFF
    return h


def byte_sum(a):
    return int(a.astype(np.int64).sum())


def box_candidates(box1, box2, wh_thr=2, ar_thr=100, area_thr=0.1, eps=1e-16):
    w1, h1 = box1[2] - box1[0], box1[3] - box1[1]
    w2, h2 = box2[2] - box2[0], box2[3] - box2[1]
    ar = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
    return (w2 > wh_thr) & (h2 > wh_thr) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (ar < ar_thr)


# ---------------------------------------------------------------------------------------
# YOLOv5 mosaic

def load_image(im, s, rounding='floor'):
    h0, w0 = im.shape[:2]
    r = s / max(h0, w0)
    if r != 1:
        f = int if rounding == 'floor' else math.ceil
        im = cv2.resize(im, (f(w0 * r), f(h0 * r)), interpolation=cv2.INTER_LINEAR)
    return im


def placement(i, w, h, s, xc, yc):
    if i == 0:
        x1a, y1a, x2a, y2a = max(xc - w, 0), max(yc - h, 0), xc, yc
        x1b, y1b, x2b, y2b = w - (x2a - x1a), h - (y2a - y1a), w, h
    elif i == 1:
        x1a, y1a, x2a, y2a = xc, max(yc - h, 0), min(xc + w, s * 2), yc
        x1b, y1b, x2b, y2b = 0, h - (y2a - y1a), min(w, x2a - x1a), h
    elif i == 2:
        x1a, y1a, x2a, y2a = max(xc - w, 0), yc, xc, min(s * 2, yc + h)
        x1b, y1b, x2b, y2b = w - (x2a - x1a), 0, w, min(y2a - y1a, h)
    else:
        x1a, y1a, x2a, y2a = xc, yc, min(xc + w, s * 2), min(s * 2, yc + h)
        x1b, y1b, x2b, y2b = 0, 0, min(w, x2a - x1a), min(y2a - y1a, h)
    return [x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b]


def perspective_matrix(p, w, h, width, height):
    C = np.eye(3)
    C[0, 2] = -w / 2
    C[1, 2] = -h / 2
    P = np.eye(3)
    P[2, 0] = p['perspectiveX']
    P[2, 1] = p['perspectiveY']
    R = np.eye(3)
    R[:2] = cv2.getRotationMatrix2D(angle=p['angle'], center=(0, 0), scale=p['scale'])
    S = np.eye(3)
    S[0, 1] = math.tan(p['shearX'] * math.pi / 180)
    S[1, 0] = math.tan(p['shearY'] * math.pi / 180)
    T = np.eye(3)
    T[0, 2] = p['translateX'] * width
    T[1, 2] = p['translateY'] * height
    return T @ S @ R @ P @ C


def mosaic_yolo(images, boxes, s, xc, yc, p, perspective, rounding='floor'):
    canvas = np.full((2 * s, 2 * s, 3), 114, np.uint8)
    out_boxes = []
    tiles = []
    for i, (im0, b0) in enumerate(zip(images, boxes)):
        h0, w0 = im0.shape[:2]
        im = load_image(im0, s, rounding)
        h, w = im.shape[:2]
        tiles.append([w, h])
        x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b = placement(i, w, h, s, xc, yc)
        canvas[y1a:y2a, x1a:x2a] = im[y1b:y2b, x1b:x2b]
        padw, padh = x1a - x1b, y1a - y1b
        b = np.array(b0, np.float64).reshape(-1, 4)
        b = b / [w0, h0, w0, h0] * [w, h, w, h] + [padw, padh, padw, padh]
        out_boxes.append(b)
    cb = np.concatenate(out_boxes, 0).clip(0, 2 * s)
    border = -s // 2
    width = height = 2 * s + 2 * border
    M = perspective_matrix(p, 2 * s, 2 * s, width, height)
    if perspective:
        img = cv2.warpPerspective(canvas, M, (width, height), flags=cv2.INTER_LINEAR, borderValue=(114, 114, 114))
    else:
        img = cv2.warpAffine(canvas, M[:2], (width, height), flags=cv2.INTER_LINEAR, borderValue=(114, 114, 114))
    n = len(cb)
    xy = np.ones((n * 4, 3))
    xy[:, :2] = cb[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2)
    xy = xy @ M.T
    xy = (xy[:, :2] / xy[:, 2:3] if perspective else xy[:, :2]).reshape(n, 8)
    x = xy[:, [0, 2, 4, 6]]
    y = xy[:, [1, 3, 5, 7]]
    new = np.concatenate((x.min(1), y.min(1), x.max(1), y.max(1))).reshape(4, n).T
    new[:, [0, 2]] = new[:, [0, 2]].clip(0, width)
    new[:, [1, 3]] = new[:, [1, 3]].clip(0, height)
    keep = box_candidates(cb.T * p['scale'], new.T, area_thr=0.10)
    return {
        'tiles': tiles,
        'canvasFnv': fnv1a(canvas), 'canvasSum': byte_sum(canvas), 'canvasBoxes': cb.tolist(),
        'width': width, 'fnv': fnv1a(img), 'sum': byte_sum(img), 'M': M.ravel().tolist(),
        'keep': keep.tolist(), 'boxes': new[keep].tolist(),
    }


out = {'cv2': cv2.__version__}

# 1. placement rectangles, worked numbers at s = 608
out['placement'] = []
for xc, yc, sizes in [(700, 500, [(608, 456), (456, 608), (608, 342), (300, 608)]),
                      (320, 900, [(608, 608), (608, 405), (200, 608), (608, 600)])]:
    out['placement'].append({'s': 608, 'xc': xc, 'yc': yc, 'sizes': sizes,
                             'rects': [placement(i, w, h, 608, xc, yc) for i, (w, h) in enumerate(sizes)]})

# 2. load_image sizes: int() (v7.0) and math.ceil (later)
sizes = []
for w0, h0, s in [(640, 480, 608), (49, 20, 32), (20, 49, 32), (1080, 263, 608), (263, 100, 608), (500, 375, 640),
                  (77, 50, 640), (608, 300, 608), (1000, 1, 32)]:
    r = s / max(h0, w0)
    fl = (int(w0 * r), int(h0 * r)) if r != 1 else (w0, h0)
    ce = (math.ceil(w0 * r), math.ceil(h0 * r)) if r != 1 else (w0, h0)
    sizes.append({'w0': w0, 'h0': h0, 's': s, 'floor': list(fl), 'ceil': list(ce)})
out['tileSizes'] = sizes

# 3. whole YOLOv5 mosaics on small images
src_sizes = [(40, 30), (49, 20), (32, 32), (13, 45)]
images = [tile_image(w, h, k) for k, (w, h) in enumerate(src_sizes)]
boxes = [
    [[2, 3, 30, 25], [35.5, 1, 40, 9.25]],
    [[0, 0, 49, 20], [10.5, 4, 20, 16], [44, 2, 48, 19]],
    [[5, 5, 27, 27]],
    [[1, 2, 12, 40], [3, 30, 9, 44.5]],
]
p1 = dict(perspectiveX=0.0, perspectiveY=0.0, angle=4.0, scale=1.15, shearX=0.0, shearY=0.0, translateX=0.53, translateY=0.46)
p2 = dict(perspectiveX=3e-4, perspectiveY=-2e-4, angle=-6.0, scale=0.8, shearX=2.0, shearY=-1.0, translateX=0.48, translateY=0.55)
out['mosaic'] = [
    dict(s=32, xc=27, yc=38, params=p1, perspective=False, rounding='floor',
         **mosaic_yolo(images, boxes, 32, 27, 38, p1, False)),
    dict(s=32, xc=17, yc=47, params=p2, perspective=True, rounding='ceil',
         **mosaic_yolo(images, boxes, 32, 17, 47, p2, True, 'ceil')),
    dict(s=40, xc=20, yc=60, params=p1, perspective=False, rounding='floor',
         **mosaic_yolo(images, boxes, 40, 20, 60, p1, False)),
]
out['mosaicSources'] = {'sizes': src_sizes, 'boxes': boxes}


# ---------------------------------------------------------------------------------------
# Darknet mosaic

def darknet_jitter(img, pleft, pright, ptop, pbot, w, h):
    H, W = img.shape[:2]
    sw = W - pleft - pright
    sh = H - ptop - pbot
    if pleft == 0 and ptop == 0 and sw == W and sh == H:
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    x0, y0 = max(0, pleft), max(0, ptop)
    x1, y1 = min(W, pleft + sw), min(H, ptop + sh)
    inside = img[y0:y1, x0:x1]
    cropped = cv2.copyMakeBorder(inside, max(0, -ptop), max(0, ptop + sh - H), max(0, -pleft), max(0, pleft + sw - W),
                                 cv2.BORDER_CONSTANT, value=cv2.mean(img))
    return cv2.resize(cropped, (w, h), interpolation=cv2.INTER_LINEAR)


def c_div(a, b):
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def mosaic_darknet(images, boxes, W, H, cut_x, cut_y, offsets):
    out_img = np.zeros((H, W, 3), np.uint8)
    kept = []
    rects = []
    for i, (im, b0, (pleft, pright, ptop, pbot)) in enumerate(zip(images, boxes, offsets)):
        oh, ow = im.shape[:2]
        ai = darknet_jitter(im, pleft, pright, ptop, pbot, W, H)
        left_shift = min(cut_x, max(0, c_div(-pleft * W, ow)))
        top_shift = min(cut_y, max(0, c_div(-ptop * H, oh)))
        right_shift = min(W - cut_x, max(0, c_div(-pright * W, ow)))
        bot_shift = min(H - cut_y, max(0, c_div(-pbot * H, oh)))
        if i == 0:
            sx0, sy0, dx0, dy0, tw, th = W - cut_x - right_shift, H - cut_y - bot_shift, 0, 0, cut_x, cut_y
        elif i == 1:
            sx0, sy0, dx0, dy0, tw, th = left_shift, H - cut_y - bot_shift, cut_x, 0, W - cut_x, cut_y
        elif i == 2:
            sx0, sy0, dx0, dy0, tw, th = W - cut_x - right_shift, top_shift, 0, cut_y, cut_x, H - cut_y
        else:
            sx0, sy0, dx0, dy0, tw, th = left_shift, top_shift, cut_x, cut_y, W - cut_x, H - cut_y
        rects.append([sx0, sy0, dx0, dy0, tw, th])
        out_img[dy0:dy0 + th, dx0:dx0 + tw] = ai[sy0:sy0 + th, sx0:sx0 + tw]
        sw, sh = ow - pleft - pright, oh - ptop - pbot
        sx, sy = W / sw, H / sh
        b = np.array(b0, np.float64).reshape(-1, 4)
        nb = (b - [pleft, ptop, pleft, ptop]) * [sx, sy, sx, sy] + [dx0 - sx0, dy0 - sy0, dx0 - sx0, dy0 - sy0]
        nb[:, [0, 2]] = nb[:, [0, 2]].clip(dx0, dx0 + tw)
        nb[:, [1, 3]] = nb[:, [1, 3]].clip(dy0, dy0 + th)
        keep = box_candidates(b.T * math.sqrt(sx * sy), nb.T, area_thr=0.10)
        kept.extend(nb[keep].tolist())
    return {'rects': rects, 'fnv': fnv1a(out_img), 'sum': byte_sum(out_img), 'boxes': kept}


dk_offsets = [(-5, 3, 2, -4), (0, -9, -4, 0), (4, 4, 3, 3), (-2, 0, 0, -6)]
out['darknet'] = [
    dict(W=48, H=48, cutX=20, cutY=27, offsets=dk_offsets, **mosaic_darknet(images, boxes, 48, 48, 20, 27, dk_offsets)),
    dict(W=40, H=32, cutX=30, cutY=7, offsets=dk_offsets, **mosaic_darknet(images, boxes, 40, 32, 30, 7, dk_offsets)),
]
out['darknetCutRange'] = {str(L): [int(np.float32(L) * np.float32(0.2)), int(np.float32(L) * (np.float32(1) - np.float32(0.2)))]
                          for L in (608, 416, 320, 512, 33)}

# ---------------------------------------------------------------------------------------
# MixUp

a = tile_image(5, 4, 1)
b = tile_image(5, 4, 2)
mix = []
for r in (0.4370566, 0.5, 0.1, 0.9999):
    mix.append({'r': r, 'hex': (a * r + b * (1 - r)).astype(np.uint8).tobytes().hex()})
out['mixup'] = mix
# every byte pair: A(x, y) = (y, x, (7x + y) % 256), B(x, y) = (x, y, xy % 256) on 256 x 256
yy, xx = np.mgrid[0:256, 0:256].astype(np.int64)
A = np.stack([yy, xx, (7 * xx + yy) % 256], -1).astype(np.uint8)
B = np.stack([xx, yy, (xx * yy) % 256], -1).astype(np.uint8)
out['mixupTable'] = []
for r in (0.3, 0.4370566, 0.7):
    m = (A * r + B * (1 - r)).astype(np.uint8)
    out['mixupTable'].append({'r': r, 'fnv': fnv1a(m), 'sum': byte_sum(m)})


# ---------------------------------------------------------------------------------------
# CutMix

def rand_bbox_fixed(W, H, lam, cx, cy):
    # The reference's axes: its "W" is the tensor's size[2] (rows). Written here with the usual names.
    cut_rat = np.sqrt(1. - lam)
    cut_w = int(W * cut_rat)
    cut_h = int(H * cut_rat)
    x1 = np.clip(cx - cut_w // 2, 0, W)
    y1 = np.clip(cy - cut_h // 2, 0, H)
    x2 = np.clip(cx + cut_w // 2, 0, W)
    y2 = np.clip(cy + cut_h // 2, 0, H)
    lam2 = 1 - ((x2 - x1) * (y2 - y1) / (W * H))
    return [int(x1), int(y1), int(x2), int(y2)], float(lam2)


cm = []
for W, H, lam, cx, cy in [(608, 608, 0.37, 300, 200), (640, 480, 0.8123, 10, 470), (7, 5, 0.2, 3, 2),
                          (100, 60, 0.0, 50, 30), (100, 60, 1.0, 50, 30), (33, 17, 0.5, 32, 0)]:
    rect, lam2 = rand_bbox_fixed(W, H, lam, cx, cy)
    cm.append({'W': W, 'H': H, 'lambda': lam, 'cx': cx, 'cy': cy, 'rect': rect, 'corrected': lam2})
out['cutmix'] = cm
xa = tile_image(12, 9, 1)
xb = tile_image(12, 9, 3)
rect, _ = rand_bbox_fixed(12, 9, 0.6, 8, 3)
mixed = xa.copy()
mixed[rect[1]:rect[3], rect[0]:rect[2]] = xb[rect[1]:rect[3], rect[0]:rect[2]]
out['cutmixImage'] = {'rect': rect, 'hex': mixed.tobytes().hex()}

print(json.dumps(out))
