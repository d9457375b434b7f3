/**
 * DER++ and ER-ACE against values worked out by hand: DER++'s extra terms (the mean squared error to
 * stored logits plus the cross-entropy on stored labels) and ER-ACE's asymmetric objective (incoming rows
 * over the classes present in their batch, replayed rows over the classes seen) on tiny linear models,
 * their gradients in closed form, what the memory stores, and the registry's errors.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { grad } from "../src/autograd/backward.js";
import * as op from "../src/autograd/ops.js";
import { parseContinualConfig } from "../src/continual/config.js";
import { derpp, derppTerm } from "../src/continual/strategies/der.js";
import { aceLoss, erAce, presentUnits } from "../src/continual/strategies/er-ace.js";
import type { TaskContext } from "../src/continual/strategy.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { LossContext, TrainingControl } from "../src/train/events.js";

const t = (rows: number[][]): Tensor =>
  new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5, what = ""): void => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) < tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

/** Logits = x·Wᵀ + b with W = [[1, 0], [0, 2], [−1, 1]] (3 units, 2 inputs) and b = 0. */
function linearModel(): Sequential {
  const m = new Sequential([new Dense(3, { activation: "softmax" })]).build(2, new Rng(0));
  const [[, w], [, b]] = m.parameters();
  w.data.set([1, 0, 0, 2, -1, 1]);
  b.data.fill(0);
  return m;
}

test("DER++'s term: α·mean((f(x) − z)²) + β·CE(f(x'), y'), value and bias gradient by hand", () => {
  const model = linearModel();
  // f([1, 1]) = [1, 2, 0]; stored z = [0, 2, 2]: differences [1, 0, −2], mean square 5/3.
  const a = { x: t([[1, 1]]), z: t([[0, 2, 2]]) };
  // f([1, 0]) = [1, 0, −1], label 0: CE = log(e + 1 + 1/e) − 1.
  const b = { x: t([[1, 0]]), y: t([[1, 0, 0]]) };
  const [alpha, beta] = [2, 0.5];
  const term = derppTerm(model, crossEntropy, a, b, alpha, beta);
  const ce = Math.log(Math.E + 1 + 1 / Math.E) - 1;
  close([term.item()], [alpha * (5 / 3) + beta * ce], 1e-5, "value");
  // ∂/∂b: α·2·(f − z)/3 from the MSE (mean over 3 units), β·(softmax − onehot) from the CE.
  const z = Math.E + 1 + 1 / Math.E;
  const p = [Math.E / z, 1 / z, 1 / Math.E / z];
  const want = [0, 1, 2].map((j) => (alpha * 2 * [1, 0, -2][j]) / 3 + beta * (p[j] - (j === 0 ? 1 : 0)));
  const bias = model.parameters()[1][1];
  close(grad(term, [bias])[0].data, want, 1e-5, "bias gradient");
});

test("ER-ACE's loss: incoming rows over the classes present in their batch, replayed rows over the seen ones", () => {
  const target = t([
    [1, 0, 0, 0],
    [0, 1, 0, 0],
  ]);
  assert.deepEqual(Array.from(presentUnits(target)), [1, 1, 0, 0]);
  // Classes 2 and 3 are absent: their logits (3 and 5) take no part in the incoming loss.
  const logits = t([
    [1, 2, 3, 0],
    [0, 1, 0, 5],
  ]);
  const incoming = (Math.log(Math.exp(1) + Math.exp(2)) - 1 + (Math.log(1 + Math.E) - 1)) / 2;
  close([aceLoss(crossEntropy, logits, target, null, new Float32Array(4)).item()], [incoming], 1e-5);
  // Replayed row of class 2 among the seen classes 0, 1, 2 (unit 3's logit 9 is not seen yet).
  const replayed = { logits: t([[0, 0, 4, 9]]), y: t([[0, 0, 1, 0]]) };
  const seen = Float32Array.from([1, 1, 1, 0]);
  const replay = Math.log(2 + Math.exp(4)) - 4;
  close([aceLoss(crossEntropy, logits, target, replayed, seen).item()], [incoming + replay], 1e-5);
});

/** A context of a one-task class-free stream over `c` units for a strategy's observer. */
function context(model: Sequential, c: number, batchSize: number, rng = new Rng(3)): TaskContext {
  const task = {
    index: 0,
    name: "t",
    x: t([[0, 0]]),
    y: t([Array(c).fill(0)]),
    labels: new Int32Array(1),
    classes: [],
  };
  return {
    model,
    stream: { inputDim: 2, outputDim: c, scenario: "domain", tasks: [task], unitTask: [] } as never,
    task,
    taskIndex: 0,
    seen: [task],
    loss: crossEntropy,
    batchSize,
    rng,
    taskFree: true,
  };
}

const control = { step: 0 } as TrainingControl;

test("ER-ACE's observer turns the loop's head loss into the asymmetric one: the gradient on the logits by hand", () => {
  const model = linearModel();
  const observer = erAce({ bufferSize: 4 }).observer!(context(model, 3, 2))!;
  const logits = new Tensor(Float32Array.from([2, 0, 1, 1, 3, 0]), [2, 3], true);
  const batch = {
    x: t([
      [1, 0],
      [0, 1],
    ]),
    y: t([
      [1, 0, 0],
      [0, 1, 0],
    ]),
  };
  const ctx: LossContext = { batch, logits, parameters: [], step: 0, epoch: 0 };
  // What fit adds up: its own loss over every unit, plus the observer's term.
  const total = op.add(crossEntropy.fused!.fromLogits(logits, batch.y), observer.lossTerm!(ctx, control)!);
  // Classes 0 and 1 are present, class 2 is not: softmax over units 0 and 1 only, mean over the two rows.
  const e2 = Math.exp(2);
  close([total.item()], [Math.log(1 + 1 / e2)], 1e-6, "value");
  const want = [(e2 / (e2 + 1) - 1) / 2, 1 / (e2 + 1) / 2, 0, 1 / (1 + e2) / 2, (e2 / (1 + e2) - 1) / 2, 0];
  close(grad(total, [logits])[0].data, want, 1e-6, "gradient");
});

test("DER++'s memory keeps each stored row with its own label and the logits it had when stored", () => {
  const model = linearModel();
  const strategy = derpp({ bufferSize: 3 });
  const observer = strategy.observer!(context(model, 3, 2))!;
  const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, 10 + i]);
  for (let s = 0; s < 4; s++) {
    const x = t(rows.slice(2 * s, 2 * s + 2));
    const y = t([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    // Logits tagged with the row they belong to: 100·(first input) + unit.
    const logits = t(rows.slice(2 * s, 2 * s + 2).map(([a]) => [100 * a, 100 * a + 1, 100 * a + 2]));
    observer.lossTerm!({ batch: { x, y }, logits, parameters: [], step: s, epoch: 0 }, control);
  }
  const state = strategy.getState!() as { x: Float32Array; y: Float32Array; size: number; offered: number };
  assert.equal(state.size, 3);
  assert.equal(state.offered, 8);
  for (let slot = 0; slot < 3; slot++) {
    const a = state.x[2 * slot];
    assert.equal(state.x[2 * slot + 1], 10 + a, "the row stays whole");
    assert.deepEqual(Array.from(state.y.subarray(6 * slot, 6 * slot + 6)), [
      ...(a % 2 === 0 ? [1, 0, 0] : [0, 1, 0]),
      100 * a,
      100 * a + 1,
      100 * a + 2,
    ]);
  }
});

test("the reservoir keeps every offered row with probability capacity / offered (Vitter's algorithm R)", () => {
  const [capacity, n, trials] = [5, 20, 2000];
  const kept = new Array(n).fill(0);
  for (let trial = 0; trial < trials; trial++) {
    const strategy = erAce({ bufferSize: capacity });
    const observer = strategy.observer!(context(linearModel(), 3, 4, new Rng(trial)))!;
    for (let s = 0; s < n / 4; s++) {
      const x = t([0, 1, 2, 3].map((r) => [4 * s + r, 0]));
      const y = t([0, 1, 2, 3].map(() => [1, 0, 0]));
      observer.lossTerm!(
        { batch: { x, y }, logits: t([0, 1, 2, 3].map(() => [0, 0, 0])), parameters: [], step: s, epoch: 0 },
        control,
      );
    }
    const state = strategy.getState!() as { memory: { x: Float32Array; size: number; offered: number } };
    assert.equal(state.memory.size, capacity);
    assert.equal(state.memory.offered, n);
    for (let slot = 0; slot < capacity; slot++) kept[state.memory.x[2 * slot]]++;
  }
  // Binomial(2000, 1/4): sd 19.4 rows; 4 sd either side.
  for (let i = 0; i < n; i++)
    assert.ok(Math.abs(kept[i] - (trials * capacity) / n) < 78, `row ${i} kept ${kept[i]} times`);
});

test("every step offers its rows, in every epoch, as the authors' code does", () => {
  for (const strategy of [derpp({ bufferSize: 10 }), erAce({ bufferSize: 10 })]) {
    const observer = strategy.observer!(context(linearModel(), 3, 2))!;
    const batch = { x: t([[1, 2]]), y: t([[1, 0, 0]]) };
    const step = (epoch: number) =>
      observer.lossTerm!({ batch, logits: t([[0, 0, 0]]), parameters: [], step: 0, epoch }, control);
    step(0);
    step(1);
    const state = strategy.getState!() as { offered?: number; memory?: { offered: number } };
    assert.equal(state.offered ?? state.memory?.offered, 2, strategy.name);
  }
});

test("config errors name the field; derpp and erAce run task-free", () => {
  const refuses = (raw: unknown, message: string, field: string) =>
    assert.throws(
      () => parseContinualConfig({ strategy: raw }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.message, message);
        assert.equal(err.location.field, field);
        return true;
      },
    );
  refuses(
    { type: "derpp", alpha: -1 },
    "continual.strategy.alpha: must be ≥ 0, got -1",
    "continual.strategy.alpha",
  );
  refuses(
    { type: "derpp", beta: "x" },
    'continual.strategy.beta: expected a finite number, got string "x"',
    "continual.strategy.beta",
  );
  refuses(
    { type: "erAce", bufferSize: 0 },
    "continual.strategy.bufferSize: must be ≥ 1, got 0",
    "continual.strategy.bufferSize",
  );
  refuses(
    { type: "erAce", replayBatch: 1.5 },
    "continual.strategy.replayBatch: expected an integer, got number 1.5",
    "continual.strategy.replayBatch",
  );
  refuses(
    { type: "erAce", alpha: 1 },
    "continual.strategy.alpha: unknown key; expected one of type, bufferSize, replayBatch",
    "continual.strategy.alpha",
  );
  for (const type of ["derpp", "erAce"])
    assert.equal(parseContinualConfig({ strategy: type, taskFree: true, scenario: "class" }).taskFree, true);
});
