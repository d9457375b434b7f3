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
