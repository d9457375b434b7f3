/**
 * ER-ACE's replay step, against values worked out by hand: once the memory holds rows, each step draws
 * `replayBatch` of them (before offering its own), runs them through the model in evaluation mode, and
 * adds their cross-entropy over every class seen so far to the incoming rows' cross-entropy over the
 * classes present in their batch. The drawn rows are read off the model's forward calls, and the
 * expected loss and gradients are computed in float64 from the weights, never by the library.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { grad } from "../src/autograd/backward.js";
import * as op from "../src/autograd/ops.js";
import { erAce } from "../src/continual/strategies/er-ace.js";
import type { Strategy, TaskContext } from "../src/continual/strategy.js";
import { crossEntropy } from "../src/losses/losses.js";
import type { Sequential } from "../src/nn/sequential.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";
import { near, recordedModel, replayContext } from "./helpers/continual.js";

const t = (rows: number[][]): Tensor =>
  new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
const oneHots = (labels: number[]): number[][] => labels.map((u) => [0, 1, 2, 3].map((k) => +(k === u)));

/** Weights [units][inputs]: unit 3's logit is the largest, so leaving it out of a softmax shows. */
const W = [
  [1, 0],
  [0, 2],
  [-1, 1],
  [3, 3],
];

const recorded = () => recordedModel(W);
const context = (model: Sequential, batchSize: number): TaskContext =>
  replayContext(model, batchSize, { outputs: 4, scenario: "class", seed: 5 });

/** −log softmax over `units` of `z` at unit `label`, and softmax(z over units) − onehot on those units (0 elsewhere). */
function ceOver(
  z: readonly number[],
  units: readonly number[],
  label: number,
): { value: number; dz: number[] } {
  const total = units.reduce((s, u) => s + Math.exp(z[u]), 0);
  const dz = z.map((v, u) => (units.includes(u) ? Math.exp(v) / total - +(u === label) : 0));
  return { value: Math.log(total) - z[label], dz };
}

const control = { step: 0 } as TrainingControl;

/**
 * One step of the strategy's observer as fit runs it: the loop's loss over every unit plus the observer's
 * term, on `logits` (a leaf, so the model's weights get gradient only through the replayed rows).
 */
function step(strategy: Strategy, ctx: TaskContext, x: number[][], labels: number[], logits: number[][]) {
  const observer = strategy.observer!(ctx)!;
  const batch = { x: t(x), y: t(oneHots(labels)) };
  const z = new Tensor(Float32Array.from(logits.flat()), [logits.length, 4], true);
  const term = observer.lossTerm!({ batch, logits: z, parameters: [], step: 0, epoch: 0 }, control)!;
  const total = op.add(crossEntropy.fused!.fromLogits(z, batch.y), term);
  const bias = ctx.model.parameters()[1][1];
  const [dLogits, dBias] = grad(total, [z, bias]);
  return { value: total.item(), dLogits: Array.from(dLogits.data), dBias: Array.from(dBias.data) };
}

const logitsOf = (x: readonly number[]): number[] => W.map(([a, b]) => a * x[0] + b * x[1]);

/** The replayed rows' part by hand: mean over `drawn` (each of class 0) of CE over `seen`; its bias gradient. */
function replayByHand(drawn: number[][], seen: number[]): { value: number; dBias: number[] } {
  const each = drawn.map((x) => ceOver(logitsOf(x), seen, 0));
  return {
    value: each.reduce((s, e) => s + e.value, 0) / drawn.length,
    dBias: [0, 1, 2, 3].map((u) => each.reduce((s, e) => s + e.dz[u], 0) / drawn.length),
  };
}

// The first batch is of class 0; the second of classes 1 and 2, with their logits given.
const first = {
  x: [
    [1, 0],
    [0, 1],
  ],
  labels: [0, 0],
};
const second = {
  x: [
    [2, 1],
    [1, 1],
  ],
  labels: [1, 2],
  logits: [
    [0.5, 1, 2, 4],
    [1, 0, -1, 2],
  ],
};
/** The second batch's incoming part by hand: CE over its present classes 1 and 2, mean over its two rows. */
const incoming = (() => {
  const rows = second.logits.map((z, r) => ceOver(z, [1, 2], second.labels[r]));
  return { value: (rows[0].value + rows[1].value) / 2, dLogits: rows.flatMap((r) => r.dz.map((v) => v / 2)) };
})();

for (const [replayBatch, rows] of [
  [3, 3],
  [0, 2],
] as const) {
  test(`ER-ACE's replay step draws ${rows} stored rows (replayBatch ${replayBatch}, batch size 2) and scores them over the seen classes`, () => {
    const { model, drawn } = recorded();
    const strategy = erAce({ bufferSize: 2, replayBatch });
    const ctx = context(model, 2);
    // An empty memory: nothing drawn, nothing run through the model; one class present, so the loss is 0.
    const start = step(strategy, ctx, first.x, first.labels, [
      [1, 2, 3, 4],
      [0, 0, 0, 0],
    ]);
    assert.equal(drawn.length, 0, "no draw from an empty memory");
    near(start.value, 0, 1e-6, "CE over the one present class");

    const got = step(strategy, ctx, second.x, second.labels, second.logits);
    assert.equal(drawn.length, 1, "one draw per step");
    assert.equal(drawn[0].length, rows, "rows drawn");
    for (const x of drawn[0])
      assert.ok(
        first.x.some((m) => m[0] === x[0] && m[1] === x[1]),
        `drawn row ${x} is one the memory held before this step`,
      );
    // Seen: class 0 (the memory's) and 1, 2 (this batch's); never unit 3, whose logit is the largest.
    const replayed = replayByHand(drawn[0], [0, 1, 2]);
    near(got.value, incoming.value + replayed.value, 1e-5, "incoming + replayed");
    got.dLogits.forEach((v, i) => near(v, incoming.dLogits[i], 1e-5, `∂/∂logits[${i}]`));
    got.dBias.forEach((v, u) => near(v, replayed.dBias[u], 1e-5, `∂/∂bias[${u}]`));
  });
}

test("ER-ACE resumed from its state keeps its memory and the classes it has seen", () => {
  const before = recorded();
  const strategy = erAce({ bufferSize: 2, replayBatch: 4 });
  step(strategy, context(before.model, 2), first.x, first.labels, [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  step(strategy, context(before.model, 2), [[5, 5]], [2], [[0, 0, 0, 0]]);
  const state = strategy.getState!();

  const { model, drawn } = recorded();
  const resumed = erAce({ bufferSize: 2, replayBatch: 4 });
  resumed.setState!(structuredClone(state));
  // A batch of class 1 only: its incoming CE is over one class (0); the replayed rows' covers the restored
  // seen classes 0 and 2 as well as 1, so the value is the replayed part alone.
  const got = step(resumed, context(model, 2), [[1, 1]], [1], [[0, 3, 1, 2]]);
  assert.equal(drawn.length, 1);
  assert.equal(drawn[0].length, 4);
  const held = (strategy.getState!() as { memory: { x: Float32Array } }).memory.x;
  const stored = [Array.from(held.subarray(0, 2)), Array.from(held.subarray(2, 4))];
  const labelOf = (x: number[]): number => (x[0] === 5 ? 2 : 0);
  for (const x of drawn[0])
    assert.ok(
      stored.some((m) => m[0] === x[0] && m[1] === x[1]),
      `drawn row ${x} is one the saved memory held`,
    );
  const each = drawn[0].map((x) => ceOver(logitsOf(x), [0, 1, 2], labelOf(x)));
  near(got.value, each.reduce((s, e) => s + e.value, 0) / each.length, 1e-5, "replayed over seen 0, 1, 2");
  // A fresh instance given no state starts with nothing seen and nothing stored.
  const fresh = erAce({ bufferSize: 2 });
  fresh.setState!(null);
  assert.equal(fresh.getState!(), null);
});
