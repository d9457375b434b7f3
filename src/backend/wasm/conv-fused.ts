/**
 * The fused convolution (groups 1) on wasm: im2col, the product with the filters, bias and relu in one
 * call forward; both products and col2im in one call backward. The receptive fields never leave the
 * kernels' memory (the composite copies them out of im2col and back into the product, and backward
 * copies them twice more). Every value is computed as in the composite (the forward product as
 * filters × fieldsᵀ: each entry the same sum in the same order; im2col, col2im and the product's depth
 * blocks the same kernels), so the results are the same bits.
 */
import type { ConvGeometry } from "../backend.js";
import { convSizes } from "../conv-kernels.js";
import { writeGeometry } from "./conv.js";
import { type KernelRunner, THREAD_MIN_MACS } from "./runner.js";

/**
 * The most floats a kept block holds (64 MiB; 28×28×32→32 at batch 32 takes 7.2M): it stays as long as
 * its filters do, so a large evaluation batch (the digits' 2,000 test images: 35M floats in the demo's
 * second layer) runs as before, in the arena, rather than hold a block that size for good.
 */
export const KEEP_MAX_FLOATS = 1 << 24;

/** The block of the kernels' memory a filter array's forward passes write their fields into. */
interface Kept {
  block: Float32Array;
  /** The view the latest forward pass over the block handed out (its fields are the block's now). */
  latest: Float32Array | null;
}

/**
 * The receptive fields each forward pass leaves in the kernels' memory for its backward pass, one block
 * per filter array (a layer's weights), reused from step to step: the backward pass neither makes them
 * again (im2col) nor copies them in (28×28×32→32, batch 32: 29 MB each way). A forward pass hands out
 * a fresh view of the block; where a later forward pass over the same filters has overwritten it (a
 * layer applied twice before the backward pass), the view is no longer current and the backward pass
 * makes the fields again. Null views where the memory is not shared (its blocks could not be kept).
 */
export class KeptFields {
  private readonly byOwner = new WeakMap<object, Kept>();
  /** Also what keeps a block alive while a view of it is (the block is freed when it is collected). */
  private readonly byView = new WeakMap<Float32Array, Kept>();

  constructor(
    private readonly mm: KernelRunner,
    private readonly maxFloats = KEEP_MAX_FLOATS,
  ) {}

  /**
   * A view of n floats in the kernels' memory for `owner`'s next fields, current from now on; null
   * where no block can be had (memory not shared, or full) or n is over the most a block holds.
   *
   * @example
   * const cols = fields.take(w, rows * taps); // im2col writes at cols.byteOffset
   */
  take(owner: object, n: number): Float32Array | null {
    if (n > this.maxFloats) return null;
    let kept = this.byOwner.get(owner);
    if (!kept || kept.block.length < n) {
      const block = this.mm.alloc(n);
      if (!block) return null;
      kept = { block, latest: null };
      this.byOwner.set(owner, kept);
    }
    const view = kept.block.subarray(0, n);
    kept.latest = view;
    this.byView.set(view, kept);
    return view;
  }

  /**
   * `cols` as the backward pass may read it: null where it is a view that a later forward pass has
   * overwritten; any other array as it is.
   *
   * @example
   * const fields = kept.current(cols); // null: make them again
   */
  current(cols: Float32Array | null): Float32Array | null {
    const kept = cols ? this.byView.get(cols) : undefined;
    return kept && kept.latest !== cols ? null : cols;
  }
}

/**
 * Below this many channels im2col copies runs too short for its SIMD loop (a first layer's 1 or 3
 * channels), and the fields are few (9–27 per row): keeping a copy for the backward pass costs less than
 * making them again (28×28×1→16, batch 32: 0.84× the composite's speed when made again).
 */
export const KEEP_BELOW_CHANNELS = 4;

/**
 * Below this many taps (a first layer's: up to 7 channels at 3×3, 2 at 5×5) a convolution's products
 * stay on one thread, in place, however many threads there are. Their depth is too short to pay for a
 * split: on a quiet Zen 5, two threads ran the 28×28×1→16 and 32×32×3→16 layers at 0.79× and 0.62× of
 * one, and here two threads took 1.2–1.3× one thread's CPU time per step on them (docs/performance.md).
 */
export const SPLIT_MIN_TAPS = 64;

/**
 * Whether the products read the fields in place (`convChunk`: no packing pass over them, no transpose of
 * the result) rather than through `productAt`: for filters in fours.
 */
const readsFieldsInPlace = (filters: number): boolean => filters % 4 === 0;

/**
 * The threads a convolution's in-place phases split over: the pool's where the product is large and deep
 * enough (`SPLIT_MIN_TAPS`) to pay for a split, else 1.
 */
function splitThreads(mm: KernelRunner, filters: number, rows: number, taps: number): number {
  const large = filters * rows * taps >= THREAD_MIN_MACS && taps >= SPLIT_MIN_TAPS;
  return large && mm.threadCount > 1 && mm.workers() ? mm.threadCount : 1;
}

/**
 * Phase `phase` of the kernels' `convChunk` over `total` images (or taps, in steps of `step`) with the
 * argument words `args`: one call on one thread, else chunks claimed by the pool's threads (about four
 * a thread, so that a thread the OS schedules late leaves little to wait for). The same bits either way.
 */
function runPhase(
  mm: KernelRunner,
  threads: number,
  phase: number,
  args: readonly number[],
  total: number,
  step: number,
): void {
  const { kernels, arena } = mm.scratchSpace;
  const at = arena.take(args.length);
  new Int32Array(arena.view().buffer, at, args.length).set(args);
  const pool = threads > 1 ? mm.workers() : null;
  const steps = Math.ceil(total / step);
  if (!pool || steps < 2) {
    kernels.exports.convChunk(phase, at, 0, total, 0);
    return;
  }
  const chunkLen = Math.max(1, Math.round(steps / (4 * threads))) * step;
  pool.run(
    { kind: "conv", phase, args: at, total, chunks: Math.ceil(total / chunkLen), chunkLen },
    kernels.exports,
  );
}

/**
 * out [rows, filters] ← act(im2col(x)·wᵀ + b) (see Backend.conv2d); rows and filters at least 2 (a
 * one-row product takes another kernel). Returns the fields: left in the kernels' memory (`fields`),
 * else a copy where the image has fewer than `KEEP_BELOW_CHANNELS` channels, else null (the backward
 * pass makes them again).
 *
 * @example
 * convForward(runner, fields, x, w, b, out, geometry, 16, true);
 */
export function convForward(
  mm: KernelRunner,
  fields: KeptFields,
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
  const kept = fields.take(w, rows * taps);
  const outAt = mm.offsetOf(out);
  const direct = readsFieldsInPlace(filters);
  const threads = direct ? splitThreads(mm, filters, rows, taps) : 1;
  const room =
    16 +
    (kept ? 0 : rows * taps) +
    (direct ? taps * filters + 16 + 16 * threads : mm.productRoom(filters, rows, taps, -1)) +
    (outAt < 0 ? rows * filters : 0);
  const [xAt, wAt, bAt] = mm.stage(b ? [x, w, b] : [x, w], room, 8) as [number, number, number?];
  const ex = kernels.exports;
  const geoAt = writeGeometry(arena, g);
  const colsAt = kept ? kept.byteOffset : arena.take(rows * taps);
  const yAt = outAt >= 0 ? outAt : arena.take(rows * filters);
  if (direct) {
    // im2col and the product image by image, each image's fields multiplied while in cache.
    const wtAt = arena.take(taps * filters);
    ex.transposeFilters(wAt, filters, taps, wtAt);
    const flags = (b ? 1 : 0) | (relu ? 2 : 0);
    const args = [xAt, geoAt, colsAt, wtAt, taps, filters, yAt, bAt ?? 0, flags, arena.take(16 * threads)];
    runPhase(mm, threads, 0, args, g.batch, 1);
  } else {
    ex.im2col(xAt, geoAt, 0, colsAt);
    // outᵀ = w·colsᵀ, each entry the same sum in the same order as in cols·wᵀ (a product of two floats
    // is the same either way round): the filters, packed once, stay in cache while the fields stream
    // past once as B (as A, packed, they were written out and read back: 28×28×32→32, the product 1.1×
    // faster). Split across threads where it is large.
    const { cAt, np } = mm.productAt(wAt, colsAt, filters, rows, taps, false, true);
    ex.transposeInto(cAt, np, filters, rows, yAt, bAt ?? 0, b ? 1 : 0, relu ? 1 : 0);
  }
  mm.output(yAt, out);
  if (kept) return kept;
  if (g.channels >= KEEP_BELOW_CHANNELS) return null;
  const copy = new Float32Array(rows * taps);
  mm.output(colsAt, copy);
  return copy;
}

/**
 * dx ← col2im(dz·w) and dw ← dzᵀ·im2col(x), each skipped where null (see Backend.conv2dBackward); rows
 * and filters at least 2; `kept` the fields `convForward` returned, or null.
 *
 * @example
 * convBackward(runner, fields, x, w, dz, dx, dw, geometry, 16, null);
 */
export function convBackward(
  mm: KernelRunner,
  fields: KeptFields,
  x: Float32Array,
  w: Float32Array,
  dz: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  g: ConvGeometry,
  filters: number,
  kept: Float32Array | null,
): void {
  const { kernels, arena } = mm.scratchSpace;
  const ex = kernels.exports;
  const { rows, taps } = convSizes(g);
  const cols = fields.current(kept);
  const dwAt = dw ? mm.offsetOf(dw) : -1;
  // The filter gradient from the fields in place, as the forward product: taps in eights, or else
  // (a first layer's 9, 25 or 27) tap by tap against filters in eights, through dwᵀ in `byTap` floats.
  const inPlace = readsFieldsInPlace(filters);
  const threads = inPlace ? splitThreads(mm, filters, rows, taps) : 1;
  const direct = inPlace && (taps % 8 === 0 || (taps >= 4 && filters % 8 === 0));
  const byTap = direct && taps % 8 !== 0 ? ((taps & ~3) + 4) * filters : 0;
  // dx a few images at a time, each block of the product into col2im while in cache (taps at least 4).
  const directDx = taps >= 4 && inPlace;
  const chunkRows = directDx ? ex.inputGradientRows(g.outH * g.outW) : 0;
  const room =
    16 +
    (dw && !cols ? rows * taps : 0) +
    (dx
      ? (directDx ? (chunkRows * taps + 16) * threads + 16 : mm.productRoom(rows, taps, filters, -1)) +
        dx.length
      : 0) +
    (dw ? (direct ? dw.length + byTap + 16 : mm.productRoom(filters, taps, rows, dwAt)) : 0);
  const [dzAt, wAt, xAt] = mm.stage(dw ? [dz, w, cols ?? x] : [dz, w], room, 11) as [number, number, number?];
  const geoAt = writeGeometry(arena, g);
  if (dx && directDx) {
    // col2im zeroes what it writes: dx in place where it is resident.
    const dxAt = mm.offsetOf(dx) >= 0 ? mm.offsetOf(dx) : arena.take(dx.length);
    // Each thread's block of the product, then its copy of the geometry block (16 words).
    const stride = (chunkRows * taps + 16) * 4;
    const chunkAt = arena.take((chunkRows * taps + 16) * threads);
    runPhase(mm, threads, 1, [dzAt, wAt, filters, taps, geoAt, dxAt, chunkAt, stride], g.batch, 1);
    mm.output(dxAt, dx);
  } else if (dx) {
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
    const colsAt = cols ? xAt! : arena.take(rows * taps);
    if (!cols) ex.im2col(xAt!, geoAt, 0, colsAt);
    if (direct) {
      const at = dwAt >= 0 ? dwAt : arena.take(dw.length);
      if (byTap > 0) ex.filtersGradientByTap(dzAt, colsAt, rows, taps, filters, at, arena.take(byTap));
      else runPhase(mm, threads, 2, [dzAt, colsAt, rows, taps, filters, at], taps, 8);
      mm.output(at, dw);
    } else {
      const { cAt, np } = mm.productAt(dzAt, colsAt, filters, taps, rows, true, false, dwAt);
      mm.output(cAt, dw, filters, np);
    }
  }
}
