/**
 * The host side of the Adam kernels (kernels/adam.ts): one parameter's pass, alone or fused with the
 * step p ← p + alpha·u, operands staged by the runner (resident ones in place), split across threads
 * when the arrays are resident and large.
 */
import type { KernelRunner } from "./runner.js";

/**
 * From this many floats, a float32 Adam step over resident arrays is split across threads. Its square
 * root and divisions bound it (about 0.8 ns a float on one thread), so 32,768 floats take ~25 µs, several
 * times what handing half to a worker costs; a 256×256 layer's weights are above it, biases below.
 */
export const THREAD_MIN_ADAM = 1 << 15;

/** Adam's hyper-parameters for one step: the decays, eps and the bias corrections c1 = 1 − β1ᵗ, c2 = sqrt(1 − β2ᵗ). */
export interface AdamStepConstants {
  beta1: number;
  beta2: number;
  eps: number;
  c1: number;
  c2: number;
}

/**
 * One Adam step in place over u (the gradient, then the update) and the moments mu and nu; with `p`,
 * also p ← p + alpha·u in the same pass (the bits of a following `axpy(alpha, u, p)`). In "float64"
 * arithmetic, the bits of the js kernels (each line in float64, rounded once).
 *
 * @example
 * adamStep(runner, u, mu, nu, { beta1: 0.9, beta2: 0.999, eps: 1e-8, c1: 0.1, c2: 0.0316 }, p, -1e-3);
 */
export function adamStep(
  mm: KernelRunner,
  u: Float32Array,
  mu: Float32Array,
  nu: Float32Array,
  k: AdamStepConstants,
  p: Float32Array | null = null,
  alpha = 0,
  arithmetic: "float32" | "float64" = "float32",
): void {
  const arrays = p ? [u, mu, nu, p] : [u, mu, nu];
  if (arithmetic === "float32" && u.length >= THREAD_MIN_ADAM && adamSplit(mm, arrays, k, alpha)) return;
  const [uAt, muAt, nuAt, pAt] = mm.stage(arrays) as [number, number, number, number?];
  const { kernels } = mm.scratchSpace;
  const kernel = arithmetic === "float32" ? kernels.exports.adamAxpy : kernels.exports.adamAxpy64;
  kernel(uAt, muAt, nuAt, pAt ?? 0, u.length, k.beta1, k.beta2, k.eps, k.c1, k.c2, alpha);
  arrays.forEach((a, i) => mm.output([uAt, muAt, nuAt, pAt ?? 0][i]!, a));
}

/**
 * The float32 step of `adamStep` over `[u, mu, nu, p?]` split across the thread pool, in chunks of a
 * multiple of 8 floats (the kernel's vector step: each element takes the path it takes in one call, so
 * the bits are one thread's); false, having done nothing, where an array is not resident or there is
 * one thread.
 */
function adamSplit(mm: KernelRunner, arrays: Float32Array[], k: AdamStepConstants, alpha: number): boolean {
  const at = arrays.map((a) => mm.offsetOf(a));
  if (at.some((x) => x < 0)) return false;
  const pool = mm.workers();
  if (!pool) return false;
  const n = arrays[0]!.length;
  const chunkLen = Math.ceil(n / (2 * mm.threadCount) / 8) * 8;
  const [u, mu, nu, p] = at as [number, number, number, number?];
  pool.run(
    {
      kind: "adam",
      u,
      mu,
      nu,
      p: p ?? 0,
      n,
      constants: [k.beta1, k.beta2, k.eps, k.c1, k.c2, alpha],
      chunks: Math.ceil(n / chunkLen),
      chunkLen,
    },
    mm.scratchSpace.kernels.exports,
  );
  return true;
}
