/**
 * BatchNorm, GroupNorm and Embedding against PyTorch. The reference values live in test/fixtures/norm/
 * (norm.json), written by make_fixtures.py beside it; image-shaped cases are channels-last here and
 * permuted to PyTorch's channels-first there. Everything is float32: tolerance relative 1e-5 with a
 * floor of 0.1 (absolute 1e-6 on smaller values); the worst error seen is 0.18 of it (printed at the end).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import * as op from "../src/autograd/ops.js";
import { useBackend } from "../src/backend/index.js";
import { BatchNorm, Embedding, GroupNorm } from "../src/nn/norm-layers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { assertAllClose as closeTo, flatten, type Nested, readJsonFixture } from "./helpers/fixtures.js";

const TOL = { rtol: 1e-5, floor: 1e-1 };
let worst = 0;
/** Check within TOL and keep the worst fraction of the tolerance used, reported at the end. */
function assertAllClose(actual: ArrayLike<number>, expected: Nested, tol: typeof TOL, where: string): void {
  worst = Math.max(worst, closeTo(actual, expected, tol, where));
}

interface Step {
  x: Nested;
  p: Nested;
  y: Nested;
  dx: Nested;
  dweight: Nested;
  dbias: Nested;
  runningMean: Nested;
  runningVar: Nested;
}
interface Fixture {
  batchNorm: {
    shape: number[];
    momentum: number;
    eps: number;
    weight: Nested;
    bias: Nested;
    steps: Step[];
    eval: { x: Nested; y: Nested };
  }[];
  groupNorm: {
    shape: number[];
    groups: number;
    eps: number;
    weight: Nested;
    bias: Nested;
    x: Nested;
    p: Nested;
    y: Nested;
    dx: Nested;
    dweight: Nested;
    dbias: Nested;
  }[];
  embedding: {
    vocabulary: number;
    dim: number;
    weight: Nested;
    ids: Nested;
    p: Nested;
    y: Nested;
    dweight: Nested;
  };
}
const fixture = readJsonFixture<Fixture>("norm", "norm.json");

const tensor = (v: Nested, shape: number[], requiresGrad = false): Tensor =>
  new Tensor(Float32Array.from(flatten(v)), shape, requiresGrad);

/** The output and the gradients of sum(p · output) with respect to x and `params`. */
function run(forward: (x: Tensor) => Tensor, x: Tensor, p: Tensor, params: Tensor[]) {
  const y = forward(x);
  return { y, grads: grad(op.sum(op.mul(y, p)), [x, ...params]) };
}

for (const backendName of ["js", "wasm"] as const) {
  test(`batchNorm matches PyTorch in training and in eval, running statistics included (${backendName})`, () => {
    useBackend(backendName);
    for (const c of fixture.batchNorm) {
      const layer = new BatchNorm({ momentum: c.momentum, eps: c.eps });
      layer.build(c.shape[c.shape.length - 1], new Rng(0), "float32");
      layer.weight.data.set(flatten(c.weight));
      layer.bias.data.set(flatten(c.bias));
      c.steps.forEach((s, k) => {
        const where = `batchNorm ${JSON.stringify(c.shape)} step ${k}`;
        const x = tensor(s.x, c.shape, true);
        const { y, grads } = run((t) => layer.forward(t, { training: true }), x, tensor(s.p, c.shape), [
          layer.weight,
          layer.bias,
        ]);
        assertAllClose(y.data, s.y, TOL, `${where} output`);
        assertAllClose(grads[0].data, s.dx, TOL, `${where} input gradient`);
        assertAllClose(grads[1].data, s.dweight, TOL, `${where} weight gradient`);
        assertAllClose(grads[2].data, s.dbias, TOL, `${where} bias gradient`);
        assertAllClose(layer.runningMean.data, s.runningMean, TOL, `${where} running mean`);
        assertAllClose(layer.runningVar.data, s.runningVar, TOL, `${where} running variance`);
      });
      const y = layer.forward(tensor(c.eval.x, c.shape), { training: false });
      assertAllClose(y.data, c.eval.y, TOL, `batchNorm ${JSON.stringify(c.shape)} eval output`);
    }
    useBackend("js");
  });
}

test("groupNorm matches PyTorch: output and gradients, rows and channels-last images", () => {
  for (const c of fixture.groupNorm) {
    const where = `groupNorm ${JSON.stringify(c.shape)} in ${c.groups} groups`;
    const layer = new GroupNorm(c.groups, { eps: c.eps });
    layer.build(c.shape[c.shape.length - 1], new Rng(0), "float32");
    layer.weight.data.set(flatten(c.weight));
    layer.bias.data.set(flatten(c.bias));
    const x = tensor(c.x, c.shape, true);
    const { y, grads } = run((t) => layer.forward(t), x, tensor(c.p, c.shape), [layer.weight, layer.bias]);
    assertAllClose(y.data, c.y, TOL, `${where} output`);
    assertAllClose(grads[0].data, c.dx, TOL, `${where} input gradient`);
    assertAllClose(grads[1].data, c.dweight, TOL, `${where} weight gradient`);
    assertAllClose(grads[2].data, c.dbias, TOL, `${where} bias gradient`);
  }
});

test("embedding matches PyTorch: lookup and the weight gradient of repeated ids (summed)", () => {
  const c = fixture.embedding;
  const layer = new Embedding(c.vocabulary, c.dim);
  layer.build(4, new Rng(0), "float32");
  layer.weight.data.set(flatten(c.weight));
  const ids = flatten(c.ids);
  const x = new Tensor(Float32Array.from(ids), [2, ids.length / 2]);
  const y = layer.forward(x);
  assert.deepEqual(y.shape, [2, ids.length / 2, c.dim]);
  assertAllClose(y.data, c.y, TOL, "embedding output");
  const [dw] = grad(op.sum(op.mul(y, tensor(c.p, y.shape))), [layer.weight]);
  assertAllClose(dw.data, c.dweight, TOL, "embedding weight gradient");
  // Id 3 appears three times: its row's gradient is the sum of three rows of p, not the last one.
  assert.ok(ids.filter((i) => i === 3).length === 3);
});

test.after(() => console.log(`norm fixtures: worst error ${worst.toFixed(3)} of the tolerance`));
