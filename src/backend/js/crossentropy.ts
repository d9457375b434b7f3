import type { Data } from "../../tensor/tensor.js";

const keep = (v: number): number => v;

/**
 * Softmax cross-entropy, −(1/rows)·Σ t·log softmax(z) along rows of `cols` values, computed with the
 * very roundings of its composite (`neg(sum(mul(t, logSoftmax(z))) / rows)` built from max, sub, exp,
 * sum, log, add, mul, div and neg, each rounded to the storage type, sums accumulated in float64): the
 * same bits on every backend, from one pass instead of a dozen kernels and graph nodes. `e` (each
 * exp(z − max)), `sums` (each row's Σ e) and `logp` receive what the backward pass reads.
 */
export function softmaxCrossEntropy(
  z: Data,
  t: Data,
  rows: number,
  cols: number,
  e: Data,
  sums: Data,
  logp: Data,
  meanOver: number,
): number {
  const r = z instanceof Float32Array ? Math.fround : keep;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const at = i * cols;
    // The row's maximum as the max kernel takes it: NaN as soon as one is met.
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = z[at + j]!;
      if (v > m || Number.isNaN(v)) {
        m = v;
        if (Number.isNaN(v)) break;
      }
    }
    let s = 0;
    for (let j = 0; j < cols; j++) {
      e[at + j] = Math.exp(r(z[at + j]! - m));
      s += e[at + j]!;
    }
    sums[i] = s;
    const lse = r(r(Math.log(sums[i]!)) + m);
    for (let j = 0; j < cols; j++) {
      logp[at + j] = z[at + j]! - lse;
      total += r(t[at + j]! * logp[at + j]!);
    }
  }
  return -r(r(total) / r(meanOver));
}

/**
 * The gradients of `softmaxCrossEntropy` for an incoming gradient g, with its composite's roundings:
 * dz = dlogp + sum's share through exp, where dlogp = (−g/rows)·t; dt = (−g/rows)·log softmax(z).
 */
export function softmaxCrossEntropyBackward(
  g: number,
  t: Data,
  e: Data,
  sums: Data,
  logp: Data,
  rows: number,
  cols: number,
  meanOver: number,
  dz: Data | null,
  dt: Data | null,
): void {
  const r = e instanceof Float32Array ? Math.fround : keep;
  const ds = r(-g / r(meanOver));
  if (dt) for (let i = 0; i < rows * cols; i++) dt[i] = ds * logp[i]!;
  if (!dz) return;
  for (let i = 0; i < rows; i++) {
    const at = i * cols;
    // dz first holds dlogp (rounded by the store, as the composite's mul rounds it), then gains exp's share.
    let s = 0;
    for (let j = 0; j < cols; j++) {
      dz[at + j] = ds * t[at + j]!;
      s -= dz[at + j]!;
    }
    const dS = r(r(s) / sums[i]!);
    for (let j = 0; j < cols; j++) dz[at + j] = dz[at + j]! + r(dS * e[at + j]!);
  }
}
