/**
 * Training kernels for TensorFlow.js's `wasm` backend (tfjs 4.22).
 *
 * The shipped wasm backend cannot train a conv net as it stands: `Conv2DBackpropFilter`
 * and both depthwise backprop kernels are not registered (every weight gradient
 * throws), its `Conv2DBackpropInput` is a naive loop (≈ 40 % of a training step) and
 * its `MaxPoolGrad` routes the gradient to the wrong element when every value of a
 * window is negative (SPP after Mish). {@link registerTrainingKernels} registers
 * replacements built on the forward XNNPACK kernels (`Conv2D`,
 * `DepthwiseConv2dNative`) and a JS `MaxPoolGrad`; every one is checked against the
 * `cpu` backend in test/wasm-training.test.ts.
 *
 * The kernels compose at the backend level (the registered wasm kernel functions on
 * `TensorInfo`s, intermediates freed with `backend.disposeData`), as tfjs's own
 * backends do, so nothing reaches the engine's tape or tensor count.
 *
 * Importing this module imports `@tensorflow/tfjs-backend-wasm` first: the shipped
 * kernels must be registered before ours replace them, or the package would overwrite
 * ours when it loads. (That import also registers the `wasm` backend; pick the backend
 * explicitly with `initBackend` from src/tensor/backend.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Names of the kernels {@link registerTrainingKernels} registers on `wasm`. */
export const TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
] as const;
/** One of {@link TRAINING_KERNELS}. */
export type TrainingKernelName = (typeof TRAINING_KERNELS)[number];

const BACKEND = 'wasm';

/** Runs a registered wasm kernel on TensorInfos; the caller owns (and frees) the result. */
function run(backend: BackendWasm, name: string, inputs: Record<string, Info>, attrs: Record<string, unknown>): Info {
  const kernel = tf.getKernel(name, BACKEND);
  if (kernel == null) throw new Error(`wasm kernel '${name}' is not registered: import '@tensorflow/tfjs-backend-wasm' first`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A view of `t` with another shape (same data; never freed on its own). */
function view(t: Info, shape: number[]): Info {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

function explicitPad(top: number, bottom: number, left: number, right: number): Pad {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

function pair(v: number | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0]!, v[1]!];
}

function requireChannelsLast(dataFormat: string | undefined, kernel: string): void {
  if (dataFormat === 'NCHW') throw new Error(`${kernel} on wasm: dataFormat 'NCHW' is not supported; pass 'NHWC'`);
}

/** Float32 view of the whole wasm heap and `t`'s offset in it (take after allocating). */
function heapOf(backend: BackendWasm, t: Info): { heap: Float32Array; at: number } {
  const v = backend.typedArrayFromHeap(t) as Float32Array;
  return { heap: new Float32Array(v.buffer), at: v.byteOffset >> 2 };
}

/** One residue class of the stride along one axis (see {@link inputGrad}). */
interface Phase {
  /** Residue r = (y + padBefore) mod stride of the output rows in this phase. */
  r: number;
  /** Taps of the filter in this phase: kh = r + stride·j, j < taps. */
  taps: number;
  /** First and count of m, where the phase's rows are y = stride·m + r − padBefore. */
  first: number;
  count: number;
  /** Padding of dy before/after (negative: rows to skip / left over). */
  before: number;
  after: number;
}

function phases(size: number, outSize: number, k: number, stride: number, padBefore: number): Phase[] {
  const list: Phase[] = [];
  for (let r = 0; r < stride; r++) {
    const taps = r < k ? Math.ceil((k - r) / stride) : 0;
    const first = Math.ceil((padBefore - r) / stride);
    const last = Math.floor((size - 1 + padBefore - r) / stride);
    list.push({ r, taps, first, count: Math.max(0, last - first + 1), before: taps - 1 - first, after: last - (outSize - 1) });
  }
  return list;
}

/**
 * Input gradient of a strided convolution as stride² stride-1 convolutions
 * ("polyphase" transposed convolution). Output rows y with (y + padTop) mod s = r only
 * see the filter taps kh ≡ r (mod s), and among them dx[s·m + r − padTop] =
 * Σ_j dy[m − j] · W[r + s·j]: a plain correlation of dy with the flipped sub-filter.
 * Every phase is one forward convolution; the phases are interleaved into dx.
 * Unlike zero-inserting dy, this does the forward pass's multiply-adds, not s² times
 * as many. Stride 1 with ordinary padding is a single phase written straight to dx.
 *
 * `subFilter(ry, rx, th, tw)` builds the flipped sub-filter of one phase for `conv`,
 * whose output has `channels` channels.
 */
function inputGrad(
  backend: BackendWasm,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
  channels: number,
  subFilter: (ry: number, rx: number, th: number, tw: number) => Info,
  conv: (input: Info, filter: Info, pad: Pad) => Info,
): Info {
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = info;
  const rows = phases(H, OH, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = phases(W, OW, info.filterWidth, info.strideWidth, info.padInfo.left);
  const one = rows.length === 1 && cols.length === 1 ? { h: rows[0]!, w: cols[0]! } : undefined;
  if (one && one.h.before >= 0 && one.h.after >= 0 && one.w.before >= 0 && one.w.after >= 0) {
    const f = subFilter(0, 0, one.h.taps, one.w.taps);
    const out = conv(dy, f, explicitPad(one.h.before, one.h.after, one.w.before, one.w.after));
    free(backend, f);
    return out;
  }
  const dx = backend.makeOutput([B, H, W, channels], 'float32');
  (backend.typedArrayFromHeap(dx) as Float32Array).fill(0);
  for (const ph of rows) {
    for (const pw of cols) {
      if (ph.taps === 0 || pw.taps === 0 || ph.count === 0 || pw.count === 0) continue;
      const f = subFilter(ph.r, pw.r, ph.taps, pw.taps);
      const out = conv(dy, f, explicitPad(Math.max(0, ph.before), Math.max(0, ph.after), Math.max(0, pw.before), Math.max(0, pw.after)));
      free(backend, f);
      // Interleave: phase output (i + skipH, j + skipW) → dx (s·(first+i) + r − pad).
      const R = out.shape[1]!;
      const Q = out.shape[2]!;
      const skipH = Math.max(0, -ph.before);
      const skipW = Math.max(0, -pw.before);
      const y0 = info.strideHeight * ph.first + ph.r - info.padInfo.top;
      const x0 = info.strideWidth * pw.first + pw.r - info.padInfo.left;
      const { heap, at: src } = heapOf(backend, out);
      const { at: dst } = heapOf(backend, dx);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < ph.count; i++) {
          const y = y0 + info.strideHeight * i;
          let s = src + ((b * R + i + skipH) * Q + skipW) * channels;
          let d = dst + ((b * H + y) * W + x0) * channels;
          const dStep = info.strideWidth * channels;
          for (let j = 0; j < pw.count; j++, s += channels, d += dStep) heap.copyWithin(d, s, s + channels);
        }
      }
      free(backend, out);
    }
  }
  return dx;
}

/**
 * Padding for the weight gradient as a stride-1 convolution dilated by the stride,
 * whose output is KH×KW: the forward pass read x rows −top … (OH−1)·sH + KH − 1 − top.
 * Where it never reached the last rows or columns (bottom/right < 0) the padding is
 * 0 and the output has as many extra rows/columns, cropped by {@link cropSpatial}.
 */
function filterGradPad(info: tf.backend_util.Conv2DInfo): Pad {
  const { strideHeight: sH, strideWidth: sW, filterHeight: KH, filterWidth: KW, inHeight: H, inWidth: W } = info;
  const { top, left } = info.padInfo;
  const bottom = (info.outHeight - 1) * sH + KH - H - top;
  const right = (info.outWidth - 1) * sW + KW - W - left;
  return explicitPad(top, Math.max(0, bottom), left, Math.max(0, right));
}

/** Keeps the first KH×KW of axes 1 and 2 of a rank-4 `t` (small tensors only: Slice reads through JS). */
function cropSpatial(backend: BackendWasm, t: Info, KH: number, KW: number): Info {
  if (t.shape[1] === KH && t.shape[2] === KW) return t;
  const out = run(backend, 'Slice', { x: t }, { begin: [0, 0, 0, 0], size: [t.shape[0], KH, KW, t.shape[3]] });
  free(backend, t);
  return out;
}

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as {
    strides: number | number[]; pad: Pad; dataFormat?: string; dimRoundingMode?: Rounding; filterShape: number[];
  };
  requireChannelsLast(dataFormat, 'Conv2DBackpropFilter');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape as [number, number, number, number],
    pair(strides), 1, pad, dimRoundingMode, false, 'channelsLast');
  const { filterHeight: KH, filterWidth: KW, inChannels: Ci, outChannels: Co, batchSize: B } = info;
  const p = filterGradPad(info);
  // Batch becomes the contracted channel axis: x as [Ci,H,W,B] convolved with dy as
  // [OH,OW,B,Co] (the filter), dilated by the stride, gives dW as [Ci,KH,KW,Co].
  const xT = run(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
  const dyT = B === 1
    ? view(dy, [info.outHeight, info.outWidth, 1, Co])
    : run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  let dW = run(backend, 'Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1], pad: p, dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth],
  });
  free(backend, xT);
  if (B !== 1) free(backend, dyT);
  dW = cropSpatial(backend, dW, KH, KW);
  const out = run(backend, 'Transpose', { x: dW }, { perm: [1, 2, 0, 3] });
  free(backend, dW);
  return view(out, [KH, KW, Ci, Co]);
}

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: number | number[]; pad: Pad; dataFormat?: string; dimRoundingMode?: Rounding; inputShape: number[];
  };
  requireChannelsLast(dataFormat, 'Conv2DBackpropInput');
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number], filter.shape as [number, number, number, number],
    pair(strides), 1, pad, dimRoundingMode, false, 'channelsLast');
  const [, KW, Ci, Co] = filter.shape as [number, number, number, number];
  // Phase sub-filter, flipped and transposed: F[j,i,co,ci] = W[ry + sH·(th−1−j), rx + sW·(tw−1−i), ci, co].
  const subFilter = (ry: number, rx: number, th: number, tw: number): Info => {
    const f = backend.makeOutput([th, tw, Co, Ci], 'float32');
    const w = backend.typedArrayFromHeap(filter) as Float32Array;
    const o = backend.typedArrayFromHeap(f) as Float32Array;
    for (let j = 0; j < th; j++) {
      const kh = ry + info.strideHeight * (th - 1 - j);
      for (let i = 0; i < tw; i++) {
        const kw = rx + info.strideWidth * (tw - 1 - i);
        const src = (kh * KW + kw) * Ci * Co;
        const dst = (j * tw + i) * Co * Ci;
        for (let ci = 0; ci < Ci; ci++) {
          for (let co = 0; co < Co; co++) o[dst + co * Ci + ci] = w[src + ci * Co + co]!;
        }
      }
    }
    return f;
  };
  return inputGrad(backend, dy, info, Ci, subFilter, (input, f, p) =>
    run(backend, 'Conv2D', { x: input, filter: f }, { strides: [1, 1], pad: p, dataFormat: 'NHWC', dilations: [1, 1] }));
}

function depthwiseBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs as unknown as {
    strides: number | number[]; dilations?: number | number[]; pad: Pad; dimRoundingMode?: Rounding; filterShape: number[];
  };
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape as [number, number, number, number],
    pair(strides), pair(dilations ?? 1), pad, dimRoundingMode, true, 'channelsLast');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('DepthwiseConv2dNativeBackpropFilter on wasm: dilations > 1 are not supported; pass dilations 1');
  }
  const { filterHeight: KH, filterWidth: KW, inChannels: C, batchSize: B, inHeight: H, inWidth: W } = info;
  const M = filterShape[3]!;
  const { outHeight: OH, outWidth: OW } = info;
  const p = filterGradPad(info);
  // Each (channel, image) pair becomes its own depthwise channel c·B+b: x as
  // [1,H,W,C·B], dy as the filter [OH,OW,C·B,M]; the output [1,KH,KW,C·B·M] is then
  // summed over the batch.
  const xT = run(backend, 'Transpose', { x }, { perm: [1, 2, 3, 0] });
  const dyT = run(backend, 'Transpose', { x: view(dy, [B, OH, OW, C, M]) }, { perm: [1, 2, 3, 0, 4] });
  const g = run(backend, 'DepthwiseConv2dNative', { x: view(xT, [1, H, W, C * B]), filter: view(dyT, [OH, OW, C * B, M]) }, {
    strides: [1, 1], pad: p, dilations: [info.strideHeight, info.strideWidth],
  });
  free(backend, xT, dyT);
  const gH = g.shape[1]!;
  const gW = g.shape[2]!;
  const summed = B === 1
    ? view(g, [gH, gW, C, M])
    : run(backend, 'Sum', { x: view(g, [gH, gW, C, B, M]) }, { axis: [3], keepDims: false });
  if (B !== 1) free(backend, g);
  const cropped = cropSpatial(backend, view(summed, [1, gH, gW, C * M]), KH, KW);
  return view(cropped, [KH, KW, C, M]);
}

function depthwiseBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: number | number[]; dilations?: number | number[]; pad: Pad; dimRoundingMode?: Rounding; inputShape: number[];
  };
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number], filter.shape as [number, number, number, number],
    pair(strides), pair(dilations ?? 1), pad, dimRoundingMode, true, 'channelsLast');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('DepthwiseConv2dNativeBackpropInput on wasm: dilations > 1 are not supported; pass dilations 1');
  }
  const [, KW, C, M] = filter.shape as [number, number, number, number];
  const [B, H, W] = inputShape as [number, number, number, number];
  // Phase sub-filter, flipped, one output per dy channel c·M+m: F[j,i,c·M+m,0] = W[…, c, m].
  const subFilter = (ry: number, rx: number, th: number, tw: number): Info => {
    const f = backend.makeOutput([th, tw, C * M, 1], 'float32');
    const w = backend.typedArrayFromHeap(filter) as Float32Array;
    const o = backend.typedArrayFromHeap(f) as Float32Array;
    for (let j = 0; j < th; j++) {
      const kh = ry + info.strideHeight * (th - 1 - j);
      for (let i = 0; i < tw; i++) {
        const kw = rx + info.strideWidth * (tw - 1 - i);
        const src = (kh * KW + kw) * C * M;
        o.set(w.subarray(src, src + C * M), (j * tw + i) * C * M);
      }
    }
    return f;
  };
  const out = inputGrad(backend, dy, info, C * M, subFilter, (input, f, p) =>
    run(backend, 'DepthwiseConv2dNative', { x: input, filter: f }, { strides: [1, 1], pad: p, dilations: [1, 1] }));
  if (M === 1) return view(out, [B, H, W, C]);
  // The M multipliers of a channel are summed.
  const summed = run(backend, 'Sum', { x: view(out, [B, H, W, C, M]) }, { axis: [4], keepDims: false });
  free(backend, out);
  return summed;
}

/**
 * Max-pool gradient: each dy goes to the first maximum of its window in row-major
 * order (the cpu backend's and TensorFlow's rule), padding excluded. The window
 * argmax is separable — the first maximum of each window row, then the first row
 * whose maximum is the largest — so a k×k window costs 2k comparisons, not k².
 */
function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: number | number[]; strides: number | number[]; pad: Pad; dimRoundingMode?: Rounding;
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], pair(filterSize), pair(strides), 1,
    pad as 'valid' | 'same' | number, dimRoundingMode);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sH, strideWidth: sW, filterHeight: KH, filterWidth: KW } = info;
  const { top, left } = info.padInfo;
  const dx = backend.makeOutput(input.shape, 'float32');
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  // Row pass: for every input row and output column, the first maximum over the
  // window's columns (value and column). Channels outer, so the running maximum
  // stays in locals.
  const rowMax = new Float32Array(H * OW * C);
  const rowArg = new Int32Array(H * OW * C);
  for (let b = 0; b < B; b++) {
    const xb = b * H * W * C;
    for (let y = 0; y < H; y++) {
      const rowBase = xb + y * W * C;
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * sW - left;
        const cs = Math.max(0, c0);
        const ce = Math.min(W, c0 + KW);
        const o = (y * OW + ox) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let arg = -1;
          for (let col = cs, i = rowBase + cs * C + c; col < ce; col++, i += C) {
            const v = x[i]!;
            if (v > best) {
              best = v;
              arg = col;
            }
          }
          rowMax[o + c] = best;
          rowArg[o + c] = arg;
        }
      }
    }
    // Column pass: the first row holding the window maximum; scatter dy there.
    const rowStride = OW * C;
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * sH - top;
      const rs = Math.max(0, r0);
      const re = Math.min(H, r0 + KH);
      for (let ox = 0; ox < OW; ox++) {
        const gi = ((b * OH + oy) * OW + ox) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let r = rs, i = (rs * OW + ox) * C + c; r < re; r++, i += rowStride) {
            const v = rowMax[i]!;
            if (v > best) {
              best = v;
              at = i;
            }
          }
          if (at < 0) continue;
          const row = ((at - c) / C - ox) / OW;
          out[xb + (row * W + rowArg[at]!) * C + c]! += g[gi + c]!;
        }
      }
    }
  }
  return dx;
}

const KERNEL_FUNCS: Record<TrainingKernelName, tf.KernelFunc> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  MaxPoolGrad: maxPoolGrad,
};

/** Shipped configs we replaced (undefined where wasm had none), to restore them. */
const replaced = new Map<TrainingKernelName, tf.KernelConfig | undefined>();

/**
 * Registers the training kernels on the `wasm` backend: `Conv2DBackpropFilter` and the
 * two depthwise backprop kernels (missing in tfjs 4.22; NHWC, dilation 1, as tfjs's
 * gradients require), a `Conv2DBackpropInput` on the forward XNNPACK convolution (6–12×
 * faster per call than the shipped loop; a 6-conv step at batch 8, 160², goes from
 * ≈ 1.6 s to ≈ 0.55 s), and a `MaxPoolGrad` that routes all-negative windows correctly
 * (and runs SPP's 5/9/13 pools ≈ 4× faster). Idempotent; `names` limits it to some of
 * {@link TRAINING_KERNELS} (default all). Call it once before training on wasm; the
 * kernel registry is global, so it also holds for a wasm backend initialised later.
 */
export function registerTrainingKernels(names: readonly TrainingKernelName[] = TRAINING_KERNELS): void {
  for (const kernelName of names) {
    if (replaced.has(kernelName)) continue;
    const shipped = tf.getKernel(kernelName, BACKEND);
    if (shipped) tf.unregisterKernel(kernelName, BACKEND);
    replaced.set(kernelName, shipped);
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc: KERNEL_FUNCS[kernelName] });
  }
}

/**
 * Undoes {@link registerTrainingKernels} for `names` (default all): the shipped wasm
 * kernel comes back where there was one. For benchmarks and tests.
 */
export function unregisterTrainingKernels(names: readonly TrainingKernelName[] = TRAINING_KERNELS): void {
  for (const kernelName of names) {
    if (!replaced.has(kernelName)) continue;
    tf.unregisterKernel(kernelName, BACKEND);
    const shipped = replaced.get(kernelName);
    if (shipped) tf.registerKernel(shipped);
    replaced.delete(kernelName);
  }
}
