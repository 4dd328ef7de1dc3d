/** Small statistics for benchmarks: medians over rounds, CPU time of the process. */

/** The median of `xs` (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU milliseconds used by this process so far, all threads. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Run `fn`, returning its wall and process CPU milliseconds. */
export async function measure(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const c = cpuMs();
  const t = performance.now();
  await fn();
  return { wallMs: performance.now() - t, cpuMs: cpuMs() - c };
}

/**
 * One round of a side-by-side measurement: `a` then `b` in even rounds, `b` then `a` in
 * odd ones, so drift on a shared machine favours neither side.
 */
export async function alternate<A, B>(round: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  if (round % 2 === 0) {
    const ra = await a();
    return [ra, await b()];
  }
  const rb = await b();
  return [await a(), rb];
}
