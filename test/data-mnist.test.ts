import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBundledMnist, type Dataset } from "../src/data/index.js";

/** Rows as strings of pixels, to compare sets of images across splits. */
function rowKeys(ds: Dataset): Set<string> {
  const keys = new Set<string>();
  for (let i = 0; i < ds.n; i++) keys.add(ds.x.subarray(i * ds.inputDim, (i + 1) * ds.inputDim).join(","));
  return keys;
}

const first = loadBundledMnist();

test("bundled MNIST: 8000 train / 2000 test, 784 pixels, 10 classes", () => {
  for (const [ds, n] of [
    [first.train, 8000],
    [first.test, 2000],
  ] as const) {
    assert.equal(ds.n, n);
    assert.equal(ds.inputDim, 784);
    assert.equal(ds.outputDim, 10);
    assert.equal(ds.x.length, n * 784);
    assert.equal(ds.y.length, n * 10);
    assert.equal(ds.task, "classification");
    assert.equal(ds.byteValued, false);
    assert.deepEqual(ds.classes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  }
});

test("bundled MNIST: pixels in [0, 1], one-hot rows agree with labels", () => {
  for (const ds of [first.train, first.test]) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.ok(max <= 1 && max > 0.9, `max pixel ${max}`);
    for (let i = 0; i < ds.n; i++) {
      const row = ds.y.subarray(i * 10, i * 10 + 10);
      assert.equal(
        row.reduce((a, b) => a + b, 0),
        1,
      );
      assert.equal(row[ds.labels![i]], 1);
    }
  }
});

test("bundled MNIST: label counts match the package (per digit, summed over splits)", () => {
  const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  const counts = new Array(10).fill(0);
  const testCounts = new Array(10).fill(0);
  for (const c of first.train.labels!) counts[c]++;
  for (const c of first.test.labels!) {
    counts[c]++;
    testCounts[c]++;
  }
  assert.deepEqual(counts, perDigit);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    10000,
  );
  for (let d = 0; d < 10; d++) assert.ok(testCounts[d] > 100, `digit ${d} has ${testCounts[d]} test images`);
});

test("bundled MNIST: train and test share no image", () => {
  const train = rowKeys(first.train);
  const test = rowKeys(first.test);
  assert.equal(train.size + test.size, 10000); // the package holds no pixel-identical duplicates
  let shared = 0;
  for (const key of test) if (train.has(key)) shared++;
  assert.equal(shared, 0);
});

test("bundled MNIST: deterministic, and calls return independent copies", () => {
  const second = loadBundledMnist();
  assert.deepEqual(second.train.labels, first.train.labels);
  assert.deepEqual(second.test.labels, first.test.labels);
  assert.deepEqual(second.test.x, first.test.x);
  assert.notEqual(second.train.x, first.train.x);
  second.train.x[0] = 42;
  assert.notEqual(loadBundledMnist().train.x[0], 42);
});
