"""Reference numbers for test/warp.test.ts (documentation: CI never runs this).

Run with OpenCV 4.6 and numpy 1.24:  /usr/bin/python3 test/reference/warp.py
It prints JSON with
  - small warps (7x5 -> 9x6 and friends) of a formula image through cv2.warpAffine /
    cv2.warpPerspective (INTER_LINEAR, BORDER_CONSTANT), as hex strings;
  - FNV-1a hashes, byte sums and sample pixels of 640x480 -> 608x608 warps of a formula image;
  - two cases that pin OpenCV's rounding: a perspective position exactly on a half
    (cvRound sends it to the even neighbour) and one within an ulp of a half where
    warpPerspective's column blocks (x measured from the block start) decide the side;
  - YOLOv5's random_perspective matrix and box mapping for fixed draws, written here from
    the description of random_perspective / box_candidates (M = T @ S @ R @ P @ C; corners
    x1y1, x2y2, x1y2, x2y1 through M, divided by w when perspective; min/max; clip;
    box_candidates(old * s, new, wh_thr=2, ar_thr=100, area_thr=0.10)).
"""
import json
import math

import cv2
import numpy as np


def formula_image(w, h):
    """The test image: channels are simple integer formulas of (x, y), recomputed in the test."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    r = (x * 37 + y * 11) % 256
    g = (x * 13 + y * 71) % 256
    b = (x * y * 29 + 7) % 256
    return np.stack([r, g, b], -1).astype(np.uint8)


def gradient_image(w, h):
    """The larger test image (640x480): smooth ramps with some texture."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    r = (x * 5 + y * 3) & 255
    g = ((x * x) >> 3 ^ y) & 255
    b = (x ^ (y * 7)) & 255
    return np.stack([r, g, b], -1).astype(np.uint8)


def fnv1a(data):
    h = 0x811C9DC5
    for byte in data.tobytes():
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def yolo_matrix(p, w, h, border=(0, 0), size=None):
    """YOLOv5 random_perspective's M for fixed draws p (dict), source w x h; `size` overrides
    the output (width, height) of the border rule, as our width/height options do."""
    height = h + border[0] * 2
    width = w + border[1] * 2
    if size is not None:
        width, height = size
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
    return T @ S @ R @ P @ C, width, height


def box_candidates(box1, box2, wh_thr=2, ar_thr=100, area_thr=0.1, eps=1e-16):
    w1, h1 = box1[2] - box1[0], box1[3] - box1[1]
    w2, h2 = box2[2] - box2[0], box2[3] - box2[1]
    ar = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
    return (w2 > wh_thr) & (h2 > wh_thr) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (ar < ar_thr)


def yolo_boxes(boxes, M, s, width, height, perspective):
    n = len(boxes)
    xy = np.ones((n * 4, 3))
    xy[:, :2] = boxes[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2)
    xy = xy @ M.T
    xy = (xy[:, :2] / xy[:, 2:3] if perspective else xy[:, :2]).reshape(n, 8)
    x = xy[:, [0, 2, 4, 6]]
    y = xy[:, [1, 3, 5, 7]]
    new = np.concatenate((x.min(1), y.min(1), x.max(1), y.max(1))).reshape(4, n).T
    mapped = new.copy()
    new[:, [0, 2]] = new[:, [0, 2]].clip(0, width)
    new[:, [1, 3]] = new[:, [1, 3]].clip(0, height)
    keep = box_candidates(boxes.T * s, new.T, area_thr=0.10)
    return mapped, new, keep


def warp(src, M, size, fill, perspective):
    if perspective:
        return cv2.warpPerspective(src, M, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return cv2.warpAffine(src, M[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


out = {'cv2': cv2.__version__}

# 1. small warps, every byte
small = []
src = formula_image(7, 5)
rot = cv2.getRotationMatrix2D((3.2, 2.1), 23.0, 1.17)
rot[0, 2] += 0.7
rot[1, 2] += 0.45
cases = [
    ('affine rotate+scale 7x5 -> 9x6', rot.tolist(), (9, 6), (114, 114, 114), False),
    ('affine shear, custom fill 7x5 -> 9x6', [[0.8, 0.3, 1.3], [-0.2, 1.1, 0.6]], (9, 6), (10, 200, 30), False),
    ('affine upscale 2.5x 7x5 -> 11x8', [[2.5, 0, -1.1], [0, 2.5, -0.7]], (11, 8), (114, 114, 114), False),
    ('perspective 7x5 -> 9x6', [[0.95, 0.1, 1.2], [-0.05, 1.05, 0.4], [0.02, -0.03, 1.0]], (9, 6), (114, 114, 114), True),
    ('perspective, position exactly on a half (cvRound to even) 7x5 -> 9x6',
     [[1, 0, -5 / 64], [0, 1, 3 / 64], [0, 0, 1]], (9, 6), (114, 114, 114), True),
    ('singular affine: every pixel reads source (0,0) 7x5 -> 3x2', [[0, 0, 1.5], [0, 0, 2.5]], (3, 2), (114, 114, 114), False),
]
for name, M, size, fill, persp in cases:
    M = np.array(M, dtype=np.float64)
    if not persp:
        M = np.vstack([M, [0, 0, 1]])
    dst = warp(src, M, size, fill, persp)
    small.append({'name': name, 'M': (M if persp else M[:2]).ravel().tolist(), 'width': size[0], 'height': size[1],
                  'fill': list(fill), 'perspective': persp, 'hex': dst.tobytes().hex()})
# a 1x1 source: every output pixel straddles the border
one = np.array([[[9, 99, 199]]], np.uint8)
d = cv2.warpAffine(one, np.array([[1.0, 0, 0.5], [0, 1, 0.25]]), (2, 2), flags=cv2.INTER_LINEAR, borderValue=(114, 114, 114))
small.append({'name': '1x1 source shifted by (0.5, 0.25) -> 2x2', 'src': 'one', 'M': [1.0, 0, 0.5, 0, 1, 0.25], 'width': 2,
              'height': 2, 'fill': [114, 114, 114], 'perspective': False, 'hex': d.tobytes().hex()})
out['small'] = small

# 2. the column blocks: with x measured from the start of its 64-column block (image >= 16 rows),
# pixel x = 65 gets 32·x_src = 634.5000000000001 -> 635; measured from x = 0 the same sum is
# exactly 634.5 -> 634 (half to even). Only the block structure gives OpenCV's bytes here.
blk_src = formula_image(49, 18)
blk_M = np.array([[3.0, 0, 5.515624999999988], [0, 1, 0], [0, 0, 1]])
blk = cv2.warpPerspective(blk_src, blk_M, (140, 16), flags=cv2.INTER_LINEAR, borderValue=(114, 114, 114))
out['block'] = {'M': blk_M.ravel().tolist(), 'src': [49, 18], 'width': 140, 'height': 16,
                'fnv': fnv1a(blk), 'row0': blk[0, 60:72].ravel().tolist()}

# 3. 640x480 -> 608x608 through fixed YOLOv5-style matrices
g = gradient_image(640, 480)
big = []
params = [
    ('affine: degrees 7.3, scale 1.21, shear (1.5, -0.8), translate (0.47, 0.55)',
     dict(perspectiveX=0.0, perspectiveY=0.0, angle=7.3, scale=1.21, shearX=1.5, shearY=-0.8, translateX=0.47, translateY=0.55), False),
    ('affine zoom-out: degrees -12, scale 0.62, translate (0.58, 0.41)',
     dict(perspectiveX=0.0, perspectiveY=0.0, angle=-12.0, scale=0.62, shearX=0.0, shearY=0.0, translateX=0.58, translateY=0.41), False),
    ('perspective (4e-4, -2.5e-4), degrees 5, scale 0.9, shear (2, 1)',
     dict(perspectiveX=4e-4, perspectiveY=-2.5e-4, angle=5.0, scale=0.9, shearX=2.0, shearY=1.0, translateX=0.52, translateY=0.49), True),
]
for name, p, persp in params:
    # 640x480 -> 608x608: not a size the border rule gives; T uses the output size 608 as YOLOv5's width/height
    M, _, _ = yolo_matrix(p, 640, 480, size=(608, 608))
    dst = warp(g, M, (608, 608), (114, 114, 114), persp)
    samples = [[x, y, dst[y, x].tolist()] for (x, y) in [(0, 0), (303, 304), (100, 500), (607, 1), (451, 77), (12, 600)]]
    big.append({'name': name, 'params': p, 'perspective': persp, 'M': M.ravel().tolist(),
                'fnv': fnv1a(dst), 'sum': int(dst.astype(np.int64).sum()), 'samples': samples})
out['big'] = big

# 4. mosaic-like: a 1280x1280 canvas, border -320 -> 640x640
canvas = gradient_image(1280, 1280)
p = dict(perspectiveX=0.0, perspectiveY=0.0, angle=3.0, scale=1.3, shearX=0.0, shearY=0.0, translateX=0.55, translateY=0.45)
M, W, H = yolo_matrix(p, 1280, 1280, border=(-320, -320))
dst = warp(canvas, M, (W, H), (114, 114, 114), False)
out['mosaic'] = {'params': p, 'M': M.ravel().tolist(), 'width': W, 'height': H, 'fnv': fnv1a(dst),
                 'sum': int(dst.astype(np.int64).sum())}

# 5. matrices and boxes for fixed draws
boxes = np.array([
    [10, 20, 110, 90],     # well inside
    [300, 200, 420, 330],  # centre
    [600, 400, 639, 479],  # bottom-right corner, partly pushed out
    [0, 0, 3, 3],          # tiny: survives a zoom-out only if still > 2 px
    [50, 300, 52, 460],    # thin
    [5, 440, 200, 480],    # bottom edge
], dtype=np.float64)
mats = []
for p, persp, border in [
    (dict(perspectiveX=0.0, perspectiveY=0.0, angle=10.0, scale=0.75, shearX=3.0, shearY=-2.0, translateX=0.45, translateY=0.6), False, (0, 0)),
    (dict(perspectiveX=6e-4, perspectiveY=-4e-4, angle=-8.0, scale=1.2, shearX=-1.0, shearY=2.5, translateX=0.52, translateY=0.47), True, (0, 0)),
    (dict(perspectiveX=0.0, perspectiveY=0.0, angle=0.0, scale=1.4, shearX=0.0, shearY=0.0, translateX=0.5, translateY=0.5), False, (-80, -100)),
]:
    M, W, H = yolo_matrix(p, 640, 480, border)
    mapped, clipped, keep = yolo_boxes(boxes, M, p['scale'], W, H, persp)
    mats.append({'params': p, 'perspective': persp, 'border': list(border), 'width': W, 'height': H, 'M': M.ravel().tolist(),
                 'mapped': mapped.tolist(), 'clipped': clipped.tolist(), 'keep': keep.tolist()})
out['boxes'] = {'source': [640, 480], 'boxes': boxes.tolist(), 'cases': mats}

print(json.dumps(out))
