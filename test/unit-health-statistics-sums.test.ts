/**
 * The monitor's small sums by hand: meanStd (population spread), argmaxRow's first-wins tie, and
 * the four-lane order of every sum of squares a check takes (sumSquares, l2Norm, updateRatio), written
 * out plainly here, at every length and for every array type.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../src/backend/js/index.js";
import {
  argmaxRow,
  l2Norm,
  meanStd,
  SeriesRecorder,
  sumSquares,
  updateRatio,
} from "../src/health/statistics.js";
import { fourLanes } from "./helpers/four-lanes.js";

test("meanStd: the mean and the population standard deviation", () => {
  assert.deepEqual(meanStd([1, 2, 3, 6]), { mean: 3, std: Math.sqrt(3.5) });
  assert.deepEqual(meanStd(Float32Array.of(-2, 2)), { mean: 0, std: 2 });
  assert.deepEqual(meanStd([]), { mean: 0, std: 0 });
});

test("argmaxRow: the largest value of the row, the first of equals", () => {
  const m = [0, 3, 3, 5, 1, 5];
  assert.equal(argmaxRow(m, 0, 3), 1);
  assert.equal(argmaxRow(m, 1, 3), 0);
});

test("sums of squares: four lanes joined as (0 + 2) + (1 + 3), at every length and array type", () => {
  const indexOrder = (values: number[]) => values.reduce((sum, v) => sum + v, 0);
  let differ = 0;
  for (let n = 0; n <= 11; n++) {
    const a = Float32Array.from(
      { length: n },
      (_, i) => Math.fround(1 / (i + 3)) * (i % 2 ? -1 : 1) * 1e3 ** (i % 3),
    );
    const squares = Array.from(a, (v) => v * v);
    const want = fourLanes(squares);
    if (want !== indexOrder(squares)) differ++;
    assert.equal(sumSquares(a), want, `length ${n}`);
    assert.equal(l2Norm(a), Math.sqrt(want), `length ${n}`);
    assert.equal(l2Norm(Array.from(a)), Math.sqrt(want), `length ${n}, a plain array`);
    assert.equal(l2Norm(Float64Array.from(a)), Math.sqrt(want), `length ${n}, float64`);
    const after = a.map((v, i) => v + Math.fround(0.1 * (i + 1)));
    const moved = fourLanes(Array.from(a, (v, i) => (after[i] - v) ** 2));
    assert.equal(updateRatio(a, after), Math.sqrt(moved) / Math.max(Math.sqrt(want), 1e-12), `length ${n}`);
  }
  // The order shows: on these values it gives other bits than one chain in index order.
  assert.ok(differ >= 3, `the four lanes differ from index order at ${differ} lengths`);
});

test("js's stepSquares: [Σ w², Σ (w − w0)², Σ w0², Σ g²], each in the four lanes, at every length", () => {
  const out = new Float64Array(4);
  const differ = [0, 0, 0, 0];
  for (let n = 0; n <= 11; n++) {
    const of = (f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => Math.fround(f(i)));
    const w = of((i) => 1e3 ** (i % 3) / (i + 3));
    const w0 = of((i) => 1e3 ** (i % 3) / (i + 11));
    const g = of((i) => ((-1) ** i * 1e3 ** (i % 3)) / (i + 13));
    jsBackend.stepSquares!(w, w0, g, out);
    const sq = (a: Float32Array) => Array.from(a, (v) => v * v);
    const squares = [sq(w), Array.from(w, (v, i) => (v - w0[i]) ** 2), sq(w0), sq(g)];
    assert.deepEqual(Array.from(out), squares.map(fourLanes), `length ${n}`);
    squares.forEach((s, k) => {
      if (fourLanes(s) !== s.reduce((sum, v) => sum + v, 0)) differ[k]++;
    });
  }
  // Each of the four sums meets values where one chain in index order would give other bits.
  assert.ok(
    differ.every((d) => d > 0),
    `lengths where the lanes differ from index order: ${differ}`,
  );
});

test("a series recorder hands out copies: changing them changes nothing recorded", () => {
  const r = new SeriesRecorder(20);
  r.add({ step: 20, loss: 1, gradNorm: 2, layers: [] });
  r.result().points.length = 0;
  r.getState().points.length = 0;
  assert.equal(r.result().points.length, 1);
  assert.equal(r.getState().points.length, 1);
});

test("a series recorder keeps its own copy of a state it is given", () => {
  const r = new SeriesRecorder(20);
  const state = { points: [{ step: 20, loss: 1, gradNorm: 2, layers: [] }], stride: 1, seen: 1 };
  r.setState(state);
  state.points.length = 0;
  assert.equal(r.result().points.length, 1);
});
