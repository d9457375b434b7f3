/**
 * The container reader's checks, in the order `decodeContainer` runs them: magic, version, then (after
 * the CRC) the header's JSON and every tensor entry in it. Each failure names the field it is about.
 */
import {
  ALIGN,
  CRC_BYTES,
  type DType,
  describe,
  ELEMENT_BYTES,
  ENTRY_KEYS,
  elementCount,
  errorMessage,
  type Fail,
  isSize,
  MAGIC,
  MODEL_FORMAT_NAME,
  MODEL_FORMAT_VERSION,
  type TensorEntry,
  truncated,
} from "./container-format.js";

export function checkMagic(bytes: Uint8Array, fail: Fail): void {
  const found = bytes.subarray(0, MAGIC.length);
  if (found.every((byte, i) => byte === MAGIC[i])) return;
  const ascii = Array.from(found, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  const hexBytes = Array.from(found, (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw fail(`not a Homeostat model file: expected magic HMST, found "${ascii}" (hex ${hexBytes})`);
}

export function checkVersion(version: number, fail: Fail): void {
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

export function parseHeader(headerBytes: Uint8Array, fail: Fail): Record<string, unknown> {
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
export function validateHeader(
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
  list.forEach((raw: unknown, i) => {
    const last = entries[entries.length - 1];
    const previousEnd = last === undefined ? 0 : last.offset + last.byteLength;
    entries.push(
      validateEntry(raw, `tensors[${i}]`, { names, previousEnd, dataLength, fail, fileLengthFor }),
    );
  });
  return entries;
}

/** What checking one tensor entry needs from the entries before it and from the file. */
interface EntryChecks {
  /** Names taken by the entries before (the entry's own is added). */
  names: Set<string>;
  /** Where the previous entry's payload ends (0 for the first). */
  previousEnd: number;
  dataLength: number;
  fail: Fail;
  fileLengthFor: (dataEnd: number) => number;
}

/** One entry of `tensors`: known keys, a new name, a dtype, a shape that matches its byteLength, a place. */
function validateEntry(raw: unknown, field: string, c: EntryChecks): TensorEntry {
  const { fail } = c;
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
  if (c.names.has(name)) throw fail(`${what} appears twice; tensor names must be unique`, `${field}.name`);
  c.names.add(name);
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
  checkPlace(what, field, offset, byteLength, c);
  return { name, dtype: dtype as DType, shape: shape as number[], offset: offset as number, byteLength };
}

/** An entry's offset: aligned, after the previous payload, and its payload inside the data section. */
function checkPlace(what: string, field: string, offset: unknown, byteLength: number, c: EntryChecks): void {
  const { fail } = c;
  if (!isSize(offset) || offset % ALIGN !== 0) {
    throw fail(
      `${what}: offset must be a non-negative multiple of ${ALIGN}, found ${describe(offset)}`,
      `${field}.offset`,
    );
  }
  if (offset < c.previousEnd) {
    throw fail(
      `${what} at offset ${offset} overlaps the previous tensor, which ends at ${c.previousEnd}; payloads must not overlap and must be in header order`,
      `${field}.offset`,
    );
  }
  const end = offset + byteLength;
  if (end > c.dataLength)
    throw fail(
      `${truncated(c.fileLengthFor(end), c.fileLengthFor(c.dataLength))} (${what} does not fit)`,
      `${field}.offset`,
    );
}

/** The file length an unverified header implies, or undefined when the header cannot be read. */
export function claimedLength(headerBytes: Uint8Array, dataStart: number, fail: Fail): number | undefined {
  try {
    const entries = validateHeader(parseHeader(headerBytes, fail), Infinity, fail, (end) => end);
    const last = entries[entries.length - 1];
    return dataStart + (last === undefined ? 0 : last.offset + last.byteLength) + CRC_BYTES;
  } catch {
    return undefined;
  }
}
