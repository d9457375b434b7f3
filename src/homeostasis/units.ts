/**
 * What every regulator needs: the network's hidden Dense layers with the layer each one feeds, and the
 * two operations that change units — re-initialising a unit and forgetting its optimiser moments.
 */
import { Dense } from "../nn/layers.js";
import type { Sequential } from "../nn/sequential.js";
import type { TrainingControl } from "../train/events.js";

/** A hidden Dense layer (every Dense layer but the output) and the Dense layer it feeds. */
export interface HiddenLayer {
  /** Position in the model, and the name its activations and parameters carry ("0", "1", …). */
  index: number;
  name: string;
  layer: Dense;
  next: Dense;
}

/** The hidden Dense layers of `model`, in order; each feeds the next Dense layer (through dropout or activation layers only). */
export function hiddenLayers(model: Sequential): HiddenLayer[] {
  const dense = model.layers.flatMap((l, i) => (l instanceof Dense ? [{ l, i }] : []));
  return dense.slice(0, -1).map(({ l, i }, k) => ({ index: i, name: String(i), layer: l, next: dense[k + 1].l }));
}

/**
 * Zero the optimiser's per-parameter moments of the entries `entries` selects in parameter `name`
 * (momentum, Adam's m and v, …): a re-initialised unit must not be pushed by the history of the unit it
 * replaced. Works on any optimiser state made of per-parameter typed arrays, wherever they sit.
 */
export function resetMoments(control: TrainingControl, name: string, entries: (i: number) => boolean): void {
  const at = control.parameters.findIndex(([n]) => n === name);
  if (at < 0) return;
  const size = control.parameters[at][1].size;
  const n = control.parameters.length;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      const slot = v.length === n ? v[at] : undefined;
      if (ArrayBuffer.isView(slot) && (slot as Float32Array).length === size) {
        const a = slot as Float32Array;
        for (let i = 0; i < size; i++) if (entries(i)) a[i] = 0;
        return;
      }
      v.forEach(visit);
    } else if (v && typeof v === "object" && !ArrayBuffer.isView(v)) {
      Object.values(v).forEach(visit);
    }
  };
  const state = control.getOptimizerState();
  visit(state);
  control.setOptimizerState(state);
}

/**
 * Give unit `u` of a hidden layer fresh incoming weights (from `fresh`), zero bias and zero outgoing
 * weights (so the network computes the same function at this moment), and forget its optimiser moments.
 */
export function replaceUnit(control: TrainingControl, h: HiddenLayer, u: number, fresh: Float32Array): void {
  const fanIn = h.layer.weight.shape[1];
  h.layer.weight.data.set(fresh, u * fanIn);
  if (h.layer.bias) h.layer.bias.data[u] = 0;
  const cols = h.next.weight.shape[1];
  for (let r = 0; r < h.next.units; r++) h.next.weight.data[r * cols + u] = 0;
  resetMoments(control, `${h.name}.weight`, (i) => Math.floor(i / fanIn) === u);
  resetMoments(control, `${h.name}.bias`, (i) => i === u);
  const nextName = String(control.model.layers.indexOf(h.next));
  resetMoments(control, `${nextName}.weight`, (i) => i % cols === u);
}

/** Below this, float32 weights are flushed to zero: denormals made a reference run 5× slower. */
export const DENORMAL_FLUSH = 1e-30;

/** Flush |w| < 1e-30 to zero in place (after multiplicative decay, which can drive weights there). */
export function flushDenormals(a: Float32Array | Float64Array): void {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && Math.abs(a[i]) < DENORMAL_FLUSH) a[i] = 0;
}

/** The mean over rows of each unit's activation and of its absolute value, for one batch [rows, units]. */
export function unitMeans(h: ArrayLike<number>, rows: number, units: number): { mean: Float64Array; meanAbs: Float64Array } {
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
