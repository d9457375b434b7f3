/**
 * A worker of the wasm backend's thread pool in Node (worker_threads): instantiates the kernels over the
 * shared memory, then serves jobs (a product's column chunks, or an axpy's ranges) until the pool closes.
 */
import { workerData } from "node:worker_threads";
import { serveJobs, type WorkerStart } from "./threads.js";
import { instantiate } from "./loader.js";

/**
 * How long a worker keeps polling for the next job before it sleeps: about what waking it costs (tens
 * of microseconds), since polling longer saves no more than that and, on a machine with more runnable
 * threads than cores, takes time the caller needs (2 ms made two threads slower than one there).
 */
const SPIN_MS = 0.05;

const { module, memory, ctl, thread } = workerData as WorkerStart;
serveJobs(instantiate(module, memory), ctl, thread, SPIN_MS);
