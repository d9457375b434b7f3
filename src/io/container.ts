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
import {
  alignUp,
  CRC_BYTES,
  copyPayload,
  describe,
  dtypeOf,
  ELEMENT_BYTES,
  elementCount,
  errorMessage,
  type Fail,
  hex32,
  HOST_LITTLE_ENDIAN,
  MAGIC,
  MODEL_FORMAT_NAME,
  MODEL_FORMAT_VERSION,
  type NamedTensor,
  PREFIX_BYTES,
  RESERVED_KEYS,
  swapBytes,
  type TensorEntry,
  truncated,
} from "./container-format.js";
import { checkMagic, checkVersion, claimedLength, parseHeader, validateHeader } from "./container-header.js";

export {
  type DType,
  MODEL_FORMAT_NAME,
  MODEL_FORMAT_VERSION,
  type NamedTensor,
  type TensorData,
} from "./container-format.js";

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

  const { entries, dataLength } = layoutTensors(tensors, fail);
  const headerBytes = headerBytesOf(header, entries, fail);
  const dataStart = alignUp(PREFIX_BYTES + headerBytes.length);
  const total = dataStart + dataLength + CRC_BYTES;

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

/** Check each tensor and place its payload (aligned, in order); the data section's length. */
function layoutTensors(tensors: NamedTensor[], fail: Fail): { entries: TensorEntry[]; dataLength: number } {
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
  return { entries, dataLength: cursor };
}

/** The header as UTF-8 JSON: the container's keys first, then the caller's. */
function headerBytesOf(header: Record<string, unknown>, entries: TensorEntry[], fail: Fail): Uint8Array {
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
  return headerBytes;
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
