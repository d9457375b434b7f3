import type { Sequential } from "../nn/sequential.js";
import type { Tensor } from "../tensor/tensor.js";

/** What a training step hands its observers once the parameters have been updated. */
export interface BatchEvent {
  /** Optimiser steps taken so far, this one included (1-based). */
  step: number;
  /** 0-based epoch and batch within it. */
  epoch: number;
  batchIndex: number;
  batchSize: number;
  /**
   * True on an epoch's short last batch (the training rows are not a multiple of the batch size): its
   * per-unit statistics rest on a few rows, so observers that sample them wait for a full batch.
   */
  partial: boolean;
  /** Mean loss of this batch, before the update. */
  loss: number;
  /** Learning rate used for this step. */
  lr: number;
  /**
   * Each parameter's gradient for this batch (after clipping), by stable name. Valid during the call only;
   * empty on a step where every observer declined them (`wantsGradients`).
   */
  grads: ReadonlyMap<string, Float32Array | Float64Array>;
  /** The sum of observers' extra loss terms (EWC, LwF, …) on this batch, 0 when there are none. */
  penalty: number;
  /** Each layer's output (and pre-activation, for layers with a nonlinearity) on this batch, by layer name ("0", "1", …); present when an observer sets `wantsActivations`. */
  activations?: ReadonlyMap<string, LayerActivation>;
  /**
   * The batch the step trained on (after augmentation and `transformBatch`). The rows `fit` gathers are
   * written into the same arrays every step: copy what you keep.
   */
  batch: Batch;
}

/** One layer's output on a batch, and its pre-activation where the layer has one. */
export interface LayerActivation {
  output: Tensor;
  preActivation: Tensor | null;
}

/** A minibatch: inputs [rows, features] and targets [rows, outputs]. */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

/** What a `lossTerm` hook may build its term from. */
export interface LossContext {
  batch: Batch;
  /** The model's output before its final nonlinearity, on this batch (part of the graph: differentiable). */
  logits: Tensor;
  /** Parameters by stable name (differentiable). */
  parameters: readonly [string, Tensor][];
  step: number;
  epoch: number;
}

/** The loss and the metrics asked for, over an epoch or a data set. */
export interface Metrics {
  loss: number;
  accuracy?: number;
  mse?: number;
  mae?: number;
}

/**
 * What `onEpochEnd` hears: the epoch's training and validation metrics, the learning rate, the steps so far.
 */
export interface EpochEvent {
  epoch: number;
  /** Training loss and metrics, averaged over the epoch's batches (weighted by batch size). */
  train: Metrics;
  /** Validation metrics, when there is validation data. */
  validation?: Metrics;
  lr: number;
  steps: number;
  seconds: number;
}

/**
 * The capabilities the loop hands its observers. Health monitors, homeostatic regulators and
 * continual-learning strategies act only through these, never through the loop's internals.
 */
export interface TrainingControl {
  readonly model: Sequential;
  /** Parameters by stable name; their `data` may be changed in place (re-initialising units, rollback). */
  readonly parameters: readonly [string, Tensor][];
  /** Stop after the current step; `reason` ends up in the history. */
  stop(reason: string): void;
  /** Stop after the current step because training failed beyond repair (the CLI exits with code 1). */
  fail(reason: string): void;
  /** Step counter: optimiser steps taken so far. */
  readonly step: number;
  /** Multiply every future learning rate by `factor` (repairs, plateau schedules). */
  scaleLearningRate(factor: number): void;
  /** The factor accumulated by `scaleLearningRate`. */
  readonly learningRateScale: number;
  /** Turn on (or change) global-norm gradient clipping. */
  setClipNorm(maxNorm: number | null): void;
  /** The optimiser's `type` ("sgd", "adam", …; a custom optimiser's own), where the loop knows it. */
  readonly optimizerType?: string;
  /** The optimiser's state (plain object: step count and moment buffers) for snapshots. */
  getOptimizerState(): unknown;
  setOptimizerState(state: unknown): void;
}

/**
 * An observer subscribes to training events. Each hook is optional; `fit` calls them in the order the
 * observers were given.
 *
 * @example
 * const printer: Observer = { onEpochEnd: (e) => console.log(e.epoch, e.train.loss) };
 */
export interface Observer {
  /** A stable name under which a checkpoint keeps this observer's state (with `getState`/`setState`). */
  readonly stateKey?: string;
  /** Plain data (numbers, arrays, typed arrays) that restores this observer exactly. */
  getState?(): unknown;
  setState?(state: unknown): void;
  /**
   * Set to receive each layer's output in `BatchEvent.activations`. Read before every step, so a getter may
   * ask for some steps only. `"outputs"`: outputs only, no pre-activations, so that the step's layers and
   * activations still run fused (when no other observer asks for more).
   */
  readonly wantsActivations?: boolean | "outputs";
  /**
   * False: this observer reads `BatchEvent.activations` inside its hooks only and keeps no array of them.
   * When every observer that asks says so, `fit` copies the activations into arrays it reuses from step to
   * step instead of new ones (each new one a C-heap allocation whose release can cost page faults later).
   * Unset: the arrays are the observer's to keep.
   */
  readonly keepsActivations?: boolean;
  onTrainBegin?(control: TrainingControl): void;
  /**
   * Replace the batch before the forward pass (experience replay mixes stored samples in). The arrays of
   * the batch `fit` hands in are reused by the next step: copy the rows you keep.
   */
  transformBatch?(batch: Batch, control: TrainingControl): Batch | undefined;
  /** A scalar added to this batch's loss (EWC, SI, MAS, LwF, L2-Init penalties), or null for none. */
  lossTerm?(ctx: LossContext, control: TrainingControl): Tensor | null;
  /** Read or change the gradients in place before clipping and the optimiser (A-GEM projection, repairs). */
  onGradients?(grads: ReadonlyMap<string, Float32Array>, control: TrainingControl): void;
  /**
   * Whether this step's `onGradients` reads or changes the gradients' values; absent means yes. An
   * observer whose hook only looks at the weights says no, so the optimiser may take dense layers'
   * weight gradients as factors (see `DeferredGradient`) and never write them.
   */
  readsGradients?(): boolean;
  /**
   * Whether this step's `BatchEvent.grads` is needed, asked once the batch's loss is known; absent means yes.
   * Copying every gradient costs a few % of a step, so a monitor that reads them at some steps only says so.
   */
  wantsGradients?(loss: number): boolean;
  onBatchEnd?(event: BatchEvent, control: TrainingControl): void;
  onEpochEnd?(event: EpochEvent, control: TrainingControl): void;
  onTrainEnd?(history: History, control: TrainingControl): void;
}

/** What training did: every epoch's metrics, the steps, and why it stopped early if it did. */
export interface History {
  epochs: EpochEvent[];
  steps: number;
  /** Why training stopped early, if it did. */
  stopReason?: string;
  /** Set when an observer declared the run failed beyond repair (`control.fail`). */
  failed?: string;
  /** Samples processed per second of training (validation excluded). */
  samplesPerSecond: number;
  seconds: number;
}

/** Whether some observer that asks for this step's activations may keep them (`keepsActivations` not false). */
export function activationsKept(observers: readonly Observer[]): boolean {
  return observers.some((o) => o.wantsActivations && o.keepsActivations !== false);
}

/** What the observers ask of a step's activations: all (true), outputs only, or nothing (false). */
export function activationsAsked(observers: readonly Observer[]): boolean | "outputs" {
  let asked: boolean | "outputs" = false;
  for (const o of observers) {
    const wants = o.wantsActivations;
    if (wants === true) return true;
    if (wants) asked = wants;
  }
  return asked;
}
