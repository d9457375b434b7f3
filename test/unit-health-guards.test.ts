/**
 * The health checks' guards where the code runs past them only in rare data: the rank of the design
 * taken over rows without NaN in any varying column (not some), a lone varying feature left alone
 * even when the sampled rows miss its variation, a failure without a reason worded without
 * parentheses, and multi-label targets (rows summing to 2) not taken for classes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkBeforeTraining, type DataToCheck } from "../src/health/index.js";
import { countBatch } from "../src/health/observer.js";
import { repairPolicy } from "../src/health/policy.js";
import { freshState } from "../src/health/state.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { TrainingControl } from "../src/train/events.js";
import { batchEvent } from "./helpers/control.js";

const kinds = (d: DataToCheck): string[] =>
  checkBeforeTraining(d, new Sequential([new Dense(1)]).build(d.inputDim, new Rng(0)), "mse").map(
    (e) => e.kind,
  );

/** 40 rows of three independent features (no exact linear relation among them and the bias). */
function independent(): DataToCheck {
  const n = 40;
  const x = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) x.set([Math.sin(r), Math.cos(2.7 * r), Math.sin(0.3 * r * r)], r * 3);
  return { x, y: new Float32Array(n), n, inputDim: 3, outputDim: 1, task: "regression" };
}

test("independent features: full rank; a NaN in one cell leaves that row out of the rank, not the rank NaN", () => {
  const d = independent();
  assert.deepEqual(kinds(d), []);
  d.x[6 * 3 + 1] = Number.NaN; // row 6's second feature; its other cells are finite
  assert.deepEqual(kinds(d), ["nonFiniteData"]);
});

test("a single varying feature is not rank-checked, even when the sampled rows all hold one value", () => {
  // 4,000 rows: every 2nd row is sampled (at most 2,000), and the feature varies on the others only.
  const n = 4000;
  const x = Float32Array.from({ length: n }, (_, r) => r % 2);
  assert.deepEqual(
    kinds({ x, y: new Float32Array(n), n, inputDim: 1, outputDim: 1, task: "regression" }),
    [],
  );
});

test("over 4,000 rows the rank is sampled every 2nd row, but a deficiency is confirmed on all rows", () => {
  const n = 4000;
  const data = (c: (r: number) => number): DataToCheck => {
    const x = new Float32Array(n * 2);
    for (let r = 0; r < n; r++) x.set([Math.sin(r), c(r)], r * 2);
    return { x, y: new Float32Array(n), n, inputDim: 2, outputDim: 1, task: "regression" };
  };
  assert.deepEqual(kinds(data((r) => r % 2)), [], "0 on every sampled row, 1 on the others: not collinear");
  assert.deepEqual(kinds(data((r) => 2 * Math.sin(r) + 1)), ["collinearFeatures"]);
});

test("a failure without a reason: the finding's diagnosis alone after 'training failed beyond repair'", () => {
  const policy = repairPolicy({ repair: true, maxPerKind: 1, maxTotal: 1, fatal: new Set() });
  const s = freshState(0);
  const reasons: string[] = [];
  const control = { fail: (why: string) => reasons.push(why) } as unknown as TrainingControl;
  const f = { kind: "divergence" as const, evidence: {}, diagnosis: "the loss rose", action: "cut it" };
  policy.fail(s, control, 40, f, "");
  policy.fail(s, control, 60, f, "twice");
  assert.deepEqual(reasons, [
    "training failed beyond repair: the loss rose",
    "training failed beyond repair: the loss rose (twice)",
  ]);
  assert.deepEqual(
    s.events.map((e) => [e.step, e.kind]),
    [
      [40, "failed"],
      [60, "failed"],
    ],
  );
});

test("targets of two columns are classes only when each row is one-hot: a row of 1, 1 is not", () => {
  const event = (y: number[][]) => batchEvent(1, { x: y.map(() => [0]), y });
  const multi = freshState(0);
  countBatch(
    multi,
    event([
      [1, 0],
      [1, 1],
    ]),
    [],
  );
  assert.deepEqual([multi.classification, multi.classCounts], [false, null]);
  const oneHot = freshState(0);
  countBatch(
    oneHot,
    event([
      [1, 0],
      [0, 1],
      [0, 1],
    ]),
    [],
  );
  assert.equal(oneHot.classification, true);
  assert.deepEqual([...(oneHot.classCounts ?? [])], [1, 2]);
});

/** `n` rows of one varying feature and the given target rows, as classes. */
function classes(y: number[][]): DataToCheck {
  const n = y.length;
  const x = Float32Array.from({ length: n }, (_, r) => r / n);
  return {
    x,
    y: Float32Array.from(y.flat()),
    n,
    inputDim: 1,
    outputDim: y[0].length,
    task: "classification",
  };
}

test("class checks: one target column is no set of classes, even all zeros", () => {
  assert.deepEqual(kinds(classes([[0], [0], [0]])), []);
});

test("two empty classes are reported as empty, not also as a duplicated pair", () => {
  const y = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [1, 0, 0, 0],
  ];
  assert.deepEqual(kinds(classes(y)), ["emptyClass"]);
});
