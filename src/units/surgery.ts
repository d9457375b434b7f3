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
 * Zero the optimiser's per-parameter moments of the entries `indices` of parameter `name` (momentum,
 * Adam's m and v, …). Works on any optimiser state made of per-parameter typed arrays, wherever they sit.
 *
 * @example
 * const resetter: Observer = {
 *   onBatchEnd: (_event, control) => resetMoments(control, "0.bias", [3]), // unit 3's bias: m and v back to 0
 * };
 */
export function resetMoments(control: SurgeryControl, name: string, indices: ArrayLike<number>): void {
  const at = control.parameters.findIndex(([n]) => n === name);
  resetAll(control, at < 0 ? [] : [{ at, indices }]);
}

/**
 * Zero the moments of every group of entries in one walk over the optimiser state; each group is found by
 * its tensor's identity among the parameters, whatever its name. The cost is the entries listed, not the
 * parameters' sizes.
 */
function resetEntries(control: SurgeryControl, groups: readonly ParameterEntries[]): void {
  const tensors = control.parameters.map(([, t]) => t);
  resetAll(
    control,
    groups.flatMap(({ tensor, indices }) => {
      const at = tensors.indexOf(tensor);
      return at < 0 ? [] : [{ at, indices }];
    }),
  );
}

function resetAll(
  control: SurgeryControl,
  groups: readonly { at: number; indices: ArrayLike<number> }[],
): void {
  if (groups.length === 0) return;
  const n = control.parameters.length;
  const sizes = control.parameters.map(([, t]) => t.size);
  // A moment of parameter `at` is an array of its size in slot `at` of a per-parameter list.
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (v.length === n && groups.some(({ at }) => isMoment(v[at], sizes[at]))) {
        for (const { at, indices } of groups) {
          const a = v[at];
          if (isMoment(a, sizes[at])) for (let k = 0; k < indices.length; k++) a[indices[k]] = 0;
        }
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

const isMoment = (slot: unknown, size: number): slot is Float32Array =>
  ArrayBuffer.isView(slot) && (slot as Float32Array).length === size;

/**
 * Give unit `u` of `site.layer` fresh incoming weights (from `fresh`), zero bias and zero outgoing
 * weights (so the network computes the same function at this moment), and zero the optimiser's moments
 * of all three. Without the reset, Adam would keep pushing the new unit with its dead predecessor's
 * gradient history (m) and damp it with that history's scale (v): ReDo (Sokar et al. 2023, "The Dormant
 * Neuron Phenomenon in Deep Reinforcement Learning") and continual backprop (Dohare et al. 2024) both
 * reset them.
 *
 * @example
 * const renewer: Observer = {
 *   onBatchEnd: (_event, control) => {
 *     const [site] = hiddenLayers(model);
 *     replaceUnit(control, site, 5, site.layer.freshIncomingWeights(new Rng(1))); // unit 5 starts afresh
 *   },
 * };
 */
export function replaceUnit(control: SurgeryControl, site: UnitSite, u: number, fresh: Float32Array): void {
  replaceUnits(control, site, [u], () => fresh);
}

/**
 * `replaceUnit` for each of `units` in turn, `fresh(u)` asked for each unit's incoming weights in that
 * order (so a generator draws them as one call per unit would), with one walk over the optimiser state
 * for all of them: the same result as one call per unit, at the cost of the entries changed.
 *
 * @example
 * replaceUnits(control, site, [3, 7], () => site.layer.freshIncomingWeights(rng));
 */
export function replaceUnits(
  control: SurgeryControl,
  site: UnitSite,
  units: readonly number[],
  fresh: (u: number) => Float32Array,
): void {
  const { layer, next } = site;
  const entries: ParameterEntries[] = [];
  for (const u of units) {
    layer.incomingWeights(u).set(fresh(u));
    if (layer.bias) layer.bias.data[u] = 0;
    if (next) {
      const w = next.weight.data;
      for (const i of next.inputWeightIndices(u)) w[i] = 0;
    }
    entries.push(...layer.unitEntries(u), ...(next ? next.inputEntries(u) : []));
  }
  resetEntries(control, entries);
}
