/**
 * A learner that lives in a worker: the page (or Node's main thread) posts rows and gets promises of
 * predictions back, so learning never blocks it; its vitals stream back as it learns.
 */
import { HomeostatError } from "../tensor/errors.js";
import type { Label, LearnerConfig, LearnerVitals, Prediction, Row } from "../learner/index.js";
import type { LearnerCall, LearnerMessage, LearnerStart } from "./learner-server.js";
import { openWorker } from "./worker-channel.js";

/** Where the worker's learner runs, and the vitals it streams. */
export interface WorkerLearnerOptions {
  /** `"auto"` (default: wasm where it loads), `"wasm"` or `"js"`. */
  backend?: string;
  threads?: number;
  /** Hear the learner's vitals every `vitalsEvery` labelled rows. */
  vitalsEvery?: number;
  onVitals?(vitals: LearnerVitals): void;
}

/** A learner in a worker: `Learner`'s calls, each answered by a promise, in the order made. */
export interface WorkerLearner {
  observe(x: Row, y: Label): Promise<Prediction>;
  /** Many labelled rows in one message (cheaper than one `observe` each); the predictions made before each was learned. */
  observeMany(xs: readonly Row[], ys: readonly Label[]): Promise<Prediction[]>;
  predict(x: Row): Promise<Prediction>;
  vitals(): Promise<LearnerVitals>;
  /** The learner's bytes (`Learner.fromBytes` or `learnerInWorker` take them back). */
  toBytes(): Promise<Uint8Array>;
  /** Stop the worker; calls still waiting reject. */
  close(): void;
}

/**
 * Start a learner in a worker (a module Web Worker in a browser, worker_threads in Node), from a config
 * or from a learner's bytes. Resolves once it is ready; a bad config rejects here, with its message.
 *
 * @example
 * const remote = await learnerInWorker({ task: "classification", seed: 1 }, {
 *   vitalsEvery: 100,
 *   onVitals: (v) => console.log(v.prequential.accuracy),
 * });
 * await remote.observe([0.2, 0.7], "cat");
 * const again = Learner.fromBytes(await remote.toBytes());
 * remote.close();
 */
export function learnerInWorker(
  learner: LearnerConfig | Uint8Array,
  options: WorkerLearnerOptions = {},
): Promise<WorkerLearner> {
  const worker = openWorker("learnerInWorker");
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let closed = false;
  const failAll = (err: Error): void => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const close = (): void => {
    closed = true;
    worker.terminate();
    failAll(new HomeostatError("learnerInWorker: closed"));
  };
  const call = (method: LearnerCall["method"], ...args: unknown[]): Promise<never> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new HomeostatError("learnerInWorker: closed"));
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.post({ id, method, args } satisfies LearnerCall);
    });
  const remote: WorkerLearner = {
    observe: (x, y) => call("observe", x, y),
    observeMany: (xs, ys) => call("observeMany", xs, ys),
    predict: (x) => call("predict", x),
    vitals: () => call("vitals"),
    toBytes: () => call("toBytes"),
    close,
  };
  return new Promise((resolve, reject) => {
    worker.onMessage((message) => {
      const m = message as LearnerMessage;
      if (m.type === "ready") resolve(remote);
      else if (m.type === "vitals") options.onVitals?.(m.vitals as LearnerVitals);
      else if (m.id === 0) {
        close();
        reject(new HomeostatError(`learnerInWorker: ${m.error!.name}: ${m.error!.message}`));
      } else {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new HomeostatError(`learnerInWorker: ${m.error.name}: ${m.error.message}`));
        else w?.resolve(m.result);
      }
    });
    worker.onFailure((message) => {
      const err = new HomeostatError(`learnerInWorker: ${message}`);
      close();
      failAll(err);
      reject(err);
    });
    const { onVitals: _, ...rest } = options;
    worker.post({ kind: "learner", learner, ...rest } satisfies { kind: "learner" } & LearnerStart);
  });
}
