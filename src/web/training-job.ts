/**
 * One training job as plain, structured-cloneable data — what `trainInWorker` posts to its worker —
 * and the function that runs it. The worker calls `runTrainingJob`; a caller may call it in-process
 * too (the same bits: it is the same code over the same backend).
 */
import { loadWasmBackend, threadsReady, useBackend, backend } from "../backend/index.js";
import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { ConfigError } from "../tensor/errors.js";
import { Sequential } from "../nn/sequential.js";
import type { LossName } from "../losses/losses.js";
import { optimizerFromConfig } from "../optim/optimizers.js";
import { fit } from "../train/fit.js";
import type { EpochEvent } from "../train/events.js";
import { decodeModel, encodeModel } from "../io/model.js";

/** A training job: the model, the data and `fit`'s options, all plain data. */
export interface TrainingJob {
  /**
   * A model file's bytes (`encodeModel`, or a previous job's `model`): training continues from its
   * weights and, where it holds one, its optimiser state. Or an architecture, built with `seed`.
   */
  model: Uint8Array | { inputDim: number; layers: unknown[]; seed?: number };
  /** Rows of `x` and `y`, row-major; the widths are their lengths over `rows`. */
  data: { x: Float32Array; y: Float32Array; rows: number };
  /** An optimiser config, as a run config's `optimizer` (`{ type: "adam", lr: 1e-3 }`); ignored when the model file holds one. */
  optimizer?: Record<string, unknown>;
  loss: LossName;
  epochs: number;
  batchSize: number;
  seed?: number;
  validationSplit?: number;
  /** `"auto"` (default: wasm where it loads), `"wasm"` or `"js"`. */
  backend?: string;
  /** Threads for the wasm backend's large products (default 1). */
  threads?: number;
  /** Report a batch event every this many steps (default: none). */
  batchEvery?: number;
}

/** A batch event as a worker streams it. */
export interface WorkerBatchEvent {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

/** The backend a job ran on, and its threads (with why, as `backend().info()` says). */
export interface JobBackend {
  name: string;
  variant: string | null;
  threads: number;
  threadsReason: string;
}

/** What a job hands back: the trained model file (with its optimiser state), the epochs, the backend. */
export interface TrainingJobResult {
  model: Uint8Array;
  epochs: EpochEvent[];
  backend: JobBackend;
  /** Seconds inside `fit`. */
  seconds: number;
}

/** What a job's run reports as it goes. */
export interface JobEvents {
  onEpoch?(event: EpochEvent): void;
  onBatch?(event: WorkerBatchEvent): void;
}

/** Choose the job's backend (fetching the kernels where the runtime could not read them) and wait for its threads. */
async function prepareBackend(job: TrainingJob): Promise<JobBackend> {
  const name = job.backend ?? "auto";
  if (name !== "js") await loadWasmBackend();
  const b = useBackend(name, { threads: job.threads ?? 1 });
  const threads = await threadsReady();
  const info = (b as { info?: () => { variant: string; threadsReason: string } }).info?.();
  return {
    name: backend().name,
    variant: info?.variant ?? null,
    threads,
    threadsReason: info?.threadsReason ?? "no threads on this backend",
  };
}

/**
 * Run `job` here: build or decode the model, train it with `fit`, and return its model file. It makes
 * the job's backend the active one (`useBackend`), as it would in a worker; switch back after if needed.
 *
 * @example
 * const { model } = await runTrainingJob({
 *   model: { inputDim: 2, layers: [{ type: "dense", units: 1 }], seed: 1 },
 *   data: { x: new Float32Array([0, 1, 1, 0]), y: new Float32Array([1, 0]), rows: 2 },
 *   optimizer: { type: "sgd", lr: 0.1 },
 *   loss: "mse",
 *   epochs: 2,
 *   batchSize: 2,
 * });
 */
export async function runTrainingJob(job: TrainingJob, events: JobEvents = {}): Promise<TrainingJobResult> {
  const used = await prepareBackend(job);
  const { rows, x, y } = job.data;
  if (!(rows > 0) || x.length % rows !== 0 || y.length % rows !== 0)
    throw new ConfigError(`data: x (${x.length}) and y (${y.length}) must hold ${rows} whole rows`, {
      field: "data",
    });
  let model: Sequential;
  let saved: { type: string; lr: number; options: Record<string, unknown>; state: unknown } | undefined;
  if (job.model instanceof Uint8Array) {
    const loaded = decodeModel(job.model);
    model = loaded.model;
    saved = loaded.optimizer;
  } else {
    model = Sequential.fromLayerConfigs(job.model.layers).build(
      job.model.inputDim,
      new Rng(job.model.seed ?? 0),
    );
  }
  const optimizerConfig = saved ? { type: saved.type, lr: saved.lr, ...saved.options } : job.optimizer;
  if (!optimizerConfig)
    throw new ConfigError("optimizer: required for a model without one", { field: "optimizer" });
  const optimizer = optimizerFromConfig(optimizerConfig);
  const every = job.batchEvery ?? 0;
  const result = fit(
    model,
    { x: new Tensor(x, [rows, x.length / rows]), y: new Tensor(y, [rows, y.length / rows]) },
    {
      epochs: job.epochs,
      batchSize: job.batchSize,
      optimizer,
      optimizerState: saved?.state,
      loss: job.loss,
      seed: job.seed,
      validationSplit: job.validationSplit,
      observers: [
        {
          onBatchEnd: (e) => {
            if (every > 0 && e.step % every === 0)
              events.onBatch?.({ step: e.step, epoch: e.epoch, loss: e.loss, lr: e.lr });
          },
          onEpochEnd: (e) => events.onEpoch?.(e),
        },
      ],
    },
  );
  const { type, lr, options } = optimizer;
  const bytes = encodeModel(model, {
    loss: job.loss,
    optimizer: { type, lr, options, state: result.optimizerState },
  });
  return { model: bytes, epochs: result.epochs, backend: used, seconds: result.seconds };
}
