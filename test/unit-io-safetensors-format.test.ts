/**
 * The safetensors container's edges on files laid out by hand from the format's definition: the
 * writer's refusals and padding, the reader's location fields, offsets at their boundaries, empty
 * tensors sharing an offset, I64 counters accepted only when asked for, and metadata.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../src/io/safetensors-format.js";
import { ModelFileError } from "../src/tensor/errors.js";

/** A file from header JSON text and data bytes, as the format defines it (no padding). */
function fileOf(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const refuses = (run: () => unknown, message: string, where: Record<string, string> = {}): void => {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, String(e));
    assert.equal(e.message, message);
    for (const [k, v] of Object.entries(where))
      assert.equal((e.location as Record<string, unknown>)[k], v, k);
    return true;
  });
};
const i64 = (...values: bigint[]): Uint8Array => {
  const out = new Uint8Array(8 * values.length);
  values.forEach((v, i) => new DataView(out.buffer).setBigInt64(8 * i, v, true));
  return out;
};
const F = "f.safetensors";

describe("encodeSafetensors", () => {
  const t = (over: Partial<SafeTensor>): SafeTensor => ({
    name: "w",
    dtype: "F32",
    shape: [2],
    data: Float32Array.of(1, 2),
    ...over,
  });

  test("refuses reserved and repeated names, and data that does not match shape or dtype", () => {
    refuses(
      () => encodeSafetensors([t({ name: "__metadata__" })]),
      'safetensors: tensor name "__metadata__" is reserved or used twice',
    );
    refuses(
      () => encodeSafetensors([t({}), t({})]),
      'safetensors: tensor name "w" is reserved or used twice',
    );
    refuses(
      () => encodeSafetensors([t({ shape: [3] })]),
      'safetensors: tensor "w" does not hold 3 F32 values',
    );
    refuses(
      () => encodeSafetensors([t({ dtype: "F64" })]),
      'safetensors: tensor "w" does not hold 2 F64 values',
    );
    refuses(
      () => encodeSafetensors([t({ data: Float64Array.of(1, 2) })]),
      'safetensors: tensor "w" does not hold 2 F32 values',
    );
  });

  test("empty metadata writes no __metadata__ key; the header is padded with spaces to a multiple of 8", () => {
    for (const metadata of [undefined, {}]) {
      const bytes = encodeSafetensors([], metadata);
      assert.deepEqual([...bytes], [8, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode("{}      ")]);
    }
    // A header whose length is already a multiple of 8 gets no padding: {"__metadata__":{"a":"bbbbbbb"}}.
    const exact = encodeSafetensors([], { a: "b".repeat(7) });
    assert.equal(new DataView(exact.buffer).getBigUint64(0, true), 32n);
    assert.equal(exact.length, 40);
  });

  test("a tensor of a non-zero offset view writes only its own bytes", () => {
    const backing = Float32Array.of(9, 1.5, -2, 9);
    const bytes = encodeSafetensors([t({ data: backing.subarray(1, 3) })]);
    assert.deepEqual([...decodeSafetensors(bytes).tensors[0]!.data], [1.5, -2]);
  });
});

describe("decodeSafetensors edges", () => {
  const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };

  test("the default file name, and the location of each refusal", () => {
    refuses(
      () => decodeSafetensors(Uint8Array.of(1)),
      "safetensors file: 1 bytes, too short for a safetensors file (8-byte header length first)",
      {
        file: "safetensors file",
      },
    );
    const long = fileOf({ a: ok }, new Uint8Array(8));
    new DataView(long.buffer).setBigUint64(0, BigInt(long.length - 7), true);
    refuses(
      () => decodeSafetensors(long, F),
      `${F}: the header length says ${long.length - 7} bytes, but ${long.length - 8} bytes follow it (a truncated file, or not safetensors)`,
      { file: F, field: "header" },
    );
    refuses(() => decodeSafetensors(fileOf("[]"), F), `${F}: the header should be a JSON object of tensors`, {
      field: "header",
    });
    refuses(
      () => decodeSafetensors(fileOf("null"), F),
      `${F}: the header should be a JSON object of tensors`,
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: 3 }), F),
      `${F}: tensor "a": expected {dtype, shape, data_offsets}`,
      {
        file: F,
        layer: "a",
      },
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: [ok] }), F),
      `${F}: tensor "a": expected {dtype, shape, data_offsets}`,
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, shape: "2" } }, new Uint8Array(8)), F),
      `${F}: tensor "a": shape "2": expected an array of non-negative integers`,
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, dtype: 4 } }, new Uint8Array(8)), F),
      `${F}: tensor "a": unknown dtype 4; expected one of BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64`,
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, dtype: "toString" } }, new Uint8Array(8)), F),
      `${F}: tensor "a": unknown dtype "toString"; expected one of BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64`,
    );
    const badOffsets = (o: unknown) => () =>
      decodeSafetensors(fileOf({ a: { ...ok, data_offsets: o } }, new Uint8Array(8)), F);
    for (const o of [[0], [0, 8, 8], "0,8", [0, -8], [0.5, 8]])
      refuses(
        badOffsets(o),
        `${F}: tensor "a": data_offsets ${JSON.stringify(o)}: expected [begin, end] with 0 ≤ begin ≤ end`,
      );
    refuses(
      () => decodeSafetensors(fileOf({ a: ok, __metadata__: [] }, new Uint8Array(8)), F),
      `${F}: "__metadata__" should map names to strings`,
      {
        field: "__metadata__",
      },
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: ok }, new Uint8Array(10)), F),
      `${F}: 2 bytes after the last tensor belong to none`,
      { file: F },
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, data_offsets: [8, 16] } }, new Uint8Array(16)), F),
      `${F}: tensor "a": data_offsets [8, 16] leave a hole after the previous tensor (which ends at 0)`,
      { layer: "a" },
    );
  });

  test("eight bytes are long enough; negative sizes, a dtype in an array, and UTF-8 or JSON failures name the header", () => {
    assert.throws(
      () => decodeSafetensors(new Uint8Array(8), F),
      (e: unknown) =>
        e instanceof ModelFileError &&
        /^f\.safetensors: the header is not JSON \(.+\)$/.test(e.message) &&
        e.location.field === "header",
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, shape: [-2] } }, new Uint8Array(8)), F),
      `${F}: tensor "a": shape [-2]: expected an array of non-negative integers`,
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, data_offsets: [-8, 0] } }, new Uint8Array(8)), F),
      `${F}: tensor "a": data_offsets [-8,0]: expected [begin, end] with 0 ≤ begin ≤ end`,
    );
    refuses(
      () => decodeSafetensors(fileOf({ a: { ...ok, dtype: ["F32"] } }, new Uint8Array(8)), F),
      `${F}: tensor "a": unknown dtype ["F32"]; expected one of BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64`,
    );
    const notUtf8 = fileOf("{}");
    notUtf8[8] = 0xff;
    refuses(() => decodeSafetensors(notUtf8, F), `${F}: the header is not UTF-8 text`, {
      file: F,
      field: "header",
    });
    assert.throws(
      () => decodeSafetensors(fileOf("{"), F),
      (e: unknown) => e instanceof ModelFileError && e.location.file === F && e.location.field === "header",
    );
  });

  test("size and range refusals of a tensor after the first name it, with the span it has", () => {
    const two =
      (b: Record<string, unknown>, data = 16) =>
      () =>
        decodeSafetensors(fileOf({ a: ok, b: { ...ok, ...b } }, new Uint8Array(data)), F);
    refuses(
      two({ shape: [3], data_offsets: [8, 16] }),
      `${F}: tensor "b": shape [3] of F32 needs 12 bytes, but data_offsets [8, 16] span 8`,
      {
        file: F,
        layer: "b",
      },
    );
    refuses(
      two({ data_offsets: [8, 16] }, 12),
      `${F}: tensor "b": data_offsets [8, 16] run past the 12 data bytes (a truncated file?)`,
      {
        file: F,
        layer: "b",
      },
    );
    refuses(
      () => decodeSafetensors(fileOf({ __metadata__: { format: "pt", n: 1 } }), F),
      `${F}: "__metadata__" should map names to strings`,
    );
  });

  test("a header exactly as long as the bytes after the length; empty tensors sharing an offset", () => {
    assert.deepEqual(decodeSafetensors(fileOf("{}")), { tensors: [], metadata: {} });
    // Sorted by begin, then by end: the empty tensor at 0 comes before the one that spans 0..4.
    const bytes = fileOf(
      {
        y: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        x: { dtype: "F32", shape: [0], data_offsets: [0, 0] },
      },
      Uint8Array.of(0, 0, 0x80, 0x3f),
    );
    const { tensors } = decodeSafetensors(bytes);
    assert.deepEqual(
      tensors.map((t) => [t.name, [...t.data]]),
      [
        ["y", [1]],
        ["x", []],
      ],
    );
  });

  test("tensors at a non-zero byte offset of a larger buffer are copied from their own place", () => {
    const inner = fileOf(
      { a: { dtype: "F64", shape: [1], data_offsets: [0, 8] } },
      new Uint8Array(new Float64Array([0.5]).buffer),
    );
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 5);
    const t = decodeSafetensors(outer.subarray(5)).tensors[0]!;
    assert.ok(t.data instanceof Float64Array);
    assert.deepEqual([...t.data], [0.5]);
    outer.fill(0);
    assert.deepEqual([...t.data], [0.5], "a copy");
  });

  test("metadata is returned as a copy of string values", () => {
    const { metadata } = decodeSafetensors(fileOf({ __metadata__: { format: "pt", n: "" } }));
    assert.deepEqual(metadata, { format: "pt", n: "" });
  });

  test("I64 counters: read exactly when asked for, refused otherwise", () => {
    const header = {
      "0.num_batches_tracked": { dtype: "I64", shape: [], data_offsets: [0, 8] },
      "1.c": { dtype: "I64", shape: [2], data_offsets: [8, 24] },
    };
    const bytes = fileOf(header, i64(2n ** 62n + 1n, -3n, 5n));
    const asked = decodeSafetensors(bytes, F, () => true);
    assert.deepEqual(asked, {
      tensors: [],
      counters: [
        { name: "0.num_batches_tracked", shape: [], values: [2n ** 62n + 1n] },
        { name: "1.c", shape: [2], values: [-3n, 5n] },
      ],
      metadata: {},
    });
    refuses(
      () => decodeSafetensors(bytes, F, (name) => name.endsWith("num_batches_tracked")),
      `${F}: tensor "1.c" is I64; Homeostat reads F32 and F64 (in PyTorch, save {k: v.float() for k, v in state_dict.items()})`,
      { layer: "1.c" },
    );
    refuses(
      () => decodeSafetensors(bytes, F),
      `${F}: tensor "0.num_batches_tracked" is I64; Homeostat reads F32 and F64 (in PyTorch, save {k: v.float() for k, v in state_dict.items()})`,
    );
    // A counter test that returns something other than true does not accept the tensor.
    assert.throws(
      () => decodeSafetensors(bytes, F, (() => 1) as unknown as (n: string) => boolean),
      ModelFileError,
    );
    // No counters asked for: no counters key.
    assert.deepEqual(Object.keys(decodeSafetensors(fileOf("{}"))), ["tensors", "metadata"]);
    assert.deepEqual(decodeSafetensors(fileOf("{}"), F, () => false).counters, []);
  });
});
