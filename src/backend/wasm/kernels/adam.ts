// AssemblyScript: Adam's per-parameter pass, in float32 SIMD, alone or fused with the step p ← p + alpha·u
// that follows it. Fused, it gives the bits of Adam's pass then `axpy`: u is rounded to float32 before
// p reads it, and each element of p takes the path it takes in axpy (madd in blocks of 8, then one
// multiply and one add), so fusing saves a pass over u and p and nothing else.
import { madd, maddFused, roundF32 } from "./simd";

/**
 * How a step divides by the bias correction c2: not at all (it is 1 in float32), with the divider, or
 * by its reciprocal corrected by fused multiply-adds (the same bits: `divideByConstant`).
 */
const BY2_NONE = 0, BY2_DIVIDE = 1, BY2_RECIPROCAL = 2;

/** The `BY2_*` mode for c2: the reciprocal where the runtime fuses multiply-adds. */
function by2Mode(c2: f64): i32 {
  if (<f32>c2 == 1) return BY2_NONE;
  return maddFused() ? BY2_RECIPROCAL : BY2_DIVIDE;
}

/**
 * One Adam step over n floats, in place, in float32 (PyTorch's order of operations):
 * mu ← β1·mu + (1−β1)·g; nu ← β2·nu + (1−β2)·g²; u ← (mu / c1) / (sqrt(nu) / c2 + eps), g read from u;
 * then, unless p is 0, p[i] ← p[i] + alpha·u[i] with the bits of `axpy`.
 * The divisions and the square root bound its speed (≈1.7 ns a float, 8× axpy), so a bias correction
 * that has reached 1 in float32 (c1 after ~170 steps at β1 0.9, c2 after ~17,000 at β2 0.999) is not
 * divided by: x / 1 is x exactly, so the bits are those of the division.
 */
export function adamAxpy(u: usize, mu: usize, nu: usize, p: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64): void {
  if (<f32>c1 != 1) adamLoopBy2(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, true, by2Mode(c2));
  else adamLoopBy2(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, false, by2Mode(c2));
}

/** `adamLoop` with `by2` made a constant of each copy (by1 is one at each call). */
// @ts-ignore: decorator
@inline function adamLoopBy2(u: usize, mu: usize, nu: usize, p: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64, by1: bool, by2: i32): void {
  if (by2 == BY2_RECIPROCAL) adamLoop(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, by1, BY2_RECIPROCAL);
  else if (by2 == BY2_DIVIDE) adamLoop(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, by1, BY2_DIVIDE);
  else adamLoop(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, by1, BY2_NONE);
}

/** The loop; inlined at each call with constant flags, so each copy keeps only its divisions. */
// @ts-ignore: decorator
@inline function adamLoop(u: usize, mu: usize, nu: usize, p: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64, by1: bool, by2: i32): void {
  const b1 = f32x4.splat(<f32>beta1), a1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), a2 = f32x4.splat(<f32>(1 - beta2));
  const e = f32x4.splat(<f32>eps), d1 = f32x4.splat(<f32>c1), d2 = f32x4.splat(<f32>c2), i2 = reciprocal(c2);
  const a32 = <f32>alpha, a = f32x4.splat(a32);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const u0 = adamVector(u + at, mu + at, nu + at, b1, a1, b2, a2, e, d1, d2, i2, by1, by2);
    const u1 = adamVector(u + at + 16, mu + at + 16, nu + at + 16, b1, a1, b2, a2, e, d1, d2, i2, by1, by2);
    if (p) {
      v128.store(p + at, madd(a, u0, v128.load(p + at)));
      v128.store(p + at, madd(a, u1, v128.load(p + at, 16)), 16);
    }
  }
  // Four lanes more while four remain, then one by one (each lane's arithmetic is the scalar one); p as
  // axpy's scalar tail computes it.
  if (i + 4 <= n) {
    const at = <usize>i << 2;
    adamVector(u + at, mu + at, nu + at, b1, a1, b2, a2, e, d1, d2, i2, by1, by2);
    if (p) for (let j = 0; j < 4; j++) stepOne(u, p, (<usize>(i + j)) << 2, a32);
    i += 4;
  }
  const sb1 = <f32>beta1, sa1 = <f32>(1 - beta1), sb2 = <f32>beta2, sa2 = <f32>(1 - beta2);
  const se = <f32>eps, s1 = <f32>c1, s2 = <f32>c2;
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = load<f32>(u + at);
    const m = flushSubnormal1(sb1 * load<f32>(mu + at) + sa1 * g);
    const v = sb2 * load<f32>(nu + at) + sa2 * (g * g);
    store<f32>(mu + at, m);
    store<f32>(nu + at, v);
    store<f32>(u + at, (by1 ? m / s1 : m) / ((by2 != BY2_NONE ? Mathf.sqrt(v) / s2 : Mathf.sqrt(v)) + se));
    if (p) stepOne(u, p, at, a32);
  }
}

/**
 * `adamAxpy` with p, on a weight gradient given by its factors: g = dzᵀ·x, dz rows×units (row stride
 * `stride` floats: a chunk of units reads its columns of the whole dz) and x rows×inputs stored by
 * rows, g units×inputs (a dense layer's dW for a batch of a few rows), never
 * written to memory. Each element of g is the packed product's chain of multiply-adds from 0 over the
 * rows (gemm.ts's bits while rows ≤ its depth block), and each element of mu, nu and p takes the path
 * it takes in `adamAxpy`, so the bits are those of the product then `adamAxpy`, without writing g and
 * reading it back.
 */
export function adamOuter(dz: usize, x: usize, rows: i32, stride: i32, units: i32, inputs: i32, mu: usize, nu: usize, p: usize, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64): void {
  if (<f32>c1 != 1) adamOuterBy2(dz, x, rows, stride, units, inputs, mu, nu, p, beta1, beta2, eps, c1, c2, alpha, true, by2Mode(c2));
  else adamOuterBy2(dz, x, rows, stride, units, inputs, mu, nu, p, beta1, beta2, eps, c1, c2, alpha, false, by2Mode(c2));
}

/** `adamOuterLoop` with `by2` made a constant of each copy (by1 is one at each call). */
// @ts-ignore: decorator
@inline function adamOuterBy2(dz: usize, x: usize, rows: i32, stride: i32, units: i32, inputs: i32, mu: usize, nu: usize, p: usize, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64, by1: bool, by2: i32): void {
  if (by2 == BY2_RECIPROCAL) adamOuterLoop(dz, x, rows, stride, units, inputs, mu, nu, p, beta1, beta2, eps, c1, c2, alpha, by1, BY2_RECIPROCAL);
  else if (by2 == BY2_DIVIDE) adamOuterLoop(dz, x, rows, stride, units, inputs, mu, nu, p, beta1, beta2, eps, c1, c2, alpha, by1, BY2_DIVIDE);
  else adamOuterLoop(dz, x, rows, stride, units, inputs, mu, nu, p, beta1, beta2, eps, c1, c2, alpha, by1, BY2_NONE);
}

/** `adamLoop`'s paths over the flat index of g, each four lanes of g computed where they are needed. */
// @ts-ignore: decorator
@inline function adamOuterLoop(dz: usize, x: usize, rows: i32, stride: i32, units: i32, inputs: i32, mu: usize, nu: usize, p: usize, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64, by1: bool, by2: i32): void {
  const b1 = f32x4.splat(<f32>beta1), a1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), a2 = f32x4.splat(<f32>(1 - beta2));
  const e = f32x4.splat(<f32>eps), d1v = f32x4.splat(<f32>c1), d2v = f32x4.splat(<f32>c2), i2 = reciprocal(c2);
  const a32 = <f32>alpha, a = f32x4.splat(a32);
  const n = units * inputs;
  if (inputs % 8 == 0) {
    // Each unit's inputs are whole blocks of 8: unit by unit, its factors of dz loaded once.
    const zero = f32x4.splat(0), rowBytes = <usize>inputs << 2;
    for (let j = 0; j < units; j++) {
      const d0 = v128.load32_splat(dz + (<usize>j << 2));
      const d1 = rows > 1 ? v128.load32_splat(dz + (<usize>(stride + j) << 2)) : zero;
      const d2 = rows > 2 ? v128.load32_splat(dz + (<usize>(2 * stride + j) << 2)) : zero;
      const row = <usize>j * rowBytes;
      for (let at: usize = 0; at < rowBytes; at += 32) {
        const x0 = x + at, x1 = x0 + rowBytes, x2 = x1 + rowBytes;
        // The product's chain per element: from 0, one multiply-add per row, rows in order.
        let g0 = madd(d0, v128.load(x0), zero), g1 = madd(d0, v128.load(x0, 16), zero);
        if (rows > 1) { g0 = madd(d1, v128.load(x1), g0); g1 = madd(d1, v128.load(x1, 16), g1); }
        if (rows > 2) { g0 = madd(d2, v128.load(x2), g0); g1 = madd(d2, v128.load(x2, 16), g1); }
        const to = row + at;
        const u0 = adamLanes(g0, mu + to, nu + to, b1, a1, b2, a2, e, d1v, d2v, i2, by1, by2);
        const u1 = adamLanes(g1, mu + to + 16, nu + to + 16, b1, a1, b2, a2, e, d1v, d2v, i2, by1, by2);
        v128.store(p + to, madd(a, u0, v128.load(p + to)));
        v128.store(p + to, madd(a, u1, v128.load(p + to, 16)), 16);
      }
    }
    return;
  }
  // Element i of g is (unit j, input c): tracked as i moves, so no division per element.
  let i = 0, j = 0, c = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const g0 = outer4(dz, x, rows, stride, inputs, n, i, j, c);
    c += 4;
    while (c >= inputs) { c -= inputs; j++; }
    const g1 = outer4(dz, x, rows, stride, inputs, n, i + 4, j, c);
    c += 4;
    while (c >= inputs) { c -= inputs; j++; }
    const u0 = adamLanes(g0, mu + at, nu + at, b1, a1, b2, a2, e, d1v, d2v, i2, by1, by2);
    const u1 = adamLanes(g1, mu + at + 16, nu + at + 16, b1, a1, b2, a2, e, d1v, d2v, i2, by1, by2);
    v128.store(p + at, madd(a, u0, v128.load(p + at)));
    v128.store(p + at, madd(a, u1, v128.load(p + at, 16)), 16);
  }
  if (i + 4 <= n) {
    const at = <usize>i << 2;
    const u = adamLanes(outer4(dz, x, rows, stride, inputs, n, i, j, c), mu + at, nu + at, b1, a1, b2, a2, e, d1v, d2v, i2, by1, by2);
    // As `adamAxpy`'s four-lane step: p as axpy's scalar tail computes it.
    store<f32>(p + at, load<f32>(p + at) + a32 * f32x4.extract_lane(u, 0));
    store<f32>(p + at + 4, load<f32>(p + at + 4) + a32 * f32x4.extract_lane(u, 1));
    store<f32>(p + at + 8, load<f32>(p + at + 8) + a32 * f32x4.extract_lane(u, 2));
    store<f32>(p + at + 12, load<f32>(p + at + 12) + a32 * f32x4.extract_lane(u, 3));
    i += 4;
    c += 4;
    while (c >= inputs) { c -= inputs; j++; }
  }
  const sb1 = <f32>beta1, sa1 = <f32>(1 - beta1), sb2 = <f32>beta2, sa2 = <f32>(1 - beta2);
  const se = <f32>eps, s1 = <f32>c1, s2 = <f32>c2;
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = outer1(dz, x, rows, stride, inputs, j, c);
    if (++c == inputs) { c = 0; j++; }
    const m = flushSubnormal1(sb1 * load<f32>(mu + at) + sa1 * g);
    const v = sb2 * load<f32>(nu + at) + sa2 * (g * g);
    store<f32>(mu + at, m);
    store<f32>(nu + at, v);
    const out = (by1 ? m / s1 : m) / ((by2 != BY2_NONE ? Mathf.sqrt(v) / s2 : Mathf.sqrt(v)) + se);
    store<f32>(p + at, load<f32>(p + at) + a32 * out);
  }
}

/**
 * Elements i..i+3 of g = dzᵀ·x (i is unit j, input c): the product's multiply-adds from 0 over the
 * rows, four inputs of one unit at a time, lane by lane where the four cross a unit's end (lanes past
 * g's end are 0).
 */
// @ts-ignore: decorator
@inline function outer4(dz: usize, x: usize, rows: i32, stride: i32, inputs: i32, n: i32, i: i32, j: i32, c: i32): v128 {
  if (c + 4 <= inputs) {
    let acc = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const d = v128.load32_splat(dz + ((<usize>r * <usize>stride + <usize>j) << 2));
      acc = madd(d, v128.load(x + ((<usize>r * <usize>inputs + <usize>c) << 2)), acc);
    }
    return acc;
  }
  let g = f32x4.splat(0);
  let jl = j, cl = c;
  for (let l = 0; l < 4 && i + l < n; l++) {
    const v = outer1(dz, x, rows, stride, inputs, jl, cl);
    if (l == 0) g = f32x4.replace_lane(g, 0, v);
    else if (l == 1) g = f32x4.replace_lane(g, 1, v);
    else if (l == 2) g = f32x4.replace_lane(g, 2, v);
    else g = f32x4.replace_lane(g, 3, v);
    if (++cl == inputs) { cl = 0; jl++; }
  }
  return g;
}

/** Element (j, c) of g = dzᵀ·x, with the vector arithmetic of `outer4`'s lanes. */
function outer1(dz: usize, x: usize, rows: i32, stride: i32, inputs: i32, j: i32, c: i32): f32 {
  let acc = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const d = v128.load32_splat(dz + ((<usize>r * <usize>stride + <usize>j) << 2));
    acc = madd(d, v128.load32_splat(x + ((<usize>r * <usize>inputs + <usize>c) << 2)), acc);
  }
  return f32x4.extract_lane(acc, 0);
}

/** Four lanes of the Adam step at these addresses: stores mu, nu and u, and returns u. */
// @ts-ignore: decorator
@inline function adamVector(u: usize, mu: usize, nu: usize, b1: v128, a1: v128, b2: v128, a2: v128, e: v128, d1: v128, d2: v128, i2: v128, by1: bool, by2: i32): v128 {
  const out = adamLanes(v128.load(u), mu, nu, b1, a1, b2, a2, e, d1, d2, i2, by1, by2);
  v128.store(u, out);
  return out;
}

/**
 * Four lanes of the Adam step on the gradient g: stores mu and nu, and returns u. `d2` is c2, `i2` its
 * reciprocal (`reciprocal`); `by2` says how to divide by it.
 */
// @ts-ignore: decorator
@inline function adamLanes(g: v128, mu: usize, nu: usize, b1: v128, a1: v128, b2: v128, a2: v128, e: v128, d1: v128, d2: v128, i2: v128, by1: bool, by2: i32): v128 {
  const m = flushSubnormal(f32x4.add(f32x4.mul(b1, v128.load(mu)), f32x4.mul(a1, g)));
  const v = f32x4.add(f32x4.mul(b2, v128.load(nu)), f32x4.mul(a2, f32x4.mul(g, g)));
  v128.store(mu, m);
  v128.store(nu, v);
  const r = f32x4.sqrt(v);
  const scaled = by2 == BY2_RECIPROCAL ? divideByConstant(r, d2, i2) : by2 == BY2_DIVIDE ? f32x4.div(r, d2) : r;
  return f32x4.div(by1 ? f32x4.div(m, d1) : m, f32x4.add(scaled, e));
}

/**
 * x / d, correctly rounded, without the divider: q = x·(1/d), then q + (x − q·d)·(1/d) with fused
 * multiply-adds. x − q·d is exact (fused), and Markstein's theorem (IBM J. Res. Dev. 34(1), 1990;
 * Muller et al., Handbook of Floating-Point Arithmetic, §4.7) makes the corrected quotient the
 * correctly rounded x / d when 1/d is rounded to nearest and q is within an ulp of x / d — for every
 * x here (≥ 0, the quotient normal or 0: x a square root, d in (0, 1]). The divider's throughput
 * bounds Adam's pass, and this is its second division per float while c2 < 1 (~17,000 steps):
 * 2.9 → 2.4 ns a vector. Only where `maddFused()`: unfused, x − q·d would be rounded.
 */
// @ts-ignore: decorator
@inline function divideByConstant(x: v128, d: v128, inverse: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const q = f32x4.mul(x, inverse);
    return f32x4.relaxed_madd(f32x4.relaxed_nmadd(q, d, x), inverse, q);
  }
  return f32x4.div(x, d);
}

/** 1 / c2 rounded to float32 (from c2 rounded to float32: the divisor the lanes use), in four lanes. */
// @ts-ignore: decorator
@inline function reciprocal(c2: f64): v128 {
  return f32x4.splat(<f32>1 / <f32>c2);
}

/** p[at] ← p[at] + alpha·u[at], as axpy's scalar tail computes it. */
// @ts-ignore: decorator
@inline function stepOne(u: usize, p: usize, at: usize, a32: f32): void {
  store<f32>(p + at, load<f32>(p + at) + a32 * load<f32>(u + at));
}

/**
 * `adamAxpy` with the js reference's arithmetic instead of float32's: each line in float64, rounded to
 * float32 once when stored, later lines reading the stored values, and c1, c2 compared with 1 in
 * float64. Every operation is IEEE's (no fused multiply-add), so the bits are the js loop's, at a
 * fraction of its time; the backend runs the arrays too short for its float32 pass through it.
 */
export function adamAxpy64(u: usize, mu: usize, nu: usize, p: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64): void {
  const by1 = c1 != 1, by2 = c2 != 1;
  if (by1 && by2) adamLoop64(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, true, true);
  else if (by1) adamLoop64(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, true, false);
  else if (by2) adamLoop64(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, false, true);
  else adamLoop64(u, mu, nu, p, n, beta1, beta2, eps, c1, c2, alpha, false, false);
}

// @ts-ignore: decorator
@inline function adamLoop64(u: usize, mu: usize, nu: usize, p: usize, n: i32, beta1: f64, beta2: f64, eps: f64, c1: f64, c2: f64, alpha: f64, by1: bool, by2: bool): void {
  const a1 = 1 - beta1, a2 = 1 - beta2;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 2;
    const g = f64x2.promote_low_f32x4(v128.load64_zero(u + at));
    const m = f64x2.promote_low_f32x4(flushSubnormal(f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(f64x2.splat(beta1), f64x2.promote_low_f32x4(v128.load64_zero(mu + at))), f64x2.mul(f64x2.splat(a1), g)))));
    const v = roundF32(f64x2.add(f64x2.mul(f64x2.splat(beta2), f64x2.promote_low_f32x4(v128.load64_zero(nu + at))), f64x2.mul(f64x2.mul(f64x2.splat(a2), g), g)));
    v128.store64_lane(mu + at, f32x4.demote_f64x2_zero(m), 0);
    v128.store64_lane(nu + at, f32x4.demote_f64x2_zero(v), 0);
    const r = f64x2.sqrt(v);
    const den = f64x2.add(by2 ? f64x2.div(r, f64x2.splat(c2)) : r, f64x2.splat(eps));
    const out = f32x4.demote_f64x2_zero(f64x2.div(by1 ? f64x2.div(m, f64x2.splat(c1)) : m, den));
    v128.store64_lane(u + at, out, 0);
    if (p) {
      const q = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(p + at)), f64x2.mul(f64x2.splat(alpha), f64x2.promote_low_f32x4(out)));
      v128.store64_lane(p + at, f32x4.demote_f64x2_zero(q), 0);
    }
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = <f64>load<f32>(u + at);
    const m = flushSubnormal1(<f32>(beta1 * <f64>load<f32>(mu + at) + a1 * g));
    const v = <f32>(beta2 * <f64>load<f32>(nu + at) + a2 * g * g);
    store<f32>(mu + at, m);
    store<f32>(nu + at, v);
    const r = Math.sqrt(<f64>v);
    const out = <f32>((by1 ? <f64>m / c1 : <f64>m) / ((by2 ? r / c2 : r) + eps));
    store<f32>(u + at, out);
    if (p) store<f32>(p + at, <f32>(<f64>load<f32>(p + at) + alpha * <f64>out));
  }
}

/**
 * x with its subnormal lanes set to +0. A first moment whose gradient stays 0 decays by β1 a step into
 * float32's subnormals and, at β1 0.9, never leaves them: 0.9 × k·2⁻¹⁴⁹ rounds back to k·2⁻¹⁴⁹ for
 * k ≤ 4. The CPU divides such a moment with a microcode assist, several times the usual cost, so a
 * long-lived learner's Adam pass slowed as its rarely lit inputs' moments piled up there (a third of the
 * first layer's, for an online MLP on raw digits: its pass ran 3× slower). Flushed, the update it gives
 * is 0 instead of at most 2⁻¹²⁶/ε ≈ 10⁻³⁰ of a step, which leaves every weight larger than about 10⁻²⁶
 * as it was. (A zero keeps no sign: ±0 lanes compare below 2⁻¹²⁶ too and come out +0, which changes
 * nothing downstream but a weight that is exactly −0.)
 */
// @ts-ignore: decorator
@inline function flushSubnormal(x: v128): v128 {
  return v128.andnot(x, f32x4.lt(f32x4.abs(x), f32x4.splat(FLOAT32_MIN_NORMAL)));
}

/** `flushSubnormal` of one float. */
// @ts-ignore: decorator
@inline function flushSubnormal1(x: f32): f32 {
  return Mathf.abs(x) < FLOAT32_MIN_NORMAL ? 0 : x;
}

/** 2⁻¹²⁶, the smallest normal float32. */
const FLOAT32_MIN_NORMAL: f32 = 1.1754943508222875e-38;
