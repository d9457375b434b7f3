import type { BatchEvent, TrainingControl } from "../train/events.js";
import { clamp, perLayer, type Regulator } from "./regulator.js";
import { columnSums, flushDenormals, type HiddenLayer, hiddenLayers } from "./units.js";
import { defineKind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";

/** Options of `intrinsicPlasticity` (after Triesch 2005). */
export interface IntrinsicPlasticityOptions {
  /** Target mean and standard deviation of each unit's activation; default: the layer's averages over the first `warmup` steps. */
  targetMean?: number;
  targetStd?: number;
  /** Learning rate η of the gain and bias. */
  rate?: number;
  /** Rate of the running mean and variance of each unit. */
  statsRate?: number;
  warmup?: number;
}

interface LayerState {
  mean: Float64Array;
  sq: Float64Array;
  targetMean: number;
  targetStd: number;
  seen: number;
}

/**
 * Intrinsic plasticity (after Triesch 2005): each hidden unit tunes its own excitability — a bias (its
 * threshold) and a gain (applied to its incoming weights and bias) — so that its activation keeps a
 * target mean and spread. Triesch matched an exponential firing distribution for sigmoid units; here the
 * first two moments are matched, which works for any activation: Δb_i = η (μ − m_i) and
 * g_i = 1 + η (σ / s_i − 1), m_i and s_i being the unit's running mean and standard deviation. A unit
 * that has gone silent sees m_i = 0 < μ and raises its bias until it fires again.
 *
 * @example
 * fit(model, data, { ...opts, observers: [intrinsicPlasticity({ rate: 1e-3 })] });
 */
export function intrinsicPlasticity(opts: IntrinsicPlasticityOptions = {}): Regulator {
  const eta = opts.rate ?? OPTIONS.rate.default;
  const statsRate = opts.statsRate ?? OPTIONS.statsRate.default;
  const warmup = opts.warmup ?? OPTIONS.warmup.default;
  let layers: LayerState[] | null = null;
  /** Found once per training run: the model's structure does not change during one. */
  // Stryker disable next-line ArrayDeclaration: onTrainBegin always sets it before the first onBatchEnd
  let hidden: HiddenLayer[] = [];
  /** Per layer, scratch for each unit's sum and sum of squares over a batch (not state: refilled each step). */
  const sums: [Float64Array, Float64Array][] = [];
  return {
    name: "intrinsicPlasticity",
    stateKey: "intrinsicPlasticity",
    wantsGradients: () => false,
    wantsActivations: true,
    keepsActivations: false,
    getState: () => layers,
    setState: (s) => {
      layers = s as LayerState[] | null;
    },
    onTrainBegin(control: TrainingControl) {
      hidden = hiddenLayers(control.model);
      sums.length = 0;
      layers = perLayer(layers, hidden.length, (k) => ({
        mean: new Float64Array(hidden[k].layer.units),
        sq: new Float64Array(hidden[k].layer.units),
        targetMean: opts.targetMean ?? NaN,
        targetStd: opts.targetStd ?? NaN,
        seen: 0,
      }));
    },
    onBatchEnd(e: BatchEvent, _control: TrainingControl) {
      hidden.forEach((h, k) => {
        const out = e.activations?.get(h.name)?.output;
        if (!out || !h.layer.bias) return;
        const s = layers![k];
        const [rows, units] = [out.shape[0], h.layer.units];
        s.seen++;
        const w = Math.max(statsRate, 1 / s.seen);
        const [m, q] = (sums[k] ??= [new Float64Array(units), new Float64Array(units)]);
        columnSums(out.data, rows, units, m, q);
        // Stryker disable next-line EqualityOperator: u = units only reads undefined; typed-array writes past the end are dropped
        for (let u = 0; u < units; u++) {
          s.mean[u] += w * (m[u] / rows - s.mean[u]);
          s.sq[u] += w * (q[u] / rows - s.sq[u]);
        }
        if (s.seen < warmup) return;
        if (Number.isNaN(s.targetMean)) s.targetMean = s.mean.reduce((a, b) => a + b, 0) / units;
        if (Number.isNaN(s.targetStd)) {
          let v = 0;
          for (let u = 0; u < units; u++) v += Math.sqrt(Math.max(s.sq[u] - s.mean[u] ** 2, 0));
          s.targetStd = v / units;
        }
        const b = h.layer.bias.data;
        // Stryker disable next-line EqualityOperator: u = units has std NaN, so gain 1; typed-array writes past the end are dropped
        for (let u = 0; u < units; u++) {
          const std = Math.sqrt(Math.max(s.sq[u] - s.mean[u] ** 2, 0));
          // A silent unit (std 0) gets no gain change, only the bias push that wakes it.
          // At most ±η per step: the running statistics lag ~1/statsRate steps, and a faster gain overshoots.
          const gain = std > 0 && s.targetStd > 0 ? 1 + clamp(eta * (s.targetStd / std - 1), -eta, eta) : 1;
          // Stryker disable next-line ConditionalExpression: a shortcut; multiplying by 1 changes no bit
          if (gain !== 1) {
            const wIn = h.layer.incomingWeights(u);
            // Stryker disable next-line EqualityOperator: wIn[wIn.length] is past the end; the write is dropped
            for (let j = 0; j < wIn.length; j++) wIn[j] *= gain;
          }
          b[u] = gain * b[u] + eta * (s.targetMean - s.mean[u]);
        }
        flushDenormals(h.layer.weight.data);
      });
    },
  };
}

const OPTIONS = {
  targetMean: {
    kind: "number",
    optional: true,
    min: 0,
    doc: "target mean activation; unset: the layer's average over the first `warmup` steps",
  },
  targetStd: {
    kind: "number",
    optional: true,
    min: 0,
    minExclusive: true,
    doc: "target standard deviation; unset: the layer's average over the first `warmup` steps",
  },
  rate: {
    kind: "number",
    default: 1e-3,
    min: 0,
    minExclusive: true,
    max: 1,
    doc: "learning rate η of the gain and bias",
  },
  statsRate: {
    kind: "number",
    default: 0.01,
    min: 0,
    minExclusive: true,
    max: 1,
    doc: "rate of each unit's running mean and variance",
  },
  warmup: { kind: "number", default: 100, integer: true, min: 1, doc: "steps before tuning starts" },
} as const satisfies OptionSchema;

/** `{"type": "intrinsicPlasticity", …}` in a run config's `homeostasis` list. */
export const intrinsicPlasticityKind = defineKind({
  name: "intrinsicPlasticity",
  doc: "Intrinsic plasticity (after Triesch 2005): each unit tunes its gain and bias to a target mean and spread.",
  options: OPTIONS,
  create: (o) => intrinsicPlasticity(o),
});
