/**
 * Continual learning: task streams (split, permuted, rotated; task-, domain- and class-incremental;
 * task-free), strategies as training-loop observers (naive, joint, EWC, online EWC, SI, MAS, LwF,
 * replay, A-GEM), and the measures of forgetting and transfer.
 *
 * @example
 * import { parseContinualConfig, runContinual, formatAccuracyMatrix } from "./continual/index.js";
 * const result = runContinual(parseContinualConfig({ stream: "split", scenario: "class", epochs: 10,
 *   strategy: { type: "replay", bufferSize: 500 } }));
 * console.log(formatAccuracyMatrix(result.R, result.taskNames));
 */
export {
  type Scenario,
  type StreamKind,
  type StreamOptions,
  type Task,
  type TaskStream,
  SCENARIOS,
  STREAM_KINDS,
  makeStream,
  rotation,
} from "./streams.js";
export { activeUnits, headAccuracy, headLoss, maskLogits, selectUnits } from "./heads.js";
export {
  type ContinualMeasures,
  type ForgettingMeasures,
  continualMeasures,
  formatAccuracyMatrix,
} from "./measures.js";
export {
  type Strategy,
  type TaskContext,
  cloneModel,
  concatData,
  gather,
  lossFromLogits,
  perSampleGradients,
  snapshotParameters,
} from "./strategy.js";
export { quadraticPenalty } from "../losses/penalties.js";
export {
  type StrategyChoice,
  strategies,
  ReservoirBuffer,
  agem,
  createStrategy,
  ewc,
  joint,
  lwf,
  mas,
  naive,
  onlineEwc,
  replay,
  si,
} from "./strategies/index.js";
export { fisherDiagonal } from "./strategies/ewc.js";
export { distillation } from "./strategies/lwf.js";
export {
  type ContinualConfig,
  type ContinualHooks,
  type ContinualResult,
  type ContinualState,
  type OnlineRecord,
  type StreamRun,
  buildContinualModel,
  runStrategy,
} from "./runner.js";
export { continualStreams, runContinual } from "./bundled.js";
export { DEFAULT_HIDDEN_LAYERS, parseContinualConfig, parseStrategy } from "./config.js";
