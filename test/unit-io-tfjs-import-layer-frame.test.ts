/**
 * TF.js import's layer frame, on model.json files written by hand: how a layer without a name is named
 * in errors, a layer that is not {class_name, config}, the dtype a layer may declare, a Dense's
 * defaults (linear, with a bias) and the refused activations, the input shape (Keras 2's
 * batch_input_shape, Keras 3's batch_shape) and each shape refused, an Activation or LeakyReLU after a
 * Dense staying a layer of its own, LeakyReLU's alpha (Keras 3: negative_slope), and Dropout's rate at
 * and beyond its bounds. Every refusal is checked word for word with the file and the layer it names.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importTfjs } from "../src/io/tfjs.js";
import type { Sequential } from "../src/nn/sequential.js";
import {
  type Spec,
  layer,
  input,
  dense,
  modelJson,
  bytes,
  D_SPECS,
  D_WEIGHTS,
  params,
  refusesAtLayer as refuses,
} from "./helpers/tfjs-json.js";

/** A model of `layers` with the Dense "d" from 2 features to 1 among them. */
const withDense = (layers: unknown[]) => importTfjs(modelJson(layers, D_SPECS), D_WEIGHTS);

const kinds = (m: Sequential) => m.layers.map((l) => [l.type, l.config().activation ?? l.config().rate]);

test("a layer whose config has no string name is named by its index in errors", () => {
  for (const config of [{ rate: 2 }, { name: 7, rate: 2 }])
    refuses(
      modelJson([input(2), layer("Dropout", config)]),
      new Uint8Array(0),
      'layer "layers[1]" (Dropout): rate 2; expected a number in [0, 1)',
      "layers[1]",
    );
});

test("a layer that is not {class_name, config} is refused, with ? for a class_name that is no string", () => {
  const cases: [unknown, string, string][] = [
    [{ config: { name: "x", rate: 0.5 } }, 'layer "x" (?)', "x"],
    [{ class_name: 5, config: { name: "x", rate: 0.5 } }, 'layer "x" (?)', "x"],
    [{ class_name: "Dropout" }, 'layer "layers[1]" (Dropout)', "layers[1]"],
    [{ class_name: "Dropout", config: [0.5] }, 'layer "layers[1]" (Dropout)', "layers[1]"],
    ["Dropout", 'layer "layers[1]" (?)', "layers[1]"],
  ];
  for (const [raw, named, layerName] of cases)
    refuses(
      modelJson([input(2), raw]),
      new Uint8Array(0),
      `${named}: expected {class_name, config}`,
      layerName,
    );
});

test("a layer's dtype may be float32, null or a Keras 3 dtype policy; any other is refused", () => {
  const policy = { module: "keras", class_name: "DTypePolicy", config: { name: "float32" } };
  for (const dtype of ["float32", null, policy]) {
    const model = withDense([input(2), dense(1, { dtype })]);
    assert.deepEqual(params(model), [
      ["0.weight", [3, 4]],
      ["0.bias", [5]],
    ]);
  }
  refuses(
    modelJson([input(2), dense(1, { dtype: "int32" })], D_SPECS),
    D_WEIGHTS,
    'layer "d" (Dense): dtype "int32"; expected float32',
    "d",
  );
});

test("a Dense without activation or use_bias is linear with a bias; an activation that is no name is refused", () => {
  const { activation: _, use_bias: __, ...plain } = dense(1).config;
  assert.deepEqual(Object.keys(plain), ["name", "units"]);
  const model = withDense([input(2), layer("Dense", plain)]);
  assert.deepEqual(kinds(model), [["dense", "identity"]]);
  assert.deepEqual(params(model), [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ]);
  // ["relu"] would pass a lookup by property key (it converts to "relu"); it is no activation name.
  refuses(
    modelJson([input(2), dense(1, { activation: ["relu"] })], D_SPECS),
    D_WEIGHTS,
    'layer "d" (Dense): activation ["relu"] is not supported; expected one of linear, sigmoid, tanh, ' +
      "relu, elu, selu, gelu, softplus, softmax (or a LeakyReLU layer)",
    "d",
  );
});

test("Keras 3's batch_shape sets the width, a null one is ignored, and one feature is a width", () => {
  const keras3 = layer("InputLayer", { name: "in", batch_shape: [null, 2] });
  const model = withDense([keras3, dense(1, { batch_shape: null })]);
  assert.deepEqual(model.inputShape, [2]);
  assert.deepEqual(params(model), [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ]);
  const specs: Spec[] = [
    { name: "d/kernel", shape: [1, 1] },
    { name: "d/bias", shape: [1] },
  ];
  const one = importTfjs(modelJson([input(1), dense(1)], specs), bytes(6, 7));
  assert.deepEqual(one.inputShape, [1]);
  assert.deepEqual(params(one), [
    ["0.weight", [6]],
    ["0.bias", [7]],
  ]);
});

test("an input shape that is not [null, a positive integer] is refused, naming the layer", () => {
  const shapes: [unknown, string][] = [
    [[null, 4, 4], "[null,4,4]"],
    [[4], "[4]"],
    [{ 1: 4, length: 2 }, '{"1":4,"length":2}'],
    [[null, 0], "[null,0]"],
    [[null, 1.5], "[null,1.5]"],
    [[null, "4"], '[null,"4"]'],
  ];
  for (const [shape, printed] of shapes)
    refuses(
      modelJson([layer("InputLayer", { name: "in", batch_input_shape: shape }), dense(1)], D_SPECS),
      D_WEIGHTS,
      `layer "in" (InputLayer): input shape ${printed}; expected [null, features]`,
      "in",
    );
});

test("an Activation or LeakyReLU after a Dense stays a layer of its own (Keras 3: negative_slope)", () => {
  const relu = layer("Activation", { name: "act", activation: "relu" });
  assert.deepEqual(kinds(withDense([input(2), dense(1), relu])), [
    ["dense", "identity"],
    ["activation", "relu"],
  ]);
  for (const config of [{ alpha: 0.01 }, { negative_slope: 0.01 }])
    assert.deepEqual(kinds(withDense([input(2), dense(1), layer("LeakyReLU", { name: "lr", ...config })])), [
      ["dense", "identity"],
      ["activation", "leakyRelu"],
    ]);
});

test("LeakyReLU's alpha must be the number 0.01, not text", () => {
  for (const [alpha, printed] of [
    ["0.01", '"0.01"'],
    [0.2, "0.2"],
  ])
    refuses(
      modelJson([input(2), layer("LeakyReLU", { name: "lr", alpha })]),
      new Uint8Array(0),
      `layer "lr" (LeakyReLU): alpha ${printed}; only 0.01 is supported (Homeostat's leakyRelu)`,
      "lr",
    );
});

test("Dropout's rate may be 0; a negative rate or a rate as text is refused", () => {
  assert.deepEqual(kinds(withDense([input(2), layer("Dropout", { name: "drop", rate: 0 }), dense(1)])), [
    ["dropout", 0],
    ["dense", "identity"],
  ]);
  for (const [rate, printed] of [
    [-0.5, "-0.5"],
    ["0.5", '"0.5"'],
  ])
    refuses(
      modelJson([input(2), layer("Dropout", { name: "drop", rate })]),
      new Uint8Array(0),
      `layer "drop" (Dropout): rate ${printed}; expected a number in [0, 1)`,
      "drop",
    );
});
