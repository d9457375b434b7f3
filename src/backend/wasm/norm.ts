/**
 * The host side of batch normalisation's kernels (kernels/norm.ts): operands staged by the runner
 * (resident ones in place), the per-feature results and the float64 sums in the arena, then copied out.
 * The kernels give the bits of the js ones (js/norm.ts).
 */
import type { KernelRunner } from "./runner.js";

/**
 * Batch normalisation in training over x [rows, features]: y, and mean, variance, sd per feature, as
 * js/norm.ts `batchNorm` computes them (w, b null: none).
 *
 * @example
 * batchNorm(runner, x, 32, 16, w, b, 1e-5, y, mean, variance, sd); // the same bits as the js kernel
 */
export function batchNorm(
  mm: KernelRunner,
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  b: Float32Array | null,
  eps: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  sd: Float32Array,
): void {
  const yAt = mm.offsetOf(y);
  // Taken: y (unless resident), mean, variance and sd in one region, the float64 sums in another.
  const extra = (yAt < 0 ? y.length : 0) + 3 * features + 2 * features;
  const [xAt, wAt, bAt] = stageOrZero(mm, [x, w, b], extra, 3);
  const { kernels, arena } = mm.scratchSpace;
  const outAt = yAt >= 0 ? yAt : arena.take(y.length);
  const statsAt = arena.take(3 * features);
  const accAt = arena.take(2 * features);
  const varAt = statsAt + 4 * features;
  const sdAt = varAt + 4 * features;
  kernels.exports.batchNorm(xAt!, rows, features, wAt!, bAt!, eps, outAt, statsAt, varAt, sdAt, accAt);
  mm.output(outAt, y);
  mm.output(statsAt, mean);
  mm.output(varAt, variance);
  mm.output(sdAt, sd);
}

/**
 * Its gradients dx, dw, db (each skipped where null) for an incoming gradient g [rows, features], as
 * js/norm.ts `batchNormBackward` computes them.
 *
 * @example
 * batchNormBackward(runner, g, x, 32, 16, w, mean, sd, dx, dw, db);
 */
export function batchNormBackward(
  mm: KernelRunner,
  g: Float32Array,
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  mean: Float32Array,
  sd: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const dxAt = dx ? mm.offsetOf(dx) : -1;
  // Taken: dx (unless resident or unwanted), dw and db in one region, the float64 sums in another.
  const extra = (dx && dxAt < 0 ? dx.length : 0) + 2 * features + 12 * features;
  const [gAt, xAt, wAt, meanAt, sdAt] = stageOrZero(mm, [g, x, w, mean, sd], extra, 3);
  const { kernels, arena } = mm.scratchSpace;
  const outAt = !dx ? 0 : dxAt >= 0 ? dxAt : arena.take(dx.length);
  const dwAt = arena.take(2 * features);
  const dbAt = dwAt + 4 * features;
  const accAt = arena.take(12 * features);
  kernels.exports.batchNormBackward(
    gAt!,
    xAt!,
    rows,
    features,
    wAt!,
    meanAt!,
    sdAt!,
    outAt,
    dw ? dwAt : 0,
    db ? dbAt : 0,
    accAt,
  );
  if (dx) mm.output(outAt, dx);
  if (dw) mm.output(dwAt, dw);
  if (db) mm.output(dbAt, db);
}

/** `stage` for operands of which some may be absent: their offset is 0 (the kernels' "none"). */
function stageOrZero(
  mm: KernelRunner,
  xs: readonly (Float32Array | null)[],
  extra: number,
  extraRegions: number,
): number[] {
  const present = xs.filter((a): a is Float32Array => a !== null);
  const at = mm.stage(present, extra, extraRegions);
  let k = 0;
  return xs.map((a) => (a ? at[k++]! : 0));
}
