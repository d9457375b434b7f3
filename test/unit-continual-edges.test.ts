/**
 * The continual runner and measures at their edges: a config without data names the field, a joint
 * strategy is its own reference even when no comparison was asked for, an empty accuracy matrix
 * prints as a bare table, a matrix with one short row is refused, and head accuracy is measured in
 * inference mode (a dropout layer would otherwise ask for a random stream and drop units).
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  type ContinualConfig,
  continualMeasures,
  formatAccuracyMatrix,
  headAccuracy,
  runContinual,
} from "../src/continual/index.js";
import { mean } from "../src/continual/measures.js";
import { continualStreams } from "../src/continual/runner.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { tinyStream } from "./helpers/continual.js";
import { dataset, settings } from "./helpers/continual-run.js";

const config = (over: Partial<ContinualConfig> = {}): ContinualConfig => ({
  ...settings(),
  stream: "split",
  scenario: "class",
  tasks: 2,
  strategy: { type: "naive", options: {} },
  homeostasis: [],
  online: false,
  probeRows: 10,
  compareJoint: false,
  evaluateOn: "test",
  validationFraction: 0.25,
  trainPerTask: 12,
  data: { train: dataset(40, 1), test: dataset(24, 2) },
  ...over,
});

test("the runner's continualStreams without a data set (no bundled digits below the package root): a ConfigError on data", () => {
  assert.throws(
    () => continualStreams(config({ data: undefined })),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.location.field === "data" &&
      /^continual: no data set; give the config a "data"/.test(err.message),
  );
});

test("a joint strategy is its own joint reference without compareJoint", () => {
  const own = runContinual(config({ strategy: { type: "joint", options: {} } }));
  assert.deepEqual(own.joint?.R, own.R);
  assert.equal(own.intransigence, 0);
  assert.equal(runContinual(config()).joint, undefined, "naive without compareJoint: none");
});

test("formatAccuracyMatrix of no stages: the header and the footnote only", () => {
  const lines = formatAccuracyMatrix([]).split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^R \(% right\) │ {2}│ {3}mean$/);
  assert.match(lines[2], /\(mean: over the tasks trained so far\)$/);
});

test("the measures' mean of no values is 0 (not NaN); of 0.25 and 0.75, 0.5", () => {
  assert.equal(mean([]), 0);
  assert.equal(mean([0.25, 0.75]), 0.5);
});

test("an accuracy matrix with one row short of square is refused", () => {
  assert.throws(
    () => continualMeasures([[1, 0.5], [0.5]], [0, 0]),
    (err: unknown) =>
      err instanceof ConfigError && err.message === "R: expected a square T×T accuracy matrix with T ≥ 1",
  );
});

test("headAccuracy runs the model in inference mode, in batches, over the task's units", () => {
  // Two identity layers around the dropout: unit u's logit is x_u; a tie keeps the first unit. Labels 0, 1, 0, 0, 1: rows 1–4 right, row 5 wrong.
  const stream = tinyStream("task", 2, [
    {
      x: [
        [1, 0],
        [0, 1],
        [1, 1],
        [2, 1],
        [3, 2],
      ],
      labels: [0, 1, 0, 0, 1],
      classes: [0, 1],
    },
  ]);
  const model = new Sequential([new Dense(2), new Dropout(0.5), new Dense(2)]).build(2, new Rng(0));
  for (const k of [0, 2]) {
    const dense = model.layers[k] as Dense;
    dense.weight.data.set([1, 0, 0, 1]);
    dense.bias!.data.fill(0);
  }
  for (const batchSize of [2, 5, 500])
    assert.equal(headAccuracy(model, stream, 0, stream.tasks[0], batchSize), 4 / 5);
});
