/**
 * `fitSteps` is `fit` one step at a time: checked against `fit` itself, the reference — the same weights,
 * history and optimiser state bit for bit, when run alone and when two runs take turns step by step.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import type { Observer } from "../src/train/events.js";
import { fit, type FitOptions, type FitResult, fitSteps } from "../src/train/fit.js";
import { threeBlobs } from "./helpers/models.js";

const data = threeBlobs(30, 4); // 30 rows, batches of 8: 4 steps an epoch, the last one short

const mlp = (seed: number): Sequential =>
  new Sequential([new Dense(8, { activation: "relu" }), new Dense(3, { activation: "softmax" })]).build(
    2,
    new Rng(seed),
  );

/** Options for one run; each call makes its own optimiser and observer. */
function options(events: string[]): FitOptions {
  const observer: Observer = {
    onTrainBegin: () => events.push("begin"),
    onBatchEnd: (e) => events.push(`batch ${e.step}`),
    onEpochEnd: (e) => events.push(`epoch ${e.epoch}`),
    onTrainEnd: () => events.push("end"),
  };
  return {
    epochs: 3,
    batchSize: 8,
    optimizer: adam({ lr: 0.05 }),
    loss: "crossEntropy",
    seed: 4,
    observers: [observer],
  };
}

const weights = (m: Sequential): number[][] => m.parameters().map(([, t]) => Array.from(t.data));
/** The history without its times (which differ from run to run). */
const timeless = (r: FitResult) => ({
  ...r,
  seconds: 0,
  samplesPerSecond: 0,
  epochs: r.epochs.map((e) => ({ ...e, seconds: 0 })),
});

function drain(steps: Generator<number, FitResult, void>, yielded: number[]): FitResult {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    yielded.push(next.value);
  }
}

test("fitSteps yields once per step, in fit's order of events, and ends with fit's result", () => {
  const [alone, stepped] = [mlp(1), mlp(1)];
  const [fitEvents, stepEvents] = [[] as string[], [] as string[]];
  const expected = fit(alone, data, options(fitEvents));
  const yielded: number[] = [];
  const got = drain(fitSteps(stepped, data, options(stepEvents)), yielded);
  assert.deepEqual(
    yielded,
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.deepEqual(stepEvents, fitEvents);
  assert.deepEqual(weights(stepped), weights(alone));
  assert.deepEqual(timeless(got), timeless(expected));
});

test("two runs taking turns step by step each end with the weights of the run alone", () => {
  const [a, b] = [mlp(1), mlp(2)];
  const ea = fit(a, data, options([]));
  const eb = fit(b, data, { ...options([]), seed: 7 });
  const [ta, tb] = [mlp(1), mlp(2)];
  const first = fitSteps(ta, data, options([]));
  const second = fitSteps(tb, data, { ...options([]), seed: 7 });
  let [ra, rb]: (FitResult | undefined)[] = [];
  while (!ra || !rb) {
    if (!ra) {
      const n = first.next();
      if (n.done) ra = n.value;
    }
    if (!rb) {
      const n = second.next();
      if (n.done) rb = n.value;
    }
  }
  assert.deepEqual(weights(ta), weights(a));
  assert.deepEqual(weights(tb), weights(b));
  assert.deepEqual(timeless(ra), timeless(ea));
  assert.deepEqual(timeless(rb), timeless(eb));
});

test("a run stopped between two steps keeps the weights of those steps", () => {
  const [full, part] = [mlp(3), mlp(3)];
  const steps: number[][][] = [];
  fit(full, data, {
    ...options([]),
    observers: [{ onBatchEnd: (_e, c) => steps.push(c.parameters.map(([, t]) => Array.from(t.data))) }],
  });
  const run = fitSteps(part, data, options([]));
  for (let i = 0; i < 5; i++) run.next();
  assert.deepEqual(weights(part), steps[4]);
  assert.notDeepEqual(steps[4], steps[11]);
});
