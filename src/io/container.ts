/**
 * The container format of Homeostat model files: a JSON header plus named binary tensors, behind a
 * magic number, a format version and a CRC-32. `src/io/model.ts` decides what the header and tensors
 * mean (architecture, weights, optimizer state); this file only packs and unpacks them, and refuses
 * anything truncated, corrupted or from a newer Homeostat with a `ModelFileError`, never half-loaded.
 *
 * Format version 1 (all integers little-endian):
 *
 * ```
 * offset 0   4 bytes  magic "HMST" (48 4D 53 54)
 *        4   u32      format version (1)
 *        8   u32      header length H in bytes
 *       12   H bytes  header: a UTF-8 JSON object (below)
 *            padding  zero bytes up to the next multiple of 8 from the file start: the data section
 *                     starts at D = ceil((12 + H) / 8) * 8
 *       D    data     tensor payloads, little-endian, in header order; each starts at D + offset with
 *                     offset a multiple of 8; writers fill gaps with zero bytes, readers ignore them
 *  end-4     u32      CRC-32 (IEEE, as zlib/PNG) of every byte before it; it directly follows the end of
 *                     the last payload, so the file is D + max(offset + byteLength) + 4 bytes long
 * ```
 *
 * The header is
 * `{"format":"homeostat-model","version":1,"tensors":[{"name","dtype","shape","offset","byteLength"}],...}`
 * where `dtype` is one of `float32`, `float64`, `int32`, `uint32`; `shape` is an array of non-negative
 * integers whose product times the element size is `byteLength`; `offset` counts bytes from D; names
 * are non-empty and unique; payloads do not overlap and appear in header order. Any further keys
 * (architecture, optimizer, training record, ...) belong to the caller and are returned as they were.
 *
 * A reader checks, in this order: magic, version, that the header fits in the file, the CRC, and only
 * then parses and validates the header. Payloads are copied out, so the input buffer can be dropped.
 */
import { ModelFileError } from "../tensor/errors.js";
import { crc32 } from "./crc32.js";

export type TensorData = Float32Array | Float64Array | Int32Array | Uint32Array;
export type DType = "float32" | "float64" | "int32" | "uint32";

/** A tensor as the container stores it: a stable name (`"2.weight"`), a shape and its elements. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: TensorData;
}

export const MODEL_FORMAT_VERSION = 1;
/** The value of the header's `format` key. */
export const MODEL_FORMAT_NAME = "homeostat-model";

const MAGIC = [0x48, 0x4d, 0x53, 0x54]; // "HMST"
const PREFIX_BYTES = 12;
const CRC_BYTES = 4;
const ALIGN = 8;
const RESERVED_KEYS = ["format", "version", "tensors"];
const ENTRY_KEYS = ["name", "dtype", "shape", "offset", "byteLength"];
const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, uint32: 4 };
/** Payloads are stored little-endian; a big-endian host must swap bytes on the way in and out. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One entry of the header's `tensors` array. */
interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  byteLength: number;
}

type Fail = (message: string, field?: string) => ModelFileError;

/**
 * Pack a header and named tensors into the bytes of a model file (format version 1). The header's
 * keys are the caller's; `format`, `version` and `tensors` are the container's own and are refused.
 * Header values go through `JSON.stringify`, so NaN and ±Infinity become `null`. Tensor payloads are
 * copied bit for bit (NaN payloads and -0 included).
 *
 * @example
 * const bytes = encodeContainer({ architecture: { layers: [] } }, [
 *   { name: "0.weight", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
 * ]);
 * decodeContainer(bytes).tensors[0].data; // Float32Array [1, 2, 3, 4]
 */
export function encodeContainer(header: Record<string, unknown>, tensors: NamedTensor[]): Uint8Array {
  const fail: Fail = (message, field) =>
    new ModelFileError(`cannot encode model file: ${message}`, { field });
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw fail(`the header must be a plain object, got ${describe(header)}`, "header");
  }
  for (const key of RESERVED_KEYS) {
    if (Object.hasOwn(header, key)) {
      throw fail(`header key "${key}" is reserved by the container format; store it under another name`, key);
    }
  }
  if (!Array.isArray(tensors)) throw fail(`tensors must be an array, got ${describe(tensors)}`, "tensors");

  const entries: TensorEntry[] = [];
  const names = new Set<string>();
  let cursor = 0;
  tensors.forEach((tensor, i) => {
    const field = `tensors[${i}]`;
    const { name, shape, data } = (tensor ?? {}) as Partial<NamedTensor>;
    if (typeof name !== "string" || name === "")
      throw fail(`${field}.name must be a non-empty string`, field);
    if (names.has(name)) throw fail(`two tensors are named "${name}"; names must be unique`, field);
    names.add(name);
    const dtype = dtypeOf(data);
    if (dtype === undefined || data === undefined) {
      throw fail(
        `tensor "${name}": data must be a Float32Array, Float64Array, Int32Array or Uint32Array`,
        field,
      );
    }
    const count = elementCount(shape);
    if (count === undefined || shape === undefined) {
      throw fail(
        `tensor "${name}": shape must be an array of non-negative integers, got ${describe(shape)}`,
        field,
      );
    }
    if (count !== data.length) {
      throw fail(
        `tensor "${name}": shape ${describe(shape)} holds ${count} elements but data has ${data.length}`,
        field,
      );
    }
    cursor = alignUp(cursor);
    entries.push({ name, dtype, shape: [...shape], offset: cursor, byteLength: data.byteLength });
    cursor += data.byteLength;
  });

  let json: string;
  try {
    json = JSON.stringify({
      format: MODEL_FORMAT_NAME,
      version: MODEL_FORMAT_VERSION,
      tensors: entries,
      ...header,
    });
  } catch (error) {
    throw fail(`the header cannot be written as JSON: ${errorMessage(error)}`, "header");
  }
  const headerBytes = new TextEncoder().encode(json);
  if (headerBytes.length > 0xffffffff) throw fail("the header is larger than 4 GiB", "header");
  const dataStart = alignUp(PREFIX_BYTES + headerBytes.length);
  const total = dataStart + cursor + CRC_BYTES;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, MODEL_FORMAT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);
  tensors.forEach((tensor, i) => {
    const at = dataStart + entries[i].offset;
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), at);
    if (!HOST_LITTLE_ENDIAN)
      swapBytes(out.subarray(at, at + tensor.data.byteLength), ELEMENT_BYTES[entries[i].dtype]);
  });
  view.setUint32(total - CRC_BYTES, crc32(out.subarray(0, total - CRC_BYTES)), true);
  return out;
}

/**
 * Unpack the bytes of a model file. Returns the caller's header keys (without `format`, `version`
 * and `tensors`) and the tensors in file order, each copied into its own freshly allocated typed
 * array. Anything wrong with the bytes is a `ModelFileError` whose message names `file` when given;
 * no allocation is larger than the input.
 *
 * @example
 * const bytes = encodeContainer({ note: "hi" }, [{ name: "b", shape: [1], data: new Float64Array([0.5]) }]);
 * const { header, tensors } = decodeContainer(bytes, "model.hmst");
 * header.note; // "hi"
 * tensors[0].data; // Float64Array [0.5]
 */
export function decodeContainer(
  bytes: Uint8Array,
  file?: string,
): { header: Record<string, unknown>; tensors: NamedTensor[] } {
  const prefix = file ? `${file}: ` : "";
  const fail: Fail = (message, field) => new ModelFileError(prefix + message, { file, field });
  if (!(bytes instanceof Uint8Array))
    throw fail(`expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  const n = bytes.length;
  checkMagic(bytes, fail);
  if (n < PREFIX_BYTES + CRC_BYTES) throw fail(truncated(PREFIX_BYTES + CRC_BYTES, n));
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  checkVersion(view.getUint32(4, true), fail);

  const headerLength = view.getUint32(8, true);
  const dataStart = alignUp(PREFIX_BYTES + headerLength);
  if (dataStart + CRC_BYTES > n)
    throw fail(`${truncated(dataStart + CRC_BYTES, n)} (the header alone is ${headerLength} bytes)`);
  const headerBytes = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength);

  const stored = view.getUint32(n - CRC_BYTES, true);
  const computed = crc32(bytes.subarray(0, n - CRC_BYTES));
  if (stored !== computed) {
    // A truncated file fails the checksum too; say "truncated" when the (untrusted) header shows it.
    const needed = claimedLength(headerBytes, dataStart, fail);
    if (needed !== undefined && needed > n)
      throw fail(`${truncated(needed, n)}, and the checksum does not match`);
    throw fail(`corrupted: checksum mismatch (expected ${hex32(stored)}, computed ${hex32(computed)})`);
  }

  const object = parseHeader(headerBytes, fail);
  const dataLength = n - CRC_BYTES - dataStart;
  const entries = validateHeader(object, dataLength, fail, (end) => dataStart + end + CRC_BYTES);
  const dataEnd =
    entries.length === 0 ? 0 : entries[entries.length - 1].offset + entries[entries.length - 1].byteLength;
  if (dataEnd < dataLength) {
    throw fail(
      `${dataLength - dataEnd} unexpected byte(s) after the last tensor (expected a file of ${dataStart + dataEnd + CRC_BYTES} bytes, found ${n})`,
    );
  }
  const tensors = entries.map((entry) => ({
    name: entry.name,
    shape: entry.shape,
    data: copyPayload(
      bytes.subarray(dataStart + entry.offset, dataStart + entry.offset + entry.byteLength),
      entry.dtype,
    ),
  }));
  const header = Object.fromEntries(Object.entries(object).filter(([key]) => !RESERVED_KEYS.includes(key)));
  return { header, tensors };
}

function checkMagic(bytes: Uint8Array, fail: Fail): void {
  const found = bytes.subarray(0, MAGIC.length);
  if (found.every((byte, i) => byte === MAGIC[i])) return;
  const ascii = Array.from(found, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  const hexBytes = Array.from(found, (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw fail(`not a Homeostat model file: expected magic HMST, found "${ascii}" (hex ${hexBytes})`);
}

function checkVersion(version: number, fail: Fail): void {
  if (version === MODEL_FORMAT_VERSION) return;
  if (version > MODEL_FORMAT_VERSION && version <= 0xffff) {
    throw fail(
      `written by a newer Homeostat (format version ${version}); this version reads format ${MODEL_FORMAT_VERSION} — upgrade Homeostat`,
    );
  }
  throw fail(
    `format version ${version} is not a valid Homeostat format version (expected ${MODEL_FORMAT_VERSION}); the file is corrupted`,
  );
}

function parseHeader(headerBytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw fail("corrupted: the header is not valid UTF-8", "header");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(`corrupted: the header is not valid JSON (${errorMessage(error)})`, "header");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw fail(`the header must be a JSON object, found ${describe(value)}`, "header");
  }
  return value as Record<string, unknown>;
}

/**
 * Check the container's part of the header and return its tensor entries. `dataLength` is the size of
 * the data section; `fileLengthFor(end)` turns a data-section end into the file length it implies.
 */
function validateHeader(
  header: Record<string, unknown>,
  dataLength: number,
  fail: Fail,
  fileLengthFor: (dataEnd: number) => number,
): TensorEntry[] {
  if (header.format !== MODEL_FORMAT_NAME) {
    throw fail(
      `header field "format" is ${describe(header.format)}, expected "${MODEL_FORMAT_NAME}"`,
      "format",
    );
  }
  if (header.version !== MODEL_FORMAT_VERSION) {
    throw fail(
      `header field "version" is ${describe(header.version)}, but the file prefix says ${MODEL_FORMAT_VERSION}`,
      "version",
    );
  }
  const list = header.tensors;
  if (!Array.isArray(list))
    throw fail(`header field "tensors" must be an array, found ${describe(list)}`, "tensors");

  const entries: TensorEntry[] = [];
  const names = new Set<string>();
  let previousEnd = 0;
  list.forEach((raw: unknown, i) => {
    const field = `tensors[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      throw fail(`${field} must be an object, found ${describe(raw)}`, field);
    const entry = raw as Record<string, unknown>;
    const unknownKey = Object.keys(entry).find((key) => !ENTRY_KEYS.includes(key));
    if (unknownKey !== undefined)
      throw fail(`${field} has an unknown key "${unknownKey}"`, `${field}.${unknownKey}`);
    const { name, dtype, shape, offset, byteLength } = entry;
    if (typeof name !== "string" || name === "")
      throw fail(`${field}.name must be a non-empty string, found ${describe(name)}`, `${field}.name`);
    const what = `tensor "${name}"`;
    if (names.has(name)) throw fail(`${what} appears twice; tensor names must be unique`, `${field}.name`);
    names.add(name);
    if (typeof dtype !== "string" || !Object.hasOwn(ELEMENT_BYTES, dtype)) {
      throw fail(
        `${what}: unknown dtype ${describe(dtype)} (expected float32, float64, int32 or uint32)`,
        `${field}.dtype`,
      );
    }
    const count = elementCount(shape);
    if (count === undefined)
      throw fail(
        `${what}: shape must be an array of non-negative integers, found ${describe(shape)}`,
        `${field}.shape`,
      );
    if (!isSize(byteLength))
      throw fail(
        `${what}: byteLength must be a non-negative integer, found ${describe(byteLength)}`,
        `${field}.byteLength`,
      );
    const expectedBytes = count * ELEMENT_BYTES[dtype as DType];
    if (expectedBytes !== byteLength) {
      throw fail(
        `${what}: shape ${describe(shape)} of ${dtype} needs ${expectedBytes} bytes, but byteLength is ${byteLength}`,
        `${field}.byteLength`,
      );
    }
    if (!isSize(offset) || offset % ALIGN !== 0) {
      throw fail(
        `${what}: offset must be a non-negative multiple of ${ALIGN}, found ${describe(offset)}`,
        `${field}.offset`,
      );
    }
    if (offset < previousEnd) {
      throw fail(
        `${what} at offset ${offset} overlaps the previous tensor, which ends at ${previousEnd}; payloads must not overlap and must be in header order`,
        `${field}.offset`,
      );
    }
    const end = offset + byteLength;
    if (end > dataLength)
      throw fail(
        `${truncated(fileLengthFor(end), fileLengthFor(dataLength))} (${what} does not fit)`,
        `${field}.offset`,
      );
    previousEnd = end;
    entries.push({ name, dtype: dtype as DType, shape: shape as number[], offset, byteLength });
  });
  return entries;
}

/** The file length an unverified header implies, or undefined when the header cannot be read. */
function claimedLength(headerBytes: Uint8Array, dataStart: number, fail: Fail): number | undefined {
  try {
    const entries = validateHeader(parseHeader(headerBytes, fail), Infinity, fail, (end) => end);
    const last = entries[entries.length - 1];
    return dataStart + (last === undefined ? 0 : last.offset + last.byteLength) + CRC_BYTES;
  } catch {
    return undefined;
  }
}

/** A fresh, aligned typed array holding a copy of `raw` (little-endian bytes of `dtype`). */
function copyPayload(raw: Uint8Array, dtype: DType): TensorData {
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

function dtypeOf(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  return undefined;
}

/** The product of a shape, or undefined if it is not an array of sizes or its product is not exact. */
function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const dim of shape) {
    if (!isSize(dim)) return undefined;
    count *= dim;
  }
  // Checked after the loop: a zero dimension makes any product exact, however large the others.
  return Number.isSafeInteger(count * 8) ? count : undefined;
}

function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function truncated(expected: number, found: number): string {
  return `truncated: expected at least ${expected} bytes, found ${found}`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** A short, printable rendering of an untrusted value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
