import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as ort from "onnxruntime-web";
import { exportOnnx, importOnnx } from "../src/io/onnx.js";
import { ProtoReader, ProtoWriter } from "../src/io/protobuf.js";
import type { Layer } from "../src/nn/layer.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError, ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import {
  ACTIVATION_NAMES,
  assertSameModel,
  built,
  maxAbsDiff,
  randomInputs,
  throwsModelFile,
} from "./helpers/models.js";
import { fuzz, type FuzzTarget } from "./helpers/fuzz.js";

ort.env.wasm.numThreads = 1;

async function runOnnx(
  bytes: Uint8Array,
  x: Tensor,
  input = "input",
  output = "output",
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    [input]: new ort.Tensor("float32", Float32Array.from(x.data), [...x.shape]),
  });
  return out[output].data as Float32Array;
}

const CASES: [string, () => Sequential][] = [
  ...ACTIVATION_NAMES.map((a): [string, () => Sequential] => [
    `Dense(${a})`,
    () => built([new Dense(7, { activation: a })], 5),
  ]),
  ...ACTIVATION_NAMES.map((a): [string, () => Sequential] => [
    `Activation(${a})`,
    () => built([new Dense(6), new Activation(a)], 4),
  ]),
  [
    "Dense without bias",
    () => built([new Dense(6, { useBias: false, activation: "relu" }), new Dense(3, { useBias: false })], 5),
  ],
  ["LayerNorm", () => built([new Dense(8), new LayerNorm({ eps: 1e-3 })], 5)],
  ["Dropout", () => built([new Dense(6, { activation: "relu" }), new Dropout(0.4), new Dense(3)], 5)],
  [
    "mixed MLP",
    () =>
      built(
        [
          new Dense(9, { activation: "gelu", init: "heUniform" }),
          new LayerNorm(),
          new Dropout(0.2),
          new Dense(6, { activation: "leakyRelu" }),
          new Activation("tanh"),
          new Dense(4, { activation: "softmax" }),
        ],
        6,
      ),
  ],
];

const figures: string[] = [];
after(() => console.log(`max |ONNX Runtime − Homeostat| per case:\n${figures.join("\n")}`));

for (const [name, make] of CASES) {
  test(`ONNX ${name}: ONNX Runtime gives Homeostat's outputs to 1e-5, and import restores the model bit for bit`, async () => {
    const model = make();
    const x = randomInputs(model.inputDim);
    const bytes = exportOnnx(model);
    const diff = maxAbsDiff(await runOnnx(bytes, x), predict(model, x).data);
    figures.push(`  ${name.padEnd(22)} ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-5, `max abs difference ${diff}`);
    assertSameModel(importOnnx(bytes, "m.onnx"), model);
  });
}

// ---------------------------------------------------------------- graphs written by other tools

interface NodeDef {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Record<string, number | string>;
  value?: number;
  domain?: string;
}

/** An ONNX model as another exporter might write it: float attributes by name, weights as float_data, no Homeostat metadata. */
function foreignOnnx(
  nodes: NodeDef[],
  inits: [string, number[], Float32Array][],
  opts: { inputDim?: number; opset?: number } = {},
): Uint8Array {
  const FLOAT_ATTRS = ["alpha", "beta", "gamma", "epsilon"];
  const w = new ProtoWriter();
  w.int(1, 9).message(7, (g) => {
    nodes.forEach((n, i) =>
      g.message(1, (m) => {
        for (const input of n.inputs) m.string(1, input);
        m.string(2, n.output).string(3, `n${i}`).string(4, n.op);
        if (n.domain) m.string(7, n.domain);
        for (const [k, v] of Object.entries(n.attrs ?? {})) {
          m.message(5, (a) => {
            a.string(1, k);
            if (typeof v === "string") a.string(4, v).int(20, 3);
            else if (FLOAT_ATTRS.includes(k)) a.float(2, v).int(20, 1);
            else a.int(3, v).int(20, 2);
          });
        }
        if (n.value !== undefined)
          m.message(5, (a) =>
            a
              .string(1, "value")
              .int(20, 4)
              .message(5, (t) => t.int(2, 1).packedFloats(4, [n.value!])),
          );
      }),
    );
    for (const [name, dims, data] of inits)
      g.message(5, (t) => t.packedInts(1, dims).int(2, 1).string(8, name).packedFloats(4, data));
    const info = (name: string, d?: number) => (v: ProtoWriter) =>
      v
        .string(1, name)
        .message(2, (t) =>
          t.message(1, (tt) =>
            tt
              .int(1, 1)
              .message(2, (s) =>
                s.message(1, (x) => x.string(2, "N")).message(1, (x) => (d ? x.int(1, d) : x.string(2, "F"))),
              ),
          ),
        );
    g.message(11, info("x", opts.inputDim)).message(12, info(nodes[nodes.length - 1].output));
  });
  w.message(8, (o) => o.string(1, "").int(2, opts.opset ?? 17));
  return w.finish();
}

const randn = (n: number, seed: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

const FOREIGN_NODES: NodeDef[] = [
  { op: "MatMul", inputs: ["x", "W1"], output: "h1" },
  { op: "Add", inputs: ["b1", "h1"], output: "h2" },
  { op: "Relu", inputs: ["h2"], output: "h3" },
  { op: "Gemm", inputs: ["h3", "W2", "b2"], output: "h4" },
  { op: "Gelu", inputs: ["h4"], output: "h5" },
  { op: "Constant", inputs: [], output: "rsqrt2", value: Math.SQRT1_2 },
  { op: "Mul", inputs: ["h5", "rsqrt2"], output: "g1" },
  { op: "Erf", inputs: ["g1"], output: "g2" },
  { op: "Add", inputs: ["g2", "one"], output: "g3" },
  { op: "Mul", inputs: ["h5", "g3"], output: "g4" },
  { op: "Mul", inputs: ["g4", "half"], output: "g5" },
  { op: "LayerNormalization", inputs: ["g5", "scale"], output: "h6", attrs: { axis: -1, epsilon: 1e-5 } },
  { op: "Identity", inputs: ["h6"], output: "h7" },
  { op: "Dropout", inputs: ["h7"], output: "h8" },
  { op: "Gemm", inputs: ["h8", "W3"], output: "h9", attrs: { transB: 1 } },
  { op: "LeakyRelu", inputs: ["h9"], output: "h10", attrs: { alpha: 0.01 } },
  { op: "Softmax", inputs: ["h10"], output: "y", attrs: { axis: 1 } },
];
const FOREIGN_INITS: [string, number[], Float32Array][] = [
  ["W1", [4, 6], randn(24, 1)],
  ["b1", [6], randn(6, 2)],
  ["W2", [6, 5], randn(30, 3)],
  ["b2", [5], randn(5, 4)],
  ["one", [], Float32Array.of(1)],
  ["half", [], Float32Array.of(0.5)],
  ["scale", [5], randn(5, 5)],
  ["W3", [3, 5], randn(15, 6)],
];

test("ONNX import of other exporters' patterns (MatMul+Add, Gemm, Gelu op, composed gelu via Constant, Identity, Dropout, softmax axis 1) matches ONNX Runtime", async () => {
  const bytes = foreignOnnx(FOREIGN_NODES, FOREIGN_INITS, { inputDim: 4, opset: 20 });
  const model = importOnnx(bytes, "other.onnx");
  assert.deepEqual(
    model.config().layers.map((l) => `${l.type}:${String(l.activation ?? "")}`),
    ["dense:relu", "dense:gelu", "activation:gelu", "layerNorm:", "dense:leakyRelu", "activation:softmax"],
  );
  const x = new Tensor(
    randn(40, 9).map((v) => 2 * v),
    [10, 4],
  );
  const diff = maxAbsDiff(await runOnnx(bytes, x, "x", "y"), predict(model, x).data);
  assert.ok(diff <= 1e-5, `max abs difference ${diff}`);
});

test("ONNX import without an input width takes it from the first Gemm; without metadata, activations join their Dense", () => {
  const bytes = foreignOnnx(
    [
      { op: "Gemm", inputs: ["x", "W", "b"], output: "h", attrs: { transB: 1 } },
      { op: "Tanh", inputs: ["h"], output: "y" },
    ],
    [
      ["W", [3, 2], randn(6, 1)],
      ["b", [3], randn(3, 2)],
    ],
  );
  assert.deepEqual(importOnnx(bytes).config(), {
    inputDim: 2,
    layers: [{ type: "dense", units: 3, activation: "tanh", init: "glorotUniform", useBias: true }],
  });
});

/**
 * A real PyTorch 1.13 export (Debian python3-torch), made by this script with /usr/bin/python3:
 *
 *   import torch, io
 *   torch.manual_seed(0)
 *   m = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.GELU(), torch.nn.LayerNorm(6), torch.nn.Linear(6, 5), torch.nn.LeakyReLU(0.01), torch.nn.Dropout(0.1), torch.nn.Linear(5, 3, bias=False), torch.nn.ELU(), torch.nn.Linear(3, 3), torch.nn.Softmax(dim=-1))
 *   m.eval()
 *   with torch.no_grad():
 *       for p in m.parameters(): p.normal_(0, 0.7)
 *   torch.onnx.export(m, torch.zeros(2, 4), "/tmp/torch_mlp.onnx", opset_version=17, input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
 *   print("ok")
 *
 * PyTorch writes gelu as Div/Erf/Add/Mul/Mul with Constant nodes in between, and a bias-free Linear as MatMul.
 */
const TORCH_MLP_ONNX = [
  "CAgSB3B5dG9yY2gaBjEuMTMuMDrfDwpmCgF4CggwLndlaWdodAoGMC5iaWFzEhAvMC9HZW1tX291dHB1dF8wGgcvMC9HZW1tIgRHZW1tKg8KBW",
  "FscGhhFQAAgD+gAQEqDgoEYmV0YRUAAIA/oAEBKg0KBnRyYW5zQhgBoAECCkMSFC8xL0NvbnN0YW50X291dHB1dF8wGgsvMS9Db25zdGFudCII",
  "Q29uc3RhbnQqFAoFdmFsdWUqCBABSgTzBLU/oAEECkYKEC8wL0dlbW1fb3V0cHV0XzAKFC8xL0NvbnN0YW50X291dHB1dF8wEg8vMS9EaXZfb3",
  "V0cHV0XzAaBi8xL0RpdiIDRGl2Ci8KDy8xL0Rpdl9vdXRwdXRfMBIPLzEvRXJmX291dHB1dF8wGgYvMS9FcmYiA0VyZgpHEhYvMS9Db25zdGFu",
  "dF8xX291dHB1dF8wGg0vMS9Db25zdGFudF8xIghDb25zdGFudCoUCgV2YWx1ZSoIEAFKBAAAgD+gAQQKRwoPLzEvRXJmX291dHB1dF8wChYvMS",
  "9Db25zdGFudF8xX291dHB1dF8wEg8vMS9BZGRfb3V0cHV0XzAaBi8xL0FkZCIDQWRkCkEKEC8wL0dlbW1fb3V0cHV0XzAKDy8xL0FkZF9vdXRw",
  "dXRfMBIPLzEvTXVsX291dHB1dF8wGgYvMS9NdWwiA011bApHEhYvMS9Db25zdGFudF8yX291dHB1dF8wGg0vMS9Db25zdGFudF8yIghDb25zdG",
  "FudCoUCgV2YWx1ZSoIEAFKBAAAAD+gAQQKSwoPLzEvTXVsX291dHB1dF8wChYvMS9Db25zdGFudF8yX291dHB1dF8wEhEvMS9NdWxfMV9vdXRw",
  "dXRfMBoILzEvTXVsXzEiA011bAqZAQoRLzEvTXVsXzFfb3V0cHV0XzAKCDIud2VpZ2h0CgYyLmJpYXMSHi8yL0xheWVyTm9ybWFsaXphdGlvbl",
  "9vdXRwdXRfMBoVLzIvTGF5ZXJOb3JtYWxpemF0aW9uIhJMYXllck5vcm1hbGl6YXRpb24qFAoEYXhpcxj///////////8BoAECKhEKB2Vwc2ls",
  "b24VrMUnN6ABAQqDAQoeLzIvTGF5ZXJOb3JtYWxpemF0aW9uX291dHB1dF8wCggzLndlaWdodAoGMy5iaWFzEhAvMy9HZW1tX291dHB1dF8wGg",
  "cvMy9HZW1tIgRHZW1tKg8KBWFscGhhFQAAgD+gAQEqDgoEYmV0YRUAAIA/oAEBKg0KBnRyYW5zQhgBoAECClMKEC8zL0dlbW1fb3V0cHV0XzAS",
  "FS80L0xlYWt5UmVsdV9vdXRwdXRfMBoMLzQvTGVha3lSZWx1IglMZWFreVJlbHUqDwoFYWxwaGEVCtcjPKABAQpPChUvNC9MZWFreVJlbHVfb3",
  "V0cHV0XzAKD29ubng6Ok1hdE11bF8yNxISLzYvTWF0TXVsX291dHB1dF8wGgkvNi9NYXRNdWwiBk1hdE11bApDChIvNi9NYXRNdWxfb3V0cHV0",
  "XzASDy83L0VsdV9vdXRwdXRfMBoGLzcvRWx1IgNFbHUqDwoFYWxwaGEVAACAP6ABAQp0Cg8vNy9FbHVfb3V0cHV0XzAKCDgud2VpZ2h0CgY4Lm",
  "JpYXMSEC84L0dlbW1fb3V0cHV0XzAaBy84L0dlbW0iBEdlbW0qDwoFYWxwaGEVAACAP6ABASoOCgRiZXRhFQAAgD+gAQEqDQoGdHJhbnNCGAGg",
  "AQIKQAoQLzgvR2VtbV9vdXRwdXRfMBIBeRoKLzkvU29mdG1heCIHU29mdG1heCoUCgRheGlzGP///////////wGgAQISCXRvcmNoX2ppdCpyCA",
  "YIBBABQggwLndlaWdodEpge/StPyLWDT+gQ2i8e66cvj14kz8FvnO/CPx2PhJSuj64eyw/p0h6PkEgJb8nHyG9Em37vjbGOT/5Wti+nCdlv2ig",
  "sT2tulA/8nclP3KaeD8jaHY/amnsPk7Mqj5PHza/KiYIBhABQgYwLmJpYXNKGLerjL9Ur1w/A+t5P4/cUT/lXps+iWObvyooCAYQAUIIMi53ZW",
  "lnaHRKGH9rb7+19x4/NJ4JPyDBIz2LiCA+8tLFPiomCAYQAUIGMi5iaWFzShjycM++XEBLPHz8vD0CvjY/piWgvj4Boj4qigEIBQgGEAFCCDMu",
  "d2VpZ2h0SnhKmVa+bZkGvhiqqz+yXfc+QwbQv45lVr/TOg0+UvpSv83Joj2D90U/ywN6v1VIqj7W0RG/h58lP8XITb7xEzc/OSu3vs6Mmb+mzr",
  "a+ojOqvg0D4777gYO/1rTZPtsZxL65NEW//gsBvx/UCDyajHM+ttc8vqN1ZT8qIggFEAFCBjMuYmlhc0oUbZOyP4Pvfr6iGw4+mWiMP7g0UL8q",
  "NggDCAMQAUIIOC53ZWlnaHRKJFTnB75jSQi+cBNzP8iKAz8xdxA/accEP9Mv2j7lRMe+GkzEPioaCAMQAUIGOC5iaWFzSgxzGZ0+mvjhPCcqVb",
  "8qVQgFCAMQAUIPb25ueDo6TWF0TXVsXzI3Sjy6EZY+q3mWv5Kjc76BHBk/wNPQPr3YOz6RM1U/THBUvpedF75U4Uo/TWUUPxvW8D5B5GQ+AQdr",
  "vS3yvr5aGAoBeBITChEIARINCgcSBWJhdGNoCgIIBGIYCgF5EhMKEQgBEg0KBxIFYmF0Y2gKAggDQgIQEQ==",
].join("");

test("ONNX import of a PyTorch 1.13 export (Linear, GELU, LayerNorm, LeakyReLU, Dropout, ELU, Softmax) matches ONNX Runtime", async () => {
  const bytes = new Uint8Array(Buffer.from(TORCH_MLP_ONNX, "base64"));
  const model = importOnnx(bytes, "torch_mlp.onnx");
  assert.deepEqual(
    model.config().layers.map((l) => `${l.type}:${String(l.activation ?? l.eps)}:${String(l.useBias ?? "")}`),
    [
      "dense:gelu:true",
      "layerNorm:0.00001:",
      "dense:leakyRelu:true",
      "dense:elu:false",
      "dense:softmax:true",
    ],
  );
  const x = new Tensor(
    randn(40, 8).map((v) => 2 * v),
    [10, 4],
  );
  const diff = maxAbsDiff(await runOnnx(bytes, x, "x", "y"), predict(model, x).data);
  assert.ok(diff <= 1e-5, `max abs difference ${diff}`);
});

// ---------------------------------------------------------------- errors

test("ONNX export of a layer the format cannot express names the layer", () => {
  // conv1d, which this test once used, is exported now (export-onnx-shaped.test.ts); a user's own kind is not.
  const custom: Layer = {
    type: "myLayer",
    build: (d) => d,
    forward: (x) => x,
    parameters: () => [],
    config: () => ({ type: "myLayer" }),
  };
  const model = new Sequential([new Dense(3), custom]).build(2, new Rng(0));
  assert.throws(
    () => exportOnnx(model),
    (e: unknown) => e instanceof ConfigError && /layer 1 \(myLayer\): ONNX export supports/.test(e.message),
  );
});

test("ONNX import refuses unsupported ops, attributes and graph shapes with a message naming the node", () => {
  const W: [string, number[], Float32Array] = ["W", [3, 2], randn(6, 1)];
  const gemm: NodeDef = { op: "Gemm", inputs: ["x", "W"], output: "h", attrs: { transB: 1 } };
  throwsModelFile(
    () =>
      importOnnx(
        foreignOnnx([gemm, { op: "HardSigmoid", inputs: ["h"], output: "y" }], [W], { inputDim: 2 }),
        "m.onnx",
      ),
    "m.onnx",
    `"n1"`,
    "HardSigmoid",
    "not supported",
  );
  throwsModelFile(
    () =>
      importOnnx(
        foreignOnnx([gemm, { op: "LeakyRelu", inputs: ["h"], output: "y", attrs: { alpha: 0.2 } }], [W], {
          inputDim: 2,
        }),
      ),
    `"n1"`,
    "alpha 0.2",
  );
  throwsModelFile(
    () =>
      importOnnx(
        foreignOnnx([gemm, { op: "Softmax", inputs: ["h"], output: "y", attrs: { axis: 0 } }], [W], {
          inputDim: 2,
        }),
      ),
    "axis 0",
  );
  // h + relu(h) is a residual block (test/onnx-import-conv.test.ts); relu(h) + tanh(h) is no block Homeostat has.
  const branches: NodeDef[] = [
    { op: "Relu", inputs: ["h"], output: "r" },
    { op: "Tanh", inputs: ["h"], output: "t" },
    { op: "Add", inputs: ["r", "t"], output: "y" },
  ];
  throwsModelFile(
    () => importOnnx(foreignOnnx([gemm, ...branches], [W], { inputDim: 2 })),
    `"n3"`,
    "Add",
    "not a residual block",
  );
  throwsModelFile(
    () =>
      importOnnx(
        foreignOnnx([gemm, { op: "FusedGemm", inputs: ["h"], output: "y", domain: "com.microsoft" }], [W], {
          inputDim: 2,
        }),
      ),
    "com.microsoft",
  );
  throwsModelFile(
    () => importOnnx(foreignOnnx([{ ...gemm, inputs: ["x", "missing"] }], [W], { inputDim: 2 })),
    `"missing"`,
  );
  throwsModelFile(() => importOnnx(foreignOnnx([gemm], [W], { inputDim: 5 })), "shape [3, 2]");
});

test("ONNX import refuses truncated, corrupted and oversized files before allocating", () => {
  const bytes = exportOnnx(built([new Dense(4, { activation: "relu" }), new LayerNorm()], 3));
  for (const n of [0, 1, 7, bytes.length >> 1, bytes.length - 1])
    assert.throws(() => importOnnx(bytes.subarray(0, n)), ModelFileError);
  // A weight claiming 10^10 × 10^10 values, backed by 4 bytes.
  const huge = foreignOnnx(
    [{ op: "Gemm", inputs: ["x", "W"], output: "y", attrs: { transB: 1 } }],
    [["W", [1e10, 1e10], Float32Array.of(1)]],
    { inputDim: 2 },
  );
  throwsModelFile(() => importOnnx(huge), "needs more values than the file holds");
  throwsModelFile(() => importOnnx(new TextEncoder().encode("not an onnx file at all")));
});

test("protobuf: varints (negative int64 too), floats, packed fields and nested messages round-trip", () => {
  const w = new ProtoWriter();
  w.int(1, 0)
    .int(2, 300)
    .int(3, -1)
    .int(4, 2 ** 53 - 1)
    .int(5, -(2 ** 40))
    .float(6, 1.5)
    .double(7, Math.PI)
    .string(8, "ünï")
    .packedInts(9, [1, -2, 3e9])
    .packedFloats(10, [0.25, -2])
    .message(11, (m) => m.int(1, 7));
  const bytes = w.finish();
  const r = new ProtoReader(bytes, "t");
  const got: unknown[] = [];
  for (let f = r.next(); f; f = r.next()) {
    if (f.field <= 5) got.push(r.int());
    else if (f.field === 6) got.push(r.float());
    else if (f.field === 7) got.push(r.double());
    else if (f.field === 8) got.push(r.string());
    else if (f.field === 9) got.push(r.ints(f.wire));
    else if (f.field === 10) got.push([...r.floats(f.wire)]);
    else {
      const inner = new ProtoReader(r.bytesField(), "inner");
      inner.next();
      got.push(inner.int());
    }
  }
  assert.deepEqual(got, [
    0,
    300,
    -1,
    2 ** 53 - 1,
    -(2 ** 40),
    1.5,
    Math.PI,
    "ünï",
    [1, -2, 3e9],
    [0.25, -2],
    7,
  ]);
  assert.equal(
    new ProtoWriter().int(1, -1).finish().length,
    11,
    "a negative int64 takes ten bytes after its tag",
  );
});

test("protobuf reader: bad input is a ModelFileError, and a length prefix beyond the input is refused before allocating", () => {
  const cases: [number[], string][] = [
    [[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], "exceeds"], // length 2^32 - 1, nothing behind it
    [[0x08, 0x80], "truncated varint"],
    [[0x08, ...Array(11).fill(0x80), 0], "longer than 10 bytes"],
    [[0x0b], "wire type 3"],
    [[0x00, 0x01], "invalid field number 0"],
    [[0x0d, 1, 2], "needs 4 bytes"],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => {
        const r = new ProtoReader(Uint8Array.from(bytes), "f.onnx");
        for (let f = r.next(); f; f = r.next()) r.skip(f.wire);
      },
      (e: unknown) =>
        e instanceof ModelFileError && e.message.startsWith("f.onnx: ") && e.message.includes(message),
      message,
    );
  }
  const packed = new ProtoReader(Uint8Array.of(0x22, 3, 0, 0, 0), "p");
  assert.throws(
    () => packed.floats(packed.next()!.wire),
    (e: unknown) => e instanceof ModelFileError && e.message.includes("not a multiple of 4"),
  );
});

// ---------------------------------------------------------------- fuzzing

/** Swap an op_type string for another of the same length, so mutants reach the op-specific checks. */
const OP_SWAPS = [
  ["Relu", "Tanh", "Gemm", "Gelu", "Selu", "Conv"],
  ["Sigmoid", "Softmax", "Flatten"],
  ["Div", "Mul", "Add", "Erf", "Elu", "Sub"],
  ["Softplus", "Identity"],
];
function mutateOp(seed: Uint8Array, rng: Rng): Uint8Array {
  const out = seed.slice();
  const text = new TextDecoder("latin1").decode(out);
  const group = OP_SWAPS[rng.int(OP_SWAPS.length)];
  const hits: number[] = [];
  for (const op of group) for (let i = text.indexOf(op); i >= 0; i = text.indexOf(op, i + 1)) hits.push(i);
  if (hits.length === 0) return out;
  out.set(new TextEncoder().encode(group[rng.int(group.length)]), hits[rng.int(hits.length)]);
  return out;
}

test("fuzz ONNX importer: 3,000 mutated and random inputs, only Homeostat's own errors", () => {
  const target: FuzzTarget = {
    name: "onnx",
    seeds: [
      exportOnnx(CASES[CASES.length - 1][1]()),
      exportOnnx(
        built([new Dense(3, { activation: "selu", useBias: false }), new Activation("softplus")], 2),
      ),
      foreignOnnx(FOREIGN_NODES, FOREIGN_INITS, { inputDim: 4, opset: 20 }),
      new Uint8Array(Buffer.from(TORCH_MLP_ONNX, "base64")),
    ],
    parse: (bytes) => importOnnx(bytes, "fuzz.onnx"),
    mutate: mutateOp,
  };
  const t0 = performance.now();
  const r = fuzz(target, 3000, 11);
  console.log(
    `fuzz onnx: ${r.inputs} inputs, ${r.accepted} accepted, ${r.refused} refused, ${r.crashes.length} crashes, slowest ${r.slowestMs.toFixed(1)} ms, total ${(performance.now() - t0).toFixed(0)} ms`,
  );
  assert.deepEqual(r.crashes, []);
  assert.ok(r.refused > 300 && r.accepted > 100, `refused ${r.refused}, accepted ${r.accepted}`);
});
