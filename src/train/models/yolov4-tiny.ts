/**
 * YOLOv4-tiny as a TensorFlow.js functional model, after Darknet's `yolov4-tiny.cfg`:
 * leaky ReLU 0.1 throughout, three CSP-tiny blocks (a 3×3 conv, its second channel half
 * through two 3×3 convs, their concatenation merged by a 1×1, concatenated with the
 * block's input conv, then a 2×2 max-pool), a 512 3×3 conv and two heads at strides 16
 * and 32. The cfg writes the stride-32 head first; the model returns the finest first,
 * the order of the targets' layers.
 */
import * as tf from '@tensorflow/tfjs';
import { conv, DropBlock, RouteGroup, sam, upsample, yoloHead, type BlockContext } from './blocks.ts';
import { blockContext, scaleWidth, type BuildOptions } from './yolov4.ts';

/** YOLOv4-tiny's COCO anchors, `[w, h]` in pixels at 416×416 (`yolov4-tiny.cfg`). */
export const YOLOV4_TINY_ANCHORS: readonly (readonly [number, number])[] = [
  [10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319],
];
/**
 * The cfg's masks, finest first: the stride-16 head uses anchors 1, 2, 3 (`mask = 1,2,3`;
 * anchor 0 is never used) and the stride-32 head 3, 4, 5 — anchor 3 belongs to both.
 */
export const YOLOV4_TINY_MASKS: readonly (readonly number[])[] = [[1, 2, 3], [3, 4, 5]];
/** Disjoint masks over the six anchors (what later tiny cfgs and most ports use). */
export const YOLOV4_TINY_MASKS_DISJOINT: readonly (readonly number[])[] = [[0, 1, 2], [3, 4, 5]];
/** Strides of the tiny heads, finest first. */
export const YOLOV4_TINY_STRIDES: readonly number[] = [16, 32];
/** The network size the tiny anchors were computed for. */
export const YOLOV4_TINY_ANCHOR_SIZE = 416;

/**
 * One CSP-tiny block (`c` channels in the 3×3 input conv): returns the block output
 * after the pool and the pre-pool 1×1 merge (the stride-16 feature the neck reads).
 */
function cspTiny(ctx: BlockContext, x: tf.SymbolicTensor, name: string, c: number): { out: tf.SymbolicTensor; merge: tf.SymbolicTensor } {
  const route = conv(ctx, x, `${name}.conv`, c, 3, 1, 'leaky');
  const half = new RouteGroup({ name: `${name}.group`, groups: 2, groupId: 1 }).apply(route) as tf.SymbolicTensor;
  const a = conv(ctx, half, `${name}.part1`, c / 2, 3, 1, 'leaky');
  const b = conv(ctx, a, `${name}.part2`, c / 2, 3, 1, 'leaky');
  const cat = tf.layers.concatenate({ name: `${name}.concat1` }).apply([b, a]) as tf.SymbolicTensor;
  const merge = conv(ctx, cat, `${name}.merge`, c, 1, 1, 'leaky');
  const cat2 = tf.layers.concatenate({ name: `${name}.concat2` }).apply([route, merge]) as tf.SymbolicTensor;
  const out = tf.layers.maxPooling2d({ name: `${name}.pool`, poolSize: 2, strides: 2, padding: 'same' }).apply(cat2) as tf.SymbolicTensor;
  return { out, merge };
}

/**
 * YOLOv4-tiny: outputs `[B, H/16, W/16, A, 5+C]` then `[B, H/32, W/32, A, 5+C]`. `depth`
 * does not apply (no repeated blocks). SAM goes before each head's 3×3 conv and DropBlock
 * on the stride-16 merge and the final 512 conv, as in the full model.
 */
export function buildYolov4Tiny(o: BuildOptions): tf.LayersModel {
  const ctx = blockContext(o);
  const ch = (c: number) => scaleWidth(c, o.width);
  const [ih, iw] = o.inputSize ?? [null, null];
  const input = tf.input({ shape: [ih, iw, 3], name: 'image' });
  const drop = (x: tf.SymbolicTensor, name: string) =>
    o.dropBlock ? (new DropBlock({ name, ...o.dropBlock, seed: ctx.nextSeed() }).apply(x) as tf.SymbolicTensor) : x;

  let x = conv(ctx, input, 'backbone.conv0', ch(32), 3, 2, 'leaky');
  x = conv(ctx, x, 'backbone.conv1', ch(64), 3, 2, 'leaky');
  x = cspTiny(ctx, x, 'backbone.b1', ch(64)).out;
  x = cspTiny(ctx, x, 'backbone.b2', ch(128)).out;
  const b3 = cspTiny(ctx, x, 'backbone.b3', ch(256));
  const f16 = drop(b3.merge, 'backbone.b3.dropblock');
  const f32 = drop(conv(ctx, b3.out, 'backbone.conv2', ch(512), 3, 1, 'leaky'), 'backbone.dropblock');

  const p5 = conv(ctx, f32, 'neck.p5', ch(256), 1, 1, 'leaky');
  const head = (from: tf.SymbolicTensor, stride: number, c: number, bias: number[] | undefined) => {
    let h = from;
    if (o.sam) h = sam(ctx, h, `head${stride}.sam`, h.shape[3]!);
    h = conv(ctx, h, `head${stride}.conv3`, c, 3, 1, 'leaky');
    return yoloHead(ctx, h, `head${stride}`, o.anchors, o.classes, bias);
  };
  const out32 = head(p5, 32, ch(512), o.headBias[1]);
  const reduced = conv(ctx, p5, 'neck.p4.reduce', ch(128), 1, 1, 'leaky');
  const upsampled = upsample(reduced, 'neck.p4.upsample');
  const p4 = tf.layers.concatenate({ name: 'neck.p4.concat' }).apply([upsampled, f16]) as tf.SymbolicTensor;
  const out16 = head(p4, 16, ch(256), o.headBias[0]);
  return tf.model({ inputs: input, outputs: [out16, out32], name: o.name });
}
