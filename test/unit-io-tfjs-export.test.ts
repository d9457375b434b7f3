/**
 * TF.js export's rare paths, checked against the model.json written out by hand (no TF.js runtime):
 * a model that computes nothing (one linear Activation, flat, shaped, or inside a one-branch concat),
 * the layers that emit no node of their own (an identity activation, a flatten of flat samples), a
 * standalone leakyRelu on shaped samples, the Glorot fallback for an initialiser a user registered,
 * and the refusals of a user's activation and of a dense layer handed shaped samples.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportTfjs } from "../src/io/tfjs.js";
import { KerasEmitter } from "../src/io/tfjs-export-shaped.js";
import { activations } from "../src/nn/activations.js";
import { Concat, Residual } from "../src/nn/blocks.js";
import { Conv2D } from "../src/nn/conv.js";
import { initializers } from "../src/nn/init.js";
import type { Layer } from "../src/nn/layer.js";
import { Activation, Dense } from "../src/nn/layers.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

const exported = (layers: Layer[], shape: number | number[]) =>
  exportTfjs(new Sequential(layers).build(shape, new Rng(0)));
const topology = (layers: Layer[], shape: number | number[]) =>
  exported(layers, shape).modelJson.modelTopology as { class_name: string; config: unknown };
const inbound = (...names: string[]) => [names.map((n) => [n, 0, 0, {}])];
const INPUT = (shape: number[]) => ({
  class_name: "InputLayer",
  name: "input",
  config: { batch_input_shape: [null, ...shape], dtype: "float32", sparse: false, name: "input" },
  inbound_nodes: [],
});
const LINEAR = { name: "activation_0", trainable: true, activation: "linear", dtype: "float32" };

test("a model that computes nothing is one linear Activation, flat or shaped, with no weights", () => {
  const flat = exported([], 3);
  assert.deepEqual(flat.modelJson.modelTopology.config, {
    name: "sequential",
    layers: [{ class_name: "Activation", config: { ...LINEAR, batch_input_shape: [null, 3] } }],
  });
  assert.deepEqual(flat.modelJson.weightsManifest, [{ paths: ["weights.bin"], weights: [] }]);
  assert.equal(flat.weights.length, 0);
  // An identity activation passes its input on: the shaped chain ends where it began.
  assert.deepEqual(topology([new Activation("identity")], [2, 2, 1]), {
    class_name: "Sequential",
    config: {
      name: "sequential",
      layers: [{ class_name: "Activation", config: { ...LINEAR, batch_input_shape: [null, 2, 2, 1] } }],
    },
    keras_version: "tfjs-layers 4.22.0",
    backend: "tensor_flow.js",
  });
});

test("a concat of one empty branch is the input itself: the linear Activation reads the input layer", () => {
  assert.deepEqual(topology([new Concat([[]])], [2, 2, 1]).config, {
    name: "model",
    layers: [
      INPUT([2, 2, 1]),
      { class_name: "Activation", name: "activation_0", config: LINEAR, inbound_nodes: inbound("input") },
    ],
    input_layers: [["input", 0, 0]],
    output_layers: [["activation_0", 0, 0]],
  });
});

test("a standalone leakyRelu on shaped samples is a LeakyReLU node of alpha 0.01; identity adds no node", () => {
  const body = [new Activation("identity"), new Activation("leakyRelu")];
  assert.deepEqual(topology([new Residual(body)], [2, 2, 1]).config, {
    name: "model",
    layers: [
      INPUT([2, 2, 1]),
      {
        class_name: "LeakyReLU",
        name: "leaky_re_lu_0_1",
        config: { name: "leaky_re_lu_0_1", trainable: true, alpha: 0.01, dtype: "float32" },
        inbound_nodes: inbound("input"),
      },
      {
        class_name: "Add",
        name: "add_0",
        config: { name: "add_0", trainable: true, dtype: "float32" },
        inbound_nodes: inbound("leaky_re_lu_0_1", "input"),
      },
    ],
    input_layers: [["input", 0, 0]],
    output_layers: [["add_0", 0, 0]],
  });
});

test("a flatten of samples already flat adds no node and keeps the width the next dense reads", () => {
  const { modelJson, weights } = exported([new Flatten(), new Flatten(), new Dense(2)], [2, 3]);
  const layers = modelJson.modelTopology.config.layers as { class_name: string; config: { name: string } }[];
  assert.deepEqual(
    layers.map((l) => [l.class_name, l.config.name]),
    [
      ["Flatten", "flatten_0"],
      ["Dense", "dense_2"],
    ],
  );
  assert.deepEqual(modelJson.weightsManifest[0]!.weights, [
    { name: "dense_2/kernel", shape: [6, 2], dtype: "float32" },
    { name: "dense_2/bias", shape: [2], dtype: "float32" },
  ]);
  assert.equal(weights.length, (6 * 2 + 2) * 4);
});

test("an initialiser a user registered has no Keras name: the kernel says GlorotUniform, flat or shaped", () => {
  initializers.register({
    name: "tfjsExportOnes",
    doc: "All ones.",
    options: {},
    create: () => (out) => out.fill(1),
  });
  try {
    const glorot = { class_name: "GlorotUniform", config: { seed: null } };
    const kernelInit = (layers: Layer[], shape: number | number[]) =>
      (topology(layers, shape).config as { layers: { config: { kernel_initializer?: unknown } }[] })
        .layers[0]!.config.kernel_initializer;
    assert.deepEqual(kernelInit([new Dense(2, { init: "tfjsExportOnes" })], 3), glorot);
    assert.deepEqual(
      kernelInit([new Conv2D(1, { kernel: 1, init: "tfjsExportOnes" }), new Flatten()], [2, 2, 1]),
      glorot,
    );
  } finally {
    initializers.unregister("tfjsExportOnes");
  }
});

test("an activation a user registered has no TF.js name: a ConfigError naming the layer, flat or shaped", () => {
  activations.register({ name: "tfjsExportSquare", doc: "x².", options: {}, create: () => (x) => x });
  try {
    const cases: [Layer[], number | number[], string][] = [
      [[new Dense(2), new Dense(2, { activation: "tfjsExportSquare" })], 3, "1"],
      [[new Dense(2), new Activation("tfjsExportSquare")], 3, "1"],
      [[new Conv2D(1, { kernel: 1, activation: "tfjsExportSquare" }), new Flatten()], [2, 2, 1], "0"],
    ];
    for (const [layers, shape, layer] of cases)
      assert.throws(() => exported(layers, shape), {
        name: "ConfigError",
        message: `layer ${layer}: activation "tfjsExportSquare" has no TensorFlow.js equivalent`,
        location: { layer },
      });
  } finally {
    activations.unregister("tfjsExportSquare");
  }
});

test("a user's activation or initialiser named like an Object property has no Keras name either", () => {
  // Plain-object tables would find Object's own "constructor" and "toString" and write a function.
  for (const name of ["constructor", "toString"]) {
    activations.register({ name, doc: "x.", options: {}, create: () => (x) => x });
    initializers.register({ name, doc: "ones.", options: {}, create: () => (out) => out.fill(1) });
    try {
      assert.throws(() => exported([new Dense(2, { activation: name })], 3), {
        name: "ConfigError",
        message: `layer 0: activation "${name}" has no TensorFlow.js equivalent`,
        location: { layer: "0" },
      });
      const kernelInit = (
        topology([new Dense(2, { init: name })], 3).config as {
          layers: { config: { kernel_initializer?: unknown } }[];
        }
      ).layers[0]!.config.kernel_initializer;
      assert.deepEqual(kernelInit, { class_name: "GlorotUniform", config: { seed: null } });
    } finally {
      activations.unregister(name);
      initializers.unregister(name);
    }
  }
});

test("the Keras emitter refuses a dense layer handed shaped samples (Sequential.build refuses it first)", () => {
  const dense = new Dense(2);
  dense.build(6, new Rng(0), "float32");
  const emitter = new KerasEmitter(
    () => "linear",
    () => ({ class_name: "GlorotUniform", config: { seed: null } }),
  );
  assert.throws(() => emitter.chain([dense], "", "input", [2, 3]), {
    name: "ConfigError",
    message:
      "layer 0 (dense): TensorFlow.js export supports a dense layer on flat samples only; put a flatten before it",
    location: { layer: "0" },
  });
});
