/**
 * Small dense linear algebra in float64 for diagnostics (rank of a design matrix, effective rank of a
 * representation): sizes here are features × features, so a cyclic Jacobi eigensolver is plenty and
 * is accurate to rounding.
 */
import { backend } from "../backend/index.js";

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
  const kernels = backend();
  if (!withVectors && kernels.jacobiDiagonalize) {
    kernels.jacobiDiagonalize(a, n);
    return { a, v: null };
  }
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
        rotateColumns(a, n, p, q, c, s);
        rotateRows(a, n, p, q, c, s);
        if (v) rotateColumns(v, n, p, q, c, s);
      }
    }
  }
  return { a, v };
}

/**
 * Columns p and q of the n×n matrix m ← (c·m_p − s·m_q, s·m_p + c·m_q). The indices step by n instead of
 * being multiplied out: the same operations on the same values, in a little over half the time.
 */
function rotateColumns(m: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let kp = p, kq = q, end = n * n; kp < end; kp += n, kq += n) {
    const mkp = m[kp];
    const mkq = m[kq];
    m[kp] = c * mkp - s * mkq;
    m[kq] = s * mkp + c * mkq;
  }
}

/** Rows p and q of the n×n matrix m ← (c·m_p − s·m_q, s·m_p + c·m_q). */
function rotateRows(m: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let pk = p * n, qk = q * n, end = pk + n; pk < end; pk++, qk++) {
    const mpk = m[pk];
    const mqk = m[qk];
    m[pk] = c * mpk - s * mqk;
    m[qk] = s * mpk + c * mqk;
  }
}
