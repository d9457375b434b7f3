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

/**
 * out[i] ← x[i] > 0 ? x[i] : 0 for n floats (NaN and −0 give +0, as the js kernel does). Branch-free:
 * on pre-activations of either sign a branch mispredicts half the time (~8 ns an element in js).
 */
export function relu(x: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, f32x4.pmax(zero, v128.load(x + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const v = load<f32>(x + at);
    store<f32>(out + at, v > 0 ? v : 0);
  }
}

/** out[i] ← x[i] > 0 ? 1 : 0 for n floats: the derivative of relu. */
export function step(x: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, v128.and(f32x4.gt(v128.load(x + at), zero), one));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, load<f32>(x + at) > 0 ? 1 : 0);
  }
}

/**
 * One Adam step over n floats, in place, in float32 (PyTorch's order of operations):
 * mu ← β1·mu + (1−β1)·g; nu ← β2·nu + (1−β2)·g²; u ← (mu / c1) / (sqrt(nu) / c2 + eps), g read from u.
 * The divisions and the square root bound its speed (≈1.7 ns a float, 8× axpy), so a bias correction
 * that has reached 1 in float32 (c1 after ~170 steps at β1 0.9, c2 after ~17,000 at β2 0.999) is not
 * divided by: x / 1 is x exactly, so the bits are those of the division.
 */
export function adam(u: usize, mu: usize, nu: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64): void {
  const by1 = <f32>c1 != 1, by2 = <f32>c2 != 1;
  if (by1 && by2) adamLoop(u, mu, nu, n, beta1, beta2, eps, c1, c2, true, true);
  else if (by1) adamLoop(u, mu, nu, n, beta1, beta2, eps, c1, c2, true, false);
  else if (by2) adamLoop(u, mu, nu, n, beta1, beta2, eps, c1, c2, false, true);
  else adamLoop(u, mu, nu, n, beta1, beta2, eps, c1, c2, false, false);
}

/** `adam`'s loop; inlined at each call with constant flags, so each copy keeps only its divisions. */
// @ts-ignore: decorator
@inline function adamLoop(u: usize, mu: usize, nu: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, by1: bool, by2: bool): void {
  const b1 = f32x4.splat(<f32>beta1), a1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), a2 = f32x4.splat(<f32>(1 - beta2));
  const e = f32x4.splat(<f32>eps), d1 = f32x4.splat(<f32>c1), d2 = f32x4.splat(<f32>c2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const g = v128.load(u + at);
    const m = f32x4.add(f32x4.mul(b1, v128.load(mu + at)), f32x4.mul(a1, g));
    const v = f32x4.add(f32x4.mul(b2, v128.load(nu + at)), f32x4.mul(a2, f32x4.mul(g, g)));
    v128.store(mu + at, m);
    v128.store(nu + at, v);
    const r = f32x4.sqrt(v);
    const den = f32x4.add(by2 ? f32x4.div(r, d2) : r, e);
    v128.store(u + at, f32x4.div(by1 ? f32x4.div(m, d1) : m, den));
  }
  const sb1 = <f32>beta1, sa1 = <f32>(1 - beta1), sb2 = <f32>beta2, sa2 = <f32>(1 - beta2);
  const se = <f32>eps, s1 = <f32>c1, s2 = <f32>c2;
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = load<f32>(u + at);
    const m = sb1 * load<f32>(mu + at) + sa1 * g;
    const v = sb2 * load<f32>(nu + at) + sa2 * (g * g);
    store<f32>(mu + at, m);
    store<f32>(nu + at, v);
    store<f32>(u + at, (by1 ? m / s1 : m) / ((by2 ? Mathf.sqrt(v) / s2 : Mathf.sqrt(v)) + se));
  }
}

/**
 * out[0..3] ← Σ w², Σ (w − w0)², Σ w0², Σ g² over n floats, in float64, each sum added in index order:
 * the js loop's values to the last bit (a float32 product is exact in float64, and wasm rounds each
 * addition as js does), at about twice its speed when the arrays are resident.
 */
export function stepSquares(w: usize, w0: usize, g: usize, n: i32, out: usize): void {
  let now: f64 = 0;
  let moved: f64 = 0;
  let then: f64 = 0;
  let grad: f64 = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    const a = <f64>load<f32>(w + at);
    const b = <f64>load<f32>(w0 + at);
    const x = <f64>load<f32>(g + at);
    const d = a - b;
    now += a * a;
    moved += d * d;
    then += b * b;
    grad += x * x;
  }
  store<f64>(out, now);
  store<f64>(out, moved, 8);
  store<f64>(out, then, 16);
  store<f64>(out, grad, 24);
}
