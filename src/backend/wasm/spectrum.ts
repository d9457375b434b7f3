/**
 * The host side of the effective rank's kernels (kernels/spectrum.ts): operands copied into the arena, the
 * kernel run on the calling thread, the float64 result copied out.
 */
import type { Arena } from "./arena.js";
import type { LoadedKernels } from "./loader.js";

interface ScratchSpace {
  kernels: LoadedKernels;
  arena: Arena;
}

/**
 * gram (rows×rows) ← the centred row Gram of h's first `rows` rows (`units` wide), in float64.
 *
 * @example
 * centredRowGram(runner.scratchSpace, Float32Array.of(1, 0, -1, 0), 2, 2, gram); // gram: [1, -1, -1, 1]
 */
export function centredRowGram(
  { kernels, arena }: ScratchSpace,
  h: Float32Array,
  rows: number,
  units: number,
  gram: Float64Array,
): void {
  // Float64 scratch is taken as twice the float32s: the mean, the centred rows and the Gram.
  arena.reset(rows * units + 2 * (units + rows * units + rows * rows), 4);
  const hAt = arena.take(rows * units);
  arena.view().set(h.subarray(0, rows * units), hAt >> 2);
  const [meanAt, centredAt, gramAt] = [units, rows * units, rows * rows].map((n) => arena.take(2 * n));
  kernels.exports.centredRowGram(hAt, rows, units, meanAt!, centredAt!, gramAt!);
  gram.set(new Float64Array(kernels.memory.buffer, gramAt, rows * rows));
}

/**
 * The symmetric n×n float64 matrix `a` rotated to diagonal form in place by cyclic Jacobi sweeps.
 *
 * @example
 * const a = Float64Array.of(2, 1, 1, 2);
 * jacobiDiagonalize(runner.scratchSpace, a, 2); // a's diagonal: 1 and 3 (to rounding)
 */
export function jacobiDiagonalize({ kernels, arena }: ScratchSpace, a: Float64Array, n: number): void {
  arena.reset(2 * n * n, 1);
  const inWasm = new Float64Array(kernels.memory.buffer, arena.take(2 * n * n), n * n);
  inWasm.set(a);
  kernels.exports.jacobiDiagonalize(inWasm.byteOffset, n);
  a.set(inWasm);
}
