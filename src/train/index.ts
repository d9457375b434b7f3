export * from "./events.js";
export { fit, fitSteps, type FitOptions, type FitResult } from "./fit.js";
export {
  evaluate,
  predict,
  lossAndOutput,
  rowSlice,
  MetricAccumulator,
  type LabeledData,
  type MetricName,
} from "./evaluate.js";
export { earlyStopping, type EarlyStoppingOptions } from "./observers.js";
