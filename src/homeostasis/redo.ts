import { Rng } from "../tensor/rng.js";
import type { BatchEvent, TrainingControl } from "../train/events.js";
import { perLayer, type Regulator } from "./regulator.js";
import { dormantUnits, unitActivity } from "../units/statistics.js";
import { type HiddenLayer, hiddenLayers, replaceUnits } from "./units.js";
import { defineKind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";

/** Options of `redo` (Sokar et al. 2023). */
export interface RedoOptions {
  /** A unit is dormant when its score E|h_i| / (mean_k E|h_k| + 1e-9) is at most τ. */
  tau?: number;
  /** Steps between recycling rounds; the scores average |h| over these steps. */
  every?: number;
  /**
   * Score on every `sample`-th step only (1: every step). Keeping a step's activations runs its layers
   * unfused; a learner at one row a step samples every 10th, 100 steps' activity a round.
   */
  sample?: number;
  seed?: number;
}

/** ε of ReDo's score s_i = a_i / (mean_k a_k + ε): keeps a wholly silent layer's scores finite. */
export const DORMANT_EPSILON = 1e-9;

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
 * fit(model, data, { ...opts, observers: [redo({ tau: 0.025, every: 1000 })] });
 */
export function redo(opts: RedoOptions = {}): Regulator & { recycled: () => number } {
  const tau = opts.tau ?? OPTIONS.tau.default;
  const every = opts.every ?? OPTIONS.every.default;
  const sample = opts.sample ?? OPTIONS.sample.default;
  /** Whether the step now running (the `since + 1`-th of the round) is scored. */
  const sampled = () => (since + 1) % sample === 0;
  const rng = new Rng(opts.seed ?? OPTIONS.seed.default).fork("redo");
  let layers: LayerState[] | null = null;
  /** Found once per training run: the model's structure does not change during one. */
  // Stryker disable next-line ArrayDeclaration: onTrainBegin always sets it before the first onBatchEnd
  let hidden: HiddenLayer[] = [];
  let recycled = 0;
  let since = 0;
  return {
    name: "redo",
    stateKey: "redo",
    wantsGradients: () => false,
    recycled: () => recycled,
    unitsReplaced: () => recycled,
    keepsActivations: false,
    get wantsActivations() {
      return sampled();
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
      // Another observer may have asked for this step's activations: only sampled steps are scored.
      if (sampled())
        hidden.forEach((h, k) => {
          const out = e.activations?.get(h.name)?.output;
          if (!out) return;
          const { meanAbs } = unitActivity(out.data, out.shape[0], h.layer.units);
          const s = layers![k];
          // Stryker disable next-line EqualityOperator: u = meanAbs.length adds undefined; typed-array writes past the end are dropped
          for (let u = 0; u < meanAbs.length; u++) s.sumAbs[u] += meanAbs[u];
          s.batches++;
        });
      if (++since < every) return;
      since = 0;
      hidden.forEach((h, k) => {
        const s = layers![k];
        if (s.batches === 0) return;
        // Scores over the window's sums: ε scales with the batches summed, as it would with their means.
        const units: number[] = [];
        dormantUnits(s.sumAbs, tau, DORMANT_EPSILON * s.batches).forEach((dormant, u) => {
          if (dormant) units.push(u);
        });
        replaceUnits(control, h, units, () => h.layer.freshIncomingWeights(rng));
        recycled += units.length;
        s.sumAbs.fill(0);
        s.batches = 0;
      });
    },
  };
}

const OPTIONS = {
  tau: {
    kind: "number",
    default: 0.025,
    min: 0,
    max: 1,
    doc: "dormancy threshold τ of the score E|h_i| / mean_k E|h_k|",
  },
  every: { kind: "number", default: 1000, integer: true, min: 1, doc: "steps F between recycling rounds" },
  sample: {
    kind: "number",
    default: 1,
    integer: true,
    min: 1,
    doc: "score units on every sample-th step only (1: every step; a learner takes 10)",
  },
  seed: { kind: "number", default: 0, integer: true, min: 0, doc: "seed of the fresh weights" },
} as const satisfies OptionSchema;

/** `{"type": "redo", …}` in a run config's `homeostasis` list. */
export const redoKind = defineKind({
  name: "redo",
  doc: "Dormant-unit recycling (ReDo, Sokar et al. 2023): every F steps, units scoring at most τ get fresh weights.",
  options: OPTIONS,
  create: (o) => redo(o),
});
