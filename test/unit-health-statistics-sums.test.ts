/**
 * The monitor's small sums by hand: meanStd (population spread), argmaxRow's first-wins tie, and
 * l2Norm's float32 loop, which must give the generic loop's sum to the last bit at every length.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { argmaxRow, l2Norm, meanStd, SeriesRecorder, sumSquaresF32 } from "../src/health/statistics.js";

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

test("l2Norm of float32 weights: the generic loop's sum in index order, at every length", () => {
  for (let n = 0; n <= 11; n++) {
    const a = Float32Array.from(
      { length: n },
      (_, i) => Math.fround(1 / (i + 3)) * (i % 2 ? -1 : 1) * 1e3 ** (i % 3),
    );
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[i] * a[i];
    assert.equal(sumSquaresF32(a), sum, `length ${n}`);
    assert.equal(l2Norm(a), Math.sqrt(sum), `length ${n}`);
    assert.equal(l2Norm(Array.from(a)), Math.sqrt(sum), `length ${n}, a plain array`);
  }
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
