// AssemblyScript, compiled by scripts/build-wasm.mjs (not by tsc). A convolution's forward product read
// straight from the receptive fields: out [rows × filters] = cols [rows × taps] · wᵀ, then bias and relu,
// without packing the fields (a pass over all of them, used only filters/4 times) or transposing the
// result. Every entry is the packed product's sum (gemm.ts): from zero, one multiply-add per tap in
// order within each KC-block of taps, each later block's sum added to the earlier ones, so the bits are
// those of w·colsᵀ through `gemmColumns` and `transposeInto`.
import { biasAct } from "./linear";
import { madd } from "./simd";

/** gemm.ts's KC: the depth of one block, after which a block's sum is added to the running one. */
const KC: i32 = 256;

/**
 * out ← act(cols·wᵀ + bias) for cols [rows × taps] and w [filters × taps] (filters a multiple of 4);
 * `wt` is scratch for taps·filters floats (the filters transposed, read by every row).
 */
export function fieldsTimesFilters(
  cols: usize,
  rows: i32,
  taps: i32,
  w: usize,
  filters: i32,
  out: usize,
  bias: usize,
  hasBias: bool,
  relu: bool,
  wt: usize,
): void {
  for (let f = 0; f < filters; f++)
    for (let t = 0; t < taps; t++)
      store<f32>(wt + ((<usize>t * <usize>filters + <usize>f) << 2), load<f32>(w + ((<usize>f * <usize>taps + <usize>t) << 2)));
  const lda = <usize>taps << 2;
  const ldc = <usize>filters << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a = cols + <usize>r * lda;
    const c = out + <usize>r * ldc;
    let f = 0;
    for (; f + 8 <= filters; f += 8)
      for (let p0 = 0; p0 < taps; p0 += KC) {
        const kc = min(KC, taps - p0);
        const ap = a + (<usize>p0 << 2);
        const bp = wt + ((<usize>p0 * <usize>filters + <usize>f) << 2);
        // Two call sites, as gemm.ts's micro-kernel: kept out of line, its accumulators stay in registers.
        if (p0 > 0) fourRows(kc, ap, lda, bp, ldc, c + (<usize>f << 2), true);
        else fourRows(kc, ap, lda, bp, ldc, c + (<usize>f << 2), false);
      }
    for (let i = 0; i < 4; i++) for (let g = f; g < filters; g += 4) oneRow(taps, a + <usize>i * lda, wt, filters, g, c + <usize>i * ldc);
    biasAct(c, bias, 4, filters, filters, hasBias, relu);
  }
  for (; r < rows; r++) {
    const c = out + <usize>r * ldc;
    for (let g = 0; g < filters; g += 4) oneRow(taps, cols + <usize>r * lda, wt, filters, g, c);
    biasAct(c, bias, 1, filters, filters, hasBias, relu);
  }
}

/**
 * C[4 × 8] (row stride ldc bytes) = (accumulate ? C : 0) + A[4 × kc] (row stride lda bytes) · B[kc × 8]
 * (row stride filters, packed by the caller as wᵀ): gemm.ts's micro-kernel with A's rows read in place.
 */
function fourRows(kc: i32, a: usize, lda: usize, b: usize, ldc: usize, c: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const ldb = ldc;
  const aEnd = a + (<usize>kc << 2);
  while (a < aEnd) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a + lda);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a + 2 * lda);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a + 3 * lda);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    a += 4;
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

/** Filters g..g+3 of one row: c[g..g+3] = Σ over KC-blocks, as `fourRows` sums them. */
function oneRow(taps: i32, a: usize, wt: usize, filters: i32, g: i32, c: usize): void {
  const ldb = <usize>filters << 2;
  let sum = f32x4.splat(0);
  for (let p0 = 0; p0 < taps; p0 += KC) {
    const kc = min(KC, taps - p0);
    let acc = f32x4.splat(0);
    let b = wt + ((<usize>p0 * <usize>filters + <usize>g) << 2);
    for (let p = p0; p < p0 + kc; p++, b += ldb) acc = madd(v128.load32_splat(a + (<usize>p << 2)), v128.load(b), acc);
    sum = p0 > 0 ? f32x4.add(acc, sum) : acc;
  }
  v128.store(c + (<usize>g << 2), sum);
}
