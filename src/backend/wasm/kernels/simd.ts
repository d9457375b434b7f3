// AssemblyScript: SIMD helpers the kernels share (not exported from the module, but `probeFusedMadd`).

/** a·b + c: fused where the runtime has relaxed SIMD, else a multiply then an add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * Whether this runtime fuses `relaxed_madd` (one rounding), as `probeFusedMadd` found when the instance
 * was made; false until then and in the plain-SIMD build. Relaxed SIMD lets a runtime do either, so a
 * kernel whose bits need the single rounding (Adam's `divideByConstant`) asks this, not the build.
 */
let fusedMadd = false;

/** `fusedMadd`. */
// @ts-ignore: decorator
@inline export function maddFused(): bool {
  return ASC_FEATURE_RELAXED_SIMD && fusedMadd;
}

/**
 * Sets `fusedMadd` from one multiply-add on the host's operands (so that no compiler folds it): with
 * a = b = 1 + 2⁻¹² and c = −(1 + 2⁻¹¹), a·b + c is 2⁻²⁴ rounded once and 0 rounded twice. The loader
 * calls it on each instance (the calling thread's and every worker's); exported by index.ts.
 */
export function probeFusedMadd(a: f32, b: f32, c: f32): void {
  if (ASC_FEATURE_RELAXED_SIMD)
    fusedMadd = f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0) != 0;
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
