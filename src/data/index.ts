/**
 * Datasets and loaders: the Dataset shape, splits, CSV and IDX readers, the bundled MNIST digits and
 * input normalisers. Everything here is plain data and pure functions; nothing reads global state.
 */
export { type Dataset, type SplitOptions, oneHot, subset, splitDataset, validationSplit } from "./dataset.js";
export { type CsvOptions, AUTO_MAX_CLASSES, parseCsv } from "./csv.js";
export { loadCsv, loadIdxDataset } from "./files.js";
export {
  type Table,
  type TableRow,
  type HeaderRule,
  type MissingPolicy,
  MISSING_POLICIES,
  FLOAT32_MAX,
  readTable,
  readNumber,
  columnIndex,
  numericColumns,
  fillValues,
  fillMissing,
} from "./rows.js";
export { type StreamedRow, readRowStream } from "./row-stream.js";
export {
  type IdxType,
  type IdxData,
  type IdxArray,
  type IdxDatasetOptions,
  MAX_INFLATED_BYTES,
  parseIdx,
  idxToDataset,
  type Inflate,
} from "./idx.js";
export {
  BUNDLED_MNIST_SPLIT_SEED,
  BUNDLED_MNIST_TRAIN,
  BUNDLED_MNIST_TEST,
  loadBundledMnist,
} from "./mnist.js";
export {
  type NormalizeMode,
  type Normalizer,
  NORMALIZE_MODES,
  fitNormalizer,
  applyNormalizer,
  normalizeRows,
} from "./normalize.js";
