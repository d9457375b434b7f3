/**
 * What a strategy is told in a task-free run, and the run's seed: it is told once, about the whole
 * stream (every task's rows, repeated `epochs` times, as one task of every class, trained over every
 * unit), never about a boundary; the one pass of `fit` runs with seed · 1009, which a model with
 * dropout shows; and a run resumed within that pass continues it. Expected values come from the
 * stream's own rows and from `fit` called as documented.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  buildContinualModel,
  type ContinualState,
  concatData,
  gather,
  headLoss,
  naive,
  replay,
  runStrategy,
  type Strategy,
  type TaskContext,
} from "../src/continual/index.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { near } from "./helpers/continual.js";
import { settings, streamOf } from "./helpers/continual-run.js";

const TRAIN = streamOf(40, 1);
const TEST = streamOf(24, 2);

/** Each row of a [rows, width] tensor as text, sorted: the multiset of its rows. */
function rowSet(t: Tensor, from = 0, to = t.shape[0]): string[] {
  const w = t.shape[1];
  return Array.from({ length: to - from }, (_, r) =>
    String(Array.from(t.data.subarray((from + r) * w, (from + r + 1) * w))),
  ).sort();
}

test("task-free: the strategy is told once, about the whole stream as one task of every class; never about a boundary", () => {
  const told: TaskContext[] = [];
  const calls: string[] = [];
  const recording: Strategy = {
    name: "recording",
    taskFree: true,
    onTaskStart: () => calls.push("start"),
    onTaskEnd: () => calls.push("end"),
    observer: (ctx) => {
      told.push(ctx);
      return null;
    },
  };
  const cfg = settings({ taskFree: true, epochs: 2, batchSize: 6 });
  const run = runStrategy(recording, TRAIN, TEST, cfg);
  assert.equal(run.R.length, 2, "measured at both hidden boundaries");
  assert.deepEqual(calls, [], "no task boundary announced");
  assert.equal(told.length, 1);
  const [ctx] = told;
  assert.equal(ctx.taskFree, true);
  assert.equal(ctx.stream, TRAIN);
  assert.equal(ctx.batchSize, 6);
  assert.equal(ctx.taskIndex, 0);
  assert.equal(ctx.task.index, 0);
  assert.equal(ctx.task.name, "stream");
  assert.deepEqual(ctx.seen, [ctx.task]);
  assert.deepEqual(ctx.task.classes, [0, 1, 2, 3]);
  assert.equal(ctx.task.labels.length, 0, "no label list: the stream's rows are not one task's");
  // The whole stream: task 0's rows twice (two epochs), then task 1's twice, inputs and targets together.
  const [n0, n1] = TRAIN.tasks.map((t) => t.labels.length);
  assert.deepEqual(ctx.task.x.shape, [2 * (n0 + n1), 2]);
  const both = (t: number) => concatData([TRAIN.tasks[t], TRAIN.tasks[t]]);
  const pairs = (x: Tensor, y: Tensor, from: number, to: number) =>
    rowSet(
      new Tensor(
        Float32Array.from(
          Array.from({ length: to - from }, (_, r) => [
            ...x.data.subarray((from + r) * 2, (from + r + 1) * 2),
            ...y.data.subarray((from + r) * 4, (from + r + 1) * 4),
          ]).flat(),
        ),
        [to - from, 6],
      ),
    );
  const whole = ctx.task;
  assert.deepEqual(
    pairs(whole.x, whole.y, 0, 2 * n0),
    pairs(both(0).x, both(0).y, 0, 2 * n0),
    "task 0's rows, twice",
  );
  assert.deepEqual(
    pairs(whole.x, whole.y, 2 * n0, 2 * (n0 + n1)),
    pairs(both(1).x, both(1).y, 0, 2 * n1),
    "then task 1's, twice",
  );
  // The loss covers every unit (no boundary to mask by): on a row of class 0 with logits [0, 1, 2, 3],
  // −log(e⁰ / Σ eᵏ).
  const value = ctx.loss
    .fused!.fromLogits(
      new Tensor(Float32Array.from([0, 1, 2, 3]), [1, 4]),
      new Tensor(Float32Array.from([1, 0, 0, 0]), [1, 4]),
    )
    .item();
  near(value, Math.log(1 + Math.E + Math.E ** 2 + Math.E ** 3), 1e-6, "CE over the four units");
});

test("task-free: the one pass of fit runs with seed · 1009 (a model with dropout draws its masks from it)", () => {
  const cfg = settings({
    taskFree: true,
    epochs: 1,
    batchSize: 8,
    layers: [
      { type: "dense", units: 6, activation: "tanh" },
      { type: "dropout", rate: 0.5 },
    ],
  });
  const watch = { w: [] as number[][] };
  const watcher: Observer = {
    onTrainEnd: (_h, control) => {
      watch.w = control.model.parameters().map(([, t]) => Array.from(t.data));
    },
  };
  runStrategy(naive(), TRAIN, TEST, cfg, { observers: [watcher] });

  // By hand: each task's rows in its seeded order, one unshuffled pass over every unit, seed · 1009.
  const data = concatData(
    TRAIN.tasks.map((task, i) =>
      gather(task, new Rng(cfg.seed).fork(`task-free ${i}`).permutation(task.labels.length)),
    ),
  );
  const want = (seed: number): number[][] => {
    const m = buildContinualModel(cfg, TRAIN);
    fit(m, data, {
      epochs: 1,
      batchSize: 8,
      optimizer: cfg.optimizer,
      loss: headLoss(TRAIN, 1),
      seed,
      shuffle: false,
    });
    return m.parameters().map(([, t]) => Array.from(t.data));
  };
  assert.deepEqual(watch.w, want(cfg.seed * 1009));
  assert.notDeepEqual(want(cfg.seed * 1009), want(cfg.seed), "the seed shows in the weights");
});

test("task-free resumed from a checkpoint within its pass ends bit for bit as the whole run", () => {
  const cfg = settings({ taskFree: true, epochs: 2, batchSize: 4 });
  const weightsOf = (m: { parameters(): [string, Tensor][] }) =>
    m.parameters().map(([, t]) => Array.from(t.data));
  const runFrom = (resume?: { state: ContinualState; w: number[][] }) => {
    const saved: { state: ContinualState; w: number[][] }[] = [];
    let model: ReturnType<typeof buildContinualModel> | undefined;
    if (resume) {
      model = buildContinualModel(cfg, TRAIN);
      model.parameters().forEach(([, t], k) => t.data.set(resume.w[k]));
    }
    const run = runStrategy(replay({ bufferSize: 5, replayBatch: 3 }), TRAIN, TEST, cfg, {
      resume: resume && model ? { state: structuredClone(resume.state), model } : undefined,
      checkpoint: {
        every: 5,
        save: (state, m) => saved.push({ state: structuredClone(state), w: weightsOf(m) }),
      },
    });
    return { R: run.R, saved };
  };
  const whole = runFrom();
  const within = whole.saved.filter((s) => s.state.fit !== null && s.state.fit.step === 10);
  assert.equal(within.length, 1, "a checkpoint at step 10 of the one pass");
  const again = runFrom(within[0]);
  assert.deepEqual(again.saved.at(-1)?.w, whole.saved.at(-1)?.w, "final weights");
  assert.deepEqual(again.R, whole.R);
});
