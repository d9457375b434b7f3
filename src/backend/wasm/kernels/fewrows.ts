// AssemblyScript: products with fewer rows on the left than the register tile has (a learner's batch
// of a new row and a replayed one), read straight from the stored layouts. The packed product (gemm.ts)
// would copy all of B into panels to use it twice, and compute the tile's padding rows as well.
import { madd } from "./simd";

/** gemm.ts's depth block: each element's sum restarts from 0 every KC depths, the blocks added in order. */
const KC: i32 = 256;

/**
 * C (m×n, row stride n) = A (m×k, stored by rows) · op(B) (k×n; stored n×k when `transB`), with the
 * bits of `packA` then `gemmColumns`: each element's depth is cut into blocks of KC, each block a chain
 * of multiply-adds from 0 in depth order, each block's sum then added to the sum so far. Any m works;
 * rows go two at a time (each element's chain does not depend on which rows share the pass).
 * `scratch` holds 2n floats (a depth block's sums after the first, when n is a multiple of 4).
 */
export function fewRows(a: usize, b: usize, transB: bool, c: usize, m: i32, n: i32, k: i32, scratch: usize): void {
  const lda = <usize>k << 2;
  // B stored n×k at a row stride of whole pages (1,024 inputs, 2,048, ...): `byDepths` reads a line of
  // every row, one page each, before the next line, and no prefetch crosses a page, so each line came
  // from L3 at its latency (two rows of a 512×1,024 layer: 181 µs). `columns8` streams eight rows along
  // their pages (119 µs); at other strides `byDepths` is the faster (512×1,000: 71 µs against 120).
  const pages = transB && (lda & 4095) == 0;
  for (let i = 0; i < m; i += 2) {
    const a0 = a + <usize>i * lda;
    const a1 = i + 1 < m ? a0 + lda : 0;
    const c0 = c + ((<usize>i * <usize>n) << 2);
    if (n % 4 == 0 && !pages) byDepths(a0, a1, b, transB, c0, n, k, scratch);
    else for (let j = 0; j < n; j += 8) columns8(a0, a1, b, transB, c0, n, k, j);
  }
}

/**
 * One row of C (a1 = 0) or two, n a multiple of 4: `columns8`'s sums with the loops turned round, four
 * depths of every column before the next four. Each element's chain still runs in depth order, through
 * memory now (C, or `scratch` for a depth block after the first, then added to C as `columns8` adds
 * it). A chain held in a register waits on its own multiply-adds, four cycles each, and eight columns a
 * pass kept only two to four in flight; here every column's chain is independent of the next column's,
 * so the multiply-adds run at their throughput (the 784×256 product on two rows: 42 µs → 24). B is
 * read sixteen depths (a line of each stored row) at a time, in blocks of columns whose lines L1 keeps
 * (`columnBlockBytes`).
 */
function byDepths(a0: usize, a1: usize, b: usize, transB: bool, c0: usize, n: i32, k: i32, scratch: usize): void {
  const ldb = <usize>k << 2, rowBytes = <usize>n << 2;
  const c1 = c0 + rowBytes;
  const blockBytes = transB ? columnBlockBytes(ldb, rowBytes) : rowBytes;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const end = min(k, p0 + KC);
    const s0 = p0 == 0 ? c0 : scratch, s1 = p0 == 0 ? c1 : scratch + rowBytes;
    memory.fill(s0, 0, rowBytes);
    if (a1) memory.fill(s1, 0, rowBytes);
    // Sixteen depths at a time (a cache line of each stored row of B), a block of columns at a time
    // (`columnBlockBytes`), four depths of the block's columns before the next four; each layout and
    // row count its own copy of the loop.
    let p = p0;
    if (transB && a1) p = depthsInBlocks(a0, a1, b, true, true, s0, s1, ldb, rowBytes, blockBytes, p, end);
    else if (transB) p = depthsInBlocks(a0, 0, b, true, false, s0, s1, ldb, rowBytes, blockBytes, p, end);
    else if (a1) p = depthsInBlocks(a0, a1, b, false, true, s0, s1, ldb, rowBytes, blockBytes, p, end);
    else p = depthsInBlocks(a0, 0, b, false, false, s0, s1, ldb, rowBytes, blockBytes, p, end);
    // The depths left, one at a time.
    for (; p < end; p++) {
      const at = <usize>p << 2;
      const v = v128.load32_splat(a0 + at), w = a1 ? v128.load32_splat(a1 + at) : v;
      for (let j: usize = 0; j < rowBytes; j += 16) {
        const d = column4(b, transB, n, k, p, <i32>(j >> 2), 4);
        v128.store(s0 + j, madd(v, d, v128.load(s0 + j)));
        if (a1) v128.store(s1 + j, madd(w, d, v128.load(s1 + j)));
      }
    }
    // As gemmColumns adds a block's sum to C: the block's sum plus the sum so far.
    if (p0 > 0) {
      for (let j: usize = 0; j < rowBytes; j += 16) {
        v128.store(c0 + j, f32x4.add(v128.load(s0 + j), v128.load(c0 + j)));
        if (a1) v128.store(c1 + j, f32x4.add(v128.load(s1 + j), v128.load(c1 + j)));
      }
    }
  }
}

/** `byDepths`' depths from p in fours (up to `end`), with constant layout and row count; returns the first depth left. */
// @ts-ignore: decorator
@inline function depthsInBlocks(a0: usize, a1: usize, b: usize, transB: bool, two: bool, s0: usize, s1: usize, ldb: usize, rowBytes: usize, blockBytes: usize, p: i32, end: i32): i32 {
  for (; p + 16 <= end; p += 16)
    for (let jb: usize = 0; jb < rowBytes; jb += blockBytes)
      for (let q = p; q < p + 16; q += 4) fourDepths(a0, a1, b, transB, two, s0, s1, ldb, rowBytes, q, jb, min(rowBytes, jb + blockBytes));
  for (; p + 4 <= end; p += 4) fourDepths(a0, a1, b, transB, two, s0, s1, ldb, rowBytes, p, 0, rowBytes);
  return p;
}

/**
 * Depths p..p+3 of C's columns whose byte offsets are in [from, to), added to the sums at s0 (and s1
 * for the second row, a1, when `two`): four rows of B read across (stored n×k: transposed in registers, as packB does)
 * or four rows read along (stored k×n), each element's four multiply-adds in depth order.
 */
// @ts-ignore: decorator
@inline function fourDepths(a0: usize, a1: usize, b: usize, transB: bool, two: bool, s0: usize, s1: usize, ldb: usize, rowBytes: usize, p: i32, from: usize, to: usize): void {
  const at = <usize>p << 2;
  const v0 = v128.load32_splat(a0 + at), v1 = v128.load32_splat(a0 + at, 4);
  const v2 = v128.load32_splat(a0 + at, 8), v3 = v128.load32_splat(a0 + at, 12);
  const w0 = two ? v128.load32_splat(a1 + at) : v0, w1 = two ? v128.load32_splat(a1 + at, 4) : v1;
  const w2 = two ? v128.load32_splat(a1 + at, 8) : v2, w3 = two ? v128.load32_splat(a1 + at, 12) : v3;
  for (let j: usize = from; j < to; j += 16) {
    let d0: v128, d1: v128, d2: v128, d3: v128;
    if (transB) {
      const r = b + (j >> 2) * ldb + at;
      const x0 = v128.load(r), x1 = v128.load(r + ldb), x2 = v128.load(r + 2 * ldb), x3 = v128.load(r + 3 * ldb);
      const l01 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), h01 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const l23 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), h23 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      d0 = v128.shuffle<f32>(l01, l23, 0, 1, 4, 5); d1 = v128.shuffle<f32>(l01, l23, 2, 3, 6, 7);
      d2 = v128.shuffle<f32>(h01, h23, 0, 1, 4, 5); d3 = v128.shuffle<f32>(h01, h23, 2, 3, 6, 7);
    } else {
      const r = b + <usize>p * rowBytes + j;
      d0 = v128.load(r); d1 = v128.load(r + rowBytes); d2 = v128.load(r + 2 * rowBytes); d3 = v128.load(r + 3 * rowBytes);
    }
    v128.store(s0 + j, madd(v3, d3, madd(v2, d2, madd(v1, d1, madd(v0, d0, v128.load(s0 + j))))));
    if (two) v128.store(s1 + j, madd(w3, d3, madd(w2, d2, madd(w1, d1, madd(w0, d0, v128.load(s1 + j))))));
  }
}

/**
 * Bytes of C's row (a multiple of 16: four columns) whose rows of B stored n×k, at a row stride of
 * `ldb` bytes, share L1's 64 sets at most six lines to a set: at a stride of an odd multiple of 2ᵗ
 * lines the rows fall in 64 / 2ᵗ sets in turn (t ≤ 6). At 256 inputs (1 KB: four sets, of 8–12 ways)
 * sixteen depths of all 256 rows, read four at a time, evicted each line before its next use (the
 * 256×256 product on two rows: 13.1 µs → 8.0 with blocks of 24 columns). A stride that is not a whole
 * number of lines spreads the rows over every set.
 */
function columnBlockBytes(ldb: usize, rowBytes: usize): usize {
  const sets: usize = (ldb & 63) != 0 ? 64 : 64 >> min(ctz(ldb >> 6), 6);
  return min(rowBytes, max(16, ((sets * 6) & ~3) << 2));
}

/** Columns j..j+8 (fewer at the end) of one row of C (a1 = 0) or of two (a1 is the next row of A). */
function columns8(a0: usize, a1: usize, b: usize, transB: bool, c0: usize, n: i32, k: i32, j: i32): void {
  const cols = min(8, n - j);
  let t00 = f32x4.splat(0), t01 = f32x4.splat(0), t10 = f32x4.splat(0), t11 = f32x4.splat(0);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const end = min(k, p0 + KC);
    let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
    let p = p0;
    if (transB && cols == 8) {
      // Four depths of the eight rows of B at a time, transposed in registers (as packB does).
      const ldb = <usize>k << 2;
      const r0 = b + <usize>j * ldb;
      for (; p + 4 <= end; p += 4) {
        const at = <usize>p << 2;
        const lo = r0 + at, hi = r0 + 4 * ldb + at;
        const x0 = v128.load(lo), x1 = v128.load(lo + ldb), x2 = v128.load(lo + 2 * ldb), x3 = v128.load(lo + 3 * ldb);
        const y0 = v128.load(hi), y1 = v128.load(hi + ldb), y2 = v128.load(hi + 2 * ldb), y3 = v128.load(hi + 3 * ldb);
        const x01l = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), x01h = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const x23l = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), x23h = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const y01l = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), y01h = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
        const y23l = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5), y23h = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
        // Depth p + d: columns j..j+3 in bd0, j+4..j+7 in bd1.
        const b00 = v128.shuffle<f32>(x01l, x23l, 0, 1, 4, 5), b01 = v128.shuffle<f32>(y01l, y23l, 0, 1, 4, 5);
        const b10 = v128.shuffle<f32>(x01l, x23l, 2, 3, 6, 7), b11 = v128.shuffle<f32>(y01l, y23l, 2, 3, 6, 7);
        const b20 = v128.shuffle<f32>(x01h, x23h, 0, 1, 4, 5), b21 = v128.shuffle<f32>(y01h, y23h, 0, 1, 4, 5);
        const b30 = v128.shuffle<f32>(x01h, x23h, 2, 3, 6, 7), b31 = v128.shuffle<f32>(y01h, y23h, 2, 3, 6, 7);
        let v = v128.load32_splat(a0 + at);
        s00 = madd(v, b00, s00); s01 = madd(v, b01, s01);
        v = v128.load32_splat(a0 + at, 4);
        s00 = madd(v, b10, s00); s01 = madd(v, b11, s01);
        v = v128.load32_splat(a0 + at, 8);
        s00 = madd(v, b20, s00); s01 = madd(v, b21, s01);
        v = v128.load32_splat(a0 + at, 12);
        s00 = madd(v, b30, s00); s01 = madd(v, b31, s01);
        if (a1) {
          v = v128.load32_splat(a1 + at);
          s10 = madd(v, b00, s10); s11 = madd(v, b01, s11);
          v = v128.load32_splat(a1 + at, 4);
          s10 = madd(v, b10, s10); s11 = madd(v, b11, s11);
          v = v128.load32_splat(a1 + at, 8);
          s10 = madd(v, b20, s10); s11 = madd(v, b21, s11);
          v = v128.load32_splat(a1 + at, 12);
          s10 = madd(v, b30, s10); s11 = madd(v, b31, s11);
        }
      }
    }
    // One depth at a time: B stored k×n (eight columns are two loads), or the depths and columns left.
    for (; p < end; p++) {
      const at = <usize>p << 2;
      let b0: v128, b1: v128;
      if (!transB && cols == 8) {
        const row = b + ((<usize>p * <usize>n + <usize>j) << 2);
        b0 = v128.load(row);
        b1 = v128.load(row, 16);
      } else {
        b0 = column4(b, transB, n, k, p, j, cols);
        b1 = column4(b, transB, n, k, p, j + 4, cols - 4);
      }
      const v = v128.load32_splat(a0 + at);
      s00 = madd(v, b0, s00);
      s01 = madd(v, b1, s01);
      if (a1) {
        const w = v128.load32_splat(a1 + at);
        s10 = madd(w, b0, s10);
        s11 = madd(w, b1, s11);
      }
    }
    // As gemmColumns adds a block's sum to C: the block's sum plus the sum so far.
    if (p0 == 0) {
      t00 = s00; t01 = s01; t10 = s10; t11 = s11;
    } else {
      t00 = f32x4.add(s00, t00); t01 = f32x4.add(s01, t01);
      t10 = f32x4.add(s10, t10); t11 = f32x4.add(s11, t11);
    }
  }
  store8(c0 + (<usize>j << 2), t00, t01, cols);
  if (a1) store8(c0 + ((<usize>n + <usize>j) << 2), t10, t11, cols);
}

/** op(B)[p, j..j+4) as a vector, columns at or past `cols` (counted from j) zero, as packB pads them. */
function column4(b: usize, transB: bool, n: i32, k: i32, p: i32, j: i32, cols: i32): v128 {
  let v = f32x4.splat(0);
  if (cols > 0) v = f32x4.replace_lane(v, 0, load<f32>(elementAt(b, transB, n, k, p, j)));
  if (cols > 1) v = f32x4.replace_lane(v, 1, load<f32>(elementAt(b, transB, n, k, p, j + 1)));
  if (cols > 2) v = f32x4.replace_lane(v, 2, load<f32>(elementAt(b, transB, n, k, p, j + 2)));
  if (cols > 3) v = f32x4.replace_lane(v, 3, load<f32>(elementAt(b, transB, n, k, p, j + 3)));
  return v;
}

/** Where op(B)[p, j] is stored. */
// @ts-ignore: decorator
@inline function elementAt(b: usize, transB: bool, n: i32, k: i32, p: i32, j: i32): usize {
  return b + (transB ? (<usize>j * <usize>k + <usize>p) << 2 : (<usize>p * <usize>n + <usize>j) << 2);
}

/** The first `cols` (at most 8) of the eight floats lo, hi to `to`. */
// @ts-ignore: decorator
@inline function store8(to: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols == 8) {
    v128.store(to, lo);
    v128.store(to, hi, 16);
    return;
  }
  for (let q = 0; q < cols; q++) {
    const v = q < 4 ? lo : hi;
    const lane = q & 3;
    const x = lane == 0 ? f32x4.extract_lane(v, 0) : lane == 1 ? f32x4.extract_lane(v, 1) : lane == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
    store<f32>(to + (<usize>q << 2), x);
  }
}
