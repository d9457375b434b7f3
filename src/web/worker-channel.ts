/**
 * Both ends of the library's worker (train-worker.ts), the same in a browser (a module Web Worker) and
 * in Node (worker_threads): the caller's `openWorker`, the worker's `parentPort`.
 */
import { HomeostatError } from "../tensor/errors.js";

/** The caller's end: post messages, hear them, hear a failure, stop the worker. */
export interface Channel {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(f: (m: unknown) => void): void;
  onFailure(f: (message: string) => void): void;
  terminate(): void;
}

/** The worker's end. */
export interface Port {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  listen(f: (message: unknown) => void): void;
}

function workerThreads(): typeof import("node:worker_threads") | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.("node:worker_threads") as typeof import("node:worker_threads") | undefined;
}

/** A fresh library worker: Node's worker_threads where the runtime has them, else a module Web Worker. */
export function openWorker(what: string): Channel {
  const wt = workerThreads();
  if (wt) {
    const w = new wt.Worker(new URL("./train-worker.js", import.meta.url));
    return {
      post: (m, t) => w.postMessage(m, t),
      onMessage: (f) => w.on("message", f),
      onFailure: (f) => w.on("error", (e) => f(e.message)),
      terminate: () => void w.terminate(),
    };
  }
  if (typeof Worker !== "function") throw new HomeostatError(`${what}: this runtime has no workers`);
  // Written out in full so that bundlers (Vite, webpack) see and bundle the worker.
  const w = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
  return {
    post: (m, t) => w.postMessage(m, t ?? []),
    onMessage: (f) => w.addEventListener("message", (e: MessageEvent) => f(e.data)),
    onFailure: (f) => w.addEventListener("error", (e) => f(e.message || "the worker failed to load")),
    terminate: () => w.terminate(),
  };
}

/** Inside the worker: the port to the caller. */
export function parentPort(): Port {
  const port = workerThreads()?.parentPort;
  if (port) return { post: (m, t) => port.postMessage(m, t), listen: (f) => port.on("message", f) };
  const scope = globalThis as unknown as {
    postMessage(m: unknown, transfer?: Transferable[]): void;
    addEventListener(t: "message", f: (e: MessageEvent) => void): void;
  };
  return {
    post: (m, t) => scope.postMessage(m, t ?? []),
    listen: (f) => scope.addEventListener("message", (e) => f(e.data)),
  };
}

/** An error as a message can carry it (its class name and text). */
export function errorMessage(err: unknown): { name: string; message: string } {
  return {
    name: err instanceof Error ? err.name : "Error",
    message: err instanceof Error ? err.message : String(err),
  };
}
