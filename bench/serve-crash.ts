/**
 * The crash drill at length (issue 18): `homeostat live --serve` killed with SIGKILL at 20 or more random
 * moments under keep-alive load, a torn record written into the log before every third restart, a full
 * disk in every life (one log write and one fsync fail with ENOSPC, drawn among the first `--full`),
 * each restart with --resume; then the service is stopped with SIGTERM and its last checkpoint compared
 * with an in-process learner fed the acknowledged rows. test/serve-crash.test.ts runs 5 kills of the same.
 * Usage: `npm run build && node dist/bench/serve-crash.js [--kills N] [--seed S] [--full N] [--doc]`
 * (defaults 24, 1 and 40); `--doc` writes the figures into docs/serve.md, between its serve-crash marks.
 */
import * as fs from "node:fs";
import { loadavg, tmpdir } from "node:os";
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
const fullDisk = flag("full", 40);
const TORN_EVERY = 3;
const LEARNER = { task: "classification" as const, hidden: [16], seed: 6, batch: 2, probeEvery: 200 };

const root = fs.mkdtempSync(join(tmpdir(), "serve-crash-"));
const config = join(root, "live.json");
fs.writeFileSync(
  config,
  JSON.stringify({ ...LEARNER, serve: { every: 500, segmentBytes: 16000, logBytes: 80000 } }),
);
const dir = join(root, "service");
const started = performance.now();
const drill = await crashDrill({ config, dir, kills, seed, killMs: 600, tornEvery: TORN_EVERY, fullDisk });
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
const refusedNotLearnt = drill.fullChecks.every((c) => c.rows === c.acked);
const figures = {
  kills,
  seed,
  acknowledged: drill.acked.length,
  inFlightAtKill: drill.checks.filter((c) => c.inFlight > 0).length,
  inFlightKept: drill.checks.filter((c) => c.kept).length,
  tornTailsCut: drill.tornCut,
  diskFullRequests: drill.diskFull.requests,
  diskFullRows: drill.diskFull.rows,
  diskFullChecks: drill.fullChecks.length,
  diskFullRowsLearnt: drill.fullChecks.reduce((n, c) => n + Math.abs(c.rows - c.acked), 0),
  servedAfterFullDisk: drill.servedAfterFull,
  countsHeldAfterEveryRestart: countsHeld,
  finalBitIdentical: identical,
  sigtermExit: drill.exitCode,
  logBytes,
  seconds: Math.round(seconds * 10) / 10,
};
console.log(JSON.stringify(figures, null, 2));
fs.rmSync(root, { recursive: true, force: true });
const held = countsHeld && identical && refusedNotLearnt && drill.exitCode === 0;
if (process.argv.includes("--doc")) writeDoc("docs/serve.md", crashSection(figures));
process.exitCode = held ? 0 : 1;

/** The crash-safety paragraph of docs/serve.md, every number from this run. */
function crashSection(f: typeof figures): string {
  const written = Math.floor(f.kills / TORN_EVERY);
  const json = JSON.stringify(f)
    .replace(/,"/g, ', "')
    .replace(/:/g, ": ")
    .replace(/^\{/, "{ ")
    .replace(/\}$/, " }");
  const checked =
    f.diskFullChecks === f.diskFullRequests
      ? "each"
      : `${f.diskFullChecks} of them (a kill came first for the others)`;
  // One sentence a line: the numbers vary in length, and the page reads the same however they fall.
  return [
    `**Crash safety** — \`npm run build && node dist/bench/serve-crash.js --kills ${f.kills} --seed ${f.seed} --full ${fullDisk} --doc\`:`,
    `${f.kills} SIGKILLs at random moments under keep-alive load;`,
    `a torn record appended to the log before every ${TORN_EVERY === 3 ? "third" : `${TORN_EVERY}th`} restart;`,
    `in every life a full disk — the log's n-th write and m-th fsync fail with ENOSPC, n and m drawn from 1 … ${fullDisk}, through the test-only \`HOMEOSTAT_TEST_LOG_FAULTS\`;`,
    `SIGTERM at the end.`,
    `Run on ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0].toFixed(1)}:`,
    "",
    "```json",
    json.replace(/(.{70,}?), /g, "$1,\n  "),
    "```",
    "",
    `After every restart \`/vitals\` \`rows\` equalled the acknowledged count, or that plus the whole request in flight at the kill (${f.inFlightKept} of ${f.inFlightAtKill} times: it had reached the disk).`,
    `${f.diskFullRequests} requests (${f.diskFullRows} rows) met the full disk and were answered 503;`,
    `\`/vitals\` read at once after ${checked} showed exactly the acknowledged rows (${f.diskFullRowsLearnt} of the refused rows learnt),`,
    `and ${f.servedAfterFullDisk} times a later request of the same life was answered 200: the service went on once the disk had room.`,
    `The last checkpoint's learner ${f.finalBitIdentical ? "equalled" : "did NOT equal"} an in-process learner fed the acknowledged rows bit for bit (\`getState\`, \`seconds\` aside).`,
    `${f.tornTailsCut} tails were cut: the ${written} the drill wrote${cutByKills(f.tornTailsCut - written)}.`,
  ].join("\n");
}

function cutByKills(n: number): string {
  return n === 0
    ? ""
    : n === 1
      ? " and one left by a kill in the middle of a write"
      : ` and ${n} left by kills in the middle of a write`;
}

/** Replace what lies between \`<!-- serve-crash -->\` and \`<!-- /serve-crash -->\` in \`path\`. */
function writeDoc(path: string, section: string): void {
  const text = fs.readFileSync(path, "utf8");
  const [open, close] = ["<!-- serve-crash -->", "<!-- /serve-crash -->"];
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) throw new Error(`${path}: no ${open} … ${close} marks`);
  fs.writeFileSync(path, `${text.slice(0, a + open.length)}\n${section}\n${text.slice(b)}`);
}
