/**
 * The continual runner on tiny in-process streams, against a reference loop written out by hand: a fresh
 * model from the seed, `fit` per task with the runner's documented seeds, the accuracy matrix measured
 * after each task. Weights are compared bit for bit after every task; checkpoints, resume, the online
 * protocol, the task-free protocol and the comparison with the joint model on top.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  buildContinualModel,
  type ContinualConfig,
  type ContinualState,
  continualMeasures,
  continualStreams,
  headAccuracy,
  headLoss,
  joint,
  naive,
  replay,
  runContinual,
  runStrategy,
  type TaskStream,
} from "../src/continual/index.js";
import { concatData, gather } from "../src/continual/strategy.js";
import { ewc } from "../src/continual/strategies/index.js";
import { type Dataset, oneHot, validationSplit } from "../src/data/dataset.js";
import type { Sequential } from "../src/nn/sequential.js";
import { optimizerFromConfig } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { fit } from "../src/train/fit.js";
import { tinyStream } from "./helpers/continual.js";

/** Two class-incremental tasks of 4 classes over 2 inputs; labels follow the quadrant, with some noise. */
function rows(n: number, seed: number): { x: number[][]; label: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = 2 * rng.next() - 1;
    const b = 2 * rng.next() - 1;
    x.push([a, b]);
    label.push((a > 0 ? 1 : 0) + (b > 0 ? 2 : 0));
  }
  return { x, label };
}

function streamOf(n: number, seed: number): TaskStream {
  const { x, label } = rows(n, seed);
  const part = (classes: number[]) => {
    const keep = label.map((l, i) => (classes.includes(l) ? i : -1)).filter((i) => i >= 0);
    return { x: keep.map((i) => x[i]), labels: keep.map((i) => label[i]), classes };
  };
  return tinyStream("class", 4, [part([0, 1]), part([2, 3])]);
}

const TRAIN = streamOf(40, 1);
const TEST = streamOf(24, 2);

function settings(over: Partial<ContinualConfig> = {}) {
  return {
    layers: [{ type: "dense", units: 3, activation: "tanh" }],
    seed: 5,
    epochs: 2,
    batchSize: 4,
    optimizer: optimizerFromConfig({ type: "adam", lr: 0.05 }, "optimizer"),
    keepOptimizerState: false,
    taskFree: false,
    ...over,
  };
}

const weights = (m: Sequential): number[][] => m.parameters().map(([, t]) => Array.from(t.data));

/** The runner's documented loop, by hand: fit seed·1009 + i per task, measure every test task after it. */
function reference(cfg: ReturnType<typeof settings>, carry = false) {
  const model = buildContinualModel(cfg, TRAIN);
  const measure = (stage: number) => TEST.tasks.map((t) => headAccuracy(model, TEST, stage, t));
  const b = measure(-1);
  const R: number[][] = [];
  const after: number[][][] = [];
  const steps: number[] = [];
  let state: unknown;
  TRAIN.tasks.forEach((task, i) => {
    const result = fit(model, task, {
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      optimizer: cfg.optimizer,
      loss: headLoss(TRAIN, i),
      seed: cfg.seed * 1009 + i,
      optimizerState: carry ? state : undefined,
    });
    state = result.optimizerState;
    steps.push(result.steps);
    R.push(measure(i));
    after.push(weights(model));
  });
  return { b, R, after, steps };
}

test("runStrategy: a fresh model from the seed, fit per task with seed·1009 + i, R measured after each task", () => {
  const cfg = settings();
  const want = reference(cfg);
  const saved: { state: ContinualState; w: number[][] }[] = [];
  const ends: [number, number][] = [];
  const run = runStrategy(naive(), TRAIN, TEST, cfg, {
    onTaskEnd: (i, R) => ends.push([i, R.length]),
    checkpoint: { every: 1000, save: (state, model) => saved.push({ state, w: weights(model) }) },
  });
  assert.equal(run.strategy, "naive");
  assert.deepEqual(run.b, want.b);
  assert.deepEqual(run.R, want.R);
  assert.equal(run.online, undefined);
  assert.ok(run.wallSeconds >= 0 && run.evalSeconds >= 0 && run.evalSeconds < 60);
  assert.deepEqual(ends, [
    [0, 1],
    [1, 2],
  ]);
  // fit's own checkpoint at the end of its training, then the task's: tasks done, steps so far, R so far.
  assert.deepEqual(
    saved.map((s) => [s.state.task, s.state.fit?.step ?? null]),
    [
      [0, want.steps[0]],
      [1, null],
      [1, want.steps[1]],
      [2, null],
    ],
  );
  saved
    .filter((s) => s.state.fit === null)
    .forEach(({ state, w }, i) => {
      assert.equal(state.kind, "continual");
      assert.equal(state.task, i + 1);
      assert.equal(
        state.step,
        want.steps.slice(0, i + 1).reduce((a, s) => a + s, 0),
      );
      assert.deepEqual(state.R, want.R.slice(0, i + 1));
      assert.deepEqual(state.b, want.b);
      assert.equal(state.fit, null);
      assert.equal(state.strategy, null);
      assert.equal(state.optimizerState, undefined);
      assert.deepEqual(state.regulators, {});
      assert.deepEqual(state.observers, {});
      assert.equal(state.online, null);
      assert.ok(state.wallSeconds >= 0 && state.evalSeconds >= 0);
      assert.deepEqual(w, want.after[i]);
    });
  // 2 epochs of ceil(rows / 4) steps per task.
  assert.deepEqual(
    want.steps,
    TRAIN.tasks.map((t) => 2 * Math.ceil(t.labels.length / 4)),
  );
});

test("runStrategy: keepOptimizerState carries Adam's state across the boundary (and the checkpoint holds it)", () => {
  const cfg = settings({ keepOptimizerState: true });
  const carried = reference(cfg, true);
  const fresh = reference(cfg, false);
  assert.notDeepEqual(carried.after[1], fresh.after[1]);
  const saved: ContinualState[] = [];
  const ws: number[][][] = [];
  const run = runStrategy(naive(), TRAIN, TEST, cfg, {
    checkpoint: {
      every: 1000,
      save: (s, m) => {
        if (s.fit !== null) return;
        saved.push(s);
        ws.push(weights(m));
      },
    },
  });
  assert.deepEqual(run.R, carried.R);
  assert.deepEqual(ws, carried.after);
  assert.notEqual(saved[0].optimizerState, undefined);
});

test("runStrategy: a run resumed from any checkpoint within a task ends as the uninterrupted one", () => {
  const cfg = settings();
  const saved: { state: ContinualState; w: number[][] }[] = [];
  const whole = runStrategy(ewc({ lambda: 5, fisherSamples: 8 }), TRAIN, TEST, cfg, {
    checkpoint: { every: 3, save: (s, m) => saved.push({ state: structuredClone(s), w: weights(m) }) },
  });
  const within = saved.filter((s) => s.state.fit !== null);
  // Every 3 steps within a task and at its end (fit saves step 12 twice: its 4th and its last), counted over the whole stream (12 and 8 steps here).
  const [s0, s1] = TRAIN.tasks.map((t) => 2 * Math.ceil(t.labels.length / 4));
  assert.deepEqual([s0, s1], [12, 8]);
  assert.deepEqual(
    within.map((s) => [s.state.task, s.state.step, s.state.fit?.step]),
    [
      [0, 3, 3],
      [0, 6, 6],
      [0, 9, 9],
      [0, 12, 12],
      [0, 12, 12],
      [1, 15, 3],
      [1, 18, 6],
      [1, 20, 8],
    ],
  );
  for (const { state, w } of [within[1], within[4], saved.find((s) => s.state.fit === null)!]) {
    const model = buildContinualModel(cfg, TRAIN);
    model.parameters().forEach(([, t], k) => t.data.set(w[k]));
    const ends: number[] = [];
    const again = runStrategy(ewc({ lambda: 5, fisherSamples: 8 }), TRAIN, TEST, cfg, {
      resume: { state, model },
      onTaskEnd: (i) => ends.push(i),
    });
    assert.deepEqual(again.R, whole.R, `resumed at step ${state.step}`);
    assert.deepEqual(again.b, whole.b);
    assert.deepEqual(ends, state.task === 0 ? [0, 1] : [1]);
    assert.ok(again.wallSeconds >= state.wallSeconds);
  }
});

test("online protocol: each task's first-epoch accuracy, balance probed before each task and after the last, no R", () => {
  const cfg = { ...settings(), online: true, probeRows: 3 };
  const model = buildContinualModel(cfg, TRAIN);
  const accuracy = TRAIN.tasks.map(
    (task, i) =>
      fit(model, task, {
        epochs: cfg.epochs,
        batchSize: cfg.batchSize,
        optimizer: cfg.optimizer,
        loss: headLoss(TRAIN, i),
        seed: cfg.seed * 1009 + i,
        metrics: ["accuracy"],
      }).epochs[0].train.accuracy,
  );
  const seen: number[] = [];
  const run = runStrategy(naive(), TRAIN, TEST, cfg, { onOnline: (r) => seen.push(r.accuracy.length) });
  assert.deepEqual(run.R, []);
  assert.deepEqual(run.b, []);
  assert.deepEqual(run.online?.accuracy, accuracy);
  assert.equal(run.online?.balance.length, 3);
  assert.deepEqual(run.online?.regulators, {});
  assert.deepEqual(seen, [1, 2]);
});

test("task-free: each task's rows shuffled and repeated epochs times in one unshuffled pass; R measured at hidden boundaries", () => {
  const cfg = settings({ taskFree: true, epochs: 2, batchSize: 6 });
  const model = buildContinualModel(cfg, TRAIN);
  const blocks = TRAIN.tasks.flatMap((task, i) => {
    const order = new Rng(cfg.seed).fork(`task-free ${i}`);
    return [0, 1].map(() => gather(task, order.permutation(task.labels.length)));
  });
  const n = TRAIN.tasks.map((t) => 2 * t.labels.length);
  const R: number[][] = [];
  const measure = (i: number) => R.push(TEST.tasks.map((t) => headAccuracy(model, TEST, i, t)));
  const b = TEST.tasks.map((t) => headAccuracy(model, TEST, -1, t));
  let next = 0;
  fit(model, concatData(blocks), {
    epochs: 1,
    batchSize: 6,
    optimizer: cfg.optimizer,
    loss: headLoss(TRAIN, 1),
    seed: cfg.seed * 1009,
    shuffle: false,
    observers: [
      {
        onBatchEnd: (e) => {
          const ends = [n[0], n[0] + n[1]];
          while (next < 2 && Math.min(e.step * 6, n[0] + n[1]) >= ends[next]) measure(next++);
        },
      },
    ],
  });
  const ends: number[] = [];
  const run = runStrategy(replay({ bufferSize: 4 }), TRAIN, TEST, cfg, { onTaskEnd: (i) => ends.push(i) });
  assert.deepEqual(run.b, b);
  assert.deepEqual(ends, [0, 1]);
  assert.equal(run.R.length, 2);
  // The naive learner follows the reference exactly (replay mixes its memory in, so only its shape is checked).
  const plain = runStrategy(naive(), TRAIN, TEST, cfg);
  assert.deepEqual(plain.R, R);
  assert.throws(
    () => runStrategy(ewc(), TRAIN, TEST, cfg),
    /^ConfigError: strategy: ewc needs task boundaries; on a task-free stream use naive or replay$/,
  );
  assert.throws(
    () => runStrategy(naive(), TRAIN, TEST, { ...cfg, online: true }),
    /taskFree: the online protocol and homeostasis run on streams with task boundaries/,
  );
  assert.throws(
    () => runStrategy(naive(), TRAIN, TEST, { ...cfg, homeostasis: [{ type: "l2Init", options: {} }] }),
    /taskFree: the online protocol and homeostasis run on streams with task boundaries/,
  );
  const taskScenario = tinyStream("task", 4, [
    { x: [[0, 1]], labels: [0], classes: [0, 1] },
    { x: [[1, 0]], labels: [2], classes: [2, 3] },
  ]);
  assert.throws(
    () => runStrategy(naive(), taskScenario, taskScenario, cfg),
    /scenario: a task-free stream cannot be task-incremental \(that needs the task identity\)/,
  );
});

/** A 4-class data set of the quadrant rows (train 40, test 24). */
function dataset(n: number, seed: number): Dataset {
  const { x, label } = rows(n, seed);
  const labels = Int32Array.from(label);
  return {
    x: Float32Array.from(x.flat()),
    y: oneHot(labels, 4),
    n,
    inputDim: 2,
    outputDim: 4,
    task: "classification",
    labels,
  };
}

test("runContinual: the strategy, the joint reference, and the measures of both from the config's data", () => {
  const data = { train: dataset(40, 1), test: dataset(24, 2) };
  const cfg: ContinualConfig = {
    ...settings(),
    stream: "split",
    scenario: "class",
    tasks: 2,
    strategy: { type: "naive", options: {} },
    homeostasis: [],
    online: false,
    probeRows: 10,
    compareJoint: true,
    evaluateOn: "test",
    validationFraction: 0.25,
    trainPerTask: 12,
    data,
  };
  const { train, test } = continualStreams(cfg);
  assert.deepEqual(
    train.tasks.map((t) => t.labels.length),
    [12, 12],
  );
  assert.ok(test.tasks.every((t) => t.labels.length < 24));
  const mine = runStrategy(naive(), train, test, cfg);
  const upper = runStrategy(joint(), train, test, cfg);
  const result = runContinual(cfg);
  assert.equal(result.strategy, "naive");
  assert.deepEqual([result.stream, result.scenario, result.taskFree], ["split", "class", false]);
  assert.deepEqual(result.taskNames, ["0/1", "2/3"]);
  assert.deepEqual(result.R, mine.R);
  assert.deepEqual(result.b, mine.b);
  const measures = continualMeasures(mine.R, mine.b, upper.R);
  assert.equal(result.ACC, measures.ACC);
  assert.equal(result.BWT, measures.BWT);
  assert.equal(result.FWT, measures.FWT);
  assert.deepEqual(result.forgetting, measures.forgetting);
  assert.equal(result.intransigence, measures.intransigence);
  assert.deepEqual(result.joint?.R, upper.R);
  assert.equal(result.joint?.ACC, continualMeasures(upper.R, upper.b).ACC);
  assert.ok((result.joint?.wallSeconds ?? -1) >= 0);
  // No joint run without compareJoint or on a task-free stream; a joint strategy is its own reference.
  assert.equal(runContinual({ ...cfg, compareJoint: false }).joint, undefined);
  assert.equal(runContinual({ ...cfg, compareJoint: false }).intransigence, null);
  assert.equal(runContinual({ ...cfg, taskFree: true }).joint, undefined);
  const own = runContinual({ ...cfg, strategy: { type: "joint", options: {} } });
  assert.deepEqual(own.joint?.R, own.R);
  assert.equal(own.intransigence, 0);
  // A user's strategy factory.
  assert.equal(
    runContinual({ ...cfg, compareJoint: false, strategy: () => ({ name: "mine" }) }).strategy,
    "mine",
  );
  // Online: no R-based measures, no joint.
  const online = runContinual({ ...cfg, online: true });
  assert.deepEqual(
    [online.ACC, online.BWT, online.FWT, online.intransigence, online.perTaskIntransigence],
    [NaN, NaN, NaN, null, null],
  );
  assert.deepEqual(online.forgetting, {
    maxOverEarlier: NaN,
    justTrainedMinusLast: NaN,
    perTaskMaxOverEarlier: [],
    perTaskJustTrainedMinusLast: [],
  });
  assert.equal(online.joint, undefined);
  assert.equal(online.online?.accuracy.length, 2);
});

test("evaluateOn validation: measured on the last validationFraction of the training rows, trained on the rest", () => {
  const data = { train: dataset(40, 1), test: dataset(24, 2) };
  const cfg = {
    ...settings(),
    stream: "split" as const,
    scenario: "class" as const,
    tasks: 2,
    evaluateOn: "validation" as const,
    validationFraction: 0.25,
    data,
  } as ContinualConfig;
  const { train, test } = continualStreams(cfg);
  const split = validationSplit(data.train, 0.25);
  const count = (ds: Dataset, a: number, b: number) =>
    Array.from(ds.labels!).filter((l) => l === a || l === b).length;
  assert.deepEqual(
    train.tasks.map((t) => t.labels.length),
    [count(split.train, 0, 1), count(split.train, 2, 3)],
  );
  assert.deepEqual(
    test.tasks.map((t) => t.labels.length),
    [count(split.validation, 0, 1), count(split.validation, 2, 3)],
  );
  assert.deepEqual(Array.from(test.tasks[0].x.data), Array.from(gatherRows(split.validation, [0, 1])));
  const plain = continualStreams({ ...cfg, evaluateOn: "test" });
  assert.deepEqual(
    plain.test.tasks.map((t) => t.labels.length),
    [count(data.test, 0, 1), count(data.test, 2, 3)],
  );
});

function gatherRows(ds: Dataset, classes: number[]): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (classes.includes(ds.labels![i])) out.push(ds.x[2 * i], ds.x[2 * i + 1]);
  return Float32Array.from(out);
}
