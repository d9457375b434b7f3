import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_THRESHOLDS as T,
  detectDivergence,
  detectDyingRelu,
  detectExplodingGradients,
  detectLrTooHigh,
  detectLrTooLow,
  detectNonFiniteWeights,
  detectNotLearning,
  detectOscillation,
  detectOverfitting,
  detectPlateau,
  detectSaturation,
  detectVanishingGradients,
  diagnoseBlowUp,
  lossBlewUp,
} from "../src/health/detectors.js";
import type { LayerStatistics } from "../src/health/statistics.js";
import { layer, picture } from "./helpers/health-picture.js";

const fires = (f: unknown, kind: string): void => assert.equal((f as { kind?: string } | null)?.kind, kind);

test("a healthy picture makes no detector fire", () => {
  for (const d of [
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
  ]) {
    assert.equal(d(picture(), T), null, d.name);
  }
});

test("loss blow-up: NaN, ±∞ and the 1e5 ceiling; diagnosis names data, exploding gradients or plain non-finite", () => {
  assert.equal(lossBlewUp(1e5 - 1, T), false);
  assert.equal(lossBlewUp(1e5, T), true);
  assert.equal(lossBlewUp(NaN, T), true);
  assert.equal(lossBlewUp(-Infinity, T), true);
  const norms = [
    { layer: "0", gradNorm: 1 },
    { layer: "1", gradNorm: 1 },
  ];
  fires(diagnoseBlowUp(3, NaN, 2, norms, 1, T), "nonFinite");
  assert.match(diagnoseBlowUp(3, NaN, 2, norms, 1, T).diagnosis, /input value/);
  fires(
    diagnoseBlowUp(
      3,
      NaN,
      0,
      [
        { layer: "0", gradNorm: 71 },
        { layer: "1", gradNorm: 1 },
      ],
      1,
      T,
    ),
    "explodingGradients",
  );
  fires(
    diagnoseBlowUp(
      3,
      NaN,
      0,
      [
        { layer: "0", gradNorm: 69 },
        { layer: "1", gradNorm: 1 },
      ],
      1,
      T,
    ),
    "nonFinite",
  );
  fires(
    diagnoseBlowUp(
      3,
      2e5,
      0,
      [
        { layer: "0", gradNorm: 150 },
        { layer: "1", gradNorm: 150 },
      ],
      1,
      T,
    ),
    "explodingGradients",
  );
  fires(
    diagnoseBlowUp(
      3,
      NaN,
      0,
      [
        { layer: "0", gradNorm: NaN },
        { layer: "1", gradNorm: 1 },
      ],
      1,
      T,
    ),
    "explodingGradients",
  );
});

test("non-finite weights or gradients fire even while the loss is finite", () => {
  fires(
    detectNonFiniteWeights(picture({ layers: [layer("0", { weightNorm: NaN }), layer("1")] }), T),
    "nonFinite",
  );
  fires(
    detectNonFiniteWeights(picture({ layers: [layer("0"), layer("1", { gradNorm: Infinity })] }), T),
    "nonFinite",
  );
});

test("divergence: the window loss above 3× the first window's", () => {
  fires(detectDivergence(picture({ lossMeans: [1, 0.5, 3.01] }), T), "divergence");
  assert.equal(detectDivergence(picture({ lossMeans: [1, 0.5, 2.99] }), T), null);
});

test("exploding gradients: first/last layer ratio above 70 (AUTOTRAINER β₃) or a jump above 100× the median", () => {
  const two = (g0: number, g1: number) => [layer("0", { gradNorm: g0 }), layer("1", { gradNorm: g1 })];
  fires(detectExplodingGradients(picture({ layers: two(71, 1) }), T), "explodingGradients");
  assert.equal(detectExplodingGradients(picture({ layers: two(69, 1) }), T), null);
  fires(detectExplodingGradients(picture({ gradNorm: 131, gradNormMedian: 1.3 }), T), "explodingGradients");
  assert.equal(detectExplodingGradients(picture({ gradNorm: 129, gradNormMedian: 1.3 }), T), null);
});

test("vanishing gradients: ratio below 1e-3 (β₁) and first-layer norm below 1e-4 (β₂), both needed; not when ReLUs are dying", () => {
  const two = (g0: number, g1: number, over: Partial<LayerStatistics> = {}) => [
    layer("0", { gradNorm: g0, ...over }),
    layer("1", { gradNorm: g1 }),
  ];
  fires(detectVanishingGradients(picture({ layers: two(9e-5, 0.1) }), T), "vanishingGradients");
  assert.equal(detectVanishingGradients(picture({ layers: two(9e-5, 0.08) }), T), null, "ratio 1.1e-3");
  assert.equal(
    detectVanishingGradients(picture({ layers: two(1.1e-4, 1) }), T),
    null,
    "first layer above β₂",
  );
  assert.equal(
    detectVanishingGradients(picture({ layers: two(0, 1, { inactiveFraction: 1 }) }), T),
    null,
    "dead units explain it",
  );
});

test("dying ReLU: at least 70% of a layer's units silent over the whole window", () => {
  fires(
    detectDyingRelu(picture({ layers: [layer("0", { deadFraction: 0.7 }), layer("1")] }), T),
    "dyingRelu",
  );
  assert.equal(
    detectDyingRelu(picture({ layers: [layer("0", { deadFraction: 0.69 }), layer("1")] }), T),
    null,
  );
  assert.equal(
    detectDyingRelu(
      picture({ deadWindowFull: false, layers: [layer("0", { deadFraction: 1 }), layer("1")] }),
      T,
    ),
    null,
  );
});

test("saturation: at least 60% of sigmoid/tanh outputs at their bounds while the fit is still poor", () => {
  const sig = (f: number) => [
    layer("0", { activation: "sigmoid", saturatedFraction: f, preActivationStd: 9 }),
    layer("1"),
  ];
  const poor = { accuracyMeans: [0.3, 0.3, 0.3] };
  fires(detectSaturation(picture({ layers: sig(0.6), ...poor }), T), "saturation");
  assert.equal(detectSaturation(picture({ layers: sig(0.59), ...poor }), T), null);
  assert.equal(
    detectSaturation(picture({ layers: sig(0.9) }), T),
    null,
    "confident units of a network at 90% are fine",
  );
});

test("learning rate too high: median update ratio above 0.3, or a weight norm grown more than 5× in one check", () => {
  const ratio = (r: number) => [layer("0", { updateRatio: r }), layer("1", { updateRatio: r })];
  fires(detectLrTooHigh(picture({ layers: ratio(0.31) }), T), "lrTooHigh");
  assert.equal(detectLrTooHigh(picture({ layers: ratio(0.29) }), T), null);
  fires(
    detectLrTooHigh(picture({ layers: [layer("0", { weightGrowth: 5.1 }), layer("1")] }), T),
    "lrTooHigh",
  );
  assert.equal(
    detectLrTooHigh(picture({ layers: [layer("0", { weightGrowth: 4.9 }), layer("1")] }), T),
    null,
  );
});

test("learning rate too low: median update ratio below 1e-4 while the fit is still poor; layers without gradient are ignored", () => {
  const poor = { accuracyMeans: [0.1, 0.1, 0.12] };
  const ratio = (r: number) => [layer("0", { updateRatio: r }), layer("1", { updateRatio: r })];
  fires(detectLrTooLow(picture({ ...poor, layers: ratio(0.9e-4) }), T), "lrTooLow");
  assert.equal(detectLrTooLow(picture({ ...poor, layers: ratio(1.1e-4) }), T), null);
  assert.equal(
    detectLrTooLow(picture({ layers: ratio(1e-6) }), T),
    null,
    "accuracy 90%: a decayed schedule, not a problem",
  );
  fires(
    detectLrTooLow(
      picture({ ...poor, layers: [layer("0", { updateRatio: 0 }), layer("1", { updateRatio: 5e-5 })] }),
      T,
    ),
    "lrTooLow",
  );
});

test("oscillation: at least 3 peaks rising 50% above their neighbours within 8 windows, below 70% accuracy", () => {
  const swings = (peak: number) => [1, peak, 1, peak, 1, peak, 1, 1];
  const poor = { accuracyMeans: [0.5, 0.5] };
  fires(detectOscillation(picture({ lossMeans: swings(1.5), ...poor }), T), "oscillation");
  assert.equal(detectOscillation(picture({ lossMeans: swings(1.49), ...poor }), T), null);
  assert.equal(
    detectOscillation(picture({ lossMeans: [1, 1.6, 1, 1.6, 1, 1, 1, 1], ...poor }), T),
    null,
    "two swings",
  );
  assert.equal(
    detectOscillation(picture({ lossMeans: swings(3).map((v) => v * 1e-3) }), T),
    null,
    "batch noise of a tiny loss at 90% accuracy",
  );
  fires(detectOscillation(picture({ lossMeans: swings(1.5), accuracyMeans: [] }), T), "oscillation"); // regression: judged on the loss alone
});

test("exploding gradients: a 100× jump counts only above the gradient norm of early training", () => {
  fires(
    detectExplodingGradients(picture({ gradNorm: 300, gradNormMedian: 2, firstGradNorm: 2 }), T),
    "explodingGradients",
  );
  assert.equal(
    detectExplodingGradients(picture({ gradNorm: 0.038, gradNormMedian: 3e-4, firstGradNorm: 1 }), T),
    null,
    "a converged model meets a hard batch",
  );
});

test("not learning: recent accuracy within 10% of the gap above chance", () => {
  const acc = (a: number) => ({ accuracyMeans: [0.1, a, a, a], chance: 0.1 });
  fires(detectNotLearning(picture(acc(0.189)), T), "notLearning");
  assert.equal(detectNotLearning(picture(acc(0.191)), T), null);
  assert.equal(detectNotLearning(picture({ ...acc(0.1), checks: 4 }), T), null, "during warm-up");
  assert.equal(detectNotLearning(picture({ accuracyMeans: [] }), T), null, "regression");
});

test("plateau: best loss improved by under 1% (AUTOTRAINER δ) over 8 windows while accuracy is below 70% (Θ)", () => {
  const flat = (gain: number, acc: number) => ({
    lossMeans: [2.3, 2, ...Array(8).fill(2 * (1 - gain))],
    accuracyMeans: Array(10).fill(acc),
  });
  fires(detectPlateau(picture(flat(0.009, 0.4)), T), "plateau");
  assert.equal(detectPlateau(picture(flat(0.011, 0.4)), T), null);
  fires(detectPlateau(picture({ ...flat(0.011, 0.4), droppedBestLoss: 1.9 }), T), "plateau"); // a long run's older windows count too
  assert.equal(detectPlateau(picture(flat(0, 0.7)), T), null, "a converged run");
  const regression = { lossMeans: [10, 6, ...Array(8).fill(6)], accuracyMeans: [] };
  fires(detectPlateau(picture(regression), T), "plateau");
  assert.equal(
    detectPlateau(picture({ ...regression, lossMeans: [10, 5, ...Array(8).fill(5)] }), T),
    null,
    "loss at half the start",
  );
});

test("overfitting: AUTOTRAINER's train−validation gaps (0.1, or 0.07 above 90%) for 2 epochs in a row", () => {
  const ep = (tr: number, va: number) => ({
    epoch: 0,
    train: { loss: 0.1, accuracy: tr },
    validation: { loss: 0.5, accuracy: va },
  });
  fires(detectOverfitting([ep(0.8, 0.69), ep(0.85, 0.749)], T), "overfitting");
  assert.equal(detectOverfitting([ep(0.8, 0.69), ep(0.85, 0.751)], T), null);
  fires(detectOverfitting([ep(0.95, 0.879), ep(0.96, 0.889)], T), "overfitting");
  assert.equal(detectOverfitting([ep(0.95, 0.879), ep(0.96, 0.891)], T), null);
  assert.equal(detectOverfitting([ep(0.85, 0.7)], T), null, "one epoch");
  const reg = (tr: number, va: number) => ({ epoch: 0, train: { loss: tr }, validation: { loss: va } });
  fires(detectOverfitting([reg(1, 3.1), reg(1, 3.2)], T), "overfitting");
  assert.equal(detectOverfitting([reg(1, 3.1), reg(1, 2.9)], T), null);
});
