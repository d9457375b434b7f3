/**
 * The column sums the regulators take of a batch's activations (intrinsic plasticity: sums and sums of
 * squares; continual backprop: sums and absolute deviations), against a plain loop down each column in
 * float64, into arrays that already hold an earlier batch's sums (the regulators keep them as scratch);
 * and which unit layers count as hidden.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { columnAbsDeviation, columnSums, hiddenLayers } from "../src/homeostasis/units.js";
import { Activation, Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

const ROWS = 5;
const UNITS = 3;
/** A [5, 3] batch, row by row, with negative entries and entries that are not exact in float32. */
const DATA = Float32Array.of(1, -2, 0.1, 3, 0.5, -0.7, -4, 2, 0.3, 0.25, -1, 1.9, 6, 0, -0.05);

/** Column u's entries as doubles, top to bottom. */
const column = (u: number): number[] => Array.from({ length: ROWS }, (_, r) => DATA[r * UNITS + u]);

test("columnSums: each column's sum and sum of squares, overwriting what the arrays held", () => {
  const sum = Float64Array.of(100, -100, 7); // an earlier batch's sums: replaced, not added to
  const sq = Float64Array.of(1, 2, 3);
  columnSums(DATA, ROWS, UNITS, sum, sq);
  for (let u = 0; u < UNITS; u++) {
    const c = column(u);
    assert.equal(
      sum[u],
      c.reduce((a, v) => a + v, 0),
      `sum of column ${u}`,
    );
    assert.equal(
      sq[u],
      c.reduce((a, v) => a + v * v, 0),
      `sum of squares of column ${u}`,
    );
  }
  // Without squares: the same sums, again into arrays that held others.
  const alone = Float64Array.of(9, 9, 9);
  columnSums(DATA, ROWS, UNITS, alone, null);
  assert.deepEqual(alone, sum);
  // By hand, for column 0: 1 + 3 − 4 + 0.25 + 6 = 6.25, squares 1 + 9 + 16 + 0.0625 + 36 = 62.0625.
  assert.equal(sum[0], 6.25);
  assert.equal(sq[0], 62.0625);
});

test("columnSums and columnAbsDeviation of no rows are zeros", () => {
  const sum = Float64Array.of(1, 2, 3);
  const sq = Float64Array.of(1, 2, 3);
  columnSums(new Float32Array(0), 0, UNITS, sum, sq);
  assert.deepEqual([...sum, ...sq], [0, 0, 0, 0, 0, 0]);
  const dev = Float64Array.of(4, 5, 6);
  columnAbsDeviation(new Float32Array(0), 0, UNITS, Float64Array.of(1, 1, 1), dev);
  assert.deepEqual(Array.from(dev), [0, 0, 0]);
});

test("columnAbsDeviation: each column's Σ|x − centre|, overwriting what the array held", () => {
  const centre = Float64Array.of(1.25, -0.5, 0.2);
  const dev = Float64Array.of(50, 60, 70);
  columnAbsDeviation(DATA, ROWS, UNITS, centre, dev);
  for (let u = 0; u < UNITS; u++)
    assert.equal(
      dev[u],
      column(u).reduce((a, v) => a + Math.abs(v - centre[u]), 0),
      `column ${u}`,
    );
  // By hand, for column 0 about 1.25: 0.25 + 1.75 + 5.25 + 1 + 4.75 = 13.
  assert.equal(dev[0], 13);
});

test("hiddenLayers: every unit layer but the last, each with the unit layer it feeds", () => {
  const m = new Sequential([
    new Dense(4, { activation: "relu" }),
    new Dropout(0.5),
    new Dense(3),
    new Activation("tanh"),
    new Dense(2, { activation: "softmax" }),
  ]).build(5, new Rng(0));
  const hidden = hiddenLayers(m);
  assert.deepEqual(
    hidden.map((h) => [h.name, h.layer.units, h.next.units]),
    [
      ["0", 4, 3],
      ["2", 3, 2],
    ],
  );
  assert.equal(hidden[0].next, m.layers[2]);
  assert.deepEqual(hiddenLayers(new Sequential([new Dense(2)]).build(3, new Rng(0))), []);
});
