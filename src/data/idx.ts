/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al., "Gradient-based learning applied to document
 * recognition", 1998, and the format note at yann.lecun.com/exdb/mnist): a 4-byte magic
 * `0x00 0x00 <type code> <number of dims>`, then each dimension as a big-endian uint32, then the
 * elements, big-endian, row-major. Files may be gzipped (`train-images-idx3-ubyte.gz`).
 *
 * Every size the header claims is checked against the bytes actually present before anything of that
 * size is allocated, so a corrupt or hostile header cannot make the loader ask for terabytes.
 */
import { DataError } from "../tensor/errors.js";
import { oneHot, type Dataset } from "./dataset.js";

export type IdxType = "ubyte" | "byte" | "short" | "int" | "float" | "double";
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  type: IdxType;
  data: IdxData;
}

/**
 * Largest inflated size accepted from a gzipped IDX file: 2 GiB. The full MNIST training images are
 * 47 MB inflated, so this leaves room for much larger sets while stopping a gzip bomb (a few KB that
 * inflate to many GB) before it exhausts memory.
 */
export const MAX_INFLATED_BYTES = 2 * 1024 ** 3;

/** Type code → element type and size in bytes, as listed in the IDX format note. */
const TYPE_CODES: Record<number, { type: IdxType; size: number }> = {
  8: { type: "ubyte", size: 1 },
  9: { type: "byte", size: 1 },
  11: { type: "short", size: 2 },
  12: { type: "int", size: 4 },
  13: { type: "float", size: 4 },
  14: { type: "double", size: 8 },
};

const hex = (b: number): string => `0x${b.toString(16).padStart(2, "0")}`;

/**
 * Inflates gzip bytes; throws on a corrupt stream or past `maxOutputLength`. Node's `zlib.gunzipSync` is
 * one (`homeostat/node`'s `gunzip` passes it); the root has none, so that it loads in a browser.
 */
export type Inflate = (bytes: Uint8Array, options: { maxOutputLength: number }) => Uint8Array;

const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Inflate when the bytes start with the gzip magic 1f 8b; otherwise return them unchanged. */
function maybeGunzip(bytes: Uint8Array, file: string, inflate: Inflate | undefined): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  if (!inflate)
    throw new DataError(
      `${file}: the IDX bytes are gzipped; inflate them first (a browser's DecompressionStream("gzip")), or read the file with homeostat/node's loadIdxDataset`,
      { file },
    );
  try {
    return inflate(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const why =
      e.code === "ERR_BUFFER_TOO_LARGE"
        ? `it inflates to more than ${MAX_INFLATED_BYTES} bytes (2 GiB), the most an IDX file may hold`
        : `the gzip stream is corrupt (${e.message})`;
    throw new DataError(`${file}: cannot read as gzipped IDX: ${why}`, { file });
  }
}

/**
 * Parse an IDX file's bytes (raw, or gzipped when `inflate` is given). Elements are decoded from
 * big-endian into a fresh typed array of the matching kind; `data` never aliases `bytes`.
 *
 * @example
 * const bytes = Uint8Array.of(0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9); // ubyte, dims [3]
 * parseIdx(bytes, "labels.idx"); // { dims: [3], type: "ubyte", data: Uint8Array [7, 8, 9] }
 */
export function parseIdx(bytes: Uint8Array, file: string = "<idx>", inflate?: Inflate): IdxArray {
  const buf = maybeGunzip(bytes, file, inflate);
  if (buf.length < 4) {
    throw new DataError(
      `${file}: the file is ${buf.length} bytes long; an IDX file starts with a 4-byte magic number (0x00 0x00 type ndims)`,
      { file },
    );
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    const found = Array.from(buf.subarray(0, 4), hex).join(" ");
    throw new DataError(
      `${file}: not an IDX file: the magic number is ${found}, expected 0x00 0x00 <type> <ndims>`,
      { file, field: "magic" },
    );
  }
  const code = TYPE_CODES[buf[2]];
  if (!code) {
    throw new DataError(
      `${file}: unknown IDX type code ${hex(buf[2])}; expected one of 0x08 (ubyte), 0x09 (byte), 0x0b (short), 0x0c (int), 0x0d (float), 0x0e (double)`,
      { file, field: "type" },
    );
  }
  const ndims = buf[3];
  if (ndims === 0)
    throw new DataError(`${file}: the IDX header declares 0 dimensions; expected at least 1`, {
      file,
      field: "ndims",
    });
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    throw new DataError(
      `${file}: the IDX header declares ${ndims} dimensions (${headerBytes} header bytes) but the file has only ${buf.length} bytes`,
      { file, field: "dims" },
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1; // a double: an absurd product stays a (large) finite number and simply fails the size check
  for (let d = 0; d < ndims; d++) {
    dims.push(view.getUint32(4 + 4 * d, false));
    count *= dims[d];
  }
  const expected = count * code.size;
  const present = buf.length - headerBytes;
  if (expected !== present) {
    const shape = dims.join("×");
    const problem =
      present < expected
        ? "the file is truncated"
        : `${present - expected} bytes of trailing data follow the last element`;
    throw new DataError(
      `${file}: the IDX header claims ${shape} ${code.type} elements (${expected} bytes) but ${present} data bytes are present: ${problem}`,
      { file, field: "dims" },
    );
  }
  return { dims, type: code.type, data: decode(view, headerBytes, count, code.type) };
}

/** Big-endian elements → a native typed array (DataView does the byte swapping). */
function decode(view: DataView, offset: number, count: number, type: IdxType): IdxData {
  switch (type) {
    case "ubyte":
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case "byte":
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case "short": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case "int": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case "float": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case "double": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

export interface IdxDatasetOptions {
  /** Name of the images file in error messages (default: its path). */
  imagesFile?: string;
  /** Name of the labels file in error messages (default: its path). */
  labelsFile?: string;
}

/**
 * Build a classification Dataset from parsed IDX images (n × rows × cols, or any n × …) and labels (n).
 * Images keep their shape as the dataset's `shape`: [rows, cols, 1], or [rows, cols, channels] for
 * n × rows × cols × channels files; the rows of `x` stay flat.
 * Pixels are kept as raw values in Float32 (byteValued when the images are ubyte, so the "scale01"
 * normaliser divides by 255). Labels are one-hot over 10 classes, or over max label + 1 when a label is
 * above 9 (EMNIST-style sets), with classes named "0", "1", ….
 *
 * @example
 * const images = parseIdx(bytes, "img.idx"); // bytes: the images file's contents
 * const labels = parseIdx(new Uint8Array(await (await fetch("lbl.idx")).arrayBuffer()), "lbl.idx");
 * const digits = idxToDataset(images, labels, { imagesFile: "img.idx", labelsFile: "lbl.idx" });
 */
export function idxToDataset(images: IdxArray, labels: IdxArray, names: IdxDatasetOptions = {}): Dataset {
  const imagesFile = names.imagesFile ?? "<images>";
  const labelsFile = names.labelsFile ?? "<labels>";
  if (images.dims.length < 2) {
    throw new DataError(
      `${imagesFile}: images must have at least 2 dimensions (count × pixels), got ${images.dims.length} (${images.dims.join("×")})`,
      { file: imagesFile, field: "dims" },
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataError(
      `${labelsFile}: labels must have 1 dimension (count), got ${labels.dims.length} (${labels.dims.join("×")})`,
      { file: labelsFile, field: "dims" },
    );
  }
  const n = images.dims[0];
  if (labels.dims[0] !== n) {
    throw new DataError(
      `${labelsFile} holds ${labels.dims[0]} labels but ${imagesFile} holds ${n} images; the counts must match`,
      { file: labelsFile, field: "dims" },
    );
  }
  if (labels.type === "float" || labels.type === "double") {
    throw new DataError(`${labelsFile}: labels must be integers, got IDX type ${labels.type}`, {
      file: labelsFile,
      field: "type",
    });
  }
  const classIndex = new Int32Array(n);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const c = labels.data[i];
    if (c < 0)
      throw new DataError(`${labelsFile}: label ${i} is ${c}; class labels must be 0 or more`, {
        file: labelsFile,
        field: `label ${i}`,
      });
    classIndex[i] = c;
    if (c > maxLabel) maxLabel = c;
  }
  const k = Math.max(10, maxLabel + 1);
  const inputDim = images.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    x: new Float32Array(images.data),
    y: oneHot(classIndex, k),
    n,
    inputDim,
    outputDim: k,
    task: "classification",
    labels: classIndex,
    classes: Array.from({ length: k }, (_, i) => String(i)),
    byteValued: images.type === "ubyte",
    ...imageShape(images.dims),
  };
}

/** n × h × w images have the shape [h, w, 1]; n × h × w × c ones (channels last) [h, w, c]; others none. */
function imageShape(dims: readonly number[]): { shape?: number[] } {
  if (dims.length === 3) return { shape: [dims[1], dims[2], 1] };
  if (dims.length === 4) return { shape: dims.slice(1) };
  return {};
}
