/**
 * Tiny hand-built task streams and the float64 closed forms of a one-layer softmax classifier, for the
 * continual-learning unit tests: every strategy's update is checked against these, never against the
 * library's own helpers.
 */
import assert from "node:assert/strict";
import {
  headLoss,
  type Scenario,
  type Task,
  type TaskContext,
  type TaskStream,
} from "../../src/continual/index.js";
import { crossEntropy } from "../../src/losses/losses.js";
import { Dense, Dropout } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { Rng } from "../../src/tensor/rng.js";
import { Tensor } from "../../src/tensor/tensor.js";

export const near = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol * (1 + Math.abs(want)), `${what}: ${got} vs ${want}`);

/** One task as rows of inputs and their output units. */
export interface TinyTask {
  x: number[][];
  labels: number[];
  classes: number[];
}

/** A stream of the given tasks over `outputDim` units; in the task and class scenarios each task owns its classes. */
export function tinyStream(scenario: Scenario, outputDim: number, tasks: readonly TinyTask[]): TaskStream {
  const unitTask = new Int32Array(outputDim).fill(-1);
  if (scenario !== "domain")
    tasks.forEach((t, i) =>
      t.classes.forEach((u) => {
        unitTask[u] = i;
      }),
    );
  const built: Task[] = tasks.map((t, index) => {
    const n = t.labels.length;
    const y = new Float32Array(n * outputDim);
    t.labels.forEach((u, r) => {
      y[r * outputDim + u] = 1;
    });
    return {
      index,
      name: `task ${index}`,
      labels: Int32Array.from(t.labels),
      classes: t.classes,
      x: new Tensor(Float32Array.from(t.x.flat()), [n, t.x[0].length]),
      y: new Tensor(y, [n, outputDim]),
    };
  });
  return { kind: "split", scenario, inputDim: tasks[0].x[0].length, outputDim, tasks: built, unitTask };
}

/** What a strategy is told at task `i` of `stream` (its own loss, batch size 4, a seeded rng). */
export function contextAt(model: Sequential, stream: TaskStream, i: number, rng = new Rng(3)): TaskContext {
  return {
    model,
    stream,
    task: stream.tasks[i],
    taskIndex: i,
    seen: stream.tasks.slice(0, i + 1),
    loss: headLoss(stream, i),
    batchSize: 4,
    rng,
    taskFree: false,
  };
}

/** A one-layer softmax classifier: weights [outputs][inputs] row-major, as `Dense` keeps them. */
export function softmaxLayer(inputs: number, outputs: number, seed: number): Sequential {
  return new Sequential([new Dense(outputs, { activation: "softmax" })]).build(inputs, new Rng(seed));
}

/** θ as float64 arrays by name (the weights a penalty or an importance is checked at). */
export function weightsOf(model: Sequential): Map<string, number[]> {
  return new Map(model.parameters().map(([name, t]) => [name, Array.from(t.data)]));
}

/** Add `by · sin(i + 3k + 1)` to every weight: a move every weight makes, by a different amount. */
export function nudge(model: Sequential, by: number): void {
  model.parameters().forEach(([, t], k) =>
    t.data.forEach((_, i) => {
      t.data[i] += by * Math.sin(i + 3 * k + 1);
    }),
  );
}

/** z = W x + b in float64. */
export function logitsOf(w: readonly number[], b: readonly number[], x: readonly number[]): number[] {
  return b.map((bk, k) => x.reduce((s, v, j) => s + w[k * x.length + j] * v, bk));
}

/** softmax(z / T) over `units` (a head): the probabilities of those units, in their order. */
export function softmaxOver(z: readonly number[], units: readonly number[], temperature = 1): number[] {
  const s = units.map((u) => z[u] / temperature);
  const top = Math.max(...s);
  const e = s.map((v) => Math.exp(v - top));
  const total = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / total);
}

/** Per-weight values of a softmax layer from per-unit ones: a[k]·x_j for weight [k][j], a[k] for bias k. */
export function perWeight(a: readonly number[], x: readonly number[]): { weight: number[]; bias: number[] } {
  return { weight: a.flatMap((ak) => x.map((v) => ak * v)), bias: [...a] };
}

/** Assert each named array matches its expectation element-wise (relative tolerance `tol`). */
export function assertArrays(
  got: ReadonlyMap<string, ArrayLike<number>>,
  want: ReadonlyMap<string, readonly number[]>,
  tol: number,
  what: string,
): void {
  for (const [name, w] of want) {
    const g = got.get(name);
    assert.ok(g, `${what}: no ${name}`);
    assert.equal(g.length, w.length, `${what} ${name}: length`);
    w.forEach((v, i) => near(g[i], v, tol, `${what} ${name}[${i}]`));
  }
}

/** Two tasks of two classes each over four units (task-incremental: each row may use its own task's two). */
export const twoHeads: TinyTask[] = [
  {
    x: [
      [1, -0.5],
      [0.3, 2],
      [-1.2, 0.7],
      [2, 1],
    ],
    labels: [0, 1, 1, 0],
    classes: [0, 1],
  },
  {
    x: [
      [-0.4, 1.5],
      [1.1, -0.9],
      [0.6, 0.2],
      [-1.5, -0.3],
    ],
    labels: [2, 3, 2, 3],
    classes: [2, 3],
  },
];

/**
 * Dropout(0.5) (which throws in training mode without an rng, so replayed rows must go through in
 * evaluation mode) then logits = W x, bias 0, for rows of 2 inputs; each forward call's rows recorded in
 * `drawn`, so a test reads which remembered rows a strategy replayed.
 */
export function recordedModel(weights: readonly (readonly number[])[]): {
  model: Sequential;
  drawn: number[][][];
} {
  const model = new Sequential([
    new Dropout(0.5),
    new Dense(weights.length, { activation: "softmax" }),
  ]).build(2, new Rng(0));
  const [[, w], [, b]] = model.parameters();
  w.data.set(weights.flat());
  b.data.fill(0);
  return { model, drawn: recordForwards(model) };
}

/** Record the rows (of 2 inputs) of each of `model`'s forward calls from now on, in the array returned. */
export function recordForwards(model: Sequential): number[][][] {
  const drawn: number[][][] = [];
  const forward = model.forwardLinear.bind(model);
  model.forwardLinear = (x, ctx) => {
    drawn.push(Array.from({ length: x.shape[0] }, (_, r) => Array.from(x.data.subarray(2 * r, 2 * r + 2))));
    return forward(x, ctx);
  };
  return drawn;
}

/** What a task-free replay strategy is told: one placeholder task of 2 inputs and `outputs` units. */
export function replayContext(
  model: Sequential,
  batchSize: number,
  o: { outputs: number; scenario: Scenario; seed: number },
): TaskContext {
  const task = {
    index: 0,
    name: "t",
    x: new Tensor(new Float32Array(2), [1, 2]),
    y: new Tensor(new Float32Array(o.outputs), [1, o.outputs]),
    labels: new Int32Array(1),
    classes: [],
  };
  return {
    model,
    stream: { inputDim: 2, outputDim: o.outputs, scenario: o.scenario, tasks: [task], unitTask: [] } as never,
    task,
    taskIndex: 0,
    seen: [task],
    loss: crossEntropy,
    batchSize,
    rng: new Rng(o.seed),
    taskFree: true,
  };
}
