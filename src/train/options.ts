import type { BatchTransform } from "../data/transforms.js";
import type { Loss, LossName } from "../losses/losses.js";
import type { Optimizer } from "../optim/optimizers.js";
import type { ReduceOnPlateau, Schedule } from "../optim/schedules.js";
import type { Rng } from "../tensor/rng.js";
import type { LabeledData, MetricName } from "./evaluate.js";
import type { EpochEvent, History, Observer } from "./events.js";

/**
 * Options of `fit`: epochs, batch size, optimiser and loss are required; the rest (schedule, validation,
 * metrics, observers, clipping, checkpoints, seed) have defaults.
 *
 * @example
 * const options: FitOptions = { epochs: 10, batchSize: 32, optimizer: adam({ lr: 1e-3 }), loss: "crossEntropy", seed: 1 };
 * fit(model, data, options);
 */
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

/** What `fit` returns: the history, and the optimiser state to save beside the model. */
export interface FitResult extends History {
  /** The optimiser state after the last step (save it with the model to continue training later). */
  optimizerState: unknown;
}
