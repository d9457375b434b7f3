/**
 * The container's writer and reader at their edges, each refusal with its exact message and field:
 * what encodeContainer cannot write, what decodeContainer is handed that is not bytes, messages with
 * and without a file name, and a file with bytes after its last tensor (built by hand).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeContainer, encodeContainer, type NamedTensor } from "../src/io/container.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { buildRaw } from "./helpers/container-files.js";

const refuses = (run: () => unknown, message: string, field?: string, file?: string): void => {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.location.field, field);
    assert.equal(e.location.file, file);
    return true;
  });
};
const one = (over: Partial<NamedTensor> = {}): NamedTensor => ({
  name: "w",
  shape: [2],
  data: new Float32Array([1, 2]),
  ...over,
});

describe("encodeContainer refusals", () => {
  test("a header that is not a plain object, and tensors that are not an array", () => {
    for (const [header, shown] of [
      [null, "null"],
      [[1], "[1]"],
      ["h", '"h"'],
    ] as const) {
      refuses(
        () => encodeContainer(header as unknown as Record<string, unknown>, []),
        `cannot encode model file: the header must be a plain object, got ${shown}`,
        "header",
      );
    }
    refuses(
      () => encodeContainer({}, "t" as unknown as NamedTensor[]),
      'cannot encode model file: tensors must be an array, got "t"',
      "tensors",
    );
  });

  test("reserved keys name the key", () => {
    for (const key of ["format", "version", "tensors"])
      refuses(
        () => encodeContainer({ [key]: 1 }, []),
        `cannot encode model file: header key "${key}" is reserved by the container format; store it under another name`,
        key,
      );
  });

  test("each tensor refusal names the tensor and its index", () => {
    const second = (t: unknown) => () => encodeContainer({}, [one(), t as NamedTensor]);
    const f = "tensors[1]";
    refuses(second(null), `cannot encode model file: ${f}.name must be a non-empty string`, f);
    refuses(second(one({ name: "" })), `cannot encode model file: ${f}.name must be a non-empty string`, f);
    refuses(second(one()), 'cannot encode model file: two tensors are named "w"; names must be unique', f);
    refuses(
      second(one({ name: "v", data: [1, 2] as unknown as Float32Array })),
      'cannot encode model file: tensor "v": data must be a Float32Array, Float64Array, Int32Array or Uint32Array',
      f,
    );
    refuses(
      second(one({ name: "v", shape: "2" as unknown as number[] })),
      'cannot encode model file: tensor "v": shape must be an array of non-negative integers, got "2"',
      f,
    );
    refuses(
      second(one({ name: "v", shape: [3] })),
      'cannot encode model file: tensor "v": shape [3] holds 3 elements but data has 2',
      f,
    );
  });

  test("a header value JSON cannot write", () => {
    assert.throws(
      () => encodeContainer({ big: 1n }, []),
      (e: unknown) =>
        e instanceof ModelFileError &&
        /^cannot encode model file: the header cannot be written as JSON: .*BigInt/.test(e.message) &&
        e.location.field === "header",
    );
  });

  test("the stored shape is a copy of the caller's", () => {
    const shape = [2];
    const bytes = encodeContainer({}, [one({ shape })]);
    shape[0] = 5;
    assert.deepEqual(decodeContainer(bytes).tensors[0]!.shape, [2]);
  });
});

describe("decodeContainer edges", () => {
  const good = encodeContainer({ a: 1 }, [one()]);

  test("input that is not bytes", () => {
    refuses(
      () => decodeContainer([1, 2] as unknown as Uint8Array, "m.hmst"),
      "m.hmst: expected the file's bytes as a Uint8Array, got [1,2]",
      undefined,
      "m.hmst",
    );
  });

  test("messages start with the file's name only when one is given", () => {
    const copy = good.slice();
    copy[4] = 9;
    const corrupt =
      "written by a newer Homeostat (format version 9); this version reads format 1 — upgrade Homeostat";
    refuses(() => decodeContainer(copy), corrupt);
    refuses(() => decodeContainer(copy, ""), corrupt, undefined, "");
    refuses(() => decodeContainer(copy, "x.hmst"), `x.hmst: ${corrupt}`, undefined, "x.hmst");
  });

  test("the smallest prefix: 16 bytes; then the header must fit before the checksum", () => {
    const prefix = good.slice(0, 15);
    refuses(() => decodeContainer(prefix), "truncated: expected at least 16 bytes, found 15");
    // Magic, version 1, a header length, and four more bytes (hand-built, no valid checksum needed).
    const short = (headerLength: number, n: number): Uint8Array => {
      const bytes = new Uint8Array(n);
      bytes.set([0x48, 0x4d, 0x53, 0x54, 1, 0, 0, 0, headerLength, 0, 0, 0]);
      return bytes;
    };
    refuses(
      () => decodeContainer(short(0, 16)),
      "truncated: expected at least 20 bytes, found 16 (the header alone is 0 bytes)",
    );
    refuses(
      () => decodeContainer(short(4, 19)),
      "truncated: expected at least 20 bytes, found 19 (the header alone is 4 bytes)",
    );
  });

  test("bytes after the last tensor are refused with the length expected", () => {
    const json =
      '{"format":"homeostat-model","version":1,"tensors":[{"name":"w","dtype":"float32","shape":[1],"offset":0,"byteLength":4}]}';
    const file = buildRaw(json, new Uint8Array(12)); // 4 bytes of payload, 8 more
    const dataStart = Math.ceil((12 + json.length) / 8) * 8;
    refuses(
      () => decodeContainer(file),
      `8 unexpected byte(s) after the last tensor (expected a file of ${dataStart + 4 + 4} bytes, found ${file.length})`,
    );
    const emptyJson = '{"format":"homeostat-model","version":1,"tensors":[]}';
    const empty = buildRaw(emptyJson, new Uint8Array(8));
    const emptyStart = Math.ceil((12 + emptyJson.length) / 8) * 8;
    refuses(
      () => decodeContainer(empty),
      `8 unexpected byte(s) after the last tensor (expected a file of ${emptyStart + 4} bytes, found ${emptyStart + 12})`,
    );
  });

  test("a tensor past the data behind a valid checksum names the file length it needs", () => {
    const json =
      '{"format":"homeostat-model","version":1,"tensors":[{"name":"w","dtype":"float64","shape":[2],"offset":0,"byteLength":16}]}';
    const file = buildRaw(json, new Uint8Array(8)); // 8 of the 16 payload bytes
    const dataStart = Math.ceil((12 + json.length) / 8) * 8;
    assert.equal(file.length, dataStart + 8 + 4);
    refuses(
      () => decodeContainer(file),
      `truncated: expected at least ${dataStart + 16 + 4} bytes, found ${file.length} (tensor "w" does not fit)`,
      "tensors[0].offset",
    );
  });

  test("a payload after a gap is read from its own offset", () => {
    const json =
      '{"format":"homeostat-model","version":1,"tensors":[{"name":"a","dtype":"int32","shape":[1],"offset":0,"byteLength":4},{"name":"b","dtype":"int32","shape":[1],"offset":16,"byteLength":4}]}';
    const data = Uint8Array.from([7, 0, 0, 0, 0xee, 0xee, 0xee, 0xee, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0]);
    const { tensors } = decodeContainer(buildRaw(json, data));
    assert.deepEqual(
      tensors.map((t) => [t.name, [...t.data]]),
      [
        ["a", [7]],
        ["b", [9]],
      ],
    );
  });
});
