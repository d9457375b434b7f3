/**
 * Worker threads that share the kernels' memory and split a large matrix product into column chunks
 * (and an optimiser's large axpy or Adam step into ranges); the jobs themselves are in jobs.ts.
 * The caller blocks (Atomics.wait) while the workers compute, so the Backend interface stays
 * synchronous. Chunks are claimed dynamically from a shared counter, and the calling thread claims
 * too: on a loaded machine where a worker is not scheduled in time, the caller simply does more of
 * the chunks itself, and only ever waits for a chunk a worker has already started.
 *
 * Control words live in a small SharedArrayBuffer. The claim counter carries the job's generation in
 * its high bits, so a worker that wakes late (after its job is over) can never claim a chunk of the next
 * job with arguments it read for the previous one.
 */
import { CTL, type Job, type JobKernels, readJob, runChunk, writeJob } from "./jobs.js";

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

const MAX_CHUNKS = 0xffff;

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

  /**
   * Run every chunk of `job` (the calling thread takes part, with `ex`) and return when all are done.
   * `alongside`, when given, runs on the calling thread as soon as the job is published, while the
   * workers start on its chunks: serial work that would otherwise wait for the product.
   */
  run(job: Job, ex: JobKernels, alongside?: () => void): void {
    const ctl = this.ctl;
    if (job.chunks > MAX_CHUNKS)
      throw new Error(`wasm threads: ${job.chunks} chunks is more than ${MAX_CHUNKS}`);
    const gen = (Atomics.load(ctl, CTL.generation) + 1) | 0;
    writeJob(ctl, job);
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.claim, (gen & 0x7fff) << 16);
    Atomics.store(ctl, CTL.generation, gen);
    Atomics.notify(ctl, CTL.generation);
    alongside?.();
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
