// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). A convolution's forward product and
// its filter gradient read straight from the receptive fields where im2col wrote them, without packing
// them first (a pass over all the fields, each then used only filters/4 times) and, forward, without
// transposing the result. Every entry is the packed product's sum (gemm.ts): from zero, one multiply-add
// per depth in order within each KC-block, each later block's sum added to the earlier ones; so the bits
// are those of `gemmColumns` (and, forward, `transposeInto`).
import { col2im, im2col } from "./conv";
import { biasAct } from "./linear";
import { madd } from "./simd";

/** gemm.ts's KC: the depth of one block, after which a block's sum is added to the running one. */
const KC: i32 = 256;

/** wt [taps × filters] ← w [filters × taps]: the filters transposed, read by every row of the forward product. */
export function transposeFilters(w: usize, filters: i32, taps: i32, wt: usize): void {
  for (let f = 0; f < filters; f++)
    for (let t = 0; t < taps; t++)
      store<f32>(wt + ((<usize>t * <usize>filters + <usize>f) << 2), load<f32>(w + ((<usize>f * <usize>taps + <usize>t) << 2)));
}

/**
 * One chunk of a convolution's work (groups 1, filters in fours), read from the int32 argument block
 * `args`; `thread` picks the thread's own scratch. Phase 0, forward, images from..from+count:
 * out ← act(im2col(x)·wᵀ + bias) with the fields written where the whole batch's im2col would write
 * them (and multiplied while in cache). Phase 1, the input gradient of those images. Phase 2, the filter
 * gradient's taps from..from+count (in eights). Each output element is computed by the same kernel over
 * the same values in the same order whatever the chunks: one call over everything, or chunks on
 * several threads, give the same bits.
 */
export function convChunk(phase: i32, args: usize, from: i32, count: i32, thread: i32): void {
  if (phase == 0)
    forwardImages(arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4), arg(args, 5), arg(args, 6), arg(args, 7), arg(args, 8), arg(args, 9) + <usize>thread * 64, from, count);
  else if (phase == 1) {
    const stride = <usize>arg(args, 7);
    const scratch = <usize>arg(args, 6) + <usize>thread * stride;
    inputGradientImages(arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4), arg(args, 5), scratch, scratch + stride - 64, from, count);
  } else filtersGradientTaps(arg(args, 0), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4), arg(args, 5), from, count);
}

/** Word i of an int32 argument block. */
// @ts-ignore: decorator
@inline function arg(args: usize, i: i32): i32 {
  return load<i32>(args + (<usize>i << 2));
}

/** The geometry block g copied to g1 (16 int32s) for `count` images. */
// @ts-ignore: decorator
@inline function imagesGeometry(g: usize, g1: usize, count: i32): void {
  for (let i: usize = 0; i < 64; i += 4) store<i32>(g1 + i, load<i32>(g + i));
  store<i32>(g1, count);
}

/** Phase 0 of `convChunk`; flags: 1 a bias, 2 relu. */
function forwardImages(x: usize, g: usize, cols: usize, wt: usize, taps: i32, filters: i32, out: usize, bias: usize, flags: i32, g1: usize, n0: i32, count: i32): void {
  imagesGeometry(g, g1, count);
  const perImage = load<i32>(g, 48) * load<i32>(g, 52);
  const imageFloats = load<i32>(g, 4) * load<i32>(g, 8) * load<i32>(g, 12);
  const r0 = <usize>n0 * <usize>perImage;
  im2col(x + ((<usize>n0 * <usize>imageFloats) << 2), g1, 0, cols + ((r0 * <usize>taps) << 2));
  const rows = count * perImage;
  // A block of rows at a time, so that bias and relu find it in cache.
  for (let r = 0; r < rows; r += 64) {
    const n = min(64, rows - r);
    const at = r0 + <usize>r;
    const c = out + ((at * <usize>filters) << 2);
    rowsTimes(cols + ((at * <usize>taps) << 2), n, taps, wt, filters, c);
    biasAct(c, bias, n, filters, filters, (flags & 1) != 0, (flags & 2) != 0);
  }
}

/**
 * Phase 1 of `convChunk`: dx ← col2im(dz·w) for images n0..n0+count, a few at a time: each block of the
 * product, `scratch` (the most floats `inputGradientRows` gives), goes into col2im while it is still in
 * cache rather than the whole product first. `g1` takes a copy of the geometry block g.
 */
function inputGradientImages(dz: usize, w: usize, filters: i32, taps: i32, g: usize, dx: usize, scratch: usize, g1: usize, n0: i32, count: i32): void {
  const perImage = load<i32>(g, 48) * load<i32>(g, 52);
  const imageFloats = load<i32>(g, 4) * load<i32>(g, 8) * load<i32>(g, 12);
  const images = imagesPerChunk(perImage);
  for (let n = n0; n < n0 + count; n += images) {
    const k = min(images, n0 + count - n);
    imagesGeometry(g, g1, k);
    rowsTimes(dz + ((<usize>n * <usize>perImage * <usize>filters) << 2), k * perImage, filters, w, taps, scratch);
    col2im(scratch, g1, dx + ((<usize>n * <usize>imageFloats) << 2));
  }
}

/** Rows of the product phase 1 holds at once for images of `perImage` output pixels. */
export function inputGradientRows(perImage: i32): i32 {
  return imagesPerChunk(perImage) * perImage;
}

/** Whole images, about 256 rows (a 144-tap product: 147 KiB, in L2), at least one. */
// @ts-ignore: decorator
@inline function imagesPerChunk(perImage: i32): i32 {
  return max(1, 256 / perImage);
}

/**
 * C [rows × n] = A [rows × depth] · B [depth × n], all three row-major and unpadded (n at least 4),
 * each entry summed as `gemmColumns` sums it. Columns past the last eight go four at a time, the last
 * four ending at n (where n is not in fours, that window overlaps the one before and writes the same
 * values again: each is computed whole, not added to).
 */
function rowsTimes(a: usize, rows: i32, depth: i32, b: usize, n: i32, c: usize): void {
  const lda = <usize>depth << 2;
  const ldc = <usize>n << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const ar = a + <usize>r * lda;
    const cr = c + <usize>r * ldc;
    let j = 0;
    for (; j + 8 <= n; j += 8)
      for (let p0 = 0; p0 < depth; p0 += KC) {
        const kc = min(KC, depth - p0);
        const ap = ar + (<usize>p0 << 2);
        const bp = b + <usize>p0 * ldc + (<usize>j << 2);
        // Two call sites, as gemm.ts's micro-kernel: kept out of line, its accumulators stay in registers.
        if (p0 > 0) fourRows(kc, ap, lda, 4, bp, ldc, cr + (<usize>j << 2), ldc, true);
        else fourRows(kc, ap, lda, 4, bp, ldc, cr + (<usize>j << 2), ldc, false);
      }
    for (let i = 0; i < 4; i++)
      for (let g = j; g < n; g += 4) oneRow(depth, ar + <usize>i * lda, b, n, min(g, n - 4), cr + <usize>i * ldc);
  }
  for (; r < rows; r++) for (let g = 0; g < n; g += 4) oneRow(depth, a + <usize>r * lda, b, n, min(g, n - 4), c + <usize>r * ldc);
}

/**
 * Phase 2 of `convChunk`: taps j0..j0+count (in eights) of dw [filters × taps] ← dzᵀ·cols for dz
 * [rows × filters] and cols [rows × taps] (filters a multiple of 4, taps of 8): the filter gradient with
 * both operands read in place, as `gemmColumns` sums it (KC-blocks of rows, each block's sum added to the
 * earlier ones). Each block of fields passes through L1 once, a panel of 8 taps at a time, for every
 * filter (the packed product packed all of them first).
 */
function filtersGradientTaps(dz: usize, cols: usize, rows: i32, taps: i32, filters: i32, dw: usize, j0: i32, count: i32): void {
  const ldz = <usize>filters << 2;
  const ldc = <usize>taps << 2;
  for (let p0 = 0; p0 < rows; p0 += KC) {
    const kc = min(KC, rows - p0);
    const a = dz + <usize>p0 * ldz;
    const b = cols + <usize>p0 * ldc;
    for (let j = j0; j < j0 + count; j += 8)
      for (let f = 0; f < filters; f += 4) {
        const c = dw + <usize>f * ldc + (<usize>j << 2);
        if (p0 > 0) fourRows(kc, a + (<usize>f << 2), 4, ldz, b + (<usize>j << 2), ldc, c, ldc, true);
        else fourRows(kc, a + (<usize>f << 2), 4, ldz, b + (<usize>j << 2), ldc, c, ldc, false);
      }
  }
}

/**
 * The filter gradient (phase 2 of `convChunk`) for taps not in eights (a first layer's 9, 25 or 27;
 * filters in eights, taps at least 4): dwᵀ [taps × filters] = colsᵀ·dz into `t` ((taps rounded down to 4) + 4 rows of `filters`
 * floats), then transposed into dw. Four taps against eight filters a tile, the fields' taps splatted
 * where they lie and dz's rows read as they are; a tail of taps is the last four taps, its sums kept in
 * the last 4 rows of `t` (the window overlaps the one before; sums added into the same rows twice
 * would be wrong). Each entry the same sum in the same order as phase 2's (a product of two
 * floats is the same either way round): the same bits.
 */
export function filtersGradientByTap(dz: usize, cols: usize, rows: i32, taps: i32, filters: i32, dw: usize, t: usize): void {
  const ldz = <usize>filters << 2;
  const ldc = <usize>taps << 2;
  const whole = taps & ~3;
  for (let p0 = 0; p0 < rows; p0 += KC) {
    const kc = min(KC, rows - p0);
    const a = cols + <usize>p0 * ldc;
    const b = dz + <usize>p0 * ldz;
    for (let j = 0; j < taps; j += 4) {
      // The tail: taps taps−4..taps−1, into rows whole..whole+3 of t.
      const first = min(j, taps - 4);
      for (let f = 0; f < filters; f += 8) {
        const c = t + <usize>j * ldz + (<usize>f << 2);
        const at = a + (<usize>first << 2);
        if (p0 > 0) fourRows(kc, at, 4, ldc, b + (<usize>f << 2), ldz, c, ldz, true);
        else fourRows(kc, at, 4, ldc, b + (<usize>f << 2), ldz, c, ldz, false);
      }
    }
  }
  for (let tap = 0; tap < taps; tap++) {
    const row = tap < whole ? tap : whole + tap - (taps - 4);
    for (let f = 0; f < filters; f++)
      store<f32>(dw + ((<usize>f * <usize>taps + <usize>tap) << 2), load<f32>(t + ((<usize>row * <usize>filters + <usize>f) << 2)));
  }
}

/**
 * C[4 × 8] (row stride ldc bytes) = (accumulate ? C : 0) + A[4 × kc] · B[kc × 8] (row stride ldb bytes):
 * gemm.ts's micro-kernel with A read in place, its rows `lane` bytes apart and its depths `depth`.
 */
function fourRows(kc: i32, a: usize, lane: usize, depth: usize, b: usize, ldb: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const bEnd = b + <usize>kc * ldb;
  while (b < bEnd) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a + lane);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a + 2 * lane);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a + 3 * lane);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    a += depth;
    b += ldb;
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/** Columns g..g+3 of one row of A·B (B's rows n floats apart), summed over KC-blocks as `fourRows` sums. */
function oneRow(depth: i32, a: usize, b0: usize, n: i32, g: i32, c: usize): void {
  const ldb = <usize>n << 2;
  let sum = f32x4.splat(0);
  for (let p0 = 0; p0 < depth; p0 += KC) {
    const kc = min(KC, depth - p0);
    let acc = f32x4.splat(0);
    let b = b0 + ((<usize>p0 * <usize>n + <usize>g) << 2);
    for (let p = p0; p < p0 + kc; p++, b += ldb) acc = madd(v128.load32_splat(a + (<usize>p << 2)), v128.load(b), acc);
    sum = p0 > 0 ? f32x4.add(acc, sum) : acc;
  }
  v128.store(c + (<usize>g << 2), sum);
}
