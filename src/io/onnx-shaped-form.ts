/**
 * How a value of an ONNX graph sits in Homeostat: ONNX is channels first (NCHW), Homeostat channels
 * last, and the import converts at the edge. A `Form` pairs the ONNX value's dims with the Homeostat
 * tensor that holds the same numbers: which Homeostat axis holds each ONNX axis, and for flat vectors
 * where each ONNX feature sits (a Flatten of channels-first features is PyTorch's order, c·H·W + y·W + x;
 * Homeostat flattens channels last, (y·W + x)·C + c).
 */
import type { LayerConfig } from "../nn/layer.js";

/** The ONNX dims of one sample (batch axis dropped) and the Homeostat tensor holding the same values. */
export interface Form {
  dims: number[];
  /** Homeostat's sample shape: hs[axes[i]] = dims[i]. */
  hs: number[];
  axes: number[];
  /** Flat values only: Homeostat's feature index of each ONNX feature; null when they agree. */
  order: Int32Array | null;
}

/** A layer the import made: its config and its tensors under the names the layer gives them. */
export interface Made {
  config: LayerConfig;
  tensors: [string, Float32Array][];
}

/** Row-major strides of `shape`. */
const strides = (shape: readonly number[]): number[] => {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
};

/** A form whose Homeostat tensor is the ONNX value as it stands. */
export function plain(dims: readonly number[]): Form {
  return { dims: [...dims], hs: [...dims], axes: dims.map((_, i) => i), order: null };
}

/** A channels-first ONNX image [C, H, W] held channels last, [H, W, C]. */
export function image(c: number, h: number, w: number): Form {
  return { dims: [c, h, w], hs: [h, w, c], axes: [2, 0, 1], order: null };
}

/**
 * Where each ONNX element of `f` (row-major over f.dims) sits in Homeostat's row-major tensor; null
 * when it is the same place for every element (the two flatten alike).
 */
export function flatOrder(f: Form): Int32Array | null {
  if (f.dims.length === 1) return f.order;
  const size = f.dims.reduce((a, d) => a * d, 1);
  const hsStride = strides(f.hs);
  const onnxStride = strides(f.dims);
  const order = new Int32Array(size);
  let same = true;
  for (let i = 0; i < size; i++) {
    let j = 0;
    f.dims.forEach((_, a) => {
      j += (Math.floor(i / onnxStride[a]) % f.dims[a]) * hsStride[f.axes[a]];
    });
    order[i] = j;
    same &&= j === i;
  }
  return same ? null : order;
}

/** The ONNX values of a permuted flat vector in Homeostat's order (`order[i]`: where ONNX feature i goes). */
export function permuteFeatures(data: Float32Array, order: Int32Array | null): Float32Array {
  if (order === null) return data;
  const out = new Float32Array(data.length);
  order.forEach((j, i) => {
    out[j] = data[i];
  });
  return out;
}

/** The columns of a [rows, cols] matrix moved to Homeostat's feature order. */
export function permuteColumns(data: Float32Array, rows: number, order: Int32Array | null): Float32Array {
  if (order === null) return data;
  const cols = order.length;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) order.forEach((j, i) => (out[r * cols + j] = data[r * cols + i]));
  return out;
}

/**
 * A channels-first image form made ready for a Homeostat window layer: [H, W, C] as Homeostat holds
 * it. When the numbers already lie in that order but under another shape (a [1, 28, 28] reshape of a
 * grey image), a reshape layer is `fix`; null when they lie in another order (a transpose the import
 * cannot follow).
 */
export function asChannelsLast(f: Form): { form: Form; fix: Made | null } | null {
  if (f.dims.length !== 3) return null;
  const [c, h, w] = f.dims;
  const want = image(c, h, w);
  if (f.axes.every((a, i) => a === want.axes[i])) return { form: f, fix: null };
  // Homeostat's memory order of ONNX axes, ignoring axes of size 1, against (H, W, C)'s.
  const memory = f.hs.map((_, j) => f.axes.indexOf(j)).filter((a) => f.dims[a] > 1);
  const target = [1, 2, 0].filter((a) => f.dims[a] > 1);
  if (memory.join() !== target.join()) return null;
  return { form: want, fix: { config: { type: "reshape", shape: want.hs }, tensors: [] } };
}
