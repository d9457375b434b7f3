// AssemblyScript: SIMD helpers the kernels share (not exported from the module).

/** a·b + c: fused where the runtime has relaxed SIMD, else a multiply then an add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Two float64 lanes rounded to float32 and back: the value a Float32Array stores (js's rounding). */
// @ts-ignore: decorator
@inline export function roundF32(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/** Two float32s at `at`, as float64 lanes. */
// @ts-ignore: decorator
@inline export function read2(at: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(at));
}

/** Two float64 lanes stored at `at` as float32s. */
// @ts-ignore: decorator
@inline export function write2(at: usize, x: v128): void {
  v128.store64_lane(at, f32x4.demote_f64x2_zero(x), 0);
}
