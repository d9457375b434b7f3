export * from "./ops.js";
export * from "./functional.js";
export { allButLast, batchNorm, concat, groupNorm, normalizeWith } from "./composites.js";
export { linear, softmaxCrossEntropy } from "./fused.js";
export { grad, backward } from "./backward.js";
export type { DeferredGradient, DeferredGradients } from "./deferred.js";
export { gradCheck, type GradCheckResult } from "./gradcheck.js";
export { gradients, sumTo, type GradRule } from "./gradients.js";
export {
  windowGeometry,
  conv2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool,
  type Padding,
  type WindowOptions,
} from "./conv.js";
