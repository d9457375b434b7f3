import { backend } from "../backend/index.js";
import type { BinaryKernel, ConvGeometry, UnaryKernel } from "../backend/backend.js";
import { ShapeError } from "../tensor/errors.js";
import { broadcastShapes, fmt, normAxis, sameShape, type Shape, sizeOf } from "../tensor/shape.js";
import { allocate, allocateOutput, type Data, dtypeOf, Tensor } from "../tensor/tensor.js";
import { type PrimOp, record } from "./graph.js";

export type { FusedOp, PrimOp } from "./graph.js";

/** A tensor, or a number that is lifted to a scalar of the other operand's dtype. */
export type Operand = Tensor | number;

function unaryOp(op: UnaryKernel & PrimOp, x: Tensor): Tensor {
  const out = allocateOutput(x.dtype, x.size);
  backend().unary(op, x.data, out);
  return record(new Tensor(out, x.shape), op, [x]);
}

/** Turn a number into a scalar tensor of `like`'s dtype. */
export function lift(v: Operand, like: Tensor): Tensor {
  return typeof v === "number" ? Tensor.scalar(v, like.dtype) : v;
}

function binaryOp(op: BinaryKernel & PrimOp, a0: Operand, b0: Operand): Tensor {
  const a = typeof a0 === "number" ? lift(a0, b0 as Tensor) : a0;
  const b = lift(b0, a);
  if (a.dtype !== b.dtype)
    throw new ShapeError(`${op}: dtypes differ (${a.dtype} vs ${b.dtype}); convert one with .to()`);
  const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape);
  const out = allocateOutput(a.dtype, sizeOf(shape));
  backend().binary(op, a.data, a.shape, b.data, b.shape, out, shape);
  return record(new Tensor(out, shape), op, [a, b]);
}

/** −x, element-wise. */
export const neg = (x: Tensor): Tensor => unaryOp("neg", x);
/** eˣ, element-wise. */
export const exp = (x: Tensor): Tensor => unaryOp("exp", x);
/** Natural logarithm, element-wise. */
export const log = (x: Tensor): Tensor => unaryOp("log", x);
/** log(1 + x), accurate for tiny x (where 1 + x would round to 1). */
export const log1p = (x: Tensor): Tensor => unaryOp("log1p", x);
/** Square root, element-wise. */
export const sqrt = (x: Tensor): Tensor => unaryOp("sqrt", x);
/** |x|, element-wise. */
export const abs = (x: Tensor): Tensor => unaryOp("abs", x);
/** −1, 0 or 1 by the sign of each element. */
export const sign = (x: Tensor): Tensor => unaryOp("sign", x);
/** 1 where x > 0, else 0. */
export const step = (x: Tensor): Tensor => unaryOp("step", x);
/** Hyperbolic tangent, element-wise. */
export const tanh = (x: Tensor): Tensor => unaryOp("tanh", x);
/** Logistic sigmoid, computed without overflow for any input. */
export const sigmoid = (x: Tensor): Tensor => unaryOp("sigmoid", x);
/** max(x, 0), element-wise. */
export const relu = (x: Tensor): Tensor => unaryOp("relu", x);
/** The error function, element-wise (GELU is built from it). */
export const erf = (x: Tensor): Tensor => unaryOp("erf", x);

/**
 * a + b, broadcasting (NumPy rules); a number is lifted to a scalar of the other's dtype.
 *
 * @example
 * add(Tensor.from([[1, 2], [3, 4]]), Tensor.from([10, 20])); // [[11, 22], [13, 24]]
 */
export const add = (a: Operand, b: Operand): Tensor => binaryOp("add", a, b);
/** a − b, broadcasting. */
export const sub = (a: Operand, b: Operand): Tensor => binaryOp("sub", a, b);
/** a · b element-wise, broadcasting. */
export const mul = (a: Operand, b: Operand): Tensor => binaryOp("mul", a, b);
/** a / b element-wise, broadcasting. */
export const div = (a: Operand, b: Operand): Tensor => binaryOp("div", a, b);
/** Element-wise maximum, broadcasting; the gradient goes to the larger (to `a` on ties). */
export const maximum = (a: Operand, b: Operand): Tensor => binaryOp("maximum", a, b);
/** 1 where a > b, else 0 (no gradient), broadcasting. */
export const greater = (a: Operand, b: Operand): Tensor => binaryOp("greater", a, b);
/** 1 where a = b, else 0 (no gradient), broadcasting. */
export const equal = (a: Operand, b: Operand): Tensor => binaryOp("equal", a, b);

/** Element-wise choice: `cond ≠ 0 ? a : b`, broadcasting all three. */
export function where(cond: Tensor, a0: Operand, b0: Operand): Tensor {
  const a = typeof a0 === "number" ? lift(a0, typeof b0 === "number" ? cond : b0) : a0;
  const b = lift(b0, a);
  const c = cond.dtype === a.dtype ? cond : cond.to(a.dtype);
  const shape = broadcastShapes(c.shape, a.shape, b.shape);
  const out = allocate(a.dtype, sizeOf(shape));
  backend().where(c.data, c.shape, a.data, a.shape, b.data, b.shape, out, shape);
  return record(new Tensor(out, shape), "where", [c, a, b]);
}

function normAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(a, rank)))].sort((p, q) => p - q);
}

function reduceOp(
  op: "sum" | "max",
  x: Tensor,
  axes0: number | readonly number[] | undefined,
  keepDims: boolean,
): Tensor {
  const axes = normAxes(axes0, x.rank);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const shape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  if (op === "max" && axes.some((a) => x.shape[a] === 0))
    throw new ShapeError(`max over an empty axis of ${fmt(x.shape)}`);
  const out = allocate(x.dtype, sizeOf(shape));
  backend().reduce(op, x.data, x.shape, axes, out);
  return record(new Tensor(out, shape), op, [x], { axes, keepDims });
}

/** Sum over `axes` (all axes by default). */
export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor =>
  reduceOp("sum", x, axes, keepDims);
/** Maximum over `axes` (all axes by default). */
export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor =>
  reduceOp("max", x, axes, keepDims);

/** Same data, new shape (one dimension may be -1). Shares the underlying array. */
export function reshape(x: Tensor, shape0: Shape): Tensor {
  const shape = [...shape0];
  const free = shape.indexOf(-1);
  if (free >= 0) {
    const rest = sizeOf(shape.filter((_, i) => i !== free));
    shape[free] = rest === 0 ? 0 : x.size / rest;
  }
  if (sizeOf(shape) !== x.size || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape0)}`);
  }
  return record(new Tensor(x.data, shape), "reshape", [x], { from: x.shape });
}

/** Permute axes (reverse them by default: the matrix transpose for rank 2). */
export function transpose(x: Tensor, perm0?: readonly number[]): Tensor {
  const perm = perm0 ? perm0.map((a) => normAxis(a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (perm.length !== x.rank || new Set(perm).size !== x.rank) {
    throw new ShapeError(
      `transpose: ${JSON.stringify(perm0)} is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`,
    );
  }
  const shape = perm.map((p) => x.shape[p]);
  const out = allocate(x.dtype, x.size);
  backend().transpose(x.data, x.shape, perm, out);
  return record(new Tensor(out, shape), "transpose", [x], { perm });
}

/** Broadcast to a larger shape (NumPy rules). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes(x.shape, shape);
  if (!sameShape(target, shape)) throw new ShapeError(`cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  const out = allocate(x.dtype, sizeOf(shape));
  backend().expand(x.data, x.shape, out, shape);
  return record(new Tensor(out, shape), "expand", [x], { from: x.shape });
}

/**
 * Matrix product of rank-2 tensors, `op(a) · op(b)` where op transposes when the flag is set; of rank-3
 * tensors [batch, …, …], one product per batch entry (a grouped convolution's). The flags cost nothing:
 * the kernel reads the operand in place.
 *
 * @example
 * const w = Tensor.zeros([4, x.shape[1]]);
 * matmul(x, w, { transB: true }) // x·wᵀ, the Dense layer's product with w stored [out, in]
 */
export function matmul(
  a: Tensor,
  b: Tensor,
  opts: { transA?: boolean; transB?: boolean; out?: Data } = {},
): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const batched = a.rank === 3 && b.rank === 3 && a.shape[0] === b.shape[0];
  if (!batched && (a.rank !== 2 || b.rank !== 2))
    throw new ShapeError(
      `matmul needs two matrices (or two stacks of as many), got ${fmt(a.shape)} and ${fmt(b.shape)}`,
    );
  if (a.dtype !== b.dtype) throw new ShapeError(`matmul: dtypes differ (${a.dtype} vs ${b.dtype})`);
  const at = batched ? 1 : 0;
  const [m, k] = transA ? [a.shape[at + 1], a.shape[at]] : [a.shape[at], a.shape[at + 1]];
  const [k2, n] = transB ? [b.shape[at + 1], b.shape[at]] : [b.shape[at], b.shape[at + 1]];
  if (k !== k2) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${fmt(a.shape)}${transA ? "ᵀ" : ""} · ${fmt(b.shape)}${transB ? "ᵀ" : ""} (${k} vs ${k2})`,
    );
  }
  const count = batched ? a.shape[0] : 1;
  // `out`: an array to overwrite with the product (a gradient buffer), used when it fits.
  const out =
    opts.out && opts.out.length === count * m * n && dtypeOf(opts.out) === a.dtype
      ? opts.out
      : allocate(a.dtype, count * m * n);
  if (!batched) backend().matmul(a.data, b.data, out, m, n, k, transA, transB);
  else
    for (let i = 0; i < count; i++)
      backend().matmul(
        a.data.subarray(i * m * k, (i + 1) * m * k),
        b.data.subarray(i * k * n, (i + 1) * k * n),
        out.subarray(i * m * n, (i + 1) * m * n),
        m,
        n,
        k,
        transA,
        transB,
      );
  return record(new Tensor(out, batched ? [count, m, n] : [m, n]), "matmul", [a, b], { transA, transB });
}

/** The shape of im2col's output for `g`, in its layout. */
function columnsShape(g: ConvGeometry): number[] {
  const rows = g.batch * g.outH * g.outW;
  return g.layout === "taps"
    ? [g.kernelH * g.kernelW, rows, g.channels]
    : [g.groups, rows, (g.kernelH * g.kernelW * g.channels) / g.groups];
}

/**
 * The receptive fields of x [batch, height, width, channels] (channels last) as rows, for the windows
 * `geometry` describes: [groups, batch·outH·outW, kernelH·kernelW·channels/groups], each row ordered
 * (ky, kx, c); or [taps, batch·outH·outW, channels] with `geometry.layout` "taps". Padding reads
 * `padValue` (0 for a convolution, −∞ for max pooling).
 *
 * @example
 * im2col(x, geometry); // a convolution is then one matrix product with the filters
 */
export function im2col(x: Tensor, geometry: ConvGeometry, padValue = 0): Tensor {
  const g = geometry;
  const want = [g.batch, g.height, g.width, g.channels];
  if (!sameShape(x.shape, want))
    throw new ShapeError(`im2col: expected an input ${fmt(want)}, got ${fmt(x.shape)}`);
  const shape = columnsShape(g);
  const out = allocate(x.dtype, sizeOf(shape));
  backend().im2col(x.data, g, padValue, out);
  return record(new Tensor(out, shape), "im2col", [x], { geometry });
}

/**
 * The adjoint of `im2col`: [batch, height, width, channels] with every column entry added where im2col
 * read it (padding entries dropped). The input gradient of a convolution.
 *
 * @example
 * col2im(im2col(x, geometry), geometry); // x times how many windows read each pixel
 */
export function col2im(cols: Tensor, geometry: ConvGeometry): Tensor {
  const g = geometry;
  const want = columnsShape(g);
  if (cols.size !== sizeOf(want))
    throw new ShapeError(`col2im: expected columns ${fmt(want)}, got ${fmt(cols.shape)}`);
  const shape = [g.batch, g.height, g.width, g.channels];
  const out = allocate(cols.dtype, sizeOf(shape));
  backend().col2im(cols.data, g, out);
  return record(new Tensor(out, shape), "col2im", [cols], { geometry });
}

/** x's shape seen as [outer, n, inner] around `axis`. */
function blockAround(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function checkIndices(what: string, indices: Int32Array, n: number, shape: Shape, axis: number): void {
  for (const i of indices) {
    if (!(i >= 0 && i < n))
      throw new ShapeError(`${what}: index ${i} is outside axis ${axis} (length ${n}) of ${fmt(shape)}`);
  }
}

/**
 * Pick positions along `axis` by index: the result has `indices.length` there. Repeated indices repeat.
 *
 * @example
 * gather(x, Int32Array.from([3, 3, 0]), 0) // rows 3, 3 and 0 of x (an embedding table's lookup)
 */
export function gather(x: Tensor, indices: Int32Array, axis0 = 0): Tensor {
  const axis = normAxis(axis0, x.rank);
  const [outer, n, inner] = blockAround(x.shape, axis);
  checkIndices("gather", indices, n, x.shape, axis);
  const shape = x.shape.map((d, i) => (i === axis ? indices.length : d));
  const out = allocate(x.dtype, sizeOf(shape));
  backend().gather(x.data, outer, n, inner, indices, out);
  return record(new Tensor(out, shape), "gather", [x], { indices, axis });
}

/**
 * The adjoint of `gather`: a tensor with `size` positions along `axis`, zero except where `indices`
 * send x's slices, which add up where an index repeats.
 *
 * @example
 * scatterAdd(x, Int32Array.from([2, 3]), -1, 5) // x's two columns placed at columns 2 and 3 of five
 */
export function scatterAdd(x: Tensor, indices: Int32Array, axis0: number, size: number): Tensor {
  const axis = normAxis(axis0, x.rank);
  if (x.shape[axis] !== indices.length)
    throw new ShapeError(`scatterAdd: ${indices.length} indices for axis ${axis} of ${fmt(x.shape)}`);
  const shape = x.shape.map((d, i) => (i === axis ? size : d));
  checkIndices("scatterAdd", indices, size, shape, axis);
  const [outer, , inner] = blockAround(x.shape, axis);
  const out = allocate(x.dtype, sizeOf(shape));
  backend().scatterAdd(x.data, outer, size, inner, indices, out);
  return record(new Tensor(out, shape), "scatterAdd", [x], { indices, axis });
}
