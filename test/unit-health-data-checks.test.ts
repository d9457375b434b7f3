/**
 * The pre-training checks of features and classes, their evidence and words: constant features named
 * (the list cut after five), collinear features with the rank they leave, empty classes, the first
 * pair of duplicated class columns only, and which outputs a regression loss on one-hot targets is
 * a mismatch for (softmax only).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkBeforeTraining, type DataToCheck } from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

const N = 6;

/** N rows of `features` columns (column j of row r from `cell`) and one-hot targets from `label`. */
function data(
  features: number,
  cell: (r: number, j: number) => number,
  classes: number,
  label: (r: number) => number,
) {
  const x = Float32Array.from({ length: N * features }, (_, i) =>
    cell(Math.floor(i / features), i % features),
  );
  const y = new Float32Array(N * classes);
  for (let r = 0; r < N; r++) y[r * classes + label(r)] = 1;
  const names = ["a", "b", "c", "d", "e", "f", "g"].slice(0, features);
  return {
    x,
    y,
    n: N,
    inputDim: features,
    outputDim: classes,
    task: "classification",
    featureNames: names,
  } as DataToCheck;
}

const model = (inputs: number, outputs: number, activation: "softmax" | "sigmoid" = "softmax") =>
  new Sequential([new Dense(outputs, { activation })]).build(inputs, new Rng(0));

test("constant features: named, the first one's value given; a single varying feature has no rank to check", () => {
  const d = data(
    3,
    (r, j) => (j === 0 ? r / 4 : j === 1 ? 0.5 : 2),
    2,
    (r) => r % 2,
  );
  assert.deepEqual(checkBeforeTraining(d, model(3, 2), "crossEntropy"), [
    {
      step: 0,
      kind: "constantFeature",
      layer: "input",
      evidence: { columns: 2, column: 1, value: 0.5 },
      diagnosis:
        "2 feature(s) never change (b, c): each is a copy of the bias, so its weight is not identifiable and it carries no information",
      action: "drop the constant columns",
    },
  ]);
  const many = data(
    7,
    (r, j) => (j === 0 ? r / 4 : j),
    2,
    (r) => r % 2,
  );
  const [e] = checkBeforeTraining(many, model(7, 2), "crossEntropy");
  assert.deepEqual([e.evidence.columns, e.evidence.column, e.evidence.value], [6, 1, 1]);
  assert.match(e.diagnosis, /^6 feature\(s\) never change \(b, c, d, e, f\): /);
});

test("collinear features: the rank of the design with the bias, and the advice", () => {
  // c = a + b on every row; d varies on its own.
  const cell = (r: number, j: number): number =>
    [r / 4, ((r * r) % 5) / 4, r / 4 + ((r * r) % 5) / 4, (r % 3) / 2][j];
  const [e] = checkBeforeTraining(
    data(4, cell, 2, (r) => r % 2),
    model(4, 2),
    "crossEntropy",
  );
  assert.equal(e.kind, "collinearFeatures");
  assert.deepEqual(e.evidence, { rank: 4, columns: 5, redundant: 1 });
  assert.match(
    e.diagnosis,
    /^the features \(with the bias\) have rank 4 of 5: .*·a .*·b .*·c = 0 on every row, so some/,
  );
  assert.ok(!/·d/.test(e.diagnosis), "d is not in the null direction");
  assert.equal(e.action, "drop or combine the redundant features; only their combinations can be learned");
});

test("empty classes: counted, the first five named", () => {
  const d = data(
    1,
    (r) => r / 4,
    7,
    () => 0,
  );
  const [e] = checkBeforeTraining(d, model(1, 7), "crossEntropy");
  assert.deepEqual(e, {
    step: 0,
    kind: "emptyClass",
    layer: "output",
    evidence: { classes: 6, class: 1 },
    diagnosis:
      "6 class(es) have no training rows (class 1, 2, 3, 4, 5): the model can never learn to predict them",
    action: "collect rows for those classes or remove them from the output",
  });
});

test("duplicated class columns: the first pair found is reported, once", () => {
  // Columns 0 and 3 are equal on every row, and so are 1 and 2: only (0, 3) is reported.
  const d = data(
    1,
    (r) => r / 4,
    4,
    (r) => r % 2,
  );
  for (let r = 0; r < N; r++) {
    d.y[r * 4 + 3] = d.y[r * 4];
    d.y[r * 4 + 2] = d.y[r * 4 + 1];
  }
  assert.deepEqual(checkBeforeTraining(d, model(1, 4, "sigmoid"), "binaryCrossEntropy"), [
    {
      step: 0,
      kind: "duplicateClass",
      layer: "output",
      evidence: { class: 0, duplicate: 3 },
      diagnosis:
        "classes 0 and 3 are the same label on every row: one class was encoded twice, so the model cannot tell them apart",
      action: "merge the duplicated class columns",
    },
  ]);
});

test("a regression loss on one-hot targets is a mismatch for a softmax output, not for sigmoid outputs", () => {
  const d = data(
    1,
    (r) => r / 4,
    2,
    (r) => r % 2,
  );
  const check = (activation: "softmax" | "sigmoid") => checkBeforeTraining(d, model(1, 2, activation), "mae");
  assert.deepEqual(check("softmax"), [
    {
      step: 0,
      kind: "lossMismatch",
      layer: "output",
      evidence: { classes: 2 },
      diagnosis:
        "a softmax output trained with mae on one-hot targets: the gradient through the softmax shrinks as predictions get confidently wrong, so learning is slow and can stall",
      action: 'use "crossEntropy" with the softmax output',
    },
  ]);
  assert.deepEqual(check("sigmoid"), []);
});

test("binaryCrossEntropy on a softmax of two or more classes is a mismatch; on one column it is not", () => {
  const d = data(
    1,
    (r) => r / 4,
    2,
    (r) => r % 2,
  );
  assert.deepEqual(checkBeforeTraining(d, model(1, 2), "binaryCrossEntropy"), [
    {
      step: 0,
      kind: "lossMismatch",
      layer: "output",
      evidence: { classes: 2 },
      diagnosis:
        "binaryCrossEntropy on a softmax output treats each class as an independent yes/no question while the softmax ties them together",
      action:
        'use "crossEntropy" with a softmax output (one class per row), or sigmoid outputs (several labels per row)',
    },
  ]);
  const one: DataToCheck = { ...d, y: Float32Array.from({ length: N }, (_, r) => r % 2), outputDim: 1 };
  assert.deepEqual(checkBeforeTraining(one, model(1, 1), "binaryCrossEntropy"), []);
});

test("the rank is checked up to 64 varying features (its cost is d²·n + d³), not beyond", () => {
  const collinear = (features: number): string[] => {
    const n = 80;
    const x = new Float32Array(n * features);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < features - 1; j++) x[r * features + j] = Math.sin(1.3 * r * (j + 1) + j);
      x[r * features + features - 1] = x[r * features] + x[r * features + 1]; // the last = the first two summed
    }
    const d: DataToCheck = {
      x,
      y: new Float32Array(n),
      n,
      inputDim: features,
      outputDim: 1,
      task: "regression",
    };
    const m = new Sequential([new Dense(1)]).build(features, new Rng(0));
    return checkBeforeTraining(d, m, "mse").map((e) => e.kind);
  };
  assert.deepEqual(collinear(64), ["collinearFeatures"]);
  assert.deepEqual(collinear(65), []);
});
