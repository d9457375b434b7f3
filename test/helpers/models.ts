import assert from "node:assert/strict";
import type { ActivationName } from "../../src/nn/activations.js";
import type { Layer } from "../../src/nn/layer.js";
import { Dense, Dropout } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { ModelFileError } from "../../src/tensor/errors.js";
import { Rng } from "../../src/tensor/rng.js";
import { Tensor } from "../../src/tensor/tensor.js";

export const ACTIVATION_NAMES: ActivationName[] = [
  "identity",
  "linear",
  "sigmoid",
  "tanh",
  "relu",
  "leakyRelu",
  "elu",
  "selu",
  "gelu",
  "softplus",
  "softmax",
];

/** A layer of a kind no registry or exporter knows: passes its input through, has no parameters. */
export const unknownLayer = (type: string): Layer => ({
  type,
  build: (d) => d,
  forward: (x) => x,
  parameters: () => [],
  config: () => ({ type }),
});

/** A built model with non-trivial parameters: every weight, bias, gain and shift drawn from a seeded normal. */
export function built(layers: Layer[], inputDim: number, seed = 1): Sequential {
  const model = new Sequential(layers).build(inputDim, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const [name, t] of model.parameters())
    for (let i = 0; i < t.size; i++)
      t.data[i] = (name.endsWith("weight") && t.rank === 1 ? 1 : 0) + 0.7 * rng.normal();
  return model;
}

/** Rows of seeded normal inputs (σ = 2, so activations reach their curved parts). */
export function randomInputs(inputDim: number, rows = 16, seed = 5): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: rows * inputDim }, () => 2 * rng.normal()),
    [rows, inputDim],
  );
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Same config, same parameter names, bit-identical weights. */
export function assertSameModel(back: Sequential, model: Sequential): void {
  assert.deepEqual(back.config(), model.config());
  const p = back.parameters();
  model.parameters().forEach(([name, t], i) => {
    assert.equal(p[i][0], name);
    assert.deepEqual(
      new Uint8Array(p[i][1].data.buffer),
      new Uint8Array(t.data.buffer),
      `${name} is bit-identical`,
    );
  });
}

export function throwsModelFile(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected a ModelFileError, got ${String(e)}`);
    for (const f of fragments)
      assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

/** Three seeded Gaussian blobs in 2-D (centres (−2, 0), (2, 0), (0, 2.5), spread 0.6), one-hot over 3 classes. */
export function threeBlobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const centres = [
    [-2, 0],
    [2, 0],
    [0, 2.5],
  ];
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x[2 * i] = centres[c][0] + 0.6 * rng.normal();
    x[2 * i + 1] = centres[c][1] + 0.6 * rng.normal();
    y[3 * i + c] = 1;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n, 3]) };
}

/** A 2-16-3 ReLU/softmax MLP for threeBlobs, with a dropout layer after the hidden one when `dropout` > 0. */
export function blobsMlp(seed: number, dropout = 0): Sequential {
  const layers = [
    new Dense(16, { activation: "relu" }),
    ...(dropout ? [new Dropout(dropout)] : []),
    new Dense(3, { activation: "softmax" }),
  ];
  return new Sequential(layers).build(2, new Rng(seed));
}

/** Every parameter's values, in the model's parameter order. */
export const parameterValues = (m: Sequential): number[][] =>
  m.parameters().map(([, t]) => Array.from(t.data));
