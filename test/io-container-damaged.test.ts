/**
 * The model-file container refuses every damaged file with a ModelFileError naming the file: wrong magic
 * and version, truncation, bit flips, checksums, header schema, and a seeded mutation fuzz.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeContainer, encodeContainer } from "../src/io/container.js";
import { ModelFileError } from "../src/tensor/errors.js";
import {
  align8,
  buildRaw,
  HEADER,
  lcg,
  rejects,
  repairCrc,
  SMALL,
  split,
  utf8,
} from "./helpers/container-files.js";

describe("decodeContainer refuses damaged files", () => {
  const good = encodeContainer(HEADER, SMALL);
  const { json, data } = split(good);
  const withHeader = (
    edit: (h: { tensors: Record<string, unknown>[] } & Record<string, unknown>) => void,
  ): Uint8Array => {
    const header = JSON.parse(json);
    edit(header);
    return buildRaw(JSON.stringify(header), data);
  };

  test("wrong magic", () => {
    rejects(
      utf8('{"format":"homeostat-model"}'),
      /not a Homeostat model file: expected magic HMST, found "\{"fo" \(hex 7b 22 66 6f\)/,
    );
    rejects(
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 0, 0, 0, 0, 0]),
      /expected magic HMST, found "\.PNG"/,
    );
    rejects(new Uint8Array([0x48, 0x00]), /expected magic HMST/);
  });

  test("a newer, zero or garbage format version", () => {
    const withVersion = (v: number): Uint8Array => {
      const copy = good.slice();
      new DataView(copy.buffer).setUint32(4, v, true);
      return copy;
    };
    rejects(
      withVersion(2),
      /: written by a newer Homeostat \(format version 2\); this version reads format 1 — upgrade Homeostat$/,
    );
    rejects(repairCrc(withVersion(2)), /newer Homeostat/);
    rejects(withVersion(0), /format version 0 is not a valid Homeostat format version \(expected 1\)/);
    rejects(withVersion(0xdeadbeef), /format version 3735928559 is not a valid/);
  });

  test("truncated at every kind of length", () => {
    const dataStart = align8(12 + utf8(json).length);
    for (const cut of [
      0,
      1,
      3,
      4,
      11,
      12,
      15,
      16,
      40,
      dataStart - 1,
      dataStart,
      dataStart + 3,
      dataStart + 4,
      good.length - 5,
      good.length - 1,
    ]) {
      rejects(good.subarray(0, cut), new RegExp(`truncated: expected at least \\d+ bytes, found ${cut}\\b`));
    }
    const hugeHeader = good.slice();
    new DataView(hugeHeader.buffer).setUint32(8, 0xffffffff, true);
    rejects(
      hugeHeader,
      /truncated: expected at least 4294967316 bytes.*the header alone is 4294967295 bytes/,
    );
  });

  test("every single-bit flip of a small file", () => {
    const small = encodeContainer({ a: 1 }, [
      { name: "w", shape: [3, 5], data: new Float32Array(15).map((_, i) => i / 3) },
    ]);
    assert.ok(small.length >= 150 && small.length <= 260, `file is ${small.length} bytes`);
    for (let bit = 0; bit < small.length * 8; bit++) {
      const flipped = small.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      assert.throws(() => decodeContainer(flipped), ModelFileError, `bit ${bit} flipped was not detected`);
    }
  });

  test("checksum mismatch names both values", () => {
    const copy = good.slice();
    copy[good.length - 10] ^= 0xff;
    rejects(copy, /corrupted: checksum mismatch \(expected 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/);
  });

  test("a header claiming a huge tensor is refused without allocating", () => {
    const huge = (shape: number[], byteLength: number) =>
      buildRaw(
        JSON.stringify({
          format: "homeostat-model",
          version: 1,
          tensors: [{ name: "w", dtype: "float32", shape, offset: 0, byteLength }],
        }),
        new Uint8Array(16),
      );
    rejects(huge([1e6, 1e6], 4e12), /truncated: expected at least 4000000000\d+ bytes.*"w" does not fit/);
    rejects(huge([1e6, 1e6], 16), /needs 4000000000000 bytes, but byteLength is 16/);
    rejects(huge([1e9, 1e9, 1e9], 16), /shape must be an array of non-negative integers/);
    rejects(huge([2 ** 53, 0], 0), /shape must be an array of non-negative integers/);
  });

  test("bad JSON, bad UTF-8 and a non-object header behind a valid checksum", () => {
    rejects(buildRaw(json.slice(0, -1), data), /corrupted: the header is not valid JSON/);
    rejects(buildRaw("", data), /not valid JSON/);
    const invalidUtf8 = buildRaw(json, data);
    invalidUtf8[12 + 2] = 0xff;
    rejects(repairCrc(invalidUtf8), /not valid UTF-8/);
    rejects(buildRaw("[1,2]", new Uint8Array(0)), /the header must be a JSON object, found \[1,2\]/);
  });

  test("header schema violations behind a valid checksum", () => {
    const cases: [(h: { tensors: Record<string, unknown>[] } & Record<string, unknown>) => void, RegExp][] = [
      [(h) => (h.format = "onnx"), /header field "format" is "onnx", expected "homeostat-model"/],
      [(h) => (h.version = 2), /header field "version" is 2/],
      [(h) => delete (h as Record<string, unknown>).tensors, /"tensors" must be an array, found nothing/],
      [
        (h) => (h.tensors[1].offset = 16),
        /tensor "0.bias" at offset 16 overlaps the previous tensor, which ends at 24/,
      ],
      [(h) => (h.tensors[2].offset = 0), /overlaps/],
      [(h) => (h.tensors[1].offset = 28), /offset must be a non-negative multiple of 8, found 28/],
      [(h) => (h.tensors[1].name = "0.weight"), /tensor "0.weight" appears twice/],
      [(h) => (h.tensors[0].name = ""), /tensors\[0\].name must be a non-empty string/],
      [(h) => (h.tensors[0].dtype = "float16"), /unknown dtype "float16"/],
      [
        (h) => (h.tensors[0].shape = [2, -3]),
        /shape must be an array of non-negative integers, found \[2,-3\]/,
      ],
      [(h) => (h.tensors[0].shape = [2, 2.5]), /shape must be/],
      [(h) => (h.tensors[0].shape = "2x3"), /shape must be/],
      [(h) => (h.tensors[0].byteLength = 20), /needs 24 bytes, but byteLength is 20/],
      [(h) => (h.tensors[0].quantized = true), /tensors\[0\] has an unknown key "quantized"/],
      [
        (h) => (h.tensors[0] = null as unknown as Record<string, unknown>),
        /tensors\[0\] must be an object, found null/,
      ],
      [
        (h) => h.tensors.pop(),
        /4 unexpected byte\(s\) after the last tensor \(expected a file of \d+ bytes, found \d+\)/,
      ],
      [(h) => (h.tensors[2].offset = 56), /"step" does not fit/],
    ];
    for (const [edit, pattern] of cases) rejects(withHeader(edit), pattern);
  });

  test("errors carry the header field they are about", () => {
    assert.throws(
      () => decodeContainer(withHeader((h) => (h.tensors[1].dtype = "bf16"))),
      (error: unknown) => error instanceof ModelFileError && error.location.field === "tensors[1].dtype",
    );
  });

  test("seeded mutation fuzz: every outcome is a decode or a ModelFileError", () => {
    const rand = lcg(20240611);
    const headerLength = utf8(json).length;
    const interesting: unknown[] = [
      -1,
      0,
      1,
      7,
      8,
      24,
      1e6,
      2 ** 32,
      2 ** 53,
      1e300,
      "x",
      "",
      null,
      true,
      [],
      {},
      [1e6, 1e6],
      [0],
      [-0],
      [3, 2],
      "float64",
      "int32",
    ];
    const mutations: ((b: Uint8Array) => Uint8Array)[] = [
      (b) => b.slice().map((v, i, a) => (i === rand(a.length) ? v ^ (1 << rand(8)) : v)),
      (b) => {
        const c = b.slice();
        c[rand(c.length)] = rand(256);
        return c;
      },
      (b) => b.slice(0, rand(b.length + 1)),
      (b) => {
        const at = rand(b.length + 1);
        const extra = new Uint8Array(1 + rand(16)).map(() => rand(256));
        return Uint8Array.from([...b.subarray(0, at), ...extra, ...b.subarray(at)]);
      },
      (b) => {
        const at = rand(b.length);
        return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + rand(24))]);
      },
      () => new Uint8Array(rand(400)).map(() => rand(256)),
      (b) => {
        const c = new Uint8Array(rand(300)).map(() => rand(256));
        c.set(b.subarray(0, Math.min(12, c.length)));
        return c;
      },
      (b) => {
        const c = b.slice();
        c[12 + rand(headerLength)] = 32 + rand(95);
        return c;
      },
      () =>
        withHeader((h) => {
          const entry = h.tensors[rand(h.tensors.length)];
          const key = ["name", "dtype", "shape", "offset", "byteLength"][rand(5)];
          entry[key] = interesting[rand(interesting.length)];
        }),
    ];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      let bytes = mutations[i % mutations.length](good);
      if (rand(2) === 1) bytes = repairCrc(bytes);
      let outcome: string;
      try {
        const { tensors } = decodeContainer(bytes);
        for (const t of tensors)
          assert.equal(
            t.data.length,
            t.shape.reduce((a, b) => a * b, 1),
          );
        outcome = "decoded";
      } catch (error) {
        if (!(error instanceof ModelFileError)) assert.fail(`mutation ${i} threw ${String(error)}`);
        outcome = error.message.split(" ").slice(0, 3).join(" ");
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // The fuzz must reach past the checksum: decodes and several kinds of refusal all occur.
    assert.ok((outcomes.get("decoded") ?? 0) > 50, JSON.stringify([...outcomes]));
    assert.ok(outcomes.size >= 8, JSON.stringify([...outcomes]));
  });
});
