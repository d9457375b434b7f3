/**
 * The crash drill at length (issue 18): `homeostat live --serve` killed with SIGKILL at 20 or more random
 * moments under keep-alive load, a torn record written into the log before every third restart, each
 * restart with --resume; then the service is stopped with SIGTERM and its last checkpoint compared with
 * an in-process learner fed the acknowledged rows. test/serve-crash.test.ts runs 5 kills of the same.
 * Usage: `npm run build && node dist/bench/serve-crash.js [--kills N] [--seed S]` (defaults 24 and 1).
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import "../src/io/learner-file.js";
import { Learner } from "../src/learner/learner.js";
import { crashDrill } from "../test/helpers/serve-crash.js";

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const kills = flag("kills", 24);
const seed = flag("seed", 1);
const LEARNER = { task: "classification" as const, hidden: [16], seed: 6, batch: 2, probeEvery: 200 };

const root = fs.mkdtempSync(join(tmpdir(), "serve-crash-"));
const config = join(root, "live.json");
fs.writeFileSync(
  config,
  JSON.stringify({ ...LEARNER, serve: { every: 500, segmentBytes: 16000, logBytes: 80000 } }),
);
const dir = join(root, "service");
const started = performance.now();
const drill = await crashDrill({ config, dir, kills, seed, killMs: 600, tornEvery: 3 });
const seconds = (performance.now() - started) / 1000;
const countsHeld = drill.checks.every(
  (c) => c.rows === c.acked || (c.kept && c.rows === c.acked + c.inFlight),
);
const newest = fs
  .readdirSync(join(dir, "checkpoints"))
  .filter((n) => /^\d+$/.test(n))
  .sort()
  .at(-1)!;
const saved = await Learner.load(join(dir, "checkpoints", newest));
const reference = Learner.create(LEARNER);
for (const r of drill.acked) reference.observe(r.x, r.y);
const identical = isDeepStrictEqual(
  { ...saved.getState(), seconds: 0 },
  { ...reference.getState(), seconds: 0 },
);
const wal = join(dir, "wal");
const logBytes = fs.readdirSync(wal).reduce((n, f) => n + fs.statSync(join(wal, f)).size, 0);
console.log(
  JSON.stringify(
    {
      kills,
      seed,
      acknowledged: drill.acked.length,
      inFlightAtKill: drill.checks.filter((c) => c.inFlight > 0).length,
      inFlightKept: drill.checks.filter((c) => c.kept).length,
      tornTailsCut: drill.tornCut,
      countsHeldAfterEveryRestart: countsHeld,
      finalBitIdentical: identical,
      sigtermExit: drill.exitCode,
      logBytes,
      seconds: Math.round(seconds * 10) / 10,
    },
    null,
    2,
  ),
);
fs.rmSync(root, { recursive: true, force: true });
process.exitCode = countsHeld && identical && drill.exitCode === 0 ? 0 : 1;
