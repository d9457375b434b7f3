/** The protobuf reader and writer under the ONNX importer and exporter: round trips and refusals. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtoReader, ProtoWriter } from "../src/io/protobuf.js";
import { ModelFileError } from "../src/tensor/errors.js";

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
