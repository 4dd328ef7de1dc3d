"""Worked numbers of test/shapes.test.ts: Darknet's random resize and dynamic_minibatch
with its C semantics (float32 scale arithmetic, roundl, int division, (int) truncation),
and the memory-budget rule. Documentation only; CI never runs it."""
import numpy as np

f32 = np.float32


def roundl(x):  # C roundl: half away from zero
    return int(np.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def side(scale, init, step):
    return roundl(float(f32(f32(f32(f32(scale) * f32(init)) / f32(step)) + f32(1)))) * step


def darknet_shape(scale, iw=416, ih=416, step=32):
    w, h = side(scale, iw, step), side(scale, ih, step)
    if scale < 1 and (w > iw or h > ih):
        w, h = iw, ih
    return max(w, step), max(h, step)


def darknet_batch(b0, w, h, mw=608, mh=608):
    b = (b0 * mw * mh) // (w * h)   # both positive: C int division == floor
    nb = int(b * 0.8)               # (int)(double) truncates
    return nb if nb > b0 else b


print('max_dim', darknet_shape(1.4))
for s in [1.4, 1.2, 1.0, 0.99, 0.95, 1 / 1.4, 1.05, 0.8]:
    print('scale', s, '->', darknet_shape(s))
# every shape reachable: scan the scale finely
seen = sorted({darknet_shape(s)[0] for s in np.linspace(1 / 1.4, 1.4, 200001)})
print('reachable', seen)
for S in range(320, 609, 32):
    print('b0 16 at', S, '->', darknet_batch(16, S, S), ' b0 2 ->', darknet_batch(2, S, S))
print('b0 1, 32 vs max 64:', darknet_batch(1, 32, 32, 64, 64))
for S in [64, 96, 128]:
    print('b0 4 at', S, 'max 128 ->', darknet_batch(4, S, S, 128, 128))
GiB = 2 ** 30
for S in [320, 416, 608]:
    per = S * S * 3 * 4 * 357
    print('2GiB at', S, ': per image', per, '->', max(1, (2 * GiB) // per))
print('512MiB at 320 ->', max(1, (512 * 2 ** 20) // (320 * 320 * 3 * 4 * 357)))
