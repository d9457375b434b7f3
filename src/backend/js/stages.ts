/**
 * The optimiser stages other than Adam's, over one parameter's arrays, in place: the reference for
 * `Backend.momentum`, `decayWeights`, `rmsScale` and `adagradScale`. Each line is computed in float64 and
 * rounded to float32 where it is stored; a later line reads the stored value. (PyTorch computes in
 * float32; these are the library's recorded bits, which the compiled kernels reproduce.)
 */
import { axpy } from "./vector.js";

/**
 * SGD's momentum (PyTorch's buffer): buf ← g on the first step, else buf ← momentum·buf + (1 − dampening)·g;
 * then u ← buf, or u ← g + momentum·buf with Nesterov. g is read from u.
 *
 * @example
 * const u = new Float32Array([1]), buf = new Float32Array([1]);
 * momentum(u, buf, 0.9, 0, false, false); // buf = u = [1.9]
 */
export function momentum(
  u: Float32Array,
  buf: Float32Array,
  momentum: number,
  dampening: number,
  first: boolean,
  nesterov: boolean,
): void {
  for (let j = 0; j < u.length; j++) {
    const g = u[j];
    buf[j] = first ? g : momentum * buf[j] + (1 - dampening) * g;
    u[j] = nesterov ? g + momentum * buf[j] : buf[j];
  }
}

/**
 * `momentum`, then p ← p + alpha·u as `axpy` computes it: SGD's step with its learning rate folded in
 * (alpha = −lr).
 *
 * @example
 * const u = new Float32Array([1]), buf = new Float32Array([1]), p = new Float32Array([0]);
 * momentumApply(u, buf, 0.9, 0, false, false, p, -0.1); // buf = u = [1.9], p = [-0.19]
 */
export function momentumApply(
  u: Float32Array,
  buf: Float32Array,
  m: number,
  dampening: number,
  first: boolean,
  nesterov: boolean,
  p: Float32Array,
  alpha: number,
): void {
  momentum(u, buf, m, dampening, first, nesterov);
  axpy(alpha, u, p);
}

/**
 * u ← u + decay·p: L2 weight decay added to the gradient (or, after an adaptive scaling, decoupled decay).
 *
 * @example
 * const u = new Float32Array([1]);
 * decayWeights(u, new Float32Array([2]), 0.1); // u = [1.2]
 */
export function decayWeights(u: Float32Array, p: Float32Array, decay: number): void {
  for (let j = 0; j < u.length; j++) u[j] += decay * p[j];
}

/**
 * RMSprop's scaling: sq ← α·sq + (1−α)·g²; centred (`ga` given) ga ← α·ga + (1−α)·g and the mean square
 * less ga² (at least 0); avg = float32(√mean square) + eps; with a momentum buffer
 * u ← buf ← momentum·buf + g/avg, else u ← g/avg.
 *
 * @example
 * const u = new Float32Array([0.5]);
 * rmsScale(u, new Float32Array(1), null, null, 0.99, 1e-8, 0); // u = 0.5 / √(0.01 · 0.25) = [10]
 */
export function rmsScale(
  u: Float32Array,
  sq: Float32Array,
  ga: Float32Array | null,
  buf: Float32Array | null,
  alpha: number,
  eps: number,
  momentum: number,
): void {
  for (let j = 0; j < u.length; j++) {
    const g = u[j];
    sq[j] = alpha * sq[j] + (1 - alpha) * g * g;
    let meanSquare = sq[j];
    if (ga) {
      ga[j] = alpha * ga[j] + (1 - alpha) * g;
      // E[g²] ≥ E[g]² in exact arithmetic; clamp so that float rounding cannot produce sqrt(−ε) = NaN.
      meanSquare = Math.max(0, meanSquare - ga[j] * ga[j]);
    }
    const avg = Math.fround(Math.sqrt(meanSquare)) + eps;
    if (buf) u[j] = buf[j] = momentum * buf[j] + g / avg;
    else u[j] = g / avg;
  }
}

/**
 * Adagrad's scaling: sum ← sum + g²; u ← g / (float32(√sum) + eps) / decay.
 *
 * @example
 * const u = new Float32Array([-2]);
 * adagradScale(u, new Float32Array(1), 1e-10, 1); // u ≈ [-1]
 */
export function adagradScale(u: Float32Array, sum: Float32Array, eps: number, decay: number): void {
  for (let j = 0; j < u.length; j++) {
    const g = u[j];
    sum[j] += g * g;
    u[j] = g / (Math.fround(Math.sqrt(sum[j])) + eps) / decay;
  }
}

/**
 * start + Σ g[i]² in float64, added one by one in index order: gradient clipping's norm (each array's
 * squares continue the sum of the arrays before it).
 *
 * @example
 * squaresFrom(new Float32Array([3, 4]), 0); // 25
 */
export function squaresFrom(g: Float32Array, start: number): number {
  let sum = start;
  for (let j = 0; j < g.length; j++) sum += g[j] * g[j];
  return sum;
}

/**
 * g ← g·coef, each product in float64 rounded once (gradient clipping's scaling).
 *
 * @example
 * const g = new Float32Array([3, 4]);
 * multiply(g, 0.2); // g = [0.6, 0.8] (as float32)
 */
export function multiply(g: Float32Array, coef: number): void {
  for (let j = 0; j < g.length; j++) g[j] *= coef;
}

/**
 * g ← min(hi, max(lo, g)), as Math.min and Math.max (a NaN stays NaN): clipping by value.
 *
 * @example
 * const g = new Float32Array([-3, 0.2, 5]);
 * clamp(g, -1, 1); // g = [-1, 0.2, 1]
 */
export function clamp(g: Float32Array, lo: number, hi: number): void {
  for (let j = 0; j < g.length; j++) g[j] = Math.min(hi, Math.max(lo, g[j]));
}
