import assert from "node:assert/strict";
import { test } from "node:test";
import { loadBundledMnist } from "../src/data/mnist.js";
import { checkBeforeTraining, type DataToCheck } from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import type { ActivationName } from "../src/nn/activations.js";
import { Rng } from "../src/tensor/rng.js";

const model = (inputDim: number, out: number, act: ActivationName) => new Sequential([new Dense(8, { activation: "relu" }), new Dense(out, { activation: act })]).build(inputDim, new Rng(0));
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

test("clean data with a fitting model and loss: no events, and none on the bundled digits either", () => {
  assert.deepEqual(checkBeforeTraining(clean(), model(3, 3, "softmax"), "crossEntropy"), []);
  const { train } = loadBundledMnist();
  assert.deepEqual(checkBeforeTraining({ ...train, task: "classification" }, model(784, 10, "softmax"), "crossEntropy"), []);
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

test("inputs far outside [-1, 1] are unscaled; up to |x| = 10 is tolerated", () => {
  const d = clean();
  d.x[0] = 10;
  assert.deepEqual(kinds(checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy")), []);
  d.x[2] = 1000;
  const [e] = checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy");
  assert.equal(e.kind, "unscaledInputs");
  assert.equal(e.evidence.column, 2);
});

test("targets outside the output's range: the seed article's sigmoid on targets 8..17", () => {
  const x = Float32Array.of(1, 2, 2, 3, 3, 4, 4, 5);
  const y = Float32Array.of(8, 11, 14, 17);
  const sig = new Sequential([new Dense(1, { activation: "sigmoid" })]).build(2, new Rng(0));
  const events = checkBeforeTraining({ x, y, n: 4, inputDim: 2, outputDim: 1, task: "regression" }, sig, "mse");
  assert.deepEqual(kinds(events), ["labelsOutOfRange", "collinearFeatures"]);
  assert.match(events[0].diagnosis, /sigmoid output can only produce \(0, 1\)/);
  assert.match(events[1].diagnosis, /rank 2 of 3/);
});

test("loss and output activation that do not fit", () => {
  assert.deepEqual(kinds(checkBeforeTraining(clean(), model(3, 3, "softmax"), "mse")), ["lossMismatch"]);
  const linear = checkBeforeTraining(clean(), model(3, 3, "identity"), "crossEntropy");
  assert.deepEqual(kinds(linear), ["lossMismatch"]);
  assert.match(linear[0].action, /softmax/);
  assert.deepEqual(kinds(checkBeforeTraining(clean(), model(3, 3, "softmax"), "binaryCrossEntropy")), ["lossMismatch"]);
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
  for (let r = 0; r < d.n; r++) if (d.y[r * 3 + 2] === 1) { d.y[r * 3 + 2] = 0; d.y[r * 3] = 1; }
  assert.deepEqual(kinds(checkBeforeTraining(d, model(3, 3, "softmax"), "crossEntropy")), ["emptyClass"]);
  const dup = clean();
  for (let r = 0; r < dup.n; r++) dup.y[r * 3 + 2] = dup.y[r * 3 + 1];
  const events = checkBeforeTraining(dup, model(3, 3, "sigmoid"), "binaryCrossEntropy");
  assert.deepEqual(kinds(events), ["duplicateClass"]);
  assert.deepEqual([events[0].evidence.class, events[0].evidence.duplicate], [1, 2]);
});
