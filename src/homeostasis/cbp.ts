import { initialize } from "../nn/init.js";
import { Rng } from "../tensor/rng.js";
import type { BatchEvent, TrainingControl } from "../train/events.js";
import { perLayer, type Regulator } from "./regulator.js";
import { type HiddenLayer, hiddenLayers, replaceUnit } from "./units.js";

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
 * fit(model, data, { ..., observers: [continualBackprop({ replacementRate: 1e-4, maturity: 100 })] });
 */
export function continualBackprop(
  opts: ContinualBackpropOptions = {},
): Regulator & { replaced: () => number } {
  const rho = opts.replacementRate ?? 1e-4;
  const maturity = opts.maturity ?? 100;
  const eta = opts.decay ?? 0.99;
  const rng = new Rng(opts.seed ?? 0).fork("cbp");
  let layers: LayerState[] | null = null;
  /** Found once per training run: the model's structure does not change during one. */
  let hidden: HiddenLayer[] = [];
  let replaced = 0;
  return {
    name: "continualBackprop",
    stateKey: "continualBackprop",
    replaced: () => replaced,
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
        const fanIn = h.layer.weight.shape[1];
        const [wIn, wOut, cols] = [h.layer.weight.data, h.next.weight.data, h.next.weight.shape[1]];
        let mature = 0;
        for (let u = 0; u < units; u++) {
          s.age[u]++;
          // Bias-corrected running mean of the unit's activation (its age counts the updates).
          let batchMean = 0;
          for (let r = 0; r < rows; r++) batchMean += out.data[r * units + u];
          batchMean /= rows;
          s.mean[u] = eta * s.mean[u] + (1 - eta) * batchMean;
          const hHat = s.mean[u] / (1 - eta ** s.age[u]);
          let dev = 0;
          for (let r = 0; r < rows; r++) dev += Math.abs(out.data[r * units + u] - hHat);
          let inSum = 0,
            outSum = 0;
          for (let j = u * fanIn; j < (u + 1) * fanIn; j++) inSum += Math.abs(wIn[j]);
          for (let r = 0; r < h.next.units; r++) outSum += Math.abs(wOut[r * cols + u]);
          const contribution = ((outSum / h.next.units) * (dev / rows)) / Math.max(inSum / fanIn, 1e-12);
          s.utility[u] = eta * s.utility[u] + (1 - eta) * contribution;
          if (s.age[u] > maturity) mature++;
        }
        s.owed += rho * mature;
        while (s.owed >= 1) {
          s.owed -= 1;
          let worst = -1;
          for (let u = 0; u < units; u++)
            if (s.age[u] > maturity && (worst < 0 || s.utility[u] < s.utility[worst])) worst = u;
          if (worst < 0) break;
          const hHat = s.mean[worst] / (1 - eta ** s.age[worst]);
          if (h.next.bias)
            for (let r = 0; r < h.next.units; r++) h.next.bias.data[r] += hHat * wOut[r * cols + worst];
          replaceUnit(control, h, worst, initialize(h.layer.init, fanIn, fanIn, units, rng) as Float32Array);
          [s.utility[worst], s.mean[worst], s.age[worst]] = [0, 0, 0];
          replaced++;
        }
      });
    },
  };
}
