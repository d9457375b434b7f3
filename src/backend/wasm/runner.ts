import type { Data } from "../../tensor/tensor.js";
import { Arena, Heap, touchPages } from "./arena.js";
import type { LoadedKernels } from "./loader.js";
import { ThreadControl } from "./thread-control.js";
import { rowChunk } from "./jobs.js";
import type { ThreadPool } from "./threads.js";

/**
 * Below this many multiply-adds a product stays on the calling thread. At ~40 GFLOP/s, 2M multiply-adds
 * take ~100 µs, several times what waking a worker costs; the MLP's products at batch 64 are above it,
 * its batch-1 products below. (Not yet tuned on an unloaded multi-core machine.)
 */
export const THREAD_MIN_MACS = 1 << 21;

/**
 * From this many floats, an axpy over resident arrays whose x a split product wrote is split across
 * threads too. That x (a weight gradient in its update buffer) lies half in the other core's cache, and
 * the calling thread alone pulled it across (batch 64 on two threads: 116 µs per step in axpy, against 68
 * on one thread; 71 split). Where one thread wrote x (batch 1), splitting would move it the other way.
 */
export const THREAD_MIN_AXPY = 1 << 16;

/** Below this many floats, `axpy`/`scale` stay in JavaScript: the call and copies cost more than the loop. */
export const VECTOR_MIN = 4096;

/** Below this many floats, relu and its derivative stay in JavaScript. */
export const MAP_MIN = 256;

/** Shortest array Adam runs on the compiled float64 loop (wasm/index.ts); shorter ones stay on js. */
export const ADAM64_MIN = 1024;

/**
 * Arrays shorter than this are not made resident: a bias or a small layer's weights cost the heap a
 * block and a finalizer each, and copying them is cheap.
 */
export const RESIDENT_MIN = 1024;

/** What `run` applies to C before it leaves the kernels' memory: a dense layer's bias and relu. */
export interface Epilogue {
  bias: Float32Array | null;
  relu: boolean;
}

/**
 * The host side of the compiled kernels. The matrix product: operands copied into the arena, A packed
 * once, then the columns of C computed by `gemmColumns` (split across threads when the product is
 * large), and the padded C copied out.
 */
export class KernelRunner {
  private readonly heap: Heap;
  private readonly arena: Arena;
  /** The `memory.buffer` objects resident views were made on (a shared memory hands out a new one after growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Gives a resident block back to the heap once its view has been garbage collected. */
  private readonly reclaim = new FinalizationRegistry<[number, number]>(([at, bytes]) =>
    this.heap.release(at, bytes),
  );
  private readonly mr: number;
  private readonly nr: number;
  private readonly scratchFloats: number;
  /** Panels of NR columns in one packed block of B (the widest chunk a thread takes). */
  private readonly blockCols: number;
  /** Byte offsets of resident arrays that a product split across threads has written since they were last read by axpy. */
  private readonly writtenSplit = new Set<number>();
  private readonly threads: ThreadControl;

  constructor(private readonly kernels: LoadedKernels) {
    const ex = kernels.exports;
    this.heap = new Heap(kernels.memory, ex.heapBase());
    this.arena = new Arena(this.heap);
    this.mr = ex.tileRows();
    this.nr = ex.tileCols();
    this.scratchFloats = ex.blockDepth() * ex.blockCols();
    this.blockCols = ex.blockCols() / this.nr;
    this.threads = new ThreadControl(kernels);
  }

  /**
   * Threads a large product may use (1 = the calling thread only). The workers start with the first
   * product large enough to use them (a browser's in the background), or at `threadsReady`, so small
   * models never pay for them. Where they cannot start, products stay on one thread and `threadCount`
   * says 1, `threadsReason` why.
   */
  setThreads(n: number): number {
    return this.threads.set(n);
  }

  /** Threads a large product uses now. */
  get threadCount(): number {
    return this.threads.count;
  }

  /** Why `threadCount` is what it is, in a phrase. */
  get threadsReason(): string {
    return this.threads.reason;
  }

  /** The pool for work large enough to split (started here in Node), or null: one thread. */
  workers(): ThreadPool | null {
    return this.threads.workers();
  }

  /** Resolves, with the count in force, once the requested workers have started (or failed to). */
  threadsReady(): Promise<number> {
    return this.threads.ready();
  }

  /** Bytes of WebAssembly memory the backend holds (grows to the largest product seen, then stays). */
  get memoryBytes(): number {
    return this.arena.bytes;
  }

  /**
   * A zeroed float32 array in the kernels' memory, which kernels read and write in place (no copy in or
   * out); null where the memory is not shared, since growing a private memory would detach every view.
   * The block returns to the heap when the array is garbage collected; a `subarray` of it must not
   * outlive the array itself.
   */
  alloc(n: number): Float32Array | null {
    if (!this.kernels.shared || n < RESIDENT_MIN) return null;
    const bytes = n * 4;
    let at: number;
    try {
      at = this.heap.alloc(bytes);
    } catch {
      // The memory is at its maximum (blocks are freed only when their arrays are collected, which a
      // long synchronous loop making models may outrun): a plain array works everywhere, with copies.
      return null;
    }
    const buf = this.kernels.memory.buffer;
    this.buffers.add(buf);
    const view = new Float32Array(buf, at, n);
    this.kernels.exports.zero(at, n);
    this.reclaim.register(view, [at, bytes]);
    return view;
  }

  /** a ← zeros: one bulk fill where it is resident (a shared memory's typed-array fill goes element by element). */
  zero(a: Float32Array): void {
    const at = this.offsetOf(a);
    if (at >= 0) this.kernels.exports.zero(at, a.length);
    else a.fill(0);
  }

  /** dst ← src: one bulk move where both are resident (a shared memory's typed-array `set` copies word by word). */
  copy(dst: Float32Array, src: Float32Array): void {
    const dstAt = this.offsetOf(dst);
    const srcAt = dstAt >= 0 && dst.length === src.length ? this.offsetOf(src) : -1;
    if (srcAt >= 0) this.kernels.exports.copy(dstAt, srcAt, src.length);
    else dst.set(src);
  }

  /** The byte offset of `x` in the kernels' memory when it is a resident array (or a part of one), else -1. */
  offsetOf(x: Data): number {
    return x instanceof Float32Array && this.buffers.has(x.buffer) ? x.byteOffset : -1;
  }

  /**
   * Start a call: reset the arena with room for the operands that are not resident plus `extra` floats
   * (in at most `extraRegions` takes, for results and scratch), copy those operands in, and return where
   * each operand is (resident ones in place). Each operand is looked up once.
   */
  stage(xs: readonly Float32Array[], extra = 0, extraRegions = 0): number[] {
    const at = xs.map((x) => this.offsetOf(x));
    let floats = extra;
    xs.forEach((x, i) => {
      if (at[i]! < 0) floats += x.length;
    });
    this.arena.reset(floats, xs.length + extraRegions);
    xs.forEach((x, i) => {
      if (at[i]! >= 0) return;
      at[i] = this.arena.take(x.length);
      this.arena.view().set(x, at[i]! >> 2);
    });
    return at;
  }

  /**
   * y ← y + alpha·x in float32. In place when both are resident (0.25–0.33 ns per float on the MLP's
   * 200,704-weight layer, against 0.7–1.1 for the JavaScript loop); otherwise through the arena, where
   * the copies in and out cost more than the loop, which is why parameters and update buffers are resident.
   */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    const xAt = this.offsetOf(x);
    const pool =
      xAt >= 0 && this.writtenSplit.delete(xAt) && y.length >= THREAD_MIN_AXPY
        ? this.threads.workers()
        : null;
    if (pool) {
      const yAt = this.offsetOf(y);
      if (yAt >= 0) {
        // Split across threads: each element is computed alone, so the result is the same bits as on one.
        const chunkLen = Math.ceil(y.length / (2 * this.threadCount) / 8) * 8;
        pool.run(
          {
            kind: "axpy",
            x: xAt,
            y: yAt,
            n: y.length,
            alpha: Math.fround(alpha),
            chunks: Math.ceil(y.length / chunkLen),
            chunkLen,
          },
          this.kernels.exports,
        );
        return;
      }
    }
    const [xIn, yAt] = this.stage([x, y]) as [number, number];
    this.kernels.exports.axpy(alpha, xIn, yAt, y.length);
    this.output(yAt, y);
  }

  scale(alpha: number, x: Float32Array): void {
    const [xAt] = this.stage([x]) as [number];
    this.kernels.exports.scale(alpha, xAt, x.length);
    this.output(xAt, x);
  }

  /** out ← [Σ w², Σ (w − w0)², Σ w0², Σ g²] in float64 (in place when the three are resident, as a check's are). */
  stepSquares(w: Float32Array, w0: Float32Array, g: Float32Array, out: Float64Array): void {
    const [wAt, w0At, gAt] = this.stage([w, w0, g], 8, 1) as [number, number, number];
    const at = this.arena.take(8);
    this.kernels.exports.stepSquares(wAt, w0At, gAt, w.length, at);
    out.set(new Float64Array(this.kernels.memory.buffer, at, 4));
  }

  /** The kernels and the arena, for kernels that live in files of their own (spectrum.ts). */
  get scratchSpace(): { kernels: LoadedKernels; arena: Arena } {
    return { kernels: this.kernels, arena: this.arena };
  }

  /** out ← relu(x) or its derivative (step), element by element, branch-free. */
  map(kernel: "relu" | "step", x: Float32Array, out: Float32Array): void {
    const outAt = this.offsetOf(out);
    const [xAt] = this.stage([x], outAt < 0 ? out.length : 0, 1) as [number];
    const at = outAt >= 0 ? outAt : this.arena.take(out.length);
    this.kernels.exports[kernel](xAt, at, x.length);
    this.output(at, out);
  }

  /**
   * Run `kernel` on the offsets of `arrays` (null ones at 0) and leave its results in them: in place where
   * they are resident, else staged in and copied back out (every array: the kernel may write any).
   */
  inPlace(arrays: readonly (Float32Array | null)[], kernel: (at: number[]) => void): void {
    const present = arrays.filter((a): a is Float32Array => a !== null);
    const staged = this.stage(present);
    let k = 0;
    kernel(arrays.map((a) => (a ? staged[k++]! : 0)));
    present.forEach((a, i) => this.output(staged[i]!, a));
  }

  /** Copy a result computed at byte offset `at` to `out`, unless it was computed there in place. */
  output(at: number, out: Data, rows = 1, stride = out.length): void {
    if (this.offsetOf(out) === at) return;
    const mem = this.arena.view();
    const c = at >> 2;
    const cols = out.length / rows;
    if (stride === cols) out.set(mem.subarray(c, c + out.length));
    else
      for (let i = 0; i < rows; i++) out.set(mem.subarray(c + i * stride, c + i * stride + cols), i * cols);
  }

  /**
   * The element-wise part of a dense layer's backward pass (see Backend.linearBackward): relu's mask and
   * the bias gradient's column sums in one pass, in float32.
   */
  linearBackward(
    g: Float32Array,
    y: Float32Array,
    dz: Float32Array | null,
    db: Float32Array | null,
    m: number,
    n: number,
    relu: boolean,
  ): void {
    const dzAt = relu ? this.offsetOf(dz!) : -1;
    const extra = (relu && dzAt < 0 ? m * n : 0) + (db ? n : 0);
    const [gAt, yAt] = this.stage(relu ? [g, y] : [g], extra, 2) as [number, number];
    const outAt = relu ? (dzAt >= 0 ? dzAt : this.arena.take(m * n)) : 0;
    const dbAt = db ? this.arena.take(n) : 0;
    this.kernels.exports.linearBackward(gAt, relu ? yAt : 0, outAt, dbAt, m, n, relu ? 1 : 0, db ? 1 : 0);
    if (relu) this.output(outAt, dz!);
    if (db) this.output(dbAt, db);
  }

  /**
   * A product with fewer rows than the register tile (A not transposed): B read in place, C unpadded;
   * one row by the gemv kernels, more by `fewRows`, which gives the packed product's bits.
   */
  private fewRows(
    a: Float32Array,
    b: Float32Array,
    out: Data,
    m: number,
    n: number,
    k: number,
    transB: boolean,
    epilogue: Epilogue | null,
  ): void {
    const outAt = this.offsetOf(out);
    const [aAt, bAt, biasAt] = this.stage(
      epilogue?.bias ? [a, b, epilogue.bias] : [a, b],
      (outAt < 0 ? m * n : 0) + 2 * n,
      2,
    );
    const cAt = outAt >= 0 ? outAt : this.arena.take(m * n);
    const scratch = this.arena.take(2 * n);
    const ex = this.kernels.exports;
    if (m > 1) ex.fewRows(aAt!, bAt!, transB ? 1 : 0, cAt, m, n, k, scratch);
    else if (transB) ex.matrixTimesRow(aAt!, bAt!, cAt, n, k);
    else ex.rowTimesMatrix(aAt!, bAt!, cAt, n, k);
    if (epilogue) ex.biasAct(cAt, biasAt ?? 0, m, n, n, epilogue.bias ? 1 : 0, epilogue.relu ? 1 : 0);
    this.output(cAt, out);
  }

  /**
   * C = op(A)·op(B), then, when `epilogue` is given, each row of C plus the bias and through relu
   * (a dense layer's forward pass) before C leaves the kernels' memory.
   */
  run(
    a: Float32Array,
    b: Float32Array,
    out: Data,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    epilogue: Epilogue | null = null,
  ): void {
    if (m === 1 || (m < this.mr && !transA)) {
      this.fewRows(a, b, out, m, n, k, transB, epilogue);
      return;
    }
    const outAt = this.offsetOf(out);
    const [aAt, bAt, biasAt] = this.stage(
      epilogue?.bias ? [a, b, epilogue.bias] : [a, b],
      this.productRoom(m, n, k, outAt),
      3,
    );
    const { cAt, np } = this.productAt(aAt!, bAt!, m, n, k, transA, transB, outAt, outAt < 0 ? out : null);
    const ex = this.kernels.exports;
    if (epilogue) ex.biasAct(cAt, biasAt ?? 0, m, n, np, epilogue.bias ? 1 : 0, epilogue.relu ? 1 : 0);
    this.output(cAt, out, m, np);
  }

  /** Floats `productAt` takes from the arena (in 3 takes) for an output at `outAt` (-1: none). */
  productRoom(m: number, n: number, k: number, outAt: number): number {
    const mp = Math.ceil(m / this.mr) * this.mr;
    const np = Math.ceil(n / this.nr) * this.nr;
    const cInPlace = outAt >= 0 && mp === m && np === n;
    return mp * k + (cInPlace ? 0 : mp * np) + this.scratchFloats * Math.max(1, this.threadCount);
  }

  /**
   * C = op(A)·op(B) for operands at byte offsets in the kernels' memory (m > 1), A packed once, then the
   * columns of C computed by `gemmColumns`, split across threads when the product is large. C goes to
   * `outAt` (a resident output) when C needs no padding, else to a padded region of the arena, which
   * must have `productRoom` left; returns where C is and its row stride. `copiedTo`: a plain array C will
   * be copied into, whose pages the calling thread touches while the workers compute (see `touchPages`).
   */
  productAt(
    aAt: number,
    bAt: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    outAt = -1,
    copiedTo: Data | null = null,
  ): { cAt: number; np: number } {
    const { mr, nr, arena } = this;
    const mp = Math.ceil(m / mr) * mr;
    const np = Math.ceil(n / nr) * nr;
    const panels = np / nr;
    const pool = m * n * k >= THREAD_MIN_MACS && panels > 1 ? this.threads.workers() : null;
    const threads = pool ? this.threadCount : 1;
    const apAt = arena.take(mp * k);
    const cAt = outAt >= 0 && mp === m && np === n ? outAt : arena.take(mp * np);
    const scratchAt = arena.take(this.scratchFloats * threads);
    const ex = this.kernels.exports;
    ex.packA(aAt, transA ? 1 : 0, m, k, apAt);
    if (!pool) {
      ex.gemmColumns(apAt, bAt, transB ? 1 : 0, cAt, m, n, k, 0, np, scratchAt);
      return { cAt, np };
    }
    // About four chunks per thread, so that a thread the OS schedules late leaves little to wait for.
    const chunkCols = Math.min(this.blockCols, Math.max(1, Math.round(panels / (4 * threads)))) * nr;
    // Too few columns for two tiles per chunk (a convolution's 16–64 filters): split the rows instead.
    const chunkRows = panels < 8 * threads && m >= 64 * threads ? rowChunk(m, mr, threads) : 0;
    if (cAt === outAt) {
      // Bounded: the offsets are those of update buffers, reused every step (cleared if that ever fails).
      if (this.writtenSplit.size >= 256) this.writtenSplit.clear();
      this.writtenSplit.add(outAt);
    }
    pool.run(
      {
        kind: "gemm",
        ap: apAt,
        b: bAt,
        transB,
        c: cAt,
        m,
        n,
        k,
        np,
        chunks: chunkRows > 0 ? Math.ceil(m / chunkRows) : Math.ceil(np / chunkCols),
        chunkCols,
        scratch: scratchAt,
        scratchBytes: this.scratchFloats * 4,
        chunkRows,
      },
      ex,
      copiedTo ? () => touchPages(copiedTo) : undefined,
    );
    return { cAt, np };
  }
}
