/**
 * The lifelong learner (learner.ts) and the parts it is made of: drift detectors, the replay memory,
 * prequential scores, the growing head.
 */
export {
  type ClassPrediction,
  type Label,
  Learner,
  type LearnerConfig,
  type LearnerState,
  type LearnerVitals,
  type Prediction,
  type Row,
  type ValuePrediction,
} from "./learner.js";
export { LEARNER_OPTIONS, parseLearnerConfig } from "./config.js";
export type { LearnerListener } from "./listen.js";
export * from "./drift.js";
