/**
 * One strategy over one task stream: train task after task with `fit` (the strategy's observer, the
 * regulators and the hooks' observers added), fill the accuracy matrix after each task, and checkpoint
 * so that a resumed run continues bit for bit.
 */
import { balanceMeasures, type LayerBalance } from "../homeostasis/balance.js";
import { createRegulator } from "../homeostasis/config.js";
import type { Regulator } from "../homeostasis/regulator.js";
import { Dense } from "../nn/layers.js";
import { layerFromConfig, Sequential } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { type LabeledData, rowSlice } from "../train/evaluate.js";
import type { Observer } from "../train/events.js";
import { type FitResult, fit, type TrainingState } from "../train/fit.js";
import { headAccuracy, headLoss } from "./heads.js";
import type {
  ContinualConfig,
  ContinualHooks,
  ContinualState,
  OnlineRecord,
  RunSettings,
  StreamRun,
} from "./run-types.js";
import type { Strategy, TaskContext } from "./strategy.js";
import type { Task, TaskStream } from "./streams.js";
import { runTaskFree } from "./task-free.js";

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

/**
 * Train `strategy` on `train`'s tasks in order and measure on `test`'s: R[i][j] after task i, and b from
 * the untrained model.
 *
 * @example
 * const cfg = parseContinualConfig({ stream: "split", scenario: "class", strategy: "ewc" });
 * const { train, test } = continualStreams(cfg);
 * const run = runStrategy(createStrategy({ type: "ewc", options: { lambda: 100 } }), train, test, cfg);
 * run.R[train.tasks.length - 1]; // each task's accuracy after the last task
 */
export function runStrategy(
  strategy: Strategy,
  train: TaskStream,
  test: TaskStream,
  cfg: RunSettings,
  hooks: ContinualHooks = {},
): StreamRun {
  const resume = hooks.resume?.state;
  const run = startRun(strategy, train, test, cfg, hooks);
  if (cfg.taskFree) trainTaskFree(run, resume?.fit ?? undefined);
  else
    for (let i = resume?.task ?? 0; i < train.tasks.length; i++) {
      // A task interrupted mid-way already started: its start-of-task state came back with the strategy's.
      trainTask(run, i, i === resume?.task ? (resume.fit ?? undefined) : undefined);
    }
  return {
    strategy: strategy.name,
    R: (cfg.online ?? false) ? [] : run.R,
    b: run.b,
    online: run.record,
    wallSeconds: elapsed(run),
    evalSeconds: run.evalSeconds,
  };
}

/** One strategy's run in progress: what it carries from task to task and puts in its checkpoints. */
interface StrategyRun {
  strategy: Strategy;
  train: TaskStream;
  test: TaskStream;
  cfg: RunSettings;
  hooks: ContinualHooks;
  model: Sequential;
  rng: Rng;
  regulators: Regulator[];
  watchers: readonly Observer[];
  /** With `online`: the online record; undefined otherwise. */
  record: OnlineRecord | undefined;
  b: number[];
  R: number[][];
  optimizerState: unknown;
  /** Optimiser steps of the tasks finished before the current one. */
  stepsBefore: number;
  evalSeconds: number;
  /** performance.now() at the run's start, moved back by the time a resumed run had already spent. */
  started: number;
}

/** Build (or take back from a checkpoint) the model, the regulators and the measures so far. */
function startRun(
  strategy: Strategy,
  train: TaskStream,
  test: TaskStream,
  cfg: RunSettings,
  hooks: ContinualHooks,
): StrategyRun {
  const resume = hooks.resume?.state;
  const model = hooks.resume?.model ?? buildContinualModel(cfg, train);
  const rng = new Rng(cfg.seed).fork(`strategy ${strategy.name}`);
  const online = cfg.online ?? false;
  const run: StrategyRun = {
    strategy,
    train,
    test,
    cfg,
    hooks,
    model,
    rng,
    regulators: (cfg.homeostasis ?? []).map(createRegulator),
    watchers: hooks.observers ?? [],
    record: online
      ? resume?.online
        ? structuredClone(resume.online)
        : { accuracy: [], balance: [], regulators: {} }
      : undefined,
    b: [],
    R: [],
    optimizerState: resume?.optimizerState,
    stepsBefore: resume ? resume.step - (resume.fit?.step ?? 0) : 0,
    evalSeconds: resume?.evalSeconds ?? 0,
    started: 0,
  };
  run.b = resume ? resume.b : online ? [] : measureAfter(run, -1);
  run.R = resume ? resume.R.map((r) => [...r]) : [];
  if (resume) restoreState(run, resume);
  run.started = performance.now() - 1000 * ((resume?.wallSeconds ?? 0) + run.evalSeconds);
  return run;
}

/** The rng, strategy, regulators and observers as the checkpoint left them. */
function restoreState(run: StrategyRun, resume: ContinualState): void {
  run.rng.setState(resume.rng);
  if (resume.strategy !== null) run.strategy.setState?.(resume.strategy);
  for (const r of run.regulators)
    if (r.stateKey in resume.regulators) r.setState(resume.regulators[r.stateKey]);
  for (const w of run.watchers)
    if (w.stateKey && w.setState && resume.observers && w.stateKey in resume.observers)
      w.setState(resume.observers[w.stateKey]);
}

/** Accuracy on every test task after stage `stage` (-1: untrained); its time counts as evaluation. */
function measureAfter(run: StrategyRun, stage: number): number[] {
  const started = performance.now();
  const row = run.test.tasks.map((task) => headAccuracy(run.model, run.test, stage, task));
  run.evalSeconds += (performance.now() - started) / 1000;
  return row;
}

/** Training time so far, evaluation excluded. */
function elapsed(run: StrategyRun): number {
  return (performance.now() - run.started) / 1000 - run.evalSeconds;
}

/** The run's checkpoint at `task` (tasks fully trained), within it at `fitState` unless null. */
function snapshot(run: StrategyRun, task: number, fitState: TrainingState | null): ContinualState {
  return {
    kind: "continual",
    step: run.stepsBefore + (fitState?.step ?? 0),
    task,
    R: run.R.map((r) => [...r]),
    b: run.b,
    rng: run.rng.getState(),
    optimizerState: run.optimizerState,
    strategy: run.strategy.getState?.() ?? null,
    fit: fitState,
    regulators: Object.fromEntries(run.regulators.map((r) => [r.stateKey, r.getState()])),
    observers: Object.fromEntries(
      run.watchers.filter((w) => w.stateKey && w.getState).map((w) => [w.stateKey!, w.getState!()]),
    ),
    online: run.record ? structuredClone(run.record) : null,
    wallSeconds: elapsed(run),
    evalSeconds: run.evalSeconds,
  };
}

/** fit's checkpoint option within task `task`, when the hooks ask for checkpoints. */
function checkpointWithin(run: StrategyRun, task: number) {
  const hook = run.hooks.checkpoint;
  return (
    hook && {
      every: hook.every,
      save: (s: TrainingState) => hook.save(snapshot(run, task, s), run.model),
    }
  );
}

function trainTaskFree(run: StrategyRun, within: TrainingState | undefined): void {
  if ((run.cfg.online ?? false) || run.regulators.length > 0)
    throw new ConfigError(
      "taskFree: the online protocol and homeostasis run on streams with task boundaries",
      {
        field: "taskFree",
      },
    );
  runTaskFree(
    run.strategy,
    run.model,
    run.train,
    run.cfg,
    run.rng,
    run.R.length,
    (i) => {
      run.R.push(measureAfter(run, i));
      run.hooks.onTaskEnd?.(i, run.R);
    },
    checkpointWithin(run, 0),
    within,
    run.watchers,
  );
}

/** Train task `i` (from `within` when a checkpoint interrupted it), measure, and checkpoint its end. */
function trainTask(run: StrategyRun, i: number, within: TrainingState | undefined): void {
  const { strategy, model, train, cfg, record } = run;
  const ctx: TaskContext = {
    model,
    stream: train,
    task: train.tasks[i],
    taskIndex: i,
    seen: train.tasks.slice(0, i + 1),
    loss: headLoss(train, i),
    batchSize: cfg.batchSize,
    rng: run.rng,
    taskFree: false,
  };
  if (!within) strategy.onTaskStart?.(ctx);
  if (record && !within) record.balance.push(probe(run, ctx.task));
  const observer = strategy.observer?.(ctx);
  const data: LabeledData = strategy.trainingData?.(ctx) ?? ctx.task;
  const result = fit(model, data, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    optimizer: cfg.optimizer,
    loss: ctx.loss,
    seed: cfg.seed * 1009 + i,
    observers: [...(observer ? [observer] : []), ...run.regulators, ...run.watchers],
    optimizerState: cfg.keepOptimizerState ? run.optimizerState : undefined,
    checkpoint: checkpointWithin(run, i),
    resume: within,
    metrics: record ? ["accuracy"] : [],
  });
  run.optimizerState = cfg.keepOptimizerState ? result.optimizerState : undefined;
  run.stepsBefore += result.steps;
  strategy.onTaskEnd?.(ctx);
  if (record) recordOnline(run, record, i, result);
  else run.R.push(measureAfter(run, i));
  run.hooks.onTaskEnd?.(i, run.R);
  // The end of a task is a natural place for a checkpoint: nothing of the task's training is left to redo.
  run.hooks.checkpoint?.save(snapshot(run, i + 1, null), model);
}

/** The online protocol after task `i`: its online accuracy, the balance after the last task, regulator counts. */
function recordOnline(run: StrategyRun, record: OnlineRecord, i: number, result: FitResult): void {
  record.accuracy.push(result.epochs[0]?.train.accuracy ?? NaN);
  run.R.push([]);
  if (i === run.train.tasks.length - 1) record.balance.push(probe(run, run.train.tasks[i]));
  for (const r of run.regulators) {
    const c = r.unitsReplaced?.();
    if (c !== undefined) record.regulators[r.name] = c;
  }
  run.hooks.onOnline?.(record);
}

/** The balance measures on the first `probeRows` rows of a task. */
function probe(run: StrategyRun, task: Task): LayerBalance[] {
  return balanceMeasures(run.model, rowSlice(task.x, 0, Math.min(run.cfg.probeRows ?? 500, task.x.shape[0])));
}
