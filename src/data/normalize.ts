/**
 * Input normalisation, fitted on the training split only (fitting on all data leaks the test set's
 * statistics into training). A normaliser is plain state, `(x − offset) · scale` per feature, so it can
 * be written into the model file and applied to single inputs at prediction time exactly as in training.
 */
import { ConfigError, DataError } from "../tensor/errors.js";
import type { Dataset } from "./dataset.js";

export type NormalizeMode = "none" | "scale01" | "standardize";
export const NORMALIZE_MODES: readonly NormalizeMode[] = ["none", "scale01", "standardize"];

/**
 * Per-feature scaling fitted on training rows (`fitNormalizer`): x' = (x − offset) · scale; saved with a model.
 */
export interface Normalizer {
  mode: NormalizeMode;
  /** Per feature: subtracted first. */
  offset: Float32Array;
  /** Per feature: multiplied after the offset. Never 0 or Infinity; constant features get 1. */
  scale: Float32Array;
}

/** Per-feature statistics over finite values only, so one NaN cell does not turn a whole column to NaN. */
function columnStats(ds: Dataset): {
  min: Float64Array;
  max: Float64Array;
  mean: Float64Array;
  std: Float64Array;
  count: Float64Array;
} {
  const d = ds.inputDim;
  const min = new Float64Array(d).fill(Infinity);
  const max = new Float64Array(d).fill(-Infinity);
  const sum = new Float64Array(d);
  const count = new Float64Array(d);
  for (let r = 0; r < ds.n; r++) {
    for (let j = 0, o = r * d; j < d; j++) {
      const v = ds.x[o + j];
      if (!Number.isFinite(v)) continue;
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
      sum[j] += v;
      count[j]++;
    }
  }
  const mean = sum.map((s, j) => (count[j] > 0 ? s / count[j] : 0));
  // Second pass over deviations: more accurate than E[x²] − E[x]² when the mean is large.
  const sq = new Float64Array(d);
  for (let r = 0; r < ds.n; r++) {
    for (let j = 0, o = r * d; j < d; j++) {
      const v = ds.x[o + j];
      if (Number.isFinite(v)) sq[j] += (v - mean[j]) ** 2;
    }
  }
  const std = sq.map((s, j) => (count[j] > 0 ? Math.sqrt(s / count[j]) : 0));
  return { min, max, mean, std, count };
}

/** 1 / width, or 1 when the width is 0 or not finite (a constant or empty feature is left unscaled). */
function inverseOrOne(width: number): number {
  const s = 1 / width;
  return width > 0 && Number.isFinite(s) && s < 3.4e38 ? s : 1;
}

/**
 * Fit a normaliser on the training split.
 * - "none": offset 0, scale 1.
 * - "scale01": ÷255 when the data is byteValued (IDX pixels: a fixed, known range, so an all-black
 *   border pixel is not stretched); otherwise per-feature min–max to [0, 1].
 * - "standardize": per-feature mean and population standard deviation (as scikit-learn's StandardScaler).
 * Constant features get scale 1, not Infinity; non-finite cells are ignored when fitting.
 *
 * @example
 * const norm = fitNormalizer(train, "standardize");
 * const trainN = applyNormalizer(norm, train), testN = applyNormalizer(norm, test);
 */
export function fitNormalizer(train: Dataset, mode: NormalizeMode): Normalizer {
  if (!NORMALIZE_MODES.includes(mode)) {
    throw new ConfigError(
      `normalize must be one of ${NORMALIZE_MODES.map((m) => JSON.stringify(m)).join(", ")}, got ${JSON.stringify(mode)}`,
      { field: "normalize" },
    );
  }
  const d = train.inputDim;
  const offset = new Float32Array(d);
  const scale = new Float32Array(d).fill(1);
  if (mode === "scale01" && train.byteValued) {
    scale.fill(1 / 255);
  } else if (mode !== "none") {
    const stats = columnStats(train);
    for (let j = 0; j < d; j++) {
      if (stats.count[j] === 0) continue;
      if (mode === "scale01") {
        offset[j] = stats.min[j];
        scale[j] = inverseOrOne(stats.max[j] - stats.min[j]);
      } else {
        offset[j] = stats.mean[j];
        scale[j] = inverseOrOne(stats.std[j]);
      }
    }
  }
  return { mode, offset, scale };
}

/**
 * Normalise a flat block of rows (one input or many, row-major) and return a new Float32Array.
 * Used at prediction time, where inputs arrive one at a time.
 *
 * @example
 * const norm = fitNormalizer(train, "standardize");
 * const input = normalizeRows(norm, Float32Array.of(5.1, 3.5, 1.4, 0.2));
 */
export function normalizeRows(norm: Normalizer, x: Float32Array): Float32Array {
  const d = norm.offset.length;
  if (norm.scale.length !== d) {
    throw new DataError(`normalizer: offset has ${d} features but scale has ${norm.scale.length}`, {
      field: "normalizer.scale",
    });
  }
  if (d === 0 ? x.length !== 0 : x.length % d !== 0) {
    throw new DataError(
      `normalizer: expected rows of ${d} features, got ${x.length} values (not a multiple of ${d})`,
      { field: "input" },
    );
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i += d) {
    for (let j = 0; j < d; j++) out[i + j] = (x[i + j] - norm.offset[j]) * norm.scale[j];
  }
  return out;
}

/**
 * A dataset with normalised inputs: a new x; y, labels and names are shared with `ds`.
 * byteValued is kept only for mode "none", since the values are no longer bytes after any other mode.
 *
 * @example
 * const testN = applyNormalizer(fitNormalizer(train, "scale01"), test);
 */
export function applyNormalizer(norm: Normalizer, ds: Dataset): Dataset {
  if (norm.offset.length !== ds.inputDim) {
    throw new DataError(
      `normalizer was fitted on ${norm.offset.length} features but the dataset has ${ds.inputDim}`,
      { field: "inputDim" },
    );
  }
  const out: Dataset = { ...ds, x: normalizeRows(norm, ds.x) };
  if (norm.mode !== "none" && ds.byteValued) out.byteValued = false;
  return out;
}
