/**
 * Convolution and pooling over channels-last batches [batch, height, width, channels], composed from
 * `im2col` and the primitives: a convolution is one matrix product of the receptive fields with the
 * filters (through `linear`, so a backend's fused dense kernel runs it), a pooling is one reduction
 * over each field. They need no gradient rule of their own.
 */
import type { ConvGeometry } from "../backend/backend.js";
import { backend } from "../backend/index.js";
import { ShapeError } from "../tensor/errors.js";
import { fmt, type Shape, sameShape, sizeOf } from "../tensor/shape.js";
import { allocate, allocateOutput, type DType, Tensor } from "../tensor/tensor.js";
import { mean } from "./functional.js";
import { linear } from "./fused.js";
import { record } from "./graph.js";
import * as op from "./ops.js";

/** "same": output size ⌈input / stride⌉, zeros (or −∞ for max) around; "valid": no padding. */
export type Padding = "same" | "valid";

/** A window's size, step, spacing and padding, per axis (height, width), and its channel groups. */
export interface WindowOptions {
  kernel: readonly [number, number];
  stride?: readonly [number, number];
  dilation?: readonly [number, number];
  padding?: Padding;
  groups?: number;
}

/** Output size and padding before, along one axis (TensorFlow's "same": the odd pixel goes after). */
function axis(size: number, kernel: number, stride: number, dilation: number, padding: Padding) {
  const extent = (kernel - 1) * dilation + 1;
  if (padding === "valid") return { out: Math.floor((size - extent) / stride) + 1, before: 0, extent };
  const out = Math.ceil(size / stride);
  return { out, before: Math.floor(Math.max((out - 1) * stride + extent - size, 0) / 2), extent };
}

/**
 * Where each window of `opts` reads an input of shape [batch, height, width, channels]; a kernel larger
 * than its (valid-padded) input or channels that the groups do not divide is an error naming `where`.
 *
 * @example
 * windowGeometry([32, 28, 28, 1], { kernel: [3, 3], padding: "same" }).outH; // 28
 */
export function windowGeometry(shape: Shape, opts: WindowOptions, where = "conv2d"): ConvGeometry {
  if (shape.length !== 4)
    throw new ShapeError(`${where}: expected inputs [batch, height, width, channels], got ${fmt(shape)}`);
  const [batch, height, width, channels] = shape;
  const [kernelH, kernelW] = opts.kernel;
  const [strideH, strideW] = opts.stride ?? [1, 1];
  const [dilationH, dilationW] = opts.dilation ?? [1, 1];
  const padding = opts.padding ?? "valid";
  const groups = opts.groups ?? 1;
  const v = axis(height, kernelH, strideH, dilationH, padding);
  const h = axis(width, kernelW, strideW, dilationW, padding);
  if (v.out < 1 || h.out < 1)
    throw new ShapeError(
      `${where}: its ${v.extent}×${h.extent} window (kernel ${kernelH}×${kernelW}, dilation ${dilationH}×${dilationW}) is larger than its input ${height}×${width} with padding "valid"`,
      { layer: where },
    );
  if (channels % groups !== 0)
    throw new ShapeError(`${where}: ${groups} groups do not divide the input's ${channels} channels`, {
      layer: where,
    });
  return {
    batch,
    height,
    width,
    channels,
    kernelH,
    kernelW,
    strideH,
    strideW,
    dilationH,
    dilationW,
    padTop: v.before,
    padLeft: h.before,
    outH: v.out,
    outW: h.out,
    groups,
  };
}

/**
 * A 2-D convolution (cross-correlation, as in every framework) of x [batch, height, width, channels]
 * with filters w [filters, kernelH·kernelW·channels/groups] (row f: filter f's taps ordered (ky, kx, c),
 * TensorFlow's kernel [kh, kw, c, f] transposed), plus bias b [filters], then `act`; returns
 * [batch, outH, outW, filters]. Filter f reads the channels of group ⌊f / (filters/groups)⌋ only.
 *
 * @example
 * conv2d(x, w, b, windowGeometry(x.shape, { kernel: [3, 3], padding: "same" }), relu);
 */
export function conv2d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act?: (z: Tensor) => Tensor,
): Tensor {
  const filters = w.shape[0];
  const rows = g.batch * g.outH * g.outW;
  if (g.groups === 1 && backend().conv2d) return fusedConv2d(x, w, b, g, act);
  const cols = op.im2col(x, g);
  const taps = cols.shape[2];
  if (w.rank !== 2 || w.shape[1] !== taps || filters % g.groups !== 0)
    throw new ShapeError(
      `conv2d: filters ${fmt(w.shape)} do not fit windows of ${taps} values in ${g.groups} group(s)`,
    );
  let y: Tensor;
  if (g.groups === 1) y = linear(op.reshape(cols, [rows, taps]), w, b, act);
  else {
    // One product per group, [groups, rows, filters/groups], then the groups side by side per row.
    const z = op.matmul(cols, op.reshape(w, [g.groups, filters / g.groups, taps]), { transB: true });
    const zz = op.reshape(op.transpose(z, [1, 0, 2]), [rows, filters]);
    const a = b ? op.add(zz, b) : zz;
    y = act ? act(a) : a;
  }
  return op.reshape(y, [g.batch, g.outH, g.outW, filters]);
}

/**
 * conv2d with groups 1 where the backend fuses it: im2col, the product, bias and relu in one kernel call
 * each way, recorded as one graph node (`fusedBackward.conv2d`), with the composite's bits. relu joins
 * the kernel; another act is applied to its output.
 */
function fusedConv2d(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, act?: (z: Tensor) => Tensor) {
  const want = [g.batch, g.height, g.width, g.channels];
  const taps = g.kernelH * g.kernelW * g.channels;
  if (
    !sameShape(x.shape, want) ||
    w.rank !== 2 ||
    w.shape[1] !== taps ||
    (b && !sameShape(b.shape, [w.shape[0]!]))
  )
    throw new ShapeError(
      `conv2d: expected inputs ${fmt(want)}, filters [filters, ${taps}] and biases [filters], got ${fmt(x.shape)}, ${fmt(w.shape)}${b ? ` and ${fmt(b.shape)}` : ""}`,
    );
  if (x.dtype !== w.dtype || (b && b.dtype !== w.dtype))
    throw new ShapeError(`conv2d: dtypes differ (${x.dtype}, ${w.dtype}${b ? `, ${b.dtype}` : ""})`);
  const filters = w.shape[0]!;
  const relu = act === op.relu;
  const out = allocateOutput(x.dtype, g.batch * g.outH * g.outW * filters);
  const cols = backend().conv2d!(x.data, w.data, b?.data ?? null, out, g, filters, relu);
  const y = record(new Tensor(out, [g.batch, g.outH, g.outW, filters]), "conv2d", b ? [x, w, b] : [x, w], {
    relu,
    geometry: g,
    cols,
  });
  return act && !relu ? act(y) : y;
}

/**
 * The windows of x as [taps, rows, channels], each channel on its own (groups ignored): a pooling then
 * reduces over the first axis, where its gradient's broadcasts are plain row repeats.
 */
function windows(x: Tensor, g: ConvGeometry, padValue: number): Tensor {
  return op.im2col(x, { ...g, groups: 1, layout: "taps" }, padValue);
}

/**
 * The largest value of each window, channel by channel: [batch, outH, outW, channels]. Padding never
 * wins (it reads −∞). The gradient goes to the maximal entries, shared equally among ties (PyTorch
 * gives it all to the first). A backend with `maxPool` kernels runs it as one fused node, with the same
 * bits as the composite.
 *
 * @example
 * maxPool2d(x, windowGeometry(x.shape, { kernel: [2, 2], stride: [2, 2] }));
 */
export function maxPool2d(x: Tensor, g: ConvGeometry): Tensor {
  const shape = [g.batch, g.outH, g.outW, g.channels];
  const kernels = backend();
  if (!kernels.maxPool) return op.reshape(op.max(windows(x, g, -Infinity), 0), shape);
  // Fused: one pass each way, without the [taps, rows, channels] windows and the gradient's masks.
  const out = allocate(x.dtype, sizeOf(shape));
  kernels.maxPool(x.data, g, out);
  return record(new Tensor(out, shape), "maxPool2d", [x], { geometry: g });
}

/**
 * The mean of each window, channel by channel: [batch, outH, outW, channels]. Padding is not counted
 * (TensorFlow's "same" average; PyTorch's count_include_pad=False).
 *
 * @example
 * avgPool2d(x, windowGeometry(x.shape, { kernel: [2, 2], stride: [2, 2] }));
 */
export function avgPool2d(x: Tensor, g: ConvGeometry): Tensor {
  const sums = op.reshape(op.sum(windows(x, g, 0), 0), [g.batch, g.outH * g.outW, g.channels]);
  return op.reshape(op.div(sums, windowCounts(g, x.dtype)), [g.batch, g.outH, g.outW, g.channels]);
}

/** How many taps of each window fall inside the image: [outH·outW, 1], the same for every sample. */
function windowCounts(g: ConvGeometry, dtype: DType): Tensor {
  const ones = Tensor.full([1, g.height, g.width, 1], 1, dtype);
  const counts = op.sum(op.im2col(ones, { ...g, batch: 1, channels: 1, groups: 1, layout: "taps" }, 0), 0);
  return op.reshape(counts, [g.outH * g.outW, 1]);
}

/**
 * The mean of each channel over all positions: [batch, channels] from [batch, …positions, channels].
 *
 * @example
 * globalAvgPool(x); // [n, 7, 7, 32] → [n, 32]
 */
export function globalAvgPool(x: Tensor): Tensor {
  if (x.rank < 3)
    throw new ShapeError(`globalAvgPool: expected inputs [batch, …positions, channels], got ${fmt(x.shape)}`);
  return mean(
    x,
    Array.from({ length: x.rank - 2 }, (_, i) => i + 1),
  );
}
