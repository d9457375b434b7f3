import type { Data } from "../../tensor/tensor.js";
import { transpose2d } from "./reduce.js";

/**
 * Matrix product in plain TypeScript, in one of two forms chosen by the data:
 *
 * - dense: every variant is brought to the "A·Bᵀ" form (both operands walked along contiguous rows),
 *   whose inner loop is a register-blocked dot product: 2 rows of A by 4 rows of B, eight float64
 *   accumulators, six loads per eight multiply-adds;
 * - sparse left operand: when at least `SPARSE_FRACTION` of op(A) is exactly zero (pixels of a digit
 *   image, ReLU outputs, gradients masked by ReLU), each row of the result is built as a sum of rows of
 *   op(B) scaled by the non-zero entries of A's row, skipping the zeros outright.
 *
 * Both accumulate in float64 and round once, so they agree to float32 rounding. Operands in another
 * layout are first transposed into reusable scratch buffers (a copy is O(size), the product O(size·k)).
 */
export function matmul(
  a: Data,
  b: Data,
  out: Data,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): void {
  if (k === 0) {
    out.fill(0);
    return;
  }
  if (zeroFraction(a) >= SPARSE_FRACTION) {
    const A = transA ? transposeToScratch(0, a, k, m) : a;
    const B = transB ? transposeToScratch(1, b, n, k) : b;
    gemmSparseRows(A, B, out, m, n, k);
    return;
  }
  if (zeroFraction(b) >= SPARSE_FRACTION) {
    // C = op(A)·op(B) is the transpose of op(B)ᵀ·op(A)ᵀ, whose left operand is the sparse one.
    const Bt = transB ? b : transposeToScratch(1, b, k, n); // op(B)ᵀ as n×k
    const At = transA ? a : transposeToScratch(0, a, m, k); // op(A)ᵀ as k×m
    const ct = scratchBuffer(2, out, m * n);
    gemmSparseRows(Bt, At, ct, n, m, k);
    transpose2d(ct, n, m, out);
    return;
  }
  const A = transA ? transposeToScratch(0, a, k, m) : a;
  const B = transB ? b : transposeToScratch(1, b, k, n);
  gemmNT(A, B, out, m, n, k);
}

/** Above this fraction of exact zeros in the left operand, skipping them beats the dense kernel (measured on MNIST-sized products). */
export const SPARSE_FRACTION = 0.4;

function zeroFraction(x: Data): number {
  // A strided sample is enough to choose a kernel; both give the same result up to rounding.
  const step = x.length > 4096 ? 7 : 1;
  let zeros = 0;
  let seen = 0;
  for (let i = 0; i < x.length; i += step) {
    if (x[i] === 0) zeros++;
    seen++;
  }
  return seen === 0 ? 0 : zeros / seen;
}

const scratch: (Float32Array | Float64Array | null)[] = [null, null, null];

/** A reusable buffer of at least `size` elements of `like`'s type, in slot `slot`. */
function scratchBuffer(slot: number, like: Data, size: number): Data {
  let buf = scratch[slot];
  const f64 = like instanceof Float64Array;
  if (!buf || buf.length < size || buf instanceof Float64Array !== f64) {
    buf = f64 ? new Float64Array(size) : new Float32Array(size);
    scratch[slot] = buf;
  }
  return buf.length === size ? buf : buf.subarray(0, size);
}
let rowAcc = new Float64Array(0);

/**
 * out[m×n] = A[m×k] · B[k×n], adding only the rows of B where A's entry is non-zero. The non-zeros of
 * each row of A are gathered first and consumed four at a time, so every pass over the accumulator row
 * does four multiply-adds per load and store.
 */
function gemmSparseRows(a: Data, b: Data, out: Data, m: number, n: number, k: number): void {
  if (rowAcc.length < n) rowAcc = new Float64Array(n);
  if (nzIndex.length < k) {
    nzIndex = new Int32Array(k);
    nzValue = new Float64Array(k);
  }
  const acc = rowAcc;
  const idx = nzIndex;
  const val = nzValue;
  for (let i = 0; i < m; i++) {
    const aOff = i * k;
    let nnz = 0;
    for (let p = 0; p < k; p++) {
      const v = a[aOff + p];
      if (v !== 0) {
        idx[nnz] = p * n;
        val[nnz++] = v;
      }
    }
    acc.fill(0, 0, n);
    let q = 0;
    for (; q + 3 < nnz; q += 4) {
      const v0 = val[q],
        v1 = val[q + 1],
        v2 = val[q + 2],
        v3 = val[q + 3];
      const b0 = idx[q],
        b1 = idx[q + 1],
        b2 = idx[q + 2],
        b3 = idx[q + 3];
      for (let j = 0; j < n; j++) acc[j] += v0 * b[b0 + j] + v1 * b[b1 + j] + v2 * b[b2 + j] + v3 * b[b3 + j];
    }
    for (; q < nnz; q++) {
      const v = val[q];
      const b0 = idx[q];
      for (let j = 0; j < n; j++) acc[j] += v * b[b0 + j];
    }
    const oOff = i * n;
    for (let j = 0; j < n; j++) out[oOff + j] = acc[j];
  }
}

let nzIndex = new Int32Array(0);
let nzValue = new Float64Array(0);

function transposeToScratch(slot: number, x: Data, rows: number, cols: number): Data {
  const view = scratchBuffer(slot, x, rows * cols);
  transpose2d(x, rows, cols, view);
  return view;
}

function gemmNT(a: Data, b: Data, out: Data, m: number, n: number, k: number): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    const o0 = i * n;
    const o1 = o0 + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p],
          x1 = a[a1 + p];
        const y0 = b[b0 + p],
          y1 = b[b1 + p],
          y2 = b[b2 + p],
          y3 = b[b3 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      out[o0 + j] = s00;
      out[o0 + j + 1] = s01;
      out[o0 + j + 2] = s02;
      out[o0 + j + 3] = s03;
      out[o1 + j] = s10;
      out[o1 + j + 1] = s11;
      out[o1 + j + 2] = s12;
      out[o1 + j + 3] = s13;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s0 = 0,
        s1 = 0;
      for (let p = 0; p < k; p++) {
        const y = b[bj + p];
        s0 += a[a0 + p] * y;
        s1 += a[a1 + p] * y;
      }
      out[o0 + j] = s0;
      out[o1 + j] = s1;
    }
  }
  for (; i < m; i++) {
    const a0 = i * k;
    const o0 = i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = a[a0 + p];
        s0 += x * b[b0 + p];
        s1 += x * b[b1 + p];
        s2 += x * b[b2 + p];
        s3 += x * b[b3 + p];
      }
      out[o0 + j] = s0;
      out[o0 + j + 1] = s1;
      out[o0 + j + 2] = s2;
      out[o0 + j + 3] = s3;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + p] * b[bj + p];
      out[o0 + j] = s;
    }
  }
}
