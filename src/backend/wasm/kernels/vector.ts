// AssemblyScript: the optimisers' per-parameter loops, in float32 SIMD. alpha is rounded to float32
// once; each element is then y + alpha·x with one rounding where the runtime has relaxed SIMD (fused
// multiply-add, as PyTorch's vectorised `add_(x, alpha=…)` computes it) and two where it has not. The
// js backend computes in float64 and rounds once, so the two agree to within an ulp per step.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** y[i] ← y[i] + alpha·x[i] for n floats. */
export function axpy(alpha: f64, x: usize, y: usize, n: i32): void {
  const a32 = <f32>alpha;
  const a = f32x4.splat(a32);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const y0 = madd(a, v128.load(x + at), v128.load(y + at));
    const y1 = madd(a, v128.load(x + at, 16), v128.load(y + at, 16));
    v128.store(y + at, y0);
    v128.store(y + at, y1, 16);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(y + at, load<f32>(y + at) + a32 * load<f32>(x + at));
  }
}

/** x[i] ← alpha·x[i] for n floats. */
export function scale(alpha: f64, x: usize, n: i32): void {
  const a32 = <f32>alpha;
  const a = f32x4.splat(a32);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const x0 = f32x4.mul(a, v128.load(x + at));
    const x1 = f32x4.mul(a, v128.load(x + at, 16));
    v128.store(x + at, x0);
    v128.store(x + at, x1, 16);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(x + at, a32 * load<f32>(x + at));
  }
}
