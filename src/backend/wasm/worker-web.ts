/**
 * A worker of the wasm backend's thread pool in a browser (a module Web Worker): waits for its start
 * message (the kernels' module, the shared memory, the control words), answers it once the kernels are
 * instantiated, then serves jobs like Node's worker (worker.ts) until the pool closes.
 */
import { serveJobs, type WorkerStart } from "./threads.js";
import { instantiate } from "./loader.js";

/** As worker.ts's SPIN_MS: poll this long for the next job before sleeping. */
const SPIN_MS = 0.05;

const scope = globalThis as unknown as {
  addEventListener(type: "message", f: (e: MessageEvent<WorkerStart>) => void, o: { once: boolean }): void;
  postMessage(message: unknown): void;
};
scope.addEventListener(
  "message",
  (e) => {
    const { module, memory, ctl, thread } = e.data;
    const kernels = instantiate(module, memory);
    scope.postMessage("ready");
    serveJobs(kernels, ctl, thread, SPIN_MS);
  },
  { once: true },
);
