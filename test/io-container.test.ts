/**
 * The model-file container: bit-exact round trips and the documented byte layout (damaged files:
 * io-container-damaged.test.ts; CRC-32: unit-io-crc32.test.ts; atomic writes: io-atomic.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeContainer,
  encodeContainer,
  MODEL_FORMAT_VERSION,
  type NamedTensor,
  type TensorData,
} from "../src/io/container.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { buildRaw, HEADER, lcg, rawBytes, SMALL, split } from "./helpers/container-files.js";

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
