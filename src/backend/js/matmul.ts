import type { Data } from "../../tensor/tensor.js";
import { transpose2d } from "./reduce.js";

/**
 * Matrix product in plain TypeScript. Every variant is brought to the "A·Bᵀ" form (both operands
 * walked along contiguous rows), whose inner loop is a register-blocked dot product: 2 rows of A by
 * 4 rows of B, eight float64 accumulators, six loads per eight multiply-adds. Operands in another
 * layout are first transposed into reusable scratch buffers (a copy is O(size), the product O(size·k)).
 */
export function matmul(a: Data, b: Data, out: Data, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
  if (k === 0) { out.fill(0); return; }
  const A = transA ? transposeToScratch(0, a, k, m) : a;
  const B = transB ? b : transposeToScratch(1, b, k, n);
  gemmNT(A, B, out, m, n, k);
}

const scratch: (Float32Array | Float64Array | null)[] = [null, null];

function transposeToScratch(slot: number, x: Data, rows: number, cols: number): Data {
  const size = rows * cols;
  let buf = scratch[slot];
  const f64 = x instanceof Float64Array;
  if (!buf || buf.length < size || (buf instanceof Float64Array) !== f64) {
    buf = f64 ? new Float64Array(size) : new Float32Array(size);
    scratch[slot] = buf;
  }
  const view = buf.length === size ? buf : buf.subarray(0, size);
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
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p], x1 = a[a1 + p];
        const y0 = b[b0 + p], y1 = b[b1 + p], y2 = b[b2 + p], y3 = b[b3 + p];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      out[o0 + j] = s00; out[o0 + j + 1] = s01; out[o0 + j + 2] = s02; out[o0 + j + 3] = s03;
      out[o1 + j] = s10; out[o1 + j + 1] = s11; out[o1 + j + 2] = s12; out[o1 + j + 3] = s13;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s0 = 0, s1 = 0;
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
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = a[a0 + p];
        s0 += x * b[b0 + p]; s1 += x * b[b1 + p]; s2 += x * b[b2 + p]; s3 += x * b[b3 + p];
      }
      out[o0 + j] = s0; out[o0 + j + 1] = s1; out[o0 + j + 2] = s2; out[o0 + j + 3] = s3;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + p] * b[bj + p];
      out[o0 + j] = s;
    }
  }
}
