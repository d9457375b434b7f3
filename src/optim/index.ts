/**
 * Optimisers, learning-rate schedules and gradient clipping. An optimiser is a chain of
 * `{init, update}` transforms over plain state; see transform.ts for the step protocol.
 */
export {
  type GradientTransform,
  type NoState,
  type TraceOptions,
  type TraceState,
  addDecayedWeights,
  applyUpdates,
  chain,
  scaleByLearningRate,
  trace,
} from "./transform.js";
export {
  type AdagradScalingOptions,
  type AdagradState,
  type AdamScalingOptions,
  type AdamState,
  type RmsScalingOptions,
  type RmsState,
  scaleByAdagrad,
  scaleByAdam,
  scaleByRms,
} from "./adaptive.js";
export {
  type AdagradOptions,
  type AdamOptions,
  type Optimizer,
  type OptimizerType,
  type RmspropOptions,
  type SgdOptions,
  OPTIMIZER_TYPES,
  adagrad,
  adam,
  adamw,
  optimizerFromConfig,
  optimizers,
  rmsprop,
  sgd,
} from "./optimizers.js";
export {
  type ReduceOnPlateauOptions,
  type ReduceOnPlateauState,
  type Schedule,
  type SchedulePosition,
  type ScheduleSpec,
  type ScheduleType,
  ReduceOnPlateau,
  cosineWithWarmup,
  exponentialDecay,
  scheduleFromConfig,
  schedules,
  stepDecay,
} from "./schedules.js";
export { clipGradNorm, clipGradValue, totalNorm } from "./clip.js";
