/**
 * Building blocks of the YOLOv4 family (SPEC §15) as TensorFlow.js Layers-API layers:
 * conv + batch norm + activation ({@link ConvBnAct}, with CmBN as an option), the CSP
 * stage of CSPDarknet53 ({@link cspStage}), SPP ({@link spp}), YOLOv4's point-wise SAM
 * ({@link sam}), {@link DropBlock} with its keep-probability ramp, the exact ×2 upsample
 * ({@link Upsample2x}), Darknet's grouped route ({@link RouteGroup}) and the head reshape
 * ({@link YoloHead}).
 *
 * Every custom layer is registered with `tf.serialization.registerClass` when this module
 * loads, so a model saved in the tfjs format loads back (src/train/checkpoint.ts) with the
 * same layers and identical outputs. The layers read `kwargs.training` (what
 * `model.apply(x, { training: true })` passes): batch statistics and DropBlock in training,
 * moving statistics (folded into the convolution) and identity in inference.
 *
 * Runtime state that is not a weight — DropBlock's current keep probability and draw
 * counter, the CmBN accumulators, whether batch norm updates its moving statistics — is
 * set on a whole model through {@link setDropBlockProgress}, {@link startCmbnStep},
 * {@link setStatUpdates}, and carried through a checkpoint by {@link modelRuntimeState} /
 * {@link restoreRuntimeState}.
 */
import * as tf from '@tensorflow/tfjs';
import { mish, upsample2x } from '../layers.ts';

/** A layer shape with `null` for free dimensions (the batch, or a variable input size). */
export type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Weight = ReturnType<tf.layers.Layer['addWeight']>;
type Sym = tf.SymbolicTensor;

/** Activations of the family: Mish (CSPDarknet53), leaky ReLU 0.1 (neck, tiny), logistic (SAM), linear (heads). */
export type Activation = 'mish' | 'leaky' | 'logistic' | 'linear';

/**
 * Normalisation of a {@link ConvBnAct}: `bn` (batch statistics of the mini-batch), `cmbn`
 * (statistics accumulated over the mini-batches of one gradient-accumulation step, SPEC
 * §15), or `none` (a bias instead; the heads).
 */
export type NormMode = 'bn' | 'cmbn' | 'none';

/** Leaky ReLU slope of Darknet's `leaky` activation. */
export const LEAKY_ALPHA = 0.1;

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

function singleShape(shape: Shape | Shape[]): Shape {
  return Array.isArray(shape[0]) ? (shape[0] as Shape) : (shape as Shape);
}

/** A 32-bit mix of two integers (a seed for one DropBlock draw from the layer seed and a counter). */
function mixSeed(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Options of {@link ConvBnAct} (also its serialised config). */
export interface ConvBnActArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  /** Default 1. Stride 2 pads k//2 on every side, as Darknet (`pad=1`) and PyTorch ports do. */
  strides?: number;
  /** Default `mish`. */
  activation?: Activation;
  /** Default `bn`. */
  norm?: NormMode;
  /** Moving-average weight of a new batch statistic. Default 0.03 (YOLOv5; Darknet uses 0.01). */
  momentum?: number;
  /** Added to the variance. Default 1e-3 (YOLOv5). */
  epsilon?: number;
  /**
   * CmBN only: the accumulators reset by themselves after this many training mini-batches,
   * a guard for a trainer that never calls {@link startCmbnStep}. Default 4.
   */
  cmbnWindow?: number;
  /** Seed of the kernel's He-uniform initialiser. Default 0. */
  seed?: number;
  /** `norm: 'none'` only: initial bias per output channel (default zeros). */
  biasInit?: number[];
}

/** CmBN running statistics of the mini-batches seen so far in this accumulation step. */
interface CmbnAccumulator {
  /** Values (batch × height × width) summarised so far. */
  count: number;
  /** Mini-batches summarised so far. */
  batches: number;
  mean: tf.Tensor1D;
  /** Sum of squared deviations from `mean` (Chan et al.'s M2). */
  m2: tf.Tensor1D;
}

/**
 * Convolution (no bias) → batch norm → activation, Darknet's `[convolutional]
 * batch_normalize=1`. With `norm: 'none'` it is a convolution with a bias (a head's output
 * layer).
 *
 * Training (`kwargs.training`): batch norm normalises with the mini-batch's mean and
 * (biased) variance over batch, height and width, and moves the moving statistics by
 * `momentum` (the variance unbiased) unless {@link setStatUpdates} turned that off. Batch
 * norm and the activation run as one custom-gradient op with a closed-form backward (not
 * tfjs's `FusedBatchNorm`, whose gradient tiles and is slow on wasm; see
 * `normalizeTraining`).
 * With `norm: 'cmbn'` the mean and variance are those of every mini-batch since the last
 * {@link startCmbnStep}, combined with Chan's parallel formula; the previous mini-batches
 * enter as constants, so the gradient flows through the current one only.
 *
 * Inference: batch norm folds into the kernel and a bias (w·γ/σ, β − μ·γ/σ) and runs as
 * one `tf.fused.conv2d`, with leaky and logistic fused too.
 */
export class ConvBnAct extends tf.layers.Layer {
  static className = 'ConvBnAct';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly activation: Activation;
  readonly norm: NormMode;
  readonly momentum: number;
  readonly epsilon: number;
  readonly cmbnWindow: number;
  readonly seed: number;
  readonly biasInit: number[] | undefined;
  /** Whether training calls move the moving statistics (and CmBN accumulators). */
  statUpdates = true;
  private kernel!: Weight;
  private gamma?: Weight;
  private beta?: Weight;
  private movingMean?: Weight;
  private movingVariance?: Weight;
  private bias?: Weight;
  private acc: CmbnAccumulator | undefined;

  constructor(args: ConvBnActArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.activation = args.activation ?? 'mish';
    this.norm = args.norm ?? 'bn';
    this.momentum = args.momentum ?? 0.03;
    this.epsilon = args.epsilon ?? 1e-3;
    this.cmbnWindow = args.cmbnWindow ?? 4;
    this.seed = args.seed ?? 0;
    this.biasInit = args.biasInit;
    if (this.biasInit && this.biasInit.length !== this.filters) {
      throw new Error(`ConvBnAct ${this.name}: biasInit has ${this.biasInit.length} values for ${this.filters} filters`);
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const inChannels = shape[shape.length - 1];
    if (inChannels == null) throw new Error(`ConvBnAct ${this.name}: the channel count of the input must be known`);
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, inChannels, this.filters], 'float32', tf.initializers.heUniform({ seed: this.seed }));
    if (this.norm === 'none') {
      this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
      if (this.biasInit) {
        const init = tf.tensor1d(this.biasInit);
        this.bias.write(init);
        init.dispose();
      }
    } else {
      this.gamma = this.addWeight('gamma', [this.filters], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [this.filters], 'float32', tf.initializers.zeros());
      this.movingMean = this.addWeight('moving_mean', [this.filters], 'float32', tf.initializers.zeros(), undefined, false);
      this.movingVariance = this.addWeight('moving_variance', [this.filters], 'float32', tf.initializers.ones(), undefined, false);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = singleShape(inputShape);
    const s = this.strides;
    const out = (n: number | null | undefined) => (n == null ? null : s === 1 ? n : Math.ceil(n / s));
    return [b ?? null, out(h), out(w), this.filters];
  }

  /** Darknet pads k//2 on each side; for stride 1 and odd k that is 'same'. */
  private pad(): 'same' | [[number, number], [number, number], [number, number], [number, number]] {
    if (this.strides === 1) return 'same';
    const p = Math.floor(this.kernelSize / 2);
    return [[0, 0], [p, p], [p, p], [0, 0]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const training = kwargs?.['training'] === true;
      const kernel = this.kernel.read() as tf.Tensor4D;
      if (this.norm === 'none') {
        const y = tf.add(tf.conv2d(x, kernel, this.strides, this.pad()), this.bias!.read());
        return activate(y, this.activation);
      }
      if (!training) return this.inference(x, kernel);
      return this.normalizeTraining(tf.conv2d(x, kernel, this.strides, this.pad()));
    });
  }

  private inference(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor {
    const scale = tf.mul(this.gamma!.read(), tf.rsqrt(tf.add(this.movingVariance!.read(), this.epsilon)));
    const filter = tf.mul(kernel, scale) as tf.Tensor4D;
    const bias = tf.sub(this.beta!.read(), tf.mul(this.movingMean!.read(), scale));
    const fused = this.activation === 'leaky' ? 'leakyrelu' : this.activation === 'logistic' ? 'sigmoid' : 'linear';
    const y = tf.fused.conv2d({ x, filter, strides: this.strides, pad: this.pad(), bias, activation: fused, leakyreluAlpha: LEAKY_ALPHA });
    return this.activation === 'mish' ? mish(y) : y;
  }

  /**
   * Batch norm and activation of the conv output `y` in training, as one custom-gradient
   * op: its forward ops are not taped, and the backward is the closed form
   * dy = γr·(du − Σdu/N − x̂·Σ(du·x̂)/N), dγ = Σ du·x̂, dβ = Σ du, with r = 1/√(σ² + ε),
   * x̂ = (y − μ)·r and du the gradient at the activation's input (sums over this
   * mini-batch; N counts every value the statistics cover, so CmBN's earlier mini-batches
   * enter as constants with the same formula). That is ~25 kernels per layer instead of
   * ~120 for autodiff of the composed ops; on wasm the per-kernel cost dominates.
   */
  private normalizeTraining(y: tf.Tensor4D): tf.Tensor {
    const act = this.activation;
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [yIn, gamma, beta] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
      const save = args[3] as tf.GradSaveFunc;
      const [B, H, W] = yIn.shape;
      const n = B * H * W;
      const batchMean = tf.mean(yIn, [0, 1, 2]) as tf.Tensor1D;
      let centered = tf.sub(yIn, batchMean);
      const batchVar = tf.mean(tf.square(centered), [0, 1, 2]) as tf.Tensor1D;
      let mean = batchMean;
      let variance = batchVar;
      let total = n;
      const prev = this.norm === 'cmbn' ? this.acc : undefined;
      if (prev) {
        // Chan et al.: combine (count, mean, M2) of the earlier mini-batches with this one.
        total = prev.count + n;
        const delta = tf.sub(batchMean, prev.mean);
        mean = tf.add(prev.mean, tf.mul(delta, n / total));
        const m2 = tf.add(tf.add(prev.m2, tf.mul(batchVar, n)), tf.mul(tf.square(delta), (prev.count * n) / total));
        variance = tf.div(m2, total);
        centered = tf.sub(yIn, mean);
      }
      const r = tf.rsqrt(tf.add(variance, this.epsilon)) as tf.Tensor1D;
      // u = x̂·γ + β with x̂ = (y − μ)·r, written as (y − μ)·(γr) + β; the backward needs
      // only y − μ and three per-channel factors, never x̂ itself.
      const a = tf.mul(gamma, r) as tf.Tensor1D;
      const u = tf.add(tf.mul(centered, a), beta) as tf.Tensor4D;
      const aN = tf.mul(a, -1 / total) as tf.Tensor1D;
      const aNr2 = tf.mul(aN, tf.square(r)) as tf.Tensor1D;
      let z: tf.Tensor4D;
      let actSaved: tf.Tensor[];
      if (act === 'mish') {
        // mish(u) = u·t, t = tanh(softplus(u)) = s(2 − s)/(1 + (1 − s)²), s = σ(u): the
        // overflow-free form of src/train/layers.ts's mish().
        const s = tf.sigmoid(u);
        const t = tf.div(tf.mul(s, tf.sub(2, s)), tf.add(tf.square(tf.sub(1, s)), 1));
        z = tf.mul(u, t);
        actSaved = [u, s, t];
      } else if (act === 'leaky') {
        z = tf.leakyRelu(u, LEAKY_ALPHA);
        actSaved = [u];
      } else if (act === 'logistic') {
        z = tf.sigmoid(u);
        actSaved = [z];
      } else {
        z = u;
        actSaved = [];
      }
      save([centered, r, a, aN, aNr2, ...actSaved]);
      if (this.statUpdates) this.updateStats(mean, variance, total, prev);
      return {
        value: z,
        gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
          const [c, rs, as, asN, asNr2, ...acts] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, ...tf.Tensor4D[]];
          let du: tf.Tensor;
          if (act === 'mish') {
            const [us, ss, ts] = acts as [tf.Tensor, tf.Tensor, tf.Tensor];
            du = tf.mul(dz, tf.add(ts, tf.mul(tf.mul(us, ss), tf.sub(1, tf.square(ts)))));
          } else if (act === 'leaky') {
            du = tf.mul(dz, tf.step(acts[0]!, LEAKY_ALPHA));
          } else if (act === 'logistic') {
            const zs = acts[0]!;
            du = tf.mul(dz, tf.mul(zs, tf.sub(1, zs)));
          } else {
            du = dz;
          }
          const dBeta = tf.sum(du, [0, 1, 2]);
          const sumDuC = tf.sum(tf.mul(du, c), [0, 1, 2]);
          const dGamma = tf.mul(sumDuC, rs);
          // dy = γr·du − (γr/N)·Σdu − (γr³/N)·Σ(du·(y − μ))·(y − μ).
          const dy = tf.add(tf.add(tf.mul(du, as), tf.mul(c, tf.mul(asNr2, sumDuC))), tf.mul(asN, dBeta));
          return [dy, dGamma, dBeta];
        },
      };
    });
    return op(y, this.gamma!.read(), this.beta!.read());
  }

  private updateStats(mean: tf.Tensor1D, variance: tf.Tensor1D, total: number, prev: CmbnAccumulator | undefined): void {
    const m = this.momentum;
    const unbiased = total > 1 ? tf.mul(variance, total / (total - 1)) : variance;
    this.movingMean!.write(tf.add(tf.mul(this.movingMean!.read(), 1 - m), tf.mul(mean, m)));
    this.movingVariance!.write(tf.add(tf.mul(this.movingVariance!.read(), 1 - m), tf.mul(unbiased, m)));
    if (this.norm !== 'cmbn') return;
    const batches = (prev?.batches ?? 0) + 1;
    this.resetCmbn();
    if (batches >= this.cmbnWindow) return;
    this.acc = {
      count: total,
      batches,
      mean: tf.keep(tf.clone(mean)),
      m2: tf.keep(tf.mul(variance, total)) as tf.Tensor1D,
    };
  }

  /** Forgets the CmBN statistics of earlier mini-batches (the next call starts a step). */
  resetCmbn(): void {
    if (!this.acc) return;
    this.acc.mean.dispose();
    this.acc.m2.dispose();
    this.acc = undefined;
  }

  /** Mini-batches summarised in the current CmBN step (0 when none, or `norm` is not `cmbn`). */
  get cmbnBatches(): number {
    return this.acc?.batches ?? 0;
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    this.resetCmbn();
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      activation: this.activation,
      norm: this.norm,
      momentum: this.momentum,
      epsilon: this.epsilon,
      cmbnWindow: this.cmbnWindow,
      seed: this.seed,
    };
    if (this.biasInit) config['biasInit'] = this.biasInit;
    return { ...super.getConfig(), ...config };
  }
}

/** Applies one of the family's activations (Mish through the fast, stable form of src/train/layers.ts). */
export function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  switch (activation) {
    case 'mish':
      return mish(x);
    case 'leaky':
      return tf.leakyRelu(x, LEAKY_ALPHA);
    case 'logistic':
      return tf.sigmoid(x);
    case 'linear':
      return x;
  }
}

/** Exact nearest-neighbour ×2 upsampling (Darknet `[upsample] stride=2`) as a layer; see `upsample2x`. */
export class Upsample2x extends tf.layers.Layer {
  static className = 'Upsample2x';
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w, c] = singleShape(inputShape);
    return [b ?? null, h == null ? null : 2 * h, w == null ? null : 2 * w, c ?? null];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return upsample2x(single(inputs) as tf.Tensor4D);
  }
}

/** Options of {@link RouteGroup}. */
export interface RouteGroupArgs extends LayerArgs {
  groups: number;
  groupId: number;
}

/**
 * Darknet's `[route] groups=G group_id=g`: channels [g·C/G, (g+1)·C/G) of the input
 * (YOLOv4-tiny's CSP-tiny blocks take the second half, g = 1 of 2).
 */
export class RouteGroup extends tf.layers.Layer {
  static className = 'RouteGroup';
  readonly groups: number;
  readonly groupId: number;
  constructor(args: RouteGroupArgs) {
    super(args);
    this.groups = args.groups;
    this.groupId = args.groupId;
    if (!(this.groupId >= 0 && this.groupId < this.groups)) throw new Error(`RouteGroup: groupId ${this.groupId} must lie in [0, ${this.groups})`);
  }
  private channels(c: number | null | undefined): number {
    if (c == null || c % this.groups !== 0) throw new Error(`RouteGroup ${this.name}: ${c} channels do not split into ${this.groups} groups`);
    return c / this.groups;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [...s.slice(0, -1), this.channels(s[s.length - 1])];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs) as tf.Tensor4D;
    const c = this.channels(x.shape[3]);
    return tf.slice(x, [0, 0, 0, this.groupId * c], [-1, -1, -1, c]);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups, groupId: this.groupId };
  }
}

/** Options of {@link YoloHead}. */
export interface YoloHeadArgs extends LayerArgs {
  anchors: number;
  classes: number;
}

/**
 * The raw output of one scale: `[B, H, W, A·(5 + C)]` → `[B, H, W, A, 5 + C]`, anchor-major as
 * Darknet lays the channels out (anchor a owns channels a·(5+C) … a·(5+C) + 4 + C). The
 * last axis is (tx, ty, tw, th, objectness logit, class logits); nothing is decoded here.
 */
export class YoloHead extends tf.layers.Layer {
  static className = 'YoloHead';
  readonly anchors: number;
  readonly classes: number;
  constructor(args: YoloHeadArgs) {
    super(args);
    this.anchors = args.anchors;
    this.classes = args.classes;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = singleShape(inputShape);
    return [b ?? null, h ?? null, w ?? null, this.anchors, 5 + this.classes];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs);
    const [b, h, w, c] = x.shape as [number, number, number, number];
    if (c !== this.anchors * (5 + this.classes)) {
      throw new Error(`YoloHead ${this.name}: ${c} channels, expected ${this.anchors} × (5 + ${this.classes})`);
    }
    return tf.reshape(x, [b, h, w, this.anchors, 5 + this.classes]);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), anchors: this.anchors, classes: this.classes };
  }
}

/** Options of {@link DropBlock}. */
export interface DropBlockArgs extends LayerArgs {
  /** Target keep probability (reached at the end of the ramp). Default 0.9. */
  keepProb?: number;
  /** Side of a dropped square, clamped to the feature map. Default 7 (Ghiasi et al.). */
  blockSize?: number;
  /** Seed of the drop masks (each training call draws with a new counter value). Default 0. */
  seed?: number;
}

/**
 * DropBlock (Ghiasi et al. 2018; SPEC §15): in training, drops contiguous
 * block_size × block_size squares of each channel and rescales the kept activations by
 * (number of values / number kept). Seeds fall with probability
 * γ = (1 − keep)/bs² · H·W / ((H − bs + 1)(W − bs + 1)) on the positions where a whole
 * block fits, so about 1 − keep of the map is dropped. Identity in inference and while the
 * current keep probability is 1.
 *
 * The current keep probability ramps linearly from 1 to `keepProb` over training:
 * {@link setDropBlockProgress}(model, t/T) sets it (default: the target, as if the ramp
 * were over). The masks come from `tf.randomUniform` seeded with (seed, number of
 * training calls so far), so a run repeats exactly and a checkpoint carries the counter.
 */
export class DropBlock extends tf.layers.Layer {
  static className = 'DropBlock';
  readonly keepProb: number;
  readonly blockSize: number;
  readonly seed: number;
  /** Keep probability in force now (see {@link setDropBlockProgress}). */
  currentKeepProb: number;
  /** Training calls that drew a mask. */
  draws = 0;

  constructor(args: DropBlockArgs) {
    super(args);
    this.keepProb = args.keepProb ?? 0.9;
    this.blockSize = args.blockSize ?? 7;
    this.seed = args.seed ?? 0;
    if (!(this.keepProb > 0 && this.keepProb <= 1)) throw new Error(`DropBlock: keepProb ${this.keepProb} must lie in (0, 1]`);
    if (!(Number.isInteger(this.blockSize) && this.blockSize >= 1)) throw new Error(`DropBlock: blockSize ${this.blockSize} must be a whole number ≥ 1`);
    this.currentKeepProb = this.keepProb;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs) as tf.Tensor4D;
    if (kwargs?.['training'] !== true || this.currentKeepProb >= 1) return x;
    return tf.tidy(() => {
      const mask = dropBlockMask(x.shape, this.currentKeepProb, this.blockSize, mixSeed(this.seed, this.draws++));
      const kept = tf.sum(mask);
      const scale = tf.div(tf.scalar(mask.size), tf.maximum(kept, 1));
      return tf.mul(x, tf.mul(mask, scale));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), keepProb: this.keepProb, blockSize: this.blockSize, seed: this.seed };
  }
}

/**
 * A DropBlock keep mask for a `[B, H, W, C]` map: 0 inside dropped blocks, 1 elsewhere.
 * Seeds are drawn on the (H − bs + 1) × (W − bs + 1) positions where a block fits
 * (`tf.randomUniform(…, seed) < γ`); each seed at (i, j) drops rows i … i + bs − 1 and
 * columns j … j + bs − 1 (a max-pool of the zero-padded seeds). `bs` is clamped to the map.
 */
export function dropBlockMask(shape: number[], keepProb: number, blockSize: number, seed: number): tf.Tensor4D {
  const [B, H, W, C] = shape as [number, number, number, number];
  const bs = Math.max(1, Math.min(blockSize, H, W));
  const gamma = ((1 - keepProb) / (bs * bs)) * ((H * W) / ((H - bs + 1) * (W - bs + 1)));
  return tf.tidy(() => {
    const seeds = tf.cast(tf.less(tf.randomUniform([B, H - bs + 1, W - bs + 1, C], 0, 1, 'float32', seed), gamma), 'float32') as tf.Tensor4D;
    if (bs === 1) return tf.sub(1, seeds) as tf.Tensor4D;
    const padded = tf.pad(seeds, [[0, 0], [bs - 1, bs - 1], [bs - 1, bs - 1], [0, 0]]);
    return tf.sub(1, tf.maxPool(padded, bs, 1, 'valid')) as tf.Tensor4D;
  });
}

/**
 * The keep probability at `progress` ∈ [0, 1] of training: 1 at the start, linearly down
 * to `target` at the end (DropBlock's schedule; SPEC §15).
 */
export function dropBlockKeepProb(progress: number, target: number): number {
  const t = Math.min(1, Math.max(0, progress));
  return 1 - t * (1 - target);
}

// ---------------------------------------------------------------------------------
// Block builders (functional API): each takes a symbolic tensor and returns one.

/** Shared settings of the builders below. */
export interface BlockContext {
  /** Normalisation of every conv-bn-act (`bn` or `cmbn`). */
  norm: Exclude<NormMode, 'none'>;
  momentum?: number;
  epsilon?: number;
  cmbnWindow?: number;
  /** The next initialiser seed; incremented by each layer that draws one. */
  nextSeed: () => number;
}

/** A {@link ConvBnAct} named `name` applied to `x`. */
export function conv(ctx: BlockContext, x: Sym, name: string, filters: number, kernelSize: number, strides = 1, activation: Activation = 'mish'): Sym {
  return new ConvBnAct({
    name,
    filters,
    kernelSize,
    strides,
    activation,
    norm: ctx.norm,
    momentum: ctx.momentum,
    epsilon: ctx.epsilon,
    cmbnWindow: ctx.cmbnWindow,
    seed: ctx.nextSeed(),
  }).apply(x) as Sym;
}

/** Options of {@link cspStage}. */
export interface CspStageOptions {
  /** Output channels (the downsampling conv's filters). */
  filters: number;
  /** Residual blocks on the dense path. */
  blocks: number;
  /**
   * CSPDarknet53's first stage: both paths keep `filters` channels and its residual block
   * narrows to filters/2 inside (Darknet's cfg); later stages split into filters/2 each.
   */
  first?: boolean;
  activation?: Activation;
}

/**
 * One CSPDarknet53 stage (Wang et al. 2020; SPEC §15): a 3×3 stride-2 downsampling conv,
 * then a split into a shortcut path (one 1×1 conv) and a dense path (1×1 conv, `blocks`
 * residual blocks of 1×1 + 3×3 convs with an identity shortcut, a 1×1 transition), the two
 * concatenated (dense path first, as Darknet's `route -1,-k`) and merged by a 1×1 conv.
 */
export function cspStage(ctx: BlockContext, x: Sym, name: string, o: CspStageOptions): Sym {
  const act = o.activation ?? 'mish';
  const half = o.first ? o.filters : o.filters / 2;
  const hidden = o.first ? o.filters / 2 : half;
  const down = conv(ctx, x, `${name}.down`, o.filters, 3, 2, act);
  const shortcut = conv(ctx, down, `${name}.split0`, half, 1, 1, act);
  let dense = conv(ctx, down, `${name}.split1`, half, 1, 1, act);
  for (let i = 0; i < o.blocks; i++) {
    const h = conv(ctx, dense, `${name}.res${i}.conv1`, hidden, 1, 1, act);
    const r = conv(ctx, h, `${name}.res${i}.conv2`, half, 3, 1, act);
    dense = tf.layers.add({ name: `${name}.res${i}.add` }).apply([dense, r]) as Sym;
  }
  dense = conv(ctx, dense, `${name}.transition`, half, 1, 1, act);
  const merged = tf.layers.concatenate({ name: `${name}.concat` }).apply([dense, shortcut]) as Sym;
  return conv(ctx, merged, `${name}.merge`, o.filters, 1, 1, act);
}

/** Pool sizes of YOLOv4's SPP block. */
export const SPP_POOLS = [5, 9, 13] as const;

/**
 * Spatial pyramid pooling as YOLOv4 uses it (SPEC §15): max-pools of 5, 9 and 13 with
 * stride 1 and 'same' padding (padding never wins a max), concatenated with the input in
 * Darknet's order [pool 13, pool 9, pool 5, input] (its `route -1,-3,-5,-6`): 4× channels,
 * same spatial size.
 */
export function spp(x: Sym, name: string): Sym {
  const pools = [...SPP_POOLS].reverse().map((k) => tf.layers.maxPooling2d({ name: `${name}.pool${k}`, poolSize: k, strides: 1, padding: 'same' }).apply(x) as Sym);
  return tf.layers.concatenate({ name: `${name}.concat` }).apply([...pools, x]) as Sym;
}

/**
 * YOLOv4's point-wise spatial attention module (SPEC §15): x · σ(conv1×1(x)), the conv
 * with batch norm and a logistic activation, one attention value per position and channel
 * (the "modified SAM" of the paper, Fig. 5; Darknet `[sam]` after a logistic conv).
 */
export function sam(ctx: BlockContext, x: Sym, name: string, channels: number): Sym {
  const attention = conv(ctx, x, `${name}.conv`, channels, 1, 1, 'logistic');
  return tf.layers.multiply({ name: `${name}.mul` }).apply([x, attention]) as Sym;
}

/** The head of one scale: its 1×1 output conv (with bias) and the reshape to [B, H, W, A, 5 + C]. */
export function yoloHead(ctx: BlockContext, x: Sym, name: string, anchors: number, classes: number, biasInit?: number[]): Sym {
  const out = new ConvBnAct({
    name: `${name}.out`,
    filters: anchors * (5 + classes),
    kernelSize: 1,
    activation: 'linear',
    norm: 'none',
    seed: ctx.nextSeed(),
    biasInit,
  }).apply(x) as Sym;
  return new YoloHead({ name, anchors, classes }).apply(out) as Sym;
}

/** An {@link Upsample2x} layer applied to `x`. */
export function upsample(x: Sym, name: string): Sym {
  return new Upsample2x({ name }).apply(x) as Sym;
}

// ---------------------------------------------------------------------------------
// Whole-model controls.

/** The layers of `model` that are instances of `cls`. */
export function layersOf<T extends tf.layers.Layer>(model: tf.LayersModel, cls: abstract new (...args: never[]) => T): T[] {
  return model.layers.filter((l): l is T => l instanceof cls);
}

/** Sets every DropBlock layer of `model` to its keep probability at `progress` ∈ [0, 1] of training. */
export function setDropBlockProgress(model: tf.LayersModel, progress: number): void {
  for (const l of layersOf(model, DropBlock)) l.currentKeepProb = dropBlockKeepProb(progress, l.keepProb);
}

/**
 * Starts a gradient-accumulation step for CmBN: every `cmbn` layer forgets the statistics
 * of earlier mini-batches. Call it before the first mini-batch of each optimizer step.
 */
export function startCmbnStep(model: tf.LayersModel): void {
  for (const l of layersOf(model, ConvBnAct)) l.resetCmbn();
}

/**
 * Turns the moving-statistics (and CmBN accumulator) updates of every batch-norm layer on
 * or off, e.g. off for SAT's extra forward pass in training mode.
 */
export function setStatUpdates(model: tf.LayersModel, enabled: boolean): void {
  for (const l of layersOf(model, ConvBnAct)) l.statUpdates = enabled;
}

/** Runtime state of a model that is not in its weights (plain JSON; for checkpoints). */
export interface ModelRuntimeState {
  dropBlock: { layer: string; currentKeepProb: number; draws: number }[];
}

/** The runtime state of `model` (DropBlock keep probabilities and draw counters). */
export function modelRuntimeState(model: tf.LayersModel): ModelRuntimeState {
  return { dropBlock: layersOf(model, DropBlock).map((l) => ({ layer: l.name, currentKeepProb: l.currentKeepProb, draws: l.draws })) };
}

/** Restores a {@link modelRuntimeState}; layers it does not name keep theirs. */
export function restoreRuntimeState(model: tf.LayersModel, state: ModelRuntimeState): void {
  const byName = new Map(layersOf(model, DropBlock).map((l) => [l.name, l]));
  for (const s of state.dropBlock ?? []) {
    const l = byName.get(s.layer);
    if (!l) continue;
    l.currentKeepProb = s.currentKeepProb;
    l.draws = s.draws;
  }
}

for (const cls of [ConvBnAct, Upsample2x, RouteGroup, YoloHead, DropBlock]) {
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}
