/**
 * The dense-chain ONNX import's edges, on small graphs built byte by byte (helpers/onnx-fixtures.ts):
 * the graph's one float32 [batch, features] input and one output, Constant nodes (value_float, other
 * domains), biases of shape [1, units], LayerNormalization's guards, the composed gelu's domain, and
 * each refusal word for word. Outputs are checked against the weights by hand (y = xW + b).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "../src/io/onnx-import.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict as run } from "../src/train/evaluate.js";
import { foreignOnnx, type NodeDef, type ValueDef } from "./helpers/onnx-fixtures.js";

const FILE = "m.onnx";
/** W [2 features, 2 units] = [[1, 2], [3, 4]]: y = [x0 + 3·x1, 2·x0 + 4·x1]. */
const W: [string, number[], Float32Array] = ["W", [2, 2], Float32Array.of(1, 2, 3, 4)];
const matmul: NodeDef = { op: "MatMul", inputs: ["x", "W"], output: "h" };
const x2 = (name = "x", elemType = 1): ValueDef => ({ name, elemType, dims: ["N", 2] });

const refuses = (bytes: Uint8Array, message: string) =>
  assert.throws(() => importOnnx(bytes, FILE), { name: "ModelFileError", message });
const predict = (bytes: Uint8Array, row: number[]) => [
  ...run(importOnnx(bytes, FILE), new Tensor(Float32Array.from(row), [1, row.length])).data,
];

test("the graph must have one float32 [batch, features] input and one output", () => {
  const one = [matmul];
  refuses(
    foreignOnnx(one, [W], { inputs: [x2(), x2("z")] }),
    `${FILE}: the graph has 2 inputs; expected exactly one, [batch, features]`,
  );
  refuses(
    foreignOnnx(one, [W], { inputs: [x2()], outputs: [x2("h"), x2("k")] }),
    `${FILE}: the graph has 2 outputs; expected exactly one`,
  );
  refuses(
    foreignOnnx(one, [W], { inputs: [x2("x", 7)] }),
    `${FILE}: input "x" has element type 7; expected float32 (1)`,
  );
  refuses(
    foreignOnnx(one, [W], { inputs: [{ name: "x", dims: ["N", 0] }] }),
    `${FILE}: input "x" has 0 features; expected a positive number`,
  );
  refuses(
    foreignOnnx([{ op: "Relu", inputs: ["x"], output: "y" }], []),
    `${FILE}: cannot tell the number of input features (the input shape does not say, and there is no Gemm)`,
  );
});

test("a Constant's value_float is a scalar constant; without a value a Constant is refused", () => {
  // A one-unit MatMul [1, 3] whose bias is a value_float Constant 0.5: y = x0 + 3·x1 + 0.5.
  const half: NodeDef = { op: "Constant", inputs: [], output: "c", attrs: { value_float: 0.5 } };
  const W1: [string, number[], Float32Array] = ["W", [2, 1], Float32Array.of(1, 3)];
  const add: NodeDef = { op: "Add", inputs: ["h", "c"], output: "y" };
  assert.deepEqual(predict(foreignOnnx([half, matmul, add], [W1], { inputDim: 2 }), [1, 1]), [4.5]);
  // The same scalar cannot be the bias of two units.
  refuses(
    foreignOnnx([half, matmul, add], [W], { inputDim: 2 }),
    `${FILE}: node "n2" (Add): "c" has shape []; expected [2]`,
  );
  refuses(
    foreignOnnx([{ op: "Constant", inputs: [], output: "c", attrs: { value_int: 3 } }, matmul], [W], {
      inputDim: 2,
    }),
    `${FILE}: node "n0" (Constant): expected a float tensor attribute "value" or "value_float"`,
  );
});

test("a bias may be [units] or [1, units]; any other leading axis is refused", () => {
  const add: NodeDef = { op: "Add", inputs: ["h", "B"], output: "y" };
  const bias = (dims: number[], data: number[]): [string, number[], Float32Array] => [
    "B",
    dims,
    Float32Array.from(data),
  ];
  assert.deepEqual(
    predict(foreignOnnx([matmul, add], [W, bias([1, 2], [10, 20])], { inputDim: 2 }), [1, 1]),
    [14, 26],
  );
  refuses(
    foreignOnnx([matmul, add], [W, bias([2, 1], [10, 20])], { inputDim: 2 }),
    `${FILE}: node "n1" (Add): "B" has shape [2, 1]; expected [2]`,
  );
});

test("LayerNormalization needs a known width and a positive epsilon", () => {
  const ln = (epsilon: number): NodeDef => ({
    op: "LayerNormalization",
    inputs: ["x", "S"],
    output: "y",
    attrs: { epsilon },
  });
  const S: [string, number[], Float32Array] = ["S", [2], Float32Array.of(1, 1)];
  refuses(
    foreignOnnx([ln(1e-5)], [S]),
    `${FILE}: node "n0" (LayerNormalization): cannot tell the number of features before the first Gemm`,
  );
  refuses(
    foreignOnnx([ln(-1)], [S], { inputDim: 2 }),
    `${FILE}: node "n0" (LayerNormalization): epsilon -1; expected a positive number`,
  );
  // (x − mean) / √(var + ε): [1, 3] has mean 2, variance 1, so [−1, 1] / √(1 + 1e-5).
  const [a, b] = predict(foreignOnnx([ln(1e-5)], [S], { inputDim: 2 }), [1, 3]);
  assert.ok(Math.abs(a! + 1 / Math.sqrt(1 + 1e-5)) < 1e-6 && Math.abs(b! - 1 / Math.sqrt(1 + 1e-5)) < 1e-6);
});

test("Elu and Gelu attributes are checked; a Gelu's own domain may be ai.onnx", () => {
  const after = (n: Omit<NodeDef, "inputs" | "output">) =>
    foreignOnnx([matmul, { ...n, inputs: ["h"], output: "y" }], [W], { inputDim: 2 });
  refuses(
    after({ op: "Elu", attrs: { alpha: 2 } }),
    `${FILE}: node "n1" (Elu): alpha 2; only 1 is supported`,
  );
  refuses(
    after({ op: "Gelu", attrs: { approximate: "tanh" } }),
    `${FILE}: node "n1" (Gelu): only the exact (erf) form is supported`,
  );
  // Elu on [1, −1]·W = [−2, −2]: e^−2 − 1.
  const elu = predict(after({ op: "Elu", domain: "ai.onnx" }), [1, -1]);
  assert.ok(
    elu.every((v) => Math.abs(v - Math.expm1(-2)) < 1e-6),
    `${elu}`,
  );
});

test("a composed gelu is one gelu only when its nodes are ONNX's own", () => {
  const c = (name: string, v: number): NodeDef => ({ op: "Constant", inputs: [], output: name, value: v });
  const composed = (domain: string): NodeDef[] => [
    c("s", Math.SQRT2),
    c("one", 1),
    c("half", 0.5),
    matmul,
    { op: "Div", inputs: ["h", "s"], output: "d", domain },
    { op: "Erf", inputs: ["d"], output: "e", domain },
    { op: "Add", inputs: ["e", "one"], output: "a", domain },
    { op: "Mul", inputs: ["h", "a"], output: "m", domain },
    { op: "Mul", inputs: ["m", "half"], output: "y", domain },
  ];
  // gelu(4) = 4·Φ(4) = 3.99987…; x = [1, 1] gives h = [4, 6].
  const y = predict(foreignOnnx(composed("ai.onnx"), [W], { inputDim: 2 }), [1, 1]);
  assert.ok(Math.abs(y[0]! - 3.999873) < 1e-5 && Math.abs(y[1]! - 5.9999999) < 1e-5, `${y}`);
  refuses(
    foreignOnnx(composed("com.example"), [W], { inputDim: 2 }),
    `${FILE}: node "n4" (Div): operators of domain "com.example" are not supported`,
  );
});

test("a Pad or a BatchNormalization sends even a flat graph to the conv import, which takes them", () => {
  // The dense chain refuses both ops; the conv import maps a Pad that adds nothing and a batch norm
  // of flat features. x = [1, 1]: h = [4, 6]; (h − m) / √(v + ε) · s + b with m 4, v 4, s 2, b 1, ε 1e-5.
  const pad = foreignOnnx([matmul, { op: "Pad", inputs: ["h"], output: "y" }], [W], { inputDim: 2 });
  assert.deepEqual(predict(pad, [1, 1]), [4, 6]);
  const stats = (name: string, v: number): [string, number[], Float32Array] => [
    name,
    [2],
    Float32Array.of(v, v),
  ];
  const bn: NodeDef = {
    op: "BatchNormalization",
    inputs: ["h", "s", "b", "m", "v"],
    output: "y",
    attrs: { epsilon: 1e-5 },
  };
  const y = predict(
    foreignOnnx([matmul, bn], [W, stats("s", 2), stats("b", 1), stats("m", 4), stats("v", 4)], {
      inputDim: 2,
    }),
    [1, 1],
  );
  // (4 − 4) / √(4 + 1e-5) · 2 + 1 and (6 − 4) / √(4 + 1e-5) · 2 + 1
  const want = [1, (2 / Math.sqrt(4 + 1e-5)) * 2 + 1];
  assert.ok(
    y.every((v, i) => Math.abs(v - want[i]!) < 1e-5),
    `${y}`,
  );
});
