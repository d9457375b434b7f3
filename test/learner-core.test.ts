import { test } from "node:test";
import assert from "node:assert/strict";
import { Learner, type LearnerState } from "../src/learner/index.js";
import { initialize } from "../src/nn/init.js";
import type { Dense } from "../src/nn/layers.js";
import type { AdamState } from "../src/optim/adaptive.js";
import { ConfigError, DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { useBackend } from "../src/backend/index.js";

// By-hand steps follow js's float32 roundings (the library's default is wasm in Node).
useBackend("js");

/** Everything but the wall clock, which no two runs share. */
function timeless(state: LearnerState): LearnerState {
  return { ...state, seconds: 0 };
}

const params = (l: Learner) => l.network!.parameters().map(([, t]) => Float32Array.from(t.data));
const adam = (l: Learner) => (l.optimizerState as unknown[]).find((s) => (s as AdamState).mu) as AdamState;

test("observe on a fresh linear learner is one Adam step, by hand; it returns the prediction before it", () => {
  // No hidden layer, no normalisation, no memory: y = w·x + b, trained on the scaled target. After one
  // row the running target scale has mean y and std 0, so the scaled target is y − y = 0, the loss is
  // (w·x + b)², and Adam's first step moves each weight by lr·g/(|g| + eps) with g = 2(w·x + b)·x.
  const l = Learner.create({
    task: "regression",
    inputs: 3,
    hidden: [],
    normalize: false,
    memory: 0,
    replay: 0,
    drift: "none",
    seed: 5,
  });
  const [w0, b0] = params(l);
  const x = [0.5, -1.25, 2];
  let pred = b0[0];
  for (let j = 0; j < 3; j++) pred += w0[j] * x[j];
  const before = l.observe(x, 4) as { value: number };
  assert.ok(Math.abs(before.value - pred) < 1e-6, `${before.value} vs ${pred}`);
  const [w1, b1] = params(l);
  const step = (g: number) => (1e-3 * g) / (Math.abs(g) + 1e-8);
  for (let j = 0; j < 3; j++) {
    const expected = Math.fround(w0[j] - step(2 * pred * x[j]));
    assert.ok(Math.abs(w1[j] - expected) <= 1e-7, `w${j}: ${w1[j]} vs ${expected}`);
  }
  assert.ok(Math.abs(b1[0] - Math.fround(b0[0] - step(2 * pred))) <= 1e-7);
  assert.equal(l.vitals().steps, 1);
  assert.equal(l.vitals().prequential.loss, (pred - 4) ** 2);
});

test("observe returns what predict said just before, then learns", () => {
  const l = Learner.create({ task: "classification", inputs: 2, hidden: [8], seed: 3, labels: ["a", "b"] });
  const rng = new Rng(9);
  for (let i = 0; i < 50; i++) {
    const x = [rng.normal(), rng.normal()];
    const said = l.predict(x);
    const weights = params(l);
    assert.deepEqual(l.observe(x, x[0] > 0 ? "a" : "b"), said);
    assert.notDeepEqual(params(l), weights);
  }
});

test("a prediction asked for by a listener inside observe leaves observe's own answer as it was", () => {
  // 20 labels: the head's outputs are long enough to come from the prediction's pool of arrays.
  const labels = Array.from({ length: 20 }, (_, i) => i);
  const make = () => Learner.create({ task: "classification", inputs: 3, hidden: [8], seed: 5, labels });
  const [quiet, asked] = [make(), make()];
  const probe = [0.5, -1, 2];
  asked.listen({ scored: () => void asked.predict(probe), step: () => void asked.predict(probe) });
  const rng = new Rng(4);
  for (let i = 0; i < 40; i++) {
    const x = [rng.normal(), rng.normal(), rng.normal()];
    const y = Math.floor(rng.next() * 20);
    assert.deepEqual(asked.observe(x, y), quiet.observe(x, y), `row ${i}`);
  }
  assert.deepEqual(params(asked), params(quiet));
});

test("a new label grows the head: old weights and Adam moments kept exactly, the new row seeded", () => {
  // batch 2: the 11th row (the first "c") is predicted and held, not yet learnt, so the head is seen
  // right after it grew.
  const l = Learner.create({ task: "classification", inputs: 3, hidden: [5], batch: 2, seed: 11 });
  const rng = new Rng(2);
  for (let i = 0; i < 10; i++) l.observe([rng.normal(), rng.normal(), rng.normal()], i % 2 ? "a" : "b");
  const [, , w, b] = params(l);
  const { mu, nu } = structuredClone(adam(l));
  const out = l.observe([1, 2, 3], "c") as { labels: unknown[]; label: unknown };
  assert.deepEqual(out.labels, ["b", "a"], "the prediction was made before the head grew");
  const [, , w2, b2] = params(l);
  assert.equal(l.network!.outputDim, 3);
  assert.deepEqual(w2.subarray(0, 10), w);
  assert.deepEqual(b2.subarray(0, 2), b);
  assert.equal(b2[2], 0);
  const layer = l.network!.layers[1] as Dense;
  // The head started with one unit: "a" grew it to 2 (the first draw), "c" to 3 (the second).
  const grow = new Rng(11).fork("grow");
  initialize(layer.init, 5, 5, 2, grow);
  const fresh = initialize(layer.init, 5, 5, 3, grow);
  assert.deepEqual(w2.subarray(10), fresh);
  const after = adam(l);
  for (const i of [2, 3]) {
    assert.deepEqual(after.mu[i].subarray(0, mu[i].length), mu[i]);
    assert.deepEqual(after.nu[i].subarray(0, nu[i].length), nu[i]);
    assert.ok(after.mu[i].subarray(mu[i].length).every((v) => v === 0));
  }
  assert.deepEqual(after.mu[0], mu[0]); // the hidden layer's moments untouched
  assert.equal(after.step, 5);
  assert.deepEqual((l.predict([1, 2, 3]) as { labels: unknown[] }).labels, ["b", "a", "c"]);
});

test("saved at row 500 and restored, a learner continues bit-identically to row 1000", () => {
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const r = new Rng(i);
    const x = [r.normal(), r.normal(), r.normal() * 10];
    // At row 600 the concept reverses: an error that rises, which is what the drift detector reports.
    return { x, y: x[0] + x[1] > 0 === i < 600 ? "hi" : i % 97 === 0 ? "rare" : "lo" };
  });
  const cfg = {
    ...{ task: "classification" as const, hidden: [16], batch: 3, seed: 4, memory: 50, window: 100 },
    ...{ replay: 2, consolidate: "onlineEwc" as const },
  };
  const a = Learner.create(cfg);
  const b = Learner.create(cfg);
  for (const r of rows.slice(0, 500)) {
    a.observe(r.x, r.y);
    b.observe(r.x, r.y);
  }
  const c = Learner.fromState(structuredClone(b.getState()));
  for (const r of rows.slice(500)) {
    assert.deepEqual(c.observe(r.x, r.y), a.observe(r.x, r.y));
  }
  assert.deepEqual(timeless(c.getState()), timeless(a.getState()));
  const { seconds: _s, samplesPerSecond: _p, ...va } = a.vitals();
  const { seconds: _t, samplesPerSecond: _q, ...vc } = c.vitals();
  assert.deepEqual(vc, va);
  assert.equal(va.rows, 1000);
  assert.ok(va.consolidations >= 1, "the drift at row 600 was detected and consolidated");
  assert.equal(va.replay.size, 50);
});

test("named features and string labels; the first row fixes the names", () => {
  const l = Learner.create({ task: "classification", seed: 1 });
  l.observe({ age: 30, income: 2 }, "yes");
  l.observe({ income: 1, age: 20 }, "no");
  assert.deepEqual(l.vitals().labels, ["yes", "no"]);
  assert.throws(
    () => l.observe({ age: 1, height: 2 }, "no"),
    (e: unknown) =>
      e instanceof DataError && /x\.height: unknown feature; expected age, income/.test(e.message),
  );
  const p = l.predict({ age: 25, income: 1 }) as { label: string; probability: number };
  assert.ok(["yes", "no"].includes(p.label) && p.probability > 0 && p.probability <= 1);
});

test("bad rows are refused with the cell named, and the learner is left unchanged", () => {
  const l = Learner.create({ task: "classification", seed: 1, features: ["a", "b"] });
  l.observe({ a: 1, b: 2 }, 0);
  const before = timeless(l.getState());
  const cases: [unknown, unknown, RegExp][] = [
    [[1, 2, 3], 0, /^x: expected 2 values, got 3/],
    [[1, Number.NaN], 0, /^x\[1\]: expected a finite number, got number NaN/],
    [{ a: 1 }, 0, /^x\.b: missing feature/],
    [{ a: 1, b: "2" }, 0, /^x\.b: expected a finite number, got string "2"/],
    [{ a: 1, c: 2 }, 0, /^x\.c: unknown feature/],
    [[1, 2], null, /^y: expected a label/],
    [[1, 2], Number.POSITIVE_INFINITY, /^y: expected a label/],
  ];
  for (const [x, y, message] of cases)
    assert.throws(
      () => l.observe(x as number[], y as number),
      (e: unknown) => e instanceof DataError && message.test(e.message),
    );
  assert.deepEqual(timeless(l.getState()), before);
  const r = Learner.create({ task: "regression", inputs: 1 });
  assert.throws(() => r.observe([1], Number.NaN), /y: expected a finite number/);
});

test("config mistakes name the field", () => {
  const bad: [unknown, RegExp][] = [
    [{}, /learner\.task: required/],
    [{ task: "ranking" }, /learner\.task: expected one of/],
    [{ task: "regression", hidden: [8, 0] }, /learner\.hidden\[1\]: expected a positive integer/],
    [{ task: "regression", batch: 0 }, /learner\.batch: must be ≥ 1/],
    [{ task: "regression", normalizeCenter: 1.5 }, /learner\.normalizeCenter: must be ≥ 0 and ≤ 1, got 1\.5/],
    [{ task: "regression", optimizer: { type: "adam", lr: -1 } }, /learner\.optimizer\.lr/],
    [{ task: "regression", hiden: [3] }, /learner\.hiden: unknown key/],
    [{ task: "classification", features: ["a", "a"] }, /learner\.features: "a" is named twice/],
    [{ task: "regression", labels: [1] }, /learner\.labels: a regression learner has no labels/],
  ];
  for (const [cfg, message] of bad)
    assert.throws(
      () => Learner.create(cfg as never),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
});
