/**
 * The host side of the Adam kernels (kernels/adam.ts): one parameter's pass, alone or fused with the
 * step p ← p + alpha·u, operands staged by the runner (resident ones in place).
 */
import type { KernelRunner } from "./runner.js";

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
  const [uAt, muAt, nuAt, pAt] = mm.stage(arrays) as [number, number, number, number?];
  const { kernels } = mm.scratchSpace;
  const kernel = arithmetic === "float32" ? kernels.exports.adamAxpy : kernels.exports.adamAxpy64;
  kernel(uAt, muAt, nuAt, pAt ?? 0, u.length, k.beta1, k.beta2, k.eps, k.c1, k.c2, alpha);
  arrays.forEach((a, i) => mm.output([uAt, muAt, nuAt, pAt ?? 0][i]!, a));
}
