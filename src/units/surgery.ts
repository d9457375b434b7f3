/**
 * Unit surgery, shared by every part that re-initialises units (the health monitor's dead-unit repair,
 * ReDo, continual backprop): fresh incoming weights, zero bias, zero outgoing weights, and the optimiser's
 * moments of all three forgotten. One function, so the repairs cannot drift apart again.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { ParameterEntries, UnitSite } from "./layer.js";

/** What surgery needs of the training loop: the named parameters and the optimiser's state. */
export interface SurgeryControl {
  readonly parameters: readonly (readonly [string, Tensor])[];
  getOptimizerState(): unknown;
  setOptimizerState(state: unknown): void;
}

/**
 * Zero the optimiser's per-parameter moments of the entries `entries` selects in parameter `name`
 * (momentum, Adam's m and v, …). Works on any optimiser state made of per-parameter typed arrays,
 * wherever they sit.
 *
 * @example
 * resetMoments(control, "0.bias", (i) => i === 3); // unit 3's bias: m and v back to 0
 */
export function resetMoments(control: SurgeryControl, name: string, entries: (i: number) => boolean): void {
  resetMomentsAt(
    control,
    control.parameters.findIndex(([n]) => n === name),
    entries,
  );
}

/** `resetMoments` for the parameter held in `tensor` (found by identity, whatever its name). */
function resetEntries(control: SurgeryControl, { tensor, entries }: ParameterEntries): void {
  resetMomentsAt(
    control,
    control.parameters.findIndex(([, t]) => t === tensor),
    entries,
  );
}

function resetMomentsAt(control: SurgeryControl, at: number, entries: (i: number) => boolean): void {
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
 * replaceUnit(control, unitSites(model)[0], 5, unitSites(model)[0].layer.freshIncomingWeights(rng));
 */
export function replaceUnit(control: SurgeryControl, site: UnitSite, u: number, fresh: Float32Array): void {
  const { layer, next } = site;
  layer.incomingWeights(u).set(fresh);
  if (layer.bias) layer.bias.data[u] = 0;
  for (const e of layer.unitEntries(u)) resetEntries(control, e);
  if (!next) return;
  const w = next.weight.data;
  for (const i of next.inputWeightIndices(u)) w[i] = 0;
  for (const e of next.inputEntries(u)) resetEntries(control, e);
}
