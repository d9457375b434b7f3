/**
 * The one definition of each unit statistic that health, homeostasis and reports share: activity (mean h
 * and mean |h| per unit), dead, dormant and saturated fractions, and the effective and stable rank of a
 * representation. Pure functions over row-major [rows, units] arrays (a unit's values may come from a
 * batch, a probe or a window of batches); sums run in float64.
 */
import { symmetricEigenvalues } from "./linalg.js";

/**
 * Per-unit activity of a rows × units output: mean h and mean |h| per unit, and the fraction of units not
 * active (h > 0) on any row. `active`, when given, is OR-ed into, so a caller can accumulate a window.
 *
 * @example
 * unitActivity([1, 0, -1, 0], 2, 2); // { mean: [0, 0], meanAbs: [1, 0], inactive: 0.5 }
 */
export function unitActivity(
  output: ArrayLike<number>,
  rows: number,
  units: number,
  active?: Uint8Array,
): { mean: Float64Array; meanAbs: Float64Array; inactive: number } {
  const mean = new Float64Array(units);
  const meanAbs = new Float64Array(units);
  const activeHere = new Uint8Array(units);
  for (let r = 0; r < rows; r++) {
    const o = r * units;
    for (let u = 0; u < units; u++) {
      const h = output[o + u];
      mean[u] += h;
      meanAbs[u] += Math.abs(h);
      if (h > 0) activeHere[u] = 1;
    }
  }
  let inactive = 0;
  for (let u = 0; u < units; u++) {
    mean[u] /= rows;
    meanAbs[u] /= rows;
    if (activeHere[u]) {
      if (active) active[u] = 1;
    } else inactive++;
  }
  return { mean, meanAbs, inactive: inactive / units };
}

/**
 * Which units are dormant (ReDo, Sokar et al. 2023, "The dormant neuron phenomenon in deep reinforcement
 * learning"): unit i's score is s_i = a_i / (mean_k a_k + ε), a_i its mean |h| (or any multiple, e.g. a
 * sum over a window, with ε scaled alike); it is dormant unless s_i > τ. A layer with no activity at all
 * (or a non-finite one) is wholly dormant.
 *
 * @example
 * dormantUnits([1, 1, 1, 0.01], 0.025); // [false, false, false, true]: 0.01 / 0.7525 ≤ 0.025
 */
export function dormantUnits(activity: ArrayLike<number>, tau: number, epsilon = 0): boolean[] {
  let sum = 0;
  for (let u = 0; u < activity.length; u++) sum += activity[u];
  const scale = sum / activity.length + epsilon;
  return Array.from({ length: activity.length }, (_, u) => !(activity[u] / scale > tau));
}

/**
 * The fraction of dormant units (`dormantUnits`).
 *
 * @example
 * dormantFraction([1, 1, 1, 0.01], 0.025); // 0.25
 */
export function dormantFraction(activity: ArrayLike<number>, tau: number, epsilon = 0): number {
  return dormantUnits(activity, tau, epsilon).filter(Boolean).length / activity.length;
}

/**
 * Fraction of outputs of a bounded nonlinearity within `margin` of its range's ends (sigmoid: 0 and 1,
 * tanh: ±1, the margin a fraction of the range); NaN for an unbounded one.
 *
 * @example
 * saturatedFraction([0.001, 0.5, 0.999, 0.2], "sigmoid"); // 0.5
 */
export function saturatedFraction(output: ArrayLike<number>, activation: string, margin = 0.01): number {
  let lo: number, hi: number;
  if (activation === "sigmoid") [lo, hi] = [margin, 1 - margin];
  else if (activation === "tanh") [lo, hi] = [-1 + 2 * margin, 1 - 2 * margin];
  else return NaN;
  let n = 0;
  for (let i = 0; i < output.length; i++) if (output[i] <= lo || output[i] >= hi) n++;
  return n / Math.max(output.length, 1);
}

/**
 * The units × units Gram matrix HᵀH of a representation H [rows, units], uncentred (as Dohare et al. 2024
 * measure a layer's rank): its eigenvalues are H's squared singular values.
 *
 * @example
 * unitGram([1, 2, 3, 4], 2, 2); // [10, 14, 14, 20]
 */
export function unitGram(h: ArrayLike<number>, rows: number, units: number): Float64Array {
  const gram = new Float64Array(units * units);
  for (let r = 0; r < rows; r++) {
    const o = r * units;
    for (let i = 0; i < units; i++) {
      const hi = h[o + i];
      if (hi === 0) continue;
      for (let j = i; j < units; j++) gram[i * units + j] += hi * h[o + j];
    }
  }
  for (let i = 0; i < units; i++) for (let j = 0; j < i; j++) gram[i * units + j] = gram[j * units + i];
  return gram;
}

/**
 * The rows × rows Gram matrix of the first `maxRows` rows of H with each unit's mean over them removed:
 * it shares its non-zero eigenvalues with the covariance, so a rank costs rows³ however wide the layer.
 * Null with fewer than two rows.
 *
 * @example
 * centredRowGram([1, 0, 0, 1], 2, 2).gram; // [1, -1, -1, 1]
 */
export function centredRowGram(
  h: ArrayLike<number>,
  rows: number,
  units: number,
  maxRows = 32,
): { gram: Float64Array; n: number } | null {
  const m = Math.min(rows, maxRows);
  if (m < 2) return null;
  const centred = new Float64Array(m * units);
  for (let u = 0; u < units; u++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += h[r * units + u];
    const mu = s / m;
    for (let r = 0; r < m; r++) centred[r * units + u] = h[r * units + u] - mu;
  }
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let u = 0; u < units; u++) s += centred[i * units + u] * centred[j * units + u];
      gram[i * m + j] = gram[j * m + i] = s;
    }
  }
  return { gram, n: m };
}

/**
 * The eigenvalues of a Gram matrix (descending): the squared singular values σ² of the matrix it came from.
 *
 * @example
 * spectrum([4, 0, 0, 1], 2); // [4, 1]
 */
export function spectrum(gram: ArrayLike<number>, n: number): Float64Array {
  return symmetricEigenvalues(gram, n);
}

/**
 * Effective rank (Roy & Vetterli 2007) from squared singular values: exp(−Σ p_k ln p_k), p the singular
 * values σ_k normalised to sum 1. `ifZero` when every σ is 0.
 *
 * @example
 * effectiveRank([9, 1]); // exp(−0.75 ln 0.75 − 0.25 ln 0.25) ≈ 1.755: σ = 3 and 1
 */
export function effectiveRank(squaredSingularValues: ArrayLike<number>, ifZero = 0): number {
  const sv = Array.from(squaredSingularValues, (v) => Math.sqrt(Math.max(v, 0)));
  const total = sv.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return ifZero;
  let entropy = 0;
  for (const s of sv) if (s > 0) entropy -= (s / total) * Math.log(s / total);
  return Math.exp(entropy);
}

/**
 * Stable rank Σ σ² / max σ² (Rudelson & Vershynin 2007) from squared singular values: ‖H‖_F² / ‖H‖₂²,
 * at most the rank, and unlike it not moved by tiny singular values. `ifZero` when every σ is 0.
 *
 * @example
 * stableRank([9, 1]); // 10 / 9
 */
export function stableRank(squaredSingularValues: ArrayLike<number>, ifZero = 0): number {
  let sum = 0;
  let max = 0;
  for (let k = 0; k < squaredSingularValues.length; k++) {
    const v = Math.max(squaredSingularValues[k], 0);
    sum += v;
    if (v > max) max = v;
  }
  return max > 0 ? sum / max : ifZero;
}

/**
 * Effective rank of a representation H [rows, units] centred per unit, from its first `maxRows` rows (as the
 * health monitor measures it, `centredRowGram`): 1 when every row maps to one direction, 1 too when H is
 * constant, NaN with fewer than two rows.
 *
 * @example
 * centredEffectiveRank([1, 0, 0, 1, -1, 0, 0, -1], 4, 2); // 2: two equal directions
 */
export function centredEffectiveRank(
  h: ArrayLike<number>,
  rows: number,
  units: number,
  maxRows = 32,
): number {
  const g = centredRowGram(h, rows, units, maxRows);
  return g ? effectiveRank(spectrum(g.gram, g.n), 1) : NaN;
}
