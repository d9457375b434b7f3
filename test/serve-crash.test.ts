import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import "../src/io/learner-file.js";
import { Learner, type LearnerState } from "../src/learner/index.js";
import { crashDrill } from "./helpers/serve-crash.js";
import { tempDir } from "./helpers/tmp.js";
import { useBackend } from "../src/backend/index.js";

// A new service in the CLI runs where the library runs in Node by default (wasm where it loads, one
// thread), and a resumed one where its checkpoint says; the learners compared with its learner here too.
useBackend("auto", { threads: 1 });

const timeless = (s: LearnerState): LearnerState => ({ ...s, seconds: 0 });
const LEARNER = { task: "classification" as const, hidden: [8], seed: 6, batch: 2, probeEvery: 100 };

test("killed with SIGKILL 5 times under load, with torn tails and a full disk, the service keeps exactly the acknowledged rows, bit for bit", async () => {
  const dir = tempDir("serve-crash");
  const config = join(dir, "live.json");
  fs.writeFileSync(
    config,
    JSON.stringify({ ...LEARNER, serve: { every: 150, segmentBytes: 8000, logBytes: 40000 } }),
  );
  const service = join(dir, "service");
  // Each life's log write and fsync numbered 1 … 16 fail with ENOSPC: the last life sends 20 requests,
  // so at least its write fails, and requests follow it.
  const drill = await crashDrill({
    config,
    dir: service,
    kills: 5,
    seed: 17,
    killMs: 400,
    tornEvery: 2,
    fullDisk: 16,
  });
  // A request whose log write failed was answered 503 and learnt nowhere; the next ones were served.
  assert.ok(drill.diskFull.requests >= 1, JSON.stringify(drill.diskFull));
  // (A kill may come between such an answer and the look at /vitals.)
  assert.ok(drill.fullChecks.length >= 1);
  for (const c of drill.fullChecks) assert.equal(c.rows, c.acked, JSON.stringify(c));
  assert.ok(drill.servedAfterFull >= 1);
  // (a) After each restart the learner holds every acknowledged row, and the request in flight at the
  // kill whole or not at all.
  for (const c of drill.checks)
    assert.ok(c.rows === c.acked || (c.kept && c.rows === c.acked + c.inFlight), JSON.stringify(c));
  assert.equal(drill.checks.length, 5);
  assert.equal(drill.tornCut, 2, drill.warnings);
  assert.equal(drill.exitCode, 0, drill.warnings);
  // The log stayed within its bound (40,000 bytes, plus at most a segment): pruned behind checkpoints.
  const wal = join(service, "wal");
  const logBytes = fs.readdirSync(wal).reduce((n, f) => n + fs.statSync(join(wal, f)).size, 0);
  assert.ok(logBytes <= 48_000, `${logBytes} bytes of log`);
  // (b) The learner SIGTERM checkpointed equals one never interrupted, fed the acknowledged rows.
  const newest = fs
    .readdirSync(join(service, "checkpoints"))
    .filter((n) => /^\d+$/.test(n))
    .sort()
    .at(-1)!;
  assert.equal(Number(newest), drill.acked.length);
  const saved = await Learner.load(join(service, "checkpoints", newest));
  const reference = Learner.create(LEARNER);
  for (const r of drill.acked) reference.observe(r.x, r.y);
  assert.equal(saved.vitals().rows, drill.acked.length);
  assert.deepEqual(timeless(saved.getState()), timeless(reference.getState()));
});
