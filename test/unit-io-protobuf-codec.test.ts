/**
 * The protobuf wire format at its edges (src/io/protobuf.ts), on bytes written out by hand: the
 * canonical one-byte varint, the largest field number, the tenth varint byte, the refusals of the
 * reader with their exact words, and the record kinds the ONNX reader meets unpacked (a float on its
 * own, a double it skips).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtoReader, ProtoWriter, WIRE } from "../src/io/protobuf.js";
import { ModelFileError } from "../src/tensor/errors.js";

const refuses = (run: () => unknown, message: string): void => {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, String(e));
    assert.equal(e.message, message);
    return true;
  });
};

test("127 is the last one-byte varint and 128 the first two-byte one", () => {
  // Field 1, varint: tag 0x08; 127 = 0x7f; 128 = 0x80 0x01 (low seven bits first, high bit = more).
  assert.deepEqual([...new ProtoWriter().int(1, 127).finish()], [0x08, 0x7f]);
  assert.deepEqual([...new ProtoWriter().int(1, 128).finish()], [0x08, 0x80, 0x01]);
});

test("field numbers run to 2^29 - 1; 2^29 is refused naming the number and where its tag starts", () => {
  // Tag (2^29 - 1) * 8 + 0 = 0xfffffff8: seven bits a byte, low first.
  const last = Uint8Array.of(0xf8, 0xff, 0xff, 0xff, 0x0f, 0x05);
  assert.deepEqual([...new ProtoWriter().int(536870911, 5).finish()], [...last]);
  const r = new ProtoReader(last, "m.onnx");
  assert.deepEqual(r.next(), { field: 536870911, wire: WIRE.varint });
  assert.equal(r.int(), 5);
  // Tag 2^29 * 8 = 2^32 after one varint record (two bytes), so it starts at byte 2.
  const beyond = new ProtoReader(Uint8Array.of(0x08, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10), "m.onnx");
  beyond.next();
  beyond.int();
  refuses(() => beyond.next(), "m.onnx: invalid field number 536870912 at byte 2");
});

test("a varint may take ten bytes, not eleven", () => {
  // Ten bytes: nine of 0xff and a last 0x01 are the 64 bits of -1.
  const ten = new ProtoReader(Uint8Array.of(...Array(9).fill(0xff), 0x01), "m.onnx");
  assert.equal(ten.int(), -1);
  // Eleven bytes, the eleventh ending it: refused once the tenth still says "more".
  const eleven = new ProtoReader(Uint8Array.of(...Array(10).fill(0x80), 0x00), "m.onnx");
  refuses(() => eleven.int(), "m.onnx: varint longer than 10 bytes at byte 10");
});

test("a fixed32 record cut short says how many bytes it needs and how many remain", () => {
  // Tag 0x0d is field 1, fixed32; two of its four bytes are there, from byte 1.
  const r = new ProtoReader(Uint8Array.of(0x0d, 1, 2), "m.onnx");
  refuses(() => r.skip(r.next()!.wire), "m.onnx: field needs 4 bytes at byte 1, only 2 remain");
});

test("a length prefix beyond the bytes that remain is refused with both numbers, a negative one as negative", () => {
  // Field 1, bytes, length 5, but only two bytes follow (from byte 2).
  const short = new ProtoReader(Uint8Array.of(0x0a, 0x05, 1, 2), "m.onnx");
  short.next();
  refuses(() => short.bytesField(), "m.onnx: length prefix 5 at byte 2 exceeds the 2 bytes that remain");
  // Length -1 (ten varint bytes), then two bytes that a wrong reading would step back into.
  const negative = new ProtoReader(Uint8Array.of(0x0a, ...Array(9).fill(0xff), 0x01, 7, 7), "m.onnx");
  negative.next();
  refuses(() => negative.bytesField(), "m.onnx: length prefix -1 at byte 11 is negative");
});

test("a float written on its own (wire type 5) reads as one float; a packed one must be wire type 2", () => {
  const single = new ProtoReader(new ProtoWriter().float(3, 1.5).finish(), "m.onnx");
  assert.deepEqual([...single.floats(single.next()!.wire)], [1.5]);
  // A varint where packed floats belong (field 1, varint 2).
  const notPacked = new ProtoReader(Uint8Array.of(0x08, 0x02, 0, 0), "m.onnx");
  refuses(
    () => notPacked.floats(notPacked.next()!.wire),
    "m.onnx: expected a length-delimited field, got wire type 0",
  );
});

test("packed ints refuse a fixed32 record rather than reading its bytes as a length", () => {
  // Field 1, fixed32, bytes 1 2 3 4: read as a length prefix, 1 would take the byte 2.
  const r = new ProtoReader(Uint8Array.of(0x0d, 1, 2, 3, 4), "m.onnx");
  refuses(() => r.ints(r.next()!.wire), "m.onnx: expected a length-delimited field, got wire type 5");
});

test("skipping a double steps over exactly its eight bytes", () => {
  // 2.0 as a double is 00 00 00 00 00 00 00 40 (little-endian); field 2 (varint 7) follows it.
  const bytes = new ProtoWriter().double(1, 2).int(2, 7).finish();
  assert.deepEqual([...bytes], [0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x10, 0x07]);
  const r = new ProtoReader(bytes, "m.onnx");
  r.skip(r.next()!.wire);
  assert.deepEqual(r.next(), { field: 2, wire: WIRE.varint });
  assert.equal(r.int(), 7);
  assert.equal(r.next(), null);
});
