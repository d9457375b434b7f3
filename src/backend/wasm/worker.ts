/**
 * A worker of the wasm backend's thread pool: instantiates the kernels over the shared memory, then
 * waits for each new job and claims column chunks of it until none are left.
 */
import { workerData } from "node:worker_threads";
import { CTL, type GemmJob, readJob, workOnJob } from "./threads.js";
import { instantiate } from "./loader.js";

const { module, memory, ctl, thread, tileCols } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctl: Int32Array; thread: number; tileCols: number };
const kernels = instantiate(module, memory);
const run = (j: GemmJob, j0: number, j1: number, scratch: number): void =>
  kernels.gemmColumns(j.ap, j.b, j.transB ? 1 : 0, j.c, j.m, j.n, j.k, j0, j1, scratch);
let seen = Atomics.load(ctl, CTL.generation);
Atomics.add(ctl, CTL.ready, 1);
Atomics.notify(ctl, CTL.ready);

/**
 * How long a worker keeps polling for the next job before it sleeps. A training step issues its large
 * products a few hundred microseconds apart; waking a sleeping worker (a futex) takes tens of
 * microseconds, a large share of a product that itself takes a few hundred. Polling costs nothing while
 * the caller is busy elsewhere on another core, and a worker idle for longer sleeps as before.
 */
const SPIN_MS = 2;

/** Poll the generation word until it changes or SPIN_MS have passed; true when a new job came. */
function spinForJob(): boolean {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; ; i++) {
    if (Atomics.load(ctl, CTL.generation) !== seen) return true;
    if ((i & 255) === 0 && performance.now() > until) return false;
  }
}

for (;;) {
  if (!spinForJob()) Atomics.wait(ctl, CTL.generation, seen);
  seen = Atomics.load(ctl, CTL.generation);
  if (Atomics.load(ctl, CTL.stop)) break;
  const job = readJob(ctl);
  workOnJob(ctl, seen, job, Math.ceil(job.n / tileCols) * tileCols, thread, run);
}
