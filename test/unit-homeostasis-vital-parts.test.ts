// The vitals loop's parts by hand: a ring keeps the latest rows in slot order, a reservoir follows Vitter's
// algorithm R with the draws given, targets widen (zero-padded) when a grown head adds outputs and never
// narrow, a slot overwritten by a narrower target is cleared first, and replay appends the rows drawn; a
// rollback's outcomes and words; the classes seen; when the asymmetric term exists; fresh knobs settled.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ForgettingMemory } from "../src/health/vitals.js";
import { aceTerm, markClasses } from "../src/homeostasis/vital-ace.js";
import { emptyStore, offerRows, storedBatch, withReplay } from "../src/homeostasis/vital-memory.js";
import { knobControl, replayKnob } from "../src/homeostasis/vital-replay.js";
import { putBack, rollbackWords, snapshotBefore } from "../src/homeostasis/vital-rollback.js";
import { freshKnob, freshLoop } from "../src/homeostasis/vital-state.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Batch } from "../src/train/events.js";
import { testControl } from "./helpers/control.js";
import { tiny } from "./helpers/homeostasis.js";

/** Rows [i, 10 i] for each i, with the given target rows. */
const batch = (ids: number[], y: number[][]): Batch => ({
  x: new Tensor(Float32Array.from(ids.flatMap((i) => [i, 10 * i])), [ids.length, 2]),
  y: new Tensor(Float32Array.from(y.flat()), [ids.length, y[0].length]),
});
/** An Rng whose draws are the given numbers, in order. */
const draws = (...values: number[]) => ({ next: () => values.shift()! }) as unknown as Rng;
const rowsOf = (b: Batch) => ({
  x: Array.from(b.x.data),
  y: Array.from(b.y.data),
  shape: [b.x.shape, b.y.shape],
});

test("a ring keeps the latest rows: row i in slot i mod capacity", () => {
  const store = emptyStore();
  // Five rows offered to a ring of 3: slots 0, 1, 2, 0, 1 → rows 4, 5, 3.
  offerRows(store, 3, batch([1, 2], [[1], [2]]), null);
  offerRows(store, 3, batch([3, 4, 5], [[3], [4], [5]]), null);
  assert.deepEqual([store.size, store.seen], [3, 5]);
  assert.deepEqual(rowsOf(storedBatch(store)), {
    x: [4, 40, 5, 50, 3, 30],
    y: [4, 5, 3],
    shape: [
      [3, 2],
      [3, 1],
    ],
  });
});

test("a reservoir keeps the first rows, then row n at slot ⌊u · (n + 1)⌋ when that is below its capacity", () => {
  const store = emptyStore();
  // Capacity 2: rows 1, 2 fill it; row 3 (seen 2) draws 0.5 → ⌊1.5⌋ = 1, replaces slot 1; row 4 (seen 3)
  // draws 0.9 → ⌊3.6⌋ = 3, not kept; row 5 (seen 4) draws 0.1 → ⌊0.5⌋ = 0, replaces slot 0.
  offerRows(store, 2, batch([1, 2, 3, 4, 5], [[1], [2], [3], [4], [5]]), draws(0.5, 0.9, 0.1));
  assert.deepEqual([store.size, store.seen], [2, 5]);
  assert.deepEqual(rowsOf(storedBatch(store)).x, [5, 50, 3, 30]);
});

test("targets widen with a grown head, zero-padded, and never narrow; a narrower target clears its slot", () => {
  const store = emptyStore();
  offerRows(
    store,
    3,
    batch(
      [1, 2],
      [
        [1, 0],
        [0, 1],
      ],
    ),
    null,
  );
  // A third output appears: the rows held keep their targets, padded with a 0.
  offerRows(store, 3, batch([3], [[0, 0, 1]]), null);
  assert.deepEqual(rowsOf(storedBatch(store)).y, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  // A two-column target again (an older stream's rows) overwrites slot 0 of [1, 0, 0]: the width stays 3,
  // and the slot's third column is cleared, not left from the row before.
  offerRows(store, 3, batch([4], [[0, 1]]), null);
  offerRows(
    store,
    3,
    batch(
      [5, 6],
      [
        [1, 0],
        [1, 0],
      ],
    ),
    null,
  );
  assert.equal(store.yCols, 3);
  // A ring of 3 over rows 1–6: slot 0 holds row 4, slot 1 row 5, slot 2 row 6.
  assert.deepEqual(rowsOf(storedBatch(store)), {
    x: [4, 40, 5, 50, 6, 60],
    y: [0, 1, 0, 1, 0, 0, 1, 0, 0],
    shape: [
      [3, 2],
      [3, 3],
    ],
  });
  // Read at another width: cut to 2 columns, or padded to 4.
  assert.deepEqual(rowsOf(storedBatch(store, 2)).y, [0, 1, 1, 0, 1, 0]);
  assert.deepEqual(rowsOf(storedBatch(store, 4)).y, [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
  // Rows of another width of input start the store afresh.
  offerRows(
    store,
    3,
    { x: new Tensor(Float32Array.of(7, 8, 9), [1, 3]), y: new Tensor(Float32Array.of(1), [1, 1]) },
    null,
  );
  assert.deepEqual([store.size, store.seen, store.cols, store.yCols], [1, 1, 3, 1]);
});

test("replay appends the rows drawn (row ⌊u · size⌋), its targets as wide as the batch's", () => {
  const store = emptyStore();
  offerRows(
    store,
    4,
    batch(
      [1, 2, 3],
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    ),
    null,
  );
  const b = batch([9], [[0, 1]]);
  // Draws 0.0 → row 0 (row 1), 0.99 → ⌊2.97⌋ = 2 (row 3); targets cut to the batch's 2 columns.
  assert.deepEqual(rowsOf(withReplay(b, store, 2, draws(0, 0.99))), {
    x: [9, 90, 1, 10, 3, 30],
    y: [0, 1, 1, 0, 0, 0],
    shape: [
      [3, 2],
      [3, 2],
    ],
  });
  // Nothing to add: no rows asked for, none held, or rows of another width: the batch itself.
  assert.equal(withReplay(b, store, 0, draws()), b);
  assert.equal(withReplay(b, emptyStore(), 2, draws(0, 0)), b);
  const wide = { x: new Tensor(new Float32Array(3), [1, 3]), y: b.y };
  assert.equal(withReplay(wide, store, 2, draws(0, 0)), wide);
});

test("a rollback's outcome and words: put back, a model grown since, an older checkpoint's missing snapshot", () => {
  const { model, control } = tiny();
  const snap = snapshotBefore(control);
  const before = model.parameters().map(([, t]) => Array.from(t.data));
  model.parameters().forEach(([, t]) => t.data.fill(7));
  // No buffers saved (a snapshot from before they were): the tiny model has none, so it still fits.
  delete (snap as { buffers?: unknown }).buffers;
  assert.equal(putBack(snap, control, 0), "restored");
  assert.deepEqual(
    model.parameters().map(([, t]) => Array.from(t.data)),
    before,
  );
  // A model with more parameters, or of other sizes, than the snapshot: left as it is.
  const grown = new Sequential([new Dense(4, { activation: "relu" }), new Dense(3), new Dense(2)]).build(
    2,
    new Rng(1),
  );
  const other = new Sequential([new Dense(5, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
  // The snapshot's four parameters first, then a layer more (a head grown behind them).
  const longer = new Sequential([new Dense(4, { activation: "relu" }), new Dense(2), new Dense(2)]).build(
    2,
    new Rng(1),
  );
  for (const m of [grown, other, longer]) {
    const kept = m.parameters().map(([, t]) => Array.from(t.data));
    assert.equal(putBack(snap, testControl(m), 0), "reshaped");
    assert.deepEqual(
      m.parameters().map(([, t]) => Array.from(t.data)),
      kept,
    );
  }
  assert.equal(putBack(undefined, control, 0), "none");
  assert.equal(
    rollbackWords("redo", "restored", 40),
    "redo switched off; the weights put back as they were at step 40",
  );
  assert.equal(
    rollbackWords("redo", "reshaped", 40),
    "redo switched off; the model has grown since step 40, so the weights it changed stay",
  );
  assert.equal(rollbackWords("redo", "none", 40), "redo switched off (the weights it changed stay)");
});

test("the classes seen: marked in place when the record is wide enough, else in a widened copy", () => {
  const y = new Tensor(Float32Array.of(0, 0, 1, 0), [2, 2]);
  // Wider than the targets: marked in place, and row 1 (outside 0..1) read for nothing.
  const wide = Float32Array.of(0, 0, 0);
  assert.equal(markClasses(wide, y, 0, 1), wide);
  assert.deepEqual(Array.from(wide), [0, 0, 0]);
  const same = new Float32Array(2);
  assert.equal(markClasses(same, y, 0, 2), same);
  assert.deepEqual(Array.from(same), [1, 0]);
  const narrow = Float32Array.of(1);
  assert.deepEqual(
    Array.from(markClasses(narrow, new Tensor(Float32Array.of(0, 0, 1), [1, 3]), 0, 1)),
    [1, 0, 1],
  );
});

test("the asymmetric term needs replayed rows, two classes or more, and logits as wide as the targets", () => {
  const y = new Tensor(Float32Array.of(1, 0, 0, 1), [2, 2]);
  const x = new Tensor(new Float32Array(2), [2, 1]);
  const logits = new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2], true);
  const seen = Float32Array.of(1, 1);
  assert.notEqual(aceTerm({ x, y }, logits, 1, seen), null, "two classes, one replayed row");
  assert.equal(aceTerm({ x, y }, logits, 2, seen), null, "no replayed row");
  const one = new Tensor(Float32Array.of(1, 1), [2, 1]);
  assert.equal(
    aceTerm({ x, y: one }, new Tensor(Float32Array.of(1, 2), [2, 1], true), 1, seen),
    null,
    "one class",
  );
  assert.equal(
    aceTerm({ x, y }, new Tensor(new Float32Array(6), [2, 3], true), 1, seen),
    null,
    "logits 3 wide",
  );
});

test("a fresh loop's knobs are settled: forgetting beyond the budget at the first probe raises at once", () => {
  const f = { probes: 1, forgetting: 0.5, margin: 0 } as ForgettingMemory;
  const st = freshLoop(1);
  for (const s of [freshKnob(), { value: st.share, changedAt: st.changedAt, pending: null }]) {
    const events: string[] = [];
    knobControl(replayKnob(1), s, f, 10, 0.1, (e) => void events.push(e.kind));
    assert.deepEqual(events, ["replayRaised"]);
  }
});
