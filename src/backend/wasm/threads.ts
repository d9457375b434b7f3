/**
 * Worker threads that share the kernels' memory and split a large matrix product into column chunks.
 * The caller blocks (Atomics.wait) while the workers compute, so the Backend interface stays
 * synchronous. Chunks are claimed dynamically from a shared counter, and the calling thread claims
 * too: on a loaded machine where a worker is not scheduled in time, the caller simply does more of
 * the chunks itself, and only ever waits for a chunk a worker has already started.
 *
 * Control words live in a small SharedArrayBuffer. The claim counter carries the job's generation in
 * its high bits, so a worker that wakes late (after its job is over) can never claim a chunk of the next
 * job with arguments it read for the previous one.
 */
import type { Worker as NodeWorker } from "node:worker_threads";

/** Indexes of the control words. */
export const CTL = {
  generation: 0,
  /** (generation & 0x7fff) << 16 | next chunk index. */
  claim: 1,
  /** Chunks finished in the current job. */
  done: 2,
  ready: 3,
  stop: 4,
  /** Job arguments: ap, b, transB, c, m, n, k, chunks, chunkCols, scratch, scratchBytes. */
  args: 8,
  size: 24,
} as const;

export interface GemmJob {
  ap: number;
  b: number;
  transB: boolean;
  c: number;
  m: number;
  n: number;
  k: number;
  /** Column chunks and their width (a multiple of the tile width); the last may be narrower. */
  chunks: number;
  chunkCols: number;
  /** Thread t packs B in scratch + t·scratchBytes. */
  scratch: number;
  scratchBytes: number;
}

/** The kernel call that computes columns j0..j1 with a given scratch block. */
export type ColumnRunner = (job: GemmJob, j0: number, j1: number, scratch: number) => void;

const MAX_CHUNKS = 0xffff;

/** Claim and compute chunks of the job of generation `gen` until none are left; shared by caller and workers. */
export function workOnJob(ctl: Int32Array, gen: number, job: GemmJob, np: number, thread: number, run: ColumnRunner): void {
  const tag = (gen & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctl, CTL.claim);
    if ((v & ~0xffff) !== tag || (v & 0xffff) >= job.chunks) return;
    if (Atomics.compareExchange(ctl, CTL.claim, v, v + 1) !== v) continue;
    const j0 = (v & 0xffff) * job.chunkCols;
    run(job, j0, Math.min(np, j0 + job.chunkCols), job.scratch + thread * job.scratchBytes);
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

export function readJob(ctl: Int32Array): GemmJob {
  const a = CTL.args;
  return {
    ap: ctl[a], b: ctl[a + 1], transB: ctl[a + 2] !== 0, c: ctl[a + 3], m: ctl[a + 4], n: ctl[a + 5], k: ctl[a + 6],
    chunks: ctl[a + 7], chunkCols: ctl[a + 8], scratch: ctl[a + 9], scratchBytes: ctl[a + 10],
  };
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly workers: NodeWorker[] = [];

  private constructor(ctl: Int32Array) {
    this.ctl = ctl;
  }

  /** Workers besides the calling thread. */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Start `extra` workers over `memory` and wait (up to 10 s) until each has instantiated the kernels;
   * null where threads cannot be had (no worker_threads, no shared memory, a worker failed to start).
   */
  static start(module: WebAssembly.Module, memory: WebAssembly.Memory, extra: number, tileCols: number): ThreadPool | null {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const wt = proc?.getBuiltinModule?.("node:worker_threads") as typeof import("node:worker_threads") | undefined;
    if (!wt || !(memory.buffer instanceof SharedArrayBuffer) || extra < 1) return null;
    const pool = new ThreadPool(new Int32Array(new SharedArrayBuffer(CTL.size * 4)));
    try {
      for (let i = 0; i < extra; i++) {
        const w = new wt.Worker(new URL("./worker.js", import.meta.url), { workerData: { module, memory, ctl: pool.ctl, thread: i + 1, tileCols } });
        w.unref();
        pool.workers.push(w);
      }
    } catch {
      pool.close();
      return null;
    }
    const deadline = Date.now() + 10_000;
    let ready: number;
    while ((ready = Atomics.load(pool.ctl, CTL.ready)) < extra && Date.now() < deadline) Atomics.wait(pool.ctl, CTL.ready, ready, 100);
    if (ready < extra) {
      pool.close();
      return null;
    }
    return pool;
  }

  /** Run every chunk of `job` (the calling thread takes part) and return when all are done. */
  run(job: GemmJob, np: number, runHere: ColumnRunner): void {
    const ctl = this.ctl;
    if (job.chunks > MAX_CHUNKS) throw new Error(`wasm threads: ${job.chunks} chunks is more than ${MAX_CHUNKS}`);
    const gen = (Atomics.load(ctl, CTL.generation) + 1) | 0;
    ctl.set([job.ap, job.b, job.transB ? 1 : 0, job.c, job.m, job.n, job.k, job.chunks, job.chunkCols, job.scratch, job.scratchBytes], CTL.args);
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.claim, (gen & 0x7fff) << 16);
    Atomics.store(ctl, CTL.generation, gen);
    Atomics.notify(ctl, CTL.generation);
    workOnJob(ctl, gen, job, np, 0, runHere);
    // Only chunks a worker has already started remain: poll a while before sleeping on them.
    let done: number;
    pollFor(() => Atomics.load(ctl, CTL.done) >= job.chunks, 1);
    while ((done = Atomics.load(ctl, CTL.done)) < job.chunks) Atomics.wait(ctl, CTL.done, done);
  }

  close(): void {
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.generation, 1);
    Atomics.notify(this.ctl, CTL.generation);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
