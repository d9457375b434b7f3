/**
 * The dense-chain ONNX import's walk, word for word: which graphs go to the conv import (the input's
 * rank, each conv op, an Add of two computed values), the graph input (none, undeclared, one feature,
 * initializers listed as inputs), the chain (the output at its end, each node reading the previous
 * one's output first, an output of its own), Gemm's and MatMul's attributes and weight shapes, the
 * bias Add, and Constant nodes by domain. Graphs come from helpers/onnx-fixtures.ts, or record by
 * record where it cannot write them; outputs are checked by hand against W = [[1, 2], [3, 4]].
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx, importOnnxGraph } from "../src/io/onnx-import.js";
import type { ProtoWriter } from "../src/io/protobuf.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict as run } from "../src/train/evaluate.js";
import { foreignOnnx, type NodeDef, type ValueDef } from "./helpers/onnx-fixtures.js";
import { model } from "./helpers/onnx-records.js";

const FILE = "m.onnx";
type Init = [string, number[], Float32Array];
/** W [2 features, 2 units] = [[1, 2], [3, 4]]: y = [x0 + 3·x1, 2·x0 + 4·x1]. */
const W: Init = ["W", [2, 2], Float32Array.of(1, 2, 3, 4)];
const B: Init = ["B", [2], Float32Array.of(10, 20)];
const matmul: NodeDef = { op: "MatMul", inputs: ["x", "W"], output: "h" };
const x2: ValueDef = { name: "x", dims: ["N", 2] };

const refuses = (bytes: Uint8Array, message: string) =>
  assert.throws(() => importOnnx(bytes, FILE), { name: "ModelFileError", message });
const predict = (bytes: Uint8Array, row: number[]) => [
  ...run(importOnnx(bytes, FILE), new Tensor(Float32Array.from(row), [1, row.length])).data,
];
/** The conv import's refusal of an input it cannot read as [batch, features] or [batch, C, H, W]. */
const shapedRefusal = (dims: string) =>
  `${FILE}: input "x" is float32 [${dims}]; expected float32 [batch, features] or [batch, channels, height, width] with known sizes`;

/**
 * What foreignOnnx cannot write: a graph of nodes with any outputs (none, too), an input "x" whose
 * float32 type declares no shape, initializers of float32 (1) or int64 (7), and the output "y".
 */
function rawOnnx(
  nodes: { op: string; inputs: string[]; outputs: string[] }[],
  inits: { name: string; dims: number[]; type: 1 | 7; values: number[] }[],
): Uint8Array {
  return model((g: ProtoWriter) => {
    nodes.forEach((n, i) =>
      g.message(1, (m) => {
        for (const v of n.inputs) m.string(1, v);
        for (const v of n.outputs) m.string(2, v);
        m.string(3, `n${i}`).string(4, n.op);
      }),
    );
    for (const t of inits)
      g.message(5, (w) => {
        w.packedInts(1, t.dims).int(2, t.type).string(8, t.name);
        if (t.type === 1) w.packedFloats(4, t.values);
        else w.packedInts(7, t.values);
      });
    g.message(11, (v) => v.string(1, "x").message(2, (t) => t.message(1, (tt) => tt.int(1, 1))));
    g.message(12, (v) => v.string(1, "y"));
  });
}
const rawW = { name: "W", dims: [2, 2], type: 1 as const, values: [1, 2, 3, 4] };

test("a graph input of rank other than 2 sends the graph to the conv import, even beside initializers", () => {
  const relu: NodeDef = { op: "Relu", inputs: ["x"], output: "y" };
  // IR < 4 lists initializers as inputs too: the real input is the one that is no initializer.
  const inputs: ValueDef[] = [
    { name: "W", dims: [2, 2] },
    { name: "x", dims: ["N", 2, 3] },
  ];
  refuses(foreignOnnx([relu], [W], { inputs }), shapedRefusal("?, 2, 3"));
});

test("each conv op sends a flat graph to the conv import", () => {
  // The dense chain would name the op as unsupported; the conv import reads the input first and
  // cannot use its unknown feature count.
  const ops = ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Flatten"];
  for (const op of [...ops, "Reshape", "Transpose", "Concat"])
    refuses(foreignOnnx([{ op, inputs: ["x"], output: "y" }], []), shapedRefusal("?, ?"));
});

test('an omitted input ("") is no computed value and no bias', () => {
  // Add(h, "") reads one computed value, so the graph stays a dense chain, and it has no bias.
  refuses(
    foreignOnnx([matmul, { op: "Add", inputs: ["h", ""], output: "y" }], [W], { inputDim: 2 }),
    `${FILE}: node "n1" (Add): Add is supported only as the bias right after a MatMul`,
  );
  // A MatMul with no weight input reads the omitted name "".
  refuses(
    foreignOnnx([{ op: "MatMul", inputs: ["x"], output: "y" }], [], { inputDim: 2 }),
    `${FILE}: node "n0" (MatMul): reads "", which is neither the previous node's output ("x") nor a constant`,
  );
});

test("the graph input: none, one with no declared shape, one feature, initializers listed too", () => {
  refuses(
    foreignOnnx([matmul], [W], { inputs: [] }),
    `${FILE}: the graph has 0 inputs; expected exactly one, [batch, features]`,
  );
  // No shape: the width comes from the MatMul's weight. x = [1, 1]: y = [4, 6].
  const undeclared = rawOnnx([{ op: "MatMul", inputs: ["x", "W"], outputs: ["y"] }], [rawW]);
  assert.deepEqual(predict(undeclared, [1, 1]), [4, 6]);
  assert.deepEqual(importOnnxGraph(undeclared, FILE).model.inputDim, 2);
  // One feature is a positive count: W [1, 2] = [[3, 5]], x = [2]: y = [6, 10].
  const one: Init = ["W", [1, 2], Float32Array.of(3, 5)];
  assert.deepEqual(predict(foreignOnnx([matmul], [one], { inputDim: 1 }), [2]), [6, 10]);
  const inputs: ValueDef[] = [x2, { name: "W", dims: [2, 2] }];
  assert.deepEqual(predict(foreignOnnx([matmul], [W], { inputs }), [1, 1]), [4, 6]);
});

test("the file name defaults to model.onnx in both entry points", () => {
  const bytes = foreignOnnx([matmul], [W], { inputs: [] });
  const message = "model.onnx: the graph has 0 inputs; expected exactly one, [batch, features]";
  assert.throws(() => importOnnx(bytes), { name: "ModelFileError", message });
  assert.throws(() => importOnnxGraph(bytes), { name: "ModelFileError", message });
});

test("the nodes form one chain from the input to the graph output", () => {
  const relu = (input: string): NodeDef => ({ op: "Relu", inputs: [input], output: "y" });
  refuses(
    foreignOnnx([matmul, relu("h")], [W], { inputs: [x2], outputs: [{ name: "h", dims: ["N", 2] }] }),
    `${FILE}: the graph output "h" is not the end of the node chain ("y")`,
  );
  refuses(
    foreignOnnx([matmul, relu("x")], [W], { inputDim: 2 }),
    `${FILE}: node "n1" (Relu): does not read the previous node's output "h"; only a chain of nodes is supported`,
  );
  refuses(
    foreignOnnx([{ op: "MatMul", inputs: ["W", "x"], output: "y" }], [W], { inputDim: 2 }),
    `${FILE}: node "n0" (MatMul): expects the previous node's output "x" as its first input`,
  );
  refuses(
    foreignOnnx([{ op: "Relu", inputs: ["x"], output: "" }], [], { inputDim: 2 }),
    `${FILE}: node "n0" (Relu): has no output`,
  );
  refuses(
    rawOnnx([{ op: "Relu", inputs: ["x"], outputs: [] }], []),
    `${FILE}: node "n0" (Relu): has no output`,
  );
  // An activation before the first MatMul: the MatMul's weight tells the width. relu([1, −1]) = [1, 0].
  assert.deepEqual(
    predict(foreignOnnx([relu("x"), { ...matmul, inputs: ["y", "W"] }], [W]), [1, -1]),
    [1, 2],
  );
});

test("Gemm takes only transA=0, alpha=1, beta=1; MatMul has no such attributes", () => {
  const gemm = (attrs: NodeDef["attrs"]): NodeDef => ({ op: "Gemm", inputs: ["x", "W"], output: "y", attrs });
  for (const attrs of [{ transA: 1 }, { alpha: 2 }, { beta: 0.5 }] as NodeDef["attrs"][])
    refuses(
      foreignOnnx([gemm(attrs)], [W], { inputDim: 2 }),
      `${FILE}: node "n0" (Gemm): only transA=0, alpha=1, beta=1 are supported`,
    );
  // Gemm's transB reads W as [units, features]: x = [1, 1] gives [1 + 2, 3 + 4].
  assert.deepEqual(predict(foreignOnnx([gemm({ transB: 1 })], [W], { inputDim: 2 }), [1, 1]), [3, 7]);
  // The same attributes on a MatMul are not Gemm's: W stays [features, units].
  const attrs = { transA: 1, alpha: 2, beta: 0.5, transB: 1 };
  assert.deepEqual(predict(foreignOnnx([{ ...matmul, attrs }], [W], { inputDim: 2 }), [1, 1]), [4, 6]);
});

test("a weight must be 2-D, at least 1×1, and read the current width", () => {
  const weight = (dims: number[]): Init => ["W", dims, new Float32Array(dims.reduce((a, d) => a * d, 1))];
  const gemmT: NodeDef = { op: "Gemm", inputs: ["x", "W"], output: "h", attrs: { transB: 1 } };
  const cases: [NodeDef, number[], number | undefined, string][] = [
    [matmul, [2, 2, 1], 2, "[2, 2, 1]; expected [2, units]"],
    [matmul, [2, 0], 2, "[2, 0]; expected [2, units]"],
    [matmul, [3, 2], 2, "[3, 2]; expected [2, units]"],
    [gemmT, [2, 3], 2, "[2, 3]; expected [units, 2]"],
    // With no declared width, any feature count would do, but not a zero.
    [matmul, [0, 2], undefined, "[0, 2]; expected [features, units]"],
    [gemmT, [2, 0], undefined, "[2, 0]; expected [units, features]"],
  ];
  for (const [node, dims, inputDim, want] of cases)
    refuses(
      foreignOnnx([node], [weight(dims)], { inputDim }),
      `${FILE}: node "n0" (${node.op}): weight "W" has shape ${want}`,
    );
  const raw = rawOnnx([{ op: "MatMul", inputs: ["x", "W"], outputs: ["y"] }], [{ ...rawW, type: 7 }]);
  refuses(raw, `${FILE}: node "n0" (MatMul): "W" holds int64 values; expected float32 weights`);
});

test("an Add is a bias only right after a MatMul that has none", () => {
  const add = (inputs: string[]): NodeDef => ({ op: "Add", inputs, output: "y" });
  const message = (k: number) =>
    `${FILE}: node "n${k}" (Add): Add is supported only as the bias right after a MatMul`;
  const opts = { inputDim: 2 };
  refuses(foreignOnnx([add(["x", "B"])], [B], opts), message(0));
  // A third MatMul input is already its bias.
  const biased: NodeDef = { ...matmul, inputs: ["x", "W", "B"] };
  assert.deepEqual(predict(foreignOnnx([biased], [W, B], opts), [1, 1]), [14, 26]);
  refuses(foreignOnnx([biased, add(["h", "B"])], [W, B], opts), message(1));
  refuses(foreignOnnx([{ ...matmul, op: "Gemm" }, add(["h", "B"])], [W, B], opts), message(1));
  const relu: NodeDef = { op: "Relu", inputs: ["h"], output: "r" };
  refuses(foreignOnnx([matmul, relu, add(["r", "B"])], [W, B], opts), message(2));
  refuses(foreignOnnx([matmul, add(["h"])], [W], opts), message(1));
});

test("a Constant of ONNX's own domain is a constant; one of another domain is refused", () => {
  // A one-unit MatMul [[1], [3]] whose bias is a value_float Constant 0.5: y = x0 + 3·x1 + 0.5.
  const half = (domain: string): NodeDef => ({
    op: "Constant",
    inputs: [],
    output: "c",
    attrs: { value_float: 0.5 },
    domain,
  });
  const W1: Init = ["W", [2, 1], Float32Array.of(1, 3)];
  const nodes = (domain: string) => [half(domain), matmul, { op: "Add", inputs: ["h", "c"], output: "y" }];
  assert.deepEqual(predict(foreignOnnx(nodes("ai.onnx"), [W1], { inputDim: 2 }), [1, 1]), [4.5]);
  // Nothing reads it here (an Add reading a value no node computes would go to the conv import).
  refuses(
    foreignOnnx([half("com.example"), matmul], [W1], { inputDim: 2 }),
    `${FILE}: node "n0" (Constant): operators of domain "com.example" are not supported`,
  );
});

test("a Constant must have an output, and its tensor's faults name the node", () => {
  // A Constant holding `values` as a [2, 2] tensor, with `outputs`, then a MatMul with no weight input.
  const constant = (outputs: string[], values: number[]) =>
    model((g: ProtoWriter) => {
      g.message(1, (m) => {
        for (const v of outputs) m.string(2, v);
        m.string(3, "c0").string(4, "Constant");
        m.message(5, (a) =>
          a
            .string(1, "value")
            .int(20, 4)
            .message(5, (t) => t.packedInts(1, [2, 2]).int(2, 1).packedFloats(4, values)),
        );
      });
      g.message(1, (m) => m.string(1, "x").string(2, "y").string(3, "n1").string(4, "MatMul"));
      g.message(11, (v) => v.string(1, "x").message(2, (t) => t.message(1, (tt) => tt.int(1, 1))));
      g.message(12, (v) => v.string(1, "y"));
    });
  // Unnamed, the tensor would stand in for the MatMul's missing weight.
  refuses(constant([], [1, 2, 3, 4]), `${FILE}: node "c0" (Constant): has no output`);
  refuses(constant([""], [1, 2, 3, 4]), `${FILE}: node "c0" (Constant): has no output`);
  refuses(
    constant(["c"], [1, 2, 3]),
    `${FILE}: node "c0" (Constant) "": holds 3 values; shape [2, 2] needs 4`,
  );
});
