/**
 * Finding, choosing and instantiating the compiled kernels. Four variants are built
 * (scripts/build-wasm.mjs): plain or relaxed SIMD, private or shared memory. The first one the runtime
 * validates wins. Relaxed SIMD (fused multiply-add, ~1.25× the product's throughput) is standard and on
 * by default from Node 22 and Chrome 114; Node 20 has it behind a V8 flag, which the loader turns on
 * before compiling (set HOMEOSTAT_RELAXED_SIMD=0 to keep it off and get plain SIMD). Shared memory is
 * used only where a shared `WebAssembly.Memory` can be made (Node, or a cross-origin-isolated page).
 */

/**
 * An Adam pass over n floats at byte offsets u (the gradient, then the update), mu, nu, and with p ≠ 0
 * also p ← p + alpha·u in the same pass (kernels/adam.ts).
 */
type AdamKernel = (
  u: number,
  mu: number,
  nu: number,
  p: number,
  n: number,
  beta1: number,
  beta2: number,
  eps: number,
  c1: number,
  c2: number,
  alpha: number,
) => void;

/** The functions the kernels module exports (pointers are byte offsets into its memory). */
export interface KernelExports {
  tileRows(): number;
  tileCols(): number;
  blockDepth(): number;
  blockCols(): number;
  heapBase(): number;
  packA(a: number, trans: number, m: number, k: number, dst: number): void;
  gemmColumns(
    ap: number,
    b: number,
    transB: number,
    c: number,
    m: number,
    n: number,
    k: number,
    j0: number,
    j1: number,
    scratch: number,
  ): void;
  rowTimesMatrix(a: number, b: number, c: number, n: number, k: number): void;
  matrixTimesRow(a: number, b: number, c: number, n: number, k: number): void;
  fewRows(
    a: number,
    b: number,
    transB: number,
    c: number,
    m: number,
    n: number,
    k: number,
    scratch: number,
  ): void;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(alpha: number, x: number, n: number): void;
  /** n floats at x set to +0 (kernels/vector.ts). */
  zero(x: number, n: number): void;
  /** n floats copied from src to dst (kernels/vector.ts). */
  copy(dst: number, src: number, n: number): void;
  relu(x: number, out: number, n: number): void;
  step(x: number, out: number, n: number): void;
  stepSquares(w: number, w0: number, g: number, n: number, out: number): void;
  centredRowGram(h: number, m: number, units: number, mean: number, centred: number, gram: number): void;
  jacobiDiagonalize(a: number, n: number): void;
  /** `adamAxpy` in float64, each line rounded once: the js kernels' bits. */
  /** The optimiser stages with js's arithmetic (kernels/stages.ts); absent arrays at offset 0. */
  momentum64(
    u: number,
    buf: number,
    n: number,
    momentum: number,
    damp: number,
    first: number,
    nesterov: number,
  ): void;
  momentumAxpy64(
    u: number,
    buf: number,
    p: number,
    n: number,
    momentum: number,
    damp: number,
    first: number,
    nesterov: number,
    alpha: number,
  ): void;
  decay64(u: number, p: number, n: number, decay: number): void;
  rms64(
    u: number,
    sq: number,
    ga: number,
    buf: number,
    n: number,
    alpha: number,
    eps: number,
    momentum: number,
  ): void;
  adagrad64(u: number, sum: number, n: number, eps: number, decay: number): void;
  squaresFrom(g: number, n: number, start: number): number;
  multiply64(g: number, n: number, coef: number): void;
  clamp64(g: number, n: number, lo: number, hi: number): void;
  adamAxpy64: AdamKernel;
  adamAxpy: AdamKernel;
  /** Finds whether this runtime fuses the relaxed multiply-add (`instantiate` calls it on every instance). */
  probeFusedMadd(a: number, b: number, c: number): void;
  /** `adamAxpy` with p on the gradient dzᵀ·x, from its factors (rows ≤ 3; dz's row stride `stride`). */
  adamOuter(
    dz: number,
    x: number,
    rows: number,
    stride: number,
    units: number,
    inputs: number,
    mu: number,
    nu: number,
    p: number,
    beta1: number,
    beta2: number,
    eps: number,
    c1: number,
    c2: number,
    alpha: number,
  ): void;
  biasAct(c: number, bias: number, m: number, n: number, ldc: number, hasBias: number, relu: number): void;
  transposeInto(
    src: number,
    ld: number,
    rows: number,
    cols: number,
    dst: number,
    bias: number,
    hasBias: number,
    relu: number,
  ): void;
  /** The filters [filters × taps] transposed into wt [taps × filters] (kernels/conv-fields.ts). */
  transposeFilters(w: number, filters: number, taps: number, wt: number): void;
  /**
   * One chunk of a convolution's forward pass, input gradient or filter gradient (phase 0, 1, 2) from
   * the argument block at `args`, on `thread`'s scratch (kernels/conv-fields.ts).
   */
  convChunk(phase: number, args: number, from: number, count: number, thread: number): void;
  /** The same for taps not in eights, through dwᵀ in `t` (kernels/conv-fields.ts). */
  filtersGradientByTap(
    dz: number,
    cols: number,
    rows: number,
    taps: number,
    filters: number,
    dw: number,
    t: number,
  ): void;
  /** Rows of the product a convolution's input gradient (convChunk phase 1) holds at once. */
  inputGradientRows(perImage: number): number;
  squaredDistance(p: number, a: number, w: number, hasW: number, n: number): number;
  squaredDistanceBackward(
    g: number,
    p: number,
    a: number,
    w: number,
    hasW: number,
    dp: number,
    n: number,
  ): void;
  im2col(x: number, geometry: number, padValue: number, cols: number): void;
  col2im(cols: number, geometry: number, out: number): void;
  maxPool(x: number, geometry: number, out: number): void;
  maxPoolBackward(x: number, y: number, gOut: number, geometry: number, dx: number, scratch: number): void;
  linearBackward(
    g: number,
    y: number,
    dz: number,
    db: number,
    m: number,
    n: number,
    relu: number,
    wantDb: number,
  ): void;
  /** Batch normalisation in training (kernels/norm.ts; w, b 0: none); acc: room for `features` float64s. */
  batchNorm(
    x: number,
    rows: number,
    features: number,
    w: number,
    b: number,
    eps: number,
    y: number,
    mean: number,
    variance: number,
    sd: number,
    acc: number,
  ): void;
  /** Its gradients (dx, dw, db 0: skipped; w 0: none); acc: room for 6·features float64s. */
  batchNormBackward(
    g: number,
    x: number,
    rows: number,
    features: number,
    w: number,
    mean: number,
    sd: number,
    dx: number,
    dw: number,
    db: number,
    acc: number,
  ): void;
  /** out ← a op b over n floats (kernels/elementwise.ts; op 0 add, 1 sub, 2 mul, 3 div). */
  sameShape(op: number, a: number, b: number, out: number, n: number): void;
  /** The machine's ceiling (kernels/peak.ts): `iters` rounds of 12 independent f32x4 multiply-add chains. */
  fmaPeak(iters: number, seed: number): number;
  /** 1 where `fmaPeak`'s multiply-add is fused (relaxed SIMD), 0 where it is a multiply then an add. */
  peakFused(): number;
  peakFlopsPerIter(): number;
}

export interface LoadedKernels {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: KernelExports;
  /** Variant name, e.g. "kernels-mt" (for benchmarks and reports). */
  variant: string;
  shared: boolean;
  relaxed: boolean;
}

/** Most pages the arena may grow to (1 GiB): the shared variants declare this maximum. */
export const MAX_PAGES = 16384;

const VARIANTS = [
  { name: "kernels-mt-relaxed", shared: true, relaxed: true },
  { name: "kernels-mt", shared: true, relaxed: false },
  { name: "kernels-relaxed", shared: false, relaxed: true },
  { name: "kernels", shared: false, relaxed: false },
] as const;

/** The compiled variants, best first (the `.wasm` files a bundle must ship beside the loader). */
export const VARIANT_NAMES: readonly string[] = VARIANTS.map((v) => v.name);

/**
 * The variants this runtime could use, best first: the shared-memory ones only where a shared memory
 * can be made (not on a page that is not cross-origin isolated), so a page fetches no file it would refuse.
 */
export function usableVariantNames(): string[] {
  const canShare = sharedMemoryWorks();
  return VARIANTS.filter((v) => canShare || !v.shared).map((v) => v.name);
}

/** The bytes of a variant beside this file, read synchronously where the runtime has a file system (Node). */
export function readVariantFile(name: string): Uint8Array<ArrayBuffer> | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  const url = proc?.getBuiltinModule?.("node:url") as typeof import("node:url") | undefined;
  if (!fs || !url) return null;
  try {
    return new Uint8Array(fs.readFileSync(url.fileURLToPath(new URL(`./${name}.wasm`, import.meta.url))));
  } catch {
    return null;
  }
}

/**
 * In Node, turn on V8's relaxed-SIMD flag when the relaxed kernels do not validate without it (Node 20):
 * a wasm feature flag, read when modules are compiled, that changes nothing for code not using it.
 */
function enableRelaxedSimd(bytes: Uint8Array<ArrayBuffer> | null): void {
  const proc = (
    globalThis as {
      process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  if (
    !bytes ||
    !proc?.getBuiltinModule ||
    proc.env?.HOMEOSTAT_RELAXED_SIMD === "0" ||
    WebAssembly.validate(bytes)
  )
    return;
  const v8 = proc.getBuiltinModule("node:v8") as typeof import("node:v8") | undefined;
  try {
    v8?.setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    // An embedder that forbids flags keeps plain SIMD.
  }
}

function sharedMemoryWorks(): boolean {
  try {
    return (
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer
    );
  } catch {
    return false;
  }
}

/** Instantiate `bytes` (a variant's module) over a fresh memory, its multiply-add probed (kernels/simd.ts). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const exports = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error("wasm kernels: abort");
      },
    },
  }).exports as unknown as KernelExports;
  // a·b + c with a = b = 1 + 2⁻¹², c = −(1 + 2⁻¹¹): 2⁻²⁴ where the multiply-add is fused, else 0.
  exports.probeFusedMadd(1 + 2 ** -12, 1 + 2 ** -12, -(1 + 2 ** -11));
  return exports;
}

/**
 * Load the best variant this runtime accepts, or null when none does (no WebAssembly, no SIMD, no
 * file system and no bytes given). `bytesOf` lets a browser bundle hand over fetched bytes by variant name.
 */
export function loadKernels(
  bytesOf: (name: string) => Uint8Array<ArrayBuffer> | null = readVariantFile,
): LoadedKernels | null {
  if (typeof WebAssembly !== "object") return null;
  const canShare = sharedMemoryWorks();
  enableRelaxedSimd(bytesOf("kernels-relaxed"));
  for (const v of VARIANTS) {
    if (v.shared && !canShare) continue;
    const bytes = bytesOf(v.name);
    if (!bytes || !WebAssembly.validate(bytes)) continue;
    try {
      const module = new WebAssembly.Module(bytes);
      const memory = new WebAssembly.Memory(
        v.shared ? { initial: 1, maximum: MAX_PAGES, shared: true } : { initial: 1, maximum: MAX_PAGES },
      );
      return {
        module,
        memory,
        exports: instantiate(module, memory),
        variant: v.name,
        shared: v.shared,
        relaxed: v.relaxed,
      };
    } catch {}
  }
  return null;
}
