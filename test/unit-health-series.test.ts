/**
 * The statistics series a run record keeps: every check until the series is full, then every other
 * point dropped and the stride doubled; its checkpoint state round-trips; l2Norm over any array type.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { l2Norm, type SeriesPoint, SeriesRecorder } from "../src/health/statistics.js";

const point = (step: number): SeriesPoint => ({ step, loss: 1 / step, gradNorm: step, layers: [] });
const steps = (r: SeriesRecorder) => r.result().points.map((p) => p.step);

test("SeriesRecorder: a full series halves (every other point kept) and then keeps every second check", () => {
  const r = new SeriesRecorder(10, 4);
  for (let s = 1; s <= 3; s++) r.add(point(s));
  assert.deepEqual(steps(r), [1, 2, 3]);
  r.add(point(4)); // 4 points: full, so points 1 and 3 stay and the stride is 2
  assert.deepEqual(steps(r), [1, 3]);
  for (let s = 5; s <= 8; s++) r.add(point(s)); // checks 5..8: the 5th and 7th seen are kept
  assert.deepEqual(steps(r), [1, 5]);
  assert.deepEqual(r.result().checkEvery, 10);
  const state = r.getState();
  assert.deepEqual([state.stride, state.seen], [4, 8]);

  const again = new SeriesRecorder(10, 4);
  again.setState(structuredClone(state));
  state.points.length = 0; // the restored series does not share the array
  for (let s = 9; s <= 13; s++) {
    r.add(point(s));
    again.add(point(s));
  }
  assert.deepEqual(steps(again), steps(r));
  // 9 and 13 kept (checks 8 and 12 seen, stride 4), which fills the series again: [1, 9], stride 8.
  assert.deepEqual(steps(r), [1, 9]);
  assert.deepEqual(again.getState().stride, 8);
});

test("l2Norm: float32, float64 and plain arrays alike", () => {
  assert.equal(l2Norm(Float32Array.from([3, 4])), 5);
  assert.equal(l2Norm(Float64Array.from([1, 2, 2])), 3);
  assert.equal(l2Norm([6, 8]), 10);
  assert.equal(l2Norm([]), 0);
});
