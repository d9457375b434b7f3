/** y ← y + alpha·x: the reference for the optimisers' per-parameter step. */
export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  if (x.length !== y.length) throw new Error(`axpy: lengths differ (${x.length} vs ${y.length})`);
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/**
 * [Σ w², Σ (w − w0)², Σ w0², Σ g²] into `out`: the reference for `Backend.stepSquares`, one pass, each sum
 * in float64 in four lanes (see `sumSquares`).
 */
export function stepSquares(w: Float32Array, w0: Float32Array, g: Float32Array, out: Float64Array): void {
  if (w0.length !== w.length || g.length !== w.length)
    throw new Error(`stepSquares: lengths differ (${w.length}, ${w0.length}, ${g.length})`);
  // Lane k of each sum is element 4t + k's turn t: the loop takes four elements a turn, one to each lane.
  const now = [0, 0, 0, 0];
  const moved = [0, 0, 0, 0];
  const then = [0, 0, 0, 0];
  const grad = [0, 0, 0, 0];
  const n = w.length;
  for (let k = 0; k < 4; k++) {
    // One lane at a time, its four sums in locals: lanes kept in arrays cost twice the time.
    let a = 0;
    let m = 0;
    let t = 0;
    let q = 0;
    for (let i = k; i < n; i += 4) {
      const d = w[i] - w0[i];
      a += w[i] * w[i];
      m += d * d;
      t += w0[i] * w0[i];
      q += g[i] * g[i];
    }
    [now[k], moved[k], then[k], grad[k]] = [a, m, t, q];
  }
  out.set([joinLanes(now), joinLanes(moved), joinLanes(then), joinLanes(grad)]);
}

/**
 * Σ a² in float64, in the order every sum of squares of a health check takes (`stepSquares`, the health
 * statistics, every backend): four lanes, lane k adding the elements i ≡ k (mod 4) in index order, then
 * (lane 0 + lane 2) + (lane 1 + lane 3). Four independent chains of additions instead of one: a float64x2
 * loop with two accumulators gives the same bits, at the speed of its loads rather than of one chain's
 * additions (~3 cycles an element).
 *
 * @example
 * sumSquares([1, 2, 3, 4, 5]); // (1 + 25 + 9) + (4 + 16) = 55
 */
export function sumSquares(a: ArrayLike<number>): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * a[i];
    s1 += a[i + 1] * a[i + 1];
    s2 += a[i + 2] * a[i + 2];
    s3 += a[i + 3] * a[i + 3];
  }
  if (i < n) s0 += a[i] * a[i];
  if (i + 1 < n) s1 += a[i + 1] * a[i + 1];
  if (i + 2 < n) s2 += a[i + 2] * a[i + 2];
  return s0 + s2 + (s1 + s3);
}

/** The four lanes' sums joined as `sumSquares` joins them. */
export const joinLanes = (s: readonly number[]): number => s[0] + s[2] + (s[1] + s[3]);

/** x ← alpha·x. */
export function scale(alpha: number, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
}

/**
 * One Adam step, in place: the reference for `Backend.adam`. Each line is computed in float64 and
 * rounded once when stored, and later lines read the stored (rounded) moments, as PyTorch's
 * single-tensor Adam reads its float32 state.
 */
export function adam(
  u: Float32Array,
  mu: Float32Array,
  nu: Float32Array,
  beta1: number,
  beta2: number,
  eps: number,
  c1: number,
  c2: number,
): void {
  adamApply(u, mu, nu, beta1, beta2, eps, c1, c2, null, 0);
}

/** The smallest normal float32, 2⁻¹²⁶. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * x, or +0 where x is a subnormal float32 or a zero: Adam's first moment is kept out of the
 * subnormals, where it would stay for good (0.9 × k·2⁻¹⁴⁹ rounds back to k·2⁻¹⁴⁹ for k ≤ 4) and where
 * the CPU divides it at several times the usual cost (see kernels/adam.ts's `flushSubnormal`).
 *
 * @example
 * flushSubnormal(-1e-40); // 0
 */
export function flushSubnormal(x: number): number {
  return Math.abs(x) < FLOAT32_MIN_NORMAL ? 0 : x;
}

/**
 * `adam` then `axpy(alpha, u, p)` in one pass: the reference for `Backend.adamApply`; with p null, `adam`
 * alone (alpha unused).
 */
export function adamApply(
  u: Float32Array,
  mu: Float32Array,
  nu: Float32Array,
  beta1: number,
  beta2: number,
  eps: number,
  c1: number,
  c2: number,
  p: Float32Array | null,
  alpha: number,
): void {
  if (p && p.length !== u.length) throw new Error(`adamApply: lengths differ (${u.length} vs ${p.length})`);
  // A bias correction that has reached 1 is not divided by (x / 1 is x exactly), as the wasm kernel.
  const by1 = c1 !== 1;
  const by2 = c2 !== 1;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  for (let j = 0; j < u.length; j++) {
    const g = u[j]!;
    mu[j] = flushSubnormal(Math.fround(beta1 * mu[j]! + a1 * g));
    nu[j] = beta2 * nu[j]! + a2 * g * g;
    const m = mu[j]!;
    const r = Math.sqrt(nu[j]!);
    u[j] = (by1 ? m / c1 : m) / ((by2 ? r / c2 : r) + eps);
    // As axpy: u read back as stored (float32), the sum in float64, rounded once.
    if (p) p[j] += alpha * u[j]!;
  }
}
