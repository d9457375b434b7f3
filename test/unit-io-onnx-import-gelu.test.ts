/**
 * The composed gelu, ½·h·(1 + erf(h/√2)), that PyTorch writes as Div (or Mul by 1/√2), Erf, Add,
 * Mul, Mul: the forms it is taken in (the constant on either side, in a dense chain and in a conv
 * graph), and one near miss per place in the pattern, each of which must stay five separate nodes
 * (and so be refused: the chain has no Div of its own). Graphs come from helpers/onnx-fixtures.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "../src/io/onnx-import.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict as run } from "../src/train/evaluate.js";
import { foreignOnnx, type NodeDef } from "./helpers/onnx-fixtures.js";

const FILE = "m.onnx";
type Init = [string, number[], Float32Array];
const scalar = (name: string, v: number): Init => [name, [], Float32Array.of(v)];
const INITS: Init[] = [
  ["W", [2, 2], Float32Array.of(1, 2, 3, 4)],
  scalar("s", Math.SQRT2),
  scalar("r", Math.SQRT1_2),
  scalar("one", 1),
  scalar("half", 0.5),
  scalar("two", 2),
  ["pair", [2], Float32Array.of(Math.SQRT2, Math.SQRT2)],
];
const node = (op: string, inputs: string[], output: string, domain?: string): NodeDef => ({
  op,
  inputs,
  output,
  ...(domain ? { domain } : {}),
});
/** MatMul (h = xW), then the five gelu nodes, each replaceable by index (0: the Div). */
function gelu(replace: Record<number, NodeDef> = {}): NodeDef[] {
  const five = [
    node("Div", ["h", "s"], "d"),
    node("Erf", ["d"], "e"),
    node("Add", ["e", "one"], "a"),
    node("Mul", ["h", "a"], "m"),
    node("Mul", ["m", "half"], "y"),
  ].map((n, i) => replace[i] ?? n);
  return [node("MatMul", ["x", "W"], "h"), ...five];
}
const bytes = (nodes: NodeDef[]) => foreignOnnx(nodes, INITS, { inputDim: 2 });
const predict = (nodes: NodeDef[]) => [
  ...run(importOnnx(bytes(nodes), FILE), new Tensor(Float32Array.of(1, 1), [1, 2])).data,
];
/** gelu of h = [1, 1]·W = [4, 6]: 4·Φ(4) and 6·Φ(6). */
const GELU_4_6 = [3.9998733, 5.9999999];
const near = (y: number[]) =>
  assert.ok(y.length === 2 && y.every((v, i) => Math.abs(v - GELU_4_6[i]!) < 1e-5), `${y}`);

test("the composed gelu is one gelu with its scale as Div or Mul, the constant on either side", () => {
  near(predict(gelu()));
  near(predict(gelu({ 0: node("Mul", ["h", "r"], "d") })));
  // The constant first: the chain's value is the Mul's second input, which only a gelu may read.
  near(predict(gelu({ 0: node("Mul", ["r", "h"], "d") })));
  near(predict(gelu({ 2: node("Add", ["one", "e"], "a"), 3: node("Mul", ["a", "h"], "m") })));
});

test("in a conv graph, too, the composed gelu finds its input beside a constant written first", () => {
  // A Pad that adds nothing sends the graph to the conv import, which collapses the pattern first.
  const nodes = [...gelu({ 0: node("Mul", ["r", "h"], "d"), 4: node("Mul", ["m", "half"], "g") })];
  near(predict([...nodes, node("Pad", ["g"], "y")]));
});

test("a near miss at any place of the pattern stays five nodes, and the chain refuses the first", () => {
  const tail =
    "is not supported; expected Gemm, MatMul+Add, an activation (Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Softplus, Softmax, Gelu), LayerNormalization, Identity or Dropout";
  const misses: [string, Record<number, NodeDef>][] = [
    ["Div by 2, not √2", { 0: node("Div", ["h", "two"], "d") }],
    ["Div by a vector of √2", { 0: node("Div", ["h", "pair"], "d") }],
    ["Sub, not Div", { 0: node("Sub", ["h", "s"], "d") }],
    ["Mul by ½, not 1/√2", { 0: node("Mul", ["h", "half"], "d") }],
    ["Sub, not Mul by 1/√2", { 0: node("Sub", ["h", "r"], "d") }],
    ["Tanh, not Erf", { 1: node("Tanh", ["d"], "e") }],
    ["Erf of h, not of h/√2", { 1: node("Erf", ["h"], "e") }],
    ["Sub, not Add", { 2: node("Sub", ["e", "one"], "a") }],
    ["Add of 2, not 1", { 2: node("Add", ["e", "two"], "a") }],
    ["Add of 2 written first", { 2: node("Add", ["two", "e"], "a") }],
    ["Add of 1 and 1, not of the erf", { 2: node("Add", ["one", "one"], "a") }],
    ["Sub, not Mul by h", { 3: node("Sub", ["a", "h"], "m") }],
    ["Mul by itself, not by h", { 3: node("Mul", ["a", "a"], "m") }],
    ["Mul of h and h, not of the sum", { 3: node("Mul", ["h", "h"], "m") }],
    ["Sub, not Mul by ½", { 4: node("Sub", ["m", "half"], "y") }],
    ["Mul by 2, not ½", { 4: node("Mul", ["m", "two"], "y") }],
    ["a Mul of three inputs", { 4: node("Mul", ["m", "half", "half"], "y") }],
    ["an Erf of another domain", { 1: node("Erf", ["d"], "e", "com.example") }],
  ];
  for (const [what, replace] of misses) {
    const first = replace[0]?.op ?? "Div";
    assert.throws(
      () => importOnnx(bytes(gelu(replace)), FILE),
      { name: "ModelFileError", message: `${FILE}: node "n1" (${first}): op ${first} ${tail}` },
      what,
    );
  }
  // A Div whose first input is not the chain's value: h is its third input.
  assert.throws(() => importOnnx(bytes(gelu({ 0: node("Div", ["s", "s", "h"], "d") })), FILE), {
    name: "ModelFileError",
    message: `${FILE}: node "n1" (Div): expects the previous node's output "h" as its first input`,
  });
  // The graph ends before the pattern could: a Div by √2 with fewer than four nodes after it.
  assert.throws(() => importOnnx(bytes(gelu().slice(0, 3)), FILE), {
    name: "ModelFileError",
    message: `${FILE}: node "n1" (Div): op Div ${tail}`,
  });
});
