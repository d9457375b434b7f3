/**
 * Small dense linear algebra in float64 for diagnostics (rank of a design matrix, effective rank of a
 * representation): sizes here are features × features, so a cyclic Jacobi eigensolver is plenty and
 * is accurate to rounding. The eigensolver lives in `units/` (unit statistics need it below `data/`);
 * it is re-exported here for the callers that know it from here.
 */
import { symmetricEigen } from "../units/linalg.js";

export { symmetricEigen, symmetricEigenvalues } from "../units/linalg.js";

/**
 * Rank of an n×d matrix (row-major), optionally with a column of ones appended (the intercept of a
 * linear model), with the directions it cannot see: a non-zero w with X·w = 0 means the weights along
 * w are not identifiable from the data. Columns are scaled to unit norm first so that units of
 * measurement do not decide the answer.
 *
 * @example
 * designRank([1, 2, 2, 3, 3, 4], 3, 2, { intercept: true }).rank; // 2: x₂ = x₁ + 1
 */
export function designRank(
  x: ArrayLike<number>,
  n: number,
  d: number,
  opts: { intercept?: boolean; tol?: number } = {},
): { rank: number; columns: number; nullDirections: number[][]; singularValues: number[] } {
  const cols = d + (opts.intercept ? 1 : 0);
  const at = (r: number, c: number): number => (c < d ? x[r * d + c] : 1);
  const norms = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += at(r, c) ** 2;
    norms[c] = Math.sqrt(s) || 1;
  }
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = i; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += (at(r, i) / norms[i]) * (at(r, j) / norms[j]);
      gram[i * cols + j] = gram[j * cols + i] = s;
    }
  }
  const { values, vectors } = symmetricEigen(gram, cols);
  const singular = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)));
  const tol = opts.tol ?? 1e-6 * Math.max(singular[0], 1e-300);
  const rank = singular.filter((s) => s > tol).length;
  const nullDirections: number[][] = [];
  for (let k = rank; k < cols; k++) {
    // Back to the original units: X·(w/norms) = 0. Scale so the largest component is 1.
    const w = Array.from({ length: cols }, (_, i) => vectors[i * cols + k] / norms[i]);
    const big = w.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
    nullDirections.push(w.map((v) => v / big));
  }
  return { rank, columns: cols, nullDirections, singularValues: singular };
}
