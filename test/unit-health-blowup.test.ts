/**
 * Why the loss blew up (`diagnoseBlowUp`), each branch by hand: its kind, layer, evidence to the number
 * and its words, and the thresholds' edges (a ratio or growth exactly at the limit is not exploding).
 * The monitor's repair is chosen by the kind, and the evidence is what reports and run records show.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS as T } from "../src/health/detectors.js";
import { diagnoseBlowUp } from "../src/health/findings.js";

const norms = (...g: number[]) => g.map((gradNorm, k) => ({ layer: String(k), gradNorm }));

test("NaN inputs in the batch: the data is broken, whatever the gradients say", () => {
  assert.deepEqual(diagnoseBlowUp(7, NaN, 3, norms(1e9, 1), 1, T), {
    kind: "nonFinite",
    evidence: { loss: NaN, nonFiniteInputs: 3 },
    diagnosis:
      "the loss became NaN at step 7 because 3 input value(s) of this batch are NaN or infinite: the data itself is broken",
    action: "clean or impute the non-finite cells (the checks before training name their rows and columns)",
  });
});

test("gradients 80× larger at the first layer than at the output explode on their way back", () => {
  // ‖g‖ = hypot(80, 1) = 80.006…; the typical norm 40 makes the growth 2.0 (below its limit 100).
  const g = Math.hypot(80, 1);
  assert.deepEqual(diagnoseBlowUp(12, Infinity, 0, norms(80, 1), 40, T), {
    kind: "explodingGradients",
    layer: "0",
    evidence: { loss: Infinity, gradNorm: g, ratio: 80, growth: g / 40 },
    diagnosis:
      "the loss became Infinity at step 12 with gradients 80× larger at layer 0 than at the output: gradients explode on their way back (weights initialised too large, or a learning rate too high for this depth)",
    action: "roll back to the last healthy weights and turn on global-norm gradient clipping",
  });
});

test("a gradient norm far above the typical one explodes even with the layers level", () => {
  // Three layers of 300: ‖g‖ = 300·√3 = 519.6, the typical norm 2 makes the growth 259.8 > 100.
  const g = Math.hypot(300, 300, 300);
  const f = diagnoseBlowUp(5, 1e12, 0, norms(300, 300, 300), 2, T);
  assert.equal(f.kind, "explodingGradients");
  assert.equal(f.layer, "0");
  assert.deepEqual(f.evidence, { loss: 1e12, gradNorm: g, ratio: 1, growth: g / 2 });
  assert.equal(
    f.diagnosis,
    "the loss became 1.0e+12 at step 5 with a gradient norm of 5.2e+2, 260× the typical one: gradients explode on their way back (weights initialised too large, or a learning rate too high for this depth)",
  );
});

test("non-finite gradients: the norms that are not numbers read −1 in the evidence", () => {
  const f = diagnoseBlowUp(9, NaN, 0, norms(NaN, 1), 1, T);
  assert.equal(f.kind, "explodingGradients");
  assert.deepEqual(f.evidence, { loss: NaN, gradNorm: -1, ratio: -1, growth: -1 });
  assert.match(f.diagnosis, /^the loss became NaN at step 9 with gradients that are no longer finite: /);
});

test("at the limits exactly, or below them, the weights blew up: cut the learning rate", () => {
  // Ratio exactly 70 (the limit) and growth below 100: not exploding.
  const atRatio = diagnoseBlowUp(4, NaN, 0, norms(70, 1), Math.hypot(70, 1), T);
  assert.deepEqual(atRatio, {
    kind: "nonFinite",
    evidence: { loss: NaN, gradNorm: Math.hypot(70, 1) },
    diagnosis: "the loss became NaN at step 4: the weights blew up (learning rate too high)",
    action: "roll back to the last healthy weights and cut the learning rate",
  });
  // Growth exactly 100 (the limit): ‖(3.75, 5)‖ = 6.25 and 6.25 / 0.0625 = 100, all exact in binary.
  assert.equal(diagnoseBlowUp(4, NaN, 0, norms(3.75, 5), 0.0625, T).kind, "nonFinite");
  assert.equal(diagnoseBlowUp(4, NaN, 0, norms(3.75, 5), 0.0624, T).kind, "explodingGradients");
  assert.equal(diagnoseBlowUp(4, NaN, 0, norms(70.01, 1), 1e9, T).kind, "explodingGradients");
  // A ratio of exactly 70 with a growth above 100: exploding, said by its growth.
  assert.match(
    diagnoseBlowUp(4, NaN, 0, norms(70, 1), 0.5, T).diagnosis,
    /with a gradient norm of 7\.0e\+1, 140× the typical one: /,
  );
});

test("an unknown or zero typical norm counts as 1; a zero output gradient does not divide by zero", () => {
  // Growth against 1: ‖g‖ = 50 is not above 100, so no explosion on growth alone.
  for (const typical of [NaN, 0, -3, Infinity]) {
    const f = diagnoseBlowUp(2, NaN, 0, norms(30, 40), typical, T);
    assert.equal(f.kind, "nonFinite", `typical ${typical}`);
    assert.deepEqual(f.evidence, { loss: NaN, gradNorm: 50 });
  }
  // 150 against 1: growth 150 > 100.
  const big = diagnoseBlowUp(2, NaN, 0, norms(90, 120), 0, T);
  assert.equal(big.kind, "explodingGradients");
  assert.equal(big.evidence.growth, 150);
  // An output gradient of 0: the ratio is taken against 1e-30, and is finite.
  const flat = diagnoseBlowUp(2, NaN, 0, norms(1e-28, 0), 1, T);
  assert.equal(flat.kind, "explodingGradients");
  assert.equal(flat.evidence.ratio, 1e-28 / 1e-30);
});

test("a model without unit layers has no gradients to blame", () => {
  assert.deepEqual(diagnoseBlowUp(1, NaN, 0, [], 1, T), {
    kind: "nonFinite",
    evidence: { loss: NaN, gradNorm: 0 },
    diagnosis: "the loss became NaN at step 1: the weights blew up (learning rate too high)",
    action: "roll back to the last healthy weights and cut the learning rate",
  });
});
