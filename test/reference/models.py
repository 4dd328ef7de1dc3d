"""Worked numbers for test/models.test.ts (documentation; CI never runs this).

numpy only: SPP's max-pools (stride 1, 'same', padding never wins), YOLOv4's point-wise SAM
in inference (x * sigmoid(BN(conv1x1(x)))), and CmBN's statistics over two mini-batches.
The published parameter counts come from the Darknet weight files: a 20-byte header, then
float32 values (per conv: biases/beta, [scales/gamma, rolling mean, rolling variance,] weights).
"""
import numpy as np

np.set_printoptions(precision=7, suppress=True, linewidth=200)

# --- SPP on an 8x8 single-channel map --------------------------------------------------
# All negative, so a zero padding would win wherever it was counted.
v = np.array([-((i * 8 + j) * 37 % 64) - 1 for i in range(8) for j in range(8)], dtype=np.float32).reshape(8, 8)


def maxpool_same(a, k):
    r = k // 2
    p = np.full((a.shape[0] + 2 * r, a.shape[1] + 2 * r), -np.inf, dtype=np.float32)
    p[r:r + a.shape[0], r:r + a.shape[1]] = a
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = p[i:i + k, j:j + k].max()
    return out


print('spp input', v.astype(int).ravel().tolist())
for k in (5, 9, 13):
    print(f'pool{k}', maxpool_same(v, k).astype(int).ravel().tolist())

# --- SAM (inference) ----------------------------------------------------------------------
x = np.array([0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 0.0, -2.0], dtype=np.float64).reshape(1, 2, 2, 2)
W = np.array([[0.8, -0.3], [0.2, 0.6]])  # [ci, co]
gamma = np.array([1.2, 0.7]); beta = np.array([0.1, -0.2])
mm = np.array([0.05, -0.1]); mv = np.array([0.9, 1.6]); eps = 1e-3
y = x @ W
a = 1 / (1 + np.exp(-(gamma * (y - mm) / np.sqrt(mv + eps) + beta)))
print('sam out', (x * a).ravel().round(7).tolist())

# --- CmBN over two mini-batches (identity 1x1 conv, linear, gamma 1, beta 0) -----------
x1 = np.array([1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 0.0, 1.5]).reshape(4, 2)   # 1x2x2x2 as 4 positions x 2 channels
x2 = np.array([2.5, -0.5, 1.0, 1.0, -1.5, 0.25, 4.0, 2.0]).reshape(4, 2)
m = 0.03
mu1, var1 = x1.mean(0), x1.var(0)
out1 = (x1 - mu1) / np.sqrt(var1 + eps)
both = np.concatenate([x1, x2])
mu12, var12 = both.mean(0), both.var(0)
out2 = (x2 - mu12) / np.sqrt(var12 + eps)
mm1 = (1 - m) * 0 + m * mu1
mv1 = (1 - m) * 1 + m * var1 * 4 / 3
mm2 = (1 - m) * mm1 + m * mu12
mv2 = (1 - m) * mv1 + m * var12 * 8 / 7
mu2, var2 = x2.mean(0), x2.var(0)
out2bn = (x2 - mu2) / np.sqrt(var2 + eps)
print('cmbn out1', out1.ravel().round(7).tolist())
print('cmbn out2 (x1+x2 stats)', out2.ravel().round(7).tolist())
print('bn out2 (x2 stats)', out2bn.ravel().round(7).tolist())
print('moving mean/var after 2', mm2.round(7).tolist(), mv2.round(7).tolist())

# --- Published sizes ------------------------------------------------------------------------
for name, size in (('yolov4.weights', 257717640), ('yolov4-tiny.weights', 24251276)):
    print(name, (size - 20) // 4, 'float32 values')
