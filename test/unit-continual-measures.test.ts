/**
 * Every measure of `continualMeasures` (measures.ts) on a hand-made 4×4 accuracy matrix whose entries
 * all differ, so a slipped index (a transposed R, a row for a column, the last task counted in BWT)
 * changes the answer. Expected values are worked out by hand in the comments.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { continualMeasures } from "../src/continual/index.js";
import { near } from "./helpers/continual.js";

// R[i][j]: accuracy on task j after training tasks 0..i. Task 1 ends higher than it ever was (0.78 > 0.75).
const R = [
  [0.8, 0.3, 0.25, 0.15],
  [0.85, 0.7, 0.35, 0.2],
  [0.6, 0.75, 0.9, 0.4],
  [0.5, 0.78, 0.55, 0.95],
];
const b = [0.1, 0.2, 0.22, 0.12];
const jointR = [
  [0.85, 0.33, 0.21, 0.11],
  [0.87, 0.8, 0.31, 0.17],
  [0.86, 0.82, 0.93, 0.23],
  [0.88, 0.84, 0.91, 0.97],
];
const m = continualMeasures(R, b, jointR);

test("ACC: the mean of the last row, (0.5 + 0.78 + 0.55 + 0.95) / 4", () => {
  near(m.ACC, 2.78 / 4, 1e-12, "ACC");
});

test("BWT: mean over j < T−1 of R[T−1][j] − R[j][j] = (−0.3 + 0.08 − 0.35) / 3 (the last task has nothing to transfer back)", () => {
  near(m.BWT, -0.57 / 3, 1e-12, "BWT");
});

test("FWT: mean over j > 0 of R[j−1][j] − b[j] = (0.3 − 0.2 + 0.35 − 0.22 + 0.4 − 0.12) / 3", () => {
  near(m.FWT, 0.51 / 3, 1e-12, "FWT");
});

test("forgetting: max over stages 0..T−2 of R[l][j] minus R[T−1][j]; and R[j][j] − R[T−1][j]; both over j < T−1", () => {
  const f = m.forgetting;
  // max(0.8, 0.85, 0.6) − 0.5; max(0.3, 0.7, 0.75) − 0.78; max(0.25, 0.35, 0.9) − 0.55
  [0.35, -0.03, 0.35].forEach((v, j) =>
    near(f.perTaskMaxOverEarlier[j], v, 1e-12, `max-over-earlier f_${j}`),
  );
  assert.equal(f.perTaskMaxOverEarlier.length, 3);
  near(f.maxOverEarlier, 0.67 / 3, 1e-12, "max-over-earlier mean");
  // 0.8 − 0.5; 0.7 − 0.78; 0.9 − 0.55
  [0.3, -0.08, 0.35].forEach((v, j) =>
    near(f.perTaskJustTrainedMinusLast[j], v, 1e-12, `just-trained-minus-last f_${j}`),
  );
  assert.equal(f.perTaskJustTrainedMinusLast.length, 3);
  near(f.justTrainedMinusLast, 0.57 / 3, 1e-12, "just-trained-minus-last mean");
});

test("intransigence: mean over k of jointR[k][k] − R[k][k] = (0.05 + 0.1 + 0.03 + 0.02) / 4", () => {
  [0.05, 0.1, 0.03, 0.02].forEach((v, k) => near(m.perTaskIntransigence![k], v, 1e-12, `I_${k}`));
  near(m.intransigence!, 0.2 / 4, 1e-12, "intransigence");
});
