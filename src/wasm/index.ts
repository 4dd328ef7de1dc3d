/**
 * The WebAssembly kernels (assembly/kernels.ts): one instance per thread, created on
 * first use, and the layout of its memory. Kernels run synchronously and one at a time
 * per thread, so every call may reuse the same regions.
 *
 * Layout: [0, 1 MiB) tables the kernels keep between calls (see assembly/kernels.ts for
 * their offsets); [1 MiB, 2 MiB) per-call integer arrays (up to 65 536 per argument);
 * from 2 MiB the source image, then the output image, then a kernel's scratch space when it
 * asks for one (arrays too long for the per-call region), growing the memory as needed.
 */
import { KERNELS_WASM } from './kernels.wasm.ts';

/** The module's exports (pointers are byte offsets into `memory`). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  hsvCached(src: number, dst: number, rowBytes: number, rows: number, vecBytes: number, tables: number): void;
  warpAffineRows(
    s: number, sw: number, sh: number, out: number, width: number, height: number,
    colX: number, colY: number, rowX: number, rowY: number, f0: number, f1: number, f2: number, mirror: boolean,
  ): void;
  warpRow(
    s: number, sw: number, sh: number, out: number, width: number, y: number,
    xs: number, ys: number, f0: number, f1: number, f2: number, mirror: boolean,
  ): void;
  flipRows(src: number, dst: number, width: number, height: number): void;
  addNoise(src: number, dst: number, n: number, offsets: number, state: number, perChannel: boolean): void;
  resizeLinear(
    s: number, srcRow: number, out: number, width: number, height: number,
    xmap: number, ymap: number, bufA: number, bufB: number,
  ): void;
}

export const TABLES = 0;
export const ARGS = 1 << 20;
/** Room for one per-call Int32 argument array (entries). */
export const ARG_ENTRIES = 1 << 16;
export const IMAGES = 2 << 20;

let instance: KernelExports | undefined;

/** This thread's instance. */
export function kernels(): KernelExports {
  if (!instance) {
    const module = new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'));
    instance = new WebAssembly.Instance(module, { env: {} }).exports as unknown as KernelExports;
    ensureMemory(IMAGES);
  }
  return instance;
}

/** Grow the memory to at least `bytes`. Views taken before a growth are detached: take them after. */
export function ensureMemory(bytes: number): void {
  const memory = kernels().memory;
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
}

/** A fresh byte view of the memory (valid until the next growth). */
export function bytes(): Uint8Array {
  return new Uint8Array(kernels().memory.buffer);
}

/** The Int32 argument slot `k` (0..3) of the per-call region, `length` entries long, as a fresh view. */
export function argInt32(k: number, length: number): { ptr: number; view: Int32Array } {
  if (length > ARG_ENTRIES) throw new RangeError(`image side ${length} exceeds the kernels' limit of ${ARG_ENTRIES} pixels`);
  const ptr = ARGS + k * ARG_ENTRIES * 4;
  return { ptr, view: new Int32Array(kernels().memory.buffer, ptr, length) };
}

/**
 * Copy `src` into the image region and make room for an output of `outBytes`, then
 * `scratchBytes` of scratch space (8-aligned, uninitialised); returns the three pointers.
 * The source is padded to a multiple of 4 so 32-bit reads at its end stay inside.
 */
export function stageImage(
  src: Uint8Array, outBytes: number, scratchBytes = 0,
): { srcPtr: number; dstPtr: number; scratchPtr: number } {
  const srcPtr = IMAGES;
  const dstPtr = IMAGES + Math.ceil((src.length + 4) / 8) * 8;
  const scratchPtr = dstPtr + Math.ceil(outBytes / 8) * 8;
  ensureMemory(scratchBytes > 0 ? scratchPtr + scratchBytes : dstPtr + outBytes);
  bytes().set(src, srcPtr);
  return { srcPtr, dstPtr, scratchPtr };
}

/** Copy `length` bytes of the output region out into a new array the caller owns. */
export function takeOutput(dstPtr: number, length: number): Uint8Array {
  return new Uint8Array(kernels().memory.buffer, dstPtr, length).slice();
}
