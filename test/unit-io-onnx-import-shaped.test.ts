/**
 * The conv import's graph walk, on graphs built by hand (helpers/onnx-graphs.ts): the one float32
 * input and its size limit, nodes that read nothing computed or compute a value twice, the one graph
 * output, and what each node is checked for before its mapper runs. Refusals word for word, with the
 * file and field a user sees; outputs worked by hand.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { FILE, type GraphDef, importGraph, node, value } from "./helpers/onnx-graphs.js";
import { tensor } from "./helpers/onnx-nodes.js";

const refuses = (d: GraphDef, message: string, location: object = {}) =>
  assert.throws(
    () => importGraph(d),
    (e: Error & { location?: object }) => {
      assert.equal(e.name, "ModelFileError");
      assert.equal(e.message, message);
      assert.deepEqual(e.location, location);
      return true;
    },
  );
const run = (d: GraphDef, row: number[]) => [
  ...predict(importGraph(d).model, new Tensor(Float32Array.from(row), [1, row.length])).data,
];
const relu: GraphDef = { inputs: [value([null, 2])], nodes: [node("Relu", ["x"], "y")] };
const SHAPES = "expected float32 [batch, features] or [batch, channels, height, width] with known sizes";

test("the graph's one input is float32 [batch, features] or [batch, C, H, W] with known sizes", () => {
  refuses(
    { ...relu, inputs: [value([null, 2]), value([null, 2], "z")] },
    `${FILE}: the graph has 2 inputs; expected exactly one`,
  );
  // Older exporters list the initializers among the inputs: they are not the data input.
  const W = tensor("W", [2, 1], [1, 3]);
  const matmul = { nodes: [node("MatMul", ["x", "W"], "y")], consts: [W] };
  assert.deepEqual(run({ ...matmul, inputs: [value([null, 2]), value([2, 1], "W")] }, [1, 1]), [4]);
  const bad = (dims: (number | null)[] | null, elemType = 1, shown = "float32") =>
    refuses(
      { ...relu, inputs: [value(dims, "x", elemType)] },
      `${FILE}: input "x" is ${shown} [${dims === null ? "unknown" : dims.map((d) => d ?? "?").join(", ")}]; ${SHAPES}`,
      { file: FILE, field: "x" },
    );
  bad([null, 2], 7, "of element type 7");
  bad(null);
  bad([null, 2, 3]); // rank 3: neither features nor an image
  bad([null, 3, 0, 4]); // one empty axis is enough
  bad([null, 0]);
});

test("an input of more than 2^24 values per sample is refused; 2^24 itself is read", () => {
  refuses(
    { ...relu, inputs: [value([null, 4, 2048, 2049])] },
    `${FILE}: input "x" holds 4×2048×2049 values per sample; at most 16777216`,
    { file: FILE, field: "x" },
  );
  // 2^24 passes the limit, and is refused only for computing nothing.
  refuses(
    { inputs: [value([null, 2 ** 24])], nodes: [], outputs: ["x"] },
    `${FILE}: the graph computes nothing Homeostat can hold as a layer`,
  );
});

test("each node reads a computed value and computes a new one", () => {
  refuses(
    { ...relu, nodes: [node("Relu", ["z"], "y")] },
    `${FILE}: node "y" (Relu): reads "z" before any node computes it`,
  );
  refuses(
    { ...relu, nodes: [node("Relu", ["W"], "y")], consts: [tensor("W", [2])] },
    `${FILE}: node "y" (Relu): reads no data (only constants)`,
  );
  refuses(
    { ...relu, nodes: [{ ...node("Relu", ["x"], "y"), outputs: [] }], outputs: ["x"] },
    `${FILE}: node "y" (Relu): has no output`,
  );
  // A value computed twice (here in a cycle a → b → a) once sent the walk round forever.
  const twice = [node("Relu", ["x"], "a"), node("Relu", ["a"], "b"), node("Relu", ["b"], "a")];
  refuses(
    { ...relu, nodes: twice, outputs: ["a"] },
    `${FILE}: node "a" (Relu): computes "a", which the graph already has`,
  );
  refuses(
    { ...relu, nodes: [node("Relu", ["x"], "x")], outputs: ["x"] },
    `${FILE}: node "x" (Relu): computes "x", which the graph already has`,
  );
  // An empty name is an omitted optional input, never data.
  assert.deepEqual(
    run({ ...relu, nodes: [node("Dropout", ["x", "", ""], "d"), node("Relu", ["d"], "y")] }, [-1, 2]),
    [0, 2],
  );
});

test("the graph has one output, computed by the nodes, a vector per sample, of at least one layer", () => {
  const one = (outputs: string[]) =>
    `${FILE}: expected one graph output computed by the nodes; found ${outputs.length}`;
  for (const outputs of [[], ["y", "x"], ["nope"]]) refuses({ ...relu, outputs }, one(outputs));
  refuses(
    { inputs: [value([null, 2, 2, 2])], nodes: [], outputs: ["x"] },
    `${FILE}: the output "x" is [2, 2, 2] per sample, not a vector; a backbone's output must be one embedding per row (end the graph with a Flatten, GlobalAveragePool or Gemm)`,
    { file: FILE, field: "x" },
  );
  refuses(
    { ...relu, nodes: [node("Identity", ["x"], "y")] },
    `${FILE}: the graph computes nothing Homeostat can hold as a layer`,
  );
});

test("a reshape first is the model's input shape only for a flat input", () => {
  const shape = (name: string, ints: number[]) => ({ ...tensor(name, [ints.length]), ints });
  // Flat [4] reshaped to [1, 2, 2], then flattened: the model reads [1, 2, 2] rows.
  const flat = importGraph({
    inputs: [value([null, 4])],
    nodes: [node("Reshape", ["x", "s"], "r"), node("Flatten", ["r"], "y")],
    consts: [shape("s", [0, 1, 2, 2])],
  }).model;
  assert.deepEqual(flat.inputShape, [1, 2, 2]);
  assert.deepEqual(
    flat.layers.map((l) => l.type),
    ["flatten"],
  );
  // A grey 4×4 image [1, 4, 4] (held [4, 4, 1]) reshaped to [2, 8] keeps its own shape and the reshape.
  const grey = importGraph({
    inputs: [value([null, 1, 4, 4])],
    nodes: [node("Reshape", ["x", "s"], "r"), node("Flatten", ["r"], "y")],
    consts: [shape("s", [0, 2, 8])],
  }).model;
  assert.deepEqual(grey.inputShape, [4, 4, 1]);
  assert.deepEqual(
    grey.layers.map((l) => l.config()),
    [{ type: "reshape", shape: [2, 8] }, { type: "flatten" }],
  );
});

test("a layer config the import cannot build is an error naming the file's layers", () => {
  // A MatMul weight [2, 0] makes a dense layer of no units.
  assert.throws(
    () => importGraph({ ...relu, nodes: [node("MatMul", ["x", "W"], "y")], consts: [tensor("W", [2, 0])] }),
    { name: "ConfigError", message: `${FILE}: layers[0].units: must be ≥ 1, got 0` },
  );
});

test("before its mapper, a node is checked for its domain, its op and where its data comes in", () => {
  const at = (n: ReturnType<typeof node>) => ({ ...relu, nodes: [n], consts: [tensor("W", [2, 1], [1, 3])] });
  refuses(
    at(node("Relu", ["x"], "y", {}, "com.example")),
    `${FILE}: node "y" (Relu): operators of domain "com.example" are not supported`,
  );
  assert.deepEqual(run(at(node("Relu", ["x"], "y", {}, "ai.onnx")), [-1, 2]), [0, 2]);
  refuses(
    at(node("", ["x"], "y")),
    `${FILE}: node "y" (): op (none) is not supported; the conv import reads Identity, Dropout, Pad, Relu, Sigmoid, Tanh, Softplus, LeakyRelu, Elu, Gelu, Softmax, Conv, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Flatten, Reshape, Transpose, BatchNormalization, Gemm, MatMul, Add, Add (a residual), Concat`,
  );
  refuses(
    at(node("MatMul", ["x"], "y")),
    `${FILE}: node "y" (MatMul): reads "" as a constant, but it is neither an initializer nor a Constant`,
  );
  refuses(
    at(node("MatMul", ["W", "x"], "y")),
    `${FILE}: node "y" (MatMul): expects its data "x" as the first input`,
  );
});

test("an Add of a constant right after a MatMul is its bias; the MatMul is the Add's input op", () => {
  // W [2, 1] = [1, 3], B = 10: y = x0 + 3·x1 + 10. The Add's third input is an omitted one.
  const biased = {
    ...relu,
    nodes: [node("MatMul", ["x", "W"], "h"), node("Add", ["h", "B", ""], "y")],
    consts: [tensor("W", [2, 1], [1, 3]), tensor("B", [1], [10])],
  };
  assert.deepEqual(run(biased, [1, 2]), [17]);
  assert.deepEqual(importGraph(biased).model.layers[0]!.config(), {
    type: "dense",
    units: 1,
    activation: "identity",
    init: "glorotUniform",
    useBias: true,
  });
  // After a Relu, the same Add is no bias.
  refuses(
    {
      ...biased,
      nodes: [node("MatMul", ["x", "W"], "h"), node("Relu", ["h"], "r"), node("Add", ["r", "B"], "y")],
    },
    `${FILE}: node "y" (Add): Add of a constant is supported only as the bias right after a MatMul`,
  );
});
