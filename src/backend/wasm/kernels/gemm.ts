// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). Single-precision matrix product
// in the Goto/BLIS shape: operands packed into zero-padded panels, a 4×8 register tile of f32x4
// accumulators, the depth cut into KC-blocks and the columns into NC-blocks so that a packed block of B
// stays in cache while every row panel of A streams past it.

/** Rows of the register tile (one broadcast element of A each). */
const MR: i32 = 4;
/** Columns of the register tile (two f32x4 vectors). */
const NR: i32 = 8;
/** Depth of one block: a KC×MR micro-panel of A (4 KiB) stays in L1 while B's micro-panels (8 KiB) pass. */
const KC: i32 = 256;
/** Columns of one packed block of B: KC×NC floats (256 KiB) stay in L2. */
const NC: i32 = 256;
/** Rows of A per pass over a packed block of B (MC×KC floats, 64 KiB). */
const MC: i32 = 64;

export function tileRows(): i32 { return MR; }
export function tileCols(): i32 { return NR; }
export function blockDepth(): i32 { return KC; }
export function blockCols(): i32 { return NC; }
export function heapBase(): usize { return __heap_base; }

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  // Fused where the runtime has relaxed SIMD (one rounding, twice the throughput); else multiply then add.
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * Pack op(A) (m×k; stored k×m when `trans`) into panels of MR rows: panel r holds, for each depth p,
 * the MR values A[r·MR .. r·MR+MR−1, p] (rows past m are zero). `dst` receives ceil(m/MR)·MR·k floats.
 */
export function packA(a: usize, trans: bool, m: i32, k: i32, dst: usize): void {
  for (let r0 = 0; r0 < m; r0 += MR) {
    const rows = min(MR, m - r0);
    const panel = dst + (<usize>r0 * <usize>k << 2);
    if (trans) {
      // Column p of op(A) is contiguous in the stored k×m matrix.
      for (let p = 0; p < k; p++) {
        const src = a + ((<usize>p * <usize>m + <usize>r0) << 2);
        const to = panel + (<usize>p * MR << 2);
        if (rows == MR) v128.store(to, v128.load(src));
        else for (let i = 0; i < MR; i++) store<f32>(to + (<usize>i << 2), i < rows ? load<f32>(src + (<usize>i << 2)) : 0);
      }
    } else if (rows == MR) {
      // Four depths of the four rows at a time, transposed in registers: the panel is written a vector
      // at a time (1024³: packing A took 3% of the product one float at a time, under 1% this way).
      const src = a + ((<usize>r0 * <usize>k) << 2);
      const lda = <usize>k << 2;
      let p = 0;
      for (; p + 4 <= k; p += 4) transpose4(src + (<usize>p << 2), lda, panel + (<usize>p * MR << 2), MR << 2);
      for (; p < k; p++) {
        const to = panel + (<usize>p * MR << 2);
        for (let i = 0; i < MR; i++) store<f32>(to + (<usize>i << 2), load<f32>(src + <usize>i * lda + (<usize>p << 2)));
      }
    } else {
      for (let i = 0; i < MR; i++) {
        const to = panel + (<usize>i << 2);
        if (i < rows) {
          const src = a + ((<usize>(r0 + i) * <usize>k) << 2);
          for (let p = 0; p < k; p++) store<f32>(to + (<usize>p * MR << 2), load<f32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < k; p++) store<f32>(to + (<usize>p * MR << 2), 0);
        }
      }
    }
  }
}

/**
 * Pack the block of op(B) (k×n; stored n×k when `trans`) at depth p0..p0+kc, columns j0..j0+nc, into
 * micro-panels of NR columns: panel q holds, for each depth, NR consecutive values (columns past n are zero).
 */
function packB(b: usize, trans: bool, n: i32, k: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let q = 0; q < nc; q += NR) {
    const j = j0 + q;
    const cols = min(NR, n - j);
    const panel = dst + (<usize>q * <usize>kc << 2);
    if (!trans) {
      for (let p = 0; p < kc; p++) {
        const src = b + ((<usize>(p0 + p) * <usize>n + <usize>j) << 2);
        const to = panel + (<usize>p * NR << 2);
        if (cols == NR) {
          v128.store(to, v128.load(src));
          v128.store(to, v128.load(src, 16), 16);
        } else {
          for (let c = 0; c < NR; c++) store<f32>(to + (<usize>c << 2), c < cols ? load<f32>(src + (<usize>c << 2)) : 0);
        }
      }
    } else if (cols == NR) {
      // Column j of op(B) is row j of the stored matrix: read 4 depths of each of the 8 rows and
      // transpose them in registers (two 4×4 blocks), so the panel is written a vector at a time.
      const r0 = b + ((<usize>j * <usize>k + <usize>p0) << 2);
      const ldb = <usize>k << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const at = <usize>p << 2;
        const to = panel + (<usize>p * NR << 2);
        transpose4(r0 + at, ldb, to, NR << 2);
        transpose4(r0 + 4 * ldb + at, ldb, to + 16, NR << 2);
      }
      for (; p < kc; p++) {
        const to = panel + (<usize>p * NR << 2);
        for (let c = 0; c < NR; c++) store<f32>(to + (<usize>c << 2), load<f32>(r0 + <usize>c * ldb + (<usize>p << 2)));
      }
    } else {
      for (let c = 0; c < NR; c++) {
        const to = panel + (<usize>c << 2);
        if (c < cols) {
          const src = b + ((<usize>(j + c) * <usize>k + <usize>p0) << 2);
          for (let p = 0; p < kc; p++) store<f32>(to + (<usize>p * NR << 2), load<f32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(to + (<usize>p * NR << 2), 0);
        }
      }
    }
  }
}

/**
 * Read a 4×4 block (4 rows of 4 floats, row stride `ld` bytes, at `src`) and store its transpose as
 * 4 vectors `dstStride` bytes apart at `dst`: dst row p holds the p-th float of each of the 4 rows.
 */
// @ts-ignore: decorator
@inline function transpose4(src: usize, ld: usize, dst: usize, dstStride: usize): void {
  const a = v128.load(src), b = v128.load(src + ld), c = v128.load(src + 2 * ld), d = v128.load(src + 3 * ld);
  const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const cd01 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), cd23 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(ab01, cd01, 0, 1, 4, 5));
  v128.store(dst + dstStride, v128.shuffle<f32>(ab01, cd01, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, v128.shuffle<f32>(ab23, cd23, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, v128.shuffle<f32>(ab23, cd23, 2, 3, 6, 7));
}

/**
 * C[MR×NR] (row stride ldc floats) = (accumulate ? C : 0) + A-panel · B-panel over depth kc.
 * Deliberately not inlined (it has two call sites, which keeps Binaryen from inlining it): in a
 * function of its own V8 keeps the eight accumulators and the loop's pointers in registers, where
 * inlined into `gemmColumns`'s loop nest it reloaded spilled values every trip (+7–9% for 256³–1024³).
 */
function microKernel(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Counted by B's pointer, not by p: one add, compare and branch fewer per trip, which the loop
  // cannot spare (8 multiply-adds, 6 loads and the loop's own integer work on a 4-cycle budget).
  const bEnd = bp + (<usize>kc * NR << 2);
  while (bp < bEnd) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    ap += MR << 2;
    bp += NR << 2;
  }
  const r1 = c + (ldc << 2), r2 = r1 + (ldc << 2), r3 = r2 + (ldc << 2);
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

/**
 * The columns j0..j1 (multiples of NR, or j1 = padded n) of C = op(A)·op(B), with A already packed by
 * `packA` and C stored mp×np (m and n rounded up to MR and NR; row stride np). `scratch` holds one
 * packed KC×NC block of B; threads computing disjoint column ranges each pass their own.
 */
export function gemmColumns(ap: usize, b: usize, transB: bool, c: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize): void {
  const mp = (m + MR - 1) / MR * MR;
  const np = (n + NR - 1) / NR * NR;
  const ldc = <usize>np;
  // Column blocks outside depth blocks (BLIS's order): C's block of m×NC floats is read and written once
  // per depth block, so it is still in L2 the next time (1024³: +5–10% against depth blocks outside).
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      packB(b, transB, n, k, p0, kc, jc, nc, scratch);
      for (let ic = 0; ic < mp; ic += MC) {
        const mc = min(MC, mp - ic);
        // Row panels outside column panels: one micro-panel of A (KC×MR floats) stays in L1 while B's
        // stream from L2, and C is walked along its rows (1024³: +5% against column panels outside).
        for (let ir = ic; ir < ic + mc; ir += MR) {
          const apanel = ap + ((<usize>ir * <usize>k + <usize>p0 * MR) << 2);
          for (let jr = 0; jr < nc; jr += NR) {
            const bp = scratch + (<usize>jr * <usize>kc << 2);
            const ct = c + ((<usize>ir * ldc + <usize>(jc + jr)) << 2);
            if (p0 > 0) microKernel(kc, apanel, bp, ct, ldc, true); // two call sites: see microKernel
            else microKernel(kc, apanel, bp, ct, ldc, false);
          }
        }
      }
    }
  }
}
