/**
 * Frozen backbones: a cut model's embeddings against the closed form of its layers, the fingerprint's
 * sensitivity to one bit, an ONNX backbone through the ONNX import, and a learner on embeddings that
 * saves and reloads bit for bit on its own backbone and refuses another.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BackboneLearner, FeatureExtractor } from "../src/io/feature-extractor.js";
import { exportOnnx } from "../src/io/onnx.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

const trained = () =>
  new Sequential([
    new Dense(3, { activation: "relu" }),
    new Dense(2, { activation: "tanh" }),
    new Dense(4),
  ]).build(5, new Rng(7));

test("fromModel keeps the first layers: embeddings are tanh(W2 relu(W1 x + b1) + b2), worked by hand", () => {
  const model = trained();
  const backbone = FeatureExtractor.fromModel(model, { layers: 2 });
  assert.equal(backbone.outputDim, 2);
  const x = [0.5, -1, 2, 0.25, -0.75];
  const p = new Map(model.parameters().map(([n, t]) => [n, t.data]));
  const dense = (w: ArrayLike<number>, b: ArrayLike<number>, v: number[], f: (z: number) => number) =>
    Array.from(b, (bi, r) => f(v.reduce((s, vi, c) => s + w[r * v.length + c]! * vi, bi)));
  const h = dense(p.get("0.weight")!, p.get("0.bias")!, x, (z) => Math.max(0, z));
  const expected = dense(p.get("1.weight")!, p.get("1.bias")!, h, Math.tanh);
  const got = backbone.embedRow(x);
  expected.forEach((e, i) => assert.ok(Math.abs(got[i]! - e) < 1e-6, `embedding ${i}: ${got[i]} vs ${e}`));
});

test("the hash is the same for the same weights and changes with one bit", () => {
  const a = FeatureExtractor.fromModel(trained(), { layers: 2 });
  const b = FeatureExtractor.fromModel(trained(), { layers: 2 });
  assert.equal(a.hash, b.hash);
  const model = trained();
  const w = model.parameters()[0]![1].data as Float32Array;
  new Uint32Array(w.buffer, w.byteOffset, 1)[0]! ^= 1;
  assert.notEqual(FeatureExtractor.fromModel(model, { layers: 2 }).hash, a.hash);
  assert.notEqual(FeatureExtractor.fromModel(trained(), { layers: 1 }).hash, a.hash);
});

test("an ONNX backbone (Homeostat's import) embeds like the model it was exported from", () => {
  const model = new Sequential([
    new Dense(3, { activation: "relu" }),
    new Dense(2, { activation: "tanh" }),
  ]).build(5, new Rng(7));
  const onnx = FeatureExtractor.fromOnnx(exportOnnx(model));
  const direct = FeatureExtractor.fromModel(model);
  const x = new Tensor(
    Float32Array.from({ length: 15 }, (_, i) => Math.sin(i)),
    [3, 5],
  );
  assert.deepEqual([...onnx.embed(x).data], [...direct.embed(x).data]);
});

test("a learner on embeddings reloads bit for bit on its backbone and refuses another", () => {
  const backbone = FeatureExtractor.fromModel(trained(), { layers: 2 });
  const head = BackboneLearner.create(backbone, { task: "classification", seed: 3 });
  const rng = new Rng(1);
  const row = () => Array.from({ length: 5 }, () => rng.normal());
  for (let i = 0; i < 40; i++) head.observe(row(), i % 3 === 0 ? "a" : "b");
  const bytes = head.toBytes();
  const again = BackboneLearner.fromBytes(bytes, backbone);
  const probe = row();
  assert.deepEqual(again.predict(probe), head.predict(probe));
  const other = FeatureExtractor.fromModel(trained(), { layers: 1 });
  assert.throws(
    () => BackboneLearner.fromBytes(bytes, other, "head.hmst"),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.includes(`trained on backbone ${backbone.hash}`) &&
      e.message.includes(other.hash),
  );
});
