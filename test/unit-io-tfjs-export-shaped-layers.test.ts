/**
 * The Keras nodes of TF.js's shaped export, one layer kind at a time, written out by hand: class,
 * name, config and the tensors each node reads. A Reshape([-1]) after a layer shows the sample shape
 * the emitter tracked through it (its target_shape is that shape's size), which is how the output
 * sizes of pools, flatten and global pools are checked.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { shapedKeras } from "../src/io/tfjs-export.js";
import { Residual } from "../src/nn/blocks.js";
import type { Layer } from "../src/nn/layer.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { BatchNorm, Embedding } from "../src/nn/norm-layers.js";
import { AvgPool2D, GlobalAvgPool, MaxPool2D } from "../src/nn/pooling.js";
import { Flatten, Reshape } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

const nodesOf = (layers: Layer[], shape: number[]) =>
  shapedKeras(new Sequential(layers).build(shape, new Rng(0))).nodes;
const node = (class_name: string, name: string, config: Record<string, unknown>, inputs: string[]) => ({
  class_name,
  name,
  config: { name, trainable: true, ...config },
  inputs,
});
const ZEROS = { class_name: "Zeros", config: {} };
const ONES = { class_name: "Ones", config: {} };
const NO_REGULARIZERS = {
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};

test("a leakyRelu dense in nested residuals: a linear Dense, then a LeakyReLU reading it, then the Adds", () => {
  const dense = new Dense(3, { activation: "leakyRelu", init: "heUniform" });
  assert.deepEqual(nodesOf([new Residual([new Residual([dense])])], [3]), [
    node(
      "Dense",
      "dense_0_0_0",
      {
        units: 3,
        activation: "linear",
        use_bias: true,
        kernel_initializer: { class_name: "HeUniform", config: { seed: null } },
        bias_initializer: ZEROS,
        ...NO_REGULARIZERS,
      },
      ["input"],
    ),
    // The LeakyReLU after a dense or conv is named by the layer's path as it stands, dots and all.
    node("LeakyReLU", "leaky_re_lu_0.0.0", { alpha: 0.01 }, ["dense_0_0_0"]),
    node("Add", "add_0_0", {}, ["leaky_re_lu_0.0.0", "input"]),
    node("Add", "add_0", {}, ["add_0_0", "input"]),
  ]);
});

test("a linear activation adds no node, like identity; relu is an Activation node; dropout keeps its rate", () => {
  const layers = [
    new Activation("linear"),
    new Activation("relu"),
    new Activation("identity"),
    new Dropout(0.25),
  ];
  assert.deepEqual(nodesOf(layers, [2, 2, 1]), [
    node("Activation", "activation_1", { activation: "relu" }, ["input"]),
    node("Dropout", "dropout_3", { rate: 0.25, noise_shape: null, seed: null }, ["activation_1"]),
  ]);
});

test("pools: classes, snake-case names, pairs, padding; 'same' keeps ceil(size / stride) positions", () => {
  // [5, 4, 3] → max pool 2, same → [3, 2, 3] (18 values); avg pool [1, 2], stride 1, valid → [3, 1, 3].
  const layers = [
    new MaxPool2D({ pool: 2, padding: "same" }),
    new Reshape([3, 2, -1]),
    new AvgPool2D({ pool: [1, 2], stride: 1 }),
    new Reshape([-1]),
  ];
  assert.deepEqual(nodesOf(layers, [5, 4, 3]), [
    node(
      "MaxPooling2D",
      "max_pool2d_0",
      { pool_size: [2, 2], strides: [2, 2], padding: "same", data_format: "channels_last" },
      ["input"],
    ),
    node("Reshape", "reshape_1", { target_shape: [3, 2, 3] }, ["max_pool2d_0"]),
    node(
      "AveragePooling2D",
      "avg_pool2d_2",
      { pool_size: [1, 2], strides: [1, 1], padding: "valid", data_format: "channels_last" },
      ["reshape_1"],
    ),
    node("Reshape", "reshape_3", { target_shape: [9] }, ["avg_pool2d_2"]),
  ]);
});

test("a global average pool is 2D over [h, w, c] (channels last), 1D over [length, c]; both leave [c]", () => {
  assert.deepEqual(nodesOf([new GlobalAvgPool(), new Reshape([-1])], [2, 4, 3]), [
    node("GlobalAveragePooling2D", "global_average_pooling_0", { data_format: "channels_last" }, ["input"]),
    node("Reshape", "reshape_1", { target_shape: [3] }, ["global_average_pooling_0"]),
  ]);
  assert.deepEqual(nodesOf([new GlobalAvgPool(), new Reshape([-1])], [5, 2]), [
    node("GlobalAveragePooling1D", "global_average_pooling_0", {}, ["input"]),
    node("Reshape", "reshape_1", { target_shape: [2] }, ["global_average_pooling_0"]),
  ]);
});

test("a flatten of [2, 3, 1] leaves 6 values; a reshape resolves its -1 from the size it is handed", () => {
  const layers = [new Flatten(), new Reshape([-1]), new Reshape([-1, 2]), new Reshape([3, -1])];
  assert.deepEqual(nodesOf(layers, [2, 3, 1]), [
    node("Flatten", "flatten_0", { data_format: "channels_last" }, ["input"]),
    node("Reshape", "reshape_1", { target_shape: [6] }, ["flatten_0"]),
    node("Reshape", "reshape_2", { target_shape: [3, 2] }, ["reshape_1"]),
    node("Reshape", "reshape_3", { target_shape: [3, 2] }, ["reshape_2"]),
  ]);
});

test("an embedding: vocabulary and width, a RandomNormal(0, 1) initialiser, no mask; [3] ids → [3, 2]", () => {
  assert.deepEqual(nodesOf([new Embedding(5, 2), new Reshape([-1])], [3]), [
    node(
      "Embedding",
      "embedding_0",
      {
        input_dim: 5,
        output_dim: 2,
        embeddings_initializer: { class_name: "RandomNormal", config: { mean: 0, stddev: 1, seed: null } },
        embeddings_regularizer: null,
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: false,
      },
      ["input"],
    ),
    node("Reshape", "reshape_1", { target_shape: [6] }, ["embedding_0"]),
  ]);
});

test("layer and batch norms over the last axis; Keras's momentum is 1 - Homeostat's (0.25 → 0.75)", () => {
  const common = {
    axis: -1,
    center: true,
    scale: true,
    beta_initializer: ZEROS,
    gamma_initializer: ONES,
  };
  const layers = [new LayerNorm({ eps: 0.001 }), new BatchNorm({ momentum: 0.25, eps: 0.0001 })];
  assert.deepEqual(nodesOf(layers, [2, 2, 3]), [
    node("LayerNormalization", "layer_normalization_0", { ...common, epsilon: 0.001 }, ["input"]),
    node(
      "BatchNormalization",
      "batch_normalization_1",
      {
        ...common,
        epsilon: 0.0001,
        momentum: 0.75,
        moving_mean_initializer: ZEROS,
        moving_variance_initializer: ONES,
        beta_regularizer: null,
        gamma_regularizer: null,
        beta_constraint: null,
        gamma_constraint: null,
      },
      ["layer_normalization_0"],
    ),
  ]);
});
