/**
 * The safetensors file format (Hugging Face, https://github.com/huggingface/safetensors): 8 bytes of
 * little-endian header length N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin,
 * end]}, "__metadata__": {string: string}}`, then the tensors' raw little-endian bytes, offsets counted
 * from the end of the header. This file reads and writes that container only; what the names mean
 * (PyTorch's `nn.Sequential` parameters) is `safetensors-torch.ts`'s business.
 *
 * Reading is strict, as the reference implementation is: the tensors must tile the data area exactly
 * (no overlap, no hole, no trailing bytes), each one's byte length must equal its shape times its
 * dtype's size, and only F32 and F64 are decoded (every other dtype is named in a clear refusal).
 */
import { ModelFileError } from "../tensor/errors.js";

/** The dtypes Homeostat decodes, by their safetensors names. */
export type SafeDType = "F32" | "F64";

export interface SafeTensor {
  name: string;
  dtype: SafeDType;
  shape: number[];
  data: Float32Array | Float64Array;
}

/** An I64 tensor that the reader was asked to accept (PyTorch's BatchNorm step counter). */
export interface SafeCounter {
  name: string;
  shape: number[];
  values: bigint[];
}

export interface SafetensorsFile {
  tensors: SafeTensor[];
  /** The I64 tensors `counters` accepted; absent when the reader was not asked for any. */
  counters?: SafeCounter[];
  /** The header's `__metadata__` (string values only, as the format requires); empty when absent. */
  metadata: Record<string, string>;
}

/** Every dtype the format defines, with its size in bytes; only F32 and F64 are decoded. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** The reference implementation's limit; a larger header is a corrupt length, not a real file. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA = "__metadata__";

/**
 * The bytes of a safetensors file holding `tensors` in the order given (offsets ascending) and
 * `metadata`. The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
 *
 * @example
 * const bytes = encodeSafetensors([{ name: "0.bias", dtype: "F32", shape: [2], data: Float32Array.of(1, 2) }]);
 * decodeSafetensors(bytes).tensors[0].data; // Float32Array [1, 2]
 */
export function encodeSafetensors(
  tensors: readonly SafeTensor[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA || Object.hasOwn(header, t.name))
      throw new ModelFileError(`safetensors: tensor name "${t.name}" is reserved or used twice`);
    const count = t.shape.reduce((n, d) => n * d, 1);
    if (count !== t.data.length || (t.dtype === "F32") !== t.data instanceof Float32Array)
      throw new ModelFileError(`safetensors: tensor "${t.name}" does not hold ${count} ${t.dtype} values`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  json += " ".repeat((8 - (headerBytes.length % 8)) % 8);
  headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The header's JSON object, or a ModelFileError saying why the first bytes are not one. */
function readHeader(bytes: Uint8Array, file: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8)
    throw new ModelFileError(
      `${file}: ${bytes.length} bytes, too short for a safetensors file (8-byte header length first)`,
      {
        file,
      },
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(Math.min(bytes.length - 8, MAX_HEADER_BYTES)))
    throw new ModelFileError(
      `${file}: the header length says ${claimed} bytes, but ${bytes.length - 8} bytes follow it (a truncated file, or not safetensors)`,
      { file, field: "header" },
    );
  const n = Number(claimed);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new ModelFileError(`${file}: the header is not UTF-8 text`, { file, field: "header" });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`${file}: the header is not JSON (${(error as Error).message})`, {
      file,
      field: "header",
    });
  }
  if (!isObject(header))
    throw new ModelFileError(`${file}: the header should be a JSON object of tensors`, {
      file,
      field: "header",
    });
  return { header, dataStart: 8 + n };
}

/** One header entry checked for form: known keys, a known dtype, a shape and two offsets. */
function readEntry(name: string, value: unknown, file: string): Entry {
  const where = { file, layer: name };
  const bad = (what: string): ModelFileError =>
    new ModelFileError(`${file}: tensor "${name}": ${what}`, where);
  if (!isObject(value)) throw bad("expected {dtype, shape, data_offsets}");
  const extra = Object.keys(value).filter((k) => k !== "dtype" && k !== "shape" && k !== "data_offsets");
  if (extra.length > 0) throw bad(`unknown key "${extra[0]}"; expected dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype))
    throw bad(
      `unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(", ")}`,
    );
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw bad(`shape ${JSON.stringify(shape)}: expected an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
    throw bad(`data_offsets ${JSON.stringify(offsets)}: expected [begin, end] with 0 ≤ begin ≤ end`);
  return { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

/** The byte length an entry's shape and dtype call for, or a refusal naming it when its offsets disagree. */
function checkSize(e: Entry, file: string): void {
  let count = 1;
  for (const d of e.shape) count *= d; // a product past 2^53 can only disagree with the offsets below
  const want = count * DTYPE_BYTES[e.dtype]!;
  if (want !== e.end - e.begin)
    throw new ModelFileError(
      `${file}: tensor "${e.name}": shape ${JSON.stringify(e.shape)} of ${e.dtype} needs ${want} bytes, but data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin}`,
      { file, layer: e.name },
    );
}

/** The tensors must tile the data area exactly: in offset order, each begins where the last ended. */
function checkTiling(entries: Entry[], dataBytes: number, file: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.end > dataBytes)
      throw new ModelFileError(
        `${file}: tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the ${dataBytes} data bytes (a truncated file?)`,
        { file, layer: e.name },
      );
    if (e.begin !== at)
      throw new ModelFileError(
        `${file}: tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] ${e.begin < at ? "overlap the previous tensor" : "leave a hole after the previous tensor"} (which ends at ${at})`,
        { file, layer: e.name },
      );
    at = e.end;
  }
  if (at !== dataBytes)
    throw new ModelFileError(`${file}: ${dataBytes - at} bytes after the last tensor belong to none`, {
      file,
    });
}

function readMetadata(value: unknown, file: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === "string"))
    throw new ModelFileError(`${file}: "__metadata__" should map names to strings`, {
      file,
      field: METADATA,
    });
  return { ...(value as Record<string, string>) };
}

/**
 * Read a safetensors file. Every inconsistency (a header length past the end, JSON that is not an
 * object of tensors, a size that disagrees with shape × dtype, overlapping or out-of-range offsets,
 * a dtype other than F32/F64) is a `ModelFileError` naming `file` and the tensor; nothing is returned
 * half-read. The data are copied, so the result does not keep `bytes` alive.
 *
 * `counters` names I64 tensors to accept as well (PyTorch's `num_batches_tracked`): they come back in
 * `counters`, exact, and every other I64 tensor is refused as before.
 *
 * @example
 * import { readFileSync } from "node:fs";
 * const { tensors, metadata } = decodeSafetensors(readFileSync("model.safetensors"), "model.safetensors");
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  file = "safetensors file",
  counters?: (name: string) => boolean,
): SafetensorsFile {
  const { header, dataStart } = readHeader(bytes, file);
  const metadata = readMetadata(header[METADATA], file);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA)
    .map(([name, value]) => readEntry(name, value, file));
  for (const e of entries) checkSize(e, file);
  checkTiling(entries, bytes.length - dataStart, file);
  const isCounter = (e: (typeof entries)[number]): boolean =>
    e.dtype === "I64" && counters?.(e.name) === true;
  const counted = entries.filter(isCounter).map((e): SafeCounter => {
    const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + e.begin, e.end - e.begin);
    const values = Array.from({ length: view.byteLength / 8 }, (_, i) => view.getBigInt64(8 * i, true));
    return { name: e.name, shape: e.shape, values };
  });
  const tensors = entries
    .filter((e) => !isCounter(e))
    .map((e): SafeTensor => {
      if (e.dtype !== "F32" && e.dtype !== "F64")
        throw new ModelFileError(
          `${file}: tensor "${e.name}" is ${e.dtype}; Homeostat reads F32 and F64 (in PyTorch, save {k: v.float() for k, v in state_dict.items()})`,
          { file, layer: e.name },
        );
      const start = bytes.byteOffset + dataStart + e.begin;
      const copy = bytes.buffer.slice(start, start + (e.end - e.begin));
      const data = e.dtype === "F32" ? new Float32Array(copy) : new Float64Array(copy);
      return { name: e.name, dtype: e.dtype, shape: e.shape, data };
    });
  return counters ? { tensors, counters: counted, metadata } : { tensors, metadata };
}
