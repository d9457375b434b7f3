/**
 * The safetensors container (src/io/safetensors-format.ts) against bytes laid out by hand from the
 * format's definition, the refusals of bad files, and the PyTorch names of a Homeostat network. The
 * comparisons with real PyTorch are in io-safetensors-torch.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeSafetensors,
  encodeSafetensors,
  exportSafetensors,
  importSafetensors,
} from "../src/io/safetensors.js";
import { torchModules, torchNames } from "../src/io/safetensors-torch.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { HomeostatError, ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

/** A file from a header object and data bytes, exactly as the format defines it (no padding). */
function fileOf(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true); // high 4 bytes stay 0
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of float32 then float64 values, written one by one with a DataView. */
function leBytes(f32: number[], f64: number[]): Uint8Array {
  const out = new Uint8Array(4 * f32.length + 8 * f64.length);
  const v = new DataView(out.buffer);
  f32.forEach((x, i) => v.setFloat32(4 * i, x, true));
  f64.forEach((x, i) => v.setFloat64(4 * f32.length + 8 * i, x, true));
  return out;
}

test("encode writes the documented layout byte for byte: u64 length, space-padded JSON header, raw LE data", () => {
  const bytes = encodeSafetensors(
    [
      { name: "w", dtype: "F32", shape: [2, 1], data: Float32Array.of(1.5, -2) },
      { name: "b", dtype: "F64", shape: [1], data: Float64Array.of(0.1) },
    ],
    { format: "pt" },
  );
  const header =
    '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}';
  const padded = header + " ".repeat((8 - (header.length % 8)) % 8);
  const want = fileOf(null, leBytes([1.5, -2], [0.1]), padded);
  assert.equal(padded.length % 8, 0);
  assert.deepEqual(bytes, want);
  const back = decodeSafetensors(bytes, "t.safetensors");
  assert.deepEqual(back.metadata, { format: "pt" });
  assert.deepEqual(
    back.tensors.map((t) => [t.name, t.dtype, t.shape, Array.from(t.data)]),
    [
      ["w", "F32", [2, 1], [1.5, -2]],
      ["b", "F64", [1], [0.1]],
    ],
  );
});

test("decode reads tensors whose offsets are not in header order, scalars and empty tensors; NaN bits survive", () => {
  const nan = new Float32Array(new Uint32Array([0x7fc00abc]).buffer)[0]!;
  const data = leBytes([7, nan], []);
  const bytes = fileOf(
    {
      late: { dtype: "F32", shape: [], data_offsets: [4, 8] },
      empty: { dtype: "F64", shape: [0, 3], data_offsets: [0, 0] },
      early: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    },
    data,
  );
  const t = new Map(decodeSafetensors(bytes).tensors.map((x) => [x.name, x]));
  assert.equal(t.get("early")!.data[0], 7);
  assert.equal(new Uint32Array(t.get("late")!.data.buffer)[0], 0x7fc00abc);
  assert.deepEqual(t.get("late")!.shape, []);
  assert.equal(t.get("empty")!.data.length, 0);
});

const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
const BAD: [string, Uint8Array, RegExp][] = [
  ["shorter than the length field", Uint8Array.of(1, 2, 3), /3 bytes, too short/],
  [
    "a header length past the end",
    fileOf({ a: ok }, new Uint8Array(8)).fill(0xff, 0, 8),
    /header length says .* bytes, but/,
  ],
  ["a header that is not JSON", fileOf(null, new Uint8Array(0), "{not json"), /not JSON/],
  ["a header that is not an object", fileOf([1, 2]), /JSON object of tensors/],
  ["a header that is not UTF-8", fileOf(null, new Uint8Array(0), "{}").fill(0xff, 8, 9), /not UTF-8/],
  ["an unknown dtype", fileOf({ a: { ...ok, dtype: "F33" } }, new Uint8Array(8)), /"a": unknown dtype "F33"/],
  [
    "a dtype Homeostat does not read",
    fileOf({ a: { ...ok, dtype: "BF16", shape: [4] } }, new Uint8Array(8)),
    /"a" is BF16; Homeostat reads F32 and F64/,
  ],
  [
    "a size that lies about the shape",
    fileOf({ a: { ...ok, shape: [3] } }, new Uint8Array(8)),
    /"a": shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] span 8/,
  ],
  [
    "a dtype that lies about the size",
    fileOf({ a: { ...ok, dtype: "F64" } }, new Uint8Array(8)),
    /"a": shape \[2\] of F64 needs 16 bytes/,
  ],
  [
    "offsets past the data",
    fileOf({ a: ok }, new Uint8Array(4)),
    /"a": data_offsets \[0, 8\] run past the 4 data bytes/,
  ],
  [
    "overlapping tensors",
    fileOf({ a: ok, b: { ...ok, data_offsets: [4, 12] } }, new Uint8Array(12)),
    /"b": data_offsets \[4, 12\] overlap the previous tensor/,
  ],
  [
    "a hole between tensors",
    fileOf({ a: { ...ok, data_offsets: [4, 12] } }, new Uint8Array(12)),
    /"a".*leave a hole/,
  ],
  ["bytes that belong to no tensor", fileOf({ a: ok }, new Uint8Array(12)), /4 bytes after the last tensor/],
  [
    "reversed offsets",
    fileOf({ a: { ...ok, data_offsets: [8, 0] } }, new Uint8Array(8)),
    /"a": data_offsets \[8,0\]: expected \[begin, end\]/,
  ],
  ["a negative dimension", fileOf({ a: { ...ok, shape: [-2] } }, new Uint8Array(8)), /"a": shape \[-2\]/],
  [
    "an unknown key in an entry",
    fileOf({ a: { ...ok, strides: [1] } }, new Uint8Array(8)),
    /"a": unknown key "strides"/,
  ],
  [
    "metadata that is not strings",
    fileOf({ __metadata__: { n: 1 }, a: ok }, new Uint8Array(8)),
    /"__metadata__" should map names to strings/,
  ],
];

for (const [what, bytes, message] of BAD) {
  test(`decode refuses ${what} with a ModelFileError naming the file`, () => {
    assert.throws(
      () => decodeSafetensors(bytes, "bad.safetensors"),
      (e: unknown) =>
        e instanceof ModelFileError && /^bad\.safetensors: /.test(e.message) && message.test(e.message),
    );
  });
}

test("PyTorch names: Linear indices skip the activation modules; dropout, layer norm and activation layers are modules", () => {
  const layers = [
    new Dense(16, { activation: "relu" }),
    new Dropout(0.1),
    new Dense(8),
    new LayerNorm(),
    new Activation("identity"),
    new Dense(3, { activation: "softmax", useBias: false }),
  ];
  assert.deepEqual(
    torchModules(layers).map((m) => m.kind),
    ["linear", "activation", "dropout", "linear", "layerNorm", "activation", "linear", "activation"],
  );
  assert.deepEqual(torchNames(torchModules(layers)), [
    ["0.weight", "0.weight"],
    ["0.bias", "0.bias"],
    ["2.weight", "3.weight"],
    ["2.bias", "3.bias"],
    ["3.weight", "4.weight"],
    ["3.bias", "4.bias"],
    ["5.weight", "6.weight"],
  ]);
});

/** A PyTorch-style state dict of 4 → Linear(4, 3) → ReLU → Linear(3, 2), with the entries changed by `edit`. */
function stateDict(edit: (t: Record<string, number[]>) => void): Uint8Array {
  const shapes: Record<string, number[]> = {
    "0.weight": [3, 4],
    "0.bias": [3],
    "2.weight": [2, 3],
    "2.bias": [2],
  };
  edit(shapes);
  return encodeSafetensors(
    Object.entries(shapes).map(([name, shape]) => ({
      name,
      dtype: "F32" as const,
      shape,
      data: new Float32Array(shape.reduce((n, d) => n * d, 1)).fill(0.5),
    })),
  );
}
const ARCH = {
  layers: [
    { type: "dense", units: 3, activation: "relu" },
    { type: "dense", units: 2, activation: "softmax" },
  ],
  source: "arch.json",
};

test("import: the declared architecture's names and shapes, the input width from the first weight", () => {
  const { model } = importSafetensors(
    stateDict(() => {}),
    ARCH,
    "m.safetensors",
  );
  assert.equal(model.inputDim, 4);
  assert.deepEqual(
    model.parameters().map(([n, t]) => [n, t.shape]),
    [
      ["0.weight", [3, 4]],
      ["0.bias", [3]],
      ["1.weight", [2, 3]],
      ["1.bias", [2]],
    ],
  );
});

test("import: F64 tensors are rounded to float32", () => {
  const f64 = encodeSafetensors(
    Object.entries({ "0.weight": [3, 4], "0.bias": [3], "2.weight": [2, 3], "2.bias": [2] }).map(
      ([name, shape]) => ({
        name,
        dtype: "F64" as const,
        shape,
        data: new Float64Array(shape.reduce((n, d) => n * d, 1)).fill(0.1),
      }),
    ),
  );
  const { model } = importSafetensors(f64, ARCH, "m.safetensors");
  for (const [, t] of model.parameters()) assert.ok(t.data.every((v) => v === Math.fround(0.1)));
});

const IMPORT_BAD: [string, (t: Record<string, number[]>) => void, RegExp][] = [
  [
    "a missing tensor",
    (t) => delete t["2.bias"],
    /missing tensor "2\.bias" \(layer 1 \(dense\), shape \[2\]\)/,
  ],
  [
    "an extra tensor",
    (t) => (t["4.weight"] = [1, 2]),
    /tensor "4\.weight" not in the declared architecture, which has 0\.weight, 0\.bias, 2\.weight, 2\.bias/,
  ],
  [
    "a shape that does not match",
    (t) => (t["2.weight"] = [5, 3]),
    /tensor "2\.weight" has shape \[5,3\], but layer 1 \(dense\) of the declared architecture needs \[2,3\]/,
  ],
  [
    "a first weight of another width than declared",
    (t) => (t["0.weight"] = [3, 5]),
    /"0\.weight" has shape \[3,5\].*needs \[3,4\]/,
  ],
  [
    "indices that do not skip the activation",
    (t) => {
      t["1.weight"] = t["2.weight"]!;
      t["1.bias"] = t["2.bias"]!;
      delete t["2.weight"];
      delete t["2.bias"];
    },
    /missing tensor "2\.weight"/,
  ],
];

for (const [what, edit, message] of IMPORT_BAD) {
  test(`import refuses ${what}, naming the tensor`, () => {
    assert.throws(
      () => importSafetensors(stateDict(edit), { ...ARCH, inputDim: 4 }, "m.safetensors"),
      (e: unknown) => e instanceof ModelFileError && message.test(e.message),
    );
  });
}

test("import refuses a layer with no PyTorch module and an architecture that is not a layer list", () => {
  assert.throws(
    () =>
      importSafetensors(
        stateDict(() => {}),
        { layers: [{ type: "dense", units: 3, activation: "nope" }], source: "a.json" },
        "m",
      ),
    (e: unknown) => e instanceof HomeostatError && /a\.json: layers\[0\]/.test(e.message),
  );
  assert.throws(
    () =>
      importSafetensors(
        stateDict(() => {}),
        null,
        "m.safetensors",
      ),
    /no architecture stored in the file; declare it with --arch/,
  );
});

test("an export imports back without --arch (the file stores its architecture), weights bit for bit", () => {
  const model = new Sequential([
    new Dense(5, { activation: "gelu" }),
    new LayerNorm(),
    new Dropout(0.2),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(3));
  const { weights } = exportSafetensors(model, { weightsFile: "m.safetensors" });
  const back = importSafetensors(weights, null, "m.safetensors").model;
  assert.deepEqual(back.config(), model.config());
  assert.deepEqual(
    back.parameters().map(([n, t]) => [n, Array.from(t.data)]),
    model.parameters().map(([n, t]) => [n, Array.from(t.data)]),
  );
});
