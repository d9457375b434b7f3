/**
 * The dense-chain ONNX import's activations and LayerNormalization, word for word: Selu's constants
 * (within a tolerance relative to each constant), LayerNormalization's axis, scale, bias and epsilon
 * (read back as the decimal export wrote, when it round-trips in float32), and an op the chain does
 * not know. Graphs come from helpers/onnx-fixtures.ts; W = [[1, 2], [3, 4]] makes the features.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SELU_ALPHA, SELU_SCALE } from "../src/autograd/functional.js";
import { importOnnx } from "../src/io/onnx-import.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict as run } from "../src/train/evaluate.js";
import { foreignOnnx, type NodeDef } from "./helpers/onnx-fixtures.js";

const FILE = "m.onnx";
type Init = [string, number[], Float32Array];
const W: Init = ["W", [2, 2], Float32Array.of(1, 2, 3, 4)];
const matmul: NodeDef = { op: "MatMul", inputs: ["x", "W"], output: "h" };
/** MatMul, then `n` reading its output h = [x0 + 3·x1, 2·x0 + 4·x1]. */
const after = (n: Omit<NodeDef, "output">, inits: Init[] = []) =>
  foreignOnnx([matmul, { ...n, output: "y" }], [W, ...inits], { inputDim: 2 });

const refuses = (bytes: Uint8Array, message: string) =>
  assert.throws(() => importOnnx(bytes, FILE), { name: "ModelFileError", message });
const predict = (bytes: Uint8Array, row: number[]) => [
  ...run(importOnnx(bytes, FILE), new Tensor(Float32Array.from(row), [1, row.length])).data,
];

test("Selu takes the standard constants, each within 1e-6 of its size", () => {
  const selu = (attrs: NodeDef["attrs"]) => after({ op: "Selu", inputs: ["h"], attrs });
  const message = `${FILE}: node "n1" (Selu): only the standard SELU constants are supported`;
  refuses(selu({ alpha: 2 }), message);
  refuses(selu({ gamma: 2 }), message);
  refuses(selu({ alpha: SELU_ALPHA, gamma: 2 }), message);
  // 1.38e-6 from α as float32: within 1e-6·α (1.67e-6), not within an absolute 1e-6.
  const y = predict(selu({ alpha: SELU_ALPHA + 1.4e-6, gamma: SELU_SCALE }), [1, 0]);
  // x = [1, 0]: h = [1, 2], both positive, so selu = λ·h.
  assert.deepEqual(y, [Math.fround(SELU_SCALE), Math.fround(2 * SELU_SCALE)]);
});

test("an op the chain does not know is named, or said to be missing", () => {
  const tail =
    "is not supported; expected Gemm, MatMul+Add, an activation (Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Softplus, Softmax, Gelu), LayerNormalization, Identity or Dropout";
  refuses(after({ op: "Sin", inputs: ["h"] }), `${FILE}: node "n1" (Sin): op Sin ${tail}`);
  refuses(after({ op: "", inputs: ["h"] }), `${FILE}: node "n1" (no op_type): op (none) ${tail}`);
});

test("LayerNormalization: the last axis, a scale and bias of the width, an omitted scale", () => {
  const ln = (inputs: string[], attrs: NodeDef["attrs"] = {}) =>
    ({ op: "LayerNormalization", inputs, attrs }) as const;
  const ones = (name: string, n: number): Init => [name, [n], new Float32Array(n).fill(1)];
  const node = (what: string) => `${FILE}: node "n1" (LayerNormalization): ${what}`;
  refuses(
    after(ln(["h", "S"], { axis: 0 }), [ones("S", 2)]),
    node("axis 0; only the last axis is supported"),
  );
  refuses(after(ln(["h", "S"]), [ones("S", 3)]), node('scale "S" has 3 values; expected 2'));
  refuses(after(ln(["h", "S", "C"]), [ones("S", 2), ones("C", 3)]), node('"C" has shape [3]; expected [2]'));
  refuses(
    after(ln(["h"])),
    node('reads "", which is neither the previous node\'s output ("h") nor a constant'),
  );
  refuses(
    after(ln(["h", "S"], { epsilon: 0 }), [ones("S", 2)]),
    node("epsilon 0; expected a positive number"),
  );
  // axis 1 is the last axis of [batch, features]. x = [1, 0]: h = [1, 2], mean 1.5, variance 0.25.
  const y = predict(after(ln(["h", "S"], { axis: 1, epsilon: 1e-5 }), [ones("S", 2)]), [1, 0]);
  const z = 0.5 / Math.sqrt(0.25 + 1e-5);
  assert.ok(Math.abs(y[0]! + z) < 1e-6 && Math.abs(y[1]! - z) < 1e-6, `${y}`);
});

test("LayerNormalization's epsilon is the 7-digit decimal only when that decimal is the stored float32", () => {
  const S: Init = ["S", [2], Float32Array.of(1, 1)];
  const eps = (epsilon: number) =>
    importOnnx(
      after({ op: "LayerNormalization", inputs: ["h", "S"], attrs: { epsilon } }, [S]),
      FILE,
    ).config().layers[1];
  // float32(1e-5) = 9.99999974…e-6 reads back as the 1e-5 an export wrote.
  assert.deepEqual(eps(1e-5), { type: "layerNorm", eps: 1e-5 });
  // The next float32 up, 1.0000000656873453e-5, prints as 1.000000e-5 to 7 digits, which is not it.
  const next = 1.0000000656873453e-5;
  assert.equal(Math.fround(next), next);
  assert.deepEqual(eps(next), { type: "layerNorm", eps: next });
});
