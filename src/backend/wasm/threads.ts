/**
 * Worker threads that share the kernels' memory and split a large matrix product into column chunks
 * (and an optimiser's large axpy into ranges).
 * The caller blocks (Atomics.wait) while the workers compute, so the Backend interface stays
 * synchronous. Chunks are claimed dynamically from a shared counter, and the calling thread claims
 * too: on a loaded machine where a worker is not scheduled in time, the caller simply does more of
 * the chunks itself, and only ever waits for a chunk a worker has already started.
 *
 * Control words live in a small SharedArrayBuffer. The claim counter carries the job's generation in
 * its high bits, so a worker that wakes late (after its job is over) can never claim a chunk of the next
 * job with arguments it read for the previous one.
 */
import type { KernelExports } from "./loader.js";

/** What the pool needs of a worker, Node's (worker_threads) or the browser's (Web Worker). */
interface PoolWorker {
  terminate(): unknown;
}

/** What a pool worker is sent when it starts: the kernels' module and memory, the control words, its number. */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: Int32Array;
  thread: number;
}

/** Indexes of the control words. */
export const CTL = {
  generation: 0,
  /** (generation & 0x7fff) << 16 | next chunk index. */
  claim: 1,
  /** Chunks finished in the current job. */
  done: 2,
  ready: 3,
  stop: 4,
  /** Job arguments: the kind, then a product's ap, b, transB, c, m, n, k, np, chunks, chunkCols, scratch, scratchBytes, chunkRows or an axpy's x, y, n, alpha (float32 bits), chunks, chunkLen. */
  args: 8,
  size: 24,
} as const;

/** C = op(A)·op(B), split into column chunks (or row chunks: `chunkRows`); A is already packed. */
export interface GemmJob {
  kind: "gemm";
  ap: number;
  b: number;
  transB: boolean;
  c: number;
  m: number;
  n: number;
  k: number;
  /** n rounded up to the tile width: the columns C is stored with, and the end of the last chunk. */
  np: number;
  /** Column chunks and their width (a multiple of the tile width); the last may be narrower. */
  chunks: number;
  chunkCols: number;
  /** Thread t packs B in scratch + t·scratchBytes. */
  scratch: number;
  scratchBytes: number;
  /**
   * 0: chunks are `chunkCols` columns of every row. Else chunks are this many rows (a multiple of the
   * tile height) of every column, for products too narrow to split by columns (a convolution's few
   * filters): column chunks there would be one tile wide, two threads would each stream all of A, and
   * would write the two halves of every cache line of C.
   */
  chunkRows: number;
}

/** y ← y + alpha·x over n floats, split into chunks of chunkLen (a multiple of 8, the kernel's vector step). */
export interface AxpyJob {
  kind: "axpy";
  x: number;
  y: number;
  n: number;
  /** alpha as the float32 the kernel rounds it to (so it passes through an Int32 control word exactly). */
  alpha: number;
  chunks: number;
  chunkLen: number;
}

export type Job = GemmJob | AxpyJob;

/** The kernels a job calls (pointers are byte offsets into the shared memory). */
export type JobKernels = Pick<KernelExports, "gemmColumns" | "axpy">;

const MAX_CHUNKS = 0xffff;
const bits = new DataView(new ArrayBuffer(4));

function float32Bits(v: number): number {
  bits.setFloat32(0, v);
  return bits.getInt32(0);
}

function bitsFloat32(v: number): number {
  bits.setInt32(0, v);
  return bits.getFloat32(0);
}

/** Compute chunk `i` of `job` on thread `thread` (0 is the caller); the same call on every thread. */
export function runChunk(ex: JobKernels, job: Job, i: number, thread: number): void {
  if (job.kind === "axpy") {
    const from = i * job.chunkLen;
    ex.axpy(job.alpha, job.x + from * 4, job.y + from * 4, Math.min(job.chunkLen, job.n - from));
    return;
  }
  if (job.chunkRows > 0) {
    // Rows r0.. of A's packed panels (panel r starts at r·k floats) and of C (row stride np), all columns.
    const r0 = i * job.chunkRows;
    ex.gemmColumns(
      job.ap + r0 * job.k * 4,
      job.b,
      job.transB ? 1 : 0,
      job.c + r0 * job.np * 4,
      Math.min(job.chunkRows, job.m - r0),
      job.n,
      job.k,
      0,
      job.np,
      job.scratch + thread * job.scratchBytes,
    );
    return;
  }
  const j0 = i * job.chunkCols;
  ex.gemmColumns(
    job.ap,
    job.b,
    job.transB ? 1 : 0,
    job.c,
    job.m,
    job.n,
    job.k,
    j0,
    Math.min(job.np, j0 + job.chunkCols),
    job.scratch + thread * job.scratchBytes,
  );
}

/** Claim and run chunks of the job of generation `gen` until none are left; shared by caller and workers. */
export function workOnJob(ctl: Int32Array, gen: number, chunks: number, run: (chunk: number) => void): void {
  const tag = (gen & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctl, CTL.claim);
    if ((v & ~0xffff) !== tag || (v & 0xffff) >= chunks) return;
    if (Atomics.compareExchange(ctl, CTL.claim, v, v + 1) !== v) continue;
    run(v & 0xffff);
    Atomics.add(ctl, CTL.done, 1);
    Atomics.notify(ctl, CTL.done);
  }
}

/**
 * Poll `ready` until it holds or `ms` milliseconds have passed (the clock read every 256 polls); true
 * when it held. Waking a thread asleep in Atomics.wait takes tens of microseconds, a large share of a
 * product that itself takes a few hundred, so both sides poll briefly before they sleep.
 */
export function pollFor(ready: () => boolean, ms: number): boolean {
  const until = performance.now() + ms;
  for (let i = 1; ; i++) {
    if (ready()) return true;
    if ((i & 255) === 0 && performance.now() > until) return false;
  }
}

function writeJob(ctl: Int32Array, job: Job): void {
  if (job.kind === "gemm") {
    ctl.set(
      [
        0,
        job.ap,
        job.b,
        job.transB ? 1 : 0,
        job.c,
        job.m,
        job.n,
        job.k,
        job.np,
        job.chunks,
        job.chunkCols,
        job.scratch,
        job.scratchBytes,
        job.chunkRows,
      ],
      CTL.args,
    );
  } else {
    ctl.set([1, job.x, job.y, job.n, float32Bits(job.alpha), job.chunks, job.chunkLen], CTL.args);
  }
}

export function readJob(ctl: Int32Array): Job {
  const a = CTL.args + 1;
  if (ctl[CTL.args] === 1) {
    return {
      kind: "axpy",
      x: ctl[a]!,
      y: ctl[a + 1]!,
      n: ctl[a + 2]!,
      alpha: bitsFloat32(ctl[a + 3]!),
      chunks: ctl[a + 4]!,
      chunkLen: ctl[a + 5]!,
    };
  }
  return {
    kind: "gemm",
    ap: ctl[a]!,
    b: ctl[a + 1]!,
    transB: ctl[a + 2] !== 0,
    c: ctl[a + 3]!,
    m: ctl[a + 4]!,
    n: ctl[a + 5]!,
    k: ctl[a + 6]!,
    np: ctl[a + 7]!,
    chunks: ctl[a + 8]!,
    chunkCols: ctl[a + 9]!,
    scratch: ctl[a + 10]!,
    scratchBytes: ctl[a + 11]!,
    chunkRows: ctl[a + 12]!,
  };
}

/**
 * Serve jobs on a pool worker until the pool closes: announce readiness, then wait for each new
 * generation and claim its chunks. The loop of both worker files.
 *
 * The wait polls up to `spinMs` before sleeping, but only while jobs come that fast: after a job that
 * came later than that, the worker sleeps at once until one comes within `spinMs` again. On a machine
 * with more runnable threads than cores the caller's gaps between products stretch, and a worker that
 * kept spinning through them took the cores the caller needed: two threads ran slower than one.
 */
export function serveJobs(kernels: JobKernels, ctl: Int32Array, thread: number, spinMs: number): void {
  let seen = Atomics.load(ctl, CTL.generation);
  Atomics.add(ctl, CTL.ready, 1);
  Atomics.notify(ctl, CTL.ready);
  let spin = spinMs;
  for (;;) {
    const idle = performance.now();
    if (!(spin > 0 && pollFor(() => Atomics.load(ctl, CTL.generation) !== seen, spin)))
      Atomics.wait(ctl, CTL.generation, seen);
    spin = performance.now() - idle <= spinMs ? spinMs : 0;
    seen = Atomics.load(ctl, CTL.generation);
    if (Atomics.load(ctl, CTL.stop)) return;
    const job = readJob(ctl);
    workOnJob(ctl, seen, job.chunks, (i) => runChunk(kernels, job, i, thread));
  }
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not: it polls instead). */
function mayBlock(ctl: Int32Array): boolean {
  try {
    Atomics.wait(ctl, CTL.stop, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this runtime has the browser's Worker (Node has worker_threads instead). */
export function hasWebWorkers(): boolean {
  return typeof (globalThis as { Worker?: unknown }).Worker === "function";
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly workers: PoolWorker[] = [];
  private readonly canBlock: boolean;

  private constructor(ctl: Int32Array) {
    this.ctl = ctl;
    this.canBlock = mayBlock(ctl);
  }

  /** Workers besides the calling thread. */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Start `extra` workers over `memory` and wait (up to 10 s) until each has instantiated the kernels;
   * null where threads cannot be had (no worker_threads, no shared memory, a worker failed to start).
   */
  static start(module: WebAssembly.Module, memory: WebAssembly.Memory, extra: number): ThreadPool | null {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const wt = proc?.getBuiltinModule?.("node:worker_threads") as
      | typeof import("node:worker_threads")
      | undefined;
    if (!wt || !(memory.buffer instanceof SharedArrayBuffer) || extra < 1) return null;
    const pool = new ThreadPool(new Int32Array(new SharedArrayBuffer(CTL.size * 4)));
    try {
      for (let i = 0; i < extra; i++) {
        const workerData: WorkerStart = { module, memory, ctl: pool.ctl, thread: i + 1 };
        const w = new wt.Worker(new URL("./worker.js", import.meta.url), { workerData });
        w.unref();
        pool.workers.push(w);
      }
    } catch {
      pool.close();
      return null;
    }
    const deadline = Date.now() + 10_000;
    let ready: number;
    while ((ready = Atomics.load(pool.ctl, CTL.ready)) < extra && Date.now() < deadline)
      Atomics.wait(pool.ctl, CTL.ready, ready, 100);
    if (ready < extra) {
      pool.close();
      return null;
    }
    return pool;
  }

  /**
   * Start `extra` Web Workers over `memory` (a browser; the memory is shared only on a cross-origin
   * isolated page). Asynchronous because a browser starts a worker only while its parent's event loop
   * runs; resolves to null where a worker fails or none is ready within 10 s.
   */
  static async startWeb(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    extra: number,
  ): Promise<ThreadPool | null> {
    if (!hasWebWorkers() || !(memory.buffer instanceof SharedArrayBuffer) || extra < 1) return null;
    const pool = new ThreadPool(new Int32Array(new SharedArrayBuffer(CTL.size * 4)));
    const started: Promise<boolean>[] = [];
    try {
      for (let i = 0; i < extra; i++) {
        // Written out in full so that bundlers (Vite, webpack, esbuild's plugins) see and bundle the worker.
        const w = new Worker(new URL("./worker-web.js", import.meta.url), { type: "module" });
        pool.workers.push(w);
        started.push(
          new Promise((resolve) => {
            w.addEventListener("message", () => resolve(true), { once: true });
            w.addEventListener("error", () => resolve(false), { once: true });
            setTimeout(() => resolve(false), 10_000);
          }),
        );
        w.postMessage({ module, memory, ctl: pool.ctl, thread: i + 1 } satisfies WorkerStart);
      }
    } catch {
      pool.close();
      return null;
    }
    if ((await Promise.all(started)).every(Boolean)) return pool;
    pool.close();
    return null;
  }

  /** Run every chunk of `job` (the calling thread takes part, with `ex`) and return when all are done. */
  run(job: Job, ex: JobKernels): void {
    const ctl = this.ctl;
    if (job.chunks > MAX_CHUNKS)
      throw new Error(`wasm threads: ${job.chunks} chunks is more than ${MAX_CHUNKS}`);
    const gen = (Atomics.load(ctl, CTL.generation) + 1) | 0;
    writeJob(ctl, job);
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.claim, (gen & 0x7fff) << 16);
    Atomics.store(ctl, CTL.generation, gen);
    Atomics.notify(ctl, CTL.generation);
    workOnJob(ctl, gen, job.chunks, (i) => runChunk(ex, job, i, 0));
    // Only chunks a worker has already started remain: poll a while before sleeping on them.
    let done: number;
    pollFor(() => Atomics.load(ctl, CTL.done) >= job.chunks, 1);
    while ((done = Atomics.load(ctl, CTL.done)) < job.chunks)
      if (this.canBlock) Atomics.wait(ctl, CTL.done, done);
  }

  close(): void {
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.generation, 1);
    Atomics.notify(this.ctl, CTL.generation);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
