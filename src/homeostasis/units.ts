/**
 * What every regulator needs: the network's hidden unit layers with the layer each one feeds, and the
 * two operations that change units — re-initialising a unit and forgetting its optimiser moments (unit
 * surgery, shared with the health monitor's repairs). All of it comes from `units/`.
 */
import { type IndexedUnitSite, type UnitLayer, unitSites } from "../units/layer.js";

export { replaceUnit, resetMoments } from "../units/surgery.js";

/** A hidden unit layer (every unit layer but the output) and the unit layer it feeds. */
export interface HiddenLayer extends IndexedUnitSite {
  readonly next: UnitLayer;
}

/**
 * The hidden unit layers of `model`, in order; each feeds the next unit layer (through activation,
 * dropout or normalisation layers).
 *
 * @example
 * hiddenLayers(model)[0].next.units; // the width of the layer the first hidden layer feeds
 */
export function hiddenLayers(model: { readonly layers: readonly unknown[] }): HiddenLayer[] {
  return unitSites(model).filter((s): s is HiddenLayer => s.next !== null);
}

/** Below this, float32 weights are flushed to zero: denormals made a reference run 5× slower. */
export const DENORMAL_FLUSH = 1e-30;

/** Flush |w| < 1e-30 to zero in place (after multiplicative decay, which can drive weights there). */
export function flushDenormals(a: Float32Array | Float64Array): void {
  // Stryker disable next-line EqualityOperator: i = a.length reads undefined (|undefined| < x is false)
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && Math.abs(a[i]) < DENORMAL_FLUSH) a[i] = 0;
}
