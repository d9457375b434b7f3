/**
 * The container reader's checks one by one, at their boundaries: magic bytes rendered printable or not
 * (0x1f, 0x20, 0x7e, 0x7f), versions up to 0xffff read as newer and beyond as corrupt, and each tensor
 * entry's refusal with its exact message and field; the file length an unverified header implies.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  checkMagic,
  checkVersion,
  claimedLength,
  parseHeader,
  validateHeader,
} from "../src/io/container-header.js";
import { ModelFileError } from "../src/tensor/errors.js";

const fail = (message: string, field?: string): ModelFileError => new ModelFileError(message, { field });
const refuses = (run: () => unknown, message: string, field?: string): void => {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ModelFileError);
    assert.equal(e.message, message);
    assert.equal(e.location.field, field);
    return true;
  });
};
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const entry = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "w",
  dtype: "float32",
  shape: [2],
  offset: 0,
  byteLength: 8,
  ...over,
});
const header = (tensors: unknown): Record<string, unknown> => ({
  format: "homeostat-model",
  version: 1,
  tensors,
});
const fileLength = (end: number): number => 100 + end;
const check = (tensors: unknown, dataLength = 64) =>
  validateHeader(header(tensors), dataLength, fail, fileLength);

describe("container header checks", () => {
  test("magic: the first four bytes, shown as ASCII where printable and as hex", () => {
    checkMagic(Uint8Array.from([0x48, 0x4d, 0x53, 0x54, 0]), fail);
    refuses(
      () => checkMagic(Uint8Array.from([0x1f, 0x20, 0x7e, 0x7f]), fail),
      'not a Homeostat model file: expected magic HMST, found ". ~." (hex 1f 20 7e 7f)',
    );
    refuses(
      () => checkMagic(Uint8Array.from([0x48, 0x4d, 0x53, 0x55]), fail),
      'not a Homeostat model file: expected magic HMST, found "HMSU" (hex 48 4d 53 55)',
    );
    refuses(
      () => checkMagic(Uint8Array.from([0x48, 0x0a]), fail),
      'not a Homeostat model file: expected magic HMST, found "H." (hex 48 0a)',
    );
    // A short file that starts like the magic passes here; decodeContainer's length check refuses it.
    checkMagic(Uint8Array.from([0x48, 0x4d]), fail);
  });

  test("version: 1 is read, 2 to 0xffff are newer, 0 and beyond 0xffff are corrupt", () => {
    checkVersion(1, fail);
    const newer = (v: number): string =>
      `written by a newer Homeostat (format version ${v}); this version reads format 1 — upgrade Homeostat`;
    const corrupt = (v: number): string =>
      `format version ${v} is not a valid Homeostat format version (expected 1); the file is corrupted`;
    refuses(() => checkVersion(2, fail), newer(2));
    refuses(() => checkVersion(0xffff, fail), newer(0xffff));
    refuses(() => checkVersion(0x10000, fail), corrupt(0x10000));
    refuses(() => checkVersion(0, fail), corrupt(0));
  });

  test("parseHeader: UTF-8 JSON holding an object", () => {
    assert.deepEqual(parseHeader(utf8('{"a":[1]}'), fail), { a: [1] });
    refuses(
      () => parseHeader(Uint8Array.from([0x7b, 0xff, 0x7d]), fail),
      "corrupted: the header is not valid UTF-8",
      "header",
    );
    assert.throws(
      () => parseHeader(utf8("{"), fail),
      (e: unknown) =>
        e instanceof ModelFileError &&
        /^corrupted: the header is not valid JSON \(.+\)$/.test(e.message) &&
        e.location.field === "header",
    );
    for (const [text, shown] of [
      ["null", "null"],
      ["[1]", "[1]"],
      ["3", "3"],
      ['"s"', '"s"'],
    ]) {
      refuses(
        () => parseHeader(utf8(text), fail),
        `the header must be a JSON object, found ${shown}`,
        "header",
      );
    }
  });

  test("the container's own keys", () => {
    refuses(
      () => validateHeader({ ...header([]), format: "x" }, 0, fail, fileLength),
      'header field "format" is "x", expected "homeostat-model"',
      "format",
    );
    refuses(
      () => validateHeader({ ...header([]), version: "1" }, 0, fail, fileLength),
      'header field "version" is "1", but the file prefix says 1',
      "version",
    );
    refuses(() => check({}), 'header field "tensors" must be an array, found {}', "tensors");
    assert.deepEqual(check([]), []);
  });

  test("entries: returned in order, each placed after the one before", () => {
    const entries = check([
      entry(),
      entry({ name: "b", dtype: "float64", shape: [1, 3], offset: 8, byteLength: 24 }),
      entry({ name: "c", dtype: "int32", shape: [], offset: 40, byteLength: 4 }),
      entry({ name: "d", dtype: "uint32", shape: [0], offset: 48, byteLength: 0 }),
    ]);
    assert.deepEqual(entries, [
      { name: "w", dtype: "float32", shape: [2], offset: 0, byteLength: 8 },
      { name: "b", dtype: "float64", shape: [1, 3], offset: 8, byteLength: 24 },
      { name: "c", dtype: "int32", shape: [], offset: 40, byteLength: 4 },
      { name: "d", dtype: "uint32", shape: [0], offset: 48, byteLength: 0 },
    ]);
    // The last payload may end exactly at the data section's end.
    assert.equal(check([entry({ offset: 56 })]).length, 1);
  });

  test("each entry refusal, with its message and field", () => {
    const f = "tensors[1]";
    const second = (over: Record<string, unknown>) =>
      check([entry(), entry({ name: "v", offset: 8, ...over })]);
    refuses(() => check([entry(), [1]]), `${f} must be an object, found [1]`, f);
    refuses(() => check([entry(), null]), `${f} must be an object, found null`, f);
    refuses(() => check([entry(), 3]), `${f} must be an object, found 3`, f);
    refuses(() => check([entry(), "s"]), `${f} must be an object, found "s"`, f);
    refuses(() => second({ extra: 1 }), `${f} has an unknown key "extra"`, `${f}.extra`);
    refuses(() => second({ name: "" }), `${f}.name must be a non-empty string, found ""`, `${f}.name`);
    refuses(() => second({ name: 3 }), `${f}.name must be a non-empty string, found 3`, `${f}.name`);
    refuses(
      () => second({ name: "w" }),
      'tensor "w" appears twice; tensor names must be unique',
      `${f}.name`,
    );
    refuses(
      () => second({ dtype: "float16" }),
      'tensor "v": unknown dtype "float16" (expected float32, float64, int32 or uint32)',
      `${f}.dtype`,
    );
    // An array holding a dtype's name is a key of the dtype table once made a string: still refused.
    refuses(
      () => second({ dtype: ["float32"] }),
      'tensor "v": unknown dtype ["float32"] (expected float32, float64, int32 or uint32)',
      `${f}.dtype`,
    );
    refuses(
      () => second({ dtype: "toString" }),
      'tensor "v": unknown dtype "toString" (expected float32, float64, int32 or uint32)',
      `${f}.dtype`,
    );
    refuses(
      () => second({ shape: [2, -1] }),
      'tensor "v": shape must be an array of non-negative integers, found [2,-1]',
      `${f}.shape`,
    );
    refuses(
      () => second({ byteLength: 7.5 }),
      'tensor "v": byteLength must be a non-negative integer, found 7.5',
      `${f}.byteLength`,
    );
    refuses(
      () => second({ byteLength: 12 }),
      'tensor "v": shape [2] of float32 needs 8 bytes, but byteLength is 12',
      `${f}.byteLength`,
    );
    refuses(
      () => second({ offset: 12 }),
      'tensor "v": offset must be a non-negative multiple of 8, found 12',
      `${f}.offset`,
    );
    refuses(
      () => second({ offset: "8" }),
      'tensor "v": offset must be a non-negative multiple of 8, found "8"',
      `${f}.offset`,
    );
    refuses(
      () => second({ offset: 0 }),
      'tensor "v" at offset 0 overlaps the previous tensor, which ends at 8; payloads must not overlap and must be in header order',
      `${f}.offset`,
    );
    refuses(
      () => second({ offset: 64 }),
      'truncated: expected at least 172 bytes, found 164 (tensor "v" does not fit)',
      `${f}.offset`,
    );
  });

  test("an entry may start right where the previous one ended, or later", () => {
    assert.equal(check([entry(), entry({ name: "v", offset: 8 })]).length, 2);
    assert.equal(check([entry(), entry({ name: "v", offset: 24 })]).length, 2);
  });

  test("claimedLength: data start + the last payload's end + 4, or undefined", () => {
    const text = (tensors: unknown[]): Uint8Array => utf8(JSON.stringify(header(tensors)));
    assert.equal(claimedLength(text([]), 40, fail), 44);
    assert.equal(claimedLength(text([entry(), entry({ name: "v", offset: 16 })]), 40, fail), 40 + 24 + 4);
    assert.equal(claimedLength(utf8("{"), 40, fail), undefined);
    assert.equal(claimedLength(text([entry({ offset: 3 })]), 40, fail), undefined);
  });
});
