/**
 * A worker of the wasm backend's thread pool: instantiates the kernels over the shared memory, then
 * waits for each new job (a product's column chunks, or an axpy's ranges) and claims chunks until none are left.
 */
import { workerData } from "node:worker_threads";
import { CTL, pollFor, readJob, runChunk, workOnJob } from "./threads.js";
import { instantiate } from "./loader.js";

const { module, memory, ctl, thread } = workerData as {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: Int32Array;
  thread: number;
};
const kernels = instantiate(module, memory);
let seen = Atomics.load(ctl, CTL.generation);
Atomics.add(ctl, CTL.ready, 1);
Atomics.notify(ctl, CTL.ready);

/**
 * How long a worker keeps polling for the next job before it sleeps: a training step issues its large
 * products a few hundred microseconds apart, and a worker idle for longer sleeps as before.
 */
const SPIN_MS = 2;

for (;;) {
  if (!pollFor(() => Atomics.load(ctl, CTL.generation) !== seen, SPIN_MS))
    Atomics.wait(ctl, CTL.generation, seen);
  seen = Atomics.load(ctl, CTL.generation);
  if (Atomics.load(ctl, CTL.stop)) break;
  const job = readJob(ctl);
  workOnJob(ctl, seen, job.chunks, (i) => runChunk(kernels, job, i, thread));
}
