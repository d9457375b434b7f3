/**
 * Training off the calling thread: `trainInWorker` posts a job (plain data) to a fresh worker — a
 * module Web Worker in a browser, worker_threads in Node — streams its epoch and batch events back,
 * and resolves with the trained model file. A page that trains this way never freezes.
 */
import { HomeostatError } from "../tensor/errors.js";
import type { EpochEvent } from "../train/events.js";
import type { HealthEvent } from "../health/index.js";
import type { JobEvents, TrainingJob, TrainingJobResult } from "./training-job.js";
import type { TrainMessage } from "./train-worker.js";
import { openWorker } from "./worker-channel.js";

/** Callbacks for the events a worker streams back, and a signal that stops it. */
export interface WorkerTrainingOptions extends JobEvents {
  /** Aborting terminates the worker and rejects the promise. */
  signal?: AbortSignal;
}

/**
 * Train a model in a worker: the job (model, data, a run config's training keys, backend, threads) is plain data;
 * `onEpoch`, `onBatch` and `onHealth` hear the run as it goes; the promise resolves with the trained model file
 * (optimiser state included, so a later job continues where this one stopped), the epochs and the
 * backend used. Works in a browser (a module Web Worker; wasm threads where the page is cross-origin
 * isolated) and in Node (worker_threads). The data is copied to the worker, not moved.
 *
 * @example
 * const { model, epochs } = await trainInWorker(
 *   {
 *     model: { inputDim: 2, layers: [{ type: "dense", units: 1 }], seed: 1 },
 *     data: { x: new Float32Array([0, 1, 1, 0]), y: new Float32Array([1, 0]), rows: 2 },
 *     optimizer: { type: "adam", lr: 0.01 },
 *     loss: "mse",
 *     epochs: 5,
 *     batchSize: 2,
 *     schedule: { type: "cosine", warmupSteps: 2, totalSteps: 10 },
 *     health: { monitor: true, repair: true },
 *     homeostasis: [{ type: "redo" }],
 *     backend: "wasm",
 *     threads: 2,
 *   },
 *   { onEpoch: (e) => console.log(e.epoch, e.train.loss), onHealth: (e) => console.log(e.diagnosis) },
 * );
 * const trained = decodeModel(model).model;
 */
export function trainInWorker(
  job: TrainingJob,
  options: WorkerTrainingOptions = {},
): Promise<TrainingJobResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new HomeostatError("trainInWorker: aborted"));
      return;
    }
    const worker = openWorker("trainInWorker");
    const stop = (): void => {
      worker.terminate();
      reject(new HomeostatError("trainInWorker: aborted"));
    };
    options.signal?.addEventListener("abort", stop, { once: true });
    const finish = (): void => {
      options.signal?.removeEventListener("abort", stop);
      worker.terminate();
    };
    worker.onMessage((message) => {
      const m = message as TrainMessage;
      if (m.type === "epoch") options.onEpoch?.(m.event as EpochEvent);
      else if (m.type === "batch")
        options.onBatch?.(m.event as Parameters<NonNullable<JobEvents["onBatch"]>>[0]);
      else if (m.type === "health") options.onHealth?.(m.event as HealthEvent);
      else if (m.type === "done") {
        finish();
        resolve(m.result as TrainingJobResult);
      } else {
        finish();
        reject(new HomeostatError(`trainInWorker: ${m.name}: ${m.message}`));
      }
    });
    worker.onFailure((message) => {
      finish();
      reject(new HomeostatError(`trainInWorker: ${message}`));
    });
    worker.post({ kind: "train", job });
  });
}
