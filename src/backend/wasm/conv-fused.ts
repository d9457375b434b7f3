/**
 * The fused convolution (groups 1) on wasm: im2col, the product with the filters, bias and relu in one
 * call forward; both products and col2im in one call backward. The receptive fields never leave the
 * kernels' memory (the composite copies them out of im2col and back into the product, and backward
 * copies them twice more). The same compiled kernels run in the same order as in the composite, so the
 * results are the same bits.
 */
import type { ConvGeometry } from "../backend.js";
import { convSizes } from "../conv-kernels.js";
import { writeGeometry } from "./conv.js";
import type { KernelRunner } from "./runner.js";

/**
 * Below this many channels im2col copies runs too short for its SIMD loop (a first layer's 1 or 3
 * channels), and the fields are few (9–27 per row): keeping a copy for the backward pass costs less than
 * making them again (28×28×1→16, batch 32: 0.84× the composite's speed when made again).
 */
export const KEEP_BELOW_CHANNELS = 4;

/**
 * out [rows, filters] ← act(im2col(x)·wᵀ + b) (see Backend.conv2d); rows and filters at least 2 (a
 * one-row product takes another kernel). Returns a copy of the fields where the image has fewer than
 * `KEEP_BELOW_CHANNELS` channels, else null (the backward pass makes them again).
 *
 * @example
 * convForward(runner, x, w, b, out, geometry, 16, true);
 */
export function convForward(
  mm: KernelRunner,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  out: Float32Array,
  g: ConvGeometry,
  filters: number,
  relu: boolean,
): Float32Array | null {
  const { kernels, arena } = mm.scratchSpace;
  const { rows, taps } = convSizes(g);
  const outAt = mm.offsetOf(out);
  const room = 16 + rows * taps + mm.productRoom(rows, filters, taps, outAt);
  const [xAt, wAt, bAt] = mm.stage(b ? [x, w, b] : [x, w], room, 5) as [number, number, number?];
  const geoAt = writeGeometry(arena, g);
  const colsAt = arena.take(rows * taps);
  kernels.exports.im2col(xAt, geoAt, 0, colsAt);
  const { cAt, np } = mm.productAt(colsAt, wAt, rows, filters, taps, false, true, outAt);
  kernels.exports.biasAct(cAt, bAt ?? 0, rows, filters, np, b ? 1 : 0, relu ? 1 : 0);
  mm.output(cAt, out, rows, np);
  if (g.channels >= KEEP_BELOW_CHANNELS) return null;
  const kept = new Float32Array(rows * taps);
  mm.output(colsAt, kept);
  return kept;
}

/**
 * dx ← col2im(dz·w) and dw ← dzᵀ·im2col(x), each skipped where null (see Backend.conv2dBackward); rows
 * and filters at least 2; `cols` the fields `convForward` kept, or null.
 *
 * @example
 * convBackward(runner, x, w, dz, dx, dw, geometry, 16, null);
 */
export function convBackward(
  mm: KernelRunner,
  x: Float32Array,
  w: Float32Array,
  dz: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  g: ConvGeometry,
  filters: number,
  cols: Float32Array | null,
): void {
  const { kernels, arena } = mm.scratchSpace;
  const ex = kernels.exports;
  const { rows, taps } = convSizes(g);
  const dwAt = dw ? mm.offsetOf(dw) : -1;
  const room =
    16 +
    rows * taps +
    (dx ? mm.productRoom(rows, taps, filters, -1) + dx.length : 0) +
    (dw ? mm.productRoom(filters, taps, rows, dwAt) : 0);
  const [dzAt, wAt, xAt] = mm.stage(dw ? [dz, w, cols ?? x] : [dz, w], room, 9) as [number, number, number?];
  const geoAt = writeGeometry(arena, g);
  const colsAt = arena.take(rows * taps);
  if (dx) {
    const { cAt, np } = mm.productAt(dzAt, wAt, rows, taps, filters, false, false);
    // col2im reads rows of `taps` values: close the gaps the product's padded columns left.
    if (np !== taps) {
      const mem = arena.view();
      const c = cAt >> 2;
      for (let i = 1; i < rows; i++) mem.copyWithin(c + i * taps, c + i * np, c + i * np + taps);
    }
    const dxAt = arena.take(dx.length);
    ex.col2im(cAt, geoAt, dxAt);
    mm.output(dxAt, dx);
  }
  if (dw) {
    if (!cols) ex.im2col(xAt!, geoAt, 0, colsAt);
    const { cAt, np } = mm.productAt(dzAt, cols ? xAt! : colsAt, filters, taps, rows, true, false, dwAt);
    mm.output(cAt, dw, filters, np);
  }
}
