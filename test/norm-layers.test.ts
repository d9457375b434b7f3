/**
 * The new primitives (gather, scatterAdd) and the composites and layers built on them: finite-difference
 * checks in float64 for every gradient, closed forms for batch norm's running statistics and inference
 * mode, and the model file carrying running statistics as state, not parameters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchNorm, concat, groupNorm } from "../src/autograd/composites.js";
import { gradCheck } from "../src/autograd/gradcheck.js";
import * as op from "../src/autograd/ops.js";
import { decodeContainer, encodeContainer } from "../src/io/container.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { cloneModel } from "../src/continual/strategy.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { BatchNorm, Embedding, GroupNorm } from "../src/nn/norm-layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { ShapeError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";

const rng = new Rng(2020);

function rand(shape: number[], lo = -2, hi = 2): Tensor {
  const t = Tensor.zeros(shape, "float64");
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  t.requiresGrad = true;
  return t;
}

const ids = (...v: number[]) => Int32Array.from(v);

function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  test(`gradient of ${name} matches finite differences`, () => {
    const r = gradCheck(f, inputs);
    assert.ok(
      r.maxRelativeError < 1e-6,
      `${name}: relative error ${r.maxRelativeError} at ${JSON.stringify(r.worst)}`,
    );
  });
}

check("gather (axis 0, repeated ids)", (x) => op.gather(x, ids(2, 0, 2, 2), 0), [rand([3, 4])]);
check("gather (last axis)", (x) => op.gather(x, ids(3, 1), -1), [rand([2, 3, 4])]);
check("scatterAdd (middle axis, repeated ids)", (x) => op.scatterAdd(x, ids(0, 3, 0), 1, 4), [
  rand([2, 3, 2]),
]);
check("concat (last axis)", (a, b, c) => concat([a, b, c]), [rand([3, 2]), rand([3, 1]), rand([3, 4])]);
check("concat (axis 0)", (a, b) => concat([a, b], 0), [rand([1, 3]), rand([2, 3])]);
check("batchNorm (rows)", (x, w, b) => batchNorm(x, w, b).y, [rand([5, 3]), rand([3]), rand([3])]);
check("batchNorm (channels-last images)", (x, w, b) => batchNorm(x, w, b).y, [
  rand([2, 2, 3, 3]),
  rand([3]),
  rand([3]),
]);
check("groupNorm (rows)", (x, w, b) => groupNorm(x, 2, w, b), [rand([3, 6]), rand([6]), rand([6])]);
check("groupNorm (sequences)", (x, w, b) => groupNorm(x, 3, w, b), [rand([2, 4, 6]), rand([6]), rand([6])]);

test("gather and scatterAdd: values by hand, repeated ids add up, bad ids name the axis", () => {
  const x = Tensor.from([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.deepEqual(Array.from(op.gather(x, ids(2, 2, 0), 0).data), [5, 6, 5, 6, 1, 2]);
  assert.deepEqual(Array.from(op.gather(x, ids(1), 1).data), [2, 4, 6]);
  assert.deepEqual(Array.from(op.scatterAdd(x, ids(1, 1, 0), 0, 2).data), [5, 6, 4, 6]);
  assert.throws(() => op.gather(x, ids(3), 0), /index 3 is outside axis 0 \(length 3\) of \[3, ?2\]/);
  assert.deepEqual(Array.from(concat([x, op.gather(x, ids(0), 1)]).data), [1, 2, 1, 3, 4, 3, 5, 6, 5]);
});

test("batch norm: running statistics follow the momentum rule, inference uses them", () => {
  const bn = new BatchNorm({ momentum: 0.25, eps: 0 });
  bn.build(2, new Rng(0), "float64");
  const x = Tensor.from(
    [
      [1, 10],
      [3, 10],
      [8, 16],
    ],
    { dtype: "float64" },
  );
  bn.forward(x, { training: true });
  // Column 0: mean 4, unbiased variance ((−3)² + (−1)² + 4²)/2 = 13; column 1: mean 12, variance 12.
  assert.deepEqual(Array.from(bn.runningMean.data), [0.75 * 0 + 0.25 * 4, 0.25 * 12]);
  assert.deepEqual(Array.from(bn.runningVar.data), [0.75 + 0.25 * 13, 0.75 + 0.25 * 12]);
  bn.runningMean.data.set([2, -1]);
  bn.runningVar.data.set([4, 0.25]);
  bn.weight.data.set([3, 1]);
  bn.bias.data.set([0.5, 0]);
  const y = bn.forward(Tensor.from([[6, 0]], { dtype: "float64" }), { training: false });
  assert.deepEqual(Array.from(y.data), [((6 - 2) / 2) * 3 + 0.5, (0 + 1) / 0.5]);
  assert.deepEqual(Array.from(bn.runningMean.data), [2, -1], "inference leaves the statistics alone");
});

test("embedding: a value that is not an id is refused with the layer and the range", () => {
  const e = new Embedding(4, 2);
  e.build(3, new Rng(1), "float32");
  assert.throws(
    () => e.forward(Tensor.from([[0, 1, 4]])),
    (err: Error) => {
      assert.ok(err instanceof ShapeError);
      assert.match(err.message, /embedding: input value 4 .* not an id in 0…3/);
      return true;
    },
  );
  assert.throws(() => e.forward(Tensor.from([[0.5, 1, 2]])), /input value 0.5/);
  assert.throws(
    () => new GroupNorm(4).build(6, new Rng(0), "float32"),
    /6 input channels do not split into 4 groups/,
  );
});

function bnModel(): Sequential {
  return new Sequential([
    new Dense(8, { activation: "relu" }),
    new BatchNorm(),
    new GroupNorm(2),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(5));
}

function blobs(n: number): { x: Tensor; y: Tensor } {
  const r = new Rng(11);
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = r.normal() + (j === c ? 3 : 0);
    y[i * 3 + c] = 1;
  }
  return { x: new Tensor(x, [n, 4]), y: new Tensor(y, [n, 3]) };
}

test("running statistics are state: not parameters, untouched by the optimiser, saved and loaded exactly", () => {
  const model = bnModel();
  assert.deepEqual(
    model.parameters().map(([n]) => n),
    ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"],
  );
  assert.deepEqual(
    model.buffers().map(([n]) => n),
    ["1.runningMean", "1.runningVar"],
  );
  const opt = adam({ lr: 0.01 });
  const result = fit(model, blobs(60), {
    epochs: 3,
    batchSize: 10,
    optimizer: opt,
    loss: crossEntropy,
    seed: 3,
  });
  const bn = model.layers[1] as BatchNorm;
  assert.ok(
    bn.runningMean.data.some((v) => v !== 0),
    "training moved the running mean",
  );
  assert.ok(!bn.runningMean.requiresGrad && !bn.runningVar.requiresGrad);
  // Adam's moments are one per parameter, of its size: none for the running statistics.
  const adamState = (result.optimizerState as { mu?: Float32Array[] }[]).find((s) => s.mu);
  assert.deepEqual(
    adamState?.mu?.map((m) => m.length),
    model.parameters().map(([, t]) => t.size),
  );
  const bytes = encodeModel(model, { loss: "crossEntropy" });
  const names = decodeContainer(bytes).tensors.map((t) => t.name);
  assert.ok(names.includes("1.runningMean") && names.includes("1.runningVar"));
  const back = decodeModel(bytes).model;
  for (const [[name, a], [, b]] of model.buffers().map((e, i) => [e, back.buffers()[i]] as const))
    assert.deepEqual(Array.from(b.data), Array.from(a.data), name);
  const x = blobs(6).x;
  assert.deepEqual(Array.from(back.forward(x).data), Array.from(model.forward(x).data));
});

test("a model of dense layers writes the same tensors as before (no buffers), so older files read the same", () => {
  const model = new Sequential([new Dense(3, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
  const names = decodeContainer(encodeModel(model)).tensors.map((t) => t.name);
  assert.deepEqual(names, ["0.weight", "0.bias", "1.weight", "1.bias"]);
});

test("a model file without the running statistics of its batch norm is refused, naming them", () => {
  // The batch norm model's header and weights, without its running statistics.
  const { header, tensors } = decodeContainer(encodeModel(bnModel()));
  const kept = tensors.filter((t) => !t.name.includes("running"));
  assert.throws(() => decodeModel(encodeContainer(header, kept)), /missing running state "1.runningMean"/);
});

test("a batch with NaN in one feature leaves that feature's running statistics as they were", () => {
  const bn = new BatchNorm({ momentum: 0.5 });
  bn.build(2, new Rng(0), "float32");
  bn.forward(
    Tensor.from([
      [Number.NaN, 1],
      [0, 3],
    ]),
    { training: true },
  );
  assert.deepEqual(Array.from(bn.runningMean.data), [0, 1]);
  assert.deepEqual(Array.from(bn.runningVar.data), [1, 0.5 + 0.5 * 2]);
});

test("a cloned model (LwF's teacher) carries the running statistics too", () => {
  const model = bnModel();
  fit(model, blobs(30), {
    epochs: 1,
    batchSize: 10,
    optimizer: adam({ lr: 0.01 }),
    loss: crossEntropy,
    seed: 3,
  });
  const copy = cloneModel(model);
  assert.deepEqual(
    copy.buffers().map(([n, t]) => [n, Array.from(t.data)]),
    model.buffers().map(([n, t]) => [n, Array.from(t.data)]),
  );
  const x = blobs(4).x;
  assert.deepEqual(Array.from(copy.forward(x).data), Array.from(model.forward(x).data));
});
