/**
 * Model-file containers built and taken apart by hand from the documented layout, for the container's
 * tests (io-container, io-container-damaged, unit-io-crc32): they do not trust the encoder.
 */
import assert from "node:assert/strict";
import type { NamedTensor, TensorData } from "../../src/io/container.js";
import { decodeContainer } from "../../src/io/container.js";
import { crc32 } from "../../src/io/crc32.js";
import { ModelFileError } from "../../src/tensor/errors.js";

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const rawBytes = (data: TensorData): Uint8Array =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
export const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** A tiny LCG (Numerical Recipes constants): the fuzz must be reproducible without a library. */
export function lcg(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * below);
  };
}

/** A file built by hand from the documented layout, so the tests do not trust the encoder. */
export function buildRaw(headerJson: string, data: Uint8Array, version = 1): Uint8Array {
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

export function repairCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4)
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(
      bytes.length - 4,
      crc32(bytes.subarray(0, bytes.length - 4)),
      true,
    );
  return bytes;
}

/** The header JSON text and data section of a well-formed file. */
export function split(bytes: Uint8Array): { json: string; data: Uint8Array } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const json = new TextDecoder().decode(bytes.subarray(12, 12 + headerLength));
  return { json, data: bytes.slice(align8(12 + headerLength), bytes.length - 4) };
}

export function rejects(bytes: Uint8Array, pattern: RegExp): void {
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

export const HEADER = {
  architecture: { layers: [{ type: "dense", units: 3 }] },
  training: { epochs: 2, loss: [0.5, 0.25] },
};
export const SMALL: NamedTensor[] = [
  { name: "0.weight", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-40]) },
  { name: "0.bias", shape: [3], data: new Float64Array([Math.PI, -1e-310, 2 ** 60]) },
  { name: "step", shape: [], data: new Int32Array([7]) },
];
