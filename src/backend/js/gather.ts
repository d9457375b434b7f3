import type { Data } from "../../tensor/tensor.js";

/**
 * Rows of an [outer, n, inner] block picked by index: out[o, j, :] = x[o, indices[j], :]. The lookup of
 * an embedding table (axis 0) and the slice of a concatenation's gradient (the last axis).
 */
export function gather(
  x: Data,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  out: Data,
): void {
  const m = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * n + indices[j]) * inner;
      out.set(x.subarray(from, from + inner), (o * m + j) * inner);
    }
  }
}

/**
 * The adjoint of `gather`: out (zeroed by the caller, [outer, n, inner]) gains g[o, j, :] at row
 * indices[j]; repeated indices add up (an embedding row looked up twice gets both gradients).
 */
export function scatterAdd(
  g: Data,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  out: Data,
): void {
  const m = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const to = (o * n + indices[j]) * inner;
      const from = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[to + i] += g[from + i];
    }
  }
}
