/**
 * The snapshot store the vital-sign loop rolls back with: the last two snapshots, rollback to the older,
 * and a checkpoint's copy that shares no buffer with the store it came from or the state it was given.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { deepSnapshots, SnapshotStore, type SnapshotState } from "../src/health/repairs.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";

/** A loop's controls over one two-weight parameter, at a settable step, with an optimiser state {t}. */
function loop() {
  const weight = new Tensor(Float32Array.from([0, 0]), [2]);
  const at = { step: 0, optimizer: { t: 0 } as unknown };
  const control = {
    parameters: [["0.weight", weight]],
    model: { buffers: () => [] }, // no batch norm: nothing but weights and optimiser state
    get step() {
      return at.step;
    },
    getOptimizerState: () => structuredClone(at.optimizer),
    setOptimizerState: (s: unknown) => {
      at.optimizer = s;
    },
  } as unknown as TrainingControl;
  const moveTo = (step: number, w: [number, number]) => {
    at.step = step;
    at.optimizer = { t: step };
    weight.data.set(w);
  };
  return { control, weight, at, moveTo };
}

test("SnapshotStore: rollback goes to the older of the last two snapshots; a restored copy shares nothing", () => {
  const { control, weight, at, moveTo } = loop();
  const store = new SnapshotStore();
  assert.equal(store.restore(control), null, "no snapshot yet");
  moveTo(10, [1, 2]);
  store.take(control);
  assert.deepEqual(
    [store.getState().older?.step, store.getState().newer, store.getState().same],
    [10, null, true],
    "one snapshot: older and newer are one",
  );
  moveTo(20, [3, 4]);
  store.take(control);
  const saved = structuredClone(store.getState());
  assert.deepEqual([saved.older?.step, saved.newer?.step, saved.same], [10, 20, false]);

  const copy = new SnapshotStore();
  copy.setState(saved);
  (saved.older as { weights: Float32Array[] }).weights[0][0] = 99; // the copy must not see this
  moveTo(25, [7, 7]);
  assert.equal(copy.restore(control), 10);
  assert.deepEqual([...weight.data], [1, 2]);
  assert.deepEqual(at.optimizer, { t: 10 });

  moveTo(30, [5, 6]);
  store.take(control); // the store itself goes on: older 20, newer 30
  moveTo(31, [0, 0]);
  assert.equal(store.restore(control), 20);
  assert.deepEqual([...weight.data], [3, 4]);
  assert.deepEqual(at.optimizer, { t: 20 });
});

test("deepSnapshots keeps one snapshot one (same), and copies the older and newer apart", () => {
  const snap = { step: 5, weights: [Float32Array.from([1])], optimizerState: { t: 5 } };
  const one: SnapshotState = { older: snap, newer: null, same: true };
  assert.deepEqual(deepSnapshots(one), { older: snap, newer: null, same: true });
  assert.notEqual(deepSnapshots(one).older, snap);
  const two: SnapshotState = { older: snap, newer: { ...snap, step: 6 }, same: false };
  const copied = deepSnapshots(two);
  assert.deepEqual([copied.older?.step, copied.newer?.step, copied.same], [5, 6, false]);
  assert.notEqual(copied.newer?.weights[0], snap.weights[0]);
});
