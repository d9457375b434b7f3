/**
 * The worker behind `trainInWorker`: a browser's module Web Worker or Node's worker_threads. It takes
 * one job message, runs it (`runTrainingJob`) and posts its events, then the result or the error.
 */
import { runTrainingJob, type TrainingJob } from "./training-job.js";

/** A message from the worker: an event, the result, or the error that ended the job. */
export type WorkerMessage =
  | { type: "epoch"; event: unknown }
  | { type: "batch"; event: unknown }
  | { type: "done"; result: unknown }
  | { type: "error"; message: string; name: string };

type Port = {
  post(m: WorkerMessage, transfer?: ArrayBuffer[]): void;
  listen(f: (job: TrainingJob) => void): void;
};

function parentPort(): Port {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.("node:worker_threads") as
    | typeof import("node:worker_threads")
    | undefined;
  if (wt?.parentPort) {
    const port = wt.parentPort;
    return { post: (m, t) => port.postMessage(m, t), listen: (f) => port.once("message", f) };
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown, transfer?: Transferable[]): void;
    addEventListener(t: "message", f: (e: MessageEvent<TrainingJob>) => void, o: { once: boolean }): void;
  };
  return {
    post: (m, t) => scope.postMessage(m, t ?? []),
    listen: (f) => scope.addEventListener("message", (e) => f(e.data), { once: true }),
  };
}

const port = parentPort();
port.listen((job) => {
  runTrainingJob(job, {
    onEpoch: (event) => port.post({ type: "epoch", event }),
    onBatch: (event) => port.post({ type: "batch", event }),
  }).then(
    (result) => port.post({ type: "done", result }, [result.model.buffer as ArrayBuffer]),
    (err: unknown) =>
      port.post({
        type: "error",
        message: err instanceof Error ? err.message : String(err),
        name: err instanceof Error ? err.name : "Error",
      }),
  );
});
