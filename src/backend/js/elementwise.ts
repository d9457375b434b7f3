import type { Data } from "../../tensor/tensor.js";
import { type Shape, sizeOf, stridesOf } from "../../tensor/shape.js";
import type { BinaryKernel, UnaryKernel } from "../backend.js";
import { erf } from "./erf.js";

export function unary(op: UnaryKernel, x: Data, out: Data): void {
  const n = x.length;
  // One loop per op keeps each loop monomorphic, which V8 compiles to tight code.
  switch (op) {
    case "neg":
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case "exp":
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case "log":
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case "log1p":
      for (let i = 0; i < n; i++) out[i] = Math.log1p(x[i]);
      return;
    case "sqrt":
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case "abs":
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case "sign":
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : x[i];
      return;
    case "step":
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : 0;
      return;
    case "tanh":
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case "sigmoid":
      // Two branches so that exp never overflows: for x ≥ 0 use 1/(1+e^−x), else e^x/(1+e^x).
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          out[i] = e / (1 + e);
        }
      }
      return;
    case "relu":
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0;
      return;
    case "erf":
      for (let i = 0; i < n; i++) out[i] = erf(x[i]);
      return;
  }
}

type Fn2 = (a: number, b: number) => number;
const binaryFns: Record<BinaryKernel, Fn2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  greater: (a, b) => (a > b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
};

export function binary(
  op: BinaryKernel,
  a: Data,
  aShape: Shape,
  b: Data,
  bShape: Shape,
  out: Data,
  outShape: Shape,
): void {
  const n = out.length;
  if (a.length === n && b.length === n) return sameShape(op, a, b, out);
  if (b.length === 1) return scalarRight(op, a, b[0], out);
  // b repeats along the leading axes (bias add): its shape is a suffix of the output's.
  if (a.length === n && isSuffix(bShape, outShape)) return repeatRight(op, a, b, out);
  const f = binaryFns[op];
  if (a.length === 1 && b.length === n) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
    return;
  }
  // One value per row on either side (a softmax's max or sum, kept as [rows, 1]).
  if (a.length === n && isColumn(bShape, outShape)) return perRow(f, a, b, out, false);
  if (b.length === n && isColumn(aShape, outShape)) return perRow(f, b, a, out, true);
  generalBroadcast2(f, a, aShape, b, bShape, out, outShape);
}

/** `s` is `of` with its last axis 1 (leading ones aside): one value per row of the output. */
function isColumn(s: Shape, of: Shape): boolean {
  if (of.length < 2 || s.length > of.length) return false;
  const off = of.length - s.length;
  for (let i = 0; i < of.length; i++) {
    const d = i < off ? 1 : s[i - off];
    if (i === of.length - 1 ? d !== 1 : d !== of[i]) return false;
  }
  return true;
}

/** out[r, j] = f(full[r, j], col[r]) (or f(col[r], full[r, j]) when `swapped`). */
function perRow(f: Fn2, full: Data, col: Data, out: Data, swapped: boolean): void {
  const rows = col.length;
  const m = out.length / rows;
  for (let r = 0; r < rows; r++) {
    const off = r * m;
    const c = col[r];
    if (swapped) for (let j = 0; j < m; j++) out[off + j] = f(c, full[off + j]);
    else for (let j = 0; j < m; j++) out[off + j] = f(full[off + j], c);
  }
}

function sameShape(op: BinaryKernel, a: Data, b: Data, out: Data): void {
  const n = out.length;
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      return;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      return;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      return;
    case "div":
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      return;
    default: {
      const f = binaryFns[op];
      for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    }
  }
}

function scalarRight(op: BinaryKernel, a: Data, s: number, out: Data): void {
  const n = out.length;
  if (a.length !== n) {
    for (let i = 0; i < n; i++) out[i] = binaryFns[op](a[0], s);
    return;
  }
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = a[i] + s;
      return;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = a[i] - s;
      return;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = a[i] * s;
      return;
    case "div":
      for (let i = 0; i < n; i++) out[i] = a[i] / s;
      return;
    default: {
      const f = binaryFns[op];
      for (let i = 0; i < n; i++) out[i] = f(a[i], s);
    }
  }
}

function repeatRight(op: BinaryKernel, a: Data, b: Data, out: Data): void {
  const m = b.length;
  const rows = out.length / m;
  const f = binaryFns[op];
  for (let r = 0; r < rows; r++) {
    const off = r * m;
    if (op === "add") for (let j = 0; j < m; j++) out[off + j] = a[off + j] + b[j];
    else if (op === "mul") for (let j = 0; j < m; j++) out[off + j] = a[off + j] * b[j];
    else for (let j = 0; j < m; j++) out[off + j] = f(a[off + j], b[j]);
  }
}

function isSuffix(s: Shape, of: Shape): boolean {
  let i = 0;
  while (i < s.length && s[i] === 1) i++; // leading ones do not matter
  const k = s.length - i;
  if (k > of.length) return false;
  for (let j = 0; j < k; j++) if (s[i + j] !== of[of.length - k + j]) return false;
  return true;
}

/** Strides of `shape` seen from `outShape`: 0 on broadcast axes. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const st = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) st[off + i] = shape[i] === 1 ? 0 : own[i];
  return st;
}

function generalBroadcast2(
  f: Fn2,
  a: Data,
  aShape: Shape,
  b: Data,
  bShape: Shape,
  out: Data,
  outShape: Shape,
): void {
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  const n = sizeOf(outShape);
  for (let i = 0; i < n; i++) {
    out[i] = f(a[ia], b[ib]);
    // Odometer increment of the multi-index, keeping ia/ib in step.
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      ia += sa[ax];
      ib += sb[ax];
      if (idx[ax] < outShape[ax]) break;
      ia -= sa[ax] * outShape[ax];
      ib -= sb[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

export function where(
  c: Data,
  cShape: Shape,
  a: Data,
  aShape: Shape,
  b: Data,
  bShape: Shape,
  out: Data,
  outShape: Shape,
): void {
  const n = out.length;
  if (c.length === n && a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = c[i] !== 0 ? a[i] : b[i];
    return;
  }
  const rank = outShape.length;
  const sc = broadcastStrides(cShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const idx = new Array<number>(rank).fill(0);
  let ic = 0,
    ia = 0,
    ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = c[ic] !== 0 ? a[ia] : b[ib];
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      ic += sc[ax];
      ia += sa[ax];
      ib += sb[ax];
      if (idx[ax] < outShape[ax]) break;
      ic -= sc[ax] * outShape[ax];
      ia -= sa[ax] * outShape[ax];
      ib -= sb[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

export function expand(x: Data, shape: Shape, out: Data, outShape: Shape): void {
  const n = out.length;
  // Nothing to write (a size-1 axis broadcast to 0 leaves x's blocks nowhere to go).
  if (n === 0) return;
  if (x.length === n) {
    out.set(x);
    return;
  }
  if (x.length === 1) {
    out.fill(x[0]);
    return;
  }
  if (isSuffix(shape, outShape)) {
    for (let off = 0; off < n; off += x.length) out.set(x, off);
    return;
  }
  if (repeatBlocks(x, shape, out, outShape)) return;
  const rank = outShape.length;
  const sx = broadcastStrides(shape, outShape);
  const idx = new Array<number>(rank).fill(0);
  let ix = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x[ix];
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      ix += sx[ax];
      if (idx[ax] < outShape[ax]) break;
      ix -= sx[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

/**
 * expand where x is [outer, 1, …, 1, inner] against [outer, reps…, inner] (a global pooling's or a
 * statistic's gradient spread over the positions): each of x's inner blocks written once, then doubled
 * by copyWithin, where the index walk above costs several times as much per element. False (nothing
 * written) for any other pattern.
 */
function repeatBlocks(x: Data, shape: Shape, out: Data, outShape: Shape): boolean {
  const rank = outShape.length;
  const s = (ax: number) => (ax < rank - shape.length ? 1 : shape[ax - (rank - shape.length)]!);
  let last = rank - 1; // the innermost broadcast axis
  while (last >= 0 && s(last) === outShape[last]) last--;
  if (last < 0) return false;
  let first = last; // the outermost axis of that run of broadcast axes
  while (first > 0 && s(first - 1) === 1 && outShape[first - 1] !== 1) first--;
  for (let ax = 0; ax < first; ax++) if (s(ax) !== outShape[ax]) return false;
  for (let ax = first; ax <= last; ax++) if (s(ax) !== 1) return false;
  let inner = 1;
  for (let ax = last + 1; ax < rank; ax++) inner *= outShape[ax]!;
  let reps = 1;
  for (let ax = first; ax <= last; ax++) reps *= outShape[ax]!;
  const span = inner * reps;
  for (let o = 0, start = 0; o < x.length / inner; o++, start += span) {
    if (inner === 1) {
      out.fill(x[o]!, start, start + span);
      continue;
    }
    out.set(x.subarray(o * inner, (o + 1) * inner), start);
    for (let done = inner; done < span; done *= 2)
      out.copyWithin(start + done, start, start + Math.min(done, span - done));
  }
  return true;
}
