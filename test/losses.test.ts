/**
 * Losses against PyTorch 1.13 (test/fixtures/torch/losses.json, written by make_nn_fixtures.py beside
 * it): the value and the gradient with respect to the prediction, in float32 and float64, for the
 * plain form on outputs and the fused form on logits. A new loss or case is one new row there.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import {
  computeLoss,
  crossEntropy,
  huber,
  type Loss,
  type LossName,
  LOSS_NAMES,
  lossByName,
  mse,
} from "../src/losses/losses.js";
import { ConfigError, ShapeError } from "../src/tensor/errors.js";
import { type DType, Tensor } from "../src/tensor/tensor.js";
import { assertAllClose, flatten, type Nested, readJsonFixture, type Tolerance } from "./helpers/fixtures.js";

interface LossRow {
  name: string;
  loss: LossName;
  options: { delta?: number };
  /** "outputs": `fromOutputs` on probabilities or values; "logits": `fused.fromLogits`. */
  form: "outputs" | "logits";
  prediction: Nested;
  target: Nested;
  float32: { value: number; grad: Nested };
  float64: { value: number; grad: Nested };
}
const { rows } = readJsonFixture<{ rows: LossRow[] }>("torch", "losses.json");

const DTYPES: readonly DType[] = ["float32", "float64"];

/**
 * Relative 1e-5 (float32) and 1e-12 (float64), with a floor of 1e-2: a loss is a mean of O(1) terms,
 * so a gradient entry that is small (a nearly right prediction) is a difference of O(1) numbers and
 * keeps their absolute rounding error, 1e-7 in float32. Losses of ±1e4 logits are within relative
 * 1e-5 of values ~1e4, where float32 resolves 1e-3: the floor matters only near zero. The largest
 * errors seen are 0.08 of the float32 tolerance (cross-entropy's gradient on ±1e4 logits) and 0.001
 * of the float64 one.
 */
const TOLERANCE: Record<DType, Tolerance> = {
  float32: { rtol: 1e-5, floor: 1e-2 },
  float64: { rtol: 1e-12, floor: 1e-2 },
};

function lossOf(row: LossRow): Loss {
  return row.loss === "huber" ? huber(row.options.delta) : lossByName(row.loss);
}

test("the loss fixture covers every loss, and every fused form", () => {
  assert.deepEqual([...new Set(rows.map((r) => r.loss))].sort(), [...LOSS_NAMES].sort());
  for (const name of LOSS_NAMES) {
    if (lossByName(name).fused)
      assert.ok(
        rows.some((r) => r.loss === name && r.form === "logits"),
        `${name} on logits`,
      );
  }
});

for (const row of rows) {
  for (const dtype of DTYPES) {
    test(`${row.name} (${dtype}): value and gradient match PyTorch`, () => {
      const loss = lossOf(row);
      const y = Tensor.from(row.prediction, { dtype, requiresGrad: true });
      const t = Tensor.from(row.target, { dtype });
      const value = row.form === "logits" ? loss.fused!.fromLogits(y, t) : loss.fromOutputs(y, t);
      assert.deepEqual(value.shape, [], "a loss is a scalar");
      const [g] = grad(value, [y]);
      assertAllClose(value.data, row[dtype].value, TOLERANCE[dtype], `${row.name} value`);
      assertAllClose(g!.data, row[dtype].grad, TOLERANCE[dtype], `${row.name} gradient`);
    });
  }
}

/**
 * The fused gradients in closed form, computed here in float64 from the logits: (σ(z) − y)/N for
 * binary cross-entropy (N elements) and (softmax(z) − y)/rows for cross-entropy. This pins down the
 * promise in losses.ts independently of PyTorch, and for logits of ±1e4 in particular.
 */
function closedFormGradient(name: LossName, z: number[], y: number[], cols: number): number[] {
  if (name === "binaryCrossEntropy") return z.map((v, i) => (1 / (1 + Math.exp(-v)) - y[i]!) / z.length);
  const rowsCount = z.length / cols;
  const out: number[] = [];
  for (let r = 0; r < rowsCount; r++) {
    const row = z.slice(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    // −Σ y·log softmax(z) has gradient softmax(z)·Σy − y: (p − y) when the row of y sums to 1, as
    // the fixture's rows do up to float32 rounding (1e-7), which float64 resolves.
    const ySum = y.slice(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0);
    e.forEach((v, c) => out.push(((v / s) * ySum - y[r * cols + c]!) / rowsCount));
  }
  return out;
}

for (const row of rows.filter((r) => r.form === "logits")) {
  test(`${row.name}: the gradient is (activation(z) − y)/count in closed form`, () => {
    const z = Tensor.from(row.prediction, { dtype: "float64", requiresGrad: true });
    const t = Tensor.from(row.target, { dtype: "float64" });
    const [g] = grad(lossOf(row).fused!.fromLogits(z, t), [z]);
    const want = closedFormGradient(
      row.loss,
      flatten(row.prediction),
      flatten(row.target),
      z.shape[z.rank - 1]!,
    );
    assertAllClose(g!.data, want, TOLERANCE.float64, `${row.name} gradient`);
  });
}

test("computeLoss uses the fused form exactly when the output activation matches the loss", () => {
  const logits = Tensor.from([[1e4, -1e4]]);
  const target = Tensor.from([[0, 1]]);
  const outputs = () => Tensor.from([[1, 0]]); // the softmax of those logits, in float32
  // Fused: −log softmax(z)₁ = 2e4, the true loss, however confident the wrong answer.
  assert.equal(computeLoss(crossEntropy, "softmax", () => logits, outputs, target).item(), 2e4);
  // Plain, as for any other output activation: −log of the probability 0 clamped to 1e-7.
  const plain = computeLoss(crossEntropy, "sigmoid", () => logits, outputs, target).item();
  assert.ok(Math.abs(plain + Math.log(1e-7)) < 1e-5, `plain loss ${plain}`);
  // A loss without a fused form always compares outputs.
  assert.equal(computeLoss(mse, "softmax", () => logits, outputs, target).item(), 1);
});

test("a loss refuses outputs and targets of different shapes instead of broadcasting them", () => {
  const y = Tensor.from([[0.1], [0.2], [0.3], [0.4]]);
  const t = Tensor.from([0, 1, 0, 1]);
  for (const name of LOSS_NAMES) {
    assert.throws(() => lossByName(name).fromOutputs(y, t), ShapeError, name);
    const fused = lossByName(name).fused;
    if (fused) assert.throws(() => fused.fromLogits(y, t), ShapeError, `${name} fused`);
  }
  assert.throws(() => lossByName("hinge"), ConfigError);
});
