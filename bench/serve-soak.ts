/**
 * Soak of the learning service (issue 18): N observations through HTTP (64 rows per request, keep-alive,
 * 4 in flight) into `homeostat live --serve`, sampling the service's resident memory (/proc, Linux) and
 * its log's size; memory should stay flat after warm-up and the log within its bound. Usage: `npm run
 * build && node dist/bench/serve-soak.js [--rows N] [--log-bytes B]` (defaults 1,000,000 and 8 MiB).
 */
import * as fs from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SeaStream } from "../src/data/synthetic-streams.js";
import { send, startService } from "../test/helpers/serve-crash.js";

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = flag("rows", 1_000_000);
const LOG_BYTES = flag("log-bytes", 8 << 20);
const BATCH = 64;
const INFLIGHT = 4;
const SAMPLES = 20;

const root = fs.mkdtempSync(join(tmpdir(), "serve-soak-"));
fs.writeFileSync(
  join(root, "live.json"),
  JSON.stringify({ task: "classification", seed: 1, serve: { every: 50_000, logBytes: LOG_BYTES } }),
);
const child = await startService(["--config", join(root, "live.json"), "--dir", join(root, "s")]);
const rss = (): number => {
  const status = fs.readFileSync(`/proc/${child.proc.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
};
const stream = new SeaStream({ seed: 1 });
const agent = new Agent({ keepAlive: true, maxSockets: INFLIGHT });
const samples: { rows: number; rssMiB: number; logBytes: number; seconds: number }[] = [];
let sent = 0;
let mostLog = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: INFLIGHT }, async () => {
    while (sent < N) {
      const rows = [...stream.take(Math.min(BATCH, N - sent))].map((r) => ({ x: Array.from(r.x), y: r.y }));
      sent += rows.length;
      const r = await send(agent, `${child.url}/observe`, rows);
      if (r.status !== 200) throw new Error(`observe answered ${r.status}`);
      const logBytes = logSize();
      mostLog = Math.max(mostLog, logBytes);
      if (sent >= ((samples.length + 1) * N) / SAMPLES && samples.length < SAMPLES)
        samples.push({ rows: sent, rssMiB: rss(), logBytes, seconds: (performance.now() - started) / 1000 });
    }
  }),
);
function logSize(): number {
  const wal = join(root, "s", "wal");
  return fs
    .readdirSync(wal)
    .reduce((n, f) => n + (fs.statSync(join(wal, f), { throwIfNoEntry: false })?.size ?? 0), 0);
}
const vitals = (await send(agent, `${child.url}/vitals`)).json();
agent.destroy();
child.proc.kill("SIGTERM");
await new Promise((r) => child.proc.once("exit", r));
fs.rmSync(root, { recursive: true, force: true });
const afterWarmup = samples.slice(Math.floor(SAMPLES / 10));
const level = afterWarmup[0].rssMiB;
const worst = Math.max(...afterWarmup.map((s) => s.rssMiB));
console.log("| rows | RSS MiB | log bytes | s |\n| --- | --- | --- | --- |");
for (const s of samples)
  console.log(`| ${s.rows} | ${s.rssMiB.toFixed(1)} | ${s.logBytes} | ${s.seconds.toFixed(0)} |`);
console.log(
  `rows learnt ${vitals.rows}; RSS after warm-up ${level.toFixed(1)} MiB, at most ${worst.toFixed(1)} (+${((100 * (worst - level)) / level).toFixed(1)}%); log at most ${mostLog} bytes (bound ${LOG_BYTES} + a segment of ${Math.min(64 << 20, LOG_BYTES >> 2)})`,
);
