/**
 * Small dense linear algebra in float64 for diagnostics (rank of a design matrix, effective rank of a
 * representation): sizes here are features × features, so a cyclic Jacobi eigensolver is plenty and
 * is accurate to rounding.
 */

/** Eigenvalues (descending) and unit eigenvectors (columns of `vectors`, n×n row-major) of a symmetric n×n matrix. */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const { a, v } = jacobi(matrix, n, true);
  const order = descendingDiagonal(a, n);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v![k * n + src];
  });
  return { values, vectors };
}

/**
 * The eigenvalues of `symmetricEigen`, the same to the last bit, without the eigenvectors: the rotations of
 * the matrix never read them, and accumulating them is a third of the work (the health monitor's effective
 * rank needs values only).
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  const { a } = jacobi(matrix, n, false);
  return Float64Array.from(descendingDiagonal(a, n), (src) => a[src * n + src]);
}

/** Indices of the diagonal of `a`, largest first (ties in index order). */
function descendingDiagonal(a: Float64Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
}

/** Cyclic Jacobi: rotate `matrix` to diagonal form; with `withVectors`, accumulate the rotations in `v`. */
function jacobi(
  matrix: ArrayLike<number>,
  n: number,
  withVectors: boolean,
): { a: Float64Array; v: Float64Array | null } {
  const a = Float64Array.from(matrix);
  const v = withVectors ? new Float64Array(n * n) : null;
  if (v) for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        // Rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.2).
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p],
            akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k],
            aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        if (!v) continue;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p],
            vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { a, v };
}

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

/**
 * Effective rank (Roy & Vetterli 2007) of a matrix H from its Gram matrix G = HᵀH or HHᵀ (n × n):
 * exp(−Σ p_k ln p_k), p the singular values of H (square roots of G's eigenvalues) normalised to sum 1.
 * Returns `ifZero` when H is all zeros.
 *
 * @example
 * gramEffectiveRank([1, 0, 0, 1], 2, 0); // 2
 */
export function gramEffectiveRank(gram: ArrayLike<number>, n: number, ifZero: number): number {
  const values = symmetricEigenvalues(gram, n);
  const sv = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)));
  const total = sv.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return ifZero;
  let entropy = 0;
  for (const s of sv) if (s > 0) entropy -= (s / total) * Math.log(s / total);
  return Math.exp(entropy);
}
