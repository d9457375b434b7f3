/**
 * ONNX import of conv graphs, against two independent implementations: PyTorch (the outputs
 * test/fixtures/backbone/make_ops.py recorded, one small module per op, channels first) and ONNX
 * Runtime (the same files run here). Homeostat's own conv exports (channels last, Transposes around
 * each window op) must come back with the outputs they left with. Graphs the import cannot hold are
 * errors naming the node and its op.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-web";
import { FeatureExtractor } from "../src/io/feature-extractor.js";
import { exportOnnx, importOnnx } from "../src/io/onnx.js";
import { Residual } from "../src/nn/blocks.js";
import { Dense } from "../src/nn/layers.js";
import { BatchNorm } from "../src/nn/norm-layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { fixturePath } from "./helpers/fixtures.js";
import { maxAbsDiff, randomInputs } from "./helpers/models.js";
import { exportCases } from "./helpers/safetensors-exports.js";
import { tempDir } from "./helpers/tmp.js";

ort.env.wasm.numThreads = 1;

/** Outputs of O(1) summed in other orders: 1e-5 is float32 rounding; a wrong tap or order moves them by 1e-2. */
const BOUND = 1e-5;

const opsFile = fixturePath("backbone", "ops.json");
const ops = JSON.parse(readFileSync(opsFile, "utf8")) as Record<string, { output: number[] }> & {
  input: { shape: number[]; data: number[] };
};
const onnxOf = (name: string): Uint8Array => readFileSync(fixturePath("backbone", "ops", `${name}.onnx`));
const [rows] = ops.input.shape;
const input = new Tensor(Float32Array.from(ops.input.data), [rows!, ops.input.data.length / rows!]);

async function onnxRuntime(bytes: Uint8Array, x: Tensor, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor("float32", Float32Array.from(x.data), shape) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

const CASES = Object.keys(ops).filter((k) => k !== "input" && k !== "torch");

test("the PyTorch fixture covers every op the conv import maps", () => {
  assert.equal(CASES.length, 17);
});

for (const name of CASES)
  test(`ONNX import of PyTorch's ${name}: its outputs, and ONNX Runtime's`, async (t) => {
    const ours = FeatureExtractor.fromOnnx(onnxOf(name), `${name}.onnx`).embed(input).data;
    const shape = name.startsWith("flat_") ? [...input.shape] : ops.input.shape; // flat rows, the same numbers
    const theirs = await onnxRuntime(onnxOf(name), input, shape);
    const torch = ops[name]!.output;
    const [dTorch, dOrt] = [maxAbsDiff(ours, torch), maxAbsDiff(ours, theirs)];
    t.diagnostic(
      `${name}: max |Homeostat − PyTorch| ${dTorch.toExponential(2)}, − ONNX Runtime ${dOrt.toExponential(2)}`,
    );
    assert.ok(dTorch <= BOUND && dOrt <= BOUND, `${name}: ${dTorch} ${dOrt}`);
  });

test("the conv import keeps channels last inside: a 4-channel input row is read channels first at the edge", () => {
  const model = importOnnx(onnxOf("conv_pad1"), "conv_pad1.onnx");
  assert.deepEqual(model.inputShape, [7, 7, 4]);
  assert.equal(model.layers[0]!.type, "conv2d");
  // The model itself reads channels-last rows: the same image, transposed by hand, gives PyTorch's outputs.
  const hwc = new Float32Array(input.size);
  for (let r = 0; r < rows!; r++)
    for (let c = 0; c < 4; c++)
      for (let p = 0; p < 49; p++) hwc[r * 196 + p * 4 + c] = input.data[r * 196 + c * 49 + p]!;
  const y = predict(model, new Tensor(hwc, [rows!, 196])).data; // [rows, 7, 7, 5] flattened channels last
  const torch = ops.conv_pad1!.output; // [rows, 5, 7, 7] flattened channels first
  let diff = 0;
  for (let r = 0; r < rows!; r++)
    for (let f = 0; f < 5; f++)
      for (let p = 0; p < 49; p++)
        diff = Math.max(diff, Math.abs(y[r * 245 + p * 5 + f]! - torch[r * 245 + f * 49 + p]!));
  assert.ok(diff <= BOUND, `${diff}`);
});

/** Flat blocks: a residual of dense layers, a projection, batch norm on rows (running statistics away from 0 and 1). */
function flatBlocks(): { name: string; model: Sequential; inputs: Tensor } {
  const model = new Sequential([
    new Dense(5, { activation: "tanh" }),
    new Residual([new Dense(5, { activation: "relu" })]),
    new BatchNorm(),
    new Residual([new Dense(3)]),
    new Dense(2),
  ]).build(4, new Rng(3));
  for (const [, t] of model.buffers()) for (let i = 0; i < t.size; i++) t.data[i] = 0.3 + 0.2 * i;
  return { name: "flat blocks", model, inputs: randomInputs(4, 8, 9) };
}

const roundTrips = [...exportCases().filter((k) => k.name === "cnn" || k.name === "blocks"), flatBlocks()];
for (const c of roundTrips)
  test(`ONNX round trip of Homeostat's ${c.name}: export, import, the same outputs`, (t) => {
    const back = importOnnx(exportOnnx(c.model), `${c.name}.onnx`);
    const diff = maxAbsDiff(predict(back, c.inputs).data, predict(c.model, c.inputs).data);
    t.diagnostic(`${c.name}: max |imported − original| ${diff.toExponential(2)}`);
    assert.deepEqual(back.inputShape, c.model.inputShape);
    assert.ok(diff <= 1e-6, `${c.name}: ${diff}`);
  });

const refuses = (bytes: Uint8Array, file: string, pattern: RegExp) =>
  assert.throws(
    () => FeatureExtractor.fromOnnx(bytes, file),
    (e: unknown) => e instanceof ModelFileError && pattern.test(e.message),
  );

test("an output that is not a vector per row is an error naming it", () => {
  refuses(
    onnxOf("not_a_vector"),
    "not_a_vector.onnx",
    /not_a_vector\.onnx: the output "output" is \[2, 5, 5\] per sample, not a vector/,
  );
});

test("padding Homeostat has no equivalent for is an error naming the node and both paddings", () => {
  refuses(
    onnxOf("uneven_padding"),
    "uneven_padding.onnx",
    /node .*\(Conv\): padding \(auto_pad NOTSET, pads \[1, 1, 1, 1\]\) on a 8×8 input is neither "valid" nor Homeostat's "same"/,
  );
});

test("an unsupported op is an error naming the node and its op", () => {
  const bytes = onnxOf("activations").slice();
  const text = Buffer.from(bytes).toString("latin1").replaceAll("Sigmoid", "Sigmxid");
  refuses(
    Buffer.from(text, "latin1"),
    "act.onnx",
    /act\.onnx: node .*\(Sigmxid\): op Sigmxid is not supported; the conv import reads/,
  );
});

test("homeostat import of a graph whose output is not a vector: exit 2, the message, nothing written", () => {
  const dir = tempDir("onnx-conv-cli");
  const out = join(dir, "never.hmst");
  const bin = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
  const file = fixturePath("backbone", "ops", "not_a_vector.onnx");
  const r = spawnSync(process.execPath, [bin, "import", "--format", "onnx", "--in", file, "--out", out], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /not_a_vector\.onnx: the output "output" is \[2, 5, 5\] per sample, not a vector/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.equal(existsSync(out), false);
});
