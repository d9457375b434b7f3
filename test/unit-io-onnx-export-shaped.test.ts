/**
 * The shaped ONNX export's graph parts, node by node with no protobuf: each layer's nodes, their
 * attributes and inputs, the initializers with their dims (a norm after a flatten, a pool or a concat
 * is sized by the shape those compute), the input Reshape and output Flatten only where the samples
 * are shaped, and each refusal word for word with the layer it names.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportOnnx } from "../src/io/onnx.js";
import { type ActivationNodes, shapedGraph } from "../src/io/onnx-export-shaped.js";
import { Concat } from "../src/nn/blocks.js";
import { Conv2D } from "../src/nn/conv.js";
import type { Layer } from "../src/nn/layer.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { BatchNorm, Embedding } from "../src/nn/norm-layers.js";
import { GlobalAvgPool } from "../src/nn/pooling.js";
import { Flatten, Reshape } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { built, unknownLayer } from "./helpers/models.js";

/** A stand-in for onnx-export.ts's table: one node named after the activation, none for identity. */
const activation =
  (a: string): ActivationNodes =>
  (p, x) =>
    a === "identity" ? [] : [{ op: a, name: `${p}.${a}`, inputs: [x] }];

const model = (layers: Layer[], input: number | number[]) => new Sequential(layers).build(input, new Rng(1));
const graph = (m: Sequential) => shapedGraph(m.layers, m.inputShape, activation);
/** A model's parameter (or buffer) values by name, as the initializers carry them. */
const values = (m: Sequential, name: string) =>
  Float32Array.from(new Map([...m.parameters(), ...m.buffers()]).get(name)!.data);

test("flat samples: Gemm, the activation's node, nothing for dropout, LayerNormalization on axis −1", () => {
  const m = built([new Dense(2), new Activation("relu"), new Dropout(0.5), new LayerNorm({ eps: 0.25 })], 3);
  assert.deepEqual(graph(m), {
    nodes: [
      { op: "Gemm", name: "0.Gemm", inputs: ["input", "0.weight", "0.bias"], attrs: [["transB", 1, "i"]] },
      { op: "relu", name: "1.relu", inputs: ["0.Gemm"] },
      {
        op: "LayerNormalization",
        name: "3.LayerNormalization",
        inputs: ["1.relu", "3.weight", "3.bias"],
        attrs: [
          ["axis", -1, "i"],
          ["epsilon", 0.25, "f"],
        ],
      },
    ],
    weights: [
      ["0.weight", [2, 3], values(m, "0.weight")],
      ["0.bias", [2], values(m, "0.bias")],
      ["3.weight", [2], values(m, "3.weight")],
      ["3.bias", [2], values(m, "3.bias")],
    ],
    ints: [],
    scalars: [],
  });
});

test("image samples: the input Reshape, a Conv between Transposes, Flatten on axis 1 sizing the norm after it", () => {
  // [2, 3, 1] through a 1×1 conv of 2 filters: [2, 3, 2], flattened to 12 features.
  const m = model([new Conv2D(2, { kernel: 1, useBias: false }), new Flatten(), new LayerNorm()], [2, 3, 1]);
  const g = graph(m);
  assert.deepEqual(g.ints, [["input.shape", [0, 2, 3, 1]]]);
  assert.deepEqual(
    g.weights.map(([name, dims]) => [name, dims]),
    [
      ["0.weight", [2, 1, 1, 1]],
      ["2.weight", [12]],
      ["2.bias", [12]],
    ],
  );
  assert.deepEqual(
    g.nodes.map((n) => [n.op, n.name, n.inputs]),
    [
      ["Reshape", "input.Reshape", ["input", "input.shape"]],
      ["Transpose", "0.toNCHW", ["input.Reshape"]],
      ["Conv", "0.Conv", ["0.toNCHW", "0.weight"]],
      ["Transpose", "0.toNHWC", ["0.Conv"]],
      ["Flatten", "1.Flatten", ["0.toNHWC"]],
      ["LayerNormalization", "2.LayerNormalization", ["1.Flatten", "2.weight", "2.bias"]],
    ],
  );
  assert.deepEqual(g.nodes[4]!.attrs, [["axis", 1, "i"]]);
});

test("a global average pool is ReduceMean over the positions, leaving the channels", () => {
  // [2, 3, 4]: mean over axes 1 and 2 (height, width), 4 channels for the norm after it.
  const g = graph(model([new GlobalAvgPool(), new LayerNorm()], [2, 3, 4]));
  assert.deepEqual(g.nodes[1], {
    op: "ReduceMean",
    name: "0.ReduceMean",
    inputs: ["input.Reshape"],
    attrs: [
      ["axes", [1, 2], "ints"],
      ["keepdims", 0, "i"],
    ],
  });
  assert.deepEqual(
    g.weights.map(([name, dims]) => [name, dims]),
    [
      ["1.weight", [4]],
      ["1.bias", [4]],
    ],
  );
});

test("a reshape is Reshape to its int64 shape; a shaped output ends in output.Flatten on axis 1", () => {
  const g = graph(model([new Reshape([6, 2])], [3, 4]));
  assert.deepEqual(g.ints, [
    ["input.shape", [0, 3, 4]],
    ["0.shape", [0, 6, 2]],
  ]);
  assert.deepEqual(g.nodes, [
    { op: "Reshape", name: "input.Reshape", inputs: ["input", "input.shape"] },
    { op: "Reshape", name: "0.Reshape", inputs: ["input.Reshape", "0.shape"] },
    { op: "Flatten", name: "output.Flatten", inputs: ["0.Reshape"], attrs: [["axis", 1, "i"]] },
  ]);
});

test("an embedding is Cast to int64 and Gather on axis 0 of its table", () => {
  const m = model([new Embedding(5, 2)], 3);
  const g = graph(m);
  assert.deepEqual(g.weights, [["0.weight", [5, 2], values(m, "0.weight")]]);
  assert.deepEqual(g.nodes, [
    { op: "Cast", name: "0.Cast", inputs: ["input"], attrs: [["to", 7, "i"]] },
    { op: "Gather", name: "0.Gather", inputs: ["0.weight", "0.Cast"], attrs: [["axis", 0, "i"]] },
    { op: "Flatten", name: "output.Flatten", inputs: ["0.Gather"], attrs: [["axis", 1, "i"]] },
  ]);
});

test("a concat joins its branches on the last axis, as wide as their widths together", () => {
  const g = graph(model([new Concat([[new Dense(2)], [new Dense(3)]]), new LayerNorm()], 4));
  assert.deepEqual(g.nodes.slice(2), [
    { op: "Concat", name: "0.Concat", inputs: ["0.0.0.Gemm", "0.1.0.Gemm"], attrs: [["axis", -1, "i"]] },
    {
      op: "LayerNormalization",
      name: "1.LayerNormalization",
      inputs: ["0.Concat", "1.weight", "1.bias"],
      attrs: [
        ["axis", -1, "i"],
        ["epsilon", 1e-5, "f"],
      ],
    },
  ]);
  assert.deepEqual(
    g.weights.slice(-2).map(([name, dims]) => [name, dims]),
    [
      ["1.weight", [5]],
      ["1.bias", [5]],
    ],
  );
});

const SUPPORTED =
  "dense, activation, dropout, layerNorm, batchNorm{how}, groupNorm, embedding, conv1d, conv2d, maxPool2d, avgPool2d, globalAvgPool, flatten, reshape, residual and concat layers";

test("refusals name the layer: a dense on shaped samples, a batch norm on sequences, an unknown type", () => {
  const dense = model([new Dense(2)], 4);
  assert.throws(() => shapedGraph(dense.layers, [2, 2], activation), {
    name: "ConfigError",
    message: "layer 0 (dense): ONNX export takes a dense layer on flat samples only; put a flatten before it",
    location: { layer: "0" },
  });
  assert.throws(() => exportOnnx(model([new BatchNorm()], [4, 2])), {
    name: "ConfigError",
    message: `layer 0 (batchNorm): ONNX export supports ${SUPPORTED.replace("{how}", " (on flat rows or images [height, width, channels])")}`,
    location: { layer: "0" },
  });
  const mine = unknownLayer("mine");
  assert.throws(() => exportOnnx(model([new Dense(2), mine], 3)), {
    name: "ConfigError",
    message: `layer 1 (mine): ONNX export supports ${SUPPORTED.replace("{how}", "")}`,
    location: { layer: "1" },
  });
});
