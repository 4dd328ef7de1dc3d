/**
 * YOLOv4 (Bochkovskiy et al. 2020) as a TensorFlow.js functional model, layer for layer
 * after Darknet's `yolov4.cfg`: a CSPDarknet53 backbone with Mish (stages of 1, 2, 8, 8, 4
 * residual blocks), SPP, a PAN neck with leaky ReLU 0.1 and three heads at strides 8, 16
 * and 32 (SPEC §15). Width and depth multipliers give the smaller sizes (the nano preset
 * of ./index.ts). Options add SAM, DropBlock and CmBN.
 */
import * as tf from '@tensorflow/tfjs';
import { conv, cspStage, DropBlock, sam, spp, upsample, yoloHead, type BlockContext } from './blocks.ts';

/** Residual blocks of CSPDarknet53's five stages. */
export const CSPDARKNET53_DEPTHS = [1, 2, 8, 8, 4] as const;

/** What {@link buildYolov4} and `buildYolov4Tiny` need (validated and defaulted by `createModel`). */
export interface BuildOptions {
  /** Model name (the tf.LayersModel's name). */
  name: string;
  classes: number;
  /** Anchors per scale, A. */
  anchors: number;
  /** Channel multiplier; each width is rounded up to a multiple of 8 (at least 8). */
  width: number;
  /** Repeat multiplier; each count is rounded, at least 1. */
  depth: number;
  /** Fixed input [height, width], or null for any multiple of 32. */
  inputSize: [number, number] | null;
  /** SAM before each head. */
  sam: boolean;
  /** DropBlock on the two coarsest backbone outputs, or false. */
  dropBlock: { keepProb: number; blockSize: number } | false;
  /** Batch norm: `bn`, or `cmbn` with its window. */
  norm: 'bn' | 'cmbn';
  cmbnWindow: number;
  momentum: number;
  epsilon: number;
  /** First initialiser seed. */
  seed: number;
  /** Per head (finest first), the initial output-conv bias, or undefined for zeros. */
  headBias: (number[] | undefined)[];
}

/** Channels `c` of the full model scaled by `width`: a multiple of 8, at least 8. */
export function scaleWidth(c: number, width: number): number {
  return Math.max(8, Math.ceil((c * width) / 8) * 8);
}

/** A repeat count `n` of the full model scaled by `depth`: rounded, at least 1. */
export function scaleDepth(n: number, depth: number): number {
  return Math.max(1, Math.round(n * depth));
}

/** The shared builder context from the options. */
export function blockContext(o: BuildOptions): BlockContext {
  let seed = o.seed;
  return { norm: o.norm, momentum: o.momentum, epsilon: o.epsilon, cmbnWindow: o.cmbnWindow, nextSeed: () => seed++ };
}

/** Darknet's conv sets of the neck: 1×1 (c), 3×3 (2c), 1×1 (c), … `n` convs, leaky. */
function convSet(ctx: BlockContext, x: tf.SymbolicTensor, name: string, c: number, n: number): tf.SymbolicTensor {
  for (let i = 0; i < n; i++) x = conv(ctx, x, `${name}.${i}`, i % 2 === 0 ? c : 2 * c, i % 2 === 0 ? 1 : 3, 1, 'leaky');
  return x;
}

/**
 * YOLOv4: outputs `[B, H/8, W/8, A, 5+C]`, `[B, H/16, W/16, A, 5+C]`,
 * `[B, H/32, W/32, A, 5+C]`, in that order (the order of the targets' layers).
 *
 * Layer names follow the structure (`backbone.s3.res2.conv1`, `neck.spp.pool13`,
 * `head8.out`), so a checkpoint's weights can be read by name. Concatenations keep
 * Darknet's route order, so its weights map over one to one.
 */
export function buildYolov4(o: BuildOptions): tf.LayersModel {
  const ctx = blockContext(o);
  const ch = (c: number) => scaleWidth(c, o.width);
  const [ih, iw] = o.inputSize ?? [null, null];
  const input = tf.input({ shape: [ih, iw, 3], name: 'image' });

  // CSPDarknet53.
  let x = conv(ctx, input, 'backbone.stem', ch(32), 3, 1, 'mish');
  const stageFilters = [64, 128, 256, 512, 1024];
  const features: tf.SymbolicTensor[] = [];
  stageFilters.forEach((f, i) => {
    x = cspStage(ctx, x, `backbone.s${i + 1}`, { filters: ch(f), blocks: scaleDepth(CSPDARKNET53_DEPTHS[i]!, o.depth), first: i === 0 });
    if (o.dropBlock && i >= 3) {
      x = new DropBlock({ name: `backbone.s${i + 1}.dropblock`, ...o.dropBlock, seed: ctx.nextSeed() }).apply(x) as tf.SymbolicTensor;
    }
    features.push(x);
  });
  const [, , c3, c4, c5] = features as [unknown, unknown, tf.SymbolicTensor, tf.SymbolicTensor, tf.SymbolicTensor];

  // SPP on the stride-32 map, between two conv sets.
  let p5 = convSet(ctx, c5, 'neck.p5a', ch(512), 3);
  p5 = spp(p5, 'neck.spp');
  p5 = convSet(ctx, p5, 'neck.p5b', ch(512), 3);

  // PAN, top-down: upsample and fuse with a lateral 1×1 of the backbone map.
  const topDown = (from: tf.SymbolicTensor, lateral: tf.SymbolicTensor, name: string, c: number) => {
    const up = upsample(conv(ctx, from, `${name}.reduce`, c, 1, 1, 'leaky'), `${name}.upsample`);
    const side = conv(ctx, lateral, `${name}.lateral`, c, 1, 1, 'leaky');
    const merged = tf.layers.concatenate({ name: `${name}.concat` }).apply([side, up]) as tf.SymbolicTensor;
    return convSet(ctx, merged, `${name}.convs`, c, 5);
  };
  const p4 = topDown(p5, c4, 'neck.p4', ch(256));
  const p3 = topDown(p4, c3, 'neck.p3', ch(128));

  // Bottom-up: a stride-2 3×3 conv fused with the top-down map of the next scale.
  const bottomUp = (from: tf.SymbolicTensor, top: tf.SymbolicTensor, name: string, c: number) => {
    const down = conv(ctx, from, `${name}.down`, c, 3, 2, 'leaky');
    const merged = tf.layers.concatenate({ name: `${name}.concat` }).apply([down, top]) as tf.SymbolicTensor;
    return convSet(ctx, merged, `${name}.convs`, c, 5);
  };

  const head = (from: tf.SymbolicTensor, stride: number, c: number, bias: number[] | undefined) => {
    let h = from;
    if (o.sam) h = sam(ctx, h, `head${stride}.sam`, c);
    h = conv(ctx, h, `head${stride}.conv3`, 2 * c, 3, 1, 'leaky');
    return yoloHead(ctx, h, `head${stride}`, o.anchors, o.classes, bias);
  };
  const out8 = head(p3, 8, ch(128), o.headBias[0]);
  const n4 = bottomUp(p3, p4, 'neck.n4', ch(256));
  const out16 = head(n4, 16, ch(256), o.headBias[1]);
  const n5 = bottomUp(n4, p5, 'neck.n5', ch(512));
  const out32 = head(n5, 32, ch(512), o.headBias[2]);
  return tf.model({ inputs: input, outputs: [out8, out16, out32], name: o.name });
}
