/**
 * Homeostat's Node-only API (`import … from "homeostat/node"`): everything of the root entry, plus what
 * needs Node's file system, network or processes: the learning service (`serve`), the durable learner
 * with its write-ahead log, the flight recorder (`replayLearner`, `traceLearner`), the learner's files.
 * The root entry ("homeostat") stays loadable in a browser; this one is not meant to be.
 *
 * @example
 * import { Learner, serve } from "homeostat/node";
 * const service = await serve(Learner.create({ task: "classification" }), { dir: "runs/service", port: 8470 });
 * // curl -d '{"x": [1, 2], "y": "a"}' localhost:8470/observe; open http://localhost:8470/ for the dashboard
 * await service.close();
 */
export * from "./index.js";

// Files for what the root does in bytes: models, checkpoints, TF.js folders, safetensors, data sets.
export { writeFileAtomic, readModelBytes, ensureDirectory, type AtomicFs } from "./io/atomic.js";
export {
  CheckpointWriter,
  loadLatestCheckpoint,
  listCheckpoints,
  type CheckpointContents,
  type CheckpointMeta,
} from "./io/checkpoint.js";
export { writeTfjs, readTfjs } from "./io/tfjs-files.js";
export { readArchitectureFile, writeSafetensors } from "./io/safetensors-files.js";
export { loadCsv, loadIdxDataset } from "./data/files.js";
export {
  loadBundledMnist,
  BUNDLED_MNIST_SPLIT_SEED,
  BUNDLED_MNIST_TRAIN,
  BUNDLED_MNIST_TEST,
} from "./data/mnist.js";
export { DigitStream, type DigitRow, type DigitStreamOptions } from "./data/digit-stream.js";
// Importing this module installs `learner.save(dir)` and `Learner.load(dir)`.
export { saveLearner, loadLearner, openLearner, LEARNER_FILE } from "./io/learner-file.js";
// These two shadow the root's: the same runner, with the bundled digits when the config has no data.
export { runContinual, continualStreams } from "./continual/bundled.js";
export { serve, type ServeOptions, type Service } from "./serve/server.js";
export { DurableLearner, type DurableOptions, type ObserveAnswer, type Observed } from "./serve/durable.js";
export {
  WriteAheadLog,
  LogError,
  encodeRecords,
  decodeSegment,
  type LogRecord,
  type LogOptions,
  type LogFs,
} from "./serve/wal.js";
export { replayLearner, checkpointSeqs, type ReplayWindow, type Replayed } from "./serve/replay.js";
export { traceLearner, type TraceRow } from "./serve/replay-trace.js";
export { prometheusText, METRICS_CONTENT_TYPE } from "./serve/metrics.js";
export { dashboardPage, DASHBOARD_CSP } from "./serve/dashboard.js";
