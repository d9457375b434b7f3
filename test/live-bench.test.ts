import { test } from "node:test";
import assert from "node:assert/strict";
import { DigitStream, type DigitPhase } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/index.js";
import { ConfigError } from "../src/tensor/errors.js";
import { runDigits } from "../bench/live-bench-digits.js";
import {
  accuracy,
  drifts,
  firstRowsAccuracy,
  newLabels,
  REJECTED,
  recurring,
  streamRow,
} from "../bench/live-bench-measure.js";
import { createVariant, VARIANTS } from "../bench/live-bench-variants.js";
import { soakGrowth } from "../bench/live-bench-memory.js";

const phase = (name: string, kind: DigitPhase["kind"], start: number, length: number, concept: string) => ({
  name,
  kind,
  start,
  length,
  concept,
  doc: "",
});

test("accuracy leaves refused rows out; firstRowsAccuracy stops after n kept rows", () => {
  const hits = Uint8Array.of(1, 0, REJECTED, 1, 1, 0, 1);
  assert.equal(accuracy(hits, 0, 7), 4 / 6);
  assert.equal(accuracy(hits, 2, 3), null);
  assert.equal(
    accuracy(hits, 0, 7, (i) => i % 2 === 1),
    1 / 3,
  );
  // Even rows kept: 0 (1), 2 (refused), 4 (1), 6 (1): the first two kept are rows 0 and 4.
  assert.deepEqual(
    firstRowsAccuracy(hits, 0, 7, 2, (i) => i % 2 === 0),
    { accuracy: 1, rows: 2, end: 5 },
  );
});

test("recurring: the first 200 rows back against the last 1,000 before the context left", () => {
  const schedule = [
    phase("a", "start", 0, 3000, "plain-0-9"),
    phase("b", "abrupt", 3000, 1000, "permuted"),
    phase("a again", "recurring", 4000, 1000, "plain-0-9"),
  ];
  const hits = new Uint8Array(5000);
  for (let i = 0; i < 3000; i++) hits[i] = i < 2000 || i % 5 !== 0 ? 1 : 0; // last 1,000: 80%
  for (let i = 4000; i < 5000; i++) hits[i] = i < 4200 ? (i % 4 !== 0 ? 1 : 0) : 1; // first 200: 75%
  const [r] = recurring(hits, schedule);
  assert.equal(r.before, 0.8);
  assert.equal(r.after, 0.75);
  assert.equal(r.ratio, 0.75 / 0.8);
});

test("new labels: old before and after, new against the oracle on the same rows", () => {
  const schedule = [
    phase("0-4", "start", 0, 100, "plain-0-4"),
    phase("5-7", "new-labels", 100, 100, "plain-0-7"),
  ];
  const labels = Uint8Array.from({ length: 200 }, (_, i) => (i >= 100 && i % 2 === 1 ? 5 : i % 5));
  // Before: the last 10 rows (90–99) all old, 9 right. After: old rows are the even ones from 100.
  const hits = Uint8Array.from({ length: 200 }, (_, i) =>
    i < 100 ? (i === 95 ? 0 : 1) : i % 4 === 0 ? 1 : 0,
  );
  const oracle = Uint8Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const classes = { "plain-0-4": [0, 1, 2, 3, 4], "plain-0-7": [0, 1, 2, 3, 4, 5, 6, 7] };
  const [f] = newLabels(hits, oracle, labels, schedule, (c) => classes[c as keyof typeof classes], 10);
  assert.deepEqual(f.newLabels, [5, 6, 7]);
  assert.equal(f.oldBefore, 0.9);
  // Old rows after: 100, 102, …, 118; right where i % 4 === 0: 100, 104, 108, 112, 116.
  assert.equal(f.oldAfter, 0.5);
  // New rows: 101, 103, …, 119, all wrong; the oracle on them: wrong at 105, 111, 117 (i % 3 === 0).
  assert.equal(f.newAccuracy, 0);
  assert.equal(f.oracleNewAccuracy, 0.7);
  assert.equal(f.ofOracle, 0);
});

test("drifts: the delay after the abrupt phase; false alarms per 100,000 stationary rows", () => {
  const schedule = [
    phase("a", "start", 0, 10_000, "plain-0-9"),
    phase("b", "abrupt", 10_000, 10_000, "permuted"),
    phase("c", "gradual", 20_000, 5000, "rotated"),
    phase("d", "stationary", 25_000, 5000, "rotated"),
  ];
  // 500 (grace after row 0), 10,300 (the drift), 15,000 and 27,000 (false), 22,000 (gradual).
  const f = drifts([500, 10_300, 15_000, 22_000, 27_000], schedule, 30_000, 1000);
  assert.equal(f.abruptDelay, 300);
  assert.equal(f.falseAlarms, 2);
  assert.equal(f.stationaryRows, 9000 + 9000 + 4000);
  assert.equal(f.per100k, (2 / 22_000) * 100_000);
  assert.equal(drifts([500], schedule, 30_000, 1000).abruptDelay, null);
});

test("streamRow: the learner's n-th accepted row, past the refused ones", () => {
  assert.equal(streamRow(1, []), 0);
  assert.equal(streamRow(3, [1]), 3);
  assert.equal(streamRow(2, [0, 1, 5]), 3);
});

test("createVariant drops a key this learner does not know, and rethrows any other mistake", () => {
  const base = { task: "classification" as const, inputs: 4, hidden: [3] };
  const v = { name: "x", doc: "", config: { memory: 0, bogusProtection: true } };
  const { dropped, config } = createVariant(v, base);
  assert.deepEqual(dropped, ["bogusProtection"]);
  assert.equal(config.memory, 0);
  assert.throws(() => createVariant({ ...v, config: { memory: -1 } }, base), ConfigError);
});

test("the digit run on 5,000 rows: every NaN row refused, hits as an independent naive learner's", () => {
  const variants = VARIANTS.filter((v) => ["naive", "default", "oracle"].includes(v.name));
  const run = runDigits({
    seed: 2,
    scale: 0.005,
    hidden: [8],
    variants,
    oracleRows: 50,
    checkpoints: [1000],
    saveLoadRows: 300,
  });
  assert.equal(run.stream.rows, 5000);
  for (const v of run.variants) {
    assert.equal(v.refused, 10, v.name);
    assert.deepEqual(v.failures, []);
    assert.equal(v.hits.filter((h) => h === REJECTED).length, 10);
  }
  assert.deepEqual(
    run.memory.map((m) => m.row),
    [1000],
  );
  // The js backend (the tests' default) continues bit-identically from getState.
  assert.equal(run.saveLoad?.identical, true, run.saveLoad?.detail);
  assert.equal(run.saveLoad?.at, 2500);
  // The naive learner replayed by hand gives the same right/wrong on every row.
  const { learner } = createVariant(variants[0], {
    task: "classification",
    inputs: 784,
    hidden: [8],
    seed: 2,
  });
  const expected = [...new DigitStream({ seed: 2, scale: 0.005 })].map((r) =>
    r.fault ? REJECTED : (learner.observe(r.x, r.y) as { label: unknown }).label === r.y ? 1 : 0,
  );
  assert.deepEqual([...run.variants[0].hits], expected);
  assert.ok(learner instanceof Learner);
});

test("soakGrowth: heap and RSS from the first sample past a tenth of the run to the last", () => {
  const sample = (row: number, heapMiB: number, rssMiB: number, replay: number) => ({
    row,
    heapMiB,
    rssMiB,
    arrayBuffersMiB: 0,
    wasmMiB: null,
    learnerMiB: 0,
    replay,
  });
  const soak = {
    rows: 100_000,
    seconds: 1,
    command: "",
    replay: { size: 1000, capacity: 1000 },
    // The 5,000-row sample is warm-up: growth counts from 10,000 (200 MiB) to 100,000 (210 MiB).
    samples: [sample(5000, 4, 100, 500), sample(10_000, 8, 200, 1000), sample(100_000, 6, 210, 1000)],
  };
  const g = soakGrowth(soak);
  assert.deepEqual([g.from, g.to, g.withinBound], [10_000, 100_000, true]);
  assert.ok(Math.abs((g.rss ?? 0) - 0.05) < 1e-12);
  assert.ok(Math.abs((g.heap ?? 0) + 0.25) < 1e-12);
  soak.samples[1].replay = 1001;
  assert.equal(soakGrowth(soak).withinBound, false);
  assert.equal(soakGrowth({ ...soak, samples: [sample(100_000, 6, 210, 1)] }).rss, null);
});
