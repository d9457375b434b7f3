/**
 * The conv import's blocks, on graphs built by hand (helpers/onnx-graphs.ts): an Add of two branches
 * is a `Residual` only when one branch is the block's input or a projection exactly like Residual's own
 * (bias-free, no activation, a MatMul or a 1×1 Conv of its stride), a Concat only along the channels
 * Homeostat holds last. Every other pairing is refused word for word; outputs worked by hand.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attr } from "./helpers/onnx-nodes.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { FILE, type GraphDef, importGraph, node, value } from "./helpers/onnx-graphs.js";
import { tensor } from "./helpers/onnx-nodes.js";

const refuses = (d: GraphDef, message: string) =>
  assert.throws(() => importGraph(d), { name: "ModelFileError", message });
const run = (d: GraphDef, row: number[]) => [
  ...predict(importGraph(d).model, new Tensor(Float32Array.from(row), [1, row.length])).data,
];
const NOT_RESIDUAL = `${FILE}: node "y" (Add): adds two branches that are not a residual block: one branch must be the block's input itself, or (when the body changes the shape) a bias-free 1×1 Conv or MatMul of it`;
const NOT_CHANNELS = `${FILE}: node "y" (Concat): concatenates along an axis that Homeostat does not hold last; only channels can be joined`;

// Flat rows of 2 features. The body: relu(x·Wb + Bb), Wb [2, 3] = [1 0 2 | 0 1 −1], Bb = 1.
const flatConsts = [
  tensor("Wb", [2, 3], [1, 0, 2, 0, 1, -1]),
  tensor("Bb", [3], [1, 1, 1]),
  tensor("P", [2, 3], [1, 1, 1, 0, 0, 2]),
  tensor("Bp", [3], [5, 5, 5]),
  tensor("Q", [2, 2], [1, 2, 3, 4]),
  tensor("Bq", [2], [1, 1]),
];
const body = [node("Gemm", ["x", "Wb", "Bb"], "h"), node("Relu", ["h"], "r")];
const flat = (skip: ReturnType<typeof node>[]): GraphDef => ({
  inputs: [value([null, 2])],
  nodes: [...body, ...skip, node("Add", ["r", "s"], "y")],
  consts: flatConsts,
});

test("an Add of a body and its input, or of a bias-free MatMul of it, is a Residual", () => {
  // Q [2, 2] = [1 2 | 3 4], Bq = 1: relu(x·Q + 1) + x; [1, 1] → [5, 7] + [1, 1].
  const same: GraphDef = {
    inputs: [value([null, 2])],
    nodes: [node("Gemm", ["x", "Q", "Bq"], "h"), node("Relu", ["h"], "r"), node("Add", ["r", "x"], "y")],
    consts: flatConsts,
  };
  assert.deepEqual(run(same, [1, 1]), [6, 8]);
  assert.deepEqual(run(same, [1, -1]), [1, -1]);
  // x = [1, 2]: body relu([1, 2, 0] + 1) = [2, 3, 1]; projection x·P = [1, 1, 5].
  const projected = flat([node("MatMul", ["x", "P"], "s")]);
  assert.deepEqual(run(projected, [1, 2]), [3, 4, 6]);
  const model = importGraph(projected).model;
  assert.deepEqual(
    model.parameters().map(([name, t]) => [name, [...t.data]]),
    [
      ["0.0.weight", [1, 0, 0, 1, 2, -1]],
      ["0.0.bias", [1, 1, 1]],
      ["0.projection.0.weight", [1, 0, 1, 0, 1, 2]],
    ],
  );
});

test("a flat skip that is not Residual's projection is refused", () => {
  // With a bias; of another width than the body's; of two layers; with an activation.
  refuses(flat([node("Gemm", ["x", "P", "Bp"], "s")]), NOT_RESIDUAL);
  refuses(flat([node("MatMul", ["x", "Q"], "s")]), NOT_RESIDUAL);
  refuses(flat([node("MatMul", ["x", "Q"], "q"), node("MatMul", ["q", "P"], "s")]), NOT_RESIDUAL);
  refuses(flat([node("MatMul", ["x", "P"], "p"), node("Relu", ["p"], "s")]), NOT_RESIDUAL);
  // A body that keeps the input's shape needs no projection: a MatMul beside it is not the skip.
  const keeps: GraphDef = {
    inputs: [value([null, 2])],
    nodes: [
      node("Gemm", ["x", "Q", "Bq"], "h"),
      node("Relu", ["h"], "r"),
      node("MatMul", ["x", "Q"], "s"),
      node("Add", ["r", "s"], "y"),
    ],
    consts: flatConsts,
  };
  refuses(keeps, NOT_RESIDUAL);
  // x + x, directly or through an Identity: no layer for a Residual's body.
  refuses({ inputs: [value([null, 2])], nodes: [node("Add", ["x", "x"], "y")] }, NOT_RESIDUAL);
  refuses(
    { inputs: [value([null, 2])], nodes: [node("Identity", ["x"], "i"), node("Add", ["i", "x"], "y")] },
    NOT_RESIDUAL,
  );
});

test("an Add of a body and its input held in another order is refused", () => {
  // x [8] reshaped to [2, 2, 2], its last two axes swapped, flattened: the same width in ONNX's order, not Homeostat's.
  const shape = { ...tensor("s", [4]), ints: [0, 2, 2, 2] };
  refuses(
    {
      inputs: [value([null, 8])],
      nodes: [
        node("Reshape", ["x", "s"], "r"),
        node("Transpose", ["r"], "t", { perm: { ints: [0, 1, 3, 2] } }),
        node("Flatten", ["t"], "f"),
        node("Add", ["f", "x"], "y"),
      ],
      consts: [shape],
    },
    NOT_RESIDUAL,
  );
  // A 2×2×2 image and a relu of it with height and width swapped: the same dims, other axes.
  refuses(
    {
      inputs: [value([null, 2, 2, 2])],
      nodes: [
        node("Transpose", ["x"], "t", { perm: { ints: [0, 1, 3, 2] } }),
        node("Relu", ["t"], "r"),
        node("Add", ["r", "x"], "y"),
      ],
    },
    NOT_RESIDUAL,
  );
});

// Images [2, 4, 4]. Bodies: a 3×3 Conv to 4 filters with bias and relu, at stride 1 ("same") or 2.
const conv = (x: string, w: string, out: string, attrs: Record<string, Attr> = {}, bias?: string) =>
  node("Conv", bias ? [x, w, bias] : [x, w], out, attrs);
const imageConsts = [
  tensor("W3", [4, 2, 3, 3]),
  tensor("B4", [4]),
  tensor("K3", [4, 2, 3, 3]),
  tensor("K2", [4, 2, 2, 2]),
  tensor("K1", [4, 2, 1, 1], [1, 2, 3, 4, 5, 6, 7, 8]),
  tensor("G1", [4, 1, 1, 1]),
];
const same = conv("x", "W3", "h", { pads: { ints: [1, 1, 1, 1] } }, "B4");
const halves = conv("x", "W3", "h", { pads: { ints: [0, 0, 1, 1] }, strides: { ints: [2, 2] } }, "B4");
const image = (
  bodyConv: ReturnType<typeof node>,
  skip: ReturnType<typeof node>,
  tail: ReturnType<typeof node>[] = [],
) => ({
  inputs: [value([null, 2, 4, 4])],
  nodes: [bodyConv, node("Relu", ["h"], "r"), skip, node("Add", ["r", "s"], "y"), ...tail],
  consts: imageConsts,
});

test("a 1×1 Conv of the body's stride, bias-free, is an image Residual's projection", () => {
  const stride2 = { strides: { ints: [2, 2] } };
  const tail = [node("GlobalAveragePool", ["y"], "g"), node("Flatten", ["g"], "z")];
  const model = importGraph(image(halves, conv("x", "K1", "s", stride2), tail)).model;
  assert.deepEqual(
    model.layers.map((l) => l.type),
    ["residual", "globalAvgPool", "reshape", "flatten"],
  );
  // [4 filters, 2 channels, 1, 1]: Homeostat's rows of taps are the same numbers.
  const projection = model.parameters().find(([name]) => name === "0.projection.0.weight")!;
  assert.deepEqual([...projection[1].data], [1, 2, 3, 4, 5, 6, 7, 8]);
  // A 3×3 skip; a 2×2 one of the right stride; a grouped 1×1; a 1×1 of stride 3 (also 2×2 out, other pixels).
  refuses(image(same, conv("x", "K3", "s", { pads: { ints: [1, 1, 1, 1] } })), NOT_RESIDUAL);
  refuses(image(halves, conv("x", "K2", "s", stride2)), NOT_RESIDUAL);
  refuses(image(halves, conv("x", "G1", "s", { ...stride2, group: { i: 2 } })), NOT_RESIDUAL);
  refuses(image(halves, conv("x", "K1", "s", { strides: { ints: [3, 3] } })), NOT_RESIDUAL);
});

test("an Add of three values or another op joining branches is refused", () => {
  const W = tensor("W", [2, 2]);
  const joined = (n: ReturnType<typeof node>): GraphDef => ({
    inputs: [value([null, 2])],
    nodes: [node("MatMul", ["x", "W"], "h"), n],
    consts: [W],
  });
  refuses(
    joined(node("Add", ["h", "x", "x"], "y")),
    `${FILE}: node "y" (Add): joins 3 branches; only Add (a residual) and Concat can`,
  );
  refuses(
    joined(node("Mul", ["h", "x"], "y")),
    `${FILE}: node "y" (Mul): joins 2 branches; only Add (a residual) and Concat can`,
  );
});

test("a Concat joins branches along the channels (its default axis) and nothing else", () => {
  // x [2, 2, 2]; s = x0 + x1 by a 1×1 Conv; [s, x] averaged over positions.
  const pair: GraphDef = {
    inputs: [value([null, 2, 2, 2])],
    nodes: [
      conv("x", "S", "s"),
      node("Concat", ["s", "x"], "c"),
      node("GlobalAveragePool", ["c"], "g"),
      node("Flatten", ["g"], "y"),
    ],
    consts: [tensor("S", [1, 2, 1, 1], [1, 1])],
  };
  const model = importGraph(pair).model;
  assert.deepEqual(
    model.layers.map((l) => l.type),
    ["concat", "globalAvgPool", "reshape", "flatten"],
  );
  const { branches } = model.layers[0]!.config() as unknown as { branches: { type: string }[][] };
  assert.deepEqual(
    branches.map((b) => b.map((l) => l.type)),
    [["conv2d"], []],
  );
  // Channels-last rows: channel 0 all 1, channel 1 all 2 → [3, 1, 2].
  assert.deepEqual(run(pair, [1, 2, 1, 2, 1, 2, 1, 2]), [3, 1, 2]);
  const x = [value([null, 2, 2, 2])];
  const cat = (inputs: string[], axis: number) => node("Concat", inputs, "y", { axis: { i: axis } });
  // Along height; along the batch axis; beside the same image transposed, flattened, or pooled.
  refuses({ inputs: x, nodes: [cat(["x", "x"], 2)] }, NOT_CHANNELS);
  refuses({ inputs: x, nodes: [cat(["x", "x"], 0)] }, NOT_CHANNELS);
  const transposed = node("Transpose", ["x"], "t", { perm: { ints: [0, 1, 3, 2] } });
  refuses({ inputs: x, nodes: [transposed, cat(["x", "t"], 1)] }, NOT_CHANNELS);
  refuses({ inputs: x, nodes: [node("Flatten", ["x"], "f"), cat(["f", "f"], 1)] }, NOT_CHANNELS);
  const pooled = node("MaxPool", ["x"], "m", { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  refuses({ inputs: x, nodes: [pooled, cat(["x", "m"], 1)] }, NOT_CHANNELS);
});
