/**
 * Batch normalisation in training, fused: one pass for each feature's statistics and one for the
 * output, and the backward pass in two, without the composite's broadcast temporaries (seven arrays of
 * x's size forward, a dozen backward). Each value is rounded where the composite's primitives round it
 * (autograd/composites.ts `batchNorm`: sums in float64 row by row, every element-wise result stored in
 * x's type) and the gradients are added in the order the composite's backward pass adds them, so
 * values and gradients are its bits. float32 only.
 */
// float32 only (float64 runs the composite): Math.fround called directly keeps these loops monomorphic;
// through a function chosen by type, V8 ran them 1.5–4× slower in some processes and not in others.
const f = Math.fround;

/**
 * y ← (x − mean)/√(variance + eps)·w + b over x [rows, features] (w, b per feature, either null), with
 * mean, variance (biased) and sd = √(variance + eps) per feature written out for the running averages
 * and the backward pass.
 *
 * @example
 * batchNorm(x, 32, 16, w, b, 1e-5, y, mean, variance, sd); // x [32, 16]
 */
export function batchNorm(
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  b: Float32Array | null,
  eps: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  sd: Float32Array,
): void {
  const n = f(rows);
  const acc = new Float64Array(features);
  for (let r = 0; r < rows; r++) for (let j = 0, i = r * features; j < features; j++, i++) acc[j] += x[i]!;
  for (let j = 0; j < features; j++) mean[j] = f(f(acc[j]!) / n);
  acc.fill(0);
  for (let r = 0; r < rows; r++)
    for (let j = 0, i = r * features; j < features; j++, i++) {
      const d = f(x[i]! - mean[j]!);
      acc[j] += f(d * d);
    }
  const e = f(eps);
  for (let j = 0; j < features; j++) {
    variance[j] = f(f(acc[j]!) / n);
    sd[j] = f(Math.sqrt(f(variance[j]! + e)));
  }
  for (let r = 0; r < rows; r++)
    for (let j = 0, i = r * features; j < features; j++, i++) {
      let v = f(f(x[i]! - mean[j]!) / sd[j]!);
      if (w) v = f(v * w[j]!);
      y[i] = b ? f(v + b[j]!) : v;
    }
}

/**
 * Its gradients for an incoming gradient g [rows, features], each skipped where null: dx, dw, db, as
 * the composite's rules give them (the mean's and the variance's paths summed into dx in its order).
 *
 * @example
 * batchNormBackward(g, x, 32, 16, w, mean, sd, dx, dw, db);
 */
export function batchNormBackward(
  g: Float32Array,
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  mean: Float32Array,
  sd: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const n = f(rows);
  // Per feature: Σ g (db), Σ g·ŷ (dw), Σ −(gŷ·ŷ)/sd (the sd's gradient), Σ −gŷ/sd (the mean's, first part).
  const sg = new Float64Array(features);
  const sgy = new Float64Array(features);
  const ssd = new Float64Array(features);
  const smu = new Float64Array(features);
  for (let r = 0; r < rows; r++)
    for (let j = 0, i = r * features; j < features; j++, i++) {
      const gi = g[i]!;
      const yhat = f(f(x[i]! - mean[j]!) / sd[j]!);
      const gy = w ? f(gi * w[j]!) : gi;
      sg[j] += gi;
      sgy[j] += f(gi * yhat);
      ssd[j] += -f(f(gy * yhat) / sd[j]!);
      smu[j] += -f(gy / sd[j]!);
    }
  if (db) for (let j = 0; j < features; j++) db[j] = f(sg[j]!);
  if (dw) for (let j = 0; j < features; j++) dw[j] = f(sgy[j]!);
  if (!dx) return;
  // The variance's gradient per feature, then the centred values' (two equal halves of d·d's rule).
  const gs2 = new Float64Array(features);
  for (let j = 0; j < features; j++) gs2[j] = f(f(f(f(ssd[j]!) / f(sd[j]! * 2))) / n);
  const sd2 = new Float64Array(features);
  for (let r = 0; r < rows; r++)
    for (let j = 0, i = r * features; j < features; j++, i++) {
      const half = f(gs2[j]! * f(x[i]! - mean[j]!));
      sd2[j] += -f(half + half);
    }
  const gMean = new Float64Array(features);
  for (let j = 0; j < features; j++) gMean[j] = f(f(f(sd2[j]!) + f(smu[j]!)) / n);
  for (let r = 0; r < rows; r++)
    for (let j = 0, i = r * features; j < features; j++, i++) {
      const gy = w ? f(g[i]! * w[j]!) : g[i]!;
      const d = f(x[i]! - mean[j]!);
      const half = f(gs2[j]! * d);
      dx[i] = f(f(f(half + half) + f(gy / sd[j]!)) + gMean[j]!);
    }
}

/**
 * Layer normalisation, fused: y ← (x − mean)/√(variance + eps)·w + b over each row of x [rows, features]
 * (mean and biased variance over the row's features; w, b per feature, either null), with each row's
 * mean and sd = √(variance + eps) written out for the backward pass. The composite's bits
 * (autograd/functional.ts `layerNorm`: each row's sums in float64 left to right, every element-wise
 * result stored as float32).
 *
 * @example
 * layerNorm(x, 2, 64, w, b, 1e-5, y, mean, sd); // x [2, 64]
 */
export function layerNorm(
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  b: Float32Array | null,
  eps: number,
  y: Float32Array,
  mean: Float32Array,
  sd: Float32Array,
): void {
  const n = f(features);
  const e = f(eps);
  for (let r = 0, at = 0; r < rows; r++, at += features) {
    let s = 0;
    for (let j = 0; j < features; j++) s += x[at + j]!;
    const mu = f(f(s) / n);
    let s2 = 0;
    for (let j = 0; j < features; j++) {
      const d = f(x[at + j]! - mu);
      s2 += f(d * d);
    }
    const sdr = f(Math.sqrt(f(f(f(s2) / n) + e)));
    mean[r] = mu;
    sd[r] = sdr;
    for (let j = 0; j < features; j++) {
      let v = f(f(x[at + j]! - mu) / sdr);
      if (w) v = f(v * w[j]!);
      y[at + j] = b ? f(v + b[j]!) : v;
    }
  }
}

/**
 * Its gradients for an incoming gradient g [rows, features], each skipped where null: dx, dw, db, with
 * the composite's bits: its rules' values, and each gradient added up in the order its backward pass
 * adds them (the centred values' gradient from the division first, then the square's two halves one at
 * a time; dx from the centring, then the mean's share).
 *
 * @example
 * layerNormBackward(g, x, 2, 64, w, mean, sd, dx, dw, db);
 */
export function layerNormBackward(
  g: Float32Array,
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  mean: Float32Array,
  sd: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const n = f(features);
  // dw and db sum over rows: one float64 accumulator per feature, rows in order.
  const sg = db ? new Float64Array(features) : null;
  const sgy = dw ? new Float64Array(features) : null;
  for (let r = 0, at = 0; r < rows; r++, at += features) {
    const mu = mean[r]!;
    const sdr = sd[r]!;
    // The sd's gradient: Σ −(g_ŷ·ŷ)/sd over the row, where ŷ = (x − mean)/sd and g_ŷ = g·w.
    let ssd = 0;
    for (let j = 0; j < features; j++) {
      const gi = g[at + j]!;
      const yhat = f(f(x[at + j]! - mu) / sdr);
      if (sg) sg[j] += gi;
      if (sgy) sgy[j] += f(gi * yhat);
      const gy = w ? f(gi * w[j]!) : gi;
      ssd += -f(f(gy * yhat) / sdr);
    }
    if (!dx) continue;
    // Through √: the variance's; through the mean of squares: each square's, then each half of d·d's rule.
    const gs2 = f(f(f(f(ssd) / f(sdr * 2))) / n);
    let smu = 0;
    for (let j = 0; j < features; j++) {
      const gy = w ? f(g[at + j]! * w[j]!) : g[at + j]!;
      const d = f(x[at + j]! - mu);
      const half = f(gs2 * d);
      const gc = f(f(f(gy / sdr) + half) + half);
      dx[at + j] = gc;
      smu += -gc;
    }
    const gMean = f(f(smu) / n);
    for (let j = 0; j < features; j++) dx[at + j] = f(dx[at + j]! + gMean);
  }
  if (db) for (let j = 0; j < features; j++) db[j] = f(sg![j]!);
  if (dw) for (let j = 0; j < features; j++) dw[j] = f(sgy![j]!);
}
