/**
 * The container format's helpers against hand-worked values: byte swapping (only a big-endian host
 * runs it inside the container, so it is checked here directly), payload copies, element counts at
 * the edge of exact arithmetic, alignment, and the short renderings error messages use.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  alignUp,
  copyPayload,
  describe as describeValue,
  dtypeOf,
  elementCount,
  errorMessage,
  hex32,
  HOST_LITTLE_ENDIAN,
  isSize,
  swapBytes,
  truncated,
} from "../src/io/container-format.js";

describe("container-format helpers", () => {
  test("the host is little-endian, as every platform the tests run on is", () => {
    // Read back independently: 0x0102 stored natively, its first byte seen through a byte view.
    const probe = new Uint8Array(new Uint16Array([0x0102]).buffer);
    assert.equal(HOST_LITTLE_ENDIAN, probe[0] === 0x02);
    assert.equal(HOST_LITTLE_ENDIAN, true);
  });

  test("swapBytes reverses each element's bytes in place, every element, the last included", () => {
    const four = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    swapBytes(four, 4);
    assert.deepEqual([...four], [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9]);
    const eight = Uint8Array.from({ length: 16 }, (_, i) => i);
    swapBytes(eight, 8);
    assert.deepEqual([...eight], [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8]);
    const empty = new Uint8Array(0);
    swapBytes(empty, 4);
    assert.equal(empty.length, 0);
  });

  test("copyPayload makes a fresh typed array of the dtype from little-endian bytes", () => {
    const raw = Uint8Array.from([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]); // 1.5, -2 as float32
    const f32 = copyPayload(raw, "float32");
    assert.ok(f32 instanceof Float32Array);
    assert.deepEqual([...f32], [1.5, -2]);
    const f64 = copyPayload(Uint8Array.from([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]), "float64");
    assert.ok(f64 instanceof Float64Array);
    assert.deepEqual([...f64], [1.5]);
    const i32 = copyPayload(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0]), "int32");
    assert.ok(i32 instanceof Int32Array);
    assert.deepEqual([...i32], [-1, 7]);
    const u32 = copyPayload(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), "uint32");
    assert.ok(u32 instanceof Uint32Array);
    assert.deepEqual([...u32], [4294967295]);
    raw.fill(0);
    assert.deepEqual([...f32], [1.5, -2], "a copy, not a view");
    assert.equal(f32.byteOffset, 0);
  });

  test("dtypeOf names the four stored array types and nothing else", () => {
    assert.equal(dtypeOf(new Float32Array(1)), "float32");
    assert.equal(dtypeOf(new Float64Array(1)), "float64");
    assert.equal(dtypeOf(new Int32Array(1)), "int32");
    assert.equal(dtypeOf(new Uint32Array(1)), "uint32");
    assert.equal(dtypeOf(new Uint8Array(1)), undefined);
    assert.equal(dtypeOf([1]), undefined);
  });

  test("elementCount: the product of sizes while 8 bytes each stay exact", () => {
    assert.equal(elementCount([]), 1);
    assert.equal(elementCount([2, 3, 4]), 24);
    assert.equal(elementCount([0, 2 ** 60]), undefined, "2^60 itself is not a safe integer");
    assert.equal(elementCount([0, 2 ** 52]), 0, "a zero dimension makes any product exact");
    assert.equal(elementCount([2 ** 49]), 2 ** 49, "2^49 × 8 = 2^52 is exact");
    assert.equal(elementCount([2 ** 50]), undefined, "2^50 × 8 = 2^53 is not");
    assert.equal(elementCount([2 ** 25, 2 ** 25]), undefined);
    assert.equal(elementCount([2, -1]), undefined);
    assert.equal(elementCount([2, 1.5]), undefined);
    assert.equal(elementCount([2, "3"]), undefined);
    assert.equal(elementCount("23"), undefined);
  });

  test("isSize: a non-negative safe integer", () => {
    assert.equal(isSize(0), true);
    assert.equal(isSize(2 ** 53 - 1), true);
    assert.equal(isSize(2 ** 53), false);
    assert.equal(isSize(-1), false);
    assert.equal(isSize(0.5), false);
    assert.equal(isSize("1"), false);
  });

  test("alignUp rounds up to the next multiple of 8", () => {
    assert.deepEqual([0, 1, 7, 8, 9, 15, 16, 17].map(alignUp), [0, 8, 8, 8, 16, 16, 16, 24]);
  });

  test("the words of error messages", () => {
    assert.equal(truncated(20, 12), "truncated: expected at least 20 bytes, found 12");
    assert.equal(hex32(0), "0x00000000");
    assert.equal(hex32(0xdeadbeef), "0xdeadbeef");
    assert.equal(hex32(0x1f), "0x0000001f");
    assert.equal(describeValue(undefined), "nothing");
    assert.equal(describeValue(null), "null");
    assert.equal(describeValue("a"), '"a"');
    assert.equal(describeValue([1, 2]), "[1,2]");
    assert.equal(
      describeValue(() => 1),
      "() => 1",
      "no JSON form: String(value)",
    );
    assert.equal(describeValue(1n), "[object BigInt]", "JSON.stringify throws: the object's tag");
    const sixty = "x".repeat(58); // quoted: exactly 60 characters, kept whole
    assert.equal(describeValue(sixty), `"${sixty}"`);
    const sixtyOne = "x".repeat(59); // quoted: 61 characters, cut to 57 and "..."
    assert.equal(describeValue(sixtyOne), `"${"x".repeat(56)}...`);
    assert.equal(errorMessage(new Error("boom")), "boom");
    assert.equal(errorMessage("plain"), "plain");
  });
});
