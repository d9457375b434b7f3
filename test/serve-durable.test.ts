import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import "../src/io/learner-file.js";
import { Learner, type LearnerConfig, type LearnerState } from "../src/learner/index.js";
import { DurableLearner } from "../src/serve/durable.js";
import { encodeRecords } from "../src/serve/wal.js";
import { DataError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { tempDir } from "./helpers/tmp.js";

const timeless = (s: LearnerState): LearnerState => ({ ...s, seconds: 0 });
const quiet = { warn: () => {} };
const cfg: LearnerConfig = {
  task: "classification",
  hidden: [8],
  seed: 3,
  batch: 3,
  probeEvery: 40,
  probe: 16,
};

function stream(n: number): { x: number[]; y: string | number }[] {
  const r = new Rng(11);
  return Array.from({ length: n }, (_, i) => {
    const x = [r.normal(), r.normal() * 10 + 3, r.next()];
    return { x, y: x[0] + (i > 250 ? 2 * x[2] : 0) > 0.4 ? "up" : i % 40 === 0 ? 7 : "down" };
  });
}
const ROWS = stream(420);

/** Feed rows[from, to) as requests of 1 to 8 rows, several in flight at once (they share commits). */
async function feed(d: DurableLearner, from: number, to: number, r: Rng): Promise<void> {
  let at = from;
  while (at < to) {
    const inFlight: Promise<unknown>[] = [];
    for (let k = 1 + Math.floor(r.next() * 3); k > 0 && at < to; k--) {
      const n = Math.min(to - at, 1 + Math.floor(r.next() * 8));
      inFlight.push(d.observe(ROWS.slice(at, at + n)));
      at += n;
    }
    await Promise.all(inFlight);
  }
}

/** The last segment of the log in `dir`. */
function lastSegment(dir: string): string {
  const wal = join(dir, "wal");
  return join(wal, fs.readdirSync(wal).sort().at(-1)!);
}

test("resumed at 20 random cut points (checkpoint + log, torn tails), the learner is bit-identical to one never stopped", async () => {
  const r = new Rng(5);
  const cuts = Array.from({ length: 20 }, () => 1 + Math.floor(r.next() * (ROWS.length - 1))).sort(
    (a, b) => a - b,
  );
  const reference = Learner.create(cfg);
  let fed = 0;
  for (const [i, cut] of cuts.entries()) {
    const dir = tempDir(`durable-${i}`);
    const opts = { ...quiet, every: 37, segmentBytes: 1500, keep: 2 };
    const d = await DurableLearner.create(dir, Learner.create(cfg), opts);
    await feed(d, 0, cut, r);
    // The crash: the process dies with part of an unacknowledged batch written (every other cut point).
    if (i % 2 === 1) {
      const torn = encodeRecords(cut + 1, ROWS.slice(cut, cut + 1));
      fs.appendFileSync(lastSegment(dir), torn.subarray(0, 1 + Math.floor(r.next() * (torn.length - 1))));
    }
    const warnings: string[] = [];
    const back = await DurableLearner.resume(dir, { ...opts, warn: (m) => warnings.push(m) });
    for (; fed < cut; fed++) reference.observe(ROWS[fed].x, ROWS[fed].y);
    assert.equal(back.lastSeq, cut, `cut ${cut}`);
    assert.equal(back.learner.vitals().rows, cut);
    assert.equal(warnings.length, i % 2, warnings.join("; "));
    assert.deepEqual(timeless(back.learner.getState()), timeless(reference.getState()), `cut ${cut}`);
  }
});

test("a damaged newest checkpoint is skipped: the older one and a longer replay give the same learner", async () => {
  const dir = tempDir("durable-damaged");
  const opts = { ...quiet, every: 50, segmentBytes: 1000, keep: 3 };
  const d = await DurableLearner.create(dir, Learner.create(cfg), opts);
  await feed(d, 0, 180, new Rng(2));
  const reference = Learner.create(cfg);
  for (const row of ROWS.slice(0, 180)) reference.observe(row.x, row.y);
  const cks = fs.readdirSync(join(dir, "checkpoints")).sort();
  // Checkpoints fall between commits: the first row count of 50 or more since the last one.
  assert.equal(cks.length, 3);
  assert.ok(
    cks.every((c, i) => Number(c) >= 50 * (i + 1) && Number(c) < 50 * (i + 1) + 24),
    `${cks}`,
  );
  const file = join(dir, "checkpoints", cks[2], "learner.hmst");
  const bytes = fs.readFileSync(file);
  bytes[bytes.length >> 1] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const warnings: string[] = [];
  const back = await DurableLearner.resume(dir, { ...opts, warn: (m) => warnings.push(m) });
  assert.match(
    warnings[0],
    new RegExp(`${cks[2]}: skipped a damaged checkpoint .*moved to .*\\.damaged-${cks[2]}$`),
  );
  assert.deepEqual(fs.readdirSync(join(dir, "checkpoints")).sort(), [`.damaged-${cks[2]}`, cks[0], cks[1]]);
  assert.deepEqual(timeless(back.learner.getState()), timeless(reference.getState()));
  // And it goes on learning from there, as the reference does.
  await feed(back, 180, 240, new Rng(3));
  for (const row of ROWS.slice(180, 240)) reference.observe(row.x, row.y);
  await back.close();
  const again = await DurableLearner.resume(dir, opts);
  assert.deepEqual(timeless(again.learner.getState()), timeless(reference.getState()));
});

test("a bad row refuses its whole request: nothing logged, nothing learnt, the message names the row", async () => {
  const dir = tempDir("durable-bad");
  const d = await DurableLearner.create(dir, Learner.create(cfg), quiet);
  await d.observe([{ x: [1, 2, 3], y: "a" }]);
  const bad = [
    { x: [1, 2, 3], y: "a" },
    { x: [1, Number.NaN, 3], y: "b" },
  ];
  assert.throws(
    () => d.observe(bad),
    (e: unknown) =>
      e instanceof DataError && e.message === "row 2 of 2: x[1]: expected a finite number, got number NaN",
  );
  assert.throws(
    () => d.observe([{ x: [1, 2], y: "a" }]),
    /^DataError: the row: x: expected 3 values, got 2$/,
  );
  assert.throws(() => d.observe([{ x: [1, 2, 3], y: null }]), /the row: y: expected a label/);
  assert.equal(d.lastSeq, 1);
  await d.close();
  const back = await DurableLearner.resume(dir, quiet);
  assert.equal(back.learner.vitals().rows, 1);
});

test("the log stays within its bound: checkpoints are taken and segments pruned behind them", async () => {
  const dir = tempDir("durable-bound");
  const opts = { ...quiet, every: 100_000, logBytes: 4000, keep: 2 };
  const d = await DurableLearner.create(dir, Learner.create(cfg), opts);
  let most = 0;
  for (let at = 0; at < 400; at += 4) {
    await d.observe(ROWS.slice(at, at + 4));
    most = Math.max(most, d.logBytesNow);
  }
  // One segment (a quarter of the bound) and one request past the bound, at most.
  assert.ok(most <= 4000 + 1000 + 4 * 80, `log reached ${most} bytes`);
  const onDisk = fs
    .readdirSync(join(dir, "wal"))
    .reduce((n, f) => n + fs.statSync(join(dir, "wal", f)).size, 0);
  assert.equal(onDisk, d.logBytesNow);
  const reference = Learner.create(cfg);
  for (const row of ROWS.slice(0, 400)) reference.observe(row.x, row.y);
  const back = await DurableLearner.resume(dir, opts);
  assert.deepEqual(timeless(back.learner.getState()), timeless(reference.getState()));
});

test("requests in flight together share one fsync", async () => {
  const dir = tempDir("durable-group");
  const d = await DurableLearner.create(dir, Learner.create(cfg), quiet);
  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, i) => d.observe(ROWS.slice(i * 2, i * 2 + 2))),
  );
  assert.equal(d.fsyncs, 1);
  assert.deepEqual(
    answers.map((a) => a.seq),
    Array.from({ length: 10 }, (_, i) => 2 * i + 2),
  );
  assert.equal(d.lastSeq, 20);
  // The answers are the predictions made before learning, row by row, as an in-process learner gives them.
  const reference = Learner.create(cfg);
  assert.deepEqual(
    answers.flatMap((a) => a.predictions),
    ROWS.slice(0, 20).map((row) => reference.observe(row.x, row.y)),
  );
});
