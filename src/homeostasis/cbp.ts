import { Rng } from "../tensor/rng.js";
import type { BatchEvent, TrainingControl } from "../train/events.js";
import { perLayer, type Regulator } from "./regulator.js";
import { columnAbsDeviation, columnSums, type HiddenLayer, hiddenLayers, replaceUnit } from "./units.js";
import { defineKind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";

/** Options of `continualBackprop` (Dohare et al. 2024). */
export interface ContinualBackpropOptions {
  /** Fraction ρ of a layer's mature units replaced per step. */
  replacementRate?: number;
  /** Steps a unit must live before it may be replaced. */
  maturity?: number;
  /** Decay η of the utility and of the running mean activation. */
  decay?: number;
  seed?: number;
}

interface LayerState {
  utility: Float64Array;
  mean: Float64Array;
  age: Float64Array;
  owed: number;
}

/**
 * Continual backprop (Dohare et al., Nature 2024, "Loss of plasticity in deep continual learning"). Each
 * hidden unit keeps a running mean activation ĥ (bias-corrected) and a utility
 * u ← η u + (1 − η) · mean|w_out| · |h − ĥ| / mean|w_in|: how much its varying output contributes
 * downstream, per unit of input it draws. Every step, ρ × (mature units) replacements are owed; each takes
 * the mature unit (age > m) of lowest utility, moves its mean contribution ĥ · w_out into the next
 * layer's bias (so the output hardly changes), gives it fresh incoming weights, zero outgoing weights and
 * forgotten optimiser moments.
 *
 * @example
 * fit(model, data, { ...opts, observers: [continualBackprop({ replacementRate: 1e-4, maturity: 100 })] });
 */
export function continualBackprop(
  opts: ContinualBackpropOptions = {},
): Regulator & { replaced: () => number } {
  const rho = opts.replacementRate ?? OPTIONS.replacementRate.default;
  const maturity = opts.maturity ?? OPTIONS.maturity.default;
  const eta = opts.decay ?? OPTIONS.decay.default;
  const rng = new Rng(opts.seed ?? OPTIONS.seed.default).fork("cbp");
  let layers: LayerState[] | null = null;
  /** Found once per training run: the model's structure does not change during one. */
  // Stryker disable next-line ArrayDeclaration: onTrainBegin always sets it before the first onBatchEnd
  let hidden: HiddenLayer[] = [];
  let replaced = 0;
  /** Per layer, scratch for each unit's batch sum, centre ĥ and absolute deviation (refilled each step). */
  const scratch: Float64Array[][] = [];
  return {
    name: "continualBackprop",
    stateKey: "continualBackprop",
    wantsGradients: () => false,
    replaced: () => replaced,
    unitsReplaced: () => replaced,
    keepsActivations: false,
    get wantsActivations() {
      return true;
    },
    getState: () => ({ layers, replaced, rng: rng.getState() }),
    setState: (s) => {
      const o = s as { layers: LayerState[] | null; replaced: number; rng: ReturnType<Rng["getState"]> };
      ({ layers, replaced } = o);
      rng.setState(o.rng);
    },
    onTrainBegin(control: TrainingControl) {
      hidden = hiddenLayers(control.model);
      scratch.length = 0;
      layers = perLayer(layers, hidden.length, (k) => {
        const n = hidden[k].layer.units;
        return { utility: new Float64Array(n), mean: new Float64Array(n), age: new Float64Array(n), owed: 0 };
      });
    },
    onBatchEnd(e: BatchEvent, control: TrainingControl) {
      hidden.forEach((h, k) => {
        const out = e.activations?.get(h.name)?.output;
        if (!out) return;
        const s = layers![k];
        const [rows, units] = [out.shape[0], h.layer.units];
        const wOut = h.next.weight.data;
        let mature = 0;
        const [sum, centre, dev] = (scratch[k] ??= [0, 1, 2].map(() => new Float64Array(units)));
        columnSums(out.data, rows, units, sum, null);
        // Stryker disable next-line EqualityOperator: u = units only reads undefined; typed-array writes past the end are dropped
        for (let u = 0; u < units; u++) {
          s.age[u]++;
          // Bias-corrected running mean of the unit's activation (its age counts the updates).
          s.mean[u] = eta * s.mean[u] + (1 - eta) * (sum[u] / rows);
          centre[u] = s.mean[u] / (1 - eta ** s.age[u]);
        }
        columnAbsDeviation(out.data, rows, units, centre, dev);
        // Stryker disable next-line EqualityOperator: u = units only reads undefined; typed-array writes past the end are dropped
        for (let u = 0; u < units; u++) {
          let inSum = 0,
            outSum = 0;
          const wIn = h.layer.incomingWeights(u);
          for (let j = 0; j < wIn.length; j++) inSum += Math.abs(wIn[j]);
          const outIdx = h.next.inputWeightIndices(u);
          for (let j = 0; j < outIdx.length; j++) outSum += Math.abs(wOut[outIdx[j]]);
          const contribution =
            ((outSum / outIdx.length) * (dev[u] / rows)) / Math.max(inSum / wIn.length, 1e-12);
          s.utility[u] = eta * s.utility[u] + (1 - eta) * contribution;
          if (s.age[u] > maturity) mature++;
        }
        s.owed += rho * mature;
        while (s.owed >= 1) {
          s.owed -= 1;
          let worst = -1;
          // Stryker disable next-line EqualityOperator: s.age[units] is undefined, never > maturity
          for (let u = 0; u < units; u++)
            if (s.age[u] > maturity && (worst < 0 || s.utility[u] < s.utility[worst])) worst = u;
          if (worst < 0) break;
          const hHat = s.mean[worst] / (1 - eta ** s.age[worst]);
          if (h.next.bias) transferMean(h.next.bias.data, wOut, h.next.inputWeightIndices(worst), hHat);
          replaceUnit(control, h, worst, h.layer.freshIncomingWeights(rng));
          [s.utility[worst], s.mean[worst], s.age[worst]] = [0, 0, 0];
          replaced++;
        }
      });
    },
  };
}

/**
 * Move a unit's mean contribution ĥ · w_out into the consumer's bias before its outgoing weights are
 * zeroed: each consumer unit r gains ĥ times the sum of its weights that read the unit (`indices`, grouped
 * by consumer unit; `w` is [units, fanIn], so an index's row is its unit), so its output hardly changes.
 */
function transferMean(
  bias: Float32Array | Float64Array,
  w: Float32Array | Float64Array,
  indices: Int32Array,
  hHat: number,
): void {
  const fanIn = w.length / bias.length;
  for (let k = 0; k < indices.length; ) {
    const r = Math.floor(indices[k] / fanIn);
    let sum = w[indices[k++]];
    while (k < indices.length && Math.floor(indices[k] / fanIn) === r) sum += w[indices[k++]];
    bias[r] += hHat * sum;
  }
}

const OPTIONS = {
  replacementRate: {
    kind: "number",
    default: 1e-4,
    min: 0,
    minExclusive: true,
    max: 1,
    doc: "fraction ρ of a layer's mature units replaced per step",
  },
  maturity: {
    kind: "number",
    default: 100,
    integer: true,
    min: 1,
    doc: "steps a unit lives before it may be replaced",
  },
  decay: {
    kind: "number",
    default: 0.99,
    min: 0,
    minExclusive: true,
    max: 0.9999,
    doc: "decay η of the utility and the running mean activation",
  },
  seed: { kind: "number", default: 0, integer: true, min: 0, doc: "seed of the fresh weights" },
} as const satisfies OptionSchema;

/** `{"type": "continualBackprop", …}` in a run config's `homeostasis` list. */
export const continualBackpropKind = defineKind({
  name: "continualBackprop",
  doc: "Continual backprop (Dohare et al. 2024): a fraction ρ of mature units of lowest utility replaced per step.",
  options: OPTIONS,
  create: (o) => continualBackprop(o),
});
