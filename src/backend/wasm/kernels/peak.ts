// AssemblyScript, compiled by scripts/build-wasm.mjs. The machine's own ceiling for the kernels: how
// many 128-bit multiply-adds one core retires when nothing but the arithmetic limits it, so that the
// bench can report the product and the convolution as a share of it ("close to the limit" as a number).

import { madd, maddFused } from "./simd";

/** Whether `madd` is one fused instruction here (as the loader's probe found) or a multiply then an add. */
export function peakFused(): bool {
  return maddFused();
}

/**
 * `iters` rounds of 12 independent chains c ← c·a + b, each on a 128-bit vector of 4 floats: 96
 * floating-point operations per round. Twelve chains cover a multiply-add latency of up to 6 cycles
 * on two pipes, so the loop runs at the core's throughput, not at one chain's latency (fewer chains
 * measure the latency; more would spill the 16 registers V8 has on x64). a = 0.5 keeps every chain
 * finite and normal (it converges to 2b). Returns a sum of the chains so that none is dead code.
 */
export function fmaPeak(iters: i32, seed: f32): f32 {
  const a = f32x4.splat(0.5), b = f32x4.splat(seed);
  let c0 = f32x4.splat(1), c1 = f32x4.splat(2), c2 = f32x4.splat(3), c3 = f32x4.splat(4);
  let c4 = f32x4.splat(5), c5 = f32x4.splat(6), c6 = f32x4.splat(7), c7 = f32x4.splat(8);
  let c8 = f32x4.splat(9), c9 = f32x4.splat(10), c10 = f32x4.splat(11), c11 = f32x4.splat(12);
  for (let i = 0; i < iters; i++) {
    c0 = madd(c0, a, b); c1 = madd(c1, a, b); c2 = madd(c2, a, b); c3 = madd(c3, a, b);
    c4 = madd(c4, a, b); c5 = madd(c5, a, b); c6 = madd(c6, a, b); c7 = madd(c7, a, b);
    c8 = madd(c8, a, b); c9 = madd(c9, a, b); c10 = madd(c10, a, b); c11 = madd(c11, a, b);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)),
    f32x4.add(f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)), f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** Floating-point operations in one round of `fmaPeak` (12 chains × 4 lanes × multiply and add). */
export function peakFlopsPerIter(): i32 {
  return 96;
}
