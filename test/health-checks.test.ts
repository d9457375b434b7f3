import assert from "node:assert/strict";
import { test } from "node:test";
import { checkBeforeTraining, type DataToCheck } from "../src/health/index.js";
import { inputScale } from "../src/health/checks.js";
import { Dense, LayerNorm } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import type { ActivationName } from "../src/nn/activations.js";
import { Rng } from "../src/tensor/rng.js";

const model = (inputDim: number, out: number, act: ActivationName) =>
  new Sequential([new Dense(8, { activation: "relu" }), new Dense(out, { activation: act })]).build(
    inputDim,
    new Rng(0),
  );
const kinds = (events: { kind: string }[]) => events.map((e) => e.kind);

/** 40 rows, 3 independent features in [-1, 1], 3 balanced one-hot classes. */
function clean(): DataToCheck {
  const rng = new Rng(2);
  const n = 40;
  const x = Float32Array.from({ length: n * 3 }, () => rng.uniform(-1, 1));
  const y = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) y[r * 3 + (r % 3)] = 1;
  return { x, y, n, inputDim: 3, outputDim: 3, task: "classification", featureNames: ["a", "b", "c"] };
}

// The bundled digits, also clean, are checked in health-checks-digits.test.ts (e2e tier: loading them
// takes seconds, which every mutant of src/health/checks.ts would wait on).
test("clean data with a fitting model and loss: no events", () => {
  assert.deepEqual(checkBeforeTraining(clean(), model(3, 3, "softmax"), "crossEntropy"), []);
});

test("NaN/Inf cells are reported with their row (1-based) and column name", () => {
  const d = clean();
  d.x[4 * 3 + 1] = NaN;
  d.x[9 * 3 + 2] = Infinity;
  const [e] = checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy");
  assert.equal(e.kind, "nonFiniteData");
  assert.deepEqual([e.evidence.cells, e.evidence.row, e.evidence.column], [2, 5, 1]);
  assert.match(e.diagnosis, /row 5, b; row 10, c/);
});

/** `rows` × `cols` data with `column(r, c)` in each cell and 3 balanced classes. */
function table(rows: number, cols: number, column: (r: number, c: number) => number): DataToCheck {
  const x = Float32Array.from({ length: rows * cols }, (_, i) => column(Math.floor(i / cols), i % cols));
  const y = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) y[r * 3 + (r % 3)] = 1;
  return {
    x,
    y,
    n: rows,
    inputDim: cols,
    outputDim: 3,
    task: "classification",
    featureNames: Array.from({ length: cols }, (_, c) => `f${c}`),
  };
}

test("input scale: each unit's root mean square of w·x over ‖w‖, in closed form", () => {
  // The 16 sign patterns of 4 features times σ: the rows' second-moment matrix is exactly σ²·I, so every unit's
  // w·x has root mean square σ‖w‖ whatever its weights, and the scale is σ for each unit.
  const signs = (r: number, c: number) => ((r >> c) & 1 ? 1 : -1);
  for (const sigma of [1, 3, 250]) {
    const s = inputScale(
      table(16, 4, (r, c) => sigma * signs(r, c)),
      model(4, 3, "softmax"),
    )!;
    assert.ok(
      Math.abs(s.mean - sigma) < 1e-5 * sigma && Math.abs(s.worst - sigma) < 1e-5 * sigma,
      `σ = ${sigma}: ${s.mean}, ${s.worst}`,
    );
  }
  // Shifted by c (a feature like a year): the second moment is σ²·I + c²·11ᵀ, so unit u measures √(σ² + c²(Σw)²/‖w‖²).
  const m = model(4, 3, "softmax");
  const [units, fanIn] = (m.layers[0] as Dense).weight.shape;
  const w = (m.layers[0] as Dense).weight.data;
  const expected = Array.from({ length: units }, (_, u) => {
    const row = Array.from(w.subarray(u * fanIn, (u + 1) * fanIn));
    return Math.sqrt(4 + (2000 ** 2 * row.reduce((a, b) => a + b) ** 2) / row.reduce((a, b) => a + b * b, 0));
  });
  const s = inputScale(
    table(16, 4, (r, c) => 2000 + 2 * signs(r, c)),
    m,
  )!;
  const mean = expected.reduce((a, b) => a + b) / units;
  assert.ok(Math.abs(s.mean - mean) < 1e-3 * mean, `${s.mean} vs ${mean}`);
  assert.ok(Math.abs(s.worst - Math.max(...expected)) < 1e-3 * s.worst);
});

test("unscaled inputs are judged by the first layer's pre-activations at initialisation, not by one extreme value", () => {
  const rng = new Rng(6);
  // Issue 14's healthy set: standard deviations 2 to 5, all values within ±10 but one at 10.5 (the old rule, max |x| > 10, fired).
  const healthy = table(200, 5, (_, c) => Math.max(-10, Math.min(10, (2 + 0.75 * c) * rng.normal())));
  healthy.x[7] = 10.5;
  assert.deepEqual(kinds(checkBeforeTraining(healthy, model(5, 3, "softmax"), "crossEntropy")), []);
  // One wild cell among 200 rows is an outlier, not the data's scale.
  const outlier = table(200, 3, (r, c) => (r === 0 && c === 2 ? 1000 : rng.uniform(-1, 1)));
  assert.deepEqual(kinds(checkBeforeTraining(outlier, model(3, 3, "softmax"), "crossEntropy")), []);
  // Houses: area in square feet, year built, rooms. Pre-activations start hundreds of times larger than intended.
  const houses = table(
    120,
    3,
    (_, c) =>
      [
        800 + 2000 * rng.uniform(0, 1),
        1950 + Math.floor(70 * rng.uniform(0, 1)),
        1 + Math.floor(7 * rng.uniform(0, 1)),
      ][c],
  );
  const [e] = checkBeforeTraining(houses, model(3, 3, "softmax"), "crossEntropy");
  assert.equal(e.kind, "unscaledInputs");
  assert.ok(
    e.evidence.scale > 100 && e.evidence.worstUnitScale >= e.evidence.scale,
    JSON.stringify(e.evidence),
  );
  assert.equal(e.evidence.rows, 120);
  assert.equal(e.evidence.column, 0, "the area reaches the largest values");
  assert.match(
    e.diagnosis,
    /layer 0's pre-activations start [\d.]+× \(worst unit [\d.]+×\) the scale its heNormal initialiser assumes, measured on 120 training rows/,
  );
  assert.match(e.diagnosis, /largest: f0, \|x\| up to 2\d{3}\b/);
  // The same data behind a layer normalisation reaches the first Dense layer at unit scale: nothing to report.
  const normalised = new Sequential([
    new LayerNorm(),
    new Dense(8, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(3, new Rng(0));
  assert.deepEqual(kinds(checkBeforeTraining(houses, normalised, "crossEntropy")), []);
});

test("targets outside the output's range: the seed article's sigmoid on targets 8..17", () => {
  const x = Float32Array.of(1, 2, 2, 3, 3, 4, 4, 5);
  const y = Float32Array.of(8, 11, 14, 17);
  const sig = new Sequential([new Dense(1, { activation: "sigmoid" })]).build(2, new Rng(0));
  const events = checkBeforeTraining(
    { x, y, n: 4, inputDim: 2, outputDim: 1, task: "regression" },
    sig,
    "mse",
  );
  assert.deepEqual(kinds(events), ["labelsOutOfRange", "collinearFeatures"]);
  assert.match(events[0].diagnosis, /sigmoid output can only produce \(0, 1\)/);
  assert.match(events[1].diagnosis, /rank 2 of 3/);
});

test("loss and output activation that do not fit", () => {
  assert.deepEqual(kinds(checkBeforeTraining(clean(), model(3, 3, "softmax"), "mse")), ["lossMismatch"]);
  const linear = checkBeforeTraining(clean(), model(3, 3, "identity"), "crossEntropy");
  assert.deepEqual(kinds(linear), ["lossMismatch"]);
  assert.match(linear[0].action, /softmax/);
  assert.deepEqual(kinds(checkBeforeTraining(clean(), model(3, 3, "softmax"), "binaryCrossEntropy")), [
    "lossMismatch",
  ]);
});

test("a non-zero constant feature is flagged, an all-zero one (an image border) is not", () => {
  const d = clean();
  for (let r = 0; r < d.n; r++) d.x[r * 3] = 0;
  assert.deepEqual(kinds(checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy")), []);
  for (let r = 0; r < d.n; r++) d.x[r * 3] = 0.5;
  const [e] = checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy");
  assert.equal(e.kind, "constantFeature");
  assert.match(e.diagnosis, /\(a\)/);
});

test("collinear features: c = a + b is found, with the null direction in feature names", () => {
  const d = clean();
  for (let r = 0; r < d.n; r++) d.x[r * 3 + 2] = d.x[r * 3] + d.x[r * 3 + 1];
  const [e] = checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy");
  assert.equal(e.kind, "collinearFeatures");
  assert.deepEqual([e.evidence.rank, e.evidence.columns], [3, 4]);
  assert.match(e.diagnosis, /·a .*·b .*·c/);
});

test("empty and duplicated classes", () => {
  const d = clean();
  for (let r = 0; r < d.n; r++)
    if (d.y[r * 3 + 2] === 1) {
      d.y[r * 3 + 2] = 0;
      d.y[r * 3] = 1;
    }
  assert.deepEqual(kinds(checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy")), ["emptyClass"]);
  const dup = clean();
  for (let r = 0; r < dup.n; r++) dup.y[r * 3 + 2] = dup.y[r * 3 + 1];
  const events = checkBeforeTraining(dup, model(3, 3, "sigmoid"), "binaryCrossEntropy");
  assert.deepEqual(kinds(events), ["duplicateClass"]);
  assert.deepEqual([events[0].evidence.class, events[0].evidence.duplicate], [1, 2]);
});
