// AssemblyScript: SIMD helpers the kernels share (not exported from the module).

/** a·b + c: fused where the runtime has relaxed SIMD, else a multiply then an add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
