import type { BatchEvent, TrainingControl } from "../train/events.js";
import { clamp, perLayer, type Regulator } from "./regulator.js";
import { unitActivity } from "../units/statistics.js";
import { flushDenormals, type HiddenLayer, hiddenLayers } from "./units.js";
import { defineKind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";

/** Options of `synapticScaling` (after Turrigiano's synaptic scaling). */
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
  /** Bound on a unit's total scaling since training began: its incoming weights stay within [1/maxGain, maxGain] × their size then. */
  maxGain?: number;
}

interface LayerState {
  rHat: Float64Array;
  gain: Float64Array;
  target: number;
  seen: number;
}

/** Units firing at under this fraction of the set point are not scaled up: their drive is mostly negative, and growing it silences them further. */
const QUIET = 0.1;

/**
 * Synaptic scaling (Turrigiano 2008): each hidden unit's running mean activity r̂_i is held near a set
 * point r by scaling all its incoming weights by (r / r̂_i)^α, bounded to ±`maxStep` per step. Units that
 * fire too much are turned down, quiet ones turned up; the weights' relative sizes (what was learned)
 * are kept. Each unit's total gain stays within [1/maxGain, maxGain]. A unit firing at under a tenth of
 * the set point (a dead or dormant ReLU) is not scaled up — multiplying weights that mostly drive it
 * negative silences it further, and its weights would grow without bound: reviving it is intrinsic
 * plasticity's or recycling's job.
 *
 * @example
 * fit(model, data, { ...opts, observers: [synapticScaling({ alpha: 0.5 })] });
 */
export function synapticScaling(opts: SynapticScalingOptions = {}): Regulator {
  const alpha = opts.alpha ?? OPTIONS.alpha.default;
  const rate = opts.rate ?? OPTIONS.rate.default;
  // Slow next to the ~1/rate steps the running means lag by: a faster controller overshoots and oscillates.
  const maxStep = opts.maxStep ?? OPTIONS.maxStep.default;
  const warmup = opts.warmup ?? OPTIONS.warmup.default;
  const maxGain = opts.maxGain ?? OPTIONS.maxGain.default;
  let layers: LayerState[] | null = null;
  /** Found once per training run: the model's structure does not change during one. */
  // Stryker disable next-line ArrayDeclaration: onTrainBegin always sets it before the first onBatchEnd
  let hidden: HiddenLayer[] = [];
  return {
    name: "synapticScaling",
    stateKey: "synapticScaling",
    wantsGradients: () => false,
    wantsActivations: true,
    keepsActivations: false,
    getState: () => layers,
    setState: (s) => {
      layers = s as LayerState[] | null;
    },
    onTrainBegin(control: TrainingControl) {
      hidden = hiddenLayers(control.model);
      layers = perLayer(layers, hidden.length, (k) => ({
        rHat: new Float64Array(hidden[k].layer.units),
        gain: new Float64Array(hidden[k].layer.units).fill(1),
        target: opts.target ?? NaN,
        seen: 0,
      }));
    },
    onBatchEnd(e: BatchEvent, _control: TrainingControl) {
      hidden.forEach((h, k) => {
        const out = e.activations?.get(h.name)?.output;
        if (!out) return;
        const s = layers![k];
        const units = h.layer.units;
        const { mean } = unitActivity(out.data, out.shape[0], units);
        s.seen++;
        // Bias-corrected running mean: exact average over the first steps, exponential after.
        const w = Math.max(rate, 1 / s.seen);
        // Stryker disable next-line EqualityOperator: u = units reads undefined; typed-array writes past the end are dropped
        for (let u = 0; u < units; u++) s.rHat[u] += w * (mean[u] - s.rHat[u]);
        if (s.seen < warmup) return;
        if (Number.isNaN(s.target)) s.target = s.rHat.reduce((a, b) => a + b, 0) / units;
        if (!(s.target > 0)) return;
        // Stryker disable next-line EqualityOperator: u = units scales the empty row past the last one
        for (let u = 0; u < units; u++) {
          if (!(s.rHat[u] > QUIET * s.target) && s.rHat[u] < s.target) continue;
          const wanted = clamp((s.target / s.rHat[u]) ** alpha, 1 - maxStep, 1 + maxStep);
          const g = clamp(s.gain[u] * wanted, 1 / maxGain, maxGain);
          const f = g / s.gain[u];
          s.gain[u] = g;
          // Stryker disable next-line ConditionalExpression: a shortcut; multiplying by 1 changes no bit
          if (f === 1) continue;
          const wIn = h.layer.incomingWeights(u);
          // Stryker disable next-line EqualityOperator: wIn[wIn.length] is past the end; the write is dropped
          for (let j = 0; j < wIn.length; j++) wIn[j] *= f;
        }
        flushDenormals(h.layer.weight.data);
      });
    },
  };
}

const OPTIONS = {
  target: {
    kind: "number",
    optional: true,
    min: 0,
    minExclusive: true,
    doc: "target mean activity of every unit; unset: the layer's own mean over the first `warmup` steps",
  },
  alpha: {
    kind: "number",
    default: 0.5,
    min: 0,
    minExclusive: true,
    doc: "exponent α of the scaling factor (r / r̂)^α",
  },
  rate: {
    kind: "number",
    default: 0.01,
    min: 0,
    minExclusive: true,
    max: 1,
    doc: "rate of the running mean activity r̂",
  },
  maxStep: {
    kind: "number",
    default: 1e-3,
    min: 0,
    minExclusive: true,
    max: 1,
    doc: "largest relative change of a unit's incoming weights in one step",
  },
  warmup: { kind: "number", default: 100, integer: true, min: 1, doc: "steps before scaling starts" },
  maxGain: {
    kind: "number",
    default: 2,
    min: 1,
    doc: "bound on a unit's total scaling: within [1/maxGain, maxGain]",
  },
} as const satisfies OptionSchema;

/** `{"type": "synapticScaling", …}` in a run config's `homeostasis` list. */
export const synapticScalingKind = defineKind({
  name: "synapticScaling",
  doc: "Synaptic scaling (Turrigiano 2008): each unit's incoming weights scaled towards a target mean activity.",
  options: OPTIONS,
  create: (o) => synapticScaling(o),
});
