/**
 * The model-file container: bit-exact round trips, the documented byte layout, CRC-32 values, every
 * error a damaged file can cause and a seeded mutation fuzz (atomic writes: io-atomic.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { crc32 } from "../src/io/crc32.js";
import {
  decodeContainer,
  encodeContainer,
  MODEL_FORMAT_VERSION,
  type NamedTensor,
  type TensorData,
} from "../src/io/container.js";
import { ModelFileError } from "../src/tensor/errors.js";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const rawBytes = (data: TensorData): Uint8Array =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** A tiny LCG (Numerical Recipes constants): the fuzz must be reproducible without a library. */
function lcg(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * below);
  };
}

/** A file built by hand from the documented layout, so the tests do not trust the encoder. */
function buildRaw(headerJson: string, data: Uint8Array, version = 1): Uint8Array {
  const header = utf8(headerJson);
  const dataStart = align8(12 + header.length);
  const out = new Uint8Array(dataStart + data.length + 4);
  const view = new DataView(out.buffer);
  out.set(utf8("HMST"), 0);
  view.setUint32(4, version, true);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, dataStart);
  return repairCrc(out);
}

function repairCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4)
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(
      bytes.length - 4,
      crc32(bytes.subarray(0, bytes.length - 4)),
      true,
    );
  return bytes;
}

/** The header JSON text and data section of a well-formed file. */
function split(bytes: Uint8Array): { json: string; data: Uint8Array } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const json = new TextDecoder().decode(bytes.subarray(12, 12 + headerLength));
  return { json, data: bytes.slice(align8(12 + headerLength), bytes.length - 4) };
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeContainer(bytes, "m.hmst"),
    (error: unknown) => {
      assert.ok(error instanceof ModelFileError, `expected a ModelFileError, got ${String(error)}`);
      assert.match(error.message, pattern);
      assert.match(error.message, /^m\.hmst: /);
      assert.equal(error.location.file, "m.hmst");
      return true;
    },
  );
}

const HEADER = {
  architecture: { layers: [{ type: "dense", units: 3 }] },
  training: { epochs: 2, loss: [0.5, 0.25] },
};
const SMALL: NamedTensor[] = [
  { name: "0.weight", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-40]) },
  { name: "0.bias", shape: [3], data: new Float64Array([Math.PI, -1e-310, 2 ** 60]) },
  { name: "step", shape: [], data: new Int32Array([7]) },
];

describe("crc32", () => {
  test("matches the published check values", () => {
    assert.equal(crc32(utf8("123456789")), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    assert.equal(crc32(utf8("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  });

  test("continues from a seed like zlib", () => {
    const whole = utf8("homeostatic plasticity keeps units alive");
    for (const cut of [0, 1, 7, 8, 9, 20, whole.length]) {
      assert.equal(crc32(whole.subarray(cut), crc32(whole.subarray(0, cut))), crc32(whole));
    }
  });

  const zlibCrc = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  test("agrees with node:zlib on random buffers and unaligned views", {
    skip: zlibCrc === undefined && "no zlib.crc32",
  }, () => {
    const rand = lcg(1);
    const big = new Uint8Array(1 << 20).map(() => rand(256));
    for (let length = 0; length < 80; length++) {
      const start = rand(64);
      const view = big.subarray(start, start + length);
      assert.equal(crc32(view), zlibCrc!(view), `length ${length} at ${start}`);
    }
    assert.equal(crc32(big), zlibCrc!(big));
  });
});

describe("encodeContainer / decodeContainer", () => {
  test("round trips every dtype bit for bit, NaN payloads, -0 and denormals included", () => {
    const f32 = new Float32Array(6);
    new Uint32Array(f32.buffer).set([0x7fc00001, 0xff800001, 0x80000000, 0x00000001, 0x7f7fffff, 0xffc12345]);
    const f64 = new Float64Array(4);
    new Uint32Array(f64.buffer).set([1, 0x7ff00000, 0xdeadbeef, 0xfff80000, 0, 0x80000000, 1, 0]);
    const tensors: NamedTensor[] = [
      { name: "f32", shape: [2, 3], data: f32 },
      { name: "f64", shape: [4], data: f64 },
      { name: "i32", shape: [3], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, -1]) },
      { name: "u32", shape: [1, 3], data: new Uint32Array([0, 2 ** 32 - 1, 12345]) },
    ];
    const { header, tensors: back } = decodeContainer(encodeContainer(HEADER, tensors));
    assert.deepEqual(header, HEADER);
    assert.equal(back.length, tensors.length);
    tensors.forEach((t, i) => {
      assert.equal(back[i].name, t.name);
      assert.deepEqual(back[i].shape, t.shape);
      assert.equal(back[i].data.constructor, t.data.constructor);
      assert.deepEqual(rawBytes(back[i].data), rawBytes(t.data));
    });
  });

  test("round trips empty tensors, scalars, no tensors and many tensors", () => {
    const rand = lcg(2);
    const many: NamedTensor[] = [
      { name: "empty", shape: [0], data: new Float32Array(0) },
      { name: "empty2", shape: [3, 0, 1000000], data: new Float64Array(0) },
      { name: "scalar", shape: [], data: new Float64Array([-0]) },
    ];
    for (let i = 0; i < 300; i++) {
      const length = rand(20);
      const data =
        i % 2
          ? new Float32Array(length).map(() => rand(1000) / 7)
          : new Float64Array(length).map(() => rand(1000) / 3);
      many.push({ name: `${i}.w`, shape: [length], data });
    }
    many.push({ name: "last-empty", shape: [0, 2], data: new Uint32Array(0) });
    const back = decodeContainer(encodeContainer({}, many)).tensors;
    assert.deepEqual(
      back.map((t) => [t.name, t.shape]),
      many.map((t) => [t.name, t.shape]),
    );
    back.forEach((t, i) => assert.deepEqual(rawBytes(t.data), rawBytes(many[i].data)));
    assert.deepEqual(decodeContainer(encodeContainer({ only: "header" }, [])), {
      header: { only: "header" },
      tensors: [],
    });
  });

  test("writes exactly the documented layout", () => {
    const data = new Float32Array([1.5, -2]);
    const bytes = encodeContainer({ note: "x" }, [{ name: "w", shape: [2], data }]);
    const json =
      '{"format":"homeostat-model","version":1,"tensors":[{"name":"w","dtype":"float32","shape":[2],"offset":0,"byteLength":8}],"note":"x"}';
    assert.deepEqual(bytes, buildRaw(json, rawBytes(data)));
    assert.deepEqual([...bytes.subarray(0, 8)], [0x48, 0x4d, 0x53, 0x54, 1, 0, 0, 0]);
    assert.equal(MODEL_FORMAT_VERSION, 1);
    // Offsets are multiples of 8 and payloads follow header order.
    const { json: text } = split(encodeContainer({}, SMALL));
    assert.deepEqual(
      JSON.parse(text).tensors.map((e: { offset: number }) => e.offset),
      [0, 24, 48],
    );
  });

  test("returns copies in fresh, aligned buffers, whatever the input's alignment", () => {
    const file = encodeContainer(HEADER, SMALL);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const input = shifted.subarray(3);
    const { tensors } = decodeContainer(input);
    input.fill(0);
    tensors.forEach((t, i) => {
      assert.notEqual(t.data.buffer, shifted.buffer);
      assert.equal(t.data.byteOffset, 0);
      assert.deepEqual(rawBytes(t.data), rawBytes(SMALL[i].data));
    });
  });

  test("refuses headers and tensors it cannot write", () => {
    const t = (name: string, shape: number[], data: TensorData): NamedTensor => ({ name, shape, data });
    for (const key of ["format", "version", "tensors"]) {
      assert.throws(() => encodeContainer({ [key]: 1 }, []), new RegExp(`"${key}" is reserved`));
    }
    assert.throws(
      () => encodeContainer({}, [t("a", [1], new Float32Array(1)), t("a", [1], new Float32Array(1))]),
      /unique/,
    );
    assert.throws(() => encodeContainer({}, [t("", [1], new Float32Array(1))]), /non-empty/);
    assert.throws(
      () => encodeContainer({}, [t("a", [2, 2], new Float32Array(3))]),
      /holds 4 elements but data has 3/,
    );
    assert.throws(() => encodeContainer({}, [t("a", [-1], new Float32Array(0))]), /non-negative integers/);
    assert.throws(
      () => encodeContainer({}, [t("a", [1], new Uint8Array(1) as unknown as TensorData)]),
      /Float32Array/,
    );
    assert.throws(() => encodeContainer({ n: 1n }, []), ModelFileError);
  });
});

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
