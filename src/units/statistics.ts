/**
 * The one definition of each unit statistic that health, homeostasis and reports share: activity (mean h
 * and mean |h| per unit), dead, dormant and saturated fractions, and the effective and stable rank of a
 * representation. Pure functions over row-major [rows, units] arrays (a unit's values may come from a
 * batch, a probe or a window of batches); sums run in float64.
 */
import { backend } from "../backend/index.js";
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
  let inactive = 0;
  // Unit by unit, the sums in registers (each still over the rows in order): a quarter of the time of
  // accumulating into the arrays row by row, the same values.
  for (let u = 0; u < units; u++) {
    let sum = 0;
    let sumAbs = 0;
    let on = false;
    for (let o = u, end = rows * units; o < end; o += units) {
      const h = output[o];
      sum += h;
      sumAbs += Math.abs(h);
      on ||= h > 0;
    }
    mean[u] = sum / rows;
    meanAbs[u] = sumAbs / rows;
    if (!on) inactive++;
    else if (active) active[u] = 1;
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
  const scale = dormancyScale(activity, epsilon);
  return Array.from({ length: activity.length }, (_, u) => !(activity[u] / scale > tau));
}

/** mean_k a_k + ε, the denominator of each unit's dormancy score. */
function dormancyScale(activity: ArrayLike<number>, epsilon: number): number {
  let sum = 0;
  for (let u = 0; u < activity.length; u++) sum += activity[u];
  return sum / activity.length + epsilon;
}

/**
 * The fraction of dormant units (`dormantUnits`), counted without building their list.
 *
 * @example
 * dormantFraction([1, 1, 1, 0.01], 0.025); // 0.25
 */
export function dormantFraction(activity: ArrayLike<number>, tau: number, epsilon = 0): number {
  const scale = dormancyScale(activity, epsilon);
  let dormant = 0;
  for (let u = 0; u < activity.length; u++) if (!(activity[u] / scale > tau)) dormant++;
  return dormant / activity.length;
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
  const kernels = backend();
  if (kernels.centredRowGram && h instanceof Float32Array) {
    const gram = new Float64Array(m * m);
    kernels.centredRowGram(h, m, units, gram);
    return { gram, n: m };
  }
  // Row by row, each unit's sum still runs over the rows in order; the Gram's entries four at a time, each
  // its own sum over the units in order: the values of the plain loops to the last bit, in a third of the time.
  const mean = new Float64Array(units);
  for (let r = 0; r < m; r++) for (let u = 0; u < units; u++) mean[u] += h[r * units + u];
  for (let u = 0; u < units; u++) mean[u] /= m;
  const centred = new Float64Array(m * units);
  for (let r = 0; r < m; r++)
    for (let u = 0; u < units; u++) centred[r * units + u] = h[r * units + u] - mean[u];
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    let j = i;
    for (; j + 4 <= m; j += 4) gramBlock(centred, units, m, i, j, gram);
    for (; j < m; j++) gram[i * m + j] = gram[j * m + i] = rowDot(centred, units, i, j);
  }
  return { gram, n: m };
}

/** Row i of the centred rows dotted with rows j … j+3, each a sum over the units in order. */
function gramBlock(
  c: Float64Array,
  units: number,
  m: number,
  i: number,
  j: number,
  gram: Float64Array,
): void {
  const [oi, o0, o1, o2, o3] = [i * units, j * units, (j + 1) * units, (j + 2) * units, (j + 3) * units];
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let u = 0; u < units; u++) {
    const x = c[oi + u];
    s0 += x * c[o0 + u];
    s1 += x * c[o1 + u];
    s2 += x * c[o2 + u];
    s3 += x * c[o3 + u];
  }
  gram[i * m + j] = gram[j * m + i] = s0;
  gram[i * m + j + 1] = gram[(j + 1) * m + i] = s1;
  gram[i * m + j + 2] = gram[(j + 2) * m + i] = s2;
  gram[i * m + j + 3] = gram[(j + 3) * m + i] = s3;
}

function rowDot(c: Float64Array, units: number, i: number, j: number): number {
  let s = 0;
  for (let u = 0; u < units; u++) s += c[i * units + u] * c[j * units + u];
  return s;
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
