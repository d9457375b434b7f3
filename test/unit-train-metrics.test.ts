/**
 * The training loop's metrics, evaluation and prediction against sums worked by hand: the metric
 * accumulator's weighting by rows, each metric computed only when asked, Keras' binary accuracy at the
 * 0.5 threshold, batched evaluation and prediction, the fused-loss shortcut taken only when the model's
 * output activation is the loss's, and the data-shape errors.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy, mse } from "../src/losses/losses.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ShapeError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { evaluate, lossAndOutput, MetricAccumulator, predict } from "../src/train/evaluate.js";
import { fit } from "../src/train/fit.js";
import { sgd } from "../src/optim/optimizers.js";

/** A Dense model with the given weight matrix [in × out] (row-major, as Dense stores it) and biases. */
function linear(
  weight: number[],
  bias: number[],
  inputDim: number,
  activation?: "sigmoid" | "relu",
): Sequential {
  const m = new Sequential([new Dense(bias.length, activation ? { activation } : {})]).build(
    inputDim,
    new Rng(0),
  );
  const [[, w], [, b]] = m.parameters();
  w.data.set(weight);
  b.data.set(bias);
  return m;
}

// Two batches of unequal size. Batch 1: differences 1, 0, −2, 0 (squares 5, absolutes 3); batch 2:
// differences 0.5, 0 (square 0.25, absolute 0.5). Loss weighted by rows: (1·2 + 4·1)/3 = 2.
function twoBatches(acc: MetricAccumulator): void {
  acc.add(
    1,
    Tensor.from([
      [1, 2],
      [3, 4],
    ]),
    Tensor.from([
      [0, 2],
      [5, 4],
    ]),
  );
  acc.add(4, Tensor.from([[0.5, 0]]), Tensor.from([[0, 0]]));
}

test("the accumulator weights each batch's loss by its rows and averages errors over every cell", () => {
  const acc = new MetricAccumulator(["mse", "mae"]);
  twoBatches(acc);
  assert.deepEqual(acc.result(), { loss: 2, mse: 5.25 / 6, mae: 3.5 / 6 });
  // [lossSum, correct, sqErr, absErr, rows, cells]; a fresh accumulator given them gives the same result.
  assert.deepEqual(acc.getState(), [6, 0, 5.25, 3.5, 3, 6]);
  const back = new MetricAccumulator(["mse", "mae"]);
  back.setState(acc.getState());
  assert.deepEqual(back.result(), acc.result());
});

test("each metric is computed and reported only when asked for", () => {
  const only = (metrics: ("accuracy" | "mse" | "mae")[]) => {
    const acc = new MetricAccumulator(metrics);
    twoBatches(acc);
    return { result: acc.result(), state: acc.getState() };
  };
  assert.deepEqual(only([]), { result: { loss: 2 }, state: [6, 0, 0, 0, 3, 0] });
  assert.deepEqual(only(["mse"]).result, { loss: 2, mse: 5.25 / 6 });
  assert.deepEqual(only(["mae"]).result, { loss: 2, mae: 3.5 / 6 });
  // Argmax per row: outputs 1, 1, 0 against targets 1, 0, 0 (the all-zero row's argmax is its first column).
  assert.deepEqual(only(["accuracy"]), { result: { loss: 2, accuracy: 2 / 3 }, state: [6, 2, 0, 0, 3, 0] });
});

test("an accumulator that saw no rows reports a loss of 0, not NaN", () => {
  assert.deepEqual(new MetricAccumulator(["accuracy", "mse", "mae"]).result(), {
    loss: 0,
    accuracy: 0,
    mse: 0,
    mae: 0,
  });
});

test("binary accuracy thresholds outputs and targets alike: exactly 0.5 counts as class 0", () => {
  const acc = new MetricAccumulator(["accuracy"]);
  // Rows: 0.5 vs 0 (both 0, right), 0.7 vs 1 (right), 0.2 vs 0.5 (both 0, right), 0.9 vs 0 (wrong),
  // 0.8 vs 1 (right).
  acc.add(0, Tensor.from([[0.5], [0.7], [0.2], [0.9], [0.8]]), Tensor.from([[0], [1], [0.5], [0], [1]]));
  assert.equal(acc.result().accuracy, 4 / 5);
});

test("evaluate batches the rows and its loss and errors equal the hand-computed means", () => {
  // y = 2x: outputs 2, 4, 6, 8 against targets 1, 4, 5, 10: differences 1, 0, 1, −2.
  const m = linear([2], [0], 1);
  const data = { x: Tensor.from([[1], [2], [3], [4]]), y: Tensor.from([[1], [4], [5], [10]]) };
  for (const batchSize of [1, 2, 3, 4, 256]) {
    const { loss, ...errors } = evaluate(m, data, { loss: mse, metrics: ["mse", "mae"], batchSize });
    // The loss is each batch's float32 mean times its rows: within a float32 rounding of 6/4.
    assert.ok(Math.abs(loss - 6 / 4) < 1e-6, `batch size ${batchSize}: loss ${loss}`);
    assert.deepEqual(errors, { mse: 6 / 4, mae: 4 / 4 }, `batch size ${batchSize}`);
  }
  assert.deepEqual(evaluate(m, data, { loss: "mse" }), { loss: 6 / 4 });
});

test("evaluate runs in inference mode: dropout passes its input through", () => {
  const m = new Sequential([new Dropout(0.5), new Dense(1)]).build(2, new Rng(0));
  const [[, w], [, b]] = m.parameters();
  w.data.set([1, 1]);
  b.data.set([0]);
  // Outputs 3 and 7 against targets 3 and 5: mse 2, whatever a dropout mask would have done.
  const data = {
    x: Tensor.from([
      [1, 2],
      [3, 4],
    ]),
    y: Tensor.from([[3], [5]]),
  };
  assert.deepEqual(evaluate(m, data, { loss: mse, batchSize: 1 }), { loss: 2 });
});

test("predict writes each batch's outputs at its own rows", () => {
  // Two outputs: (x, −2x + 1).
  const m = linear([1, -2], [0, 1], 1);
  const x = Tensor.from([[1], [2], [3], [4], [5]]);
  for (const batchSize of [1, 2, 3, 5, 256]) {
    const out = predict(m, x, batchSize);
    assert.deepEqual(out.shape, [5, 2]);
    assert.deepEqual(Array.from(out.data), [1, -1, 2, -3, 3, -5, 4, -7, 5, -9], `batch size ${batchSize}`);
  }
});

test("the fused loss is used only when the model's output activation is the loss's own", () => {
  // A sigmoid output with categorical cross-entropy: no fused form applies, the loss is −mean(t·ln σ(z)).
  // With z = 0 and z = ln 3: σ = 1/2 and 3/4, so the loss is (ln 2 + ln 4/3)/2. (A softmax over one
  // column would be 1 whatever z, and its cross-entropy 0.)
  const m = linear([1], [0], 1, "sigmoid");
  const x = Tensor.from([[0], [Math.log(3)]]);
  const y = Tensor.from([[1], [1]]);
  const r = lossAndOutput(m, crossEntropy, x, y, { training: false });
  assert.ok(Math.abs(r.loss.item() - (Math.log(2) + Math.log(4 / 3)) / 2) < 1e-6, `${r.loss.item()}`);
  assert.ok(Math.abs(r.output.data[0] - 0.5) < 1e-7 && Math.abs(r.output.data[1] - 0.75) < 1e-6);
  assert.deepEqual(Array.from(r.logits.data), Array.from(Float32Array.from([0, Math.log(3)])));
});

test("data of the wrong rank or row count, or targets of the wrong width, are shape errors naming both shapes", () => {
  const m = linear([1, 1, 1, 1, 1, 1], [0, 0, 0], 2);
  const opts = { epochs: 1, batchSize: 2, optimizer: sgd({ lr: 0.1 }), loss: mse };
  const cases: [Tensor, Tensor, RegExp][] = [
    [Tensor.zeros([4]), Tensor.zeros([4, 3]), /got x \[4\] and y \[4,3\]/],
    [Tensor.zeros([4, 2]), Tensor.zeros([4]), /got x \[4,2\] and y \[4\]/],
    [Tensor.zeros([4, 2, 1]), Tensor.zeros([4, 3]), /got x \[4,2,1\] and y \[4,3\]/],
    [Tensor.zeros([4, 2]), Tensor.zeros([3, 3]), /got x \[4,2\] and y \[3,3\]/],
  ];
  for (const [x, y, message] of cases) {
    for (const run of [() => evaluate(m, { x, y }, { loss: mse }), () => fit(m, { x, y }, opts)]) {
      assert.throws(
        run,
        (e: Error) =>
          e instanceof ShapeError &&
          /^data: expected x \[n, features\] and y \[n, outputs\] with the same n, /.test(e.message) &&
          message.test(e.message),
      );
    }
  }
  assert.throws(
    () => evaluate(m, { x: Tensor.zeros([4, 2]), y: Tensor.zeros([4, 2]) }, { loss: mse }),
    (e: Error) =>
      e instanceof ShapeError &&
      e.location.layer === "output" &&
      e.message === "data: targets have 2 columns but the model has 3 outputs",
  );
});
