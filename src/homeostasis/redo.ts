import { initialize } from "../nn/init.js";
import { Rng } from "../tensor/rng.js";
import type { BatchEvent, TrainingControl } from "../train/events.js";
import { perLayer, type Regulator } from "./regulator.js";
import { type HiddenLayer, hiddenLayers, replaceUnit, unitMeans } from "./units.js";

export interface RedoOptions {
  /** A unit is dormant when its score E|h_i| / (mean_k E|h_k| + 1e-9) is at most τ. */
  tau?: number;
  /** Steps between recycling rounds; the scores average |h| over these steps. */
  every?: number;
  seed?: number;
}

interface LayerState {
  sumAbs: Float64Array;
  batches: number;
}

/**
 * Dormant-unit recycling (ReDo, Sokar et al. 2023, "The dormant neuron phenomenon in deep reinforcement
 * learning"): every F steps each hidden unit is scored s_i = E|h_i| / (mean_k E|h_k| + 1e-9) over the
 * batches since the last round; units with s_i ≤ τ get fresh incoming weights from the layer's
 * initialiser, zero bias, zero outgoing weights (the network's output is unchanged at that moment) and
 * forgotten optimiser moments.
 *
 * @example
 * fit(model, data, { ..., observers: [redo({ tau: 0.025, every: 1000 })] });
 */
export function redo(opts: RedoOptions = {}): Regulator & { recycled: () => number } {
  const tau = opts.tau ?? 0.025;
  const every = opts.every ?? 1000;
  const rng = new Rng(opts.seed ?? 0).fork("redo");
  let layers: LayerState[] | null = null;
  /** Found once per training run: the model's structure does not change during one. */
  let hidden: HiddenLayer[] = [];
  let recycled = 0;
  let since = 0;
  return {
    name: "redo",
    stateKey: "redo",
    recycled: () => recycled,
    get wantsActivations() {
      return true;
    },
    getState: () => ({ layers, recycled, since, rng: rng.getState() }),
    setState: (s) => {
      const o = s as {
        layers: LayerState[] | null;
        recycled: number;
        since: number;
        rng: ReturnType<Rng["getState"]>;
      };
      ({ layers, recycled, since } = o);
      rng.setState(o.rng);
    },
    onTrainBegin(control: TrainingControl) {
      hidden = hiddenLayers(control.model);
      layers = perLayer(layers, hidden.length, (k) => ({
        sumAbs: new Float64Array(hidden[k].layer.units),
        batches: 0,
      }));
    },
    onBatchEnd(e: BatchEvent, control: TrainingControl) {
      hidden.forEach((h, k) => {
        const out = e.activations?.get(h.name)?.output;
        if (!out) return;
        const { meanAbs } = unitMeans(out.data, out.shape[0], h.layer.units);
        const s = layers![k];
        for (let u = 0; u < meanAbs.length; u++) s.sumAbs[u] += meanAbs[u];
        s.batches++;
      });
      if (++since < every) return;
      since = 0;
      hidden.forEach((h, k) => {
        const s = layers![k];
        if (s.batches === 0) return;
        const units = h.layer.units;
        const avg = s.sumAbs.reduce((a, b) => a + b, 0) / units;
        const fanIn = h.layer.weight.shape[1];
        for (let u = 0; u < units; u++) {
          if (s.sumAbs[u] / (avg + 1e-9 * s.batches) > tau) continue;
          replaceUnit(control, h, u, initialize(h.layer.init, fanIn, fanIn, units, rng) as Float32Array);
          recycled++;
        }
        s.sumAbs.fill(0);
        s.batches = 0;
      });
    },
  };
}
