/**
 * LwF's teacher on a model with running statistics and dropout, against a float64 forward pass by hand:
 * the teacher is frozen with its parameters and its batch norm's running statistics, is run in evaluation
 * mode, and a fresh instance given the saved state distils towards the same teacher. The term is
 * λ T² mean_rows −Σ_c softmax(teacher/T)_c log softmax(student/T)_c over the classes seen before.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { lwf, type Strategy } from "../src/continual/index.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { BatchNorm } from "../src/nn/norm-layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { contextAt, near, softmaxOver, tinyStream } from "./helpers/continual.js";

/** Class-incremental: task 0 owns classes 0 and 1, task 1 class 2. */
const stream = tinyStream("class", 3, [
  {
    x: [
      [1, -0.5],
      [0.3, 2],
    ],
    labels: [0, 1],
    classes: [0, 1],
  },
  {
    x: [
      [-1.2, 0.7],
      [2, 1],
      [0.5, -1.5],
    ],
    labels: [2, 2, 2],
    classes: [2],
  },
]);

/** Every value a model holds, by name: batch norm's gain, shift and running statistics, then the dense layer's. */
interface Values {
  gain: number[];
  shift: number[];
  mean: number[];
  variance: number[];
  weight: number[];
  bias: number[];
}

const TEACHER: Values = {
  gain: [1.5, 0.5],
  shift: [0.2, -0.1],
  mean: [0.4, -0.3],
  variance: [2, 0.5],
  weight: [1, -1, 0.5, 2, -1.5, 0.3],
  bias: [0.1, -0.2, 0.3],
};
const STUDENT: Values = {
  gain: [1, 1],
  shift: [0, 0],
  mean: [0, 0],
  variance: [1, 1],
  weight: [0.2, 0.4, -0.6, 0.8, 1, -1],
  bias: [0, 0.5, -0.5],
};

/** Batch norm, dropout 0.5 (which throws in training mode without an rng), a softmax layer; set to `v`. */
function modelWith(v: Values): Sequential {
  const model = new Sequential([
    new BatchNorm(),
    new Dropout(0.5),
    new Dense(3, { activation: "softmax" }),
  ]).build(2, new Rng(1));
  set(model, v);
  return model;
}

function set(model: Sequential, v: Values): void {
  const all = new Map([...model.parameters(), ...model.buffers()]);
  all.get("0.weight")!.data.set(v.gain);
  all.get("0.bias")!.data.set(v.shift);
  all.get("0.runningMean")!.data.set(v.mean);
  all.get("0.runningVar")!.data.set(v.variance);
  all.get("2.weight")!.data.set(v.weight);
  all.get("2.bias")!.data.set(v.bias);
}

/** The logits in evaluation mode, in float64: z = W ((x − mean) / √(var + 1e−5) · gain + shift) + b. */
function logitsByHand(v: Values, x: readonly number[]): number[] {
  const h = x.map((xi, j) => ((xi - v.mean[j]) / Math.sqrt(v.variance[j] + 1e-5)) * v.gain[j] + v.shift[j]);
  return v.bias.map((b, k) => b + h.reduce((s, hj, j) => s + v.weight[k * 2 + j] * hj, 0));
}

/** λ T² mean over task 1's rows of the cross-entropy from the teacher's softmax to the student's, over units 0 and 1. */
function termByHand(lambda: number, t: number): number {
  const task = stream.tasks[1];
  const rows = task.x.shape[0];
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const x = Array.from(task.x.data.subarray(2 * r, 2 * r + 2));
    const p = softmaxOver(logitsByHand(TEACHER, x), [0, 1], t);
    const q = softmaxOver(logitsByHand(STUDENT, x), [0, 1], t);
    sum -= p.reduce((s, pc, c) => s + pc * Math.log(q[c]), 0);
  }
  return (lambda * t * t * sum) / rows;
}

/** The strategy's term on task 1's rows, with the student's logits in evaluation mode. */
function termOf(strategy: Strategy, student: Sequential): number {
  const batch = stream.tasks[1];
  const observer = strategy.observer!(contextAt(student, stream, 1));
  assert.ok(observer, "a teacher once task 0 has ended");
  return observer.lossTerm!(
    { batch, logits: student.forwardLinear(batch.x), parameters: student.parameters(), step: 0, epoch: 0 },
    {} as never,
  )!.item();
}

test("LwF's teacher keeps batch norm's running statistics and runs in evaluation mode", () => {
  const [lambda, temperature] = [0.6, 2.5];
  const model = modelWith(TEACHER);
  const strategy = lwf({ lambda, temperature });
  strategy.onTaskEnd!(contextAt(model, stream, 0));
  set(model, STUDENT); // the student moves on; the teacher must not
  near(termOf(strategy, model), termByHand(lambda, temperature), 1e-5, "term");
});

test("LwF from a saved state: the same teacher, parameters and running statistics, and the same heads", () => {
  const [lambda, temperature] = [1.3, 1.5];
  const saved = lwf({ lambda, temperature });
  saved.onTaskEnd!(contextAt(modelWith(TEACHER), stream, 0));
  const state = structuredClone(saved.getState!());
  const resumed = lwf({ lambda, temperature });
  resumed.setState!(state);
  const student = modelWith(STUDENT);
  near(termOf(resumed, student), termByHand(lambda, temperature), 1e-5, "term after resuming");
  // The restored teacher is kept: a second observer (the next task) distils towards it too.
  near(termOf(resumed, student), termByHand(lambda, temperature), 1e-5, "term at the next observer");
  assert.deepEqual((resumed.getState!() as { heads: number[][] }).heads, [[0, 1]]);
  // Before any task has ended there is no teacher, in the state or as an observer.
  const fresh = lwf();
  assert.deepEqual(fresh.getState!(), { teacher: null, heads: [] });
  fresh.setState!(structuredClone(fresh.getState!()));
  assert.equal(fresh.observer!(contextAt(student, stream, 0)), null);
});
