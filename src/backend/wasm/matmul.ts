import type { Data } from "../../tensor/tensor.js";
import { Arena } from "./arena.js";
import type { LoadedKernels } from "./loader.js";
import { type GemmJob, ThreadPool } from "./threads.js";

/**
 * Below this many multiply-adds a product stays on the calling thread: waking a worker costs tens of
 * microseconds, which a product this small does not repay (measured: 64×784×256 gains from a second thread).
 */
export const THREAD_MIN_MACS = 1 << 21;

/**
 * The matrix product on the compiled kernels: operands copied into the arena, A packed once, then the
 * columns of C computed by `gemmColumns` (split across threads when the product is large), and the
 * padded C copied out.
 */
export class WasmMatmul {
  private readonly arena: Arena;
  private readonly mr: number;
  private readonly nr: number;
  private readonly scratchFloats: number;
  /** Panels of NR columns in one packed block of B (the widest chunk a thread takes). */
  private readonly blockCols: number;
  private pool: ThreadPool | null = null;
  private threads = 1;
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
    if (want !== this.threads) {
      this.pool?.close();
      this.pool = null;
      this.poolFailed = false;
      this.threads = this.kernels.shared ? want : 1;
    }
    return this.threads;
  }

  private workers(): ThreadPool | null {
    if (!this.pool && !this.poolFailed && this.threads > 1) {
      this.pool = ThreadPool.start(this.kernels.module, this.kernels.memory, this.threads - 1, this.nr);
      if (!this.pool) {
        this.poolFailed = true;
        this.threads = 1;
      }
    }
    return this.pool;
  }

  get threadCount(): number {
    return this.threads;
  }

  /** Bytes of WebAssembly memory the backend holds (grows to the largest product seen, then stays). */
  get memoryBytes(): number {
    return this.arena.bytes;
  }

  run(a: Float32Array, b: Float32Array, out: Data, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
    const { mr, nr, arena } = this;
    const mp = Math.ceil(m / mr) * mr;
    const np = Math.ceil(n / nr) * nr;
    const panels = np / nr;
    const pool = this.threads > 1 && m * n * k >= THREAD_MIN_MACS && panels > 1 ? this.workers() : null;
    const threads = pool ? this.threads : 1;
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
