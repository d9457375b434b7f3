/**
 * What the health monitor finds and reports: the kinds of problem, the events, the thresholds (one
 * table, every detector's defaults), the training picture detectors read, and the diagnosis of a loss that
 * blew up (made on the step it happens, not at a check).
 */
import type { LayerStatistics } from "./statistics.js";

/** What went wrong. The first group is found before training, the second during it, the third names repairs. */
export type BuiltinHealthKind =
  | "nonFiniteData"
  | "unscaledInputs"
  | "labelsOutOfRange"
  | "lossMismatch"
  | "constantFeature"
  | "collinearFeatures"
  | "emptyClass"
  | "duplicateClass"
  | "nonFinite"
  | "divergence"
  | "explodingGradients"
  | "vanishingGradients"
  | "dyingRelu"
  | "saturation"
  | "oscillation"
  | "plateau"
  | "notLearning"
  | "lrTooHigh"
  | "lrTooLow"
  | "overfitting"
  | "rollback"
  | "learningRateCut"
  | "learningRateRaise"
  | "gradientClipping"
  | "unitReinit"
  | "weightRescale"
  | "failed";

/** A built-in kind, or the name a user's own detector gives its findings. */
export type HealthKind = BuiltinHealthKind | (string & {});

/**
 * One thing the monitor found or did: the step, the kind, the layer, the evidence, the diagnosis in plain
 * words and the action, and whether it was repaired.
 */
export interface HealthEvent {
  /** Optimiser step at which it was found (0 = before training). */
  step: number;
  kind: HealthKind;
  /** Layer name ("0", "1", …) or "input"/"output" for data checks. */
  layer?: string;
  /** The numbers the rule looked at. */
  evidence: Record<string, number>;
  /** What is wrong and why, in plain words. */
  diagnosis: string;
  /** What was done, or what the user should do. */
  action: string;
  /** Set when the monitor repaired it. */
  repaired?: boolean;
}

/**
 * Every threshold in one place. Starting points are AUTOTRAINER's defaults (Zhang et al., ICSE 2021:
 * β₁ = 1e-3, β₂ = 1e-4, β₃ = 70, γ = 0.7, δ = 0.01, Θ = 0.7, NaN or loss ≥ 1e5; overfitting gaps 0.1/0.07),
 * adapted from per-epoch to per-check windows and tuned on the zoo in test/health-zoo.test.ts.
 */
export interface Thresholds {
  /** Heavy statistics (norms, update ratios, activations, rank) every this many steps; also the window of loss means. */
  checkEvery: number;
  /** Checks before progress-based rules (plateau, not learning, update ratio) may judge. */
  warmupChecks: number;
  /** A batch loss at or above this counts as blown up (AUTOTRAINER). */
  lossCeiling: number;
  /** Divergence: a window's mean loss above this many times the first window's. */
  divergenceFactor: number;
  /** Exploding: first-layer over last-layer gradient norm above this (AUTOTRAINER β₃)… */
  explodingRatio: number;
  /** …or the global gradient norm above this many times its running median. */
  explodingGrowth: number;
  /** Vanishing: first-layer over last-layer gradient norm below this (AUTOTRAINER β₁)… */
  vanishingRatio: number;
  /** …and the first layer's gradient norm below this (AUTOTRAINER β₂). */
  vanishingNorm: number;
  /** Dying ReLU: fraction of units never active over the window (AUTOTRAINER γ, there on zero gradients). */
  deadFraction: number;
  /** Checks (sampled batches) a unit must stay inactive to count as dead. */
  deadWindowChecks: number;
  /** τ of τ-dormant units (Sokar et al. 2023); a statistic, not a detector. */
  dormantTau: number;
  /** Saturation: fraction of sigmoid/tanh outputs within 1% of their bounds. */
  saturatedFraction: number;
  /** Oscillation: relative swing (peak − trough)/trough of window losses that counts as one oscillation… */
  oscillationSwing: number;
  /** …and how many such swings in the last `historyChecks` windows. */
  oscillationCount: number;
  /** Windows the oscillation and plateau rules look back over. */
  historyChecks: number;
  /** Plateau: best window loss improved by less than this fraction over `historyChecks` windows (AUTOTRAINER δ)… */
  plateauImprovement: number;
  /** …while accuracy is below this (AUTOTRAINER Θ), or (regression) loss above this fraction of the first window's. */
  satisfiedAccuracy: number;
  plateauLossFraction: number;
  /** Not learning: accuracy at most chance + this × (1 − chance). */
  chanceMargin: number;
  /** Learning rate too high / too low: median update-to-weight ratio of the weight matrices above / below these (~1e-3 is healthy). */
  updateRatioHigh: number;
  updateRatioLow: number;
  /** Learning rate too high: some weight matrix's norm grew by more than this factor between two checks. */
  weightGrowth: number;
  /** Overfitting: train − validation accuracy at least this while train accuracy ≤ 0.9 … (AUTOTRAINER) */
  overfitGap: number;
  /** … or at least this when train accuracy > 0.9 (AUTOTRAINER); regression: validation loss over train loss above `overfitLossRatio`. */
  overfitGapHigh: number;
  overfitLossRatio: number;
  /** Epochs in a row the overfitting rule must hold. */
  overfitEpochs: number;
}

/**
 * The thresholds every built-in detector reads unless its own options say otherwise (AUTOTRAINER's and
 * Sokar et al.'s where they give one, the rest tuned on the zoo of broken runs; see docs/health.md).
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  checkEvery: 20,
  warmupChecks: 5,
  lossCeiling: 1e5,
  divergenceFactor: 3,
  explodingRatio: 70,
  explodingGrowth: 100,
  vanishingRatio: 1e-3,
  vanishingNorm: 1e-4,
  deadFraction: 0.7,
  deadWindowChecks: 3,
  dormantTau: 0.025,
  saturatedFraction: 0.6,
  oscillationSwing: 0.5,
  oscillationCount: 3,
  historyChecks: 8,
  plateauImprovement: 0.01,
  satisfiedAccuracy: 0.7,
  plateauLossFraction: 0.5,
  chanceMargin: 0.1,
  updateRatioHigh: 0.3,
  updateRatioLow: 1e-4,
  weightGrowth: 5,
  overfitGap: 0.1,
  overfitGapHigh: 0.07,
  overfitLossRatio: 3,
  overfitEpochs: 2,
};

/** What a detector sees at a check. */
export interface TrainingPicture {
  step: number;
  /** Heavy checks so far, this one included. */
  checks: number;
  /** Mean batch loss of the first check window, then of the most recent ones, oldest first. */
  lossMeans: readonly number[];
  /** The lowest window loss among windows no longer in `lossMeans` (∞ when none was dropped). */
  droppedBestLoss: number;
  /** Mean batch accuracy of each window (classification only; empty for regression). */
  accuracyMeans: readonly number[];
  /** Accuracy of always predicting the most frequent class seen so far. */
  chance: number;
  gradNorm: number;
  /** Median global gradient norm of earlier checks (NaN at the first). */
  gradNormMedian: number;
  /** The global gradient norm at the first check: the scale of gradients while the model was still learning. */
  firstGradNorm: number;
  /** Hidden and output layers with parameters, input side first. */
  layers: readonly LayerStatistics[];
  /** Whether the dead-unit window has filled. */
  deadWindowFull: boolean;
}

/**
 * What a detector's rule returns when something is wrong: its kind, where, the evidence, the diagnosis and the action.
 */
export interface Finding {
  kind: HealthKind;
  layer?: string;
  evidence: Record<string, number>;
  diagnosis: string;
  action: string;
}

/** One rule over the picture, with the thresholds it reads: a finding, or null when all is well. */
export type Rule = (p: TrainingPicture, t: Thresholds) => Finding | null;

/** Numbers as the diagnoses write them: a percentage, one significant digit in scientific notation. */
export const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
export const sci = (x: number): string => x.toExponential(1);
export const last = <T>(a: readonly T[]): T => a[a.length - 1];
/** Median of the finite values (the upper one of an even count), NaN when there is none. */
export const median = (a: readonly number[]): number => {
  const s = [...a].filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** True when a batch's loss is NaN/±∞ or at least `lossCeiling` (AUTOTRAINER's blown-up loss). */
export function lossBlewUp(loss: number, t: Thresholds): boolean {
  return !(Number.isFinite(loss) && loss < t.lossCeiling);
}

/**
 * Why the loss blew up, from the batch and its gradients: NaN inputs (the data), gradients that are
 * non-finite or grow towards the input (exploding), or else an unexplained non-finite loss.
 */
export function diagnoseBlowUp(
  step: number,
  loss: number,
  nonFiniteInputs: number,
  layerGradNorms: readonly { layer: string; gradNorm: number }[],
  typicalGradNorm: number,
  t: Thresholds,
): Finding {
  const shown = Number.isFinite(loss) ? sci(loss) : String(loss);
  if (nonFiniteInputs > 0) {
    return {
      kind: "nonFinite",
      evidence: { loss, nonFiniteInputs },
      diagnosis: `the loss became ${shown} at step ${step} because ${nonFiniteInputs} input value(s) of this batch are NaN or infinite: the data itself is broken`,
      action: "clean or impute the non-finite cells (the checks before training name their rows and columns)",
    };
  }
  const first = layerGradNorms[0];
  const out = layerGradNorms[layerGradNorms.length - 1];
  const gradNorm = Math.hypot(...layerGradNorms.map((l) => l.gradNorm));
  const ratio = first && out ? first.gradNorm / Math.max(out.gradNorm, 1e-30) : NaN;
  const growth = gradNorm / (Number.isFinite(typicalGradNorm) && typicalGradNorm > 0 ? typicalGradNorm : 1);
  if (first && (!Number.isFinite(gradNorm) || ratio > t.explodingRatio || growth > t.explodingGrowth)) {
    const how = !Number.isFinite(gradNorm)
      ? "gradients that are no longer finite"
      : ratio > t.explodingRatio
        ? `gradients ${ratio.toFixed(0)}× larger at layer ${first.layer} than at the output`
        : `a gradient norm of ${sci(gradNorm)}, ${growth.toFixed(0)}× the typical one`;
    return {
      kind: "explodingGradients",
      layer: first.layer,
      evidence: {
        loss,
        gradNorm: Number.isFinite(gradNorm) ? gradNorm : -1,
        ratio: Number.isFinite(ratio) ? ratio : -1,
        growth: Number.isFinite(growth) ? growth : -1,
      },
      diagnosis: `the loss became ${shown} at step ${step} with ${how}: gradients explode on their way back (weights initialised too large, or a learning rate too high for this depth)`,
      action: "roll back to the last healthy weights and turn on global-norm gradient clipping",
    };
  }
  return {
    kind: "nonFinite",
    evidence: { loss, gradNorm },
    diagnosis: `the loss became ${shown} at step ${step}: the weights blew up (learning rate too high)`,
    action: "roll back to the last healthy weights and cut the learning rate",
  };
}
