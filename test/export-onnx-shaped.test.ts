/**
 * ONNX export of shaped layers, checked by ONNX Runtime (an independent implementation of every op):
 * convolutions with uneven "same" padding and groups, max and average pools, BatchNorm in eval mode
 * (running statistics away from 0 and 1), flatten, residuals with and without projections, concat.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-web";
import { exportOnnx } from "../src/io/onnx.js";
import { Dense } from "../src/nn/layers.js";
import { BatchNorm } from "../src/nn/norm-layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { maxAbsDiff, randomInputs } from "./helpers/models.js";
import { exportCases } from "./helpers/safetensors-exports.js";

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

const cases = exportCases().filter((c) => c.name === "cnn" || c.name === "blocks");
const flatNorm = new Sequential([new Dense(5, { activation: "tanh" }), new BatchNorm(), new Dense(2)]).build(
  4,
  new Rng(3),
);
for (const [, t] of flatNorm.buffers()) for (let i = 0; i < t.size; i++) t.data[i] = 0.3 + 0.2 * i;
cases.push({ name: "dense + batchNorm", model: flatNorm, inputs: randomInputs(4, 8, 9) });

for (const c of cases)
  test(`ONNX ${c.name}: ONNX Runtime gives Homeostat's outputs`, async (t) => {
    const ours = predict(c.model, c.inputs).data;
    const theirs = await runOnnx(exportOnnx(c.model), c.inputs);
    const diff = maxAbsDiff(ours, theirs);
    t.diagnostic(`${c.name}: max |Homeostat − ONNX Runtime| ${diff.toExponential(2)}`);
    assert.ok(diff <= BOUND, `${c.name}: ${diff}`);
  });

test("ONNX export of an embedding, conv1d or group norm names the layer", () => {
  const sequence = exportCases().find((c) => c.name === "sequence")!.model;
  assert.throws(
    () => exportOnnx(sequence),
    (e: unknown) => e instanceof ConfigError && /layer 0 \(embedding\): ONNX export supports/.test(e.message),
  );
});
