import assert from "node:assert/strict";
import { test } from "node:test";
import { deepCopy, deepCopyInto } from "../src/tensor/plain.js";

/** deepCopyInto must give deepCopy's values, reuse only arrays of the same kind and length, and share nothing with the source. */
test("deepCopyInto: deepCopy's tree, written into the earlier copy's arrays where they fit", () => {
  const state = { step: 3, w: [new Float32Array([1, 2, 3]), new Float64Array([4])], tag: "a", none: null };
  const first = deepCopyInto(undefined, state);
  assert.deepEqual(first, deepCopy(state));
  assert.notEqual(first.w[0], state.w[0]);
  const reused = first.w[0];
  state.w[0][1] = 20;
  state.step = 4;
  const second = deepCopyInto(first, state);
  assert.equal(second.w[0], reused, "same kind and length: written in place");
  assert.deepEqual([...second.w[0]!], [1, 20, 3]);
  assert.equal(second.step, 4);
  assert.notEqual(second.w[0], state.w[0], "nothing shared with the source");
  // A changed length or kind gets a fresh array; the earlier copy's is left as it was.
  const grown = { ...state, w: [new Float32Array([7, 8, 9, 10]), new Float32Array([5])] };
  const third = deepCopyInto(second, grown);
  assert.notEqual(third.w[0], reused);
  assert.deepEqual([...third.w[0]!], [7, 8, 9, 10]);
  assert.ok(third.w[1] instanceof Float32Array);
  assert.deepEqual([...reused], [1, 20, 3]);
  // Copying a tree into itself copies rather than aliasing.
  const self = deepCopyInto(state, state);
  assert.notEqual(self.w[0], state.w[0]);
  assert.deepEqual(self, deepCopy(state));
});

test("deepCopyInto with a copier hands it every float32 array, with the earlier copy's array at its place", () => {
  const state = { w: [new Float32Array([1, 2]), new Float64Array([3])], step: 1 };
  const seen: [unknown, Float32Array][] = [];
  const copier = (into: unknown, a: Float32Array) => {
    seen.push([into, a]);
    return Float32Array.from(a, (v) => v * 10);
  };
  const first = deepCopyInto(undefined, state, copier);
  assert.deepEqual(seen, [[undefined, state.w[0]]]);
  assert.deepEqual([...first.w[0]!], [10, 20], "the copier's array is the copy");
  assert.ok(first.w[1] instanceof Float64Array && first.w[1] !== state.w[1], "other kinds copied as before");
  deepCopyInto(first, state, copier);
  assert.equal(seen[1][0], first.w[0]);
});

test("deepCopyInto reuses an array of the same buffer that does not overlap its source", () => {
  const buffer = new ArrayBuffer(32);
  const a = new Float32Array(buffer, 0, 4);
  const b = new Float32Array(buffer, 16, 4);
  a.set([1, 2, 3, 4]);
  assert.equal(deepCopyInto(b, a), b);
  assert.deepEqual([...b], [1, 2, 3, 4]);
  const overlapping = new Float32Array(buffer, 8, 4);
  assert.notEqual(deepCopyInto(overlapping, a), overlapping);
});
