/**
 * The accuracy table's exact layout, the measures' refusals (message and field), and headAccuracy's
 * arithmetic over batches and ties, on logits set by hand.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  continualMeasures,
  formatAccuracyMatrix,
  headAccuracy,
  selectUnits,
} from "../src/continual/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { tinyStream } from "./helpers/continual.js";

test("formatAccuracyMatrix: columns as wide as the longest name (at least 6), labels at least 11, means over tasks seen", () => {
  const lines = formatAccuracyMatrix(
    [
      [0.9, 0.3],
      [0.6, 0.85],
    ],
    ["0/1", "long name!"],
  ).split("\n");
  // label width: "after long name!" is 16; column width: "long name!" is 10.
  assert.deepEqual(lines, [
    `${"R (% right)".padEnd(16)} │ ${"0/1".padStart(10)} long name! │   mean`,
    `${"─".repeat(16)}─┼─${"─".repeat(10)}─${"─".repeat(10)}─┼─${"─".repeat(6)}`,
    `${"after 0/1".padEnd(16)} │ ${"90.0".padStart(10)} ${"30.0".padStart(10)} │   90.0`,
    `after long name! │ ${"60.0".padStart(10)} ${"85.0".padStart(10)} │   72.5`,
    `${" ".repeat(16)}   (mean: over the tasks trained so far)`,
  ]);
  assert.deepEqual(formatAccuracyMatrix([[0.5]]).split("\n"), [
    "R (% right) │ task 1 │   mean",
    "────────────┼────────┼───────",
    "after 1     │   50.0 │   50.0",
    "              (mean: over the tasks trained so far)",
  ]);
  // Ten tasks without names: "after 10" still fits in 11 columns; "task 10" makes the columns 7 wide.
  const R10 = Array.from({ length: 10 }, () => Array<number>(10).fill(0.125));
  const text = formatAccuracyMatrix(R10).split("\n");
  assert.equal(text[11], `after 10    │ ${Array(10).fill("   12.5").join(" ")} │   12.5`);
  assert.equal(
    text[0],
    `R (% right) │ ${Array.from({ length: 10 }, (_, j) => `task ${j + 1}`.padStart(7)).join(" ")} │   mean`,
  );
});

test("continualMeasures refuses bad matrices naming R, b or jointR", () => {
  const refuses = (fn: () => unknown, message: string, field: string) =>
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, message);
      assert.equal(err.location.field, field);
      return true;
    });
  const R = [
    [0.5, 0.1],
    [0.4, 0.9],
  ];
  refuses(() => continualMeasures([], []), "R: expected a square T×T accuracy matrix with T ≥ 1", "R");
  refuses(
    () => continualMeasures([[0.5, 0.5]], [0.1]),
    "R: expected a square T×T accuracy matrix with T ≥ 1",
    "R",
  );
  refuses(() => continualMeasures([[-0.1]], [0]), "R: accuracies must be fractions in [0, 1], got -0.1", "R");
  refuses(() => continualMeasures([[NaN]], [0]), "R: accuracies must be fractions in [0, 1], got NaN", "R");
  refuses(() => continualMeasures(R, [0.1]), "b: expected 2 baseline accuracies (one per task), got 1", "b");
  refuses(
    () => continualMeasures(R, [0, 0], [[1, 1]]),
    "jointR: expected a square T×T accuracy matrix with T ≥ 1",
    "jointR",
  );
  refuses(
    () => continualMeasures([[1]], [0], [[2]]),
    "jointR: accuracies must be fractions in [0, 1], got 2",
    "jointR",
  );
  refuses(() => continualMeasures(R, [0, 0], [[1]]), "jointR: expected a 2×2 matrix, got 1 rows", "jointR");
  refuses(() => continualMeasures([[1]], [0], R), "jointR: expected a 1×1 matrix, got 2 rows", "jointR");
  // Accuracies exactly 0 and 1 are fractions.
  assert.equal(continualMeasures([[0]], [1]).ACC, 0);
  // One task: nothing before or after it, so the transfer and forgetting means are 0, not NaN.
  const one = continualMeasures([[0.7]], [0.2]);
  assert.deepEqual(
    [one.ACC, one.BWT, one.FWT, one.forgetting.maxOverEarlier, one.forgetting.justTrainedMinusLast],
    [0.7, 0, 0, 0, 0],
  );
});

/** A linear softmax layer whose logits are exactly x (identity weights, zero bias). */
function identityModel(c: number): Sequential {
  const model = new Sequential([new Dense(c, { activation: "softmax" })]).build(c, new Rng(1));
  const [[, w], [, b]] = model.parameters();
  w.data.fill(0);
  for (let k = 0; k < c; k++) w.data[k * c + k] = 1;
  b.data.fill(0);
  return model;
}

test("headAccuracy: the arg-max among the active units, first unit on ties, over batches of any size", () => {
  // Class-incremental, 2 tasks of 2 units; rows are their own logits.
  const stream = tinyStream("class", 4, [
    {
      x: [
        [1, 0, 0, 0], // 0: right
        [0, 2, 0, 0], // 1: right
        [0, 0, 5, 0], // 0: right after stage 0 (unit 2 is masked), wrong once task 1 is seen
        [3, 3, 0, 0], // tie between 0 and 1: the first, 0; labelled 1, so wrong
        [0, 1, 0, 0], // 1: right
      ],
      labels: [0, 1, 0, 1, 1],
      classes: [0, 1],
    },
    { x: [[0, 0, 1, 2]], labels: [3], classes: [2, 3] },
  ]);
  const model = identityModel(4);
  const [t0, t1] = stream.tasks;
  for (const batch of [1, 2, 3, 5, 500]) {
    assert.equal(headAccuracy(model, stream, 0, t0, batch), 4 / 5, `batch ${batch}`);
    assert.equal(headAccuracy(model, stream, 1, t0, batch), 3 / 5, `batch ${batch}`);
  }
  assert.equal(headAccuracy(model, stream, 1, t1), 1);
  // Before task 1 is trained it is judged among the classes seen plus its own.
  assert.equal(headAccuracy(model, stream, -1, t1), 1);
  const empty = tinyStream("class", 2, [{ x: [[0, 0]], labels: [0], classes: [0, 1] }]);
  const none = { ...empty.tasks[0], labels: new Int32Array(0), x: new Tensor(new Float32Array(0), [0, 2]) };
  assert.equal(headAccuracy(identityModel(2), empty, 0, none), 0);
  // Task-incremental: only the row's own task's units.
  const taskStream = tinyStream("task", 4, [
    { x: [[0, 0, 1, 0.5]], labels: [1], classes: [0, 1] },
    { x: [[9, 9, 1, 2]], labels: [3], classes: [2, 3] },
  ]);
  assert.equal(headAccuracy(model, taskStream, 1, taskStream.tasks[0]), 0); // a tie of zeros: unit 0
  assert.equal(headAccuracy(model, taskStream, 1, taskStream.tasks[1]), 1);
});

test("selectUnits: the columns asked for, in their order; all of them is the matrix itself", () => {
  const z = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  assert.equal(selectUnits(z, [0, 1, 2]), z);
  const s = selectUnits(z, [2, 0]);
  assert.deepEqual(s.shape, [2, 2]);
  assert.deepEqual(Array.from(s.data), [3, 1, 6, 4]);
});
