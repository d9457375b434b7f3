/**
 * TF.js's shaped export of convolutions and blocks, node by node, written out by hand: names from
 * the layer path (dots as underscores), a dilated kernel's output size, a depthwise Conv1D between
 * its two Reshapes, nested concats and their widths, and the refusals a user sees, word for word.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportTfjs, shapedKeras } from "../src/io/tfjs-export.js";
import { Concat, Residual } from "../src/nn/blocks.js";
import { Conv1D, Conv2D } from "../src/nn/conv.js";
import type { Layer } from "../src/nn/layer.js";
import { GroupNorm } from "../src/nn/norm-layers.js";
import { Reshape } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

const built = (layers: Layer[], shape: number[]) => new Sequential(layers).build(shape, new Rng(0));
const nodesOf = (layers: Layer[], shape: number[]) => shapedKeras(built(layers, shape)).nodes;
const node = (class_name: string, name: string, config: Record<string, unknown>, inputs: string[]) => ({
  class_name,
  name,
  config: { name, trainable: true, ...config },
  inputs,
});
/** What every conv node's config shares, for a bias-carrying conv of no activation and "valid" padding. */
const CONV = {
  padding: "valid",
  data_format: "channels_last",
  activation: "linear",
  use_bias: true,
  bias_initializer: { class_name: "Zeros", config: {} },
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};
const GLOROT_NORMAL = { class_name: "GlorotNormal", config: { seed: null } };
const conv2d = (name: string, filters: number, kernel: number[], dilation: number[], input: string) =>
  node(
    "Conv2D",
    name,
    {
      ...CONV,
      filters,
      kernel_size: kernel,
      strides: [1, 1],
      dilation_rate: dilation,
      kernel_initializer: GLOROT_NORMAL,
    },
    [input],
  );

test("a conv2d in a residual is named by its path, dots as underscores; dilation 2 spans 5 of 6 rows", () => {
  const body = [new Conv2D(1, { kernel: 1, init: "glorotNormal" })];
  assert.deepEqual(nodesOf([new Residual(body)], [2, 2, 1]), [
    conv2d("conv2d_0_0", 1, [1, 1], [1, 1], "input"),
    node("Add", "add_0", {}, ["conv2d_0_0", "input"]),
  ]);
  // [6, 5, 1], a 3-tap kernel at dilation 2 (5 wide), valid → [2, 1, 1].
  const dilated = [new Conv2D(1, { kernel: 3, dilation: 2, init: "glorotNormal" }), new Reshape([-1])];
  assert.deepEqual(nodesOf(dilated, [6, 5, 1]), [
    conv2d("conv2d_0", 1, [3, 3], [2, 2], "input"),
    node("Reshape", "reshape_1", { target_shape: [2] }, ["conv2d_0"]),
  ]);
});

test("a depthwise conv1d is a DepthwiseConv2D between a Reshape to height 1 and one back to [length, c]", () => {
  const layers = [new Conv1D(2, { kernel: 2, groups: 2, init: "glorotNormal" })];
  const name = "depthwise_conv2d_0";
  assert.deepEqual(nodesOf(layers, [5, 2]), [
    node("Reshape", `${name}_to2d`, { target_shape: [1, 5, 2] }, ["input"]),
    node(
      "DepthwiseConv2D",
      name,
      {
        ...CONV,
        kernel_size: [1, 2],
        strides: [1, 1],
        dilation_rate: [1, 1],
        depth_multiplier: 1,
        depthwise_initializer: GLOROT_NORMAL,
      },
      [`${name}_to2d`],
    ),
    node("Reshape", `${name}_to1d`, { target_shape: [4, 2] }, [name]),
  ]);
});

test("nested concats join on the last axis, named by their paths; 2 + 3 + 1 channels make 6", () => {
  const conv = (filters: number) => new Conv2D(filters, { kernel: 1, init: "glorotNormal" });
  const inner = new Concat([[conv(2)], [conv(3)]]);
  const layers = [new Concat([[inner], [conv(1)]]), new Reshape([-1])];
  assert.deepEqual(nodesOf(layers, [2, 4, 1]), [
    conv2d("conv2d_0_0_0_0_0", 2, [1, 1], [1, 1], "input"),
    conv2d("conv2d_0_0_0_1_0", 3, [1, 1], [1, 1], "input"),
    node("Concatenate", "concatenate_0_0_0", { axis: -1 }, ["conv2d_0_0_0_0_0", "conv2d_0_0_0_1_0"]),
    conv2d("conv2d_0_1_0", 1, [1, 1], [1, 1], "input"),
    node("Concatenate", "concatenate_0", { axis: -1 }, ["concatenate_0_0_0", "conv2d_0_1_0"]),
    node("Reshape", "reshape_1", { target_shape: [2 * 4 * 6] }, ["concatenate_0"]),
  ]);
});

test("a stride with a dilation is refused, conv1d or conv2d, the message giving both as configured", () => {
  const refusal = (type: string, stride: string, dilation: string) => ({
    name: "ConfigError",
    message: `layer 0 (${type}): TensorFlow.js export supports a stride or a dilation, not both (stride ${stride}, dilation ${dilation}: TF.js's conv kernels refuse the pair)`,
    location: { layer: "0" },
  });
  assert.throws(
    () => exportTfjs(built([new Conv1D(1, { kernel: 2, stride: 2, dilation: 2 })], [8, 1])),
    refusal("conv1d", "2", "2"),
  );
  // One axis strided, the other dilated: TF.js refuses it too, and the message names both pairs.
  assert.throws(
    () => exportTfjs(built([new Conv2D(1, { kernel: 2, stride: [2, 1], dilation: [1, 2] })], [8, 8, 1])),
    refusal("conv2d", "[2,1]", "[1,2]"),
  );
});

test("GroupNorm and a layer kind TF.js export does not know are ConfigErrors naming the layer", () => {
  assert.throws(() => exportTfjs(built([new GroupNorm(1)], [2, 2, 2])), {
    name: "ConfigError",
    message:
      "layer 0 (groupNorm): TensorFlow.js has no group normalisation layer (GroupNormalization is not in tfjs-layers); export to ONNX or safetensors instead",
    location: { layer: "0" },
  });
  // A user's own layer (here: doubling) passes Sequential.build but has no Keras counterpart.
  const double: Layer = {
    type: "double",
    build: (inputDim) => inputDim,
    forward: (x) =>
      new Tensor(
        x.data.map((v) => 2 * v),
        x.shape,
      ),
    parameters: () => [],
    config: () => ({ type: "double" }),
  };
  assert.throws(() => exportTfjs(built([double], [3])), {
    name: "ConfigError",
    message:
      "layer 0 (double): TensorFlow.js export supports dense, activation, dropout, layerNorm, batchNorm, conv1d, conv2d, maxPool2d, avgPool2d, globalAvgPool, flatten, reshape, embedding, residual and concat layers",
    location: { layer: "0" },
  });
});
