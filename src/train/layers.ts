/**
 * Layer pieces whose stock tfjs forms are wrong or slow for training on the `wasm`
 * and `cpu` backends (see /work/shared/ENVIRONMENT.md, "TensorFlow.js backends").
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Exact nearest-neighbour ×2 upsampling of an NHWC batch: out[b, 2i+u, 2j+v, c] =
 * x[b, i, j, c] for u, v ∈ {0, 1} (YOLOv4's `upsample` layer, stride 2).
 *
 * Forward: a reshape to [B,H,1,W,1,C] and a broadcast multiply by ones. Backward: each
 * input's gradient is the sum of its 2×2 block of dy, computed as 4·avgPool(dy, 2, 2)
 * (scaling by 4 is exact). This avoids `tf.image.resizeNearestNeighbor`, whose cpu
 * gradient (`ResizeNearestNeighborGrad`) reads dy with the input's batch stride and is
 * wrong for batch > 1, and `tile`/`broadcastTo`, whose gradient is not implemented
 * past rank 5 or goes through slow slicing. On wasm, forward + backward of
 * 8×20×20×128 cost ≈ 10 ms (resizeNearestNeighbor ≈ 49 ms, autodiff of the
 * broadcast multiply ≈ 36 ms).
 */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return upsampleOp(x) as tf.Tensor4D;
}

const upsampleOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor4D;
  const [b, h, w, c] = x.shape;
  return {
    value: x.reshape([b, h, 1, w, 1, c]).mul(tf.ones([1, 1, 2, 1, 2, 1])).reshape([b, 2 * h, 2 * w, c]),
    gradFunc: (dy: tf.Tensor) => tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid').mul(tf.scalar(4)),
  };
});

/**
 * Mish activation, x·tanh(softplus(x)) (Misra 2019; YOLOv4's backbone, SPEC §15).
 *
 * With s = σ(x), 1 + eˣ = 1/(1 − s), so
 * tanh(softplus(x)) = ((1+eˣ)² − 1)/((1+eˣ)² + 1) = s·(2 − s) / (1 + (1 − s)²):
 * softplus is never formed, nothing can overflow (s ∈ [0, 1] for every x, so mish(±1000)
 * is ±1000·{1, 0}), and for x → −∞ the numerator s·(2 − s) keeps eˣ's relative
 * precision where 1 − (1 − s)² would cancel. It costs one sigmoid — a vectorised
 * kernel on wasm — where tanh(softplus(x)) costs two slow transcendental kernels:
 * forward + backward on 8×80×80×32 take ≈ 50 ms on wasm against ≈ 150 ms for the
 * composed ops. The gradient, tanh(sp) + x·s·(1 − tanh²(sp)), is written out from the
 * saved x, s and tanh(sp).
 */
export function mish<T extends tf.Tensor>(x: T): T {
  return mishOp(x) as T;
}

const mishOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const s = tf.sigmoid(x);
  const u = tf.scalar(1).sub(s);
  const t = s.mul(tf.scalar(2).sub(s)).div(u.square().add(1));
  (args[1] as tf.GradSaveFunc)([x, s, t]);
  return {
    value: x.mul(t),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ss, ts] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return dy.mul(ts.add(xs.mul(ss).mul(tf.scalar(1).sub(ts.square()))));
    },
  };
});
