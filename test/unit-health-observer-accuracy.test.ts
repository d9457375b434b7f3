/**
 * The monitor's window accuracy and class counts at a check step, where the output layer's activations
 * are kept: a single output is right when its logit is above 0 (its probability above 0.5 when only the
 * output is kept), a one-hot row when its largest logit is at the label; every row's label counted once.
 * The classification decision is the first batch's and holds for the run. References by hand.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LayerInfo } from "../src/health/observer.js";
import { countBatch } from "../src/health/observer.js";
import { freshState } from "../src/health/state.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { BatchEvent } from "../src/train/events.js";

const t = (rows: number[][]) => new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
const OUT = [{ name: "1" }] as unknown as LayerInfo[];

/** A check step's event: targets y, and the output layer's logits (and output, or only the output). */
function event(y: number[][], kept: { logits?: number[][]; output: number[][] }): BatchEvent {
  const activations = new Map([
    ["1", { output: t(kept.output), preActivation: kept.logits ? t(kept.logits) : null }],
  ]);
  return { loss: 1, batchSize: y.length, batch: { y: t(y) }, activations } as unknown as BatchEvent;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

test("a single output: right when its logit is above 0; a logit of exactly 0 predicts 0", () => {
  const s = freshState(1);
  const y = [[1], [0], [1], [0], [0]];
  const logits = [[2], [-1], [-0.5], [0], [3]]; // right, right, wrong, right (0 is not above 0), wrong
  countBatch(s, event(y, { logits, output: logits.map(([z]) => [sigmoid(z)]) }), OUT);
  assert.deepEqual([s.correct, s.rows], [3, 5]);
  assert.deepEqual([...(s.classCounts ?? [])], [3, 2]);
});

test("a single output kept without its logits: right when the output is above 0.5", () => {
  const s = freshState(1);
  const y = [[1], [0], [1], [0]];
  countBatch(s, event(y, { output: [[0.9], [0.2], [0.5], [0.51]] }), OUT); // right, right, wrong, wrong
  assert.deepEqual([s.correct, s.rows], [2, 4]);
  assert.deepEqual([...(s.classCounts ?? [])], [2, 2]);
});

test("one-hot rows: right when the largest logit is at the label; each label counted", () => {
  const s = freshState(1);
  const y = [
    [0, 1, 0],
    [1, 0, 0],
    [0, 0, 1],
  ];
  const logits = [
    [0.1, 2, -1], // right
    [-3, -1, -2], // wrong: the largest is class 1
    [0, 1, 5], // right
  ];
  countBatch(s, event(y, { logits, output: logits }), OUT);
  assert.deepEqual([s.correct, s.rows], [2, 3]);
  assert.deepEqual([...(s.classCounts ?? [])], [1, 1, 1]);
});

test("the first batch decides classification for the run; later batches are counted, not judged", () => {
  const s = freshState(1);
  countBatch(s, event([[1], [0]], { logits: [[1], [-1]], output: [[0.7], [0.3]] }), OUT);
  // A later target that is not 0/1 (a mislabelled row) does not turn the run into regression.
  countBatch(s, event([[0.7], [1]], { logits: [[1], [1]], output: [[0.7], [0.7]] }), OUT);
  assert.equal(s.classification, true);
  // 0.7 reads as label 1 (above 0.5), which the logit 1 predicts: all four right.
  assert.deepEqual([s.correct, s.rows], [4, 4]);
  assert.deepEqual([...(s.classCounts ?? [])], [1, 3]);
});
