/**
 * TF.js import's model.json frame, on files written by hand: the file given as text or as bytes reads
 * as the parsed object does; a topology other than a Keras Sequential, a layer list that is no array
 * and layers that never give the input width are refused word for word, naming the file; and each
 * Keras kernel initializer name (Keras 3's "LeCun…" and Keras 2's "Lecun…" spellings) maps to
 * Homeostat's initialiser, which the imported Dense layer's config keeps.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importTfjs } from "../src/io/tfjs.js";
import type { Sequential } from "../src/nn/sequential.js";

const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
const input = layer("InputLayer", { name: "in", batch_input_shape: [null, 2] });
/** A Dense "d" from 2 features to 1 with a linear activation; `extra` adds to its config. */
const dense = (extra: Record<string, unknown> = {}) =>
  layer("Dense", { name: "d", units: 1, activation: "linear", use_bias: true, ...extra });
const MANIFEST = [
  {
    paths: ["weights.bin"],
    weights: [
      { name: "d/kernel", shape: [2, 1] },
      { name: "d/bias", shape: [1] },
    ],
  },
];
/** The kernel [3, 4] and bias [5] of "d". */
const WEIGHTS = new Uint8Array(Float32Array.from([3, 4, 5]).buffer);
const sequential = (layers: unknown[]) => ({
  class_name: "Sequential",
  config: { name: "sequential", layers },
});
const modelJson = (modelTopology: unknown, weightsManifest: unknown = MANIFEST) => ({
  format: "layers-model",
  modelTopology,
  weightsManifest,
});

const params = (m: Sequential) => m.parameters().map(([name, t]) => [name, [...t.data]]);
const refuses = (json: unknown, weights: Uint8Array, message: string, file?: string) =>
  assert.throws(() => importTfjs(json, weights, file), { name: "ModelFileError", message, location: {} });

test("model.json given as text or as UTF-8 bytes imports as the parsed object does", () => {
  const json = modelJson(sequential([input, dense()]));
  const text = JSON.stringify(json);
  const expected = [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ];
  assert.deepEqual(params(importTfjs(json, WEIGHTS)), expected);
  assert.deepEqual(params(importTfjs(text, WEIGHTS)), expected);
  assert.deepEqual(params(importTfjs(new TextEncoder().encode(text), WEIGHTS)), expected);
});

test("a topology that is not a Keras Sequential is refused, naming its class or its absence", () => {
  // The functional model's config holds a layer list that would import: only the class refuses it.
  const functional = { class_name: "Model", config: { name: "model", layers: [input, dense()] } };
  refuses(
    modelJson(functional),
    WEIGHTS,
    'net/model.json: modelTopology: expected a Keras "Sequential" model, got "Model"',
    "net/model.json",
  );
  refuses(
    { format: "layers-model", weightsManifest: MANIFEST },
    WEIGHTS,
    'model.json: modelTopology: expected a Keras "Sequential" model, got none',
  );
});

test("a Sequential whose config holds no layer list is refused, naming the field", () => {
  refuses(
    modelJson({ class_name: "Sequential", config: { name: "sequential" } }),
    WEIGHTS,
    "model.json: modelTopology.config.layers: expected an array",
  );
});

test("layers that never give the input width are refused, saying where it is expected", () => {
  refuses(
    modelJson(sequential([layer("Dropout", { name: "drop", rate: 0.5 })]), [{ paths: [], weights: [] }]),
    new Uint8Array(0),
    "model.json: the input shape is unknown (expected batch_input_shape on the first layer)",
  );
});

test("each Keras kernel initializer maps to Homeostat's, an unknown one to the activation's default", () => {
  const cases: [string, string][] = [
    ["GlorotUniform", "glorotUniform"],
    ["GlorotNormal", "glorotNormal"],
    ["HeUniform", "heUniform"],
    ["HeNormal", "heNormal"],
    ["LeCunUniform", "lecunUniform"],
    ["LeCunNormal", "lecunNormal"],
    ["LecunUniform", "lecunUniform"],
    ["LecunNormal", "lecunNormal"],
    ["Zeros", "zeros"],
    // Homeostat has no orthogonal initialiser: a linear Dense gets its default, Glorot uniform.
    ["Orthogonal", "glorotUniform"],
  ];
  for (const [keras, ours] of cases) {
    const kernel_initializer = { class_name: keras, config: { seed: null } };
    const model = importTfjs(modelJson(sequential([input, dense({ kernel_initializer })])), WEIGHTS);
    assert.equal(model.layers[0]!.config().init, ours, keras);
    assert.deepEqual(params(model), [
      ["0.weight", [3, 4]],
      ["0.bias", [5]],
    ]);
  }
});
