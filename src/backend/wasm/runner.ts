import type { Data } from "../../tensor/tensor.js";
import { Arena } from "./arena.js";
import type { LoadedKernels } from "./loader.js";
import { type GemmJob, ThreadPool } from "./threads.js";

/**
 * Below this many multiply-adds a product stays on the calling thread. At ~40 GFLOP/s, 2M multiply-adds
 * take ~100 µs, several times what waking a worker costs; the MLP's products at batch 64 are above it,
 * its batch-1 products below. (Not yet tuned on an unloaded multi-core machine.)
 */
export const THREAD_MIN_MACS = 1 << 21;

/** Below this many floats, `axpy`/`scale` stay in JavaScript: the call and copies cost more than the loop. */
export const VECTOR_MIN = 4096;

/**
 * The host side of the compiled kernels. The matrix product: operands copied into the arena, A packed
 * once, then the columns of C computed by `gemmColumns` (split across threads when the product is
 * large), and the padded C copied out.
 */
export class KernelRunner {
  private readonly arena: Arena;
  private readonly mr: number;
  private readonly nr: number;
  private readonly scratchFloats: number;
  /** Panels of NR columns in one packed block of B (the widest chunk a thread takes). */
  private readonly blockCols: number;
  private pool: ThreadPool | null = null;
  /** Threads asked for, and whether starting the workers for them failed (then one thread is used). */
  private requested = 1;
  private poolFailed = false;

  constructor(private readonly kernels: LoadedKernels) {
    const ex = kernels.exports;
    this.arena = new Arena(kernels.memory, ex.heapBase());
    this.mr = ex.tileRows();
    this.nr = ex.tileCols();
    this.scratchFloats = ex.blockDepth() * ex.blockCols();
    this.blockCols = ex.blockCols() / this.nr;
  }

  /**
   * Threads a large product may use (1 = the calling thread only). The workers start with the first
   * product large enough to use them, so small models never pay for them; where they cannot start (no
   * shared memory or worker_threads), products stay on one thread and `threadCount` says 1.
   */
  setThreads(n: number): number {
    const want = Math.max(1, Math.floor(n));
    if (want !== this.requested) {
      this.pool?.close();
      this.pool = null;
      this.poolFailed = false;
      this.requested = want;
    }
    return this.threadCount;
  }

  /** Threads a large product uses now. */
  get threadCount(): number {
    return this.kernels.shared && !this.poolFailed ? this.requested : 1;
  }

  private workers(): ThreadPool | null {
    if (!this.pool && !this.poolFailed && this.threadCount > 1) {
      this.pool = ThreadPool.start(this.kernels.module, this.kernels.memory, this.threadCount - 1, this.nr);
      this.poolFailed = this.pool === null;
    }
    return this.pool;
  }

  /** Bytes of WebAssembly memory the backend holds (grows to the largest product seen, then stays). */
  get memoryBytes(): number {
    return this.arena.bytes;
  }

  /**
   * y ← y + alpha·x in the arena. Measured on the MLP's 200,704-weight layer: 1.1–1.25 ns per float,
   * copies included, against 1.4–1.5 for the JavaScript loop. The loop is bound by memory traffic, and
   * the copies in and out are most of it: the real gain waits for parameters that live in wasm memory.
   */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    const n = y.length;
    const { arena } = this;
    arena.reset();
    const xAt = arena.take(n);
    const yAt = arena.take(n);
    const mem = arena.view();
    mem.set(x, xAt >> 2);
    mem.set(y, yAt >> 2);
    this.kernels.exports.axpy(alpha, xAt, yAt, n);
    y.set(mem.subarray(yAt >> 2, (yAt >> 2) + n));
  }

  scale(alpha: number, x: Float32Array): void {
    const n = x.length;
    const { arena } = this;
    arena.reset();
    const xAt = arena.take(n);
    const mem = arena.view();
    mem.set(x, xAt >> 2);
    this.kernels.exports.scale(alpha, xAt, n);
    x.set(mem.subarray(xAt >> 2, (xAt >> 2) + n));
  }

  /** A 1×k row times op(B): read B in place (a row of A is the same in either layout). */
  private singleRow(a: Float32Array, b: Float32Array, out: Data, n: number, k: number, transB: boolean): void {
    const { arena } = this;
    arena.reset();
    const aAt = arena.take(k);
    const bAt = arena.take(k * n);
    const cAt = arena.take(n);
    const mem = arena.view();
    mem.set(a, aAt >> 2);
    mem.set(b, bAt >> 2);
    if (transB) this.kernels.exports.matrixTimesRow(aAt, bAt, cAt, n, k);
    else this.kernels.exports.rowTimesMatrix(aAt, bAt, cAt, n, k);
    out.set(mem.subarray(cAt >> 2, (cAt >> 2) + n));
  }

  run(a: Float32Array, b: Float32Array, out: Data, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
    const { mr, nr, arena } = this;
    if (m === 1) {
      this.singleRow(a, b, out, n, k, transB);
      return;
    }
    const mp = Math.ceil(m / mr) * mr;
    const np = Math.ceil(n / nr) * nr;
    const panels = np / nr;
    const pool = m * n * k >= THREAD_MIN_MACS && panels > 1 ? this.workers() : null;
    const threads = pool ? this.threadCount : 1;
    arena.reset();
    const aAt = arena.take(m * k);
    const bAt = arena.take(k * n);
    const apAt = arena.take(mp * k);
    const cAt = arena.take(mp * np);
    const scratchAt = arena.take(this.scratchFloats * threads);
    const mem = arena.view();
    mem.set(a, aAt >> 2);
    mem.set(b, bAt >> 2);
    const ex = this.kernels.exports;
    ex.packA(aAt, transA ? 1 : 0, m, k, apAt);
    if (!pool) {
      ex.gemmColumns(apAt, bAt, transB ? 1 : 0, cAt, m, n, k, 0, np, scratchAt);
    } else {
      // About four chunks per thread, so that a thread the OS schedules late leaves little to wait for.
      const chunkCols = Math.min(this.blockCols, Math.max(1, Math.round(panels / (4 * threads)))) * nr;
      const job: GemmJob = {
        ap: apAt, b: bAt, transB, c: cAt, m, n, k,
        chunks: Math.ceil(np / chunkCols), chunkCols, scratch: scratchAt, scratchBytes: this.scratchFloats * 4,
      };
      pool.run(job, np, (j, j0, j1, scratch) => ex.gemmColumns(j.ap, j.b, j.transB ? 1 : 0, j.c, j.m, j.n, j.k, j0, j1, scratch));
    }
    const c = cAt >> 2;
    if (np === n) out.set(mem.subarray(c, c + m * n));
    else for (let i = 0; i < m; i++) out.set(mem.subarray(c + i * np, c + i * np + n), i * n);
  }
}
