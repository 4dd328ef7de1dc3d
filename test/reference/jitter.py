"""Reference numbers for test/crop.test.ts (Darknet jitter, SPEC §3). Documentation: CI never runs it.

Reproduces, with OpenCV 4.6, the steps of AlexeyAB Darknet's load_data_detection +
image_data_augmentation (OpenCV build) for already-drawn offsets pleft, pright, ptop, pbot:

    swidth = W - pleft - pright;  sheight = H - ptop - pbot
    src_rect = (pleft, ptop, swidth, sheight)
    if src_rect is the whole image: sized = resize(img, (w, h), INTER_LINEAR)
    else: cropped = sheight x swidth filled with cv::mean(img) (saturate_cast: round half even),
          the part of src_rect inside the image copied in at (max(0,-pleft), max(0,-ptop)),
          sized = resize(cropped, (w, h), INTER_LINEAR)

The fill goes through cv2.copyMakeBorder(value=cv2.mean(img)), which converts the Scalar to
uchar the same way Mat::setTo does. Run: /usr/bin/python3 test/reference/jitter.py
"""
import cv2
import numpy as np


def pattern(w, h):
    """The deterministic test image (the test builds the same bytes)."""
    y, x, c = np.mgrid[0:h, 0:w, 0:3]
    return ((x * 37 + y * 91 + c * 53 + ((x * y) % 29) * 11) % 256).astype(np.uint8)


def darknet_jitter(img, pleft, pright, ptop, pbot, w, h):
    H, W = img.shape[:2]
    sw = W - pleft - pright
    sh = H - ptop - pbot
    if pleft == 0 and ptop == 0 and sw == W and sh == H:
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    x0, y0 = max(0, pleft), max(0, ptop)
    x1, y1 = min(W, pleft + sw), min(H, ptop + sh)
    inside = img[y0:y1, x0:x1]
    cropped = cv2.copyMakeBorder(
        inside, max(0, -ptop), max(0, ptop + sh - H), max(0, -pleft), max(0, pleft + sw - W),
        cv2.BORDER_CONSTANT, value=cv2.mean(img))
    assert cropped.shape[:2] == (sh, sw)
    return cv2.resize(cropped, (w, h), interpolation=cv2.INTER_LINEAR)


def fnv1a(b):
    h = 0x811C9DC5
    for v in b.tobytes():
        h = ((h ^ v) * 0x01000193) & 0xFFFFFFFF
    return h


def report(name, W, H, p, w, h, samples=()):
    img = pattern(W, H)
    out = darknet_jitter(img, *p, w, h)
    print(f"{name}: {W}x{H} {p} -> {w}x{h}, mean {cv2.mean(img)[:3]}")
    print(f"  fnv1a 0x{fnv1a(out):08x} sum {int(out.astype(np.int64).sum())}")
    for (x, y) in samples:
        print(f"  pixel ({x},{y}) = {out[y, x].tolist()}")
    return out


if __name__ == "__main__":
    small = report("small", 7, 5, (-2, 1, 1, -2), 6, 5)
    print("  bytes", small.flatten().tolist())
    inner = report("inner window", 9, 7, (1, 2, 1, 1), 9, 7)
    print("  bytes", inner.flatten().tolist())
    s = [(0, 0), (607, 607), (300, 200), (5, 600), (600, 3), (123, 456)]
    report("640x480 -> 608x608", 640, 480, (-57, 103, 31, -88), 608, 608, s)
    report("640x480 padded all round", 640, 480, (-150, -100, -120, -60), 608, 608, s)
    report("640x480 whole image", 640, 480, (0, 0, 0, 0), 608, 608, s)

    # cv::mean multiplies the sum by 1/N, so a mean that is exactly k + 1/2 can land one ulp off
    # and round the other way: 147/98 -> 1.4999999999999998 -> 1; 2175/150 -> 14.500000000000002 -> 15
    a = np.zeros((7, 14, 3), np.uint8); a[0, 0] = (147, 49, 3)
    b = np.zeros((10, 15, 3), np.uint8); b.reshape(-1, 3)[:, 0] = 14; b.reshape(-1, 3)[:75, 0] = 15
    b.reshape(-1, 3)[:, 1] = 1; b.reshape(-1, 3)[:75, 1] = 2  # 225/150 = 1.5 exactly -> 2 (half even)
    for name, im in (("7x14 one pixel", a), ("15x10 halves", b)):
        fill = cv2.copyMakeBorder(im[:1, :1], 0, 0, 0, 1, cv2.BORDER_CONSTANT, value=cv2.mean(im))[0, 1]
        print(f"mean fill {name}: cv2.mean {cv2.mean(im)[:3]} -> {fill.tolist()}")
