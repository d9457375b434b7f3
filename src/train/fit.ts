import { lossByName } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { checkData, type LabeledData, rowSlice } from "./evaluate.js";
import type { FitOptions, FitResult } from "./options.js";
import { TrainingRun } from "./run.js";

export type { FitOptions, FitResult, TrainingState } from "./options.js";

/**
 * Train `model` on `data` by minibatch gradient descent. Observers receive every batch and epoch.
 *
 * @example
 * const history = fit(model, { x, y }, { epochs: 5, batchSize: 32, optimizer: adam({ lr: 1e-3 }),
 *   loss: "crossEntropy", metrics: ["accuracy"], seed: 1 });
 */
export function fit(model: Sequential, data: LabeledData, opts: FitOptions): FitResult {
  const steps = fitSteps(model, data, opts);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * `fit`, one optimiser step at a time: each `next()` trains one batch (the first also runs the observers'
 * `onTrainBegin`, and the one after an epoch's last batch ends that epoch first) and yields the step count;
 * the `next()` after the last batch ends the run and returns fit's result. The same weights as `fit` bit
 * for bit, whatever runs between the steps: a program can turn its event loop, interleave two runs or
 * stop between any two steps. The times fit reports leave out the time spent between the steps.
 *
 * @example
 * for (const step of fitSteps(model, data, opts)) if (step % 100 === 0) await new Promise(setImmediate);
 */
export function* fitSteps(
  model: Sequential,
  data: LabeledData,
  opts: FitOptions,
): Generator<number, FitResult, void> {
  checkOptions(model, data, opts);
  const loss = typeof opts.loss === "string" ? lossByName(opts.loss) : opts.loss;
  const { train, validation } = splitValidation(data, opts.validationSplit, opts.validationData);
  const rng = new Rng(opts.seed ?? 0);
  const rngs = { shuffle: rng.fork("shuffle"), dropout: rng.fork("dropout"), augment: rng.fork("augment") };
  const run = new TrainingRun(model, train, loss, opts, rngs);
  // Stryker disable next-line ArrayDeclaration: an observer without hooks changes nothing
  const observers = opts.observers ?? [];
  const started = performance.now();
  let pausedFor = 0;
  for (const o of observers) o.onTrainBegin?.(run.control);
  for (; run.epoch < opts.epochs && run.stopReason === undefined; run.epoch++, run.batchIndex = 0) {
    let epochStart = performance.now();
    run.beginEpoch();
    for (; run.batchIndex < run.stepsPerEpoch && run.stopReason === undefined; run.batchIndex++) {
      run.trainBatch();
      // The time the caller spends between two steps is not the run's.
      const paused = performance.now();
      yield run.step;
      const away = performance.now() - paused;
      epochStart += away;
      pausedFor += away;
    }
    run.endEpoch(validation, epochStart);
  }
  if (opts.checkpoint && run.stopReason === undefined) opts.checkpoint.save(run.snapshot(0));
  const history: FitResult = {
    epochs: run.epochs,
    steps: run.step,
    stopReason: run.stopReason,
    failed: run.failed,
    samplesPerSecond: run.trainSeconds > 0 ? run.samples / run.trainSeconds : 0,
    seconds: (performance.now() - started - pausedFor) / 1000,
    optimizerState: run.optState,
  };
  for (const o of observers) o.onTrainEnd?.(history, run.control);
  return history;
}

function checkOptions(model: Sequential, data: LabeledData, opts: FitOptions): void {
  checkData(model, data);
  if (model.dtype !== "float32")
    throw new ConfigError("fit: training runs in float32; build the model with dtype float32", {
      field: "dtype",
    });
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0)
    throw new ConfigError(`epochs: expected a non-negative integer, got ${opts.epochs}`, { field: "epochs" });
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
    throw new ConfigError(`batchSize: expected a positive integer, got ${opts.batchSize}`, {
      field: "batchSize",
    });
}

/** The last `split` of the rows (before shuffling, as Keras does) held out for validation. */
function splitValidation(
  data: LabeledData,
  split: number | undefined,
  validationData: LabeledData | undefined,
): { train: LabeledData; validation: LabeledData | undefined } {
  if (split === undefined || !(split > 0)) return { train: data, validation: validationData };
  if (!(split < 1))
    throw new ConfigError(`validationSplit: expected a fraction in [0, 1), got ${split}`, {
      field: "validationSplit",
    });
  const n = data.x.shape[0];
  const cut = n - Math.round(n * split);
  if (cut < 1 || cut >= n)
    throw new ConfigError(`validationSplit ${split} leaves no rows for training or validation (n = ${n})`, {
      field: "validationSplit",
    });
  return {
    train: { x: rowSlice(data.x, 0, cut), y: rowSlice(data.y, 0, cut) },
    validation: { x: rowSlice(data.x, cut, n), y: rowSlice(data.y, cut, n) },
  };
}
