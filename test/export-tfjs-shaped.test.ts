/**
 * TF.js export of shaped layers, checked by the TF.js runtime (an independent implementation of every
 * layer): each layer type alone, then nets that chain them, with "same" padding that is uneven,
 * dilation, depthwise groups, BatchNorm running statistics away from (0, 1), residual and concat
 * blocks (the functional "Model" topology). Import restores each model bit for bit.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { exportTfjs, importTfjs, type TfjsModelJson } from "../src/io/tfjs.js";
import { Concat, Residual } from "../src/nn/blocks.js";
import { Conv1D, Conv2D } from "../src/nn/conv.js";
import type { Layer } from "../src/nn/layer.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { BatchNorm, Embedding, GroupNorm } from "../src/nn/norm-layers.js";
import { AvgPool2D, GlobalAvgPool, MaxPool2D } from "../src/nn/pooling.js";
import { Flatten, Reshape } from "../src/nn/reshape.js";
import type { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { assertSameModel, maxAbsDiff, randomInputs, throwsModelFile } from "./helpers/models.js";
import { exportCases, idInputs, shaped } from "./helpers/safetensors-exports.js";

before(async () => {
  await tf.setBackend("cpu");
});

async function runTfjs(modelJson: TfjsModelJson, weights: Uint8Array, model: Sequential, x: Tensor) {
  const m = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as unknown as tf.io.ModelJSON["modelTopology"],
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.slice().buffer,
    }),
  );
  const input = tf.tensor(Float32Array.from(x.data), [x.shape[0]!, ...model.inputShape]);
  return (m.predict(input) as tf.Tensor).dataSync() as Float32Array;
}

interface Case {
  name: string;
  layers: () => Layer[];
  shape: number[];
  ids?: number;
}

const CASES: Case[] = [
  {
    name: "Conv2D same, stride 2, uneven",
    layers: () => [new Conv2D(4, { kernel: [2, 3], stride: 2, padding: "same" })],
    shape: [7, 6, 3],
  },
  {
    name: "Conv2D valid, dilation 2",
    layers: () => [new Conv2D(3, { kernel: 3, dilation: [2, 1], activation: "relu" })],
    shape: [8, 6, 2],
  },
  {
    name: "Conv2D depthwise ×2, leakyRelu",
    layers: () => [new Conv2D(6, { groups: 3, padding: "same", activation: "leakyRelu" })],
    shape: [5, 5, 3],
  },
  {
    name: "Conv2D depthwise, stride 2, no bias",
    layers: () => [new Conv2D(3, { groups: 3, stride: 2, useBias: false })],
    shape: [7, 7, 3],
  },
  {
    name: "Conv1D same, dilation 2",
    layers: () => [new Conv1D(4, { kernel: 3, padding: "same", dilation: 2, activation: "tanh" })],
    shape: [7, 3],
  },
  {
    name: "Conv1D depthwise, stride 2",
    layers: () => [new Conv1D(4, { kernel: 2, stride: 2, groups: 2 })],
    shape: [7, 2],
  },
  {
    name: "MaxPool2D same, uneven",
    layers: () => [new MaxPool2D({ pool: [2, 3], stride: 2, padding: "same" })],
    shape: [5, 7, 2],
  },
  {
    name: "AvgPool2D same (padding not counted)",
    layers: () => [new AvgPool2D({ pool: 3, stride: 2, padding: "same" })],
    shape: [6, 5, 2],
  },
  { name: "AvgPool2D valid", layers: () => [new AvgPool2D({ pool: 2 })], shape: [4, 6, 3] },
  { name: "GlobalAvgPool 2-D", layers: () => [new GlobalAvgPool()], shape: [3, 4, 5] },
  { name: "GlobalAvgPool 1-D", layers: () => [new GlobalAvgPool()], shape: [6, 4] },
  {
    // Only flat-path layers, on shaped samples: the norm is over each position's last axis, not the row.
    name: "LayerNorm + tanh + dropout on [2, 3]",
    layers: () => [new LayerNorm(), new Activation("tanh"), new Dropout(0.5)],
    shape: [2, 3],
  },
  {
    name: "Flatten + Dense",
    layers: () => [new Flatten(), new Dense(3, { activation: "softmax" })],
    shape: [2, 3, 4],
  },
  {
    name: "Reshape + Conv1D",
    layers: () => [new Reshape([-1, 4]), new Conv1D(5, { kernel: 2 })],
    shape: [12],
  },
  {
    name: "BatchNorm (running stats)",
    layers: () => [new BatchNorm({ eps: 1e-3, momentum: 0.2 })],
    shape: [3, 2, 4],
  },
  { name: "Embedding", layers: () => [new Embedding(9, 4)], shape: [5], ids: 9 },
  {
    name: "Residual (identity, projection)",
    layers: () => [
      new Residual([
        new Conv2D(3, { padding: "same", activation: "relu" }),
        new Conv2D(3, { padding: "same" }),
      ]),
      new Residual([new Conv2D(5, { stride: 2, padding: "same" })]),
    ],
    shape: [5, 5, 3],
  },
  {
    name: "Concat (3 branches, one empty)",
    layers: () => [
      new Concat([
        [new Conv2D(2, { kernel: 1 })],
        [new MaxPool2D({ pool: 3, stride: 1, padding: "same" })],
        [],
      ]),
    ],
    shape: [4, 4, 3],
  },
  {
    name: "CNN chain",
    layers: () => [
      new Conv2D(4, { kernel: 3, padding: "same", activation: "relu" }),
      new BatchNorm(),
      new MaxPool2D({ pool: 2 }),
      new Conv2D(8, { groups: 4, kernel: 2, padding: "same", activation: "gelu" }),
      new LayerNorm(),
      new Dropout(0.3),
      new AvgPool2D({ pool: 2, stride: 1, padding: "same" }),
      new Flatten(),
      new Dense(3, { activation: "softmax" }),
    ],
    shape: [6, 6, 2],
  },
  {
    name: "sequence net",
    layers: () => [
      new Embedding(7, 3),
      new Conv1D(4, { kernel: 3, padding: "same", dilation: 2, activation: "tanh" }),
      new BatchNorm(),
      new GlobalAvgPool(),
      new Residual([new Dense(4, { activation: "selu" })]),
      new Activation("sigmoid"),
    ],
    shape: [6],
    ids: 7,
  },
];

/** Outputs of O(1) summed in other orders: 1e-5 is float32 rounding; a wrong tap moves them by 1e-2. */
const BOUND = 1e-5;
const figures: string[] = [];
after(() => console.log(`max |TF.js − Homeostat| per layer type:\n${figures.join("\n")}`));

async function check(name: string, model: Sequential, x: Tensor): Promise<void> {
  const { modelJson, weights } = exportTfjs(model);
  const diff = maxAbsDiff(await runTfjs(modelJson, weights, model, x), predict(model, x).data);
  figures.push(`  ${name.padEnd(38)} ${diff.toExponential(2)}`);
  assert.ok(diff <= BOUND, `${name}: max abs difference ${diff}`);
  assertSameModel(importTfjs(JSON.parse(JSON.stringify(modelJson)), weights, "m.json"), model);
}

CASES.forEach((c, k) =>
  test(`TF.js ${c.name}: tf.loadLayersModel predicts Homeostat's outputs, import restores the model`, async () => {
    const model = shaped(c.layers(), c.shape, 40 + k);
    const size = c.shape.reduce((a, d) => a * d, 1);
    await check(c.name, model, c.ids ? idInputs(size, c.ids, 8, 60 + k) : randomInputs(size, 8, 60 + k));
  }),
);

test("TF.js the safetensors test's residual/concat net (functional Model topology, Add, Concatenate)", async () => {
  const blocks = exportCases().find((c) => c.name === "blocks")!;
  assert.equal(exportTfjs(blocks.model).modelJson.modelTopology.class_name, "Model");
  await check("blocks net (safetensors case)", blocks.model, blocks.inputs);
});

test("TF.js kernels: Conv2D [kh, kw, in, out], depthwise [kh, kw, in, multiplier], both from one transpose", () => {
  const model = shaped(
    [new Conv2D(4, { kernel: [2, 3] }), new Conv2D(8, { kernel: 1, groups: 4 })],
    [4, 5, 2],
    7,
  );
  const { modelJson, weights } = exportTfjs(model);
  const specs = modelJson.weightsManifest[0]!.weights;
  assert.deepEqual(
    specs.map((s) => [s.name, s.shape]),
    [
      ["conv2d_0/kernel", [2, 3, 2, 4]],
      ["conv2d_0/bias", [4]],
      ["depthwise_conv2d_1/depthwise_kernel", [1, 1, 4, 2]],
      ["depthwise_conv2d_1/bias", [8]],
    ],
  );
  const k = new Float32Array(weights.slice(0, 4 * 48).buffer);
  const w = (model.layers[0] as Conv2D).weight.data;
  // kernel[ky=1][kx=2][c=1][f=3] is filter 3's tap (1, 2, 1): row 3, column (1·3 + 2)·2 + 1.
  assert.equal(k[((1 * 3 + 2) * 2 + 1) * 4 + 3], w[3 * 12 + (1 * 3 + 2) * 2 + 1]);
});

test("TF.js export refuses what TF.js cannot express, naming the layer", () => {
  const refuses = (layers: Layer[], shape: number[], ...fragments: string[]) =>
    assert.throws(
      () => exportTfjs(shaped(layers, shape, 1)),
      (e: unknown) => e instanceof ConfigError && fragments.every((f) => e.message.includes(f)),
    );
  refuses([new Conv2D(4), new GroupNorm(2)], [5, 5, 2], "layer 1 (groupNorm)", "no group normalisation");
  refuses([new Conv2D(4, { groups: 2 })], [5, 5, 4], "layer 0 (conv2d)", "groups 2 of 4 channels");
  refuses([new Conv2D(4, { stride: 2, dilation: 2 })], [9, 9, 1], "layer 0 (conv2d)", "not both");
  refuses(
    [new Residual([new Conv2D(2, { padding: "same" }), new GroupNorm(1)])],
    [3, 3, 2],
    "layer 0.1 (groupNorm)",
  );
  refuses([new Reshape([2, 2, 2, 1]), new GlobalAvgPool()], [8], "layer 1 (globalAvgPool)", "4 axes");
});

test("TF.js import of a shaped export refuses weights that are missing or of another shape, naming them", () => {
  const model = shaped([new Conv2D(2, { kernel: 2 }), new BatchNorm()], [3, 3, 1], 3);
  const { modelJson, weights } = exportTfjs(model);
  const edit = (f: (j: TfjsModelJson) => void): TfjsModelJson => {
    const j = JSON.parse(JSON.stringify(modelJson)) as TfjsModelJson;
    f(j);
    return j;
  };
  const specs = (j: TfjsModelJson) => j.weightsManifest[0]!.weights;
  throwsModelFile(
    () =>
      importTfjs(
        edit((j) => (specs(j)[2]!.name = "other/gamma")),
        weights,
        "m.json",
      ),
    "m.json",
    `weight "batch_normalization_1/gamma" is missing`,
  );
  throwsModelFile(
    () =>
      importTfjs(
        edit((j) => (specs(j)[0]!.shape = [2, 2, 2, 1])),
        weights,
        "m.json",
      ),
    `weight "conv2d_0/kernel" has shape [2, 2, 2, 1]; expected [2, 2, 1, 2]`,
  );
  throwsModelFile(
    () =>
      importTfjs(
        edit((j) => (j.userDefinedMetadata.homeostat.inputShape = [3, 0])),
        weights,
      ),
    "userDefinedMetadata.homeostat.inputShape",
  );
  throwsModelFile(
    () =>
      importTfjs(
        edit((j) => (j.userDefinedMetadata.homeostat.inputShape = [1, 1, 1])),
        weights,
      ),
    "the layers do not make a model",
    "larger than its input",
  );
});
