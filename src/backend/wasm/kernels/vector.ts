// AssemblyScript: the optimisers' per-parameter loops, in float32 SIMD. alpha is rounded to float32
// once; each element is then y + alpha·x with one rounding where the runtime has relaxed SIMD (fused
// multiply-add, as PyTorch's vectorised `add_(x, alpha=…)` computes it) and two where it has not. The
// js backend computes in float64 and rounds once, so the two agree to within an ulp per step.
import { madd, read2 } from "./simd";

/** n floats at x set to +0 (one bulk fill: a shared memory's typed-array fill stores element by element). */
export function zero(x: usize, n: i32): void {
  memory.fill(x, 0, <usize>n << 2);
}

/**
 * n floats copied from src to dst (one bulk move: a typed array's `set` on shared memory copies word by word
 * with atomic loads and stores, 2–2.5× slower).
 */
export function copy(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
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
 * out[0..3] ← Σ w², Σ (w − w0)², Σ w0², Σ g² over n floats, in float64, each sum in the four lanes of the js
 * `sumSquares` (lane k the elements i ≡ k mod 4 in index order, then (lane 0 + lane 2) + (lane 1 + lane 3)):
 * the js loop's values to the last bit, as a float32 product is exact in float64 and wasm rounds each
 * addition as js does. Lanes 0–1 and 2–3 of a sum are two float64x2 accumulators, so no chain of dependent
 * additions bounds the loop (one chain in index order cost ~3 cycles an element: 0.23 → 0.14 ms on a
 * 784 × 256 layer, Zen 4). The loop is bound by its float64 operations, not by memory: the three squares of
 * float32s are fused multiply-adds (`addSquare`) and each pair of floats is read straight into float64
 * lanes (a load and a conversion, no shuffle): 125 → 80 µs on a 784 × 256 layer (Zen 5).
 */
export function stepSquares(w: usize, w0: usize, g: usize, n: i32, out: usize): void {
  let now01 = f64x2.splat(0);
  let now23 = f64x2.splat(0);
  let moved01 = f64x2.splat(0);
  let moved23 = f64x2.splat(0);
  let then01 = f64x2.splat(0);
  let then23 = f64x2.splat(0);
  let grad01 = f64x2.splat(0);
  let grad23 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const a0 = read2(w + at);
    const a1 = read2(w + at + 8);
    const b0 = read2(w0 + at);
    const b1 = read2(w0 + at + 8);
    const g0 = read2(g + at);
    const g1 = read2(g + at + 8);
    const d0 = f64x2.sub(a0, b0);
    const d1 = f64x2.sub(a1, b1);
    now01 = addSquare(now01, a0);
    now23 = addSquare(now23, a1);
    moved01 = f64x2.add(moved01, f64x2.mul(d0, d0));
    moved23 = f64x2.add(moved23, f64x2.mul(d1, d1));
    then01 = addSquare(then01, b0);
    then23 = addSquare(then23, b1);
    grad01 = addSquare(grad01, g0);
    grad23 = addSquare(grad23, g1);
  }
  // The last n mod 4 elements go to lanes 0, 1, 2 in turn, as the js loop adds them.
  for (let k = 0; i < n; i++, k++) {
    const at = <usize>i << 2;
    const a = <f64>load<f32>(w + at);
    const b = <f64>load<f32>(w0 + at);
    const x = <f64>load<f32>(g + at);
    const d = a - b;
    if (k === 0) {
      now01 = f64x2.replace_lane(now01, 0, f64x2.extract_lane(now01, 0) + a * a);
      moved01 = f64x2.replace_lane(moved01, 0, f64x2.extract_lane(moved01, 0) + d * d);
      then01 = f64x2.replace_lane(then01, 0, f64x2.extract_lane(then01, 0) + b * b);
      grad01 = f64x2.replace_lane(grad01, 0, f64x2.extract_lane(grad01, 0) + x * x);
    } else if (k === 1) {
      now01 = f64x2.replace_lane(now01, 1, f64x2.extract_lane(now01, 1) + a * a);
      moved01 = f64x2.replace_lane(moved01, 1, f64x2.extract_lane(moved01, 1) + d * d);
      then01 = f64x2.replace_lane(then01, 1, f64x2.extract_lane(then01, 1) + b * b);
      grad01 = f64x2.replace_lane(grad01, 1, f64x2.extract_lane(grad01, 1) + x * x);
    } else {
      now23 = f64x2.replace_lane(now23, 0, f64x2.extract_lane(now23, 0) + a * a);
      moved23 = f64x2.replace_lane(moved23, 0, f64x2.extract_lane(moved23, 0) + d * d);
      then23 = f64x2.replace_lane(then23, 0, f64x2.extract_lane(then23, 0) + b * b);
      grad23 = f64x2.replace_lane(grad23, 0, f64x2.extract_lane(grad23, 0) + x * x);
    }
  }
  store<f64>(out, joinLanes(now01, now23));
  store<f64>(out, joinLanes(moved01, moved23), 8);
  store<f64>(out, joinLanes(then01, then23), 16);
  store<f64>(out, joinLanes(grad01, grad23), 24);
}

/**
 * s + x² for x a float32 in float64 lanes: one fused multiply-add where the runtime has relaxed SIMD. The
 * square of a float32 has at most 48 significant bits, so it is exact in float64 and the fused and the
 * separate forms round the same sum once: the same bits either way. (Not for w − w0, whose difference in
 * float64 can carry more bits than its square keeps.)
 */
// @ts-ignore: decorator
@inline function addSquare(s: v128, x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(x, x, s);
  return f64x2.add(s, f64x2.mul(x, x));
}

/** (lane 0 + lane 2) + (lane 1 + lane 3) of a sum kept as lanes 0–1 and 2–3. */
// @ts-ignore: decorator
@inline function joinLanes(s01: v128, s23: v128): f64 {
  const s = f64x2.add(s01, s23);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
