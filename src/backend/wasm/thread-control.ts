/**
 * How many threads the wasm backend's products use, and why: the requested count, the pool that serves
 * it (Node's worker_threads, started synchronously at the first large product; a browser's Web Workers,
 * started asynchronously then or at `ready()`, the products staying on the calling thread until they
 * are ready) and the
 * reason when there is only one. Split work gives the same bits as one thread, so when the pool joins
 * changes the speed, not the result.
 */
import type { LoadedKernels } from "./loader.js";
import { ThreadPool, hasWebWorkers } from "./threads.js";

export class ThreadControl {
  private pool: ThreadPool | null = null;
  private starting: Promise<void> | null = null;
  private failed = false;
  private requested = 1;
  /** Where workers come from here: Node's worker_threads, Web Workers, or nowhere. */
  private readonly where: "node" | "web" | "none";

  constructor(private readonly kernels: LoadedKernels) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    this.where = proc?.getBuiltinModule?.("node:worker_threads") ? "node" : hasWebWorkers() ? "web" : "none";
  }

  /** Threads asked for; a pool of another size is replaced (one thread leaves the workers asleep). */
  set(n: number): number {
    const want = Math.max(1, Math.floor(n));
    if (want !== this.requested) {
      if (want > 1 && this.pool && this.pool.size !== want - 1) {
        this.pool.close();
        this.pool = null;
      }
      this.failed = false;
      this.requested = want;
    }
    return this.count;
  }

  /** Threads a large product uses now. */
  get count(): number {
    if (!this.kernels.shared || this.failed || this.requested === 1) return 1;
    if (this.where === "web") return this.pool ? this.pool.size + 1 : 1;
    return this.where === "node" ? this.requested : 1;
  }

  /** Why `count` is what it is, in a phrase (for `backend().info()`). */
  get reason(): string {
    if (this.requested === 1) return "one thread asked for";
    if (!this.kernels.shared) {
      const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
      return isolated === false
        ? "no shared memory: the page is not cross-origin isolated (serve it with COOP/COEP headers)"
        : "no shared memory in this runtime";
    }
    if (this.where === "none") return "no worker threads in this runtime";
    if (this.failed) return "the worker threads failed to start";
    if (this.where === "web" && !this.pool)
      return "Web Workers not running yet: they start at the first large product, or at threadsReady()";
    return this.where === "web" ? "Web Workers over shared memory" : "worker_threads over shared memory";
  }

  /**
   * The pool for a large product, or null (one thread). Node's starts here; a browser's starts here in
   * the background (or at `ready()`), and the products before it is ready stay on the calling thread.
   */
  workers(): ThreadPool | null {
    if (this.where === "web" && !this.pool && this.requested > 1) void this.startWeb();
    if (this.count <= 1) return null;
    if (!this.pool && !this.failed && this.where === "node") {
      this.pool = ThreadPool.start(this.kernels.module, this.kernels.memory, this.requested - 1);
      this.failed = this.pool === null;
    }
    return this.pool;
  }

  /** Resolves, with the count in force, once the requested workers have started (or failed to). */
  async ready(): Promise<number> {
    if (this.where === "web") await this.startWeb();
    else this.workers();
    return this.count;
  }

  private startWeb(): Promise<void> {
    if (this.pool?.size === this.requested - 1 || this.failed || this.requested === 1 || !this.kernels.shared)
      return Promise.resolve();
    if (this.starting) return this.starting.then(() => this.startWeb());
    const want = this.requested;
    this.starting = ThreadPool.startWeb(this.kernels.module, this.kernels.memory, want - 1).then((pool) => {
      this.starting = null;
      if (want !== this.requested) pool?.close();
      else {
        this.pool = pool;
        this.failed = pool === null;
      }
    });
    return this.starting;
  }
}
