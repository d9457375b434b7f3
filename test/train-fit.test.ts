/**
 * fit, evaluate and predict on small seeded problems: bit-identical reruns, learning the blobs,
 * validationSplit, early stopping, least squares against the normal equations, clear errors, exact
 * resume from every checkpoint, binary accuracy counted by hand.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy, mse } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam, sgd } from "../src/optim/optimizers.js";
import { stepDecay } from "../src/optim/schedules.js";
import { ConfigError, ShapeError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { evaluate, predict } from "../src/train/evaluate.js";
import { fit } from "../src/train/fit.js";
import { earlyStopping } from "../src/train/observers.js";
import { threeBlobs as blobs, blobsMlp as mlp, parameterValues as weights } from "./helpers/models.js";

test("the same seed and config give bit-identical weights; another seed does not", () => {
  const data = blobs(150, 1);
  const run = (seed: number) => {
    const m = mlp(3, 0.3);
    fit(m, data, { epochs: 3, batchSize: 16, optimizer: adam({ lr: 0.01 }), loss: crossEntropy, seed });
    return weights(m);
  };
  const a = run(7);
  const b = run(7);
  const c = run(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("fit learns separable blobs to high accuracy, and evaluate agrees with predict", () => {
  const train = blobs(300, 2);
  const testSet = blobs(150, 3);
  const m = mlp(1);
  const h = fit(m, train, {
    epochs: 30,
    batchSize: 16,
    optimizer: adam({ lr: 0.01 }),
    loss: crossEntropy,
    metrics: ["accuracy"],
    seed: 1,
  });
  assert.ok(h.epochs[0].train.loss > h.epochs[29].train.loss * 2, "loss falls");
  const r = evaluate(m, testSet, { loss: crossEntropy, metrics: ["accuracy"] });
  assert.ok(r.accuracy! > 0.95, `accuracy ${r.accuracy}`);
  const p = predict(m, testSet.x);
  let correct = 0;
  for (let i = 0; i < 150; i++) {
    const row = Array.from(p.data.subarray(3 * i, 3 * i + 3));
    if (row.indexOf(Math.max(...row)) === i % 3) correct++;
  }
  assert.equal(correct / 150, r.accuracy);
});

test("validationSplit holds out the last rows (Keras semantics) and reports validation metrics", () => {
  const data = blobs(100, 6);
  const h = fit(mlp(1), data, {
    epochs: 1,
    batchSize: 10,
    optimizer: sgd({ lr: 0.1 }),
    loss: crossEntropy,
    metrics: ["accuracy"],
    validationSplit: 0.2,
    seed: 0,
  });
  assert.equal(h.steps, 8); // 80 training rows in batches of 10
  assert.ok(h.epochs[0].validation && h.epochs[0].validation.accuracy !== undefined);
  const m = mlp(1);
  const last20 = {
    x: new Tensor(data.x.data.slice(160), [20, 2]),
    y: new Tensor(data.y.data.slice(240), [20, 3]),
  };
  const h2 = fit(m, data, {
    epochs: 1,
    batchSize: 10,
    optimizer: sgd({ lr: 0.1 }),
    loss: crossEntropy,
    metrics: ["accuracy"],
    validationSplit: 0.2,
    seed: 0,
  });
  assert.equal(h2.epochs[0].validation!.loss, evaluate(m, last20, { loss: crossEntropy }).loss);
});

test("early stopping stops after `patience` epochs without improvement and restores the best weights", () => {
  const data = blobs(60, 7);
  const m = mlp(1);
  // A huge learning rate makes the loss worse after the first epoch.
  const snapshots: number[][][] = [];
  const es = earlyStopping({ patience: 2, monitor: "train.loss" });
  const h = fit(m, data, {
    epochs: 50,
    batchSize: 60,
    optimizer: sgd({ lr: 50 }),
    loss: crossEntropy,
    seed: 0,
    observers: [es, { onEpochEnd: () => snapshots.push(weights(m)) }],
  });
  assert.ok(h.epochs.length < 50, "stopped early");
  assert.match(h.stopReason!, /early stopping/);
  const losses = h.epochs.map((e) => e.train.loss);
  const best = losses.indexOf(Math.min(...losses));
  assert.equal(es.bestEpoch(), best);
  assert.equal(h.epochs.length, best + 1 + 2);
  assert.deepEqual(weights(m), snapshots[best]);
});

test("least squares: gradient descent on a linear model reaches the normal-equation solution", () => {
  // y = 2x₁ − 3x₂ + 0.5 + noise; closed form via (XᵀX)⁻¹Xᵀy for the 3×3 system.
  const rng = new Rng(9);
  const n = 64;
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(-1, 1),
      b = rng.uniform(-1, 1);
    xs.push([a, b]);
    ys.push(2 * a - 3 * b + 0.5 + 0.1 * rng.normal());
  }
  const m = new Sequential([new Dense(1)]).build(2, new Rng(0));
  fit(
    m,
    { x: Tensor.from(xs), y: Tensor.from(ys.map((v) => [v])) },
    { epochs: 2000, batchSize: n, optimizer: sgd({ lr: 0.2 }), loss: mse, seed: 0 },
  );
  // Normal equations with the intercept column, solved by Cramer's rule.
  const A = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const r = [0, 0, 0];
  xs.forEach(([a, b], i) => {
    const row = [a, b, 1];
    for (let p = 0; p < 3; p++) {
      r[p] += row[p] * ys[i];
      for (let q = 0; q < 3; q++) A[p][q] += row[p] * row[q];
    }
  });
  const det = (M: number[][]) =>
    M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
    M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
    M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
  const D = det(A);
  const sol = [0, 1, 2].map((k) => det(A.map((row, p) => row.map((v, q) => (q === k ? r[p] : v)))) / D);
  const [[, w], [, b]] = m.parameters();
  assert.ok(
    Math.abs(w.data[0] - sol[0]) < 1e-4 &&
      Math.abs(w.data[1] - sol[1]) < 1e-4 &&
      Math.abs(b.data[0] - sol[2]) < 1e-4,
    `${Array.from(w.data)} ${b.data[0]} vs ${sol}`,
  );
});

test("bad options and mismatched data are clear errors", () => {
  const data = blobs(30, 1);
  assert.throws(
    () => fit(mlp(1), data, { epochs: 1, batchSize: 0, optimizer: sgd({ lr: 0.1 }), loss: crossEntropy }),
    ConfigError,
  );
  assert.throws(
    () =>
      fit(mlp(1), data, {
        epochs: 1,
        batchSize: 4,
        optimizer: sgd({ lr: 0.1 }),
        loss: crossEntropy,
        validationSplit: 1.5,
      }),
    ConfigError,
  );
  const wide = { x: data.x, y: new Tensor(new Float32Array(30 * 4), [30, 4]) };
  assert.throws(
    () => fit(mlp(1), wide, { epochs: 1, batchSize: 4, optimizer: sgd({ lr: 0.1 }), loss: crossEntropy }),
    (e: Error) => e instanceof ShapeError && /4 columns but the model has 3 outputs/.test(e.message),
  );
  assert.throws(
    () => mse.fromOutputs(Tensor.zeros([4, 1]), Tensor.zeros([4])),
    (e: Error) => e instanceof ShapeError && /\[4,1\].*\[4\]/.test(e.message),
  );
  assert.throws(
    () => mlp(1).forward(Tensor.zeros([2, 5])),
    (e: Error) => e instanceof ShapeError && /expects 2 input features/.test(e.message),
  );
});

test("a run resumed from any checkpoint ends with bit-identical weights", () => {
  const data = blobs(45, 11);
  const opts = () => ({
    epochs: 4,
    batchSize: 8,
    optimizer: adam({ lr: 0.01 }),
    loss: crossEntropy,
    seed: 5,
    metrics: ["accuracy"] as const,
    schedule: stepDecay({ stepSize: 1, gamma: 0.7 }),
    augment: (x: Float32Array, _r: number, _c: number, rng: Rng) => {
      x[0] += 0.01 * rng.normal();
    },
  });
  const reference = mlp(3, 0.25);
  const full = fit(reference, data, {
    ...opts(),
    observers: [earlyStopping({ patience: 10, monitor: "train.loss" })],
  });
  const states: { state: import("../src/train/fit.js").TrainingState; weights: Float32Array[] }[] = [];
  const saver = mlp(3, 0.25);
  fit(saver, data, {
    ...opts(),
    observers: [earlyStopping({ patience: 10, monitor: "train.loss" })],
    checkpoint: {
      every: 5,
      save: (state) =>
        states.push({
          state: structuredClone(state),
          weights: saver.parameters().map(([, t]) => (t.data as Float32Array).slice()),
        }),
    },
  });
  assert.ok(states.length >= 5);
  for (const { state, weights: w } of states) {
    const m = mlp(99, 0.25); // different initial weights, overwritten by the checkpoint's
    m.parameters().forEach(([, t], i) => t.data.set(w[i]));
    const h = fit(m, data, {
      ...opts(),
      observers: [earlyStopping({ patience: 10, monitor: "train.loss" })],
      resume: state,
    });
    assert.deepEqual(weights(m), weights(reference), `resumed at step ${state.step}`);
    assert.equal(h.steps, full.steps);
    assert.deepEqual(
      h.epochs.map((e) => e.train),
      full.epochs.map((e) => e.train),
    );
  }
});

test("accuracy of a single sigmoid output is binary accuracy (threshold 0.5), counted by hand", () => {
  const m = new Sequential([new Dense(1, { activation: "sigmoid" })]).build(1, new Rng(1));
  m.parameters()[0][1].data.set([1]);
  m.parameters()[1][1].data.set([0]);
  // Outputs sigmoid(x): > 0.5 exactly where x > 0. Targets agree on rows 0, 1 and 3 only.
  const x = Tensor.from([[-2], [3], [1], [-1]]);
  const y = Tensor.from([[0], [1], [0], [0]]);
  const r = evaluate(m, { x, y }, { loss: "binaryCrossEntropy", metrics: ["accuracy"] });
  assert.equal(r.accuracy, 0.75);
});
