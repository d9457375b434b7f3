/**
 * Two pieces of the monitor's bookkeeping that the training-run tests pass through without looking:
 * whether a target is classification (0/1 cells, one 1 per row when there are several columns), which
 * decides whether accuracy is kept; and the fresh dead-unit window after a repair, which must not
 * count as a full one until deadWindowChecks more checks have passed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { changeLayers, countBatch, resetDeadWindow } from "../src/health/observer.js";
import { freshState } from "../src/health/state.js";
import { batchEvent } from "./helpers/control.js";

/** Whether the monitor takes a first batch with these targets for classification. */
function classification(y: number[][]): boolean | null {
  const s = freshState(0);
  countBatch(s, batchEvent(1, { x: y.map(() => [0]), y }), []);
  return s.classification;
}

test("a target is classification only when every cell is 0 or 1, one 1 per row of several", () => {
  assert.equal(classification([[0], [1], [1]]), true);
  assert.equal(
    classification([
      [0, 1],
      [1, 0],
    ]),
    true,
  );
  assert.equal(classification([[1], [0.3]]), false); // a regression value after a 0/1-looking row
  assert.equal(classification([[0.3], [1]]), false);
  assert.equal(
    classification([
      [0, 1],
      [1, 1],
    ]),
    false,
  ); // two 1s in a row: multi-label, not classes
  assert.equal(
    classification([
      [0, 0],
      [1, 0],
    ]),
    false,
  ); // no 1 in a row
});

test("a reset dead-unit window starts empty and not full", () => {
  const s = freshState(0);
  s.layers.push({ active: Uint8Array.of(1, 0, 1), prevWeightNorm: 1, deadFraction: 1 / 3, deadUnits: [1] });
  s.deadChecks = 4;
  s.deadWindowFull = true;
  resetDeadWindow(s);
  assert.deepEqual(
    { ...s.layers[0], active: [...s.layers[0]!.active] },
    { active: [0, 0, 0], prevWeightNorm: 1, deadFraction: 0, deadUnits: [], unread: true },
  );
  assert.equal(s.deadChecks, 0);
  assert.equal(s.deadWindowFull, false);
});

test("the weight change is taken on every unit layer, the last hidden ones, or none", () => {
  // Three hidden layers and the output layer: only `hidden` decides.
  const layers = [true, true, true, false].map((hidden, k) => ({ hidden, name: String(k) })) as never[];
  assert.deepEqual(changeLayers(layers, Infinity), [true, true, true, true]);
  assert.deepEqual(changeLayers(layers, 2), [false, true, true, false]);
  assert.deepEqual(changeLayers(layers, 1), [false, false, true, false]);
  assert.deepEqual(changeLayers(layers, 5), [true, true, true, false]);
  assert.deepEqual(changeLayers(layers, 0), [false, false, false, false]);
});
