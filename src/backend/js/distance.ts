import type { Data } from "../../tensor/tensor.js";

// Every step below is one primitive kernel of the composite `sum(mul(square(sub(p, a)), w))`, computed
// in float64 and rounded to float32 as each kernel's store rounds it: d = fround(p − a), then
// fround(d·d), then fround(that·w); the sum accumulates in float64, left to right, and rounds once, as
// the js `sum` kernel does (reduce.ts). float64 data is left unrounded, as its kernels leave it.

/**
 * Σ w·(p − a)² over arrays of one length (w null: Σ (p − a)²), with its composite's roundings: the same
 * bits as the primitives, on every backend (the element-wise and reduction kernels are js on all).
 *
 * @example
 * squaredDistance(Float32Array.of(1, 2), Float32Array.of(0, 0), null); // 5
 */
export function squaredDistance(p: Data, a: Data, w: Data | null): number {
  const n = p.length;
  let s = 0;
  if (p instanceof Float32Array) {
    const r = Math.fround;
    if (w) {
      for (let i = 0; i < n; i++) {
        const d = r(p[i]! - a[i]!);
        s += r(r(d * d) * w[i]!);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const d = r(p[i]! - a[i]!);
        s += r(d * d);
      }
    }
    return r(s);
  }
  if (w) for (let i = 0; i < n; i++) s += (p[i]! - a[i]!) * (p[i]! - a[i]!) * w[i]!;
  else for (let i = 0; i < n; i++) s += (p[i]! - a[i]!) * (p[i]! - a[i]!);
  return s;
}

/**
 * The gradient of `squaredDistance` with respect to p, for an incoming gradient g, into `dp`: as its
 * composite rounds it, 2·round(round(g·w)·d) with d = round(p − a) (sum's backward spreads g, the
 * weighting multiplies it by w, and square's two identical inputs each get round(g′·d), added: twice it).
 *
 * @example
 * const dp = new Float32Array(2);
 * squaredDistanceBackward(1, Float32Array.of(1, 2), Float32Array.of(0, 0), null, dp); // dp = [2, 4]
 */
export function squaredDistanceBackward(g: number, p: Data, a: Data, w: Data | null, dp: Data): void {
  const n = p.length;
  if (p instanceof Float32Array) {
    const r = Math.fround;
    // The store into float32 rounds 2·x as x + x rounds (to infinity where it overflows).
    if (w) for (let i = 0; i < n; i++) dp[i] = 2 * r(r(g * w[i]!) * r(p[i]! - a[i]!));
    else for (let i = 0; i < n; i++) dp[i] = 2 * r(g * r(p[i]! - a[i]!));
    return;
  }
  if (w) for (let i = 0; i < n; i++) dp[i] = 2 * (g * w[i]! * (p[i]! - a[i]!));
  else for (let i = 0; i < n; i++) dp[i] = 2 * (g * (p[i]! - a[i]!));
}
