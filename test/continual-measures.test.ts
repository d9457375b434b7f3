import assert from "node:assert/strict";
import { test } from "node:test";
import { continualMeasures, formatAccuracyMatrix } from "../src/continual/index.js";
import { ConfigError } from "../src/tensor/errors.js";

const close = (a: number, b: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ""} ${a} ≠ ${b}`);

// A 3-task run, every measure worked out by hand (closed forms of Lopez-Paz & Ranzato 2017 and
// Chaudhry et al. 2018). Task 0 peaks after task 1 (0.95 > 0.90), so the two forgetting variants differ.
const R = [
  [0.9, 0.3, 0.2],
  [0.95, 0.8, 0.25],
  [0.6, 0.7, 0.85],
];
const b = [0.1, 0.2, 0.15];
const joint = [
  [0.92, 0.1, 0.1],
  [0.9, 0.9, 0.1],
  [0.9, 0.9, 0.9],
];

test("ACC, BWT, FWT on a hand-computed 3×3 matrix", () => {
  const m = continualMeasures(R, b);
  close(m.ACC, (0.6 + 0.7 + 0.85) / 3, "ACC");
  close(m.BWT, (0.6 - 0.9 + (0.7 - 0.8)) / 2, "BWT"); // −0.2
  close(m.FWT, (0.3 - 0.2 + (0.25 - 0.15)) / 2, "FWT"); // R[0][1] − b[1], R[1][2] − b[2]
});

test("forgetting: Chaudhry's max over earlier points, and the just-trained-minus-last variant", () => {
  const { forgetting } = continualMeasures(R, b);
  // task 0: max(R[0][0], R[1][0]) − R[2][0] = 0.95 − 0.6; task 1: max(R[0][1], R[1][1]) − R[2][1] = 0.8 − 0.7
  assert.deepEqual(
    forgetting.perTaskMaxOverEarlier.map((v) => +v.toFixed(12)),
    [0.35, 0.1],
  );
  close(forgetting.maxOverEarlier, (0.35 + 0.1) / 2);
  // R[j][j] − R[T−1][j]: 0.9 − 0.6, 0.8 − 0.7
  assert.deepEqual(
    forgetting.perTaskJustTrainedMinusLast.map((v) => +v.toFixed(12)),
    [0.3, 0.1],
  );
  close(forgetting.justTrainedMinusLast, 0.2);
  close(forgetting.justTrainedMinusLast, -continualMeasures(R, b).BWT, "just-trained-minus-last is −BWT");
  assert.ok(forgetting.maxOverEarlier >= forgetting.justTrainedMinusLast);
});

test("intransigence against a joint model: a*_k − R[k][k]", () => {
  const m = continualMeasures(R, b, joint);
  assert.deepEqual(
    m.perTaskIntransigence!.map((v) => +v.toFixed(12)),
    [0.02, 0.1, 0.05],
  );
  close(m.intransigence!, (0.02 + 0.1 + 0.05) / 3);
  assert.equal(continualMeasures(R, b).intransigence, null);
});

test("a learner that never forgets: BWT 0, forgetting 0; one task: only ACC", () => {
  const perfect = [
    [1, 0.5],
    [1, 1],
  ];
  const m = continualMeasures(perfect, [0.5, 0.5]);
  assert.equal(m.ACC, 1);
  assert.equal(m.BWT, 0);
  assert.equal(m.forgetting.maxOverEarlier, 0);
  assert.equal(m.FWT, 0);
  const one = continualMeasures([[0.7]], [0.1]);
  assert.equal(one.ACC, 0.7);
  assert.equal(one.BWT, 0);
  assert.equal(one.FWT, 0);
});

test("bad matrices are refused with a message", () => {
  assert.throws(() => continualMeasures([[0.5, 0.5]], [0.1]), ConfigError);
  assert.throws(() => continualMeasures([[1.5]], [0.1]), /fractions in \[0, 1\]/);
  assert.throws(() => continualMeasures(R, [0.1]), /baseline/);
  assert.throws(() => continualMeasures(R, b, [[1]]), /jointR/);
});

test("formatAccuracyMatrix: one row per stage, percentages, task names", () => {
  const text = formatAccuracyMatrix(R, ["0/1", "2/3", "4/5"]);
  const lines = text.split("\n");
  assert.match(lines[0], /0\/1 +2\/3 +4\/5/);
  assert.match(text, /after 4\/5 +│ +60\.0 +70\.0 +85\.0 │ +71\.7/);
  assert.match(text, /after 0\/1 +│ +90\.0 +30\.0 +20\.0 │ +90\.0/); // mean over tasks trained so far
  assert.match(formatAccuracyMatrix([[0.5]]), /task 1/);
});
