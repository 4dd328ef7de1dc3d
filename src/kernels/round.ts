/** Rounding as the references do it. */

/**
 * Round half to even — Python 3's `round()` and OpenCV's `cvRound` / `saturate_cast`
 * (the FPU's default mode): 2.5 → 2, 3.5 → 4, −2.5 → −2. Never returns −0.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // `+ 0` turns −0 (from rounding −0.1) into 0.
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}
