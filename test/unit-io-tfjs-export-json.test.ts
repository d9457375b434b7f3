/**
 * TF.js export's whole model.json and weights for small models whose weights are set by hand, checked
 * against the layers-model format written out here (no TF.js runtime): the flat path's Dense (kernel
 * transposed to [in, units]), Activation, LeakyReLU, Dropout and LayerNormalization layers, whose
 * metadata carries no input shape, and the shaped path's, which does (the one difference the two paths
 * make for a flat model, so it tells which one needsShapedExport chose); the Keras name of every
 * built-in initialiser; and the refusal of a model that has no weights yet.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { exportTfjs } from "../src/io/tfjs.js";
import type { Layer } from "../src/nn/layer.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

/** `model`'s parameters overwritten in order with `values`, one list per parameter. */
function withParameters(model: Sequential, values: number[][]): Sequential {
  const params = model.layers.flatMap((l) => l.parameters());
  assert.equal(params.length, values.length);
  params.forEach(([, t], k) => (t.data as Float32Array).set(values[k]!));
  return model;
}

const built = (layers: Layer[], shape: number | number[], values: number[][] = []) =>
  withParameters(new Sequential(layers).build(shape, new Rng(0)), values);

const bytesOf = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** A model.json around `layers`, `weights` and the metadata's `homeostat` fields. */
const modelJson = (layers: unknown[], weights: unknown[], homeostat: Record<string, unknown>) => ({
  format: "layers-model",
  generatedBy: "homeostat",
  convertedBy: null,
  modelTopology: {
    class_name: "Sequential",
    config: { name: "sequential", layers },
    keras_version: "tfjs-layers 4.22.0",
    backend: "tensor_flow.js",
  },
  weightsManifest: [{ paths: ["weights.bin"], weights }],
  userDefinedMetadata: { homeostat },
});

const DENSE_REST = {
  kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
  bias_initializer: { class_name: "Zeros", config: {} },
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};
const DENSE_CONFIG = { type: "dense", activation: "identity", init: "glorotUniform", useBias: true };
const spec = (name: string, shape: number[]) => ({ name, shape, dtype: "float32" });

test("a dense then a tanh Activation: Dense of kernel [in, units], then activation_1; no input shape", () => {
  // weight [units, in] = [[1, 2, 3], [4, 5, 6]]: the kernel [in, units] reads it by columns.
  const model = built([new Dense(2), new Activation("tanh")], 3, [
    [1, 2, 3, 4, 5, 6],
    [0.5, -0.5],
  ]);
  const { modelJson: json, weights } = exportTfjs(model);
  const expected = bytesOf(1, 4, 2, 5, 3, 6, 0.5, -0.5);
  assert.deepEqual(
    json,
    modelJson(
      [
        {
          class_name: "Dense",
          config: {
            name: "dense_0",
            trainable: true,
            dtype: "float32",
            batch_input_shape: [null, 3],
            units: 2,
            activation: "linear",
            use_bias: true,
            ...DENSE_REST,
          },
        },
        {
          class_name: "Activation",
          config: { name: "activation_1", trainable: true, dtype: "float32", activation: "tanh" },
        },
      ],
      [spec("dense_0/kernel", [3, 2]), spec("dense_0/bias", [2])],
      {
        layers: [
          { ...DENSE_CONFIG, units: 2 },
          { type: "activation", activation: "tanh" },
        ],
        weightsCrc32: crc32(expected),
      },
    ),
  );
  assert.deepEqual(weights, expected);
});

test("leakyRelu, in a Dense or as its own layer, is a linear Dense then a LeakyReLU named by its layer", () => {
  const model = built([new Dense(1, { activation: "leakyRelu" }), new Activation("leakyRelu")], 2, [
    [1, 2],
    [3],
  ]);
  const layers = exportTfjs(model).modelJson.modelTopology.config.layers;
  const leaky = (name: string) => ({
    class_name: "LeakyReLU",
    config: { name, trainable: true, dtype: "float32", alpha: 0.01 },
  });
  assert.deepEqual(layers, [
    {
      class_name: "Dense",
      config: {
        name: "dense_0",
        trainable: true,
        dtype: "float32",
        batch_input_shape: [null, 2],
        units: 1,
        activation: "linear",
        use_bias: true,
        ...DENSE_REST,
        // a leaky ReLU dense layer starts from He's initialisation (defaultInitFor)
        kernel_initializer: { class_name: "HeNormal", config: { seed: null } },
      },
    },
    leaky("leaky_re_lu_0"),
    leaky("leaky_re_lu_1"),
  ]);
});

test("a dropout is a Dropout layer of its rate, with no weights and no input shape in the metadata", () => {
  const { modelJson: json, weights } = exportTfjs(built([new Dropout(0.25)], 3));
  assert.deepEqual(
    json,
    modelJson(
      [
        {
          class_name: "Dropout",
          config: {
            name: "dropout_0",
            trainable: true,
            dtype: "float32",
            batch_input_shape: [null, 3],
            rate: 0.25,
            noise_shape: null,
            seed: null,
          },
        },
      ],
      [],
      { layers: [{ type: "dropout", rate: 0.25 }], weightsCrc32: 0 },
    ),
  );
  assert.equal(weights.length, 0);
});

test("a layer norm is LayerNormalization over the last axis, gamma then beta; no input shape", () => {
  const model = built([new LayerNorm({ eps: 1e-3 })], 3, [
    [2, 3, 4],
    [-1, 0, 1],
  ]);
  const { modelJson: json, weights } = exportTfjs(model);
  const expected = bytesOf(2, 3, 4, -1, 0, 1);
  assert.deepEqual(
    json,
    modelJson(
      [
        {
          class_name: "LayerNormalization",
          config: {
            name: "layer_normalization_0",
            trainable: true,
            dtype: "float32",
            batch_input_shape: [null, 3],
            axis: -1,
            epsilon: 1e-3,
            center: true,
            scale: true,
            beta_initializer: { class_name: "Zeros", config: {} },
            gamma_initializer: { class_name: "Ones", config: {} },
          },
        },
      ],
      [spec("layer_normalization_0/gamma", [3]), spec("layer_normalization_0/beta", [3])],
      { layers: [{ type: "layerNorm", eps: 1e-3 }], weightsCrc32: crc32(expected) },
    ),
  );
  assert.deepEqual(weights, expected);
});

test("each built-in initialiser has its Keras name in the dense kernel's initializer", () => {
  const KERAS: [string, string][] = [
    ["glorotUniform", "GlorotUniform"],
    ["glorotNormal", "GlorotNormal"],
    ["heUniform", "HeUniform"],
    ["heNormal", "HeNormal"],
    ["lecunUniform", "LeCunUniform"],
    ["lecunNormal", "LeCunNormal"],
    ["zeros", "Zeros"],
  ];
  for (const [init, keras] of KERAS) {
    const dense = exportTfjs(built([new Dense(1, { init })], 1, [[1], [0]])).modelJson.modelTopology.config
      .layers[0]!;
    assert.deepEqual(dense.config.kernel_initializer, { class_name: keras, config: { seed: null } }, init);
  }
});

test("shaped samples: Flatten then Dense, the metadata carrying the input shape", () => {
  const model = built([new Flatten(), new Dense(1)], [1, 2], [[1, 2], [3]]);
  const { modelJson: json, weights } = exportTfjs(model);
  const expected = bytesOf(1, 2, 3);
  assert.deepEqual(
    json,
    modelJson(
      [
        {
          class_name: "Flatten",
          config: {
            name: "flatten_0",
            trainable: true,
            data_format: "channels_last",
            dtype: "float32",
            batch_input_shape: [null, 1, 2],
          },
        },
        {
          class_name: "Dense",
          config: {
            name: "dense_1",
            trainable: true,
            units: 1,
            activation: "linear",
            use_bias: true,
            ...DENSE_REST,
            dtype: "float32",
          },
        },
      ],
      [spec("dense_1/kernel", [2, 1]), spec("dense_1/bias", [1])],
      {
        layers: [{ type: "flatten" }, { ...DENSE_CONFIG, units: 1 }],
        inputShape: [1, 2],
        weightsCrc32: crc32(expected),
      },
    ),
  );
  assert.deepEqual(weights, expected);
});

test("a model with no weights yet is a ConfigError saying to build or train it", () => {
  assert.throws(() => exportTfjs(new Sequential([new Dense(2)])), {
    name: "ConfigError",
    message:
      "TensorFlow.js export: the model has no weights yet; call build(inputDim, rng) or train it first",
  });
});
