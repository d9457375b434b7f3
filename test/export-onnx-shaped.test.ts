/**
 * ONNX export of shaped layers, checked by ONNX Runtime (an independent implementation of every op):
 * convolutions with uneven "same" padding and groups, max and average pools, BatchNorm in eval mode
 * (running statistics away from 0 and 1), flatten, residuals with and without projections, concat;
 * Conv1D, GroupNorm (composed at opset 17), Reshape and Embedding (Cast, Gather); a layer norm on
 * shaped samples, which normalises each position's last axis.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-web";
import { exportOnnx } from "../src/io/onnx.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Conv1D } from "../src/nn/conv.js";
import type { Layer } from "../src/nn/layer.js";
import { BatchNorm, Embedding, GroupNorm } from "../src/nn/norm-layers.js";
import { Flatten, Reshape } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { maxAbsDiff, randomInputs } from "./helpers/models.js";
import { exportCases, idInputs, shaped } from "./helpers/safetensors-exports.js";

ort.env.wasm.numThreads = 1;

async function runOnnx(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    input: new ort.Tensor("float32", Float32Array.from(x.data), [...x.shape]),
  });
  return out.output!.data as Float32Array;
}

/** Outputs of O(1) summed in other orders: 1e-5 is float32 rounding, a wrong tap moves them by 1e-2. */
const BOUND = 1e-5;

const cases = exportCases().filter((c) => ["cnn", "blocks", "sequence"].includes(c.name));
const flatNorm = new Sequential([new Dense(5, { activation: "tanh" }), new BatchNorm(), new Dense(2)]).build(
  4,
  new Rng(3),
);
for (const [, t] of flatNorm.buffers()) for (let i = 0; i < t.size; i++) t.data[i] = 0.3 + 0.2 * i;
cases.push({ name: "dense + batchNorm", model: flatNorm, inputs: randomInputs(4, 8, 9) });

// Conv1D (stride, uneven "same", depthwise), GroupNorm on images and on flat rows, Reshape, Embedding.
const more: [string, Layer[], number[], number?][] = [
  [
    "conv1d stride 2, same",
    [new Conv1D(4, { kernel: 4, stride: 2, padding: "same", activation: "relu" })],
    [9, 3],
  ],
  ["conv1d depthwise, no bias", [new Conv1D(6, { kernel: 3, groups: 3, useBias: false })], [7, 3]],
  ["groupNorm on images", [new GroupNorm(3, { eps: 1e-3 })], [3, 4, 6]],
  ["groupNorm on flat rows", [new GroupNorm(2)], [6]],
  ["reshape + groupNorm", [new Reshape([4, -1]), new GroupNorm(1), new Flatten()], [12]],
  ["embedding + flatten", [new Embedding(11, 3), new Flatten(), new Dense(2)], [4], 11],
  // Only flat-path layers, on shaped samples: the norm is over each position's last axis, not the row.
  [
    "layerNorm + tanh + dropout on [2, 3]",
    [new LayerNorm(), new Activation("tanh"), new Dropout(0.5)],
    [2, 3],
  ],
];
more.forEach(([name, layers, shape, ids], k) => {
  const size = shape.reduce((a, d) => a * d, 1);
  cases.push({
    name,
    model: shaped(layers, shape, 70 + k),
    inputs: ids ? idInputs(size, ids, 8, 80 + k) : randomInputs(size, 8, 80 + k),
  });
});

for (const c of cases)
  test(`ONNX ${c.name}: ONNX Runtime gives Homeostat's outputs`, async (t) => {
    const ours = predict(c.model, c.inputs).data;
    const theirs = await runOnnx(exportOnnx(c.model), c.inputs);
    const diff = maxAbsDiff(ours, theirs);
    t.diagnostic(`${c.name}: max |Homeostat − ONNX Runtime| ${diff.toExponential(2)}`);
    assert.ok(diff <= BOUND, `${c.name}: ${diff}`);
  });
