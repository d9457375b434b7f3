/**
 * What the detectors report when they fire: evidence compared whole, and the diagnosis and action by
 * their key numbers and words (which branch of the wording, which figures). The overfitting rule
 * over its two gaps (accuracy when both splits have it, else the loss ratio), at its limits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_THRESHOLDS as T,
  detectLrTooHigh,
  detectLrTooLow,
  detectNotLearning,
  detectOscillation,
  detectOverfitting,
  detectPlateau,
  detectSaturation,
} from "../src/health/detectors.js";
import { median } from "../src/health/findings.js";
import { kindOf, layer, picture } from "./helpers/health-picture.js";

test("median: of the finite values only, the upper of an even count; NaN when none is finite", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, Number.NaN, 1, Number.POSITIVE_INFINITY]), 4, "of 1 and 4, the upper");
  assert.equal(median([Number.NaN, 2, 1]), 2);
  assert.ok(Number.isNaN(median([Number.NaN])));
  assert.ok(Number.isNaN(median([])));
});

const ROLL_BACK = "roll back to the last healthy weights and cut the learning rate";

test("saturation: the worst layer's saturated fraction and spread, in words, and LSUV advised", () => {
  const layers = [
    layer("0", { activation: "sigmoid", saturatedFraction: 0.75, preActivationStd: 9 }),
    layer("1"),
  ];
  const f = detectSaturation(picture({ layers, accuracyMeans: [0.3] }), T);
  assert.deepEqual(
    [f?.kind, f?.layer, f?.evidence],
    ["saturation", "0", { saturatedFraction: 0.75, preActivationStd: 9 }],
  );
  assert.match(f?.diagnosis ?? "", /^75% of the sigmoid outputs of layer 0 .*spread 9\.00/);
  assert.match(f?.action ?? "", /unit spread \(LSUV/);
});

test("learning rate too high by weight growth: the grown layer named, the growth in 20 steps", () => {
  const layers = [layer("0", { weightGrowth: 6.5 }), layer("1")];
  const f = detectLrTooHigh(picture({ layers }), T);
  assert.deepEqual(
    [f?.kind, f?.layer, f?.evidence],
    ["lrTooHigh", "0", { updateRatio: 3e-3, weightGrowth: 6.5, healthy: 1e-3 }],
  );
  assert.match(f?.diagnosis ?? "", /^the weights of layer 0 grew 6\.5× in 20 steps/);
  assert.equal(f?.action, ROLL_BACK);
});

test("learning rate too high by update ratio: no layer named, the ratio as a percentage", () => {
  for (const growth of [1.05, 5]) {
    const layers = [0, 1].map((i) => layer(String(i), { updateRatio: 0.45, weightGrowth: growth }));
    const f = detectLrTooHigh(picture({ layers }), T);
    assert.deepEqual(
      [f?.kind, f?.layer, f?.evidence],
      ["lrTooHigh", undefined, { updateRatio: 0.45, weightGrowth: growth, healthy: 1e-3 }],
    );
    assert.match(
      f?.diagnosis ?? "",
      /^each step changes the weights by 45% of their size/,
      `growth ${growth}`,
    );
    assert.equal(f?.action, ROLL_BACK);
  }
});

test("learning rate too low: the median ratio in scientific notation; raise it", () => {
  const layers = [layer("0", { updateRatio: 5e-5 }), layer("1", { updateRatio: 5e-5 })];
  const f = detectLrTooLow(picture({ layers, accuracyMeans: [0.2] }), T);
  assert.deepEqual([f?.kind, f?.evidence], ["lrTooLow", { updateRatio: 5e-5, healthy: 1e-3 }]);
  assert.match(f?.diagnosis ?? "", /by only 5\.0e-5 of their size/);
  assert.equal(f?.action, "raise the learning rate");
});

test("oscillation: the count of swings, the threshold and the windows in words; cut the rate", () => {
  const f = detectOscillation(picture({ lossMeans: [1, 2, 1, 2, 1, 2, 1, 1], accuracyMeans: [0.5] }), T);
  assert.match(f?.diagnosis ?? "", /up and down 3 times by more than 50% over the last 8 checks/);
  assert.equal(f?.action, "cut the learning rate");
});

test("not learning: the mean of the last 3 accuracies and chance, in evidence and words", () => {
  const f = detectNotLearning(picture({ chance: 0.25, accuracyMeans: [0.9, 0.25, 0.25, 0.28] }), T);
  assert.deepEqual([f?.kind, f?.evidence], ["notLearning", { accuracy: 0.26, chance: 0.25 }]);
  assert.match(f?.diagnosis ?? "", /^training accuracy is 26%, .*most frequent class \(25%\)/);
  assert.match(f?.action ?? "", /each label belongs to its input row/);
});

test("plateau: improvement over the last 8 windows against the best before them; loss and accuracy", () => {
  // Best before the last 8 windows 1 (not the first, 2.3); best within them 0.992, the oldest of them.
  const lossMeans = [2.3, 1, 0.992, ...Array(7).fill(0.995)];
  const f = detectPlateau(picture({ lossMeans, accuracyMeans: [0.4] }), T);
  assert.deepEqual(Object.keys(f?.evidence ?? {}), ["improvement", "loss", "accuracy"]);
  assert.ok(Math.abs((f?.evidence.improvement ?? 0) - 0.008) < 1e-12);
  assert.deepEqual([f?.evidence.loss, f?.evidence.accuracy], [0.995, 0.4]);
  assert.match(f?.diagnosis ?? "", /improved by only 1% over the last 8 checks and is still high \(0\.995\)/);
  assert.match(f?.action ?? "", /^cut the learning rate to settle/);
});

test("plateau: the recent best is taken over the last 8 windows only", () => {
  // A lower loss 10 windows back is before the recent window: the loss got worse, by 50%.
  const lossMeans = [2.3, 1, ...Array(8).fill(1.5)];
  const f = detectPlateau(picture({ lossMeans, accuracyMeans: [0.4] }), T);
  assert.equal(f?.evidence.improvement, -0.5);
  assert.match(f?.diagnosis ?? "", /improved by only 0% /);
});

test("plateau in regression: no accuracy in the evidence", () => {
  const f = detectPlateau(picture({ lossMeans: [10, 6, ...Array(8).fill(6)], accuracyMeans: [] }), T);
  assert.deepEqual(f?.evidence, { improvement: 0, loss: 6 });
});

const acc = (train: number, validation: number) => ({
  epoch: 0,
  train: { loss: 0.1, accuracy: train },
  validation: { loss: 0.5, accuracy: validation },
});
const loss = (train: number, validation: number) => ({
  epoch: 0,
  train: { loss: train },
  validation: { loss: validation },
});

test("overfitting by accuracy: the last epoch's accuracies and gap, in evidence and words", () => {
  const f = detectOverfitting([acc(0.8, 0.69), acc(0.85, 0.7)], T);
  assert.deepEqual(
    [f?.kind, f?.evidence],
    ["overfitting", { trainAccuracy: 0.85, validationAccuracy: 0.7, gap: 0.85 - 0.7 }],
  );
  assert.match(f?.diagnosis ?? "", /^training accuracy 85% but validation 70% for 2 epochs/);
  assert.match(f?.action ?? "", /stop early \(earlyStopping\)/);
});

test("overfitting by loss: the last epoch's losses and their ratio, in evidence and words", () => {
  const f = detectOverfitting([loss(1, 4), loss(2, 8)], T);
  assert.deepEqual(f?.evidence, { trainLoss: 2, validationLoss: 8, ratio: 4 });
  assert.match(f?.diagnosis ?? "", /^validation loss is 4\.0× the training loss for 2 epochs/);
  assert.match(f?.action ?? "", /stop early \(earlyStopping\)/);
});

test("overfitting: accuracy only when both splits have it; otherwise the loss ratio decides", () => {
  const trainOnly = { epoch: 0, train: { loss: 1, accuracy: 0.9 }, validation: { loss: 4 } };
  const validationOnly = { epoch: 0, train: { loss: 1 }, validation: { loss: 4, accuracy: 0.5 } };
  for (const e of [trainOnly, validationOnly]) {
    assert.deepEqual(detectOverfitting([e, e], T)?.evidence, { trainLoss: 1, validationLoss: 4, ratio: 4 });
  }
});

test("overfitting: only the last 2 epochs count, and each of them needs a validation", () => {
  assert.equal(kindOf(detectOverfitting([acc(0.8, 0.8), acc(0.8, 0.6), acc(0.8, 0.6)], T)), "overfitting");
  const unvalidated = { epoch: 0, train: { loss: 0.1, accuracy: 0.8 } };
  assert.equal(detectOverfitting([acc(0.8, 0.6), unvalidated], T), null);
});

test("overfitting at its limits: a gap of exactly overfitGap counts; 0.9 accuracy is not above 90%", () => {
  const t = { ...T, overfitGap: 0.25 };
  assert.equal(kindOf(detectOverfitting([acc(0.75, 0.5), acc(0.75, 0.5)], t)), "overfitting");
  // A gap of 0.08: above overfitGapHigh (0.07) but below overfitGap (0.1), which applies at exactly 0.9.
  assert.equal(detectOverfitting([acc(0.9, 0.82), acc(0.9, 0.82)], T), null);
  assert.equal(kindOf(detectOverfitting([acc(0.91, 0.83), acc(0.91, 0.83)], T)), "overfitting");
});

test("overfitting by loss at its limits: strictly above 3× the training loss, whatever its scale", () => {
  assert.equal(detectOverfitting([loss(1, 3), loss(1, 3)], T), null);
  assert.equal(detectOverfitting([loss(2, 5), loss(2, 5)], T), null, "5 < 3 × 2");
  assert.equal(kindOf(detectOverfitting([loss(2, 6.5), loss(2, 6.5)], T)), "overfitting");
});
