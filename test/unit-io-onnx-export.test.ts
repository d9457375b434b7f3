/**
 * The ONNX file exportOnnx writes, read back field by field with the bare protobuf reader (not the
 * importer's decoder, which skips the header, node names and the batch dimension's name): the
 * ModelProto header, each activation's node with ONNX's attribute values, LayerNormalization's
 * axis, the lone Identity of a model that computes nothing, the input and output value infos, a
 * model over shaped samples with only flat layers, and the refusals of a model with no weights and
 * of an activation ONNX has no node for.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportOnnx } from "../src/io/onnx.js";
import { ProtoReader, WIRE } from "../src/io/protobuf.js";
import { activations } from "../src/nn/activations.js";
import { Conv2D } from "../src/nn/conv.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { built } from "./helpers/models.js";

type Value = number | Uint8Array;
const text = (b: Value): string => new TextDecoder().decode(b as Uint8Array);

/** A message's records in order: varints as numbers, fixed32 as float32 values, the rest as bytes. */
function records(bytes: Value): [number, Value][] {
  const r = new ProtoReader(bytes as Uint8Array, "test");
  const out: [number, Value][] = [];
  for (let f = r.next(); f; f = r.next()) {
    if (f.wire === WIRE.varint) out.push([f.field, r.int()]);
    else if (f.wire === WIRE.fixed32) out.push([f.field, r.float()]);
    else out.push([f.field, r.bytesField()]);
  }
  return out;
}
const all = (bytes: Value, field: number): Value[] =>
  records(bytes)
    .filter(([f]) => f === field)
    .map(([, v]) => v);
const one = (bytes: Value, field: number): Value => {
  const values = all(bytes, field);
  assert.equal(values.length, 1, `field ${field} occurs ${values.length} times`);
  return values[0]!;
};
/** A packed repeated int64 field of non-negative values (dims, shapes): base-128 varints, low bits first. */
const packed = (b: Value): number[] => {
  const out: number[] = [];
  let value = 0;
  let scale = 1;
  for (const byte of b as Uint8Array) {
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) {
      out.push(value);
      value = 0;
      scale = 1;
    }
  }
  return out;
};

/** An AttributeProto as [name, value, type]: type 1 FLOAT (f), 2 INT (i), 7 INTS. */
const attribute = (b: Value): [string, number | number[], number] => {
  const type = one(b, 20) as number;
  const value = type === 1 ? one(b, 2) : type === 2 ? one(b, 3) : packed(one(b, 8));
  assert.equal(records(b).length, 3, "an attribute holds its name, one value and its type");
  return [text(one(b, 1)), value as number | number[], type];
};

/** A NodeProto, as the fields it writes: inputs, its one output, name, op type, attributes. */
const node = (b: Value) => ({
  inputs: all(b, 1).map(text),
  output: text(one(b, 2)),
  name: text(one(b, 3)),
  op: text(one(b, 4)),
  attrs: all(b, 5).map(attribute),
});

/** A TensorProto initializer: its name, dims, data type and values (raw float32 or int64_data). */
const initializer = (b: Value) => {
  const type = one(b, 2) as number;
  const values =
    type === 1 ? Array.from(new Float32Array((one(b, 9) as Uint8Array).slice().buffer)) : packed(one(b, 7));
  return { name: text(one(b, 8)), dims: all(b, 1).flatMap(packed), type, values };
};

/** A ValueInfoProto's name, element type and dims, each {param} (a named dimension) or {value}. */
const valueInfo = (b: Value) => {
  const tensor = one(one(b, 2), 1);
  const dims = all(one(tensor, 2), 1).map((d) =>
    Object.fromEntries(records(d).map(([f, v]) => (f === 2 ? ["param", text(v)] : ["value", v]))),
  );
  return { name: text(one(b, 1)), elemType: one(tensor, 1), dims };
};

const graphOf = (bytes: Uint8Array) => one(bytes, 7);
const nodes = (bytes: Uint8Array) => all(graphOf(bytes), 1).map(node);
const initializers = (bytes: Uint8Array) => all(graphOf(bytes), 5).map(initializer);
/** A model's parameter values rounded to float32, as the file carries them. */
const values = (m: Sequential, name: string) =>
  Array.from(Float32Array.from(new Map(m.parameters()).get(name)!.data));

test("the header: IR version 8, producer homeostat 0.1, opset 17, a graph named homeostat, the layer configs", () => {
  const m = built([new Dense(2)], 3);
  const bytes = exportOnnx(m);
  assert.deepEqual(
    records(bytes).map(([f]) => f),
    [1, 2, 3, 7, 8, 14],
  );
  assert.equal(one(bytes, 1), 8);
  assert.equal(text(one(bytes, 2)), "homeostat");
  assert.equal(text(one(bytes, 3)), "0.1");
  // The default domain (an empty string) at version 17.
  assert.deepEqual(records(one(bytes, 8)), [
    [1, new Uint8Array()],
    [2, 17],
  ]);
  assert.equal(text(one(graphOf(bytes), 2)), "homeostat");
  const hint = one(bytes, 14);
  assert.equal(text(one(hint, 1)), "homeostat.layers");
  assert.deepEqual(JSON.parse(text(one(hint, 2))), [
    { type: "dense", units: 2, activation: "identity", init: "glorotUniform", useBias: true },
  ]);
});

test("input and output are float32 [batch, width], the batch dimension named batch", () => {
  const graph = graphOf(exportOnnx(built([new Dense(2)], 3)));
  assert.deepEqual(all(graph, 11).map(valueInfo), [
    { name: "input", elemType: 1, dims: [{ param: "batch" }, { value: 3 }] },
  ]);
  assert.deepEqual(all(graph, 12).map(valueInfo), [
    { name: "output", elemType: 1, dims: [{ param: "batch" }, { value: 2 }] },
  ]);
});

test("each activation is one node named after its layer, with ONNX's attribute values", () => {
  const m = built(
    [
      new Dense(2, { activation: "sigmoid" }),
      new Activation("leakyRelu"),
      new Activation("elu"),
      new Activation("selu"),
      new Activation("softplus"),
      new Activation("softmax"),
    ],
    3,
  );
  const bytes = exportOnnx(m);
  // SELU's α and λ from Klambauer et al. 2017, as float32.
  const seluAlpha = Math.fround(1.6732632423543772);
  const seluScale = Math.fround(1.0507009873554805);
  assert.deepEqual(nodes(bytes), [
    {
      inputs: ["input", "0.weight", "0.bias"],
      output: "0.Gemm",
      name: "0.Gemm",
      op: "Gemm",
      attrs: [["transB", 1, 2]],
    },
    { inputs: ["0.Gemm"], output: "0.Sigmoid", name: "0.Sigmoid", op: "Sigmoid", attrs: [] },
    {
      inputs: ["0.Sigmoid"],
      output: "1.LeakyRelu",
      name: "1.LeakyRelu",
      op: "LeakyRelu",
      attrs: [["alpha", Math.fround(0.01), 1]],
    },
    { inputs: ["1.LeakyRelu"], output: "2.Elu", name: "2.Elu", op: "Elu", attrs: [["alpha", 1, 1]] },
    {
      inputs: ["2.Elu"],
      output: "3.Selu",
      name: "3.Selu",
      op: "Selu",
      attrs: [
        ["alpha", seluAlpha, 1],
        ["gamma", seluScale, 1],
      ],
    },
    { inputs: ["3.Selu"], output: "4.Softplus", name: "4.Softplus", op: "Softplus", attrs: [] },
    // The last node writes the graph's output; its name stays the layer's.
    { inputs: ["4.Softplus"], output: "output", name: "5.Softmax", op: "Softmax", attrs: [["axis", -1, 2]] },
  ]);
  // The weights and nothing else: no activation here needs a constant.
  assert.deepEqual(initializers(bytes), [
    { name: "0.weight", dims: [2, 3], type: 1, values: values(m, "0.weight") },
    { name: "0.bias", dims: [2], type: 1, values: values(m, "0.bias") },
  ]);
});

test("a layer norm is LayerNormalization over the last axis with the layer's epsilon", () => {
  const m = built([new Dense(2), new LayerNorm({ eps: 0.25 })], 3);
  const bytes = exportOnnx(m);
  assert.deepEqual(nodes(bytes)[1], {
    inputs: ["0.Gemm", "1.weight", "1.bias"],
    output: "output",
    name: "1.LayerNormalization",
    op: "LayerNormalization",
    attrs: [
      ["axis", -1, 2],
      ["epsilon", 0.25, 1],
    ],
  });
  assert.deepEqual(
    initializers(bytes).map((t) => [t.name, t.dims]),
    [
      ["0.weight", [2, 3]],
      ["0.bias", [2]],
      ["1.weight", [2]],
      ["1.bias", [2]],
    ],
  );
});

test("a model whose layers compute nothing is one Identity from input to output", () => {
  const bytes = exportOnnx(built([new Dropout(0.5), new Activation("linear")], 3));
  assert.deepEqual(nodes(bytes), [
    { inputs: ["input"], output: "output", name: "Identity", op: "Identity", attrs: [] },
  ]);
  assert.deepEqual(initializers(bytes), []);
});

test("shaped samples through flat layers: Reshape to the sample shape, the norm on its last axis, Flatten", () => {
  // A layer norm on [2, 3] samples normalises each row of 3; on the flat [batch, 6] input its
  // LayerNormalization would normalise all 6 values, with a scale of 3 ONNX Runtime refuses.
  const m = new Sequential([new LayerNorm({ eps: 0.25 })]).build([2, 3], new Rng(1));
  const bytes = exportOnnx(m);
  assert.deepEqual(nodes(bytes), [
    {
      inputs: ["input", "input.shape"],
      output: "input.Reshape",
      name: "input.Reshape",
      op: "Reshape",
      attrs: [],
    },
    {
      inputs: ["input.Reshape", "0.weight", "0.bias"],
      output: "0.LayerNormalization",
      name: "0.LayerNormalization",
      op: "LayerNormalization",
      attrs: [
        ["axis", -1, 2],
        ["epsilon", 0.25, 1],
      ],
    },
    {
      inputs: ["0.LayerNormalization"],
      output: "output",
      name: "output.Flatten",
      op: "Flatten",
      attrs: [["axis", 1, 2]],
    },
  ]);
  assert.deepEqual(initializers(bytes), [
    { name: "0.weight", dims: [3], type: 1, values: [1, 1, 1] },
    { name: "0.bias", dims: [3], type: 1, values: [0, 0, 0] },
    { name: "input.shape", dims: [3], type: 7, values: [0, 2, 3] },
  ]);
  assert.deepEqual(all(graphOf(bytes), 11).map(valueInfo)[0]!.dims, [{ param: "batch" }, { value: 6 }]);
});

test("a model with no weights is refused before anything is written, convolutions or not", () => {
  for (const layers of [[new Dense(2)], [new Conv2D(2, { kernel: 1 }), new Dense(2)]])
    assert.throws(() => exportOnnx(new Sequential(layers)), {
      name: "ConfigError",
      message: "ONNX export: the model has no weights yet; call build(inputDim, rng) or train it first",
      location: {},
    });
});

test("an activation a user registered has no ONNX node: a ConfigError naming the layer, flat or shaped", () => {
  activations.register({ name: "onnxExportSquare", doc: "x².", options: {}, create: () => (x) => x });
  try {
    const cases: [Sequential, string][] = [
      [built([new Dense(2), new Dense(2, { activation: "onnxExportSquare" })], 3), "1"],
      [built([new Dense(2), new Activation("onnxExportSquare")], 3), "1"],
      [
        new Sequential([new Conv2D(1, { kernel: 1, activation: "onnxExportSquare" }), new Flatten()]).build(
          [2, 2, 1],
          new Rng(1),
        ),
        "0",
      ],
    ];
    for (const [m, layer] of cases)
      assert.throws(() => exportOnnx(m), {
        name: "ConfigError",
        message: `layer ${layer}: ONNX export has no node for the activation "onnxExportSquare"; it writes identity, linear, sigmoid, tanh, relu, leakyRelu, elu, selu, softplus, softmax, gelu`,
        location: { layer },
      });
  } finally {
    activations.unregister("onnxExportSquare");
  }
});
