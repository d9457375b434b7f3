/** y ← y + alpha·x: the reference for the optimisers' per-parameter step. */
export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  if (x.length !== y.length) throw new Error(`axpy: lengths differ (${x.length} vs ${y.length})`);
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/** x ← alpha·x. */
export function scale(alpha: number, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
}
