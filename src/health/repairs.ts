/**
 * Repairs act through the training loop's capabilities only: parameter data (changed in place), the
 * optimiser state, the learning-rate scale and gradient clipping.
 */
import { copyFloat32, keptCopy } from "../backend/index.js";
import type { Sequential } from "../nn/sequential.js";
import { deepCopy, deepCopyInto } from "../tensor/plain.js";
import type { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TrainingControl } from "../train/events.js";
import { type UnitLayer, unitSites } from "../units/layer.js";
import { replaceUnits } from "../units/surgery.js";

export { deepCopy };

/** Weights, buffers (batch norm's running statistics) and optimiser state at one step, kept in memory for rollback. */
export interface Snapshot {
  step: number;
  weights: Float32Array[];
  /** The model's buffers in `buffers()` order; absent in snapshots of checkpoints written before they were kept. */
  buffers?: Float32Array[];
  optimizerState: unknown;
}

/**
 * The last two healthy snapshots, as plain data (`same`: the two are one, and `newer` is null). Rollback
 * goes to the older one: the newer was taken only one check before the trouble showed and may already
 * be on its way there.
 */
export interface SnapshotState {
  older: Snapshot | null;
  newer: Snapshot | null;
  same: boolean;
}

export const noSnapshots = (): SnapshotState => ({ older: null, newer: null, same: false });

/** Keep the weights and optimiser state of now as the newer snapshot; the newer one becomes the older. */
export function takeSnapshot(s: SnapshotState, control: TrainingControl): void {
  // Reuse the buffers of the snapshot about to be dropped: a page touched for the first time costs more than the copy.
  const snap = snapshotOf(control, s.same ? null : s.older);
  const newer = s.same ? s.older : s.newer;
  s.older = newer ?? snap;
  s.same = s.older === snap;
  s.newer = s.same ? null : snap;
}

/**
 * The weights, buffers and optimiser state of now, copied — into `recycle`'s arrays where they fit (a
 * snapshot about to be dropped: a page touched for the first time costs more than the copy), and in the
 * backend's memory where the originals are (`keptCopy`: a bulk move there, where a typed array's `set`
 * from shared memory takes ~2.5× as long).
 */
export function snapshotOf(control: TrainingControl, recycle?: Snapshot | null): Snapshot {
  return {
    step: control.step,
    weights: copyTensors(control.parameters, recycle?.weights),
    buffers: copyTensors(control.model.buffers(), recycle?.buffers),
    optimizerState: deepCopyInto(recycle?.optimizerState, control.getOptimizerState(), keptCopy),
  };
}

/** Put a snapshot's weights and buffers back in place (its optimiser state is the caller's to restore or not). */
export function putTensorsBack(s: Snapshot, control: TrainingControl): void {
  // Float32 throughout, as the snapshot's arrays are (any other typed array takes copyFloat32's `set`).
  control.parameters.forEach(([, t], i) => copyFloat32(t.data as Float32Array, s.weights[i]));
  const buffers = s.buffers;
  if (buffers) control.model.buffers().forEach(([, t], i) => copyFloat32(t.data as Float32Array, buffers[i]));
}

/** The tensors' data copied, into `recycle`'s arrays where their lengths match. */
function copyTensors(
  tensors: readonly [string, Tensor][],
  recycle: Float32Array[] | undefined,
): Float32Array[] {
  return tensors.map(([, t], i) => keptCopy(recycle?.[i], t.data as Float32Array));
}

/**
 * Put back the older snapshot's weights, buffers and optimiser state; returns its step, or null if there
 * is none. Batch norm's running statistics go back with the weights they were averaged under.
 */
export function restoreSnapshot(s: SnapshotState, control: TrainingControl): number | null {
  const older = s.older;
  if (!older) return null;
  putTensorsBack(older, control);
  control.setOptimizerState(deepCopy(older.optimizerState));
  s.newer = null;
  s.same = true;
  return older.step;
}

/** Snapshots of their own (takeSnapshot and restoreSnapshot over a private state). */
export class SnapshotStore {
  private s = noSnapshots();

  take(control: TrainingControl): void {
    takeSnapshot(this.s, control);
  }

  /** Plain state for checkpoints. */
  getState(): SnapshotState {
    return { ...this.s };
  }

  setState(s: SnapshotState): void {
    this.s = deepSnapshots(s);
  }

  restore(control: TrainingControl): number | null {
    return restoreSnapshot(this.s, control);
  }
}

/** A copy that shares nothing with `s`, the older and newer kept one object where they were one. */
export function deepSnapshots(s: SnapshotState): SnapshotState {
  const older = s.older && deepCopy(s.older);
  return { older, newer: s.same ? null : s.newer && deepCopy(s.newer), same: s.same };
}

/** The unit layer at index `i` of `model`, with the unit layer it feeds. */
function unitSiteAt(model: Sequential, i: number) {
  const site = unitSites(model).find((s) => s.index === i);
  if (!site) throw new Error(`health: layer ${i} is not a unit layer`);
  return site;
}

/**
 * Re-initialise dead units of unit layer `i` (ReDo, Sokar et al. 2023) by unit surgery (`replaceUnits`):
 * fresh incoming weights from the layer's initialiser, zero bias, and zero outgoing weights in the unit
 * layer it feeds, so the network's function is unchanged at the moment of repair while the units can learn
 * again; their optimiser moments are zeroed too, as ReDo does.
 *
 * @example
 * reinitUnits(control, 0, [3, 7], new Rng(1)); // units 3 and 7 of layer 0
 */
export function reinitUnits(control: TrainingControl, i: number, units: readonly number[], rng: Rng): void {
  const site = unitSiteAt(control.model, i);
  replaceUnits(control, site, units, () => site.layer.freshIncomingWeights(rng));
}

/** Multiply unit layer `i`'s weights and bias by `factor` (LSUV-style rescaling of an over- or under-scaled layer). */
export function rescaleLayer(model: Sequential, i: number, factor: number): void {
  const { layer } = unitSiteAt(model, i);
  const w = layer.weight.data;
  for (let k = 0; k < w.length; k++) w[k] *= factor;
  if (layer.bias) for (let k = 0; k < layer.bias.data.length; k++) layer.bias.data[k] *= factor;
}

/**
 * Layer-sequential unit-variance rescaling (LSUV, Mishkin & Matas 2016) on one batch: for each unit
 * layer in order (the output's logits included), run the model forward, and when that layer's pre-activations have a spread
 * outside [1/tolerance, tolerance], scale its weights and bias so the spread becomes 1. Returns the
 * layers rescaled, with their factors.
 */
export function lsuv(
  model: Sequential,
  x: Tensor,
  tolerance = 2,
): { layer: string; factor: number; preActivationStd: number }[] {
  const done: { layer: string; factor: number; preActivationStd: number }[] = [];
  for (const site of unitSites(model)) {
    let std = NaN;
    model.forward(x, {
      training: false,
      onActivation: (name, _out, pre) => {
        if (name === site.name && pre) std = spread(pre.data);
      },
    });
    if (!(std > tolerance || (std > 0 && std < 1 / tolerance))) continue;
    rescaleLayer(model, site.index, 1 / std);
    done.push({ layer: site.name, factor: 1 / std, preActivationStd: std });
  }
  return done;
}

function spread(a: ArrayLike<number>): number {
  let s = 0,
    q = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    q += a[i] * a[i];
  }
  const m = s / a.length;
  return Math.sqrt(Math.max(q / a.length - m * m, 0));
}

/** Inputs whose weights in unit layer `i` hold NaN/±∞ (NaN inputs poison exactly their weights). */
export function nonFiniteColumns(model: Sequential, i: number): number[] {
  const { layer } = unitSiteAt(model, i);
  const w = layer.weight.data;
  const bad: number[] = [];
  for (let c = 0; c < layer.fanIn; c++) if (!readsFinite(layer, w, c)) bad.push(c);
  return bad;
}

function readsFinite(layer: UnitLayer, w: ArrayLike<number>, input: number): boolean {
  for (const k of layer.inputWeightIndices(input)) if (!Number.isFinite(w[k])) return false;
  return true;
}
