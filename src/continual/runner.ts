/**
 * Runs a strategy over a task stream: train task after task with `fit` (the strategy's observer added),
 * fill the accuracy matrix after each task, and compute the measures. The model is built fresh from
 * the config's seed, so every strategy of a comparison starts from the same weights (and the same b).
 *
 * Optimiser state: by default each task starts a fresh optimiser (Adam's moments and step count reset
 * at each boundary, as when a deployed model is retrained on new data); `keepOptimizerState` carries
 * it over instead.
 */
import { loadBundledMnist } from "../data/mnist.js";
import { type Dataset, validationSplit } from "../data/dataset.js";
import { layerFromConfig, Sequential } from "../nn/sequential.js";
import { Dense } from "../nn/layers.js";
import type { Optimizer } from "../optim/optimizers.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import type { LabeledData } from "../train/evaluate.js";
import type { Observer } from "../train/events.js";
import { fit, type TrainingState } from "../train/fit.js";
import { balanceMeasures, type LayerBalance } from "../homeostasis/balance.js";
import { createRegulator, type RegulatorChoice } from "../homeostasis/config.js";
import { rowSlice } from "../train/evaluate.js";
import { headAccuracy, headLoss } from "./heads.js";
import { type ContinualMeasures, continualMeasures } from "./measures.js";
import { concatData, gather, type Strategy, type TaskContext } from "./strategy.js";
import { createStrategy, joint, type StrategyChoice } from "./strategies/index.js";
import { makeStream, type Scenario, type StreamKind, type Task, type TaskStream } from "./streams.js";

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

const NO_MEASURES: ContinualMeasures = {
  ACC: NaN,
  BWT: NaN,
  FWT: NaN,
  forgetting: {
    maxOverEarlier: NaN,
    justTrainedMinusLast: NaN,
    perTaskMaxOverEarlier: [],
    perTaskJustTrainedMinusLast: [],
  },
  intransigence: null,
  perTaskIntransigence: null,
};

export interface OnlineRecord {
  accuracy: number[];
  balance: LayerBalance[][];
  /** Regulators' own counts (units recycled or replaced), by regulator. */
  regulators: Record<string, number>;
}

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

/**
 * Build the streams the config describes, run its strategy (and the joint reference), and measure.
 *
 * @example
 * const cfg = parseContinualConfig({ stream: "split", scenario: "class", tasks: 5, epochs: 10,
 *   strategy: { type: "replay", bufferSize: 500 } });
 * const result = runContinual(cfg, { onTaskEnd: (i, R) => console.log(i, R[i]) });
 * console.log(formatAccuracyMatrix(result.R, result.taskNames), result.ACC, result.BWT);
 */
export function runContinual(cfg: ContinualConfig, hooks: ContinualHooks = {}): ContinualResult {
  const { train, test } = continualStreams(cfg);
  const strategy = typeof cfg.strategy === "function" ? cfg.strategy() : createStrategy(cfg.strategy);
  const run = runStrategy(strategy, train, test, cfg, hooks);
  let jointRun: StreamRun | undefined;
  // The joint reference is a second, short-lived run: not checkpointed, rerun whole after a resume.
  if (strategy.name === "joint") jointRun = run;
  else if (cfg.compareJoint && !cfg.taskFree && !cfg.online)
    jointRun = runStrategy(joint(), train, test, cfg);
  const measures = cfg.online ? NO_MEASURES : continualMeasures(run.R, run.b, jointRun?.R);
  return {
    strategy: strategy.name,
    stream: cfg.stream,
    scenario: cfg.scenario,
    taskFree: cfg.taskFree,
    taskNames: train.tasks.map((t) => t.name),
    ...measures,
    R: run.R,
    b: run.b,
    wallSeconds: run.wallSeconds,
    evalSeconds: run.evalSeconds,
    joint:
      jointRun && !cfg.online
        ? {
            R: jointRun.R,
            ACC: continualMeasures(jointRun.R, jointRun.b).ACC,
            wallSeconds: jointRun.wallSeconds,
          }
        : undefined,
    online: run.online,
  };
}

/** The training stream and the stream measured on (test rows, or validation rows cut from the training split). */
export function continualStreams(cfg: ContinualConfig): { train: TaskStream; test: TaskStream } {
  const data = cfg.data ?? loadBundledMnist();
  let [trainDs, evalDs] = [data.train, data.test];
  if (cfg.evaluateOn === "validation") {
    const split = validationSplit(data.train, cfg.validationFraction);
    [trainDs, evalDs] = [split.train, split.validation];
  }
  const opts = { kind: cfg.stream, tasks: cfg.tasks, seed: cfg.seed, scenario: cfg.scenario };
  return {
    train: makeStream(trainDs, { ...opts, perTask: cfg.trainPerTask }),
    test: makeStream(evalDs, { ...opts, perTask: cfg.testPerTask }),
  };
}

/** The config's hidden layers and a softmax output layer of the stream's width, built from `seed`. */
export function buildContinualModel(
  cfg: Pick<ContinualConfig, "layers" | "seed">,
  stream: TaskStream,
): Sequential {
  const hidden = cfg.layers.map((l, i) => layerFromConfig(l, `model.layers[${i}]`));
  return new Sequential([...hidden, new Dense(stream.outputDim, { activation: "softmax" })]).build(
    stream.inputDim,
    new Rng(cfg.seed),
  );
}

type RunSettings = Pick<
  ContinualConfig,
  "layers" | "seed" | "epochs" | "batchSize" | "optimizer" | "keepOptimizerState" | "taskFree"
> &
  Partial<Pick<ContinualConfig, "homeostasis" | "online" | "probeRows">>;

/**
 * Train `strategy` on `train`'s tasks in order and measure on `test`'s: R[i][j] after task i, and b from
 * the untrained model.
 */
export function runStrategy(
  strategy: Strategy,
  train: TaskStream,
  test: TaskStream,
  cfg: RunSettings,
  hooks: ContinualHooks = {},
): StreamRun {
  const resume = hooks.resume?.state;
  const model = hooks.resume?.model ?? buildContinualModel(cfg, train);
  const rng = new Rng(cfg.seed).fork(`strategy ${strategy.name}`);
  const t = train.tasks.length;
  let evalSeconds = resume?.evalSeconds ?? 0;
  const measureAfter = (stage: number): number[] => {
    const started = performance.now();
    const row = test.tasks.map((task) => headAccuracy(model, test, stage, task));
    evalSeconds += (performance.now() - started) / 1000;
    return row;
  };
  const online = cfg.online ?? false;
  const regulators = (cfg.homeostasis ?? []).map(createRegulator);
  const watchers = hooks.observers ?? [];
  const record: OnlineRecord | undefined = online
    ? resume?.online
      ? structuredClone(resume.online)
      : { accuracy: [], balance: [], regulators: {} }
    : undefined;
  const probe = (task: Task): LayerBalance[] =>
    balanceMeasures(model, rowSlice(task.x, 0, Math.min(cfg.probeRows ?? 500, task.x.shape[0])));
  const b = resume ? resume.b : online ? [] : measureAfter(-1);
  const R: number[][] = resume ? resume.R.map((r) => [...r]) : [];
  let optimizerState: unknown = resume?.optimizerState;
  let stepsBefore = resume ? resume.step - (resume.fit?.step ?? 0) : 0;
  if (resume) {
    rng.setState(resume.rng);
    if (resume.strategy !== null) strategy.setState?.(resume.strategy);
    for (const r of regulators)
      if (r.stateKey in resume.regulators) r.setState(resume.regulators[r.stateKey]);
    for (const w of watchers)
      if (w.stateKey && w.setState && resume.observers && w.stateKey in resume.observers)
        w.setState(resume.observers[w.stateKey]);
  }
  const started = performance.now() - 1000 * ((resume?.wallSeconds ?? 0) + evalSeconds);
  const elapsed = (): number => (performance.now() - started) / 1000 - evalSeconds;
  const state = (task: number, fitState: TrainingState | null): ContinualState => ({
    kind: "continual",
    step: stepsBefore + (fitState?.step ?? 0),
    task,
    R: R.map((r) => [...r]),
    b,
    rng: rng.getState(),
    optimizerState,
    strategy: strategy.getState?.() ?? null,
    fit: fitState,
    regulators: Object.fromEntries(regulators.map((r) => [r.stateKey, r.getState()])),
    observers: Object.fromEntries(
      watchers.filter((w) => w.stateKey && w.getState).map((w) => [w.stateKey!, w.getState!()]),
    ),
    online: record ? structuredClone(record) : null,
    wallSeconds: elapsed(),
    evalSeconds,
  });
  const checkpoint = (task: number) =>
    hooks.checkpoint && {
      every: hooks.checkpoint.every,
      save: (s: TrainingState) => hooks.checkpoint!.save(state(task, s), model),
    };
  if (cfg.taskFree) {
    if (online || regulators.length > 0)
      throw new ConfigError(
        "taskFree: the online protocol and homeostasis run on streams with task boundaries",
        { field: "taskFree" },
      );
    runTaskFree(
      strategy,
      model,
      train,
      cfg,
      rng,
      R.length,
      (i) => {
        R.push(measureAfter(i));
        hooks.onTaskEnd?.(i, R);
      },
      checkpoint(0),
      resume?.fit ?? undefined,
      watchers,
    );
  } else {
    for (let i = resume?.task ?? 0; i < t; i++) {
      const ctx: TaskContext = {
        model,
        stream: train,
        task: train.tasks[i],
        taskIndex: i,
        seen: train.tasks.slice(0, i + 1),
        loss: headLoss(train, i),
        batchSize: cfg.batchSize,
        rng,
        taskFree: false,
      };
      // A task interrupted mid-way already started: its start-of-task state came back with the strategy's.
      const within = i === resume?.task ? (resume.fit ?? undefined) : undefined;
      if (!within) strategy.onTaskStart?.(ctx);
      if (record && !within) record.balance.push(probe(ctx.task));
      const observer = strategy.observer?.(ctx);
      const data: LabeledData = strategy.trainingData?.(ctx) ?? ctx.task;
      const result = fit(model, data, {
        epochs: cfg.epochs,
        batchSize: cfg.batchSize,
        optimizer: cfg.optimizer,
        loss: ctx.loss,
        seed: cfg.seed * 1009 + i,
        observers: [...(observer ? [observer] : []), ...regulators, ...watchers],
        optimizerState: cfg.keepOptimizerState ? optimizerState : undefined,
        checkpoint: checkpoint(i),
        resume: within,
        metrics: record ? ["accuracy"] : [],
      });
      optimizerState = cfg.keepOptimizerState ? result.optimizerState : undefined;
      stepsBefore += result.steps;
      strategy.onTaskEnd?.(ctx);
      if (record) {
        record.accuracy.push(result.epochs[0]?.train.accuracy ?? NaN);
        R.push([]);
        if (i === t - 1) record.balance.push(probe(ctx.task));
        for (const r of regulators) {
          const c = r.unitsReplaced?.();
          if (c !== undefined) record.regulators[r.name] = c;
        }
        hooks.onOnline?.(record);
      } else R.push(measureAfter(i));
      hooks.onTaskEnd?.(i, R);
      // The end of a task is a natural place for a checkpoint: nothing of the task's training is left to redo.
      hooks.checkpoint?.save(state(i + 1, null), model);
    }
  }
  return {
    strategy: strategy.name,
    R: online ? [] : R,
    b,
    online: record,
    wallSeconds: elapsed(),
    evalSeconds,
  };
}

/**
 * A task-free run: the tasks' rows arrive as one stream (each task's rows shuffled and repeated `epochs`
 * times, tasks in order) in a single unshuffled pass of `fit`, and the strategy is told nothing about
 * boundaries. The runner still measures at each hidden boundary (after the first step that consumes
 * the task's last row). The head masks nothing a task boundary would reveal: class-incremental uses
 * every unit. Materialises epochs × rows of input: fine for the digits, heavy for long permuted streams.
 */
function runTaskFree(
  strategy: Strategy,
  model: Sequential,
  train: TaskStream,
  cfg: RunSettings,
  rng: Rng,
  measured: number,
  measure: (task: number) => void,
  checkpoint: { every: number; save(s: TrainingState): void } | undefined,
  resume: TrainingState | undefined,
  watchers: readonly Observer[],
): void {
  if (!strategy.taskFree)
    throw new ConfigError(
      `strategy: ${strategy.name} needs task boundaries; on a task-free stream use naive or replay`,
      { field: "strategy" },
    );
  if (train.scenario === "task")
    throw new ConfigError(
      "scenario: a task-free stream cannot be task-incremental (that needs the task identity)",
      { field: "scenario" },
    );
  const blocks: LabeledData[] = [];
  const ends: number[] = [];
  let rows = 0;
  train.tasks.forEach((task, i) => {
    const order = new Rng(cfg.seed).fork(`task-free ${i}`);
    for (let e = 0; e < cfg.epochs; e++) blocks.push(gather(task, order.permutation(task.labels.length)));
    rows += task.labels.length * cfg.epochs;
    ends.push(rows);
  });
  const data = concatData(blocks);
  const last = train.tasks.length - 1;
  const whole: Task = {
    index: 0,
    name: "stream",
    x: data.x,
    y: data.y,
    labels: new Int32Array(0),
    classes: train.tasks.flatMap((t) => t.classes),
  };
  const ctx: TaskContext = {
    model,
    stream: train,
    task: whole,
    taskIndex: 0,
    seen: [whole],
    loss: headLoss(train, last),
    batchSize: cfg.batchSize,
    rng,
    taskFree: true,
  };
  let next = measured;
  const boundaries: Observer = {
    onBatchEnd: (event) => {
      const consumed = Math.min(event.step * cfg.batchSize, rows);
      while (next < ends.length && consumed >= ends[next]) measure(next++);
    },
  };
  const observer = strategy.observer?.(ctx);
  fit(model, data, {
    epochs: 1,
    batchSize: cfg.batchSize,
    optimizer: cfg.optimizer,
    loss: ctx.loss,
    seed: cfg.seed * 1009,
    shuffle: false,
    observers: [...(observer ? [observer] : []), boundaries, ...watchers],
    checkpoint,
    resume,
  });
}
