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
  type ContinualState,
  headAccuracy,
  headLoss,
  naive,
  replay,
  runStrategy,
} from "../src/continual/index.js";
import { concatData, gather } from "../src/continual/strategy.js";
import { ewc } from "../src/continual/strategies/index.js";
import type { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { fit } from "../src/train/fit.js";
import { tinyStream } from "./helpers/continual.js";
import { settings, streamOf } from "./helpers/continual-run.js";

const TRAIN = streamOf(40, 1);
const TEST = streamOf(24, 2);

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
    /^ConfigError: strategy: ewc needs task boundaries; on a task-free stream use one with taskFree set \(naive, replay, derpp, erAce\)$/,
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
