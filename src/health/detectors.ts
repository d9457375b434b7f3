/**
 * The rules of the built-in detectors: each is one small function over the training picture and the
 * thresholds, returning a finding (kind, layer, evidence, plain-words diagnosis, action) or null. The
 * registered detectors (kinds.ts) wrap them with their options and repairs.
 */
import type { Metrics } from "../train/events.js";
import {
  last,
  median,
  pct,
  type Rule,
  sci,
  type Finding,
  type Thresholds,
  type TrainingPicture,
} from "./findings.js";
import type { LayerStatistics } from "./statistics.js";

export {
  DEFAULT_THRESHOLDS,
  diagnoseBlowUp,
  lossBlewUp,
  type Finding,
  type HealthEvent,
  type HealthKind,
  type Rule,
  type Thresholds,
  type TrainingPicture,
} from "./findings.js";

/** Weights or gradients hold NaN/±∞ although the loss is still finite (a ReLU can hide NaN inputs: max(0, NaN) = 0). */
export const detectNonFiniteWeights: Rule = (p) => {
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
export const detectDivergence: Rule = (p, t) => {
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
export const detectExplodingGradients: Rule = (p, t) => {
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
export const detectVanishingGradients: Rule = (p, t) => {
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
export const detectDyingRelu: Rule = (p, t) => {
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
export const detectSaturation: Rule = (p, t) => {
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
export const detectLrTooHigh: Rule = (p, t) => {
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
export const detectLrTooLow: Rule = (p, t) => {
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
export const detectOscillation: Rule = (p, t) => {
  const w = p.lossMeans.slice(-t.historyChecks);
  if (p.checks < t.warmupChecks || w.length < 4) return null;
  // Near a perfect fit, batch noise makes large relative swings of a tiny loss: not the overshooting this rule is about.
  if (p.accuracyMeans.length > 0 && last(p.accuracyMeans) >= t.satisfiedAccuracy) return null;
  let swings = 0;
  let maxSwing = 0;
  // Stryker disable next-line EqualityOperator,ArithmeticOperator: past the end w[i + 1] is undefined, and w[i] > undefined is false
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
export const detectNotLearning: Rule = (p, t) => {
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
export const detectPlateau: Rule = (p, t) => {
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
