/**
 * What every regulator needs: the network's hidden unit layers with the layer each one feeds, and the
 * two operations that change units — re-initialising a unit and forgetting its optimiser moments (unit
 * surgery, shared with the health monitor's repairs). All of it comes from `units/`.
 */
import { type IndexedUnitSite, type UnitLayer, unitSites } from "../units/layer.js";

export { replaceUnit, replaceUnits, resetMoments } from "../units/surgery.js";

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

/**
 * Each column's sum of the [rows, units] matrix `data` into `sum` (and its sum of squares into `sq`), in
 * doubles. Row by row, so memory is read in order; each column still adds its rows first to last, the
 * same bits as a loop down one column at a time.
 *
 * @example
 * const [sum, sq] = [new Float64Array(2), new Float64Array(2)];
 * columnSums(Float32Array.of(1, 2, 3, 4), 2, 2, sum, sq); // sum [4, 6], sq [10, 20]
 */
export function columnSums(
  data: ArrayLike<number>,
  rows: number,
  units: number,
  sum: Float64Array,
  sq: Float64Array | null,
): void {
  sum.fill(0);
  sq?.fill(0);
  for (let r = 0, at = 0; r < rows; r++, at += units) {
    if (sq)
      for (let u = 0; u < units; u++) {
        const v = data[at + u];
        sum[u] += v;
        sq[u] += v * v;
      }
    else for (let u = 0; u < units; u++) sum[u] += data[at + u];
  }
}

/**
 * Each column's Σ_r |data[r, u] − centre[u]| of the [rows, units] matrix `data` into `into`, row by row
 * (each column adds its rows first to last, as `columnSums` does).
 *
 * @example
 * const dev = new Float64Array(2);
 * columnAbsDeviation(Float32Array.of(1, 2, 3, 4), 2, 2, Float64Array.of(2, 3), dev); // [2, 2]
 */
export function columnAbsDeviation(
  data: ArrayLike<number>,
  rows: number,
  units: number,
  centre: Float64Array,
  into: Float64Array,
): void {
  into.fill(0);
  for (let r = 0, at = 0; r < rows; r++, at += units)
    for (let u = 0; u < units; u++) into[u] += Math.abs(data[at + u] - centre[u]);
}

/** Below this, float32 weights are flushed to zero: denormals made a reference run 5× slower. */
export const DENORMAL_FLUSH = 1e-30;

/**
 * The bits of the smallest float32 ≥ DENORMAL_FLUSH: a float32 x has |x| < DENORMAL_FLUSH exactly when
 * its bits less the sign are below this (the order of positive floats is the order of their bits).
 */
const FLUSH_BITS = (() => {
  const f = Float32Array.of(DENORMAL_FLUSH);
  const bits = new Int32Array(f.buffer)[0];
  return f[0] < DENORMAL_FLUSH ? bits + 1 : bits;
})();

/**
 * Flush |w| < 1e-30 to +0 in place (after multiplicative decay, which can drive weights there); zeros
 * (−0 too) and NaN are left as they are. Float32 weights are compared as integers on their bits, the same
 * test without converting every weight to a double.
 *
 * @example
 * const w = Float32Array.of(1e-31, -1e-31, 0.5);
 * flushDenormals(w); // w is now [0, 0, 0.5]
 */
export function flushDenormals(a: Float32Array | Float64Array): void {
  if (a instanceof Float32Array) {
    const bits = new Int32Array(a.buffer, a.byteOffset, a.length);
    // Stryker disable next-line EqualityOperator: i = length reads undefined (undefined & m is 0: kept)
    for (let i = 0; i < bits.length; i++) {
      // |x|'s bits less one, unsigned: zero wraps to the top and is kept; below FLUSH_BITS − 1 is flushed.
      if (((bits[i] & 0x7fffffff) - 1) >>> 0 < FLUSH_BITS - 1) bits[i] = 0;
    }
    return;
  }
  // Stryker disable next-line EqualityOperator: i = a.length reads undefined (|undefined| < x is false)
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && Math.abs(a[i]) < DENORMAL_FLUSH) a[i] = 0;
}
