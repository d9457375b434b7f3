/**
 * Balance measures of a network on a fixed probe batch: how many hidden units are dead or dormant, how
 * rich each hidden representation is (effective rank), how large the weights are, and how evenly the
 * units share the activity. Taken before each task of a continual run, they show a network losing (or
 * keeping) its plasticity.
 */
import type { Sequential } from "../nn/sequential.js";
import type { Tensor } from "../tensor/tensor.js";
import { dormantFraction, effectiveRank, spectrum, unitActivity, unitGram } from "../units/statistics.js";
import { DORMANT_EPSILON } from "./redo.js";
import { hiddenLayers } from "./units.js";
/**
 * One hidden layer's balance on the probe rows: dead and dormant fractions, effective rank, mean |w|,
 * firing-rate error and the spread of activity across units.
 */
export interface LayerBalance {
  layer: string;
  units: number;
  /** Units never active (output ≤ 0) on any probe row. */
  deadFraction: number;
  /** Units with score E|h_i| / mean_k E|h_k| ≤ τ (Sokar et al. 2023). */
  dormantFraction: number;
  /** exp(−Σ p_k ln p_k), p the normalised singular values of the probe's representation [rows, units] (Roy & Vetterli 2007). */
  effectiveRank: number;
  /** Mean |w| of the layer's incoming weights. */
  meanAbsWeight: number;
  /** Mean over units of |r_i − r| / r: each unit's mean activity r_i against the set point r (the layer's mean, or a given target). */
  firingRateError: number;
  /** Spread of mean activity across units: standard deviation over mean (coefficient of variation). */
  activityCV: number;
}

/**
 * Measure every hidden layer of `model` on the probe rows `x` (inference mode).
 *
 * @example
 * balanceMeasures(model, x); // x: probe rows [rows, inputs]
 * // // [{ layer: "0", deadFraction: 0.01, effectiveRank: 61.2, … }, …]
 */
export function balanceMeasures(
  model: Sequential,
  x: Tensor,
  opts: { tau?: number; targets?: readonly number[] } = {},
): LayerBalance[] {
  const tau = opts.tau ?? 0.025;
  const outputs = new Map<string, Tensor>();
  model.forward(x, { training: false, onActivation: (name, out) => outputs.set(name, out) });
  return hiddenLayers(model).map((h, k) => {
    const out = outputs.get(h.name)!;
    const [rows, units] = [out.shape[0], h.layer.units];
    const { mean, meanAbs, inactive } = unitActivity(out.data, rows, units);
    const avg = mean.reduce((a, b) => a + b, 0) / units;
    const target = opts.targets?.[k] ?? avg;
    let err = 0,
      varSum = 0;
    for (let u = 0; u < units; u++) {
      err += Math.abs(mean[u] - target) / Math.max(Math.abs(target), 1e-12);
      varSum += (mean[u] - avg) ** 2;
    }
    const w = h.layer.weight.data;
    let absW = 0;
    for (let i = 0; i < w.length; i++) absW += Math.abs(w[i]);
    return {
      layer: h.name,
      units,
      deadFraction: inactive,
      dormantFraction: dormantFraction(meanAbs, tau, DORMANT_EPSILON),
      effectiveRank: representationRank(out.data, rows, units),
      meanAbsWeight: absW / w.length,
      firingRateError: err / units,
      activityCV: Math.sqrt(varSum / units) / Math.max(Math.abs(avg), 1e-12),
    };
  });
}

/**
 * Effective rank of a representation H [rows, units] (uncentred, as Dohare et al. 2024 measure it):
 * the singular values come from the eigenvalues of the smaller of the Gram matrices HᵀH and HHᵀ.
 *
 * @example
 * representationRank(Float32Array.of(1, 0, 0, 1), 2, 2); // 2
 */
export function representationRank(h: ArrayLike<number>, rows: number, units: number): number {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the Grams' ranks agree to float32 rounding (2e-7)
  if (rows >= units) return effectiveRank(spectrum(unitGram(h, rows, units), units), 0);
  // HHᵀ (rows × rows) has HᵀH's non-zero eigenvalues; a rank-deficient units × units Gram also takes
  // the Jacobi sweeps hundreds of times longer to settle (4.6 s against 6 ms for 64 rows of 256 units).
  const t = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++) {
    // Stryker disable next-line EqualityOperator: u = units writes past t's end; the write is dropped
    for (let u = 0; u < units; u++) t[u * rows + r] = h[r * units + u];
  }
  return effectiveRank(spectrum(unitGram(t, units, rows), rows), 0);
}
