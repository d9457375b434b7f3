// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). Batch normalisation's fused pair
// with the bits of the js reference (backend/js/norm.ts) over x [rows, features], features innermost:
// - each feature's sums run in float64 from row 0 to the last, as js's do, so the vectors go across
//   four features (two f64x2 accumulators each) and never across rows;
// - every element step is one float32 operation: js computes it in float64 and rounds it to float32,
//   which is the correctly rounded float32 result (53 ≥ 2·24 + 2); no fused multiply-add anywhere;
// - a term js negates before adding is subtracted (a + (−b) is a − b in IEEE arithmetic);
// - the per-feature steps between the passes are js's own float64 lines, scalar.
// Features past the last multiple of four take the same arithmetic one at a time.

/** The float64 values of v's lanes 0 and 1. */
// @ts-ignore: decorator
@inline function low(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** The float64 values of v's lanes 2 and 3. */
// @ts-ignore: decorator
@inline function high(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Byte offset of element (r, j) of a [rows, features] float32 array. */
// @ts-ignore: decorator
@inline function at(r: i32, j: i32, features: i32): usize {
  return (<usize>r * <usize>features + <usize>j) << 2;
}

/**
 * y ← (x − mean)/sd·w + b (w, b 0: skipped), with mean, variance (biased) and sd = √(variance + eps)
 * per feature written out; `acc` is room for `features` float64s.
 */
export function batchNorm(x: usize, rows: i32, features: i32, w: usize, b: usize, eps: f64, y: usize, mean: usize, variance: usize, sd: usize, acc: usize): void {
  const n = <f64><f32>rows;
  columnSums(x, 0, rows, features, acc, false);
  for (let j = 0; j < features; j++)
    store<f32>(mean + (<usize>j << 2), <f32>(<f64><f32>load<f64>(acc + (<usize>j << 3)) / n));
  columnSums(x, mean, rows, features, acc, true);
  const e = <f64><f32>eps;
  for (let j = 0; j < features; j++) {
    const v = <f32>(<f64><f32>load<f64>(acc + (<usize>j << 3)) / n);
    store<f32>(variance + (<usize>j << 2), v);
    store<f32>(sd + (<usize>j << 2), <f32>Math.sqrt(<f64><f32>(<f64>v + e)));
  }
  if (w && b) normalise(x, rows, features, w, b, y, mean, sd, true, true);
  else if (w) normalise(x, rows, features, w, b, y, mean, sd, true, false);
  else if (b) normalise(x, rows, features, w, b, y, mean, sd, false, true);
  else normalise(x, rows, features, w, b, y, mean, sd, false, false);
}

/** acc[j] ← Σ_r x[r][j], or with `centred` Σ_r d·d for d = x[r][j] − mean[j] (float32), in float64. */
// @ts-ignore: decorator
@inline function columnSums(x: usize, mean: usize, rows: i32, features: i32, acc: usize, centred: bool): void {
  let j = 0;
  for (; j + 4 <= features; j += 4) {
    const m = centred ? v128.load(mean + (<usize>j << 2)) : f32x4.splat(0);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let r = 0; r < rows; r++) {
      let v = v128.load(x + at(r, j, features));
      if (centred) {
        const d = f32x4.sub(v, m);
        v = f32x4.mul(d, d);
      }
      lo = f64x2.add(lo, low(v));
      hi = f64x2.add(hi, high(v));
    }
    v128.store(acc + (<usize>j << 3), lo);
    v128.store(acc + (<usize>j << 3), hi, 16);
  }
  for (; j < features; j++) {
    const m = centred ? load<f32>(mean + (<usize>j << 2)) : 0;
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) {
      let v = load<f32>(x + at(r, j, features));
      if (centred) {
        const d = v - m;
        v = d * d;
      }
      s += <f64>v;
    }
    store<f64>(acc + (<usize>j << 3), s);
  }
}

/** y ← (x − mean)/sd, times w and plus b where the flags say: row by row, in float32. */
// @ts-ignore: decorator
@inline function normalise(x: usize, rows: i32, features: i32, w: usize, b: usize, y: usize, mean: usize, sd: usize, hasW: bool, hasB: bool): void {
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (; j + 4 <= features; j += 4) {
      const f = <usize>j << 2;
      let v = f32x4.div(f32x4.sub(v128.load(x + at(r, j, features)), v128.load(mean + f)), v128.load(sd + f));
      if (hasW) v = f32x4.mul(v, v128.load(w + f));
      if (hasB) v = f32x4.add(v, v128.load(b + f));
      v128.store(y + at(r, j, features), v);
    }
    for (; j < features; j++) {
      const f = <usize>j << 2;
      let v = (load<f32>(x + at(r, j, features)) - load<f32>(mean + f)) / load<f32>(sd + f);
      if (hasW) v *= load<f32>(w + f);
      if (hasB) v += load<f32>(b + f);
      store<f32>(y + at(r, j, features), v);
    }
  }
}

/**
 * The gradients of `batchNorm` for an incoming gradient g: dx, dw, db (each 0: skipped), w 0 for none.
 * `acc` is room for 6·features float64s: the four sums of the first pass, the centred values' sum, and
 * two float32 values per feature (the variance's gradient and the mean's).
 */
export function batchNormBackward(g: usize, x: usize, rows: i32, features: i32, w: usize, mean: usize, sd: usize, dx: usize, dw: usize, db: usize, acc: usize): void {
  const n = <f64><f32>rows;
  const span = <usize>features << 3;
  const sg = acc, sgy = acc + span, ssd = acc + 2 * span, smu = acc + 3 * span, sd2 = acc + 4 * span;
  const gs2 = acc + 5 * span, gMean = gs2 + (<usize>features << 2);
  if (w) gradientSums(g, x, rows, features, w, mean, sd, acc, true);
  else gradientSums(g, x, rows, features, w, mean, sd, acc, false);
  for (let j = 0; j < features; j++) {
    if (db) store<f32>(db + (<usize>j << 2), <f32>load<f64>(sg + (<usize>j << 3)));
    if (dw) store<f32>(dw + (<usize>j << 2), <f32>load<f64>(sgy + (<usize>j << 3)));
  }
  if (!dx) return;
  for (let j = 0; j < features; j++) {
    const s = <f64>load<f32>(sd + (<usize>j << 2));
    const q = <f32>(<f64><f32>load<f64>(ssd + (<usize>j << 3)) / <f64><f32>(s * 2));
    store<f32>(gs2 + (<usize>j << 2), <f32>(<f64>q / n));
  }
  centredSums(x, rows, features, mean, gs2, sd2);
  for (let j = 0; j < features; j++) {
    const t = <f32>(<f64><f32>load<f64>(sd2 + (<usize>j << 3)) + <f64><f32>load<f64>(smu + (<usize>j << 3)));
    store<f32>(gMean + (<usize>j << 2), <f32>(<f64>t / n));
  }
  if (w) inputGradient(g, x, rows, features, w, mean, sd, gs2, gMean, dx, true);
  else inputGradient(g, x, rows, features, w, mean, sd, gs2, gMean, dx, false);
}

/**
 * Per feature, in float64 over rows: Σ g, Σ g·ŷ, Σ −(gŷ·ŷ)/sd and Σ −gŷ/sd (gŷ = g·w, or g), ŷ =
 * (x − mean)/sd; at acc, acc + 8·features, … (as js's sg, sgy, ssd, smu).
 */
// @ts-ignore: decorator
@inline function gradientSums(g: usize, x: usize, rows: i32, features: i32, w: usize, mean: usize, sd: usize, acc: usize, hasW: bool): void {
  const span = <usize>features << 3;
  let j = 0;
  for (; j + 4 <= features; j += 4) {
    const f = <usize>j << 2;
    const m = v128.load(mean + f), s = v128.load(sd + f);
    const wv = hasW ? v128.load(w + f) : m;
    let g0 = f64x2.splat(0), g1 = g0, y0 = g0, y1 = g0, d0 = g0, d1 = g0, u0 = g0, u1 = g0;
    for (let r = 0; r < rows; r++) {
      const gi = v128.load(g + at(r, j, features));
      const yhat = f32x4.div(f32x4.sub(v128.load(x + at(r, j, features)), m), s);
      const gy = hasW ? f32x4.mul(gi, wv) : gi;
      g0 = f64x2.add(g0, low(gi));
      g1 = f64x2.add(g1, high(gi));
      const gyh = f32x4.mul(gi, yhat);
      y0 = f64x2.add(y0, low(gyh));
      y1 = f64x2.add(y1, high(gyh));
      const ds = f32x4.div(f32x4.mul(gy, yhat), s);
      d0 = f64x2.sub(d0, low(ds));
      d1 = f64x2.sub(d1, high(ds));
      const us = f32x4.div(gy, s);
      u0 = f64x2.sub(u0, low(us));
      u1 = f64x2.sub(u1, high(us));
    }
    const a = acc + (<usize>j << 3);
    v128.store(a, g0);
    v128.store(a, g1, 16);
    v128.store(a + span, y0);
    v128.store(a + span, y1, 16);
    v128.store(a + 2 * span, d0);
    v128.store(a + 2 * span, d1, 16);
    v128.store(a + 3 * span, u0);
    v128.store(a + 3 * span, u1, 16);
  }
  for (; j < features; j++) {
    const f = <usize>j << 2;
    const m = load<f32>(mean + f), s = load<f32>(sd + f);
    const wj = hasW ? load<f32>(w + f) : m;
    let sg: f64 = 0, sgy: f64 = 0, ssd: f64 = 0, smu: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const gi = load<f32>(g + at(r, j, features));
      const yhat = (load<f32>(x + at(r, j, features)) - m) / s;
      const gy = hasW ? gi * wj : gi;
      sg += <f64>gi;
      sgy += <f64>(gi * yhat);
      ssd -= <f64>((gy * yhat) / s);
      smu -= <f64>(gy / s);
    }
    const a = acc + (<usize>j << 3);
    store<f64>(a, sg);
    store<f64>(a + span, sgy);
    store<f64>(a + 2 * span, ssd);
    store<f64>(a + 3 * span, smu);
  }
}

/** out[j] ← Σ_r −(h + h) in float64, h = gs2[j]·(x[r][j] − mean[j]) in float32. */
// @ts-ignore: decorator
@inline function centredSums(x: usize, rows: i32, features: i32, mean: usize, gs2: usize, out: usize): void {
  let j = 0;
  for (; j + 4 <= features; j += 4) {
    const m = v128.load(mean + (<usize>j << 2)), q = v128.load(gs2 + (<usize>j << 2));
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let r = 0; r < rows; r++) {
      const h = f32x4.mul(q, f32x4.sub(v128.load(x + at(r, j, features)), m));
      const t = f32x4.add(h, h);
      lo = f64x2.sub(lo, low(t));
      hi = f64x2.sub(hi, high(t));
    }
    v128.store(out + (<usize>j << 3), lo);
    v128.store(out + (<usize>j << 3), hi, 16);
  }
  for (; j < features; j++) {
    const m = load<f32>(mean + (<usize>j << 2)), q = load<f32>(gs2 + (<usize>j << 2));
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const h = q * (load<f32>(x + at(r, j, features)) - m);
      s -= <f64>(h + h);
    }
    store<f64>(out + (<usize>j << 3), s);
  }
}

/** dx ← ((h + h) + gŷ/sd) + gMean, h = gs2·(x − mean), gŷ = g·w or g: row by row, in float32. */
// @ts-ignore: decorator
@inline function inputGradient(g: usize, x: usize, rows: i32, features: i32, w: usize, mean: usize, sd: usize, gs2: usize, gMean: usize, dx: usize, hasW: bool): void {
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (; j + 4 <= features; j += 4) {
      const f = <usize>j << 2;
      const gi = v128.load(g + at(r, j, features));
      const gy = hasW ? f32x4.mul(gi, v128.load(w + f)) : gi;
      const h = f32x4.mul(v128.load(gs2 + f), f32x4.sub(v128.load(x + at(r, j, features)), v128.load(mean + f)));
      const v = f32x4.add(f32x4.add(f32x4.add(h, h), f32x4.div(gy, v128.load(sd + f))), v128.load(gMean + f));
      v128.store(dx + at(r, j, features), v);
    }
    for (; j < features; j++) {
      const f = <usize>j << 2;
      const gi = load<f32>(g + at(r, j, features));
      const gy = hasW ? gi * load<f32>(w + f) : gi;
      const h = load<f32>(gs2 + f) * (load<f32>(x + at(r, j, features)) - load<f32>(mean + f));
      store<f32>(dx + at(r, j, features), h + h + gy / load<f32>(sd + f) + load<f32>(gMean + f));
    }
  }
}
