// AssemblyScript: the optimiser stages other than Adam's (SGD's momentum, weight decay, RMSprop's and
// Adagrad's scaling) with the js reference's arithmetic (src/backend/js/stages.ts): each line in
// float64, rounded to float32 once where the js loop stores into a Float32Array, later lines reading
// the stored value. Every operation is IEEE's (no fused multiply-add), so the bits are the js loop's;
// two or four floats a turn, then one.
import { madd, read2, roundF32, write2 } from "./simd";

/**
 * SGD's momentum over n floats (PyTorch's buffer): buf ← g on the first step, else
 * buf ← momentum·buf + damp·g (damp = 1 − dampening); then u ← buf, or g + momentum·buf with Nesterov.
 */
export function momentum64(u: usize, buf: usize, n: i32, momentum: f64, damp: f64, first: i32, nesterov: i32): void {
  const m = f64x2.splat(momentum), d = f64x2.splat(damp);
  let i = 0;
  for (; i + 4 <= n; i += 4) momentumQuad(u + (<usize>i << 2), buf + (<usize>i << 2), m, d, first, nesterov);
  for (; i < n; i++) momentumOne(u + (<usize>i << 2), buf + (<usize>i << 2), momentum, damp, first, nesterov);
}

/**
 * `momentum64`, then p ← p + alpha·u with the bits of `axpy` (vector.ts: alpha rounded to float32, a
 * multiply-add in blocks of 8, then one multiply and one add a float): one pass where there were two.
 */
export function momentumAxpy64(u: usize, buf: usize, p: usize, n: i32, momentum: f64, damp: f64, first: i32, nesterov: i32, alpha: f64): void {
  const m = f64x2.splat(momentum), d = f64x2.splat(damp);
  const a32 = <f32>alpha, a = f32x4.splat(a32);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const u0 = momentumQuad(u + at, buf + at, m, d, first, nesterov);
    const u1 = momentumQuad(u + at + 16, buf + at + 16, m, d, first, nesterov);
    v128.store(p + at, madd(a, u0, v128.load(p + at)));
    v128.store(p + at, madd(a, u1, v128.load(p + at, 16)), 16);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    momentumOne(u + at, buf + at, momentum, damp, first, nesterov);
    store<f32>(p + at, load<f32>(p + at) + a32 * load<f32>(u + at));
  }
}

/**
 * Four floats of `momentum64` at u and buf, two float64 lanes at a time; returns u's four new values.
 * Each lane's arithmetic is `momentumOne`'s.
 */
// @ts-ignore: decorator
@inline function momentumQuad(u: usize, buf: usize, m: v128, d: v128, first: i32, nesterov: i32): v128 {
  const gLow = read2(u), gHigh = read2(u + 8);
  let bLow = gLow, bHigh = gHigh;
  if (!first) {
    bLow = f64x2.add(f64x2.mul(m, read2(buf)), f64x2.mul(d, gLow));
    bHigh = f64x2.add(f64x2.mul(m, read2(buf + 8)), f64x2.mul(d, gHigh));
  }
  const b = floats4(bLow, bHigh);
  v128.store(buf, b);
  if (!nesterov) {
    v128.store(u, b);
    return b;
  }
  // g + momentum·buf, buf as stored (float32).
  const out = floats4(
    f64x2.add(gLow, f64x2.mul(m, f64x2.promote_low_f32x4(b))),
    f64x2.add(gHigh, f64x2.mul(m, f64x2.promote_low_f32x4(v128.shuffle<f32>(b, b, 2, 3, 2, 3)))),
  );
  v128.store(u, out);
  return out;
}

/** One float of `momentum64`. */
// @ts-ignore: decorator
@inline function momentumOne(u: usize, buf: usize, momentum: f64, damp: f64, first: i32, nesterov: i32): void {
  const g = <f64>load<f32>(u);
  const b = first ? g : <f64><f32>(momentum * <f64>load<f32>(buf) + damp * g);
  store<f32>(buf, <f32>b);
  store<f32>(u, <f32>(nesterov ? g + momentum * b : b));
}

/** Four float32s from two pairs of float64 lanes, each rounded to float32 (as a Float32Array stores it). */
// @ts-ignore: decorator
@inline function floats4(low: v128, high: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 1, 4, 5);
}

/** u ← u + decay·p over n floats (L2 weight decay added to the gradient). */
export function decay64(u: usize, p: usize, n: i32, decay: f64): void {
  const w = f64x2.splat(decay);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 2;
    write2(u + at, f64x2.add(read2(u + at), f64x2.mul(w, read2(p + at))));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(u + at, <f32>(<f64>load<f32>(u + at) + decay * <f64>load<f32>(p + at)));
  }
}

/**
 * RMSprop's scaling over n floats: sq ← α·sq + (1−α)·g·g; with `ga` (centred) ga ← α·ga + (1−α)·g and
 * the mean square less ga²; avg = float32(√mean square) + eps; with `buf` (momentum)
 * u ← buf ← momentum·buf + g/avg, else u ← g/avg. ga and buf are 0 where absent.
 */
export function rms64(u: usize, sq: usize, ga: usize, buf: usize, n: i32, alpha: f64, eps: f64, momentum: f64): void {
  if (ga && buf) rmsLoop(u, sq, ga, buf, n, alpha, eps, momentum, true, true);
  else if (ga) rmsLoop(u, sq, ga, buf, n, alpha, eps, momentum, true, false);
  else if (buf) rmsLoop(u, sq, ga, buf, n, alpha, eps, momentum, false, true);
  else rmsLoop(u, sq, ga, buf, n, alpha, eps, momentum, false, false);
}

// @ts-ignore: decorator
@inline function rmsLoop(u: usize, sq: usize, ga: usize, buf: usize, n: i32, alpha: f64, eps: f64, momentum: f64, centred: bool, withBuffer: bool): void {
  const al = f64x2.splat(alpha), a1 = f64x2.splat(1 - alpha), e = f64x2.splat(eps), m = f64x2.splat(momentum);
  const zero = f64x2.splat(0);
  let i = 0;
  // Four floats a turn. Not centred, the mean square is sq as stored (a float32), and float32(√x) of a
  // float32 x is f32x4.sqrt's correctly rounded root (double rounding is harmless for a square root
  // when float64 has 2·24 + 2 bits or more): one float32 root for four where there were four float64 ones.
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const gL = read2(u + at), gH = read2(u + at + 8);
    const sq32 = floats4(
      f64x2.add(f64x2.mul(al, read2(sq + at)), f64x2.mul(f64x2.mul(a1, gL), gL)),
      f64x2.add(f64x2.mul(al, read2(sq + at + 8)), f64x2.mul(f64x2.mul(a1, gH), gH)),
    );
    v128.store(sq + at, sq32);
    let rL: v128, rH: v128;
    if (centred) {
      const mean32 = floats4(
        f64x2.add(f64x2.mul(al, read2(ga + at)), f64x2.mul(a1, gL)),
        f64x2.add(f64x2.mul(al, read2(ga + at + 8)), f64x2.mul(a1, gH)),
      );
      v128.store(ga + at, mean32);
      const meanL = low2(mean32), meanH = high2(mean32);
      rL = roundF32(f64x2.sqrt(f64x2.max(zero, f64x2.sub(low2(sq32), f64x2.mul(meanL, meanL)))));
      rH = roundF32(f64x2.sqrt(f64x2.max(zero, f64x2.sub(high2(sq32), f64x2.mul(meanH, meanH)))));
    } else {
      const r = f32x4.sqrt(sq32);
      rL = low2(r);
      rH = high2(r);
    }
    let qL = f64x2.div(gL, f64x2.add(rL, e)), qH = f64x2.div(gH, f64x2.add(rH, e));
    if (withBuffer) {
      qL = f64x2.add(f64x2.mul(m, read2(buf + at)), qL);
      qH = f64x2.add(f64x2.mul(m, read2(buf + at + 8)), qH);
    }
    const out = floats4(qL, qH);
    if (withBuffer) v128.store(buf + at, out);
    v128.store(u + at, out);
  }
  const a1s = 1 - alpha;
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = <f64>load<f32>(u + at);
    let meanSquare = <f64><f32>(alpha * <f64>load<f32>(sq + at) + a1s * g * g);
    store<f32>(sq + at, <f32>meanSquare);
    if (centred) {
      const mean = <f64><f32>(alpha * <f64>load<f32>(ga + at) + a1s * g);
      store<f32>(ga + at, <f32>mean);
      meanSquare = max(0, meanSquare - mean * mean);
    }
    const avg = <f64><f32>Math.sqrt(meanSquare) + eps;
    if (withBuffer) {
      const b = momentum * <f64>load<f32>(buf + at) + g / avg;
      store<f32>(buf + at, <f32>b);
      store<f32>(u + at, <f32>b);
    } else store<f32>(u + at, <f32>(g / avg));
  }
}

/**
 * Adagrad's scaling over n floats: sum ← sum + g·g; u ← g / (float32(√sum) + eps) / decay. Four floats a
 * turn, the root in float32 (see `rmsLoop`), and no division by a decay of 1 (x / 1 is x exactly).
 */
export function adagrad64(u: usize, sum: usize, n: i32, eps: f64, decay: f64): void {
  if (decay != 1) adagradLoop(u, sum, n, eps, decay, true);
  else adagradLoop(u, sum, n, eps, decay, false);
}

// @ts-ignore: decorator
@inline function adagradLoop(u: usize, sum: usize, n: i32, eps: f64, decay: f64, byDecay: bool): void {
  const e = f64x2.splat(eps), d = f64x2.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const gL = read2(u + at), gH = read2(u + at + 8);
    const s32 = floats4(f64x2.add(read2(sum + at), f64x2.mul(gL, gL)), f64x2.add(read2(sum + at + 8), f64x2.mul(gH, gH)));
    v128.store(sum + at, s32);
    const r = f32x4.sqrt(s32);
    let qL = f64x2.div(gL, f64x2.add(low2(r), e)), qH = f64x2.div(gH, f64x2.add(high2(r), e));
    if (byDecay) {
      qL = f64x2.div(qL, d);
      qH = f64x2.div(qH, d);
    }
    v128.store(u + at, floats4(qL, qH));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = <f64>load<f32>(u + at);
    const s = <f64><f32>(<f64>load<f32>(sum + at) + g * g);
    store<f32>(sum + at, <f32>s);
    store<f32>(u + at, <f32>(g / (<f64><f32>Math.sqrt(s) + eps) / decay));
  }
}

/** Lanes 0 and 1 of four float32s, as float64s. */
// @ts-ignore: decorator
@inline function low2(x: v128): v128 {
  return f64x2.promote_low_f32x4(x);
}

/** Lanes 2 and 3 of four float32s, as float64s. */
// @ts-ignore: decorator
@inline function high2(x: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3));
}

/**
 * start + Σ g[i]² over n floats, added one by one in index order in float64 (each square is exact): the
 * bits of js's loop, whose chain of additions it keeps, so it runs at one addition's latency a float.
 */
export function squaresFrom(g: usize, n: i32, start: f64): f64 {
  let sum = start;
  for (let i = 0; i < n; i++) {
    const a = <f64>load<f32>(g + (<usize>i << 2));
    sum += a * a;
  }
  return sum;
}

/** g ← g·coef over n floats, the product in float64 rounded once. */
export function multiply64(g: usize, n: i32, coef: f64): void {
  const c = f64x2.splat(coef);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 2;
    write2(g + at, f64x2.mul(read2(g + at), c));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(g + at, <f32>(<f64>load<f32>(g + at) * coef));
  }
}

/** g ← min(hi, max(lo, g)) over n floats, as Math.min and Math.max (NaN stays NaN; −0 below +0). */
export function clamp64(g: usize, n: i32, lo: f64, hi: f64): void {
  const l = f64x2.splat(lo), h = f64x2.splat(hi);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 2;
    write2(g + at, f64x2.min(h, f64x2.max(l, read2(g + at))));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(g + at, <f32>min(hi, max(lo, <f64>load<f32>(g + at))));
  }
}
