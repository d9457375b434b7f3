/**
 * Homeostat's public API. Everything exported here is supported; other modules are internal. This
 * entry reaches no `node:` module, so it loads in a browser and in a bundler; what needs a file system
 * (model and learner files, checkpoints, CSV and IDX files, the bundled digits, the service) is in
 * `homeostat/node`. `docs/api-report.md` lists both (`npm run api` writes it; a test compares it).
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
  threadsReady,
  type Backend,
  type BackendOptions,
} from "./backend/index.js";

export {
  neg,
  exp,
  log,
  log1p,
  sqrt,
  abs,
  sign,
  step,
  tanh,
  sigmoid,
  relu,
  erf,
  add,
  sub,
  mul,
  div,
  maximum,
  greater,
  equal,
  where,
  sum,
  max,
  reshape,
  transpose,
  expand,
  matmul,
  type Operand,
  type PrimOp,
  type FusedOp,
} from "./autograd/ops.js";
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
export type { DeferredGradient, DeferredGradients } from "./autograd/deferred.js";
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
  fitSteps,
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

export {
  randomShift,
  randomAffine,
  affineImage,
  type AffineRange,
  type BatchTransform,
} from "./data/transforms.js";

// Model files, interchange and data sets as bytes and text; homeostat/node reads and writes the files.
export { encodeModel, decodeModel, type ModelMetadata, type LoadedModel } from "./io/model.js";
export { encodeContainer, decodeContainer, MODEL_FORMAT_VERSION } from "./io/container.js";
export { exportOnnx, importOnnx } from "./io/onnx.js";
// Frozen pretrained backbones feeding a learner that keeps learning; its file records the backbone.
export { type Backbone, BackboneLearner, FeatureExtractor } from "./io/feature-extractor.js";
export {
  OnnxRuntimeBackbone,
  type OnnxRuntimeOptions,
  type OrtSessionLike,
  type OrtTensorLike,
} from "./io/onnx-runtime-backbone.js";
export { exportTfjs, importTfjs, type TfjsModelJson } from "./io/tfjs.js";
// PyTorch weights both ways: safetensors with nn.Sequential names, a generated module, optimiser state.
export {
  exportSafetensors,
  importSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  architectureOf,
  safetensorsPaths,
  type Architecture,
  type SafetensorsExport,
  type SavedOptimizer,
} from "./io/safetensors.js";
export type { TrainingState } from "./train/fit.js";
export type { Batch, LossContext, LayerActivation } from "./train/events.js";
export { parseCsv, type CsvOptions } from "./data/csv.js";
export { parseIdx, idxToDataset, type IdxArray, type Inflate } from "./data/idx.js";
export { fitNormalizer, applyNormalizer, normalizeRows, type Normalizer } from "./data/normalize.js";
export { splitDataset, subset, oneHot, type Dataset } from "./data/dataset.js";

// The lifelong learner (issue 17): one row at a time, over plain state that saves and resumes exactly.
export * from "./learner/index.js";
// Importing this module installs `learner.toBytes()` and `Learner.fromBytes(bytes)`.
export {
  learnerToBytes,
  learnerFromBytes,
  openLearnerBytes,
  type OpenedLearner,
} from "./io/learner-bytes.js";
export { SeaStream, HyperplaneStream, RbfStream, type StreamRow } from "./data/synthetic-streams.js";
export { FriedmanStream } from "./data/friedman-stream.js";
export { RunningNormalizer, RunningTargetScaler } from "./data/running-normalizer.js";

// Health (issue 21): the pre-training checks, the monitor and its registry of detectors.
export {
  checkBeforeTraining,
  healthMonitor,
  detectors,
  defineDetector,
  BUILTIN_DETECTORS,
  BUILTIN_DETECTOR_NAMES,
  DEFAULT_THRESHOLDS,
  formatEvent,
  rollback,
  rollbackAndCut,
  scaleLearningRate,
  clipAt,
  rescaleLayers,
  reinitDeadUnits,
  type HealthMonitor,
  type HealthMonitorOptions,
  type DetectorChoice,
  type Detector,
  type DetectorKind,
  type DetectorContext,
  type CheckContext,
  type Verdict,
  type RepairContext,
  type HealthEvent,
  type HealthKind,
  type Finding,
  type Thresholds,
  type TrainingPicture,
} from "./health/index.js";

// Homeostasis (issue 21): regulators as observers, their registry, and the balance measures.
export {
  synapticScaling,
  intrinsicPlasticity,
  redo,
  continualBackprop,
  shrinkPerturb,
  l2Init,
  regulators,
  createRegulator,
  parseRegulators,
  balanceMeasures,
  representationRank,
  type Regulator,
  type RegulatorChoice,
  type SynapticScalingOptions,
  type IntrinsicPlasticityOptions,
  type RedoOptions,
  type ContinualBackpropOptions,
  type ShrinkPerturbOptions,
  type L2InitOptions,
  type LayerBalance,
} from "./homeostasis/index.js";

// Units (issue 21): the unit statistics health and homeostasis share, for a user's own measures.
export { unitSites, isUnitLayer, type UnitLayer, type UnitSite } from "./units/layer.js";
export {
  unitActivity,
  dormantFraction,
  saturatedFraction,
  effectiveRank,
  stableRank,
} from "./units/statistics.js";

// Continual learning (issue 21): task streams, strategies and their registry, measures, the runner
// (browser-safe: the config brings its data; homeostat/node's runContinual defaults to the digits).
export {
  makeStream,
  type TaskStream,
  type Task,
  type Scenario,
  type StreamKind,
} from "./continual/streams.js";
export {
  strategies,
  createStrategy,
  naive,
  joint,
  ewc,
  onlineEwc,
  si,
  mas,
  lwf,
  replay,
  agem,
  derpp,
  erAce,
  ReservoirBuffer,
  type StrategyChoice,
} from "./continual/strategies/index.js";
export type { Strategy, TaskContext } from "./continual/strategy.js";
export {
  continualMeasures,
  formatAccuracyMatrix,
  type ContinualMeasures,
  type ForgettingMeasures,
} from "./continual/measures.js";
export {
  runContinual,
  continualStreams,
  runStrategy,
  type ContinualConfig,
  type ContinualHooks,
  type ContinualResult,
  type ContinualState,
} from "./continual/runner.js";
export { parseContinualConfig } from "./continual/config.js";

// Normalisation, embeddings and blocks beyond a plain stack (issue 20): residual sums and concatenations.
export { gather, scatterAdd } from "./autograd/ops.js";
export { batchNorm, groupNorm, concat, normalizeWith } from "./autograd/composites.js";
export { BatchNorm, GroupNorm, Embedding, type BatchNormOptions } from "./nn/norm-layers.js";
export { Residual, Concat } from "./nn/blocks.js";

// The browser runtime: training in a worker (Web Worker or worker_threads), bytes in browser storage.
export { trainInWorker, type WorkerTrainingOptions } from "./web/train-in-worker.js";
export { learnerInWorker, type WorkerLearner, type WorkerLearnerOptions } from "./web/learner-in-worker.js";
export {
  runTrainingJob,
  type TrainingJob,
  type TrainingJobResult,
  type JobEvents,
  type JobBackend,
  type WorkerBatchEvent,
} from "./web/training-job.js";
export {
  saveBytes,
  loadBytes,
  deleteBytes,
  fetchBytes,
  downloadBytes,
  type BrowserStore,
} from "./web/storage.js";
