/**
 * Unit surgery, shared by every part that re-initialises units (the health monitor's dead-unit repair,
 * ReDo, continual backprop): fresh incoming weights, zero bias, zero outgoing weights, and the optimiser's
 * moments of all three forgotten. One function, so the repairs cannot drift apart again.
 */
import type { Dense } from "../nn/layers.js";
import type { TrainingControl } from "../train/events.js";

/** A Dense layer's units and the Dense layer their outputs feed (null: none, e.g. the output layer). */
export interface UnitSite {
  /** The layer's position in the model, as its parameters are named ("0" → "0.weight", "0.bias"). */
  name: string;
  layer: Dense;
  next: Dense | null;
}

/**
 * Zero the optimiser's per-parameter moments of the entries `entries` selects in parameter `name`
 * (momentum, Adam's m and v, …). Works on any optimiser state made of per-parameter typed arrays,
 * wherever they sit.
 *
 * @example
 * resetMoments(control, "0.bias", (i) => i === 3); // unit 3's bias: m and v back to 0
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
 * Give unit `u` of `site.layer` fresh incoming weights (from `fresh`), zero bias and zero outgoing
 * weights (so the network computes the same function at this moment), and zero the optimiser's moments
 * of all three. Without the reset, Adam would keep pushing the new unit with its dead predecessor's
 * gradient history (m) and damp it with that history's scale (v): ReDo (Sokar et al. 2023, "The Dormant
 * Neuron Phenomenon in Deep Reinforcement Learning") and continual backprop (Dohare et al. 2024) both
 * reset them.
 *
 * @example
 * replaceUnit(control, { name: "0", layer: dense0, next: dense1 }, 5, initialize("he", 4, 4, 8, rng));
 */
export function replaceUnit(control: TrainingControl, site: UnitSite, u: number, fresh: Float32Array): void {
  const { layer, next } = site;
  const fanIn = layer.weight.shape[1];
  layer.weight.data.set(fresh, u * fanIn);
  if (layer.bias) layer.bias.data[u] = 0;
  resetMoments(control, `${site.name}.weight`, (i) => Math.floor(i / fanIn) === u);
  resetMoments(control, `${site.name}.bias`, (i) => i === u);
  if (!next) return;
  const cols = next.weight.shape[1];
  for (let r = 0; r < next.units; r++) next.weight.data[r * cols + u] = 0;
  resetMoments(control, `${control.model.layers.indexOf(next)}.weight`, (i) => i % cols === u);
}
