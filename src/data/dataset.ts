/**
 * The in-memory dataset every loader produces and every trainer consumes: two row-major Float32
 * matrices (inputs and targets) plus the metadata a report needs (class names, feature names).
 * Keeping it a plain object of typed arrays means a split or a subset is a copy of rows, nothing more,
 * and a dataset can cross a worker boundary or be checksummed without any special handling.
 */
import { ConfigError, DataError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";

/**
 * A table of rows in memory: inputs and targets as row-major float32 arrays, with their widths and, for
 * classification, the class names.
 */
export interface Dataset {
  /** n × inputDim, row-major. */
  x: Float32Array;
  /** n × outputDim, row-major: one-hot for classification, target values for regression. */
  y: Float32Array;
  n: number;
  inputDim: number;
  outputDim: number;
  task: "classification" | "regression";
  /** Class index per row (classification). */
  labels?: Int32Array;
  /** Class names in one-hot order (classification). */
  classes?: string[];
  featureNames?: string[];
  /**
   * The shape of one row as an image, channels last ([28, 28, 1] for IDX digits; its product is
   * `inputDim`); absent for plain feature rows. Rows stay flat in `x`: a model built on this shape reads
   * them as images (see `modelInput`).
   */
  shape?: number[];
  /** x came from bytes 0..255 (IDX ubyte), so the "scale01" normaliser divides by 255. */
  byteValued?: boolean;
  /** How the task was inferred from the target column, when that is worth telling the user. */
  taskNote?: string;
}

/**
 * What to build a model on for this data: the image shape when the data has one and the model's first
 * layer that cares reads images (a convolution, a pool, a flatten, a residual block); the row width
 * otherwise, so a dense network on image rows reads flat rows as before. Normalisation, dropout and
 * activation layers take either, so the layer after them decides.
 *
 * @example
 * new Sequential(layers).build(modelInput(layers, digits), rng); // [28, 28, 1] for a CNN, 784 for an MLP
 */
export function modelInput(layers: readonly { type: string }[], ds: Dataset): number | number[] {
  const first = layers.find((l) => !EITHER_SHAPE.has(l.type));
  return ds.shape && first && IMAGE_LAYERS.has(first.type) ? [...ds.shape] : ds.inputDim;
}

const EITHER_SHAPE = new Set(["activation", "dropout", "batchNorm", "layerNorm", "groupNorm"]);
const IMAGE_LAYERS = new Set([
  "conv2d",
  "maxPool2d",
  "avgPool2d",
  "globalAvgPool",
  "flatten",
  "residual",
  "concat",
]);

/**
 * Give `ds` an image shape (a run config's `data.shape`); its product must be the row width. `file`
 * names the data in the error.
 *
 * @example
 * withShape(loadCsv("pixels.csv", { target: "label" }), [28, 28, 1], "pixels.csv");
 */
export function withShape(ds: Dataset, shape: readonly number[], file: string): Dataset {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== ds.inputDim)
    throw new DataError(
      `${file}: data.shape [${shape.join(", ")}] holds ${size} values but each row has ${ds.inputDim} features`,
      { file, field: "data.shape" },
    );
  return { ...ds, shape: [...shape] };
}

/**
 * One-hot encode class indices into an n × k Float32 matrix.
 * A label outside [0, k) is a data problem (a class the caller did not count), so it is a DataError.
 *
 * @example
 * oneHot(Int32Array.of(2, 0), 3); // Float32Array [0,0,1, 1,0,0]
 */
export function oneHot(labels: ArrayLike<number>, k: number): Float32Array {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`oneHot: k must be a positive integer, got ${k}`);
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new DataError(`oneHot: label ${c} at row ${i} is outside 0..${k - 1}`);
    }
    out[i * k + c] = 1;
  }
  return out;
}

/**
 * A new dataset holding the given rows, in the given order (repeats allowed). x, y and labels are
 * copied; class and feature names are shared, since they are never mutated.
 *
 * @example
 * const firstTwo = subset(ds, [0, 1]);
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const m = indices.length;
  const { inputDim: dx, outputDim: dy } = ds;
  const x = new Float32Array(m * dx);
  const y = new Float32Array(m * dy);
  const labels = ds.labels ? new Int32Array(m) : undefined;
  for (let r = 0; r < m; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) {
      throw new ConfigError(`subset: row index ${i} (position ${r}) is outside 0..${ds.n - 1}`);
    }
    x.set(ds.x.subarray(i * dx, (i + 1) * dx), r * dx);
    y.set(ds.y.subarray(i * dy, (i + 1) * dy), r * dy);
    if (labels) labels[r] = ds.labels![i];
  }
  return withRows(ds, x, y, m, labels);
}

/** Rows [start, end) as a new dataset (a copy; contiguous, so one `slice` per array). */
function rowRange(ds: Dataset, start: number, end: number): Dataset {
  const x = ds.x.slice(start * ds.inputDim, end * ds.inputDim);
  const y = ds.y.slice(start * ds.outputDim, end * ds.outputDim);
  return withRows(ds, x, y, end - start, ds.labels?.slice(start, end));
}

function withRows(ds: Dataset, x: Float32Array, y: Float32Array, n: number, labels?: Int32Array): Dataset {
  const out: Dataset = { ...ds, x, y, n };
  if (labels) out.labels = labels;
  else delete out.labels;
  return out;
}

export interface SplitOptions {
  /** Number of rows for the test split. Give this or `testFraction`, not both. */
  testCount?: number;
  /** Fraction of rows for the test split, rounded to the nearest row. */
  testFraction?: number;
  /** Seed of the shuffle; the same seed always gives the same split. */
  seed: number;
}

/**
 * Shuffle the rows with a seeded `Rng`, then put the first n − testCount rows of the permutation in
 * `train` and the rest in `test`. Deterministic: the same dataset and seed give the same split.
 *
 * @example
 * const { train, test } = splitDataset(ds, { testFraction: 0.2, seed: 1 });
 */
export function splitDataset(ds: Dataset, opts: SplitOptions): { train: Dataset; test: Dataset } {
  const { testCount, testFraction, seed } = opts;
  if ((testCount === undefined) === (testFraction === undefined)) {
    throw new ConfigError("splitDataset: give exactly one of testCount or testFraction", {
      field: "testCount",
    });
  }
  let count: number;
  if (testFraction !== undefined) {
    if (!(testFraction >= 0 && testFraction <= 1)) {
      throw new ConfigError(`splitDataset: testFraction must be in [0, 1], got ${testFraction}`, {
        field: "testFraction",
      });
    }
    count = Math.round(ds.n * testFraction);
  } else {
    count = testCount!;
    if (!Number.isInteger(count) || count < 0 || count > ds.n) {
      throw new ConfigError(`splitDataset: testCount must be an integer in [0, ${ds.n}], got ${count}`, {
        field: "testCount",
      });
    }
  }
  if (!Number.isFinite(seed))
    throw new ConfigError(`splitDataset: seed must be a finite number, got ${seed}`, { field: "seed" });
  const perm = new Rng(seed).permutation(ds.n);
  const cut = ds.n - count;
  return { train: subset(ds, perm.subarray(0, cut)), test: subset(ds, perm.subarray(cut)) };
}

/**
 * Hold out the LAST `fraction` of rows as validation, in their original order and before any shuffling,
 * as Keras' `validation_split` does: the training split is the first floor(n · (1 − fraction)) rows.
 * Shuffle the data first (splitDataset, subset) if the file is sorted by class.
 *
 * @example
 * const { train, validation } = validationSplit(ds, 0.1); // last 10% of rows validate
 */
export function validationSplit(ds: Dataset, fraction: number): { train: Dataset; validation: Dataset } {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new ConfigError(`validationSplit: fraction must be in [0, 1), got ${fraction}`, {
      field: "validationSplit",
    });
  }
  const cut = Math.floor(ds.n * (1 - fraction));
  return { train: rowRange(ds, 0, cut), validation: rowRange(ds, cut, ds.n) };
}
