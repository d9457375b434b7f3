/**
 * The container format's vocabulary (see `container.ts` for the byte layout): its constants, the
 * header's tensor entry, and the small byte and number helpers both the writer and the reader use.
 */
import type { ModelFileError } from "../tensor/errors.js";

export type TensorData = Float32Array | Float64Array | Int32Array | Uint32Array;
export type DType = "float32" | "float64" | "int32" | "uint32";

/** A tensor as the container stores it: a stable name (`"2.weight"`), a shape and its elements. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: TensorData;
}

/** The model file format's version; a file of a newer version is refused with a message. */
export const MODEL_FORMAT_VERSION = 1;
/** The value of the header's `format` key. */
export const MODEL_FORMAT_NAME = "homeostat-model";

export const MAGIC = [0x48, 0x4d, 0x53, 0x54]; // "HMST"
export const PREFIX_BYTES = 12;
export const CRC_BYTES = 4;
export const ALIGN = 8;
export const RESERVED_KEYS = ["format", "version", "tensors"];
export const ENTRY_KEYS = ["name", "dtype", "shape", "offset", "byteLength"];
export const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, uint32: 4 };
/** Payloads are stored little-endian; a big-endian host must swap bytes on the way in and out. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One entry of the header's `tensors` array. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  byteLength: number;
}

export type Fail = (message: string, field?: string) => ModelFileError;

/** A fresh, aligned typed array holding a copy of `raw` (little-endian bytes of `dtype`). */
export function copyPayload(raw: Uint8Array, dtype: DType): TensorData {
  const buffer = new ArrayBuffer(raw.length);
  const copy = new Uint8Array(buffer);
  copy.set(raw);
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, ELEMENT_BYTES[dtype]);
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "uint32":
      return new Uint32Array(buffer);
  }
}

export function dtypeOf(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  return undefined;
}

/** The product of a shape, or undefined if it is not an array of sizes or its product is not exact. */
export function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const dim of shape) {
    if (!isSize(dim)) return undefined;
    count *= dim;
  }
  // Checked after the loop: a zero dimension makes any product exact, however large the others.
  return Number.isSafeInteger(count * 8) ? count : undefined;
}

export function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

export function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

export function truncated(expected: number, found: number): string {
  return `truncated: expected at least ${expected} bytes, found ${found}`;
}

export function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** A short, printable rendering of an untrusted value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
