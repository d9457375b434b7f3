/**
 * Gradient clipping, in place, with torch.nn.utils semantics so that a clipped Homeostat run can be
 * compared with a PyTorch one. Clipping happens between backward and the optimiser update. The loops
 * over the gradients are the backend's (`squaresFrom`, `multiply`, `clamp`: js's bits on every backend).
 */
import { kernelOf } from "../backend/index.js";

/**
 * Scale all gradients together so that their joint `normType`-norm is at most `maxNorm`, exactly as
 * torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖, ‖g₂‖, …)‖ (the norm of all entries as one vector),
 * coef = maxNorm / (total + 1e-6), and every gradient is multiplied by coef when coef < 1. As in
 * PyTorch (error_if_nonfinite=False), a NaN or infinite total still scales, spreading NaN or zeros
 * — a health monitor should look at the returned norm. Returns the total norm before clipping.
 *
 * @example
 * const grads = [new Float32Array([3, 0]), new Float32Array([4])];
 * clipGradNorm(grads, 1); // 5; grads ≈ [[0.6, 0], [0.8]]
 * clipGradNorm([new Float32Array([-2, 1])], 1, Infinity); // 2
 */
export function clipGradNorm(grads: Float32Array[], maxNorm: number, normType = 2): number {
  if (!(normType > 0))
    throw new RangeError(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const total = totalNorm(grads, normType);
  const coef = maxNorm / (total + 1e-6);
  // `!(coef >= 1)` rather than `coef < 1`: a NaN coefficient scales, as torch.clamp(NaN, max=1) does.
  if (!(coef >= 1)) {
    const multiply = kernelOf("multiply");
    for (const g of grads) multiply(g, coef);
  }
  return total;
}

/**
 * The `normType`-norm of all gradients viewed as one vector (accumulated in float64).
 *
 * @example
 * totalNorm([new Float32Array([3]), new Float32Array([4])], 2); // 5
 */
export function totalNorm(grads: readonly Float32Array[], normType = 2): number {
  if (normType === Infinity) {
    let max = 0;
    for (const g of grads) for (let j = 0; j < g.length; j++) max = Math.max(max, Math.abs(g[j]!));
    return max;
  }
  let sum = 0;
  if (normType === 2) {
    // One chain of float64 additions through every array, in order (the backend's loop, js's bits).
    const squaresFrom = kernelOf("squaresFrom");
    for (const g of grads) sum = squaresFrom(g, sum);
    return Math.sqrt(sum);
  }
  for (const g of grads) {
    for (let j = 0; j < g.length; j++) {
      const a = Math.abs(g[j]!);
      sum += normType === 1 ? a : a ** normType;
    }
  }
  return normType === 1 ? sum : sum ** (1 / normType);
}

/**
 * Clamp every gradient entry to [−clipValue, clipValue], as torch.nn.utils.clip_grad_value_.
 *
 * @example
 * const grads = [new Float32Array([-3, 0.2, 5])];
 * clipGradValue(grads, 1); // grads[0] = [-1, 0.2, 1]
 */
export function clipGradValue(grads: Float32Array[], clipValue: number): void {
  if (!(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be ≥ 0, got ${clipValue}`);
  const clamp = kernelOf("clamp");
  for (const g of grads) clamp(g, -clipValue, clipValue);
}
