/**
 * Continual-learning updates and measures against closed forms worked out by hand (or in float64 beside
 * the float32 code): SI's path integral, A-GEM's projection, Chaudhry's forgetting.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  agem,
  continualMeasures,
  headLoss,
  makeStream,
  si,
  type TaskContext,
} from "../src/continual/index.js";
import { oneHot } from "../src/data/dataset.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

const near = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol * (1 + Math.abs(want)), `${what}: ${got} vs ${want}`);

test("SI: ω sums −g·Δθ with g the task loss's gradient alone (the penalty's own gradient taken out); Ω = ω⁺/(Δ² + ξ)", () => {
  // A linear model ŷ = w·x + b under MSE, trained by plain SGD with full batches: every step is in closed form.
  const x = [
    [1, 0.5],
    [-0.5, 1],
    [2, -1],
    [0.3, 0.3],
  ];
  const targets = [
    [1, -1, 0.5, 2],
    [-2, 0.5, 1, 0],
  ]; // task 1, task 2
  const [lr, c, xi] = [0.1, 2.5, 0.1]; // c ≠ 1, so that 2·c and 2/c differ
  const model = new Sequential([new Dense(1, { activation: "identity" })]).build(2, new Rng(7));
  const ctx = { model } as unknown as TaskContext; // SI reads only the model from its context
  const strategy = si({ c, xi });
  const data = (t: number) => ({
    x: new Tensor(Float32Array.from(x.flat()), [4, 2]),
    y: new Tensor(Float32Array.from(targets[t]), [4, 1]),
  });
  const train = (t: number, steps: number): void => {
    strategy.onTaskStart!(ctx);
    fit(model, data(t), {
      epochs: steps,
      batchSize: 4,
      shuffle: false,
      optimizer: sgd({ lr }),
      loss: "mse",
      observers: [strategy.observer!(ctx) as Observer],
    });
    strategy.onTaskEnd!(ctx);
  };
  const omega = () => (strategy.getState!() as { omega: Record<string, Float64Array> }).omega;

  // θ = [w0, w1, b] in float64; the gradient of mean((ŷ − y)²).
  let theta = [...model.parameters()[0][1].data, model.parameters()[1][1].data[0]];
  const taskGrad = (th: number[], t: number): number[] => {
    const g = [0, 0, 0];
    x.forEach(([a, b], i) => {
      const r = (2 / 4) * (th[0] * a + th[1] * b + th[2] - targets[t][i]);
      g[0] += r * a;
      g[1] += r * b;
      g[2] += r;
    });
    return g;
  };

  // Task 1, one step: Δ = −lr·g, so ω = lr·g² and Ω = lr·g² / (lr²·g² + ξ).
  const g1 = taskGrad(theta, 0);
  train(0, 1);
  const want1 = g1.map((g) => (lr * g * g) / (lr * lr * g * g + xi));
  const o1 = omega();
  [...o1["0.weight"], ...o1["0.bias"]].forEach((v, i) => near(v, want1[i], 1e-5, `Ω after task 1 [${i}]`));

  // Task 2, three steps under the penalty c·Σ Ω (θ − θ*)², θ* the weights after task 1: the step follows
  // g_task + 2cΩ(θ − θ*), but ω adds −g_task·Δθ only.
  const anchor = [...model.parameters()[0][1].data, model.parameters()[1][1].data[0]];
  theta = anchor.slice();
  const importance = want1.map((v) => Math.fround(v));
  const path = [0, 0, 0];
  for (let s = 0; s < 3; s++) {
    const g = taskGrad(theta, 1);
    const next = theta.map((th, i) => th - lr * (g[i] + 2 * c * importance[i] * (th - anchor[i])));
    next.forEach((th, i) => {
      path[i] -= g[i] * (th - theta[i]);
    });
    theta = next;
  }
  train(1, 3);
  const want2 = want1.map((o, i) => o + Math.max(0, path[i]) / ((theta[i] - anchor[i]) ** 2 + xi));
  const o2 = omega();
  [...o2["0.weight"], ...o2["0.bias"]].forEach((v, i) => near(v, want2[i], 1e-4, `Ω after task 2 [${i}]`));
});

/** A one-layer softmax classifier, a three-class task and the context a strategy sees. */
function softmaxSetup(): { ctx: TaskContext; model: Sequential } {
  const rng = new Rng(11);
  const n = 12;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const x = Float32Array.from({ length: n * 4 }, (_, j) => 1.5 * rng.normal() + labels[Math.floor(j / 4)]);
  const stream = makeStream(
    { x, y: oneHot(labels, 3), n, inputDim: 4, outputDim: 3, task: "classification", labels },
    { kind: "split", tasks: 1, seed: 0, scenario: "domain" },
  );
  const model = new Sequential([new Dense(3, { activation: "softmax" })]).build(4, new Rng(2));
  const ctx: TaskContext = {
    model,
    stream,
    task: stream.tasks[0],
    taskIndex: 0,
    seen: stream.tasks,
    loss: headLoss(stream, 0),
    batchSize: 4,
    rng: new Rng(3),
    taskFree: false,
  };
  return { ctx, model };
}

test("A-GEM: a gradient against the memory's is projected to g − (g·r / r·r)·r, orthogonal to r; one along it is left alone", () => {
  const { ctx, model } = softmaxSetup();
  const strategy = agem({ memorySize: 1, referenceBatch: 1 }); // one memory row: the reference gradient is that row's
  strategy.onTaskEnd!(ctx);
  const [mem] = (strategy.getState!() as { perTask: { x: Float32Array; y: Float32Array }[] }).perTask;
  // Closed form of softmax cross-entropy on one row: ∂/∂z = p − t, so r_W[c][j] = (p_c − t_c)·x_j and r_b[c] = p_c − t_c.
  const [w, b] = model.parameters().map(([, t]) => t.data);
  const z = [0, 1, 2].map((k) => b[k] + [0, 1, 2, 3].reduce((s, j) => s + w[k * 4 + j] * mem.x[j], 0));
  const e = z.map((v) => Math.exp(v - Math.max(...z)));
  const dz = e.map((v, k) => v / e.reduce((s, u) => s + u, 0) - mem.y[k]);
  const r = [...[0, 1, 2].flatMap((k) => [0, 1, 2, 3].map((j) => dz[k] * mem.x[j])), ...dz];
  const rr = r.reduce((s, v) => s + v * v, 0);
  assert.ok(
    Math.abs(rr - 1) > 0.5,
    `‖r‖² = ${rr} must be far from 1, or a projection scaled by ‖r‖ would pass`,
  );

  const observer = strategy.observer!(ctx) as Observer;
  const project = (g: number[]): number[] => {
    const grads = new Map([
      ["0.weight", Float32Array.from(g.slice(0, 12))],
      ["0.bias", Float32Array.from(g.slice(12))],
    ]);
    observer.onGradients!(grads, {} as never);
    return [...grads.get("0.weight")!, ...grads.get("0.bias")!];
  };
  const against = r.map((v, i) => Math.fround(-1.5 * v + 0.3 * Math.sin(i + 1)));
  const dot = against.reduce((s, v, i) => s + v * r[i], 0);
  assert.ok(dot < 0);
  const got = project(against);
  const want = against.map((v, i) => v - (dot / rr) * r[i]);
  got.forEach((v, i) => near(v, want[i], 1e-5, `projected g[${i}]`));
  near(got.reduce((s, v, i) => s + v * r[i], 0) / Math.sqrt(rr), 0, 1e-5, "g̃·r / ‖r‖");

  const along = r.map((v, i) => Math.fround(v + 0.3 * Math.sin(i + 1)));
  assert.ok(along.reduce((s, v, i) => s + v * r[i], 0) > 0);
  assert.deepEqual(project(along), along);
});

test("Chaudhry forgetting takes its max over the stages before the last only (backward transfer gives a negative f_j)", () => {
  // Task 0 ends higher than it ever was (0.95 > 0.9): f_0 = max(0.9, 0.7) − 0.95 = −0.05. Taking the max over the
  // final row too would give 0. Task 1: max(0.05, 0.85) − 0.6 = 0.25 either way.
  const R = [
    [0.9, 0.05, 0.1],
    [0.7, 0.85, 0.1],
    [0.95, 0.6, 0.8],
  ];
  const { forgetting } = continualMeasures(R, [0.1, 0.1, 0.1]);
  near(forgetting.perTaskMaxOverEarlier[0], -0.05, 1e-12, "f_0");
  near(forgetting.perTaskMaxOverEarlier[1], 0.25, 1e-12, "f_1");
  near(forgetting.maxOverEarlier, 0.1, 1e-12, "mean over j < T−1");
});
