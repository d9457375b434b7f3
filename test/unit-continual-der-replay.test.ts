/**
 * DER++'s replay step through its observer, against values worked out by hand: once the memory holds
 * rows, each step draws two batches of `replayBatch` rows (before offering its own), runs them through
 * the model in evaluation mode, and adds α·mean((f(x) − z)²) over the first draw's stored logits z and
 * β·CE(f(x'), y') over the second's stored labels. The drawn rows are read off the model's forward calls;
 * expected values are computed in float64 from the weights.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { derpp } from "../src/continual/strategies/der.js";
import type { TaskContext } from "../src/continual/strategy.js";
import type { Sequential } from "../src/nn/sequential.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";
import { near, recordedModel, replayContext } from "./helpers/continual.js";

const t = (rows: number[][]): Tensor =>
  new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);

/** Weights [units][inputs], bias 0. */
const W = [
  [1, 0],
  [0, 2],
  [-1, 1],
];
const logitsOf = (x: readonly number[]): number[] => W.map(([a, b]) => a * x[0] + b * x[1]);

const recorded = () => recordedModel(W);
const context = (model: Sequential, batchSize: number): TaskContext =>
  replayContext(model, batchSize, { outputs: 3, scenario: "domain", seed: 8 });

const control = { step: 0 } as TrainingControl;

/** The first batch: two rows with their labels and the logits the network gave them (what is stored). */
const stored = [
  { x: [1, 0], label: 0, z: [5, -1, 2] },
  { x: [0, 1], label: 1, z: [0, 3, 1] },
];
const rowOf = (x: readonly number[]) => {
  const row = stored.find((s) => s.x[0] === x[0] && s.x[1] === x[1]);
  assert.ok(row, `drawn row ${x} is one the memory held before this step`);
  return row;
};

for (const [replayBatch, rows] of [
  [3, 3],
  [0, 2],
] as const) {
  test(`DER++'s replay step: two draws of ${rows} stored rows (replayBatch ${replayBatch}, batch size 2), MSE to their stored logits and CE to their labels`, () => {
    const [alpha, beta] = [0.7, 0.4];
    const { model, drawn } = recorded();
    const strategy = derpp({ bufferSize: 2, replayBatch, alpha, beta });
    assert.equal(strategy.getState!(), null, "no memory before the first observer");
    const observer = strategy.observer!(context(model, 2))!;
    const step = (x: number[][], labels: number[], z: number[][]) =>
      observer.lossTerm!(
        {
          batch: { x: t(x), y: t(labels.map((u) => [0, 1, 2].map((k) => +(k === u)))) },
          logits: t(z),
          parameters: [],
          step: 0,
          epoch: 0,
        },
        control,
      );
    const first = step(
      stored.map((s) => s.x),
      stored.map((s) => s.label),
      stored.map((s) => s.z),
    );
    assert.equal(first, null, "nothing to replay from an empty memory");
    assert.equal(drawn.length, 0);

    const term = step([[3, 3]], [2], [[9, 9, 9]])!;
    assert.equal(drawn.length, 2, "two draws");
    assert.deepEqual(
      drawn.map((d) => d.length),
      [rows, rows],
    );
    // α · mean over the first draw's rows and units of (f(x) − z)², β · mean over the second's of CE.
    const a = drawn[0].map(rowOf);
    const b = drawn[1].map(rowOf);
    const mse =
      a.reduce((s, r) => s + logitsOf(r.x).reduce((q, f, k) => q + (f - r.z[k]) ** 2, 0), 0) / (3 * a.length);
    const ce =
      b.reduce((s, r) => {
        const f = logitsOf(r.x);
        return s + Math.log(f.reduce((q, v) => q + Math.exp(v), 0)) - f[r.label];
      }, 0) / b.length;
    near(term.item(), alpha * mse + beta * ce, 1e-5, "DER++'s term");
  });
}
