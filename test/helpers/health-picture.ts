/** Hand-made training pictures for the detectors' unit tests: healthy, so a test changes one number at a time. */
import type { TrainingPicture } from "../../src/health/findings.js";
import type { LayerStatistics } from "../../src/health/statistics.js";

/** A healthy ReLU layer. */
export function layer(name: string, over: Partial<LayerStatistics> = {}): LayerStatistics {
  return {
    layer: name,
    activation: "relu",
    gradNorm: 1,
    weightNorm: 5,
    updateRatio: 3e-3,
    weightGrowth: 1.05,
    activationMean: 0.3,
    preActivationStd: 1,
    deadFraction: 0.05,
    inactiveFraction: 0.05,
    dormantFraction: 0.02,
    saturatedFraction: NaN,
    effectiveRank: 10,
    ...over,
  };
}

/** A healthy picture at the 10th check of a classification run at 90% accuracy. */
export function picture(over: Partial<TrainingPicture> = {}): TrainingPicture {
  return {
    step: 200,
    checks: 10,
    lossMeans: [2.3, 1.2, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36, 0.35],
    accuracyMeans: [0.2, 0.6, 0.75, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9],
    droppedBestLoss: Infinity,
    chance: 0.11,
    gradNorm: 1.4,
    gradNormMedian: 1.3,
    firstGradNorm: 2,
    layers: [layer("0"), layer("1", { activation: "softmax", deadFraction: NaN, inactiveFraction: NaN })],
    deadWindowFull: true,
    ...over,
  };
}

/** The kind of a finding, or null when none. */
export const kindOf = (f: { kind: string } | null): string | null => f?.kind ?? null;

/** Epoch `i`'s end of a run that overfits: train accuracy 85%, validation 60% (a gap of 0.25). */
export const overfittingEpoch = (i: number) => ({
  epoch: i,
  train: { loss: 0.2, accuracy: 0.85 },
  validation: { loss: 0.9, accuracy: 0.6 },
  lr: 1e-3,
  steps: 10 * (i + 1),
  seconds: 1,
});
