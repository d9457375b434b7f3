// AssemblyScript: the optimisers' per-parameter loops. Each product and sum is taken in float64 and
// rounded once to float32, exactly as a JavaScript loop over a Float32Array computes it, so results
// are bit-identical to the js backend's.

// @ts-ignore: decorator
@inline function lowHalf(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function highHalf(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)); }
// @ts-ignore: decorator
@inline function join(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** y[i] ← y[i] + alpha·x[i] for n floats. */
export function axpy(alpha: f64, x: usize, y: usize, n: i32): void {
  const a = f64x2.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const xv = v128.load(x + at);
    const yv = v128.load(y + at);
    const lo = f64x2.add(lowHalf(yv), f64x2.mul(a, lowHalf(xv)));
    const hi = f64x2.add(highHalf(yv), f64x2.mul(a, highHalf(xv)));
    v128.store(y + at, join(lo, hi));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(y + at, <f32>(<f64>load<f32>(y + at) + alpha * <f64>load<f32>(x + at)));
  }
}

/** x[i] ← alpha·x[i] for n floats. */
export function scale(alpha: f64, x: usize, n: i32): void {
  const a = f64x2.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const xv = v128.load(x + at);
    v128.store(x + at, join(f64x2.mul(a, lowHalf(xv)), f64x2.mul(a, highHalf(xv))));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(x + at, <f32>(alpha * <f64>load<f32>(x + at)));
  }
}
