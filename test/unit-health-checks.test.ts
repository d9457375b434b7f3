/**
 * The pre-training checks' events word for word: non-finite cells (inputs and targets, the list cut
 * after five) and unscaled inputs naming the column of largest magnitude.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkBeforeTraining, type DataToCheck } from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

const model = (inputDim: number) =>
  new Sequential([new Dense(8, { activation: "relu" }), new Dense(3, { activation: "softmax" })]).build(
    inputDim,
    new Rng(0),
  );

/** 30 rows of 3 features in [-1, 1], 3 balanced classes, no feature names. */
function data(): DataToCheck {
  const rng = new Rng(5);
  const n = 30;
  const x = Float32Array.from({ length: n * 3 }, () => rng.uniform(-1, 1));
  const y = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) y[r * 3 + (r % 3)] = 1;
  return { x, y, n, inputDim: 3, outputDim: 3, task: "classification" };
}

test("non-finite cells: inputs then targets, unnamed columns by number, five listed then an ellipsis", () => {
  const d = data();
  for (const [r, c] of [
    [2, 0],
    [4, 2],
    [6, 1],
    [8, 0],
  ])
    d.x[r * 3 + c] = Number.NaN;
  d.y[5 * 3 + 2] = Number.POSITIVE_INFINITY;
  d.y[9 * 3 + 0] = Number.NaN;
  const [e] = checkBeforeTraining(d, model(3), "crossEntropy");
  assert.deepEqual(e, {
    step: 0,
    kind: "nonFiniteData",
    layer: "input",
    evidence: { cells: 4, targetCells: 2, row: 3, column: 0 },
    diagnosis:
      "6 cell(s) of the data are NaN or infinite (row 3, column 0; row 5, column 2; row 7, column 1; row 9, column 0; row 6, target 2; …): any batch holding one makes the loss NaN",
    action: "fix or impute those cells, or drop their rows",
  });
  // Exactly five: all listed, no ellipsis; only targets: the first target cell is the one pointed at.
  const five = data();
  for (const r of [1, 2, 3, 4, 5]) five.y[r * 3] = Number.NaN;
  const [f] = checkBeforeTraining(five, model(3), "crossEntropy");
  assert.deepEqual(f.evidence, { cells: 0, targetCells: 5, row: 2, column: 0 });
  assert.match(
    f.diagnosis,
    /^5 cell\(s\) .*\(row 2, target 0; row 3, target 0; row 4, target 0; row 5, target 0; row 6, target 0\): /,
  );
});

test("unscaled inputs name the column of largest magnitude (the first of equals) and say how far off", () => {
  const d = data();
  for (let r = 0; r < d.n; r++) {
    d.x[r * 3] *= 50;
    d.x[r * 3 + 1] = 200 * (r % 2 === 0 ? 1 : -1);
    d.x[r * 3 + 2] = 200;
  }
  const e = checkBeforeTraining(d, model(3), "crossEntropy").find((v) => v.kind === "unscaledInputs");
  assert.ok(e, "unscaledInputs");
  assert.equal(e.layer, "input");
  assert.deepEqual([e.evidence.column, e.evidence.maxAbs], [1, 200]);
  assert.match(e.diagnosis, /\(largest: column 1, \|x\| up to 200\)/);
  assert.ok((e.evidence.scale as number) > 8);
});

/** 12 rows of 2 features with one target column from `lo` to `hi`, evenly spaced. */
function regression(lo: number, hi: number): DataToCheck {
  const n = 12;
  const x = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i) * 0.8);
  const y = Float32Array.from({ length: n }, (_, r) => lo + ((hi - lo) * r) / (n - 1));
  return { x, y, n, inputDim: 2, outputDim: 1, task: "regression" };
}

const withOutput = (act: "tanh" | "relu" | "identity" | "sigmoid") =>
  new Sequential([new Dense(4, { activation: "relu" }), new Dense(1, { activation: act })]).build(
    2,
    new Rng(1),
  );

test("targets out of the output's range: a bounded output is told to go identity or to scale; others to change activation", () => {
  const [tanh] = checkBeforeTraining(regression(-3, 2), withOutput("tanh"), "mse");
  assert.deepEqual(
    [tanh.kind, tanh.layer, tanh.evidence, tanh.action],
    [
      "labelsOutOfRange",
      "output",
      { targetMin: -3, targetMax: 2, outputMin: -1, outputMax: 1 },
      "use an identity output for regression, or scale the targets into (-1, 1)",
    ],
  );
  assert.match(
    tanh.diagnosis,
    /^the targets span -3.00 to 2.00 but a tanh output can only produce \(-1, 1\)/,
  );
  const [relu] = checkBeforeTraining(regression(-2, 1), withOutput("relu"), "mse");
  assert.deepEqual(
    [relu.kind, relu.evidence.outputMax, relu.action],
    ["labelsOutOfRange", Number.POSITIVE_INFINITY, "use an output activation whose range covers the targets"],
  );
  assert.deepEqual(checkBeforeTraining(regression(-0.9, 0.9), withOutput("tanh"), "mse"), [], "within range");
});

test("a cross-entropy on an output that is not a probability: softmax for crossEntropy, sigmoid for the binary one", () => {
  const d = regression(0, 1);
  for (const [loss, action] of [
    ["crossEntropy", "end the model with a softmax output"],
    ["binaryCrossEntropy", "end the model with a sigmoid output"],
  ] as const) {
    const events = checkBeforeTraining(d, withOutput("identity"), loss);
    assert.deepEqual(
      events.map((e) => [e.kind, e.layer, e.action]),
      [["lossMismatch", "output", action]],
    );
    assert.equal(
      events[0].diagnosis,
      `${loss} expects probabilities but the output activation is identity: outputs outside (0, 1) make the log undefined and the loss meaningless`,
    );
  }
  assert.deepEqual(checkBeforeTraining(d, withOutput("sigmoid"), "binaryCrossEntropy"), []);
});
