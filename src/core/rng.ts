/**
 * A counter-based random number generator: every stream is keyed by integers
 * (seed, epoch, sample index, operator index, ...), so a draw never depends on
 * scheduling order or on how many workers ran before it (DESIGN rule 4).
 */

const GOLDEN = 0x9e3779b9;

/** murmur3's 32-bit finaliser: a fast avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a key of integers into one 32-bit word (keys may exceed 2^32; both halves are mixed). */
function hashKey(key: readonly number[], salt: number): number {
  let h = fmix32(salt ^ 0x2545f491);
  for (const k of key) {
    const lo = k >>> 0;
    const hi = Math.floor(k / 4294967296) >>> 0;
    h = fmix32((h ^ lo) + GOLDEN);
    h = fmix32((h ^ hi) + GOLDEN);
  }
  return h;
}

/** A seeded stream of random numbers (sfc32 state seeded from the key hash). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** @param key integers naming this stream, e.g. `[seed, epoch, index, op]`. */
  constructor(...key: number[]) {
    this.a = hashKey(key, 1);
    this.b = hashKey(key, 2);
    this.c = hashKey(key, 3);
    this.d = hashKey(key, 4);
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /**
   * Fill `out` with the next `out.length` values of {@link u32}, the same values in the
   * same order; the state stays in locals for the loop, ≈ 10× faster than calling
   * `u32()` per value (per-pixel noise draws a million of them per image).
   */
  fillU32(out: Uint32Array): Uint32Array {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let i = 0; i < out.length; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      out[i] = t;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }

  /**
   * The generator's four state words, for code that runs the same sfc32 steps elsewhere
   * (the WebAssembly noise loop); {@link setState} puts the advanced state back.
   */
  getState(): Int32Array {
    return Int32Array.of(this.a, this.b, this.c, this.d);
  }

  /** Restore state words taken by {@link getState} (and advanced by the same steps). */
  setState(state: ArrayLike<number>): void {
    this.a = state[0]! | 0;
    this.b = state[1]! | 0;
    this.c = state[2]! | 0;
    this.d = state[3]! | 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [lo, hi] (both ends included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p >= 1 || (p > 0 && this.next() < p);
  }

  /** Standard normal N(0,1) by Box–Muller (pairs cached). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) by Marsaglia–Tsang. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next() || 1e-12, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Shuffle `arr` in place (Fisher–Yates) and return it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
    return arr;
  }
}

/** Reserved first key words, so streams of different purposes never collide. */
export const RngDomain = {
  Shuffle: 1,
  Transform: 2,
  Mix: 3,
  Shapes: 4,
  Noise: 5,
  Evolve: 6,
  /** Self-Adversarial Training's per-batch coin (keyed by the trainer's step). */
  Sat: 7,
} as const;
