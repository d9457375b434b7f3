/**
 * The host side of the squared-distance kernels (kernels/distance.ts): the quadratic penalties' term
 * for one parameter and its gradient, operands staged by the runner (resident ones in place).
 */
import type { KernelRunner } from "./runner.js";

/**
 * Σ w·(p − a)² (w null: unweighted) over arrays of one length, the sum in float64 (see the kernel).
 *
 * @example
 * squaredDistance(runner, theta, anchor, importance); // the same bits as the js kernel
 */
export function squaredDistance(
  mm: KernelRunner,
  p: Float32Array,
  a: Float32Array,
  w: Float32Array | null,
): number {
  const [pAt, aAt, wAt] = mm.stage(w ? [p, a, w] : [p, a]) as [number, number, number?];
  return mm.scratchSpace.kernels.exports.squaredDistance(pAt, aAt, wAt ?? 0, w ? 1 : 0, p.length);
}

/**
 * dp ← its gradient for an incoming gradient g, in place where dp is resident.
 *
 * @example
 * squaredDistanceBackward(runner, 1, theta, anchor, importance, dTheta);
 */
export function squaredDistanceBackward(
  mm: KernelRunner,
  g: number,
  p: Float32Array,
  a: Float32Array,
  w: Float32Array | null,
  dp: Float32Array,
): void {
  const { kernels, arena } = mm.scratchSpace;
  const dpAt = mm.offsetOf(dp);
  const [pAt, aAt, wAt] = mm.stage(w ? [p, a, w] : [p, a], dpAt < 0 ? dp.length : 0, 1) as [
    number,
    number,
    number?,
  ];
  const at = dpAt >= 0 ? dpAt : arena.take(dp.length);
  kernels.exports.squaredDistanceBackward(g, pAt, aAt, wAt ?? 0, w ? 1 : 0, at, p.length);
  mm.output(at, dp);
}
