import assert from "node:assert/strict";
import { test } from "node:test";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import type { LayerActivation, Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { threeBlobs } from "./helpers/models.js";

/** A run of 5 steps with observers asking for activations as given; which layers ran unfused, and the weights. */
function run(asks: (boolean | "outputs")[]) {
  const model = new Sequential([
    new Dense(8, { activation: "relu" }),
    new Dense(6, { activation: "tanh" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(2, new Rng(4));
  const split: number[] = [];
  model.layers.forEach((layer, k) => {
    const linear = layer.forwardLinear!.bind(layer);
    layer.forwardLinear = (x, ctx) => {
      split.push(k);
      return linear(x, ctx);
    };
  });
  const seen: ReadonlyMap<string, LayerActivation>[] = [];
  const observers: Observer[] = asks.map((wants) => ({
    wantsActivations: wants,
    onBatchEnd: (e) => void (e.activations && seen.push(e.activations)),
  }));
  const opts = { epochs: 1, batchSize: 16, shuffle: false, loss: "crossEntropy" as const };
  fit(model, threeBlobs(80, 2), { ...opts, seed: 1, optimizer: sgd({ lr: 0.1 }), observers });
  const weights = model.parameters().map(([, t]) => Array.from(t.data));
  return { split: [...new Set(split)], seen, weights };
}

test('an observer asking for "outputs" gets each layer\'s output while the step stays fused', () => {
  const plain = run([]);
  const outputs = run(["outputs"]);
  const all = run([true]);
  // The output layer is always split from its softmax (the loss is fused with it); the hidden ones only for pre-activations.
  assert.deepEqual(plain.split, [2]);
  assert.deepEqual(outputs.split, [2]);
  assert.deepEqual(all.split, [0, 1, 2]);
  const [a, b] = [outputs.seen[0], all.seen[0]];
  for (const name of ["0", "1"]) {
    assert.equal(a.get(name)!.preActivation, null, `layer ${name}: no pre-activation`);
    assert.deepEqual(Array.from(a.get(name)!.output.data), Array.from(b.get(name)!.output.data));
  }
  assert.ok(a.get("2")!.preActivation, "the output layer's logits are still there");
  // The same step either way, to the last bit.
  assert.deepEqual(outputs.weights, plain.weights);
  assert.deepEqual(all.weights, plain.weights);
  // One observer asking for everything wins over another asking for outputs.
  const mixed = run(["outputs", true]);
  assert.deepEqual(mixed.split, [0, 1, 2]);
  assert.ok(mixed.seen[0].get("0")!.preActivation);
});
