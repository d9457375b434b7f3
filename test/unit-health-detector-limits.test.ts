/**
 * Each detector exactly at its thresholds: a strict `>` or `<` does not fire on equality, `>=` and
 * `<=` do, and the guards (warm-up, window length, a single layer or window) hold where a looser
 * rule would fire. Values are chosen to be exact in binary (0.001 = 6.25e-5 / 0.0625, 0.75 = 2.25 / 3)
 * or thresholds are set to such values, so that "exactly at" means exactly.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_THRESHOLDS as T,
  detectDivergence,
  detectDyingRelu,
  detectExplodingGradients,
  detectLrTooHigh,
  detectLrTooLow,
  detectNotLearning,
  detectOscillation,
  detectPlateau,
  detectVanishingGradients,
} from "../src/health/detectors.js";
import { kindOf, layer, picture } from "./helpers/health-picture.js";

test("divergence needs two windows: one negative loss (a Gaussian NLL can be) is not compared with itself", () => {
  assert.equal(kindOf(detectDivergence(picture({ lossMeans: [-1] }), T)), null);
  assert.equal(kindOf(detectDivergence(picture({ lossMeans: [-1, -4] }), T)), null, "-4 < 3 × -1");
  assert.equal(kindOf(detectDivergence(picture({ lossMeans: [-1, -2.9] }), T)), "divergence");
});

test("exploding gradients: a jump at exactly the first norm, or of exactly 100×, is not one", () => {
  const jump = (gradNorm: number, firstGradNorm: number, gradNormMedian: number) =>
    kindOf(detectExplodingGradients(picture({ gradNorm, firstGradNorm, gradNormMedian }), T));
  assert.equal(jump(200, 200, 1), null, "200× the median, but no larger than at the first check");
  assert.equal(jump(200.5, 200, 1), "explodingGradients");
  assert.equal(jump(200, 1, 2), null, "exactly 100× the median");
  assert.equal(jump(202, 1, 2), "explodingGradients");
});

test("vanishing gradients: not on a single layer with no gradient; strict at the ratio and at the norm", () => {
  const alone = [layer("0", { gradNorm: 0 })];
  assert.equal(kindOf(detectVanishingGradients(picture({ layers: alone }), T)), null);
  const two = (first: number, out: number) => [
    layer("0", { gradNorm: first }),
    layer("1", { gradNorm: out }),
  ];
  const vanish = (first: number, out: number) =>
    kindOf(detectVanishingGradients(picture({ layers: two(first, out) }), T));
  assert.equal(6.25e-5 / 0.0625, 1e-3);
  assert.equal(vanish(6.25e-5, 0.0625), null, "a ratio of exactly 1e-3");
  assert.equal(vanish(6.25e-5, 0.07), "vanishingGradients");
  assert.equal(vanish(1e-4, 1), null, "a first-layer norm of exactly 1e-4");
  assert.equal(vanish(0.99e-4, 1), "vanishingGradients");
});

test("learning rate too high: strict at an update ratio of 0.3 and at a growth of 5×", () => {
  const ratio = (r: number) => [layer("0", { updateRatio: r }), layer("1", { updateRatio: r })];
  assert.equal(kindOf(detectLrTooHigh(picture({ layers: ratio(0.3) }), T)), null);
  const grown = [layer("0", { weightGrowth: 5 }), layer("1")];
  assert.equal(kindOf(detectLrTooHigh(picture({ layers: grown }), T)), null);
});

test("learning rate too high: the median over the layers that moved, zero ratios left out", () => {
  const layers = [0, 0, 0.5].map((r, i) => layer(String(i), { updateRatio: r }));
  // Unfiltered, the median of (0, 0, 0.5) would be 0.
  assert.equal(detectLrTooHigh(picture({ layers }), T)?.evidence.updateRatio, 0.5);
});

test("learning rate too high: no layer with a finite weight growth, judged on the update ratio alone", () => {
  const layers = [0.5, 0.5].map((r, i) => layer(String(i), { updateRatio: r, weightGrowth: NaN }));
  const f = detectLrTooHigh(picture({ layers }), T);
  assert.deepEqual([f?.kind, f?.layer, f?.evidence.updateRatio], ["lrTooHigh", undefined, 0.5]);
  assert.ok(Number.isNaN(f?.evidence.weightGrowth));
});

test("learning rate too low: not at the first check, nor while ReLUs die; strict at 1e-4", () => {
  const poor = { accuracyMeans: [0.1, 0.1, 0.12] };
  const low = (over: Parameters<typeof layer>[1] = {}) => [
    layer("0", { updateRatio: 1e-5, ...over }),
    layer("1", { updateRatio: 1e-5 }),
  ];
  assert.equal(kindOf(detectLrTooLow(picture({ ...poor, layers: low() }), T)), "lrTooLow");
  assert.equal(kindOf(detectLrTooLow(picture({ ...poor, checks: 1, layers: low() }), T)), null);
  assert.equal(kindOf(detectLrTooLow(picture({ ...poor, checks: 2, layers: low() }), T)), "lrTooLow");
  const dying = low({ inactiveFraction: 0.7 });
  assert.equal(kindOf(detectLrTooLow(picture({ ...poor, layers: dying }), T)), null, "70% silent");
  const at = [layer("0", { updateRatio: 1e-4 }), layer("1", { updateRatio: 1e-4 })];
  assert.equal(kindOf(detectLrTooLow(picture({ ...poor, layers: at }), T)), null, "exactly 1e-4");
});

test("dying ReLU: of two layers equally dead, the first is named", () => {
  const layers = [layer("0", { deadFraction: 0.8 }), layer("1", { deadFraction: 0.8 })];
  assert.equal(detectDyingRelu(picture({ layers }), T)?.layer, "0");
});

const poor = { accuracyMeans: [0.5] };

test("oscillation: from the 5th check on, over at least 4 windows", () => {
  const swings = [1, 2, 1, 2, 1, 2, 1, 1];
  const at = (checks: number) =>
    kindOf(detectOscillation(picture({ ...poor, checks, lossMeans: swings }), T));
  assert.equal(at(4), null);
  assert.equal(at(5), "oscillation");
  const once = { ...T, oscillationCount: 1 };
  const windows = (lossMeans: number[]) => kindOf(detectOscillation(picture({ ...poor, lossMeans }), once));
  assert.equal(windows([1, 2, 1]), null, "three windows");
  assert.equal(windows([1, 2, 1, 1]), "oscillation");
});

test("oscillation: not at 70% accuracy; at 69% it is", () => {
  const lossMeans = [1, 2, 1, 2, 1, 2, 1, 1];
  assert.equal(kindOf(detectOscillation(picture({ lossMeans, accuracyMeans: [0.7] }), T)), null);
  assert.equal(kindOf(detectOscillation(picture({ lossMeans, accuracyMeans: [0.69] }), T)), "oscillation");
});

test("oscillation: a peak rises above both neighbours; flat tops and a steady climb are no swings", () => {
  const twice = { ...T, oscillationCount: 2 };
  const flatTops = [1, 2, 2, 1, 2, 2, 1, 1];
  assert.equal(kindOf(detectOscillation(picture({ ...poor, lossMeans: flatTops }), twice)), null);
  const climb = [1, 2, 4, 8, 16, 32, 64, 128];
  assert.equal(kindOf(detectOscillation(picture({ ...poor, lossMeans: climb }), twice)), null);
});

test("oscillation: each swing measured from the lower neighbour, relative to it; the largest kept", () => {
  const evidence = (lossMeans: number[]) => detectOscillation(picture({ ...poor, lossMeans }), T)?.evidence;
  // Peaks 6 (neighbours 2, 4), 10 (4, 2), 5 (2, 3): swings 4/2 = 2, 8/2 = 4, 3/2 = 1.5.
  assert.deepEqual(evidence([2, 6, 4, 10, 2, 5, 3, 3]), { swings: 3, maxSwing: 4, windows: 8 });
  // Mirrored, so that the largest peak's lower neighbour is on its left: swings 1.5, 4, 2.
  assert.deepEqual(evidence([3, 3, 5, 2, 10, 4, 6, 2]), { swings: 3, maxSwing: 4, windows: 8 });
});

test("not learning: from the 5th check on; at exactly chance + margin × (1 − chance) it fires", () => {
  const t = { ...T, chanceMargin: 0.5 }; // limit 0.5 + 0.5 × 0.5 = 0.75, exact in binary
  const at = (checks: number, a: number) =>
    kindOf(detectNotLearning(picture({ checks, chance: 0.5, accuracyMeans: [0.1, a, a, a] }), t));
  assert.equal(at(5, 0.75), "notLearning");
  assert.equal(at(4, 0.75), null);
  assert.equal(at(5, 0.76), null);
});

test("plateau: from the 5th check on, and only once more windows than historyChecks are kept", () => {
  const flat = { lossMeans: [2.3, 2, ...Array(8).fill(2)], accuracyMeans: [0.4] };
  assert.equal(kindOf(detectPlateau(picture({ ...flat, checks: 5 }), T)), "plateau");
  assert.equal(kindOf(detectPlateau(picture({ ...flat, checks: 4 }), T)), null);
  // Eight windows after older ones were dropped: not yet, though the dropped best says flat.
  const eight = { lossMeans: Array(8).fill(2), droppedBestLoss: 2, accuracyMeans: [0.4] };
  assert.equal(kindOf(detectPlateau(picture(eight), T)), null);
});

test("plateau: strict at the improvement threshold", () => {
  const t = { ...T, plateauImprovement: 0.5 };
  // Best before the last 8 windows 2, best within them 1: an improvement of exactly (2 − 1) / 2.
  const lossMeans = [2, 2, 1, 1, 1, 1, 1, 1, 1, 1];
  assert.equal(kindOf(detectPlateau(picture({ lossMeans, accuracyMeans: [0.4] }), t)), null);
  assert.equal(
    kindOf(detectPlateau(picture({ lossMeans, accuracyMeans: [0.4] }), { ...t, plateauImprovement: 0.51 })),
    "plateau",
  );
});
