/**
 * What every regulator needs: the network's hidden Dense layers with the layer each one feeds, and the
 * two operations that change units — re-initialising a unit and forgetting its optimiser moments (unit
 * surgery, shared with the health monitor's repairs).
 */
import { Dense } from "../nn/layers.js";
import type { Sequential } from "../nn/sequential.js";
import type { UnitSite } from "../units/surgery.js";

export { replaceUnit, resetMoments } from "../units/surgery.js";

/** A hidden Dense layer (every Dense layer but the output) and the Dense layer it feeds. */
export interface HiddenLayer extends UnitSite {
  /** Position in the model, and the name its activations and parameters carry ("0", "1", …). */
  index: number;
  next: Dense;
}

/** The hidden Dense layers of `model`, in order; each feeds the next Dense layer (through dropout or activation layers only). */
export function hiddenLayers(model: Sequential): HiddenLayer[] {
  const dense = model.layers.flatMap((l, i) => (l instanceof Dense ? [{ l, i }] : []));
  return dense
    .slice(0, -1)
    .map(({ l, i }, k) => ({ index: i, name: String(i), layer: l, next: dense[k + 1].l }));
}

/** Below this, float32 weights are flushed to zero: denormals made a reference run 5× slower. */
export const DENORMAL_FLUSH = 1e-30;

/** Flush |w| < 1e-30 to zero in place (after multiplicative decay, which can drive weights there). */
export function flushDenormals(a: Float32Array | Float64Array): void {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && Math.abs(a[i]) < DENORMAL_FLUSH) a[i] = 0;
}

/** The mean over rows of each unit's activation and of its absolute value, for one batch [rows, units]. */
export function unitMeans(
  h: ArrayLike<number>,
  rows: number,
  units: number,
): { mean: Float64Array; meanAbs: Float64Array } {
  const mean = new Float64Array(units);
  const meanAbs = new Float64Array(units);
  for (let r = 0; r < rows; r++) {
    const o = r * units;
    for (let u = 0; u < units; u++) {
      mean[u] += h[o + u];
      meanAbs[u] += Math.abs(h[o + u]);
    }
  }
  for (let u = 0; u < units; u++) {
    mean[u] /= rows;
    meanAbs[u] /= rows;
  }
  return { mean, meanAbs };
}
