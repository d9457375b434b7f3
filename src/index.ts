/**
 * Homeostat's public API. Everything exported here is supported; other modules are internal.
 *
 * @example
 * import { Sequential, Dense, fit, adam, Rng, Tensor } from "homeostat";
 * const model = new Sequential([new Dense(32, { activation: "relu" }), new Dense(3, { activation: "softmax" })])
 *   .build(4, new Rng(0));
 * fit(model, { x, y }, { epochs: 20, batchSize: 16, optimizer: adam({ lr: 1e-3 }), loss: "crossEntropy", seed: 0 });
 */
export { Tensor, type DType, type NestedNumbers } from "./tensor/tensor.js";
export { Rng } from "./tensor/rng.js";
export { HomeostatError, ShapeError, ConfigError, DataError, ModelFileError } from "./tensor/errors.js";
export { Registry, defineKind, type Kind, type Choice } from "./config/registry.js";
export { parseOptions, type OptionSpec, type OptionSchema, type NameSource } from "./config/options.js";
export {
  useBackend,
  backend,
  registerBackend,
  backendNames,
  loadWasmBackend,
  type Backend,
  type BackendOptions,
} from "./backend/index.js";

export * from "./autograd/ops.js";
export {
  mean,
  variance,
  square,
  minimum,
  clamp,
  logSumExp,
  logSoftmax,
  softmax,
  softplus,
  logSigmoid,
  leakyRelu,
  elu,
  selu,
  gelu,
  layerNorm,
  argmaxRows,
} from "./autograd/functional.js";
export { linear, softmaxCrossEntropy } from "./autograd/fused.js";
export { grad, backward } from "./autograd/backward.js";
export { gradCheck, type GradCheckResult } from "./autograd/gradcheck.js";

export {
  Sequential,
  Dense,
  Activation,
  Dropout,
  LayerNorm,
  layerFromConfig,
  layers,
  activations,
  initializers,
  ACTIVATIONS,
  INIT_NAMES,
  initialize,
  type LayerContext,
  type ActivationFn,
  type InitFill,
  type Layer,
  type LayerConfig,
  type ForwardContext,
  type ModelConfig,
  type ActivationName,
  type InitName,
  type DenseOptions,
} from "./nn/index.js";
// Shaped samples, channels last: convolution, pooling, flatten and reshape layers (issue 20).
export {
  Conv2D,
  Conv1D,
  MaxPool2D,
  AvgPool2D,
  GlobalAvgPool,
  Flatten,
  Reshape,
  type ConvOptions,
  type Conv1DOptions,
  type PoolOptions,
  type Pair,
} from "./nn/index.js";
export {
  conv2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool,
  windowGeometry,
  type Padding,
  type WindowOptions,
} from "./autograd/conv.js";
export {
  mse,
  mae,
  huber,
  binaryCrossEntropy,
  crossEntropy,
  lossByName,
  losses,
  type Loss,
  type LossName,
} from "./losses/index.js";
export * from "./optim/index.js";

export {
  fit,
  evaluate,
  predict,
  earlyStopping,
  type FitOptions,
  type FitResult,
  type LabeledData,
  type MetricName,
} from "./train/index.js";
export type { Observer, BatchEvent, EpochEvent, History, TrainingControl, Metrics } from "./train/events.js";
export {
  runRecorder,
  StepRecorder,
  parseRunRecord,
  stringifyRunRecord,
  renderReport,
  type RunRecord,
  type ReportRun,
  type ReportOptions,
} from "./report/index.js";

export { randomShift, type BatchTransform } from "./data/transforms.js";
export { designRank, symmetricEigen } from "./data/linalg.js";

export { encodeModel, decodeModel, type ModelMetadata, type LoadedModel } from "./io/model.js";
export { encodeContainer, decodeContainer, MODEL_FORMAT_VERSION } from "./io/container.js";
export { exportOnnx, importOnnx } from "./io/onnx.js";
export { exportTfjs, importTfjs, writeTfjs, readTfjs, type TfjsModelJson } from "./io/tfjs.js";
// PyTorch weights both ways: safetensors with nn.Sequential names, a generated module, optimiser state.
export {
  exportSafetensors,
  importSafetensors,
  decodeSafetensors,
  encodeSafetensors,
} from "./io/safetensors.js";
export { writeFileAtomic, readModelBytes } from "./io/atomic.js";
export { CheckpointWriter, loadLatestCheckpoint, listCheckpoints } from "./io/checkpoint.js";
export type { TrainingState } from "./train/fit.js";
export type { Batch, LossContext, LayerActivation } from "./train/events.js";
export { loadCsv, parseCsv } from "./data/csv.js";
export { parseIdx, loadIdxDataset } from "./data/idx.js";
export { loadBundledMnist } from "./data/mnist.js";
export { fitNormalizer, applyNormalizer, normalizeRows, type Normalizer } from "./data/normalize.js";
export { splitDataset, subset, oneHot, type Dataset } from "./data/dataset.js";

// The lifelong learner (issue 17): one row at a time, over plain state that saves and resumes exactly.
export * from "./learner/index.js";
export {
  learnerToBytes,
  learnerFromBytes,
  saveLearner,
  loadLearner,
  LEARNER_FILE,
} from "./io/learner-file.js";
export { SeaStream, HyperplaneStream, RbfStream, type StreamRow } from "./data/synthetic-streams.js";
export { FriedmanStream } from "./data/friedman-stream.js";
export { RunningNormalizer, RunningTargetScaler } from "./data/running-normalizer.js";
