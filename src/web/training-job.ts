/**
 * One training job as plain, structured-cloneable data — what `trainInWorker` posts to its worker —
 * and the function that runs it. The worker calls `runTrainingJob`; a caller may call it in-process
 * too (the same bits: it is the same code over the same backend).
 */
import { loadWasmBackend, threadsReady, useBackend, backend } from "../backend/index.js";
import { Tensor } from "../tensor/tensor.js";
import { type LossName, losses } from "../losses/losses.js";
import { fit } from "../train/fit.js";
import type { EpochEvent } from "../train/events.js";
import { checkBeforeTraining, type HealthEvent } from "../health/index.js";
import { encodeModel } from "../io/model.js";
import { runObservers, sectionFitOptions } from "../run/observers.js";
import { readJob, type TrainingJob } from "./job-config.js";

export type { TrainingJob } from "./job-config.js";

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
  /** The health monitor's events (the checks before training included) and the vitals loop's. */
  health: HealthEvent[];
  /** Why training stopped early (early stopping, the monitor), if it did. */
  stopReason?: string;
  /** Set when training failed beyond repair; the model file then holds the weights as they were. */
  failed?: string;
}

/** What a job's run reports as it goes. */
export interface JobEvents {
  onEpoch?(event: EpochEvent): void;
  onBatch?(event: WorkerBatchEvent): void;
  /** A health event, as it happens. */
  onHealth?(event: HealthEvent): void;
}

/** Choose the job's backend (fetching the kernels where the runtime could not read them) and wait for its threads. */
async function prepareBackend(name: string, threads: number): Promise<JobBackend> {
  if (name !== "js") await loadWasmBackend();
  const b = useBackend(name, { threads });
  const running = await threadsReady();
  const info = (b as { info?: () => { variant: string; threadsReason: string } }).info?.();
  return {
    name: backend().name,
    variant: info?.variant ?? null,
    threads: running,
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
  const read = readJob(job);
  const used = await prepareBackend(read.sections.backend, read.sections.threads ?? 1);
  const { sections, model, rows, batchEvery: every } = read;
  const { x, y } = job.data;
  const data = { x: new Tensor(x, [rows, x.length / rows]), y: new Tensor(y, [rows, y.length / rows]) };
  const loss = losses.create(sections.lossChoice, undefined, "loss");
  // The task as the loss implies it: the CLI reads it from the data, which here are only numbers.
  const classification = sections.loss === "crossEntropy" || sections.loss === "binaryCrossEntropy";
  const health: HealthEvent[] = [];
  const onEvent = (e: HealthEvent): void => {
    health.push(e);
    events.onHealth?.(e);
  };
  if (sections.health.monitor && read.optimizerState === undefined) {
    const task = classification ? ("classification" as const) : ("regression" as const);
    const shape = { x, y, n: rows, inputDim: model.inputDim, outputDim: model.outputDim, task };
    for (const e of checkBeforeTraining(shape, model, sections.loss as LossName)) onEvent(e);
  }
  const streamed = {
    onBatchEnd: (e: { step: number; epoch: number; loss: number; lr: number }) => {
      if (every > 0 && e.step % every === 0)
        events.onBatch?.({ step: e.step, epoch: e.epoch, loss: e.loss, lr: e.lr });
    },
    onEpochEnd: (e: EpochEvent) => events.onEpoch?.(e),
  };
  const { observers } = runObservers(sections, onEvent, [streamed]);
  const result = fit(model, data, {
    ...sectionFitOptions(sections, read.optimizer),
    loss,
    optimizerState: read.optimizerState,
    validationSplit: read.validationSplit,
    metrics: classification ? ["accuracy"] : ["mse", "mae"],
    observers,
  });
  const { type, lr, options } = read.optimizer;
  const bytes = encodeModel(model, {
    loss: sections.loss,
    optimizer: { type, lr, options, state: result.optimizerState },
  });
  const { epochs, seconds, stopReason, failed } = result;
  return { model: bytes, epochs, backend: used, seconds, health, stopReason, failed };
}
