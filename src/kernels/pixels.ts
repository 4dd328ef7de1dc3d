/** Whole-image pixel statistics shared by kernels. */
import type { RawImage } from '../core/types.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Exact per-channel sums of an RGB image's bytes (R, G, B). */
export function channelSums(img: RawImage): [number, number, number] {
  const d = img.data;
  let R = 0;
  let G = 0;
  let B = 0;
  let tail = 0;
  if (LITTLE_ENDIAN && d.byteOffset % 4 === 0) {
    // Four pixels are three 32-bit words; their bytes add up in 16-bit lanes (mask 0x00ff00ff),
    // flushed every 256 words before a lane can overflow: about twice the speed of a byte loop.
    const words = Math.floor(d.length / 12) * 3;
    const u = new Uint32Array(d.buffer, d.byteOffset, words);
    const M = 0x00ff00ff;
    for (let i = 0; i < words; ) {
      const stop = Math.min(words, i + 3 * 256);
      let a0 = 0, b0 = 0, a1 = 0, b1 = 0, a2 = 0, b2 = 0;
      for (; i < stop; i += 3) {
        const w0 = u[i]!;
        const w1 = u[i + 1]!;
        const w2 = u[i + 2]!;
        a0 += w0 & M;
        b0 += (w0 >>> 8) & M;
        a1 += w1 & M;
        b1 += (w1 >>> 8) & M;
        a2 += w2 & M;
        b2 += (w2 >>> 8) & M;
      }
      // Word bytes, low first: w0 = R G B R, w1 = G B R G, w2 = B R G B.
      R += (a0 & 0xffff) + (b0 >>> 16) + (a1 >>> 16) + (b2 & 0xffff);
      G += (b0 & 0xffff) + (a1 & 0xffff) + (b1 >>> 16) + (a2 >>> 16);
      B += (a0 >>> 16) + (b1 & 0xffff) + (a2 & 0xffff) + (b2 >>> 16);
    }
    tail = words * 4;
  }
  for (let i = tail; i < d.length; i += 3) {
    R += d[i]!;
    G += d[i + 1]!;
    B += d[i + 2]!;
  }
  return [R, G, B];
}
