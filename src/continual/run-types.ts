/**
 * The shapes of a continual run: its config, hooks and checkpoint state going in, and what one strategy's
 * run and the whole comparison give back.
 */
import type { Dataset } from "../data/dataset.js";
import type { LayerBalance } from "../homeostasis/balance.js";
import type { RegulatorChoice } from "../homeostasis/config.js";
import type { Sequential } from "../nn/sequential.js";
import type { Optimizer } from "../optim/optimizers.js";
import type { Rng } from "../tensor/rng.js";
import type { Observer } from "../train/events.js";
import type { TrainingState } from "../train/fit.js";
import type { ContinualMeasures } from "./measures.js";
import type { StrategyChoice } from "./strategies/index.js";
import type { Strategy } from "./strategy.js";
import type { Scenario, StreamKind } from "./streams.js";

/**
 * A continual run, checked: the stream, the strategy, the network and how each task is trained
 * (`parseContinualConfig` builds one from a run config's JSON).
 */
export interface ContinualConfig {
  stream: StreamKind;
  scenario: Scenario;
  tasks: number;
  /** No task boundaries announced: one pass of `fit` over the tasks' rows in order (see runTaskFree). */
  taskFree: boolean;
  /** A built-in strategy by name, or a factory of a user's own. */
  strategy: StrategyChoice | (() => Strategy);
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  /** Hidden layers in run-config form; an output layer (softmax, as wide as the stream needs) is appended. */
  layers: readonly unknown[];
  seed: number;
  keepOptimizerState: boolean;
  /** Homeostatic regulators acting on every task's training (the same instances all along the stream). */
  homeostasis: readonly RegulatorChoice[];
  /**
   * The plasticity protocol: record each task's online accuracy (on each batch before its update, the
   * first pass) and the balance measures on `probeRows` rows of each task before it is trained, and skip
   * the accuracy matrix R (150 × 150 evaluations are not needed to see plasticity).
   */
  online: boolean;
  probeRows: number;
  /** Also train the joint model, for intransigence (Chaudhry et al. 2018) and as the upper bound. */
  compareJoint: boolean;
  /** Measure on the test split, or on a validation split cut from the end of the training split (for tuning). */
  evaluateOn: "test" | "validation";
  validationFraction: number;
  /** Caps on rows per task (quick runs, tests). */
  trainPerTask?: number;
  testPerTask?: number;
  /** The classification data set (default: the bundled digits, 8,000 / 2,000). */
  data?: { train: Dataset; test: Dataset };
}

/** One strategy's run over the stream: its accuracy matrix R, chance baselines b and times. */
export interface StreamRun {
  strategy: string;
  R: number[][];
  b: number[];
  /** With `online`: each task's online accuracy, and the balance measures before each task and after the last. */
  online?: OnlineRecord;
  /** Training time, strategy hooks included, evaluation excluded. */
  wallSeconds: number;
  evalSeconds: number;
}

/** What `runContinual` returns: the accuracy matrix R, the measures read off it, and the run's times. */
export interface ContinualResult extends ContinualMeasures {
  strategy: string;
  stream: StreamKind;
  scenario: Scenario;
  taskFree: boolean;
  taskNames: string[];
  R: number[][];
  b: number[];
  wallSeconds: number;
  evalSeconds: number;
  /** The joint reference run, when `compareJoint` (the strategy's own run when it is joint). */
  joint?: { R: number[][]; ACC: number; wallSeconds: number };
  /** With `online`: online accuracy per task and balance measures (the R-based measures are then NaN). */
  online?: OnlineRecord;
}

/** The plasticity protocol's record: online accuracy per task and the balance measures before each task. */
export interface OnlineRecord {
  accuracy: number[];
  balance: LayerBalance[][];
  /** Regulators' own counts (units recycled or replaced), by regulator. */
  regulators: Record<string, number>;
}

/** Hooks into a continual run: progress, checkpoints, resuming, extra observers. */
export interface ContinualHooks {
  /** After each task, with R's rows so far. */
  onTaskEnd?(i: number, R: number[][]): void;
  /** With `online`: the record so far, before `onTaskEnd` of each task. */
  onOnline?(record: OnlineRecord): void;
  /** Write a checkpoint every `every` optimiser steps within a task and at the end of each task. */
  checkpoint?: { every: number; save(state: ContinualState, model: Sequential): void };
  /** Continue a run from a checkpoint's state; `model` must hold that checkpoint's weights. */
  resume?: { state: ContinualState; model: Sequential };
  /** Observers of every task's training (a recorder, say); those with a `stateKey` travel in checkpoints. */
  observers?: readonly Observer[];
}

/**
 * A continual run's checkpoint: where in the stream it is, what it measured, the strategy's state and,
 * within a task, the training loop's own state. Plain data and typed arrays.
 */
export interface ContinualState {
  kind: "continual";
  /** Optimiser steps over the whole stream (names the checkpoint file). */
  step: number;
  /** Tasks fully trained (and measured). */
  task: number;
  R: number[][];
  b: number[];
  rng: ReturnType<Rng["getState"]>;
  /** Carried from task to task when `keepOptimizerState`. */
  optimizerState: unknown;
  strategy: unknown;
  /** The interrupted task's training state; null at a task boundary. */
  fit: TrainingState | null;
  /** The homeostatic regulators' state, by their stateKey. */
  regulators: Record<string, unknown>;
  /** The hooks' observers' state, by their stateKey (absent in checkpoints written before there were any). */
  observers?: Record<string, unknown>;
  online: OnlineRecord | null;
  wallSeconds: number;
  evalSeconds: number;
}

/** What running one strategy over a stream reads from the config. */
export type RunSettings = Pick<
  ContinualConfig,
  "layers" | "seed" | "epochs" | "batchSize" | "optimizer" | "keepOptimizerState" | "taskFree"
> &
  Partial<Pick<ContinualConfig, "homeostasis" | "online" | "probeRows">>;
