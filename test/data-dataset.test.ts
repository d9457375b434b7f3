import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, DataError } from "../src/tensor/errors.js";
import { oneHot, splitDataset, subset, validationSplit, type Dataset } from "../src/data/index.js";

/** n rows; row i has x = [i, 10·i] and label i mod 3, so every row is identifiable. */
function numbered(n: number): Dataset {
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 10 * i;
    labels[i] = i % 3;
  }
  return {
    x,
    y: oneHot(labels, 3),
    n,
    inputDim: 2,
    outputDim: 3,
    task: "classification",
    labels,
    classes: ["a", "b", "c"],
  };
}

const ids = (ds: Dataset): number[] => Array.from({ length: ds.n }, (_, i) => ds.x[2 * i]);

test("oneHot places a 1 at each label and rejects out-of-range labels", () => {
  assert.deepEqual(Array.from(oneHot(Int32Array.of(2, 0), 3)), [0, 0, 1, 1, 0, 0]);
  assert.throws(() => oneHot([3], 3), DataError);
  assert.throws(() => oneHot([0], 0), ConfigError);
});

test("subset copies rows of x, y and labels in the given order", () => {
  const ds = numbered(5);
  const s = subset(ds, [4, 1, 1]);
  assert.equal(s.n, 3);
  assert.deepEqual(Array.from(s.x), [4, 40, 1, 10, 1, 10]);
  assert.deepEqual(Array.from(s.labels!), [1, 1, 1]);
  assert.deepEqual(Array.from(s.y.subarray(0, 3)), [0, 1, 0]);
  s.x[0] = -1;
  assert.equal(ds.x[8], 4);
  assert.throws(() => subset(ds, [5]), ConfigError);
});

test("splitDataset is a seeded, deterministic partition", () => {
  const ds = numbered(50);
  const a = splitDataset(ds, { testFraction: 0.2, seed: 7 });
  const b = splitDataset(ds, { testFraction: 0.2, seed: 7 });
  const c = splitDataset(ds, { testFraction: 0.2, seed: 8 });
  assert.equal(a.train.n, 40);
  assert.equal(a.test.n, 10);
  assert.deepEqual(ids(a.test), ids(b.test));
  assert.notDeepEqual(ids(a.test), ids(c.test));
  const all = [...ids(a.train), ...ids(a.test)].sort((p, q) => p - q);
  assert.deepEqual(
    all,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    ids(a.train),
    ids(a.train)
      .slice()
      .sort((p, q) => p - q),
  ); // shuffled
  for (let i = 0; i < a.test.n; i++) assert.equal(a.test.labels![i], a.test.x[2 * i] % 3);
  assert.equal(splitDataset(ds, { testCount: 3, seed: 1 }).test.n, 3);
});

test("splitDataset refuses ambiguous or out-of-range sizes", () => {
  const ds = numbered(10);
  assert.throws(() => splitDataset(ds, { seed: 1 }), ConfigError);
  assert.throws(() => splitDataset(ds, { testCount: 2, testFraction: 0.2, seed: 1 }), ConfigError);
  assert.throws(() => splitDataset(ds, { testCount: 11, seed: 1 }), ConfigError);
  assert.throws(() => splitDataset(ds, { testFraction: 1.5, seed: 1 }), ConfigError);
});

test("validationSplit takes the LAST fraction of rows, unshuffled (Keras)", () => {
  const { train, validation } = validationSplit(numbered(10), 0.3);
  assert.deepEqual(ids(train), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(ids(validation), [7, 8, 9]);
  assert.deepEqual(Array.from(validation.labels!), [1, 2, 0]);
  // floor(n · (1 − fraction)) training rows: 7 · 0.75 = 5.25 → 5.
  assert.equal(validationSplit(numbered(7), 0.25).train.n, 5);
  assert.equal(validationSplit(numbered(7), 0).validation.n, 0);
  assert.throws(() => validationSplit(numbered(7), 1), ConfigError);
});
