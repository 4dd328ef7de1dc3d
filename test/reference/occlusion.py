"""Reference values for test/occlusion.test.ts (documentation; CI never runs this).

Written from the published behaviour of each reference, not copied from it:
- GridMask (Chen et al. 2020, dvlab-research/GridMask, mode 1): a ones mask on a square of
  side hh = ceil(sqrt(h^2 + w^2)); bands of l = ceil(d*ratio) rows starting at st_h + d*i
  (i = -1 .. hh//d) and l columns starting at st_w + d*i are zeroed; mode 1 inverts, so the
  masked parts are the squares outside both bands; the image's mask is the centre crop at
  ((hh-h)//2, (hh-w)//2). No rotation here.
- torchvision RandomErasing.get_params: h = int(round(sqrt(area*ratio))), w likewise with
  area/ratio (Python round: halves to even); accepted when h < H and w < W.
- Mean fill: per-channel mean of a small image, rounded half up.
"""
import math
import numpy as np


def official_grid_mask_mode1(h, w, d, ratio, st_h, st_w):
    hh = math.ceil(math.sqrt(h * h + w * w))
    l = math.ceil(d * ratio)
    mask = np.ones((hh, hh), np.float32)
    for i in range(-1, hh // d + 1):
        s = max(min(d * i + st_h, hh), 0)
        t = max(min(d * i + st_h + l, hh), 0)
        mask[s:t, :] *= 0
    for i in range(-1, hh // d + 1):
        s = max(min(d * i + st_w, hh), 0)
        t = max(min(d * i + st_w + l, hh), 0)
        mask[:, s:t] *= 0
    mask = 1 - mask  # mode 1: the multiplier is 0 on the squares, 1 on the bands
    oy, ox = (hh - h) // 2, (hh - w) // 2
    painted = mask == 0  # img * mask: the pixels multiplied by 0
    return painted[oy:oy + h, ox:ox + w], hh, oy, ox


for (h, w, d, ratio, st_h, st_w) in [(8, 10, 4, 0.5, 1, 3), (8, 10, 5, 0.6, 4, 0)]:
    m, hh, oy, ox = official_grid_mask_mode1(h, w, d, ratio, st_h, st_w)
    print(f"grid h={h} w={w} d={d} ratio={ratio} st_h={st_h} st_w={st_w}: hh={hh} crop=({oy},{ox})"
          f" -> our dy={(st_h - oy) % d} dx={(st_w - ox) % d}")
    for row in m.astype(int):
        print("  '" + "".join("#" if v else "." for v in row) + "',")

# Random erasing's rounding on a 10x8 image (area 80) for scripted draws (area fraction, log ratio).
for frac, log_ratio in [(0.078125, 0.0), (0.4, math.log(3.3)), (0.2, math.log(0.5)), (0.3, math.log(2.0))]:
    area = 80 * frac
    r = math.exp(log_ratio)
    hgt = int(round(math.sqrt(area * r)))
    wid = int(round(math.sqrt(area / r)))
    print(f"erase frac={frac} log_ratio={log_ratio!r}: h={hgt} w={wid} fits={hgt < 8 and wid < 10}")

# Mean colour of a 3x2 image.
img = np.array([[[10, 0, 255], [20, 1, 254], [30, 2, 0]],
                [[40, 3, 0], [50, 4, 0], [61, 5, 0]]], np.uint8)
mean = img.reshape(-1, 3).astype(np.float64).mean(axis=0)
print("mean", mean, "rounded half up", np.floor(mean + 0.5).astype(int))
