import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { linear, softmaxCrossEntropy } from "../src/autograd/fused.js";
import * as op from "../src/autograd/ops.js";
import type { Backend } from "../src/backend/backend.js";
import { backend, jsBackend, registerBackend, useBackend } from "../src/backend/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { threeBlobs } from "./helpers/models.js";

// The js reference without its fused kernels: autograd runs the composites' primitives on it.
const {
  linear: _linear,
  linearBackward: _linearBackward,
  softmaxCrossEntropy: _sce,
  softmaxCrossEntropyBackward: _sceBackward,
  ...primitivesOnly
} = jsBackend;
const unfused: Backend = { ...primitivesOnly, name: "js-unfused" };
registerBackend(unfused);

/** Run `f` on the named backend, then restore the one that was active. */
function on<T>(name: string, f: () => T): T {
  const before = backend().name;
  useBackend(name);
  try {
    return f();
  } finally {
    useBackend(before);
  }
}

function randomTensor(shape: number[], rng: Rng, requiresGrad = true): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  t.requiresGrad = requiresGrad;
  return t;
}

function assertSameBits(got: Tensor, want: Tensor, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  for (let i = 0; i < want.size; i++)
    assert.ok(Object.is(got.data[i], want.data[i]), `${what}[${i}]: ${got.data[i]} vs ${want.data[i]}`);
}

/** The value of `f` on one backend and the op of the node that made it. */
function traced(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) {
  return on(name, () => {
    const y = f(...inputs);
    return { y, node: y.node?.op };
  });
}

test("linear, fused by the js backend, gives its primitives' bits: value and every gradient", () => {
  const rng = new Rng(5);
  const acts: [string, ((z: Tensor) => Tensor) | undefined, string, string][] = [
    ["none", undefined, "linear", "add"],
    ["relu", op.relu, "linear", "relu"],
    ["tanh", op.tanh, "tanh", "tanh"],
  ];
  for (const [actName, act, fusedNode, plainNode] of acts) {
    for (const withBias of [true, false]) {
      const x = randomTensor([6, 7], rng);
      const w = randomTensor([5, 7], rng);
      const b = withBias ? randomTensor([5], rng) : null;
      // A zero row and zero biases make exact-zero pre-activations, where relu passes no gradient.
      x.data.fill(0, 0, 7);
      if (b) b.data.fill(0, 0, 2);
      const inputs = b ? [x, w, b] : [x, w];
      const f = (...t: Tensor[]) => linear(t[0]!, t[1]!, t[2] ?? null, act);
      const seed = randomTensor([6, 5], rng, false);
      const loss = (...t: Tensor[]) => op.sum(op.mul(f(...t), seed));
      const what = `${actName}${withBias ? ", bias" : ""}`;
      const fused = traced("js", f, inputs);
      const plain = traced("js-unfused", f, inputs);
      assert.equal(fused.node, withBias || act ? fusedNode : "linear", what);
      assert.equal(plain.node, withBias || act ? plainNode : "matmul", what);
      assertSameBits(fused.y, plain.y, `${what} value`);
      const gFused = on("js", () => grad(loss(...inputs), inputs));
      const gPlain = on("js-unfused", () => grad(loss(...inputs), inputs));
      gFused.forEach((g, i) => assertSameBits(g, gPlain[i]!, `${what} gradient ${i}`));
    }
  }
});

test("softmaxCrossEntropy, fused by the js backend, gives its primitives' bits", () => {
  const rng = new Rng(6);
  for (const shape of [[8, 10], [3, 2, 4], [5]]) {
    const z = randomTensor(shape, rng);
    const t = randomTensor(shape, rng);
    for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]!) / 4;
    const loss = (zz: Tensor, tt: Tensor) => op.mul(softmaxCrossEntropy(zz, tt), 0.37);
    const fused = traced("js", softmaxCrossEntropy, [z, t]);
    const plain = traced("js-unfused", softmaxCrossEntropy, [z, t]);
    assert.equal(fused.node, "softmaxCrossEntropy");
    assert.equal(plain.node, "neg");
    assertSameBits(fused.y, plain.y, `${JSON.stringify(shape)} value`);
    const gFused = on("js", () => grad(loss(z, t), [z, t]));
    const gPlain = on("js-unfused", () => grad(loss(z, t), [z, t]));
    gFused.forEach((g, i) => assertSameBits(g, gPlain[i]!, `${JSON.stringify(shape)} gradient ${i}`));
  }
});

test("fit trains to the same weights with fused kernels and with the composites' primitives", () => {
  const data = threeBlobs(60, 3);
  const train = (name: string): Tensor[] =>
    on(name, () => {
      const model = new Sequential([
        new Dense(8, { activation: "relu" }),
        new Dense(6, { activation: "tanh" }),
        new Dense(3, { activation: "softmax" }),
      ]).build(2, new Rng(11));
      fit(model, data, {
        epochs: 3,
        batchSize: 7,
        optimizer: adam({ lr: 0.01 }),
        loss: "crossEntropy",
        seed: 4,
      });
      return model.parameters().map(([, p]) => p);
    });
  const fused = train("js");
  const plain = train("js-unfused");
  fused.forEach((p, i) => assertSameBits(p, plain[i]!, `parameter ${i}`));
  // Training moved the weights: equal results are not two untouched initialisations.
  const fresh = new Sequential([new Dense(8, { activation: "relu" })]).build(2, new Rng(11));
  assert.ok(fresh.parameters()[0]![1].data.some((v, i) => v !== fused[0]!.data[i]));
});
