/**
 * A worker of the wasm backend's thread pool: instantiates the kernels over the shared memory, then
 * waits for each new job and claims column chunks of it until none are left.
 */
import { workerData } from "node:worker_threads";
import { CTL, type GemmJob, pollFor, readJob, workOnJob } from "./threads.js";
import { instantiate } from "./loader.js";

const { module, memory, ctl, thread, tileCols } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctl: Int32Array; thread: number; tileCols: number };
const kernels = instantiate(module, memory);
const run = (j: GemmJob, j0: number, j1: number, scratch: number): void =>
  kernels.gemmColumns(j.ap, j.b, j.transB ? 1 : 0, j.c, j.m, j.n, j.k, j0, j1, scratch);
let seen = Atomics.load(ctl, CTL.generation);
Atomics.add(ctl, CTL.ready, 1);
Atomics.notify(ctl, CTL.ready);

/**
 * How long a worker keeps polling for the next job before it sleeps: a training step issues its large
 * products a few hundred microseconds apart, and a worker idle for longer sleeps as before.
 */
const SPIN_MS = 2;

for (;;) {
  if (!pollFor(() => Atomics.load(ctl, CTL.generation) !== seen, SPIN_MS)) Atomics.wait(ctl, CTL.generation, seen);
  seen = Atomics.load(ctl, CTL.generation);
  if (Atomics.load(ctl, CTL.stop)) break;
  const job = readJob(ctl);
  workOnJob(ctl, seen, job, Math.ceil(job.n / tileCols) * tileCols, thread, run);
}
