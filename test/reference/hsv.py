"""Reference numbers for test/color.test.ts (documentation; CI never runs this).

Run with /usr/bin/python3 (OpenCV 4.6.0, numpy 1.24, x86-64 with AVX2 + FMA):

    python3 test/reference/hsv.py               # prints every worked number of the tests
    python3 test/reference/hsv.py --exhaustive DIR

`--exhaustive DIR` compares dumps written by our TypeScript with cv2. The input is the
4096x4096 image of all 2^24 triples, pixel i = (i >> 16, (i >> 8) & 255, i & 255); DIR holds
rgb2hsv.bin = rgbToHsv(it), hsv2rgb_vec.bin = hsvToRgb(it, 4096, 4096) and
hsv2rgb_sc.bin = hsvToRgb(it, 4096, 4096, 0) (raw bytes, from src/kernels/color.ts).
Result on this machine: 0 mismatches RGB->HSV (4096-wide image and width-1 image),
0 mismatches HSV->RGB on the vector path (4096-wide image) and 0 on the scalar path
(width-1 image); the two OpenCV paths themselves differ on 12 395 367 of
the 2^24 HSV triples (8 716 067 of the 11 796 480 with hue < 180).

OpenCV facts this script pins (each checked here against cv2 itself):
- HSV2RGB 8-bit: each row's first floor(W/32)*32 pixels take the vector path (float32,
  FMA in both 1 - s*h terms, truncated), the rest the scalar path (FMA in 1 - s*f only,
  rounded half to even).
- Mat += double: the scalar is cvRound-ed (half to even) before the saturating add
  (cv2.add(H, 2.5) adds 2, cv2.add(H, 3.5) adds 4).
- Mat *= double (convertTo) computes saturate(cvRound(float32(x * float32(a)))); for
  non-negative results cv2.convertScaleAbs computes the same.
"""
import sys
import cv2
import numpy as np

f32 = np.float32


def fnv1a(b):
    """32-bit FNV-1a over bytes (the tests' checksum)."""
    h = 0x811C9DC5
    for x in np.asarray(b, np.uint8).reshape(-1).tolist():
        h ^= x
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def test_image(w, h):
    """Deterministic RGB image: byte i = top 8 bits of (i+1)*2654435761 mod 2^32."""
    i = np.arange(1, w * h * 3 + 1, dtype=np.uint64)
    return (((i * 2654435761) & 0xFFFFFFFF) >> 24).astype(np.uint8).reshape(h, w, 3)


def yolov5_hsv(img_rgb, r):
    """YOLOv5 augment_hsv with a fixed r (RGB image, RGB2HSV: the same arithmetic as BGR2HSV on BGR)."""
    hue, sat, val = cv2.split(cv2.cvtColor(img_rgb, cv2.COLOR_RGB2HSV))
    x = np.arange(0, 256, dtype=np.float64)
    lut_hue = ((x * r[0]) % 180).astype(np.uint8)
    lut_sat = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_val = np.clip(x * r[2], 0, 255).astype(np.uint8)
    im_hsv = cv2.merge((cv2.LUT(hue, lut_hue), cv2.LUT(sat, lut_sat), cv2.LUT(val, lut_val)))
    return cv2.cvtColor(im_hsv, cv2.COLOR_HSV2RGB), (lut_hue, lut_sat, lut_val)


def darknet_hsv(img_rgb, dhue, dsat, dexp):
    """Darknet image_data_augmentation: dhue, dsat, dexp are C floats."""
    dhue, dsat, dexp = f32(dhue), f32(dsat), f32(dexp)
    if dsat == 1 and dexp == 1 and dhue == 0:
        return img_rgb.copy()
    h, s, v = cv2.split(cv2.cvtColor(img_rgb, cv2.COLOR_RGB2HSV))
    s = cv2.convertScaleAbs(s, alpha=float(dsat))  # hsv[1] *= dsat
    v = cv2.convertScaleAbs(v, alpha=float(dexp))  # hsv[2] *= dexp
    h = cv2.add(h, float(f32(179) * dhue))  # hsv[0] += 179 * dhue (float product)
    return cv2.cvtColor(cv2.merge((h, s, v)), cv2.COLOR_HSV2RGB)


def main():
    print('cv2', cv2.__version__)
    # Chosen colours, both ways.
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255),
               (255, 255, 255), (0, 0, 0), (255, 128, 0), (12, 200, 99), (200, 15, 100), (1, 2, 3),
               (37, 37, 38), (128, 64, 32), (90, 200, 250), (254, 1, 128), (255, 0, 1), (7, 7, 7), (128, 128, 128)]
    a = np.array(colours, np.uint8).reshape(1, -1, 3)
    print('RGB2HSV', cv2.cvtColor(a, cv2.COLOR_RGB2HSV).reshape(-1, 3).tolist())
    hsvs = [(0, 255, 255), (30, 255, 255), (60, 255, 255), (90, 255, 255), (120, 255, 255), (150, 255, 255),
            (179, 255, 255), (15, 66, 67), (76, 75, 75), (33, 187, 75), (1, 153, 25), (0, 0, 200), (100, 0, 37),
            (180, 200, 200), (200, 200, 200), (255, 255, 255), (45, 85, 9), (122, 18, 0), (7, 119, 225)]
    hv = np.array(hsvs, np.uint8)
    vec = cv2.cvtColor(np.tile(hv[:, None, :], (1, 32, 1)), cv2.COLOR_HSV2RGB)[:, 0, :]  # 32 wide: vector path
    sca = cv2.cvtColor(hv.reshape(-1, 1, 3), cv2.COLOR_HSV2RGB).reshape(-1, 3)  # 1 wide: scalar path
    print('HSV2RGB vector', vec.tolist())
    print('HSV2RGB scalar', sca.tolist())

    # Greys and the 8 cube corners round trip.
    g = np.arange(256, dtype=np.uint8)
    grey = np.stack([g, g, g], -1).reshape(1, -1, 3)
    print('grey HSV unique s,h', np.unique(cv2.cvtColor(grey, cv2.COLOR_RGB2HSV)[..., :2]).tolist())
    rt = cv2.cvtColor(cv2.cvtColor(grey, cv2.COLOR_RGB2HSV), cv2.COLOR_HSV2RGB)[0, :, 0]
    print('grey round trip (vector/scalar as in a 256-wide row) first 12', rt[:12].tolist())

    # Checksums over deterministic grids.
    i = np.arange(0, 256, 5)
    r, gg, b = np.meshgrid(i, i, i, indexing='ij')
    grid = np.stack([r, gg, b], -1).reshape(-1, 3).astype(np.uint8)  # 52^3 = 140608 colours
    print('RGB2HSV grid fnv', hex(fnv1a(cv2.cvtColor(grid.reshape(1, -1, 3), cv2.COLOR_RGB2HSV))))
    hh, ss, vv = np.meshgrid(np.arange(256), i, i, indexing='ij')
    hgrid = np.stack([hh, ss, vv], -1).reshape(-1, 3).astype(np.uint8)  # 256*52*52 = 692224 triples
    print('HSV2RGB grid vector fnv', hex(fnv1a(cv2.cvtColor(hgrid.reshape(-1, 416, 3), cv2.COLOR_HSV2RGB))))
    print('HSV2RGB grid scalar fnv', hex(fnv1a(cv2.cvtColor(hgrid.reshape(-1, 1, 3), cv2.COLOR_HSV2RGB))))

    # Whole small images per mode (34x3: 32 vector + 2 scalar pixels per row).
    img = test_image(34, 3)
    print('test image fnv', hex(fnv1a(img)), 'first px', img[0, 0].tolist())
    out, luts = yolov5_hsv(img, [1.01, 0.5, 1.3])
    print('yolov5 r=[1.01,0.5,1.3] LUT hue[100,178,179,255]', [int(luts[0][k]) for k in (100, 178, 179, 255)],
          'sat[1,3,255]', [int(luts[1][k]) for k in (1, 3, 255)], 'val[3,100,196,200]', [int(luts[2][k]) for k in (3, 100, 196, 200)])
    print('yolov5 image hex', out.tobytes().hex())
    out, _ = yolov5_hsv(img, [0.987, 1.45, 0.71])
    print('yolov5 r=[0.987,1.45,0.71] image hex', out.tobytes().hex())
    out, _ = yolov5_hsv(img, [1, 1, 1])
    print('yolov5 r=[1,1,1] image hex', out.tobytes().hex(), 'changed px', int((out != img).any(-1).sum()), 'of', 34 * 3)
    out = darknet_hsv(img, 0.043, 1.37, 1 / 1.21)
    print('darknet (0.043,1.37,1/1.21) image hex', out.tobytes().hex())
    out = darknet_hsv(img, -0.09, 0.7, 1.45)
    print('darknet (-0.09,0.7,1.45) image hex', out.tobytes().hex())
    out = darknet_hsv(img, 2.5 / 179, 1, 1)
    print('darknet dhue=2.5/179 (shift 2, half to even) image fnv', hex(fnv1a(out)))
    # A 608x608 image: fnv of the yolov5 output.
    big = test_image(608, 608)
    print('608 yolov5 fnv', hex(fnv1a(yolov5_hsv(big, [1.01, 0.5, 1.3])[0])))
    print('100x7 darknet fnv', hex(fnv1a(darknet_hsv(test_image(100, 7), 0.043, 1.37, 1 / 1.21))))

    # How often YOLOv5's r = [1,1,1] changes a pixel of real photos (coco128, 640 wide or less).
    import glob
    changed = total = 0
    for p in sorted(glob.glob('../shared/datasets/coco128/images/train2017/*.jpg'))[:32]:
        im = cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB)
        o, _ = yolov5_hsv(im, [1, 1, 1])
        changed += int((o != im).any(-1).sum())
        total += im.shape[0] * im.shape[1]
    if total:
        print('round trip on 32 coco128 photos: changed pixels', changed, 'of', total, '= %.3f' % (changed / total))


def exhaustive(d):
    """Compare the all-input dumps described at the top with cv2."""
    k = np.arange(1 << 24, dtype=np.uint32)
    allc = np.stack([k >> 16, (k >> 8) & 255, k & 255], -1).astype(np.uint8)
    ours = np.fromfile(f'{d}/rgb2hsv.bin', np.uint8).reshape(-1, 3)
    for shape in [(4096, 4096, 3), (-1, 1, 3)]:
        cv = cv2.cvtColor(allc.reshape(shape), cv2.COLOR_RGB2HSV).reshape(-1, 3)
        print('RGB2HSV', shape, 'mismatches', int((cv != ours).any(1).sum()))
    for name, shape in [('vec', (4096, 4096, 3)), ('sc', (-1, 1, 3))]:
        ours = np.fromfile(f'{d}/hsv2rgb_{name}.bin', np.uint8).reshape(-1, 3)
        cv = cv2.cvtColor(allc.reshape(shape), cv2.COLOR_HSV2RGB).reshape(-1, 3)
        print('HSV2RGB', name, 'mismatches', int((cv != ours).any(1).sum()))


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--exhaustive':
        exhaustive(sys.argv[2])
    else:
        main()
