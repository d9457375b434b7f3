/**
 * A worker of the wasm backend's thread pool in Node (worker_threads): instantiates the kernels over the
 * shared memory, then serves jobs (a product's column chunks, or an axpy's ranges) until the pool closes.
 */
import { workerData } from "node:worker_threads";
import { serveJobs, type WorkerStart } from "./threads.js";
import { instantiate } from "./loader.js";

/**
 * How long a worker keeps polling for the next job before it sleeps: a training step issues its large
 * products a few hundred microseconds apart, and a worker idle for longer sleeps as before.
 */
const SPIN_MS = 2;

const { module, memory, ctl, thread } = workerData as WorkerStart;
serveJobs(instantiate(module, memory), ctl, thread, SPIN_MS);
