import type { BatchEvent, TrainingControl } from "../train/events.js";
import { clamp, perLayer, type Regulator } from "./regulator.js";
import { flushDenormals, hiddenLayers, unitMeans } from "./units.js";

export interface SynapticScalingOptions {
  /** Target mean activity r of every unit; default: the layer's own mean activity over the first `warmup` steps (its set point). */
  target?: number;
  /** Exponent α of the scaling factor (r / r̂)^α. */
  alpha?: number;
  /** Rate of the running mean activity r̂ (an exponential average over ~1/rate steps). */
  rate?: number;
  /** Largest relative change of a unit's incoming weights in one step. */
  maxStep?: number;
  /** Steps before scaling starts (the running means settle, the set point is read). */
  warmup?: number;
}

interface LayerState { rHat: Float64Array; target: number; seen: number }

/**
 * Synaptic scaling (Turrigiano 2008): each hidden unit's running mean activity r̂_i is held near a set
 * point r by scaling all its incoming weights by (r / r̂_i)^α, bounded to ±`maxStep` per step. Units that
 * fire too much are turned down, quiet ones turned up; the weights' relative sizes (what was learned)
 * are kept. A unit silent on every input (a dead ReLU) has nothing to scale up from: reviving it is
 * intrinsic plasticity's or recycling's job.
 *
 * @example
 * fit(model, data, { ..., observers: [synapticScaling({ alpha: 0.5 })] });
 */
export function synapticScaling(opts: SynapticScalingOptions = {}): Regulator {
  const alpha = opts.alpha ?? 0.5;
  const rate = opts.rate ?? 0.01;
  const maxStep = opts.maxStep ?? 0.01;
  const warmup = opts.warmup ?? 100;
  let layers: LayerState[] | null = null;
  return {
    name: "synapticScaling",
    stateKey: "synapticScaling",
    wantsActivations: true,
    getState: () => layers,
    setState: (s) => { layers = s as LayerState[] | null; },
    onTrainBegin(control: TrainingControl) {
      const hidden = hiddenLayers(control.model);
      layers = perLayer(layers, hidden.length, (k) => ({ rHat: new Float64Array(hidden[k].layer.units), target: opts.target ?? NaN, seen: 0 }));
    },
    onBatchEnd(e: BatchEvent, control: TrainingControl) {
      hiddenLayers(control.model).forEach((h, k) => {
        const out = e.activations?.get(h.name)?.output;
        if (!out) return;
        const s = layers![k];
        const units = h.layer.units;
        const { mean } = unitMeans(out.data, out.shape[0], units);
        s.seen++;
        // Bias-corrected running mean: exact average over the first steps, exponential after.
        const w = Math.max(rate, 1 / s.seen);
        for (let u = 0; u < units; u++) s.rHat[u] += w * (mean[u] - s.rHat[u]);
        if (s.seen < warmup) return;
        if (Number.isNaN(s.target)) s.target = s.rHat.reduce((a, b) => a + b, 0) / units;
        if (!(s.target > 0)) return;
        const wIn = h.layer.weight.data;
        const fanIn = h.layer.weight.shape[1];
        for (let u = 0; u < units; u++) {
          if (!(s.rHat[u] > 0)) continue;
          const f = clamp((s.target / s.rHat[u]) ** alpha, 1 - maxStep, 1 + maxStep);
          for (let j = u * fanIn; j < (u + 1) * fanIn; j++) wIn[j] *= f;
        }
        flushDenormals(wIn);
      });
    },
  };
}
