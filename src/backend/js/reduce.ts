import type { Data } from "../../tensor/tensor.js";
import type { Shape } from "../../tensor/shape.js";
import type { ReduceKernel } from "../backend.js";

/**
 * Reduce the given axes. Runs of adjacent axes are merged so the work is always a reduction of the
 * middle extent of an [outer, r, inner] block; sums accumulate in float64 whatever the storage type.
 */
export function reduce(op: ReduceKernel, x: Data, shape: Shape, axes: readonly number[], out: Data): void {
  if (axes.length === 0) {
    out.set(x);
    return;
  }
  // Group the reduced axes into maximal contiguous runs and reduce the last run first, so the
  // remaining axes keep their indices.
  let cur: Data = x;
  let curShape = [...shape];
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  for (let r = runs.length - 1; r >= 0; r--) {
    const [lo, hi] = runs[r];
    let outer = 1,
      red = 1,
      inner = 1;
    for (let i = 0; i < lo; i++) outer *= curShape[i];
    for (let i = lo; i <= hi; i++) red *= curShape[i];
    for (let i = hi + 1; i < curShape.length; i++) inner *= curShape[i];
    const dst: Data = r === 0 ? out : new (cur.constructor as { new (n: number): Data })(outer * inner);
    reduceBlock(op, cur, outer, red, inner, dst);
    cur = dst;
    curShape = [...curShape.slice(0, lo), ...curShape.slice(hi + 1)];
  }
}

function reduceBlock(op: ReduceKernel, x: Data, outer: number, red: number, inner: number, out: Data): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * red;
      if (op === "sum") {
        let s = 0;
        for (let r = 0; r < red; r++) s += x[base + r];
        out[o] = s;
      } else {
        let m = -Infinity;
        for (let r = 0; r < red; r++) {
          const v = x[base + r];
          if (v > m || Number.isNaN(v)) {
            m = v;
            if (Number.isNaN(v)) break;
          }
        }
        out[o] = m;
      }
    }
    return;
  }
  // Reduce over the middle axis with a float64 accumulator row, walking memory contiguously.
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * red * inner;
    if (op === "sum") {
      acc.fill(0);
      for (let r = 0; r < red; r++) {
        const row = base + r * inner;
        for (let i = 0; i < inner; i++) acc[i] += x[row + i];
      }
    } else {
      acc.fill(-Infinity);
      for (let r = 0; r < red; r++) {
        const row = base + r * inner;
        for (let i = 0; i < inner; i++) {
          const v = x[row + i];
          if (v > acc[i] || Number.isNaN(v)) acc[i] = v;
        }
      }
    }
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = acc[i];
  }
}

export function transpose(x: Data, shape: Shape, perm: readonly number[], out: Data): void {
  const rank = shape.length;
  if (rank === 2 && perm[0] === 1) {
    const [r, c] = shape;
    transpose2d(x, r, c, out);
    return;
  }
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const st = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  let ix = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[ix];
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      ix += st[ax];
      if (idx[ax] < outShape[ax]) break;
      ix -= st[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

/** Blocked 2-D transpose (x is r×c, out c×r); blocks keep both sides in cache. */
export function transpose2d(x: Data, r: number, c: number, out: Data): void {
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(i0 + B, r);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(j0 + B, c);
      for (let i = i0; i < i1; i++) {
        const row = i * c;
        for (let j = j0; j < j1; j++) out[j * r + i] = x[row + j];
      }
    }
  }
}
