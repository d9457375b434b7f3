/**
 * The host side of the element-wise kernels (kernels/elementwise.ts): two arrays of one shape staged
 * by the runner (resident ones in place), the result written in place where `out` is resident.
 */
import type { KernelRunner } from "./runner.js";

/** The ops the compiled `sameShape` kernel takes, by its op number. */
export const SAME_SHAPE_OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const;

/**
 * out ← a op b element by element (all three of one length), js's bits.
 *
 * @example
 * sameShape(runner, "add", a, b, out); // a residual connection's sum
 */
export function sameShape(
  mm: KernelRunner,
  op: keyof typeof SAME_SHAPE_OPS,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  const outAt = mm.offsetOf(out);
  const [aAt, bAt] = mm.stage([a, b], outAt < 0 ? out.length : 0, 1) as [number, number];
  const at = outAt >= 0 ? outAt : mm.scratchSpace.arena.take(out.length);
  mm.scratchSpace.kernels.exports.sameShape(SAME_SHAPE_OPS[op], aAt, bAt, at, out.length);
  mm.output(at, out);
}
