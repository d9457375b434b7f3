import { grad } from "../autograd/backward.js";
import { backend } from "../backend/index.js";
import { type Loss, lossByName, type LossName } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import { applyUpdates } from "../optim/transform.js";
import { clipGradNorm, clipGradValue } from "../optim/clip.js";
import type { Optimizer } from "../optim/optimizers.js";
import type { ReduceOnPlateau, Schedule } from "../optim/schedules.js";
import { ConfigError } from "../tensor/errors.js";
import type { BatchTransform } from "../data/transforms.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";
import {
  checkData,
  evaluate,
  type LabeledData,
  lossAndOutput,
  MetricAccumulator,
  type MetricName,
  rowSlice,
} from "./evaluate.js";
import type {
  Batch,
  BatchEvent,
  EpochEvent,
  History,
  LayerActivation,
  Observer,
  TrainingControl,
} from "./events.js";
import type { ForwardContext } from "../nn/layer.js";
import { add } from "../autograd/ops.js";

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  loss: Loss | LossName;
  /** Seeds shuffling and dropout. The same seed, model and data give bit-identical weights. */
  seed?: number;
  /** Multiplier of the base learning rate by position (step decay, cosine, …). */
  schedule?: Schedule;
  /** Multiplier driven by the validation (or training) loss at each epoch's end. */
  plateau?: ReduceOnPlateau;
  /** Gradient clipping: by global norm (PyTorch clip_grad_norm_) and/or by value, applied in that order. */
  clip?: { norm?: number; value?: number };
  /** Hold out the last fraction of rows (before shuffling, as Keras does) for validation. */
  validationSplit?: number;
  validationData?: LabeledData;
  /** Shuffle the training rows at each epoch (seeded). Default true. */
  shuffle?: boolean;
  metrics?: readonly MetricName[];
  observers?: readonly Observer[];
  /** Changes each gathered training batch in place (data augmentation), from its own seeded stream. */
  augment?: BatchTransform;
  /** Optimiser state to continue from (for example one saved with a model); a fresh one otherwise. */
  optimizerState?: unknown;
  /**
   * Hand a snapshot of the training state to `save` every `every` optimiser steps and at the end. The
   * snapshot shares the optimiser's live buffers: `save` must serialise (or copy) it before returning.
   */
  checkpoint?: { every: number; save(state: TrainingState): void };
  /** Continue exactly where a checkpointed run stopped; the model must hold that checkpoint's weights. */
  resume?: TrainingState;
}

/**
 * Everything besides the weights that decides how training continues: positions, random streams,
 * the epoch's data order, optimiser and schedule state, observers' state. Plain data (numbers, arrays,
 * typed arrays), so a checkpoint can store it and a resumed run ends with bit-identical weights.
 */
export interface TrainingState {
  step: number;
  epoch: number;
  /** Next batch of `epoch` to train (equal to the batches per epoch when only the epoch's end is left). */
  batchIndex: number;
  order: Int32Array;
  rngs: { shuffle: RngState; dropout: RngState; augment: RngState };
  optimizerState: unknown;
  plateau: unknown;
  plateauFactor: number;
  lrScale: number;
  /**
   * The rate of the last step taken, which the epoch's event reports: a run resumed at an epoch's end
   * takes no step before it. Absent in checkpoints written before it was kept.
   */
  lr?: number;
  clipNorm: number | null;
  accumulator: unknown;
  epochs: EpochEvent[];
  observers: Record<string, unknown>;
  trainSeconds: number;
  samples: number;
}

type RngState = ReturnType<Rng["getState"]>;

export interface FitResult extends History {
  /** The optimiser state after the last step (save it with the model to continue training later). */
  optimizerState: unknown;
}

/**
 * Train `model` on `data` by minibatch gradient descent. Observers receive every batch and epoch.
 *
 * @example
 * const history = fit(model, { x, y }, { epochs: 5, batchSize: 32, optimizer: adam({ lr: 1e-3 }),
 *   loss: "crossEntropy", metrics: ["accuracy"], seed: 1 });
 */
export function fit(model: Sequential, data: LabeledData, opts: FitOptions): FitResult {
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
  const loss = typeof opts.loss === "string" ? lossByName(opts.loss) : opts.loss;
  const metrics = opts.metrics ?? [];
  const observers = opts.observers ?? [];

  let train = data;
  let validation = opts.validationData;
  if (opts.validationSplit !== undefined && opts.validationSplit > 0) {
    if (!(opts.validationSplit < 1))
      throw new ConfigError(`validationSplit: expected a fraction in [0, 1), got ${opts.validationSplit}`, {
        field: "validationSplit",
      });
    const n = data.x.shape[0];
    const cut = n - Math.round(n * opts.validationSplit);
    if (cut < 1 || cut >= n)
      throw new ConfigError(
        `validationSplit ${opts.validationSplit} leaves no rows for training or validation (n = ${n})`,
        { field: "validationSplit" },
      );
    train = { x: rowSlice(data.x, 0, cut), y: rowSlice(data.y, 0, cut) };
    validation = { x: rowSlice(data.x, cut, n), y: rowSlice(data.y, cut, n) };
  }

  const rng = new Rng(opts.seed ?? 0);
  const shuffleRng = rng.fork("shuffle");
  const dropoutRng = rng.fork("dropout");
  const augmentRng = rng.fork("augment");
  const params = model.parameters();
  const paramData = params.map(([, t]) => t.data as Float32Array);
  let optState = opts.resume?.optimizerState ?? opts.optimizerState ?? opts.optimizer.init(paramData);

  let stopReason: string | undefined;
  let failed: string | undefined;
  let lrScale = 1;
  let step = opts.resume?.step ?? 0;
  let clipNorm = opts.resume ? opts.resume.clipNorm : (opts.clip?.norm ?? null);
  const control: TrainingControl = {
    model,
    parameters: params,
    stop: (reason) => {
      stopReason ??= reason;
    },
    fail: (reason) => {
      failed ??= reason;
      stopReason ??= reason;
    },
    get step() {
      return step;
    },
    scaleLearningRate: (f) => {
      lrScale *= f;
    },
    get learningRateScale() {
      return lrScale;
    },
    setClipNorm: (n) => {
      clipNorm = n;
    },
    getOptimizerState: () => optState,
    setOptimizerState: (s) => {
      optState = s;
    },
  };

  const n = train.x.shape[0];
  const inDim = train.x.shape[1];
  const outDim = train.y.shape[1];
  const stepsPerEpoch = Math.ceil(n / opts.batchSize);
  const order = new Int32Array(n).map((_, i) => i);
  const gradMap = new Map<string, Float32Array>();
  const epochs: EpochEvent[] = opts.resume ? [...opts.resume.epochs] : [];
  const liveGrads = new Map<string, Float32Array>();
  // Each parameter's update buffer in the backend's memory (wasm), kept there across calls of fit.
  const kernels = backend();
  const updateBuffers = params.map(([, t]) => kernels.bufferFor?.(t, t.size) ?? null);
  const lossTermObservers = observers.filter((o) => o.lossTerm);
  const paramTensors = params.map(([, t]) => t);
  let plateauFactor = 1;
  let trainSeconds = 0;
  let samples = 0;
  let acc = new MetricAccumulator(metrics);
  let epoch = 0;
  let b = 0;
  const r = opts.resume;
  let lr = r?.lr ?? 0;
  if (r) {
    if (r.order.length !== n)
      throw new ConfigError(
        `resume: the checkpoint was taken on ${r.order.length} training rows, this data has ${n}`,
        { field: "resume" },
      );
    epoch = r.epoch;
    b = r.batchIndex;
    order.set(r.order);
    shuffleRng.setState(r.rngs.shuffle);
    dropoutRng.setState(r.rngs.dropout);
    augmentRng.setState(r.rngs.augment);
    if (opts.plateau && r.plateau)
      opts.plateau.setState(r.plateau as ReturnType<ReduceOnPlateau["getState"]>);
    plateauFactor = r.plateauFactor;
    lrScale = r.lrScale;
    acc.setState(r.accumulator);
    trainSeconds = r.trainSeconds;
    samples = r.samples;
    for (const o of observers)
      if (o.stateKey && o.setState && o.stateKey in r.observers) o.setState(r.observers[o.stateKey]);
  }
  const snapshot = (batchIndex: number): TrainingState => ({
    step,
    epoch,
    batchIndex,
    order: order.slice(),
    rngs: { shuffle: shuffleRng.getState(), dropout: dropoutRng.getState(), augment: augmentRng.getState() },
    optimizerState: optState,
    plateau: opts.plateau?.getState() ?? null,
    plateauFactor,
    lrScale,
    lr,
    clipNorm,
    accumulator: acc.getState(),
    epochs: [...epochs],
    trainSeconds,
    samples,
    observers: Object.fromEntries(
      observers.filter((o) => o.stateKey && o.getState).map((o) => [o.stateKey!, o.getState!()]),
    ),
  });
  const started = performance.now();
  for (const o of observers) o.onTrainBegin?.(control);

  for (; epoch < opts.epochs && stopReason === undefined; epoch++, b = 0) {
    const epochStart = performance.now();
    // A run resumed mid-epoch continues with that epoch's order and metric sums.
    if (!(r && epoch === r.epoch)) {
      if (opts.shuffle ?? true) shuffleRng.shuffle(order);
      acc = new MetricAccumulator(metrics);
    }
    for (; b < stepsPerEpoch && stopReason === undefined; b++) {
      const start = b * opts.batchSize;
      const rows = Math.min(opts.batchSize, n - start);
      const xb = gatherRows(train.x, order, start, rows, inDim);
      const yb = gatherRows(train.y, order, start, rows, outDim);
      if (opts.augment) opts.augment(xb.data as Float32Array, rows, inDim, augmentRng);
      let batch: Batch = { x: xb, y: yb };
      for (const o of observers) batch = o.transformBatch?.(batch, control) ?? batch;
      // Asked at every step, so an observer can take activations on some steps only (they cost a few % per step).
      const activations = observers.some((o) => o.wantsActivations)
        ? new Map<string, LayerActivation>()
        : undefined;
      const ctx: ForwardContext = { training: true, rng: dropoutRng };
      if (activations)
        ctx.onActivation = (layer, out, pre) =>
          activations.set(layer, { output: out.detach(), preActivation: pre?.detach() ?? null });
      const { loss: dataLoss, output, logits } = lossAndOutput(model, loss, batch.x, batch.y, ctx);
      let total = dataLoss;
      let penalty = 0;
      for (const o of lossTermObservers) {
        const term = o.lossTerm!({ batch, logits, parameters: params, step, epoch }, control);
        if (term) {
          penalty += term.item();
          total = add(total, term);
        }
      }
      const grads = grad(total, paramTensors, undefined, updateBuffers).map((g) => g.data as Float32Array);
      if (observers.length > 0) {
        params.forEach(([name], i) => liveGrads.set(name, grads[i]));
        for (const o of observers) o.onGradients?.(liveGrads, control);
      }
      if (clipNorm !== null) clipGradNorm(grads, clipNorm);
      if (opts.clip?.value !== undefined) clipGradValue(grads, opts.clip.value);
      const lossValue = dataLoss.item();
      acc.add(lossValue, output, batch.y);

      const scheduled = opts.schedule ? opts.schedule({ step, epoch, stepsPerEpoch }) : 1;
      lr = opts.optimizer.lr * scheduled * plateauFactor * lrScale;
      if (observers.length > 0) {
        // Observers see the gradients; the optimiser is about to turn these arrays into updates.
        params.forEach(([name], i) => {
          let copy = gradMap.get(name);
          if (!copy || copy.length !== grads[i].length)
            gradMap.set(name, (copy = new Float32Array(grads[i].length)));
          copy.set(grads[i]);
        });
      }
      const updates = toUpdates(grads, updateBuffers);
      if (opts.optimizer.step) opts.optimizer.step(paramData, updates, optState, lr);
      else {
        opts.optimizer.update(updates, optState, paramData, lr);
        applyUpdates(paramData, updates);
      }
      step++;
      samples += rows;
      const event: BatchEvent = {
        step,
        epoch,
        batchIndex: b,
        batchSize: batch.x.shape[0],
        partial: rows < Math.min(opts.batchSize, n),
        loss: lossValue,
        penalty,
        lr,
        grads: gradMap,
        activations,
        batch,
      };
      for (const o of observers) o.onBatchEnd?.(event, control);
      if (opts.checkpoint && step % opts.checkpoint.every === 0) opts.checkpoint.save(snapshot(b + 1));
    }
    trainSeconds += (performance.now() - epochStart) / 1000;
    const trainMetrics = acc.result();
    const valMetrics = validation ? evaluate(model, validation, { loss, metrics }) : undefined;
    if (opts.plateau) plateauFactor = opts.plateau.step(valMetrics?.loss ?? trainMetrics.loss);
    const event: EpochEvent = {
      epoch,
      train: trainMetrics,
      validation: valMetrics,
      lr,
      steps: step,
      seconds: (performance.now() - epochStart) / 1000,
    };
    epochs.push(event);
    for (const o of observers) o.onEpochEnd?.(event, control);
  }

  if (opts.checkpoint && stopReason === undefined) opts.checkpoint.save(snapshot(0));
  const history: FitResult = {
    epochs,
    steps: step,
    stopReason,
    failed,
    samplesPerSecond: trainSeconds > 0 ? samples / trainSeconds : 0,
    seconds: (performance.now() - started) / 1000,
    optimizerState: optState,
  };
  for (const o of observers) o.onTrainEnd?.(history, control);
  return history;
}

/** Copy rows order[start .. start+rows) of a matrix into a new [rows, cols] tensor. */
function gatherRows(t: Tensor, order: Int32Array, start: number, rows: number, cols: number): Tensor {
  const out = new Float32Array(rows * cols);
  const src = t.data;
  for (let r = 0; r < rows; r++) {
    const from = order[start + r] * cols;
    out.set(src.subarray(from, from + cols), r * cols);
  }
  return new Tensor(out, [rows, cols]);
}

/**
 * The arrays the optimiser turns into updates: each parameter's buffer in the backend's memory where it
 * has one (backward wrote the weight gradients there already), so that the optimiser's loops and
 * `p -= u` run in place on resident parameters; else the gradients themselves.
 */
function toUpdates(grads: Float32Array[], buffers: readonly (Float32Array | null)[]): Float32Array[] {
  return grads.map((g, i) => {
    const u = buffers[i];
    if (!u) return g;
    if (u !== g) u.set(g);
    return u;
  });
}
