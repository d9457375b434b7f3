/**
 * Health: checks before training, a monitor that watches every run, detectors that explain what goes
 * wrong in plain words, and bounded repairs. After AUTOTRAINER (Zhang et al., ICSE 2021) and
 * DeepDiagnosis (Wardat et al., ICSE 2022).
 *
 * @example
 * const events = checkBeforeTraining({ x, y, n, inputDim, outputDim, task: "classification" }, model, "crossEntropy");
 * const health = healthMonitor({ repair: true, onEvent: (e) => console.log(formatEvent(e)) });
 * fit(model, data, { ...opts, observers: [health] });
 */
import type { HealthEvent } from "./findings.js";

export { checkBeforeTraining, CHECK_LIMITS, type DataToCheck } from "./checks.js";
export {
  healthMonitor,
  type DetectorChoice,
  type HealthMonitor,
  type HealthMonitorOptions,
} from "./monitor.js";
export {
  BUILTIN_DETECTOR_NAMES,
  BUILTIN_DETECTORS,
  type CheckContext,
  defineDetector,
  type Detector,
  type DetectorContext,
  type DetectorKind,
  detectors,
  type Verdict,
} from "./kinds.js";
export {
  clipAt,
  reinitDeadUnits,
  type RepairContext,
  rescaleLayers,
  rollback,
  rollbackAndCut,
  scaleLearningRate,
} from "./actions.js";
export {
  DEFAULT_THRESHOLDS,
  type Finding,
  type HealthEvent,
  type HealthKind,
  type Thresholds,
  type TrainingPicture,
} from "./findings.js";
export { plasticityLossKind, forgettingKind, type ForgettingMemory } from "./vitals.js";
export {
  forgettingOf,
  observePlasticity,
  plasticitySignals,
  readPlasticity,
  type PlasticityMemory,
  type PlasticityReading,
  type PlasticitySignals,
} from "./vital-rules.js";
export type { HealthStatistics, LayerStatistics, SeriesPoint } from "./statistics.js";

/**
 * One line, plain words, for the terminal.
 *
 * @example
 * healthMonitor({ onEvent: (e) => console.log(formatEvent(e)) });
 * // "health · step 40 · dyingRelu (layer 0): 93% of the ReLU units … → re-initialise … [repaired]"
 */
export function formatEvent(e: HealthEvent): string {
  const where = e.layer !== undefined ? ` (layer ${e.layer})` : "";
  const when = e.step === 0 ? "before training" : `step ${e.step}`;
  const mark = e.repaired ? " [repaired]" : "";
  return `health · ${when} · ${e.kind}${where}: ${e.diagnosis} → ${e.action}${mark}`;
}
