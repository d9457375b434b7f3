// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). The quadratic penalty's term for one
// parameter, Σ w·(p − a)², each way in one pass. Element steps are single float32 operations: a sum,
// difference or product of two floats computed in float64 and rounded to float32 (the js kernels) is the
// correctly rounded float32 result (53 ≥ 2·24 + 2), so these give the js bits. No fused multiply-add.

/**
 * Σ w·(p − a)² over n floats (`hasW` 0: Σ (p − a)²): d = p − a, d·d and that times w in float32, the sum
 * in float64 from the first element to the last (as the js sum kernel adds), returned unrounded.
 */
export function squaredDistance(p: usize, a: usize, w: usize, hasW: bool, n: i32): f64 {
  let s: f64 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const d = f32x4.sub(v128.load(p + at), v128.load(a + at));
    let q = f32x4.mul(d, d);
    if (hasW) q = f32x4.mul(q, v128.load(w + at));
    s += <f64>f32x4.extract_lane(q, 0);
    s += <f64>f32x4.extract_lane(q, 1);
    s += <f64>f32x4.extract_lane(q, 2);
    s += <f64>f32x4.extract_lane(q, 3);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const d = load<f32>(p + at) - load<f32>(a + at);
    let q = d * d;
    if (hasW) q *= load<f32>(w + at);
    s += <f64>q;
  }
  return s;
}

/**
 * dp ← 2·((g·w)·(p − a)) over n floats in float32 (`hasW` 0: 2·(g·(p − a))), the doubling as t + t: the
 * gradient of `squaredDistance` for an incoming gradient g (a float32 value).
 */
export function squaredDistanceBackward(g: f64, p: usize, a: usize, w: usize, hasW: bool, dp: usize, n: i32): void {
  const g32 = <f32>g;
  const gv = f32x4.splat(g32);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const d = f32x4.sub(v128.load(p + at), v128.load(a + at));
    const t = f32x4.mul(hasW ? f32x4.mul(gv, v128.load(w + at)) : gv, d);
    v128.store(dp + at, f32x4.add(t, t));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const d = load<f32>(p + at) - load<f32>(a + at);
    const t = (hasW ? g32 * load<f32>(w + at) : g32) * d;
    store<f32>(dp + at, t + t);
  }
}
