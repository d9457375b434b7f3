/**
 * The protobuf writer's refusal of a number that is no varint, and the reader's wire-type check of a
 * record (`expect`), word for word.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtoReader, ProtoWriter, WIRE } from "../src/io/protobuf.js";

test("a varint holds a safe integer: a fraction, 2^53 or NaN is a RangeError naming the value", () => {
  for (const [value, shown] of [
    [1.5, "1.5"],
    [2 ** 53, "9007199254740992"],
    [Number.NaN, "NaN"],
  ] as const)
    assert.throws(() => new ProtoWriter().int(1, value), {
      name: "RangeError",
      message: `protobuf: cannot encode ${shown} as a varint`,
    });
});

test("expect passes a record of the wire type asked for and refuses another, naming field and types", () => {
  // Field 1 as a varint (tag 0x08, value 5), then field 7 as bytes (tag 0x3a, length 0).
  const r = new ProtoReader(Uint8Array.of(0x08, 0x05, 0x3a, 0x00), "model.onnx");
  const first = r.next()!;
  r.expect(first, WIRE.varint, "ir_version");
  assert.equal(r.int(), 5);
  const second = r.next()!;
  assert.throws(() => r.expect(second, WIRE.varint, "graph"), {
    name: "ModelFileError",
    message: "model.onnx: field graph (#7) has wire type 2, expected 0",
  });
});
