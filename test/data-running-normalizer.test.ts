import { test } from "node:test";
import assert from "node:assert/strict";
import { RunningNormalizer, RunningTargetScaler } from "../src/data/running-normalizer.js";
import { DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
/** Relative closeness, for variances far below 1 (the offset column's is 1e-4). */
const relClose = (a: number, b: number, tol: number): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${a} vs ${b}`);

/** Seeded rows of 3 features: a large offset with small spread, a plain normal, a column with NaNs. */
function rows(seed: number, n: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => [
    1e6 + rng.normal() * 0.01,
    3 * rng.normal() - 2,
    i % 5 === 0 ? Number.NaN : rng.uniform(0, 10),
  ]);
}

/** Weighted mean and population variance by two passes in float64: the reference. */
function twoPass(values: number[], weights: number[]): { mean: number; variance: number } {
  let sw = 0;
  let swx = 0;
  values.forEach((v, i) => {
    sw += weights[i];
    swx += weights[i] * v;
  });
  const mean = swx / sw;
  const sq = values.reduce((s, v, i) => s + weights[i] * (v - mean) ** 2, 0);
  return { mean, variance: sq / sw };
}

/** Column j's finite values, with the weight (1 − decay)^(rows after it) of each. */
function column(data: number[][], j: number, decay: number): { values: number[]; weights: number[] } {
  const values = data.map((r) => r[j]).filter(Number.isFinite);
  // A skipped cell does not age the others: a weight counts the feature's own later values.
  const weights = values.map((_, i) => (1 - decay) ** (values.length - 1 - i));
  return { values, weights };
}

test("running mean and variance equal a two-pass float64 computation", () => {
  const data = rows(1, 2_000);
  const norm = new RunningNormalizer(3);
  for (const r of data) norm.update(r);
  assert.equal(norm.count, 2_000);
  for (let j = 0; j < 3; j++) {
    const { values, weights } = column(data, j, 0);
    const ref = twoPass(values, weights);
    close(norm.mean(j), ref.mean);
    relClose(norm.variance(j), ref.variance, 1e-7);
  }
});

test("decay: the exponentially weighted mean and variance equal their closed form", () => {
  const data = rows(2, 3_000);
  const norm = new RunningNormalizer(3, { decay: 0.01 });
  for (const r of data) norm.update(r);
  for (let j = 0; j < 3; j++) {
    const { values, weights } = column(data, j, 0.01);
    const ref = twoPass(values, weights);
    close(norm.mean(j), ref.mean);
    relClose(norm.variance(j), ref.variance, 1e-7);
  }
  // n ones then m zeros, k = 1 − d: mean = k^m (1 − k^n) / (1 − k^(n+m)); variance = mean (1 − mean).
  const step = new RunningNormalizer(1, { decay: 0.05 });
  for (let i = 0; i < 40; i++) step.update([1]);
  for (let i = 0; i < 25; i++) step.update([0]);
  const k = 0.95;
  const mean = (k ** 25 * (1 - k ** 40)) / (1 - k ** 65);
  close(step.mean(0), mean);
  close(step.variance(0), mean * (1 - mean));
});

test("normalize: (x − mean) / std as float32; a constant feature is centred, not scaled", () => {
  const norm = new RunningNormalizer(2);
  for (const r of [
    [1, 7],
    [2, 7],
    [3, 7],
    [6, 7],
  ])
    norm.update(r);
  // Column 0: mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
  const out = norm.normalize([5, 9]);
  assert.ok(out instanceof Float32Array);
  assert.equal(out[0], Math.fround(2 / Math.sqrt(3.5)));
  assert.equal(out[1], 2);
  const back = norm.denormalize(norm.normalize([5, 9], new Float64Array(2)));
  close(back[0], 5);
  close(back[1], 9);
});

test("center: part of the mean stays as an offset, added after the clip", () => {
  const half = new RunningNormalizer(1, { center: 0.5, limit: 1 });
  const saved = new RunningNormalizer(1, { limit: 1 });
  for (const v of [1, 3]) {
    half.update([v]);
    saved.update([v]);
  }
  // Mean 2, std 1: 0 is (0 − 2) / 1 = −2, clipped to −1, plus 0.5 · 2 / 1 = 1 → 0; 2.5 → 0.5 + 1.
  assert.equal(half.normalize([0])[0], 0);
  assert.equal(half.normalize([2.5])[0], 1.5);
  close(half.denormalize([1.5])[0], 2.5);
  // A state saved before the option existed reads as centred (center 1).
  const state = saved.getState() as unknown as { options: Record<string, unknown> };
  delete state.options.center;
  const old = RunningNormalizer.fromState(state as unknown as ReturnType<typeof saved.getState>);
  assert.equal(old.normalize([0])[0], -1);
  close(old.denormalize([0.5])[0], 2.5);
});

test("warm-up: identity until the count is reached, or a clipped normalisation", () => {
  const identity = new RunningNormalizer(1, { warmup: 3 });
  const clipped = new RunningNormalizer(1, { warmup: 3, warmupMode: "clip", clip: 2 });
  for (const v of [0, 1]) {
    identity.update([v]);
    clipped.update([v]);
  }
  // After 0 and 1: mean 0.5, std 0.5.
  assert.equal(identity.normalize([100])[0], 100);
  assert.equal(clipped.normalize([100])[0], 2);
  assert.equal(clipped.normalize([0.75])[0], 0.5);
  assert.equal(identity.denormalize([100])[0], 100);
  identity.update([2]);
  clipped.update([2]);
  // Warm: mean 1, variance 2/3; no clip any more.
  assert.ok(identity.warm && clipped.warm);
  const expected = Math.fround(99 / Math.sqrt(2 / 3));
  assert.equal(identity.normalize([100])[0], expected);
  assert.equal(clipped.normalize([100])[0], expected);
});

test("state round trip mid-stream: a restored normaliser continues bit-identically", () => {
  const data = rows(3, 1_000);
  for (const options of [{}, { decay: 0.002, warmup: 10 }]) {
    const whole = new RunningNormalizer(3, options);
    const first = new RunningNormalizer(3, options);
    data.slice(0, 400).forEach((r) => {
      whole.update(r);
      first.update(r);
    });
    const resumed = RunningNormalizer.fromState(JSON.parse(JSON.stringify(first.getState())));
    for (const r of data.slice(400)) {
      whole.update(r);
      resumed.update(r);
      assert.deepEqual(resumed.normalize(r), whole.normalize(r));
    }
    assert.deepEqual(resumed.getState(), whole.getState());
  }
});

test("target scaler: trains on standardised y and answers in the target's units", () => {
  const target = new RunningTargetScaler();
  for (let y = 1; y <= 10; y++) target.update(y);
  // 1..10: mean 5.5, population variance 8.25.
  close(target.mean, 5.5);
  close(target.std, Math.sqrt(8.25));
  close(target.scale(8.25), 2.75 / Math.sqrt(8.25));
  close(target.unscale(1), 5.5 + Math.sqrt(8.25));
  close(target.unscale(target.scale(-3.7)), -3.7);
  const again = RunningTargetScaler.fromState(JSON.parse(JSON.stringify(target.getState())));
  assert.equal(again.scale(4), target.scale(4));
  const cold = new RunningTargetScaler({ warmup: 5 });
  cold.update(100);
  assert.equal(cold.scale(100), 100, "identity during the warm-up");
  assert.equal(cold.unscale(3), 3);
});

test("a row of the wrong width and bad options are refused", () => {
  const norm = new RunningNormalizer(3);
  assert.throws(
    () => norm.update([1, 2]),
    (e: Error) => e instanceof DataError && /expected a row of 3 values, got 2/.test(e.message),
  );
  assert.throws(() => new RunningNormalizer(2, { decay: 1 }), /normalize.decay: must be ≥ 0 and < 1, got 1/);
  assert.throws(() => new RunningNormalizer(0), /inputs must be a positive integer/);
});
