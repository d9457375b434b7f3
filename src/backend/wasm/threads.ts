/**
 * Worker threads that share the kernels' memory and split a large matrix product by columns. The
 * caller blocks (Atomics.wait) while the workers compute, so the Backend interface stays synchronous.
 * Control words live in a small SharedArrayBuffer: a generation counter the workers wait on, a count
 * of finished shares the caller waits on, and the job's arguments.
 */
import type { Worker as NodeWorker } from "node:worker_threads";

/** Indexes of the control words. */
export const CTL = {
  generation: 0,
  done: 1,
  ready: 2,
  stop: 3,
  /** Job arguments: ap, b, transB, c, m, n, k; then per worker (j0, j1, scratch) from `shares`. */
  args: 8,
  shares: 16,
  size: 16 + 3 * 64,
} as const;

export interface GemmJob {
  ap: number;
  b: number;
  transB: boolean;
  c: number;
  m: number;
  n: number;
  k: number;
}

type Runner = (job: GemmJob, j0: number, j1: number, scratch: number) => void;

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
  static start(module: WebAssembly.Module, memory: WebAssembly.Memory, extra: number): ThreadPool | null {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const wt = proc?.getBuiltinModule?.("node:worker_threads") as typeof import("node:worker_threads") | undefined;
    if (!wt || !(memory.buffer instanceof SharedArrayBuffer) || extra < 1) return null;
    const pool = new ThreadPool(new Int32Array(new SharedArrayBuffer(CTL.size * 4)));
    for (let i = 0; i < extra; i++) {
      const w = new wt.Worker(new URL("./worker.js", import.meta.url), { workerData: { module, memory, ctl: pool.ctl, index: i } });
      w.unref();
      pool.workers.push(w);
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

  /**
   * Run the product's column ranges: `ranges[0]` on the calling thread (with `runHere`), the others on
   * workers, and return when all are done.
   */
  run(job: GemmJob, ranges: readonly [number, number, number][], runHere: Runner): void {
    const ctl = this.ctl;
    const a = CTL.args;
    ctl[a] = job.ap; ctl[a + 1] = job.b; ctl[a + 2] = job.transB ? 1 : 0; ctl[a + 3] = job.c;
    ctl[a + 4] = job.m; ctl[a + 5] = job.n; ctl[a + 6] = job.k;
    for (let w = 0; w < this.workers.length; w++) {
      const [j0, j1, scratch] = ranges[w + 1] ?? [0, 0, 0];
      ctl.set([j0, j1, scratch], CTL.shares + 3 * w);
    }
    Atomics.store(ctl, CTL.done, 0);
    Atomics.add(ctl, CTL.generation, 1);
    Atomics.notify(ctl, CTL.generation);
    runHere(job, ...ranges[0]);
    let done: number;
    while ((done = Atomics.load(ctl, CTL.done)) < this.workers.length) Atomics.wait(ctl, CTL.done, done);
  }

  close(): void {
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.generation, 1);
    Atomics.notify(this.ctl, CTL.generation);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
