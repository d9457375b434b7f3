/**
 * Runs a strategy over a task stream: train task after task with `fit` (the strategy's observer added),
 * fill the accuracy matrix after each task, and compute the measures. The model is built fresh from
 * the config's seed, so every strategy of a comparison starts from the same weights (and the same b).
 *
 * Optimiser state: by default each task starts a fresh optimiser (Adam's moments and step count reset
 * at each boundary, as when a deployed model is retrained on new data); `keepOptimizerState` carries
 * it over instead.
 *
 * Browser-safe: the config brings its data. `homeostat/node`'s `runContinual` (bundled.ts) defaults it
 * to the bundled digits.
 */
import { validationSplit } from "../data/dataset.js";
import { ConfigError } from "../tensor/errors.js";
import { type ContinualMeasures, continualMeasures } from "./measures.js";
import type { ContinualConfig, ContinualHooks, ContinualResult, StreamRun } from "./run-types.js";
import { createStrategy, joint } from "./strategies/index.js";
import { runStrategy } from "./strategy-run.js";
import { makeStream, type TaskStream } from "./streams.js";

export type {
  ContinualConfig,
  ContinualHooks,
  ContinualResult,
  ContinualState,
  OnlineRecord,
  StreamRun,
} from "./run-types.js";
export { buildContinualModel, runStrategy } from "./strategy-run.js";

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
  const data = cfg.data;
  if (!data)
    throw new ConfigError(
      'continual: no data set; give the config a "data": {train, test} (homeostat/node\'s runContinual defaults to the bundled digits)',
      { field: "data" },
    );
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
