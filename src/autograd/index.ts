export * from "./ops.js";
export * from "./functional.js";
export { allButLast, batchNorm, concat, groupNorm, normalizeWith } from "./composites.js";
export { linear, softmaxCrossEntropy } from "./fused.js";
export { grad, backward } from "./backward.js";
export { gradCheck, type GradCheckResult } from "./gradcheck.js";
export { gradients, sumTo, type GradRule } from "./gradients.js";
