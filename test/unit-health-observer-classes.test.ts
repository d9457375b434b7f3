/**
 * Which targets the health monitor takes for a classification task: one-hot rows, or 0/1 targets of a
 * single output (the rule countBatch documents). Anything else is regression, whose windows keep no
 * accuracy. The references are the rule itself on hand-written rows.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { countBatch } from "../src/health/observer.js";
import { freshState } from "../src/health/state.js";
import type { BatchEvent } from "../src/train/events.js";

/** A batch event holding only what countBatch reads: the loss, the batch size and the targets. */
function batch(rows: number[][]): BatchEvent {
  const k = rows[0].length;
  const y = { shape: [rows.length, k], data: Float32Array.from(rows.flat()) };
  return { loss: 1, batchSize: rows.length, batch: { y } } as unknown as BatchEvent;
}

const kind = (rows: number[][]): boolean | null => {
  const s = freshState(1);
  countBatch(s, batch(rows), []);
  return s.classification;
};

test("one-hot rows and 0/1 single outputs are classes", () => {
  assert.equal(
    kind([
      [0, 1, 0],
      [1, 0, 0],
    ]),
    true,
  );
  assert.equal(kind([[1], [0], [1]]), true);
});

test("soft labels whose rows sum to 1 are regression, not classes", () => {
  // Every row sums to 1, so only the 0/1 test on each value can tell these from one-hot rows.
  assert.equal(
    kind([
      [0.25, 0.75],
      [0.5, 0.5],
    ]),
    false,
  );
});

test("a single output with a value other than 0 or 1 is regression", () => {
  assert.equal(kind([[0], [0.5], [1]]), false);
});

test("one-hot rows with a second 1 are not classes", () => {
  assert.equal(
    kind([
      [1, 1],
      [0, 1],
    ]),
    false,
  );
});
