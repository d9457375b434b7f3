import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, DataError } from "../src/tensor/errors.js";
import {
  applyNormalizer,
  fitNormalizer,
  normalizeRows,
  type Dataset,
  type NormalizeMode,
} from "../src/data/index.js";

/** 4 rows × 3 features: a varied column, a constant column, a column with a NaN. */
function tiny(byteValued = false): Dataset {
  return {
    x: Float32Array.of(1, 5, 10, 2, 5, NaN, 3, 5, 20, 6, 5, 30),
    y: Float32Array.of(0, 1, 2, 3),
    n: 4,
    inputDim: 3,
    outputDim: 1,
    task: "regression",
    byteValued,
  };
}

const close = (a: number, b: number, tol = 1e-6): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test("standardize: per-feature mean and population std (closed form)", () => {
  const norm = fitNormalizer(tiny(), "standardize");
  // Column 0: 1,2,3,6 → mean 3, variance (4+1+0+9)/4 = 3.5.
  close(norm.offset[0], 3);
  close(norm.scale[0], 1 / Math.sqrt(3.5));
  // Column 1 is constant: scale 1, not Infinity.
  close(norm.offset[1], 5);
  assert.equal(norm.scale[1], 1);
  // Column 2: the NaN is ignored → 10,20,30: mean 20, variance 200/3.
  close(norm.offset[2], 20);
  close(norm.scale[2], 1 / Math.sqrt(200 / 3));
  const out = applyNormalizer(norm, tiny());
  close(out.x[0], (1 - 3) / Math.sqrt(3.5));
  assert.equal(out.x[1], 0);
  assert.ok(Number.isNaN(out.x[5]));
});

test("scale01 without byteValued: per-feature min–max", () => {
  const norm = fitNormalizer(tiny(), "scale01");
  assert.deepEqual(Array.from(norm.offset), [1, 5, 10]);
  close(norm.scale[0], 1 / 5);
  assert.equal(norm.scale[1], 1);
  close(norm.scale[2], 1 / 20);
  const x = applyNormalizer(norm, tiny()).x;
  close(x[0], 0);
  close(x[9], 1);
  close(x[11], 1);
  close(x[8], 0.5);
});

test("scale01 with byteValued: divide by 255 regardless of the observed range", () => {
  const norm = fitNormalizer(tiny(true), "scale01");
  assert.deepEqual(Array.from(norm.offset), [0, 0, 0]);
  for (const s of norm.scale) close(s, 1 / 255);
  const out = applyNormalizer(norm, tiny(true));
  assert.equal(out.byteValued, false);
  close(out.x[3], 2 / 255);
});

test("none: identity, and applyNormalizer shares y but not x", () => {
  const ds = tiny(true);
  const norm = fitNormalizer(ds, "none");
  const out = applyNormalizer(norm, ds);
  assert.notEqual(out.x, ds.x);
  assert.equal(out.y, ds.y);
  assert.equal(out.byteValued, true);
  assert.deepEqual(Array.from(out.x.subarray(0, 5)), [1, 5, 10, 2, 5]);
});

test("normalizeRows applies the fitted state to single inputs exactly as to the dataset", () => {
  const norm = fitNormalizer(tiny(), "standardize");
  const whole = applyNormalizer(norm, tiny()).x;
  const row = normalizeRows(norm, Float32Array.of(3, 5, 20));
  assert.deepEqual(Array.from(row), Array.from(whole.subarray(6, 9)));
  assert.throws(() => normalizeRows(norm, Float32Array.of(1, 2)), DataError);
});

test("mismatched widths and unknown modes are reported", () => {
  const norm = fitNormalizer(tiny(), "standardize");
  const wide: Dataset = { ...tiny(), x: new Float32Array(8), inputDim: 4, n: 2 };
  assert.throws(
    () => applyNormalizer(norm, wide),
    (e: unknown) => e instanceof DataError && /3 features.*4/.test(e.message),
  );
  assert.throws(
    () => fitNormalizer(tiny(), "minmax" as NormalizeMode),
    (e: unknown) => e instanceof ConfigError && e.message.includes('"standardize"'),
  );
});
