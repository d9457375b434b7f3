/**
 * The ONNX tensor decoder (readTensor in src/io/onnx-graph.ts) on TensorProtos written record by
 * record: float32 and int64 tensors in each encoding ONNX allows, the defaults of absent fields, each
 * refusal word for word with the tensor it names, and records it does not know, or meets with an
 * unexpected wire type, stepped over rather than misread (protobuf's rule, which lets files of later
 * ONNX versions load). The rest of a model is in unit-io-onnx-graph-model.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readTensor } from "../src/io/onnx-graph.js";
import type { ProtoWriter } from "../src/io/protobuf.js";
import { type Build, bytesOf, FILE, refuses } from "./helpers/onnx-records.js";

const INITIALIZER = `${FILE}: initializer`;
const tensor = (build: Build) => readTensor(bytesOf(build), INITIALIZER);
/** Little-endian int64s, as raw_data holds them. */
const int64Bytes = (values: number[]): Uint8Array => {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
};

test("float32 tensors from raw_data, packed float_data and unpacked float_data read the same values", () => {
  const raw = new Uint8Array(Float32Array.of(1, -2.5, 3).buffer);
  const expected = { name: "w", dims: [3], data: Float32Array.of(1, -2.5, 3) };
  assert.deepEqual(
    tensor((t) => t.packedInts(1, [3]).int(2, 1).string(8, "w").bytes(9, raw)),
    expected,
  );
  // float_data in two packed records, and one value per fixed32 record: the values follow each other.
  assert.deepEqual(
    tensor((t) =>
      t.packedInts(1, [3]).int(2, 1).string(8, "w").packedFloats(4, [1]).packedFloats(4, [-2.5, 3]),
    ),
    expected,
  );
  assert.deepEqual(
    tensor((t) => t.int(1, 3).int(2, 1).string(8, "w").float(4, 1).float(4, -2.5).float(4, 3)),
    expected,
  );
});

test("int64 tensors from raw_data or int64_data keep their integers as ints", () => {
  assert.deepEqual(
    tensor((t) =>
      t
        .packedInts(1, [3])
        .int(2, 7)
        .string(8, "shape")
        .bytes(9, int64Bytes([2, -1, 4])),
    ),
    { name: "shape", dims: [3], data: Float32Array.of(2, -1, 4), ints: [2, -1, 4] },
  );
  assert.deepEqual(
    tensor((t) => t.packedInts(1, [2]).int(2, 7).string(8, "axes").packedInts(7, [0, -1])),
    {
      name: "axes",
      dims: [2],
      data: Float32Array.of(0, -1),
      ints: [0, -1],
    },
  );
});

test('a tensor without a name or dims is a scalar named ""; a dimension of 0 makes an empty tensor', () => {
  assert.deepEqual(
    tensor((t) => t.int(2, 1).packedFloats(4, [7])),
    { name: "", dims: [], data: Float32Array.of(7) },
  );
  assert.deepEqual(
    tensor((t) => t.packedInts(1, [2, 0]).int(2, 1)),
    { name: "", dims: [2, 0], data: new Float32Array(0) },
  );
});

test("data_location DEFAULT (0) is in the file; EXTERNAL (1) or external_data is refused", () => {
  const w = (rest: Build) => (t: ProtoWriter) => {
    t.packedInts(1, [1]).int(2, 1).string(8, "w").packedFloats(4, [5]);
    rest(t);
  };
  assert.deepEqual(tensor(w((t) => t.int(14, 0))), { name: "w", dims: [1], data: Float32Array.of(5) });
  const external = `${INITIALIZER} "w": weights stored outside the file (external data) are not supported`;
  refuses(() => tensor(w((t) => t.int(14, 1))), external);
  refuses(() => tensor(w((t) => t.message(13, (e) => e.string(1, "location").string(2, "w.bin")))), external);
});

test("a tensor's type, dims and value count are checked, and each refusal names the tensor", () => {
  const at = `${INITIALIZER} "w"`;
  const w = (build: Build) => () =>
    tensor((t) => {
      t.string(8, "w");
      build(t);
    });
  refuses(
    w((t) => t.packedInts(1, [1]).int(2, 11)),
    `${at}: data type 11; expected float32 (1) or int64 (7)`,
  );
  refuses(
    w((t) => t.int(1, 2).int(1, -1).int(2, 1)),
    `${at}: invalid dimension -1`,
  );
  // A dims varint of 2⁶⁰ (eight 0x80 bytes, then 0x10), beyond the integers a double holds exactly;
  // ProtoWriter refuses to write it, so it is written by hand; the message prints it as JavaScript does.
  const huge = Uint8Array.of(
    0x08,
    ...new Array(8).fill(0x80),
    0x10,
    ...bytesOf((t) => t.int(2, 1).string(8, "w")),
  );
  refuses(() => readTensor(huge, INITIALIZER), `${at}: invalid dimension 1152921504606847000`);
  refuses(
    w((t) => t.packedInts(1, [1000, 1000]).int(2, 1)),
    `${at}: shape [1000, 1000] needs more values than the file holds`,
  );
  refuses(
    w((t) => t.packedInts(1, [2, 3]).int(2, 1).bytes(9, new Uint8Array(8))),
    `${at}: raw data holds 8 bytes; shape [2, 3] needs 24`,
  );
  refuses(
    w((t) => t.packedInts(1, [2, 3]).int(2, 1).packedFloats(4, [1, 2])),
    `${at}: holds 2 values; shape [2, 3] needs 6`,
  );
  refuses(
    w((t) =>
      t
        .packedInts(1, [2, 2])
        .int(2, 7)
        .bytes(9, int64Bytes([1])),
    ),
    `${at}: raw data holds 8 bytes; shape [2, 2] needs 32`,
  );
  refuses(
    w((t) => t.packedInts(1, [2, 2]).int(2, 7).packedInts(7, [1, 2, 3])),
    `${at}: holds 3 values; shape [2, 2] needs 4`,
  );
});

test("a shape may ask for as many values as the tensor's record has bytes, not one more", () => {
  // dims [n] packed (3 bytes) and data_type (2 bytes): a 5-byte record.
  const noValues = (n: number) => bytesOf((t) => t.packedInts(1, [n]).int(2, 1));
  assert.equal(noValues(5).length, 5);
  refuses(() => readTensor(noValues(5), INITIALIZER), `${INITIALIZER} "": holds 0 values; shape [5] needs 5`);
  refuses(
    () => readTensor(noValues(6), INITIALIZER),
    `${INITIALIZER} "": shape [6] needs more values than the file holds`,
  );
});

test("a tensor's unknown records and records of unexpected wire types are stepped over", () => {
  const strays: [string, Build][] = [
    ["an unknown varint 9", (t) => t.int(21, 9)],
    ["an unknown varint 1", (t) => t.int(21, 1)],
    ["doc_string", (t) => t.string(12, "doc")],
    ["data_type as bytes", (t) => t.bytes(2, Uint8Array.of(7))],
    ["name as a varint", (t) => t.int(8, 3)],
    ["raw_data as a varint", (t) => t.int(9, 5)],
    ["data_location as bytes", (t) => t.bytes(14, Uint8Array.of(1))],
  ];
  for (const [what, stray] of strays) {
    const read = tensor((t) => {
      t.packedInts(1, [2]).int(2, 1).string(8, "w").packedFloats(4, [1, 2]);
      stray(t);
    });
    assert.deepEqual(read, { name: "w", dims: [2], data: Float32Array.of(1, 2) }, what);
  }
});
