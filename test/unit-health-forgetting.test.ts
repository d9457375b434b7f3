/**
 * The forgetting detector's finding, hand-computed: one-row segments kept at every check and probed on
 * a one-weight model whose weight the test sets, so each segment's score is known before the probe.
 * Regression scores are the squared error w² (target 0 at x = 1); classification is right or wrong.
 * Classification's noise margin is 0 here, as every segment scores 0 or 1 (b(1 − b) = l(1 − l) = 0).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS, type Finding, type TrainingPicture } from "../src/health/findings.js";
import { detectors } from "../src/health/kinds.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { TrainingControl } from "../src/train/events.js";
import { rows } from "./helpers/control.js";

/**
 * A forgetting detector keeping `xs.length` rows per check (budget 0.1, the default), on a 1 → `outputs`
 * identity model; `check(w, b, y)` sets the weights and bias and checks on the rows `xs`, each target `y`.
 */
function forgetting(outputs: number, classification: boolean, xs = [1]) {
  const model = new Sequential([new Dense(outputs)]).build(1, new Rng(0));
  const d = detectors.build(
    { type: "forgetting", rows: xs.length, captureEvery: 1, probeEvery: 1 },
    { thresholds: DEFAULT_THRESHOLDS },
  );
  const store: { m?: object } = {};
  const seen = {
    control: { model } as unknown as TrainingControl,
    layers: [],
    memory: <T extends object>(fresh: () => T) => (store.m ??= fresh()) as T,
  };
  const picture = { chance: classification ? 0.5 : 0 } as TrainingPicture;
  return (w: number[], y: number[], b = w.map(() => 0)): Finding | null => {
    const dense = model.layers[0] as Dense;
    dense.weight.data.set(w);
    dense.bias!.data.set(b);
    const batch = { x: rows(xs.map((x) => [x])), y: rows(xs.map(() => y)) };
    return d.check!(picture, { ...seen, batch });
  };
}

test("regression: the error's relative rise over its best, from the segments probed twice", () => {
  const check = forgetting(1, false);
  // Check 1: A kept, error 4. Check 2: A improves to 2.25 (its best), B kept at 2.25. Check 3: both at 9.
  assert.equal(check([2], [0]), null);
  assert.equal(check([1.5], [0]), null, "A's first drop is 0: its best became 2.25");
  const f = check([3], [0]);
  assert.ok(f);
  // Regression's noise margin: 2 standard errors of the mean relative rise, √(Σ 4/n) / segments with n = 1.
  assert.ok(Math.abs((f.evidence.margin as number) - Math.sqrt(8)) < 1e-12, String(f.evidence.margin));
  assert.deepEqual(f.evidence, {
    forgetting: 3,
    budget: 0.1,
    margin: f.evidence.margin,
    segments: 2, // A and B; C, kept now, has been probed once
    rows: 2,
    worstDrop: 3,
    worstCheck: 1,
    oldestCheck: 1,
  });
  assert.equal(f.kind, "forgetting");
  assert.equal(
    f.diagnosis,
    "the error on 2 retained segments of earlier rows (kept from check 1 on) is on average 300% of the error worse than its best, beyond the budget of 10% of the error and its noise margin of 283% of the error (2 standard errors) (worst: the rows kept at check 1, 300% of the error): the network is forgetting what it learned",
  );
  assert.match(f.action, /^replay earlier rows or consolidate/);
  assert.equal(check([3], [0]), null, "still forgetting: reported once, when it starts");
  assert.equal(check([0.5], [0]), null, "recovered");
  assert.ok(check([4], [0]), "forgetting again: reported again");
});

test("classification: the drop in accuracy points beyond the budget and the noise margin, both in points", () => {
  // Eight rows x = 1…8, all of class 0. Bias 4.5 on class 1 turns the rows x < 4.5 to class 1: accuracy 1/2.
  const check = forgetting(2, true, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(check([1, 0], [1, 0]), null, "A all right");
  const f = check([1, 0], [1, 0], [0, 4.5]);
  assert.ok(f, "A half right now");
  // Margin: 2 standard errors, 2 √((1·0 + ½·½) / 8) = 0.35355…; the drop 0.5 exceeds 0.1 + 0.354.
  const margin = 2 * Math.sqrt(0.25 / 8);
  assert.ok(Math.abs((f.evidence.margin as number) - margin) < 1e-12);
  assert.deepEqual(
    [f.evidence.forgetting, f.evidence.worstDrop, f.evidence.segments, f.evidence.rows],
    [0.5, 0.5, 1, 8],
  );
  assert.equal(
    f.diagnosis,
    "accuracy on 1 retained segments of earlier rows (kept from check 1 on) is on average 50.0 points worse than its best, beyond the budget of 10.0 points and its noise margin of 35.4 points (2 standard errors) (worst: the rows kept at check 1, 50.0 points): the network is forgetting what it learned",
  );
});

test("one output column: a 0/1 class is predicted 1 above 0.5 only, so an output of exactly 0.5 is class 0", () => {
  const check = forgetting(1, true);
  assert.equal(check([1], [1]), null, "output 1: class 1, right");
  const f = check([0.5], [1]);
  assert.ok(f, "output 0.5: class 0, wrong");
  assert.equal(f.evidence.forgetting, 1);
  // Forgotten outright (1 → 0): no binomial spread, no margin, none said.
  assert.equal(
    f.diagnosis,
    "accuracy on 1 retained segments of earlier rows (kept from check 1 on) is on average 100.0 points worse than its best, beyond the budget of 10.0 points (worst: the rows kept at check 1, 100.0 points): the network is forgetting what it learned",
  );
});
