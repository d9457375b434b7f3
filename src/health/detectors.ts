/**
 * Detectors: each is one small rule over what the monitor measured, with its thresholds in the one
 * table below. A detector returns a finding (kind, layer, evidence, plain-words diagnosis, action) or
 * null; the monitor decides what to do about it.
 */
import type { Metrics } from "../train/events.js";
import type { LayerStatistics } from "./statistics.js";

/** What went wrong. The first group is found before training, the second during it, the third names repairs. */
export type HealthKind =
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

export interface Finding {
  kind: HealthKind;
  layer?: string;
  evidence: Record<string, number>;
  diagnosis: string;
  action: string;
}

export type Detector = (p: TrainingPicture, t: Thresholds) => Finding | null;

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const sci = (x: number): string => x.toExponential(1);
const last = <T>(a: readonly T[]): T => a[a.length - 1];
const median = (a: readonly number[]): number => {
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

/** Weights or gradients hold NaN/±∞ although the loss is still finite (a ReLU can hide NaN inputs: max(0, NaN) = 0). */
export const detectNonFiniteWeights: Detector = (p) => {
  const bad = p.layers.find((l) => !Number.isFinite(l.weightNorm) || !Number.isFinite(l.gradNorm));
  if (!bad) return null;
  return {
    kind: "nonFinite",
    layer: bad.layer,
    evidence: {
      weightNorm: Number.isFinite(bad.weightNorm) ? bad.weightNorm : -1,
      gradNorm: Number.isFinite(bad.gradNorm) ? bad.gradNorm : -1,
    },
    diagnosis: `the ${Number.isFinite(bad.weightNorm) ? "gradients" : "weights"} of layer ${bad.layer} hold NaN or infinite values while the loss still looks finite: NaN inputs (hidden by ReLU) or an overflow corrupted them`,
    action: "roll back to the last healthy weights and cut the learning rate; check the data for NaN cells",
  };
};

/** The windowed loss rose well above where training started. */
export const detectDivergence: Detector = (p, t) => {
  if (p.lossMeans.length < 2) return null;
  const now = last(p.lossMeans);
  const first = p.lossMeans[0];
  if (!(now > t.divergenceFactor * first)) return null;
  return {
    kind: "divergence",
    evidence: { loss: now, initialLoss: first, factor: now / first },
    diagnosis: `the loss is ${(now / first).toFixed(1)}× higher than at the start (${now.toPrecision(3)} vs ${first.toPrecision(3)}): training is diverging, usually a learning rate that is too high`,
    action: "roll back to the last healthy weights and cut the learning rate",
  };
};

/** Gradients grow from the output towards the input, or jump far above their usual size. */
export const detectExplodingGradients: Detector = (p, t) => {
  const [first, out] = [p.layers[0], last(p.layers)];
  const ratio = first.gradNorm / Math.max(out.gradNorm, 1e-30);
  // A jump counts only above the gradients of early training: a converged model meeting one hard batch is not exploding.
  const growth = p.gradNorm > p.firstGradNorm ? p.gradNorm / p.gradNormMedian : 0;
  if (!(ratio > t.explodingRatio || growth > t.explodingGrowth)) return null;
  return {
    kind: "explodingGradients",
    layer: first.layer,
    evidence: {
      gradNorm: p.gradNorm,
      firstLayerGradNorm: first.gradNorm,
      lastLayerGradNorm: out.gradNorm,
      ratio,
      growth: Number.isFinite(growth) ? growth : 0,
    },
    diagnosis:
      ratio > t.explodingRatio
        ? `the gradient of layer ${first.layer} is ${ratio.toFixed(0)}× that of the output layer: gradients grow as they flow back (weights initialised too large, or a network too deep for its initialisation)`
        : `the gradient norm jumped to ${growth.toFixed(0)}× its usual size (${sci(p.gradNorm)}): one bad step can throw the weights far away`,
    action: "turn on global-norm gradient clipping",
  };
};

/** Gradients shrink to nothing on their way back to the first layer. */
export const detectVanishingGradients: Detector = (p, t) => {
  if (p.layers.length < 2 || dying(p, t)) return null;
  const [first, out] = [p.layers[0], last(p.layers)];
  const ratio = first.gradNorm / Math.max(out.gradNorm, 1e-30);
  if (!(ratio < t.vanishingRatio && first.gradNorm < t.vanishingNorm)) return null;
  return {
    kind: "vanishingGradients",
    layer: first.layer,
    evidence: { firstLayerGradNorm: first.gradNorm, lastLayerGradNorm: out.gradNorm, ratio },
    diagnosis: `the gradient reaching layer ${first.layer} is ${sci(ratio)} of the output layer's: the early layers barely learn (saturating activations such as sigmoid/tanh stacked deep, or weights too small)`,
    action:
      "use ReLU-family activations with He initialisation, fewer layers, or normalisation between layers",
  };
};

/** Most ReLU units of a layer have not fired once over the window. */
export const detectDyingRelu: Detector = (p, t) => {
  if (!p.deadWindowFull) return null;
  const worst = worstLayer(p.layers, (l) => l.deadFraction);
  if (!worst || !(worst.deadFraction >= t.deadFraction)) return null;
  return {
    kind: "dyingRelu",
    layer: worst.layer,
    evidence: {
      deadFraction: worst.deadFraction,
      dormantFraction: worst.dormantFraction,
      windowChecks: t.deadWindowChecks,
    },
    diagnosis: `${pct(worst.deadFraction)} of the ReLU units in layer ${worst.layer} output zero for every sample seen over the last ${t.deadWindowChecks} checks: they are dead and get no gradient (a large update or a very negative bias pushed them below zero)`,
    action: "re-initialise the dead units (fresh incoming weights, zero bias, zero outgoing weights)",
  };
};

/** Sigmoid/tanh units sit at their bounds, where their derivative is ~0. */
export const detectSaturation: Detector = (p, t) => {
  const worst = worstLayer(p.layers, (l) => l.saturatedFraction);
  // Saturated units that fit the data well are confident, not stuck.
  if (!worst || !(worst.saturatedFraction >= t.saturatedFraction) || !stillPoor(p, t)) return null;
  return {
    kind: "saturation",
    layer: worst.layer,
    evidence: { saturatedFraction: worst.saturatedFraction, preActivationStd: worst.preActivationStd },
    diagnosis: `${pct(worst.saturatedFraction)} of the ${worst.activation} outputs of layer ${worst.layer} are pinned at their bounds (pre-activation spread ${worst.preActivationStd.toPrecision(3)}): their derivative is ~0, so almost no gradient passes (weights initialised too large or inputs unscaled)`,
    action:
      "rescale the layer's weights so its pre-activations have unit spread (LSUV, Mishkin & Matas 2016)",
  };
};

/** Steps move the weights by a large fraction of their size. */
export const detectLrTooHigh: Detector = (p, t) => {
  const r = medianUpdateRatio(p);
  const grown = worstLayer(p.layers, (l) => l.weightGrowth);
  const growth = grown?.weightGrowth ?? NaN;
  if (!(r > t.updateRatioHigh || growth > t.weightGrowth)) return null;
  return {
    kind: "lrTooHigh",
    layer: growth > t.weightGrowth ? grown!.layer : undefined,
    evidence: { updateRatio: r, weightGrowth: growth, healthy: 1e-3 },
    diagnosis:
      growth > t.weightGrowth
        ? `the weights of layer ${grown!.layer} grew ${growth.toFixed(1)}× in ${t.checkEvery} steps: each step throws them far from where they were, so the learning rate is far too high`
        : `each step changes the weights by ${pct(r)} of their size (healthy is about 0.1%): the learning rate is far too high`,
    action: "roll back to the last healthy weights and cut the learning rate",
  };
};

/** Steps barely move the weights at all. */
export const detectLrTooLow: Detector = (p, t) => {
  // A tiny step only matters while the fit is still poor (a decayed schedule at the end of a good run is fine).
  if (p.checks < 2 || dying(p, t) || !stillPoor(p, t)) return null;
  const r = medianUpdateRatio(p);
  if (!(r < t.updateRatioLow)) return null;
  return {
    kind: "lrTooLow",
    evidence: { updateRatio: r, healthy: 1e-3 },
    diagnosis: `each step changes the weights by only ${sci(r)} of their size (healthy is about 1e-3): the learning rate is so low that nothing moves`,
    action: "raise the learning rate",
  };
};

/** The windowed loss swings up and down by large amounts instead of settling. */
export const detectOscillation: Detector = (p, t) => {
  const w = p.lossMeans.slice(-t.historyChecks);
  if (p.checks < t.warmupChecks || w.length < 4) return null;
  // Near a perfect fit, batch noise makes large relative swings of a tiny loss: not the overshooting this rule is about.
  if (p.accuracyMeans.length > 0 && last(p.accuracyMeans) >= t.satisfiedAccuracy) return null;
  let swings = 0;
  let maxSwing = 0;
  for (let i = 1; i < w.length - 1; i++) {
    if (w[i] > w[i - 1] && w[i] > w[i + 1]) {
      const swing = (w[i] - Math.min(w[i - 1], w[i + 1])) / Math.max(Math.min(w[i - 1], w[i + 1]), 1e-12);
      maxSwing = Math.max(maxSwing, swing);
      if (swing >= t.oscillationSwing) swings++;
    }
  }
  if (swings < t.oscillationCount) return null;
  return {
    kind: "oscillation",
    evidence: { swings, maxSwing, windows: w.length },
    diagnosis: `the loss went up and down ${swings} times by more than ${pct(t.oscillationSwing)} over the last ${w.length} checks: the steps overshoot (learning rate too high for this stage of training)`,
    action: "cut the learning rate",
  };
};

/** Classification accuracy stays at the level of guessing the most frequent class. */
export const detectNotLearning: Detector = (p, t) => {
  if (p.accuracyMeans.length === 0 || p.checks < t.warmupChecks) return null;
  const recent = p.accuracyMeans.slice(-3);
  const acc = recent.reduce((a, b) => a + b, 0) / recent.length;
  const limit = p.chance + t.chanceMargin * (1 - p.chance);
  if (!(acc <= limit)) return null;
  return {
    kind: "notLearning",
    evidence: { accuracy: acc, chance: p.chance },
    diagnosis: `training accuracy is ${pct(acc)}, no better than always guessing the most frequent class (${pct(p.chance)}), while the weights do move: the labels may not match the inputs (shuffled or misaligned), or the task has no signal`,
    action: "check that each label belongs to its input row; check the data loading and the loss",
  };
};

/** The loss stopped improving while still far from a good fit. */
export const detectPlateau: Detector = (p, t) => {
  const w = p.lossMeans;
  if (p.checks < t.warmupChecks || w.length <= t.historyChecks) return null;
  const before = Math.min(p.droppedBestLoss, ...w.slice(0, w.length - t.historyChecks));
  const recent = Math.min(...w.slice(-t.historyChecks));
  const improvement = (before - recent) / Math.max(Math.abs(before), 1e-12);
  if (!(improvement < t.plateauImprovement && stillPoor(p, t))) return null;
  return {
    kind: "plateau",
    evidence: {
      improvement,
      loss: last(w),
      ...(p.accuracyMeans.length ? { accuracy: last(p.accuracyMeans) } : {}),
    },
    diagnosis: `the loss improved by only ${pct(Math.max(improvement, 0))} over the last ${t.historyChecks} checks and is still high (${last(w).toPrecision(3)}): training has stalled`,
    action: "cut the learning rate to settle into the valley it is bouncing across",
  };
};

/** Detectors run at each check, most specific first; the monitor acts on the first that fires. */
export const CHECK_DETECTORS: readonly Detector[] = [
  detectNonFiniteWeights,
  detectDivergence,
  detectLrTooHigh,
  detectExplodingGradients,
  detectDyingRelu,
  detectVanishingGradients,
  detectSaturation,
  detectLrTooLow,
  detectOscillation,
  detectNotLearning,
  detectPlateau,
];

/** Train and validation performance drift apart for `overfitEpochs` epochs in a row (AUTOTRAINER's gaps). */
export function detectOverfitting(
  epochs: readonly { epoch: number; train: Metrics; validation?: Metrics }[],
  t: Thresholds,
): Finding | null {
  const recent = epochs.slice(-t.overfitEpochs);
  if (recent.length < t.overfitEpochs || recent.some((e) => !e.validation)) return null;
  const gapOf = (e: (typeof recent)[number]): number => {
    const [tr, va] = [e.train, e.validation!];
    if (tr.accuracy !== undefined && va.accuracy !== undefined) {
      const gap = tr.accuracy - va.accuracy;
      return gap >= (tr.accuracy > 0.9 ? t.overfitGapHigh : t.overfitGap) ? gap : NaN;
    }
    return va.loss > t.overfitLossRatio * tr.loss ? va.loss / tr.loss : NaN;
  };
  const gaps = recent.map(gapOf);
  if (gaps.some(Number.isNaN)) return null;
  const e = last(recent);
  const byAccuracy = e.train.accuracy !== undefined && e.validation!.accuracy !== undefined;
  return {
    kind: "overfitting",
    evidence: byAccuracy
      ? { trainAccuracy: e.train.accuracy!, validationAccuracy: e.validation!.accuracy!, gap: last(gaps) }
      : { trainLoss: e.train.loss, validationLoss: e.validation!.loss, ratio: last(gaps) },
    diagnosis: byAccuracy
      ? `training accuracy ${pct(e.train.accuracy!)} but validation ${pct(e.validation!.accuracy!)} for ${t.overfitEpochs} epochs: the model memorises the training rows instead of generalising`
      : `validation loss is ${last(gaps).toFixed(1)}× the training loss for ${t.overfitEpochs} epochs: the model memorises the training rows`,
    action: "get more data, add dropout or weight decay, use a smaller model, or stop early (earlyStopping)",
  };
}

function worstLayer(
  layers: readonly LayerStatistics[],
  score: (l: LayerStatistics) => number,
): LayerStatistics | undefined {
  let best: LayerStatistics | undefined;
  for (const l of layers) if (Number.isFinite(score(l)) && (!best || score(l) > score(best))) best = l;
  return best;
}

/** Median update ratio over the weight matrices that moved at all (a layer without gradient says nothing about the learning rate). */
function medianUpdateRatio(p: TrainingPicture): number {
  return median(p.layers.map((l) => l.updateRatio).filter((r) => r > 0));
}

/** Accuracy below Θ (classification), or the loss above `plateauLossFraction` of the first window's (regression). */
function stillPoor(p: TrainingPicture, t: Thresholds): boolean {
  return p.accuracyMeans.length > 0
    ? last(p.accuracyMeans) < t.satisfiedAccuracy
    : last(p.lossMeans) > t.plateauLossFraction * p.lossMeans[0];
}

/** Most units of some ReLU layer are silent on this batch: the dying-ReLU rule, not the gradient or learning-rate rules, explains it. */
function dying(p: TrainingPicture, t: Thresholds): boolean {
  return p.layers.some((l) => l.inactiveFraction >= t.deadFraction);
}
