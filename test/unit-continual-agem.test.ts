/**
 * A-GEM's reference gradient and projection against a hand computation: the reference gradient is the
 * mean over min(referenceBatch, memory rows) rows drawn from the memory of softmax cross-entropy's
 * gradient, (p − y)·x per weight and p − y per bias, with the model in evaluation mode; a gradient g with
 * g·r < 0 becomes g − (g·r / r·r)·r. The drawn rows are read off the model's forward calls; every
 * expected value is worked out in float64 from the weights.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { agem, type Strategy } from "../src/continual/index.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { Observer } from "../src/train/events.js";
import {
  contextAt,
  logitsOf,
  near,
  perWeight,
  recordForwards,
  softmaxOver,
  tinyStream,
  weightsOf,
} from "./helpers/continual.js";

/** Six rows of one three-class task (domain-incremental: every row's head is all three units). */
const stream = tinyStream("domain", 3, [
  {
    x: [
      [1, -0.5],
      [0.3, 2],
      [-1.2, 0.7],
      [2, 1],
      [0.5, -1.5],
      [-0.8, -1],
    ],
    labels: [0, 1, 2, 0, 1, 2],
    classes: [0, 1, 2],
  },
]);

/**
 * Dropout(0.5) then a softmax layer, its forward calls' inputs recorded. The dropout throws when run in
 * training mode without an rng: the reference gradient must be taken in evaluation mode.
 */
function recordedModel(): { model: Sequential; drawn: number[][][] } {
  const model = new Sequential([new Dropout(0.5), new Dense(3, { activation: "softmax" })]).build(
    2,
    new Rng(4),
  );
  return { model, drawn: recordForwards(model) };
}

/** The label of a row of the task, found by its inputs. */
function labelOf(x: readonly number[]): number {
  const task = stream.tasks[0];
  const r = [0, 1, 2, 3, 4, 5].find((i) => task.x.data[2 * i] === x[0] && task.x.data[2 * i + 1] === x[1]);
  assert.ok(r !== undefined, `row ${x} is one of the task's`);
  return task.labels[r];
}

/** The mean over `rows` of softmax cross-entropy's gradient by hand, as one vector: weights, then biases. */
function referenceGradient(model: Sequential, rows: readonly number[][]): number[] {
  const w = weightsOf(model);
  const sum = new Array<number>(9).fill(0);
  for (const x of rows) {
    const p = softmaxOver(logitsOf(w.get("1.weight")!, w.get("1.bias")!, x), [0, 1, 2]);
    const each = perWeight(
      p.map((pk, k) => pk - +(k === labelOf(x))),
      x,
    );
    [...each.weight, ...each.bias].forEach((v, i) => {
      sum[i] += v / rows.length;
    });
  }
  return sum;
}

/** The observer's projection of the gradient `g` (weights, then biases), in place as fit calls it. */
function project(observer: Observer, g: readonly number[]): number[] {
  const grads = new Map([
    ["1.weight", Float32Array.from(g.slice(0, 6))],
    ["1.bias", Float32Array.from(g.slice(6))],
  ]);
  observer.onGradients!(grads, {} as never);
  return [...grads.get("1.weight")!, ...grads.get("1.bias")!];
}

/** A gradient against `r` (g·r < 0) that is not a multiple of it. */
const against = (r: readonly number[]): number[] => r.map((v, i) => Math.fround(-2 * v + 0.2 * Math.cos(i)));

/**
 * Check one projection against g − (g·r / r·r)·r, r from the rows the observer drew. A first observer on
 * the same seed, given a zero gradient (g·r = 0: left alone), shows the draw, so that g can be chosen
 * against r; the second, on that seed again, must draw the same rows.
 */
function checkProjection(strategy: Strategy, rows: number, what: string): number[][] {
  const { model, drawn } = recordedModel();
  const zero = new Array<number>(9).fill(0);
  assert.deepEqual(project(strategy.observer!(contextAt(model, stream, 0, new Rng(9)))!, zero), zero);
  const r = referenceGradient(model, drawn[0]);
  const g = against(r);
  const got = project(strategy.observer!(contextAt(model, stream, 0, new Rng(9)))!, g);
  assert.equal(drawn.length, 2, `${what}: one forward pass per step`);
  assert.equal(drawn[1].length, rows, `${what}: reference rows`);
  assert.deepEqual(drawn[1], drawn[0], `${what}: the same seed draws the same rows`);
  const dot = g.reduce((s, v, i) => s + v * r[i], 0);
  const rr = r.reduce((s, v) => s + v * v, 0);
  assert.ok(dot < 0 && Math.abs(rr - 1) > 0.2, `${what}: g·r = ${dot} < 0, r·r = ${rr} far from 1`);
  got.forEach((v, i) => near(v, g[i] - (dot / rr) * r[i], 1e-5, `${what}: projected g[${i}]`));
  return drawn[1];
}

test("A-GEM's reference gradient: the mean over referenceBatch rows drawn from the memory, in evaluation mode", () => {
  const strategy = agem({ memorySize: 6, referenceBatch: 4 });
  strategy.onTaskEnd!(contextAt(recordedModel().model, stream, 0));
  const drawn = checkProjection(strategy, 4, "referenceBatch 4 of 6");
  assert.ok(
    drawn.some((x) => x[0] !== drawn[0][0] || x[1] !== drawn[0][1]),
    `the draw is random, not one row repeated: ${JSON.stringify(drawn)}`,
  );
});

test("A-GEM draws no more reference rows than the memory holds", () => {
  const strategy = agem({ memorySize: 3, referenceBatch: 50 });
  strategy.onTaskEnd!(contextAt(recordedModel().model, stream, 0));
  checkProjection(strategy, 3, "referenceBatch 50 of 3");
});

test("A-GEM from a saved state: the same memory; from an empty one, no observer", () => {
  const strategy = agem({ memorySize: 4, referenceBatch: 2 });
  strategy.onTaskEnd!(contextAt(recordedModel().model, stream, 0));
  const state = structuredClone(strategy.getState!());
  const resumed = agem({ memorySize: 4, referenceBatch: 2 });
  resumed.setState!(state);
  assert.deepEqual(resumed.getState!(), state);
  checkProjection(resumed, 2, "resumed");

  const empty = agem();
  empty.setState!({ perTask: [] });
  assert.equal(empty.observer!(contextAt(recordedModel().model, stream, 0)), null);
  assert.deepEqual(empty.getState!(), { perTask: [] });
});
