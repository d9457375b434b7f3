/**
 * The quadratic-penalty strategies (EWC, online EWC, MAS) and their importances, on a one-layer softmax
 * classifier whose per-row gradients have closed forms: softmax cross-entropy's logit gradient is p − y,
 * so a weight [k][j] gets (p_k − y_k)·x_j; ‖z‖²'s is 2z_k·x_j. Every expected value is worked out in
 * float64 here, from the weights alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import {
  ewc,
  fisherDiagonal,
  mas,
  onlineEwc,
  type Strategy,
  type TaskContext,
} from "../src/continual/index.js";
import {
  assertArrays,
  contextAt,
  logitsOf,
  near,
  nudge,
  perWeight,
  softmaxLayer,
  softmaxOver,
  tinyStream,
  weightsOf,
  twoHeads,
} from "./helpers/continual.js";
import { forEachSampledRow } from "../src/continual/strategy.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

const xs = [
  [1, -0.5],
  [0.3, 2],
  [-1.2, 0.7],
  [2, 1],
  [0.5, -1.5],
];
/** Three tasks of one three-class head (domain-incremental): the same inputs, relabelled. */
const domain = tinyStream("domain", 3, [
  { x: xs, labels: [0, 1, 2, 0, 1], classes: [0, 1, 2] },
  { x: xs, labels: [2, 2, 1, 0, 0], classes: [0, 1, 2] },
  { x: xs, labels: [1, 0, 0, 2, 2], classes: [0, 1, 2] },
]);

/**
 * The Fisher diagonal of task `ctx.task` at the current weights, by hand: the mean over rows of a_k·x_j²
 * per weight and a_k per bias, where over the row's head a_k = (p_k − y_k)² (empirical: the squared
 * per-row gradient) or p_k(1 − p_k) (expected: Σ_c p_c (p_k − δ_ck)², which sums to that); 0 off the head.
 * Over `rows` of the task (default: all).
 */
function fisherByHand(
  ctx: TaskContext,
  kind: "empirical" | "expected",
  rows?: readonly number[],
): Map<string, number[]> {
  const w = weightsOf(ctx.model);
  const { x, y, classes } = ctx.task;
  const [d, c] = [x.shape[1], y.shape[1]];
  const picked = rows ?? Array.from({ length: x.shape[0] }, (_, r) => r);
  const n = picked.length;
  const units = ctx.stream.scenario === "task" ? classes : Array.from({ length: c }, (_, k) => k);
  const sum = { weight: new Array<number>(c * d).fill(0), bias: new Array<number>(c).fill(0) };
  for (const r of picked) {
    const row = Array.from(x.data.subarray(r * d, (r + 1) * d));
    const p = softmaxOver(logitsOf(w.get("0.weight")!, w.get("0.bias")!, row), units);
    const a = new Array<number>(c).fill(0);
    units.forEach((u, i) => {
      a[u] = kind === "expected" ? p[i] * (1 - p[i]) : (p[i] - y.data[r * c + u]) ** 2;
    });
    const each = perWeight(
      a,
      row.map((v) => v * v),
    );
    each.weight.forEach((v, i) => {
      sum.weight[i] += v / n;
    });
    each.bias.forEach((v, i) => {
      sum.bias[i] += v / n;
    });
  }
  return new Map([
    ["0.weight", sum.weight],
    ["0.bias", sum.bias],
  ]);
}

/** The strategy's penalty at the model's current weights: its value and its gradient by parameter name. */
function penaltyAt(
  strategy: Strategy,
  ctx: TaskContext,
): { value: number; grads: Map<string, Float32Array> } {
  const params = ctx.model.parameters();
  const term = strategy.observer!(ctx)!.lossTerm!(
    { batch: ctx.task, logits: ctx.task.x, parameters: params, step: 0, epoch: 0 },
    {} as never,
  );
  assert.ok(term, "a penalty once a task has ended");
  const grads = grad(
    term,
    params.map(([, t]) => t),
  );
  return {
    value: term.item(),
    grads: new Map(params.map(([name], i) => [name, grads[i].data as Float32Array])),
  };
}

/**
 * Σ_k s·F_k (θ − θ_k)² by hand, and its gradient 2s Σ_k F_k (θ − θ_k), at the weights `theta`, for
 * importances `F` and anchors `anchors` (one pair per term).
 */
function quadraticByHand(
  theta: Map<string, number[]>,
  terms: readonly { F: Map<string, number[]>; anchor: Map<string, number[]> }[],
  s: number,
): { value: number; grads: Map<string, number[]> } {
  let value = 0;
  const grads = new Map<string, number[]>();
  for (const [name, th] of theta) {
    grads.set(
      name,
      th.map((v, i) =>
        terms.reduce((g, t) => g + 2 * s * t.F.get(name)![i] * (v - t.anchor.get(name)![i]), 0),
      ),
    );
    th.forEach((v, i) => {
      for (const t of terms) value += s * t.F.get(name)![i] * (v - t.anchor.get(name)![i]) ** 2;
    });
  }
  return { value, grads };
}

test("empirical Fisher: the mean over rows of the squared per-row gradient, (p_k − y_k)²·x_j² and (p_k − y_k)² (closed form)", () => {
  const model = softmaxLayer(2, 3, 4);
  const ctx = contextAt(model, domain, 0);
  const want = fisherByHand(ctx, "empirical");
  assertArrays(fisherDiagonal(ctx, 100, false), want, 1e-5, "empirical Fisher");
  // Fewer samples than rows: the mean over some two of the five rows (which two is the rng's choice).
  const few = fisherDiagonal(contextAt(model, domain, 0), 2, false);
  const pairs = [0, 1, 2, 3, 4].flatMap((a) =>
    [0, 1, 2, 3, 4].filter((b) => b > a).map((b) => fisherByHand(ctx, "empirical", [a, b])),
  );
  const matches = pairs.filter((f) =>
    [...f].every(([name, v]) => v.every((fi, i) => Math.abs(few.get(name)![i] - fi) <= 1e-5 * (1 + fi))),
  );
  assert.equal(matches.length, 1, "the mean over two distinct rows of the task");
});

test("Fisher under a task-incremental head: only the row's own units, p renormalised over them (empirical and expected)", () => {
  const stream = tinyStream("task", 4, twoHeads);
  const model = softmaxLayer(2, 4, 6);
  nudge(model, 0.4); // biases away from 0, so that the masked units would get weight if the mask leaked
  const ctx = contextAt(model, stream, 1);
  for (const kind of ["empirical", "expected"] as const) {
    const want = fisherByHand(ctx, kind);
    assert.ok(want.get("0.bias")![0] === 0 && want.get("0.bias")![2] > 0);
    assertArrays(fisherDiagonal(ctx, 100, kind === "expected"), want, 1e-5, `${kind} Fisher`);
  }
});

test("EWC: penalty (λ/2) Σ_k F_k (θ − θ_k)² with θ_k and F_k taken at each task's end: value and gradient (closed form)", () => {
  const model = softmaxLayer(2, 3, 4);
  const lambda = 3;
  const strategy = ewc({ lambda, fisherSamples: 100 });
  assert.equal(
    strategy.observer!(contextAt(model, domain, 0)),
    null,
    "no penalty before the first task ends",
  );

  const terms: { F: Map<string, number[]>; anchor: Map<string, number[]> }[] = [];
  for (const t of [0, 1]) {
    nudge(model, 0.5);
    const ctx = contextAt(model, domain, t);
    terms.push({ F: fisherByHand(ctx, "empirical"), anchor: weightsOf(model) });
    strategy.onTaskEnd!(ctx);
    nudge(model, -0.3); // the next task moves the weights: the anchor must stay where the task ended
    const theta = weightsOf(model);
    const want = quadraticByHand(theta, terms, lambda / 2);
    const got = penaltyAt(strategy, contextAt(model, domain, t + 1));
    assertArrays(got.grads, want.grads, 1e-4, `∇ penalty after task ${t}`);
    // EWC keeps the tasks' quadratics as one with the same gradient (see ewc.ts): its value is the sum of
    // the tasks' terms less the sum's minimum, (λ/2) Σ_i [Σ_k F_k θ_k² − (Σ_k F_k θ_k)² / Σ_k F_k].
    let floor = 0;
    for (const [name, th] of theta) {
      th.forEach((_, i) => {
        const [f, ft, ftt] = terms.reduce(
          ([a, b, c], { F, anchor }) => {
            const [fi, ai] = [F.get(name)![i], anchor.get(name)![i]];
            return [a + fi, b + fi * ai, c + fi * ai * ai];
          },
          [0, 0, 0],
        );
        floor += (lambda / 2) * (ftt - (ft * ft) / f);
      });
    }
    if (t === 0) near(floor, 0, 1e-12, "one task: the sum itself");
    near(got.value, want.value - floor, 1e-4, `penalty after task ${t}`);
  }
});

test("online EWC: F̃ ← γF̃ + F_k, anchor the latest task's end weights, penalty (λ/2) Σ F̃ (θ − θ*)² (closed form)", () => {
  const model = softmaxLayer(2, 3, 4);
  const [lambda, gamma] = [2, 0.5];
  const strategy = onlineEwc({ lambda, gamma, fisherSamples: 100 });
  let running: Map<string, number[]> | null = null;
  for (const t of [0, 1, 2]) {
    nudge(model, 0.5);
    const ctx = contextAt(model, domain, t);
    const f = fisherByHand(ctx, "empirical");
    running = new Map(
      [...f].map(([name, v]) => [name, v.map((fi, i) => (running ? gamma * running.get(name)![i] : 0) + fi)]),
    );
    const anchor = weightsOf(model);
    strategy.onTaskEnd!(ctx);
    nudge(model, -0.3);
    const want = quadraticByHand(weightsOf(model), [{ F: running, anchor }], lambda / 2);
    const got = penaltyAt(strategy, contextAt(model, domain, Math.min(t + 1, 2)));
    assertArrays(got.grads, want.grads, 1e-4, `∇ penalty after task ${t}`);
    near(got.value, want.value, 1e-4, `penalty after task ${t}`);
  }
});

test("MAS: Ω = Σ_tasks mean_rows |∂‖z_head‖²/∂θ| = |2z_k·x_j|, anchor the latest task's end, penalty λ Σ Ω (θ − θ*)²", () => {
  // Aljundi et al. 2018, eq. 4: Ω_ij = (1/N) Σ_k ‖g_ij(x_k)‖, g_ij = ∂ℓ2²(F(x_k; θ))/∂θ_ij, F the
  // (head's) output before the softmax; importances add up over tasks; λ Σ Ω (θ − θ*)², no ½ (their eq. 3).
  const stream = tinyStream("task", 4, twoHeads);
  const model = softmaxLayer(2, 4, 6);
  const lambda = 0.7;
  const strategy = mas({ lambda, samples: 100 });
  const omega = new Map([
    ["0.weight", new Array<number>(8).fill(0)],
    ["0.bias", new Array<number>(4).fill(0)],
  ]);
  for (const t of [0, 1]) {
    nudge(model, 0.5);
    const ctx = contextAt(model, stream, t);
    const w = weightsOf(model);
    const { x, classes } = ctx.task;
    const n = x.shape[0];
    for (let r = 0; r < n; r++) {
      const row = Array.from(x.data.subarray(r * 2, r * 2 + 2));
      const z = logitsOf(w.get("0.weight")!, w.get("0.bias")!, row);
      const each = perWeight(
        z.map((v, k) => (classes.includes(k) ? Math.abs(2 * v) : 0)),
        row.map(Math.abs),
      );
      each.weight.forEach((v, i) => {
        omega.get("0.weight")![i] += v / n;
      });
      each.bias.forEach((v, i) => {
        omega.get("0.bias")![i] += v / n;
      });
    }
    strategy.onTaskEnd!(ctx);
    assertArrays(
      new Map(Object.entries((strategy.getState!() as { omega: Record<string, Float64Array> }).omega)),
      omega,
      1e-5,
      `Ω after task ${t}`,
    );
    const anchor = weightsOf(model);
    nudge(model, -0.3);
    const want = quadraticByHand(weightsOf(model), [{ F: omega, anchor }], lambda);
    const got = penaltyAt(strategy, contextAt(model, stream, 1));
    assertArrays(got.grads, want.grads, 1e-4, `∇ penalty after task ${t}`);
    near(got.value, want.value, 1e-4, `penalty after task ${t}`);
  }
});

test("EWC and online EWC with expectedFisher 1 weigh by the expected Fisher p_k(1 − p_k), not the empirical one (closed form)", () => {
  const model = softmaxLayer(2, 3, 4);
  nudge(model, 0.5);
  const ctx = contextAt(model, domain, 0);
  const [expected, empirical] = [fisherByHand(ctx, "expected"), fisherByHand(ctx, "empirical")];
  assert.ok(
    Math.abs(expected.get("0.bias")![0] - empirical.get("0.bias")![0]) > 0.01,
    "the two Fishers differ here",
  );
  for (const strategy of [
    ewc({ fisherSamples: 100, expectedFisher: 1 }),
    onlineEwc({ fisherSamples: 100, expectedFisher: 1 }),
  ]) {
    strategy.onTaskEnd!(contextAt(model, domain, 0));
    const { importance } = strategy.getState!() as { importance: Record<string, Float32Array> };
    assertArrays(new Map(Object.entries(importance)), expected, 1e-5, `${strategy.name}'s importance`);
  }
});

test("EWC resumed from its state after task 0 keeps task 0's Fisher and weights in the penalty after task 1", () => {
  const lambda = 3;
  const model = softmaxLayer(2, 3, 4);
  nudge(model, 0.5);
  const first = contextAt(model, domain, 0);
  const terms = [{ F: fisherByHand(first, "empirical"), anchor: weightsOf(model) }];
  const saved = ewc({ lambda, fisherSamples: 100 });
  saved.onTaskEnd!(first);
  const resumed = ewc({ lambda, fisherSamples: 100 });
  resumed.setState!(structuredClone(saved.getState!()));
  nudge(model, -0.3);
  const second = contextAt(model, domain, 1);
  terms.push({ F: fisherByHand(second, "empirical"), anchor: weightsOf(model) });
  resumed.onTaskEnd!(second);
  nudge(model, 0.2);
  const want = quadraticByHand(weightsOf(model), terms, lambda / 2);
  assertArrays(penaltyAt(resumed, contextAt(model, domain, 2)).grads, want.grads, 1e-4, "∇ penalty");
});

test("the rows an importance is taken on: min(rows, task rows) distinct rows, each with its own target, the model in evaluation mode", () => {
  // Dropout(0.5) throws in training mode without an rng; in evaluation mode the logits are W x + b exactly.
  const model = new Sequential([new Dropout(0.5), new Dense(3, { activation: "softmax" })]).build(
    2,
    new Rng(4),
  );
  const w = weightsOf(model);
  const task = domain.tasks[0];
  for (const [rows, want] of [
    [3, 3],
    [50, 5],
  ]) {
    const visited: number[] = [];
    const n = forEachSampledRow(model, task, rows, new Rng(rows), (logits, target, params) => {
      assert.equal(params.length, 2, "the model's parameters");
      const x = Array.from(logits.data);
      // Which row: the one whose logits these are; its target must be that row's.
      const r = [0, 1, 2, 3, 4].find((i) =>
        logitsOf(w.get("1.weight")!, w.get("1.bias")!, xs[i]).every((z, k) => Math.abs(z - x[k]) < 1e-5),
      );
      assert.ok(r !== undefined, `logits ${x} are some row's W x + b`);
      assert.deepEqual(Array.from(target.data), Array.from(task.y.data.subarray(3 * r, 3 * r + 3)));
      visited.push(r);
    });
    assert.equal(n, want);
    assert.equal(visited.length, want);
    assert.equal(new Set(visited).size, want, `distinct rows: ${visited}`);
  }
});
