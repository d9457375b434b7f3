/**
 * Throughput of the learning service (issue 18): observations per second through HTTP at 1 and 64 rows
 * per request (keep-alive, a few requests in flight), against the in-process `observe` rate of the
 * same learner on the same rows, measured in the same run; and the p50 / p99 latency of `/predict`
 * while the service learns at full rate. The service runs as its own process (`homeostat live
 * --serve`), the load generator here. Usage: `npm run build && node dist/bench/serve-throughput.js
 * [--rows N] [--inflight K]` (defaults 6,000 and 4; batch 1 is run at 4K in flight too).
 */
import * as fs from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../src/io/learner-file.js";
import { SeaStream } from "../src/data/synthetic-streams.js";
import { Learner, type LearnerConfig } from "../src/learner/learner.js";
import { send, startService } from "../test/helpers/serve-crash.js";

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = flag("rows", 6000);
const INFLIGHT = flag("inflight", 4);
/** The learner the README shows: defaults (64 layer-normalised ReLU units, health monitor, ReDo) on SEA. */
const LEARNER: LearnerConfig = { task: "classification", seed: 1 };
const ROWS = [...new SeaStream({ seed: 1 }).take(N)].map((r) => ({ x: Array.from(r.x), y: r.y }));

function inProcessRate(): number {
  // A warm-up pass first: the first rows through a fresh process run before the JIT has compiled observe.
  const warm = Learner.create(LEARNER);
  for (const r of ROWS.slice(0, 1000)) warm.observe(r.x, r.y);
  const learner = Learner.create(LEARNER);
  const t = performance.now();
  for (const r of ROWS) learner.observe(r.x, r.y);
  return ROWS.length / ((performance.now() - t) / 1000);
}

/** Feed ROWS in requests of `batch` rows, `inflight` at a time; returns rows/s, fsyncs, /predict latencies. */
async function httpRate(batch: number, inflight: number, withPredict: boolean) {
  const root = fs.mkdtempSync(join(tmpdir(), "serve-bench-"));
  fs.writeFileSync(join(root, "live.json"), JSON.stringify({ ...LEARNER, serve: { every: 100_000 } }));
  const child = await startService(["--config", join(root, "live.json"), "--dir", join(root, "s")]);
  const agent = new Agent({ keepAlive: true, maxSockets: inflight });
  const requests: number[][] = [];
  for (let at = 0; at < ROWS.length; at += batch) requests.push([at, Math.min(ROWS.length, at + batch)]);
  let next = 0;
  let done = false;
  const latencies: number[] = [];
  const predicting = (async () => {
    if (!withPredict) return;
    const own = new Agent({ keepAlive: true, maxSockets: 1 });
    while (!done) {
      const t = performance.now();
      const r = await send(own, `${child.url}/predict`, { x: ROWS[latencies.length % N].x });
      if (r.status !== 200) throw new Error(`predict answered ${r.status}`);
      latencies.push(performance.now() - t);
    }
    own.destroy();
  })();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < requests.length) {
        const [from, to] = requests[next++];
        const r = await send(agent, `${child.url}/observe`, ROWS.slice(from, to));
        if (r.status !== 200) throw new Error(`observe answered ${r.status}: ${JSON.stringify(r.json())}`);
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  done = true;
  await predicting;
  const metrics = await send(agent, `${child.url}/vitals`);
  const fsyncs = (metrics.json().service as { fsyncs: number }).fsyncs;
  agent.destroy();
  child.proc.kill("SIGTERM");
  await new Promise((r) => child.proc.once("exit", r));
  fs.rmSync(root, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    rate: ROWS.length / seconds,
    fsyncs,
    requests: requests.length,
    p50: latencies.length ? q(0.5) : null,
    p99: latencies.length ? q(0.99) : null,
    predicts: latencies.length,
  };
}

const fmt = (v: number) => Math.round(v).toLocaleString("en-US");
const inProcess = inProcessRate();
const one = await httpRate(1, INFLIGHT, false);
const oneWide = await httpRate(1, 4 * INFLIGHT, false);
const many = await httpRate(64, INFLIGHT, false);
const loaded = await httpRate(64, INFLIGHT, true);
const inProcessAfter = inProcessRate();
const base = (inProcess + inProcessAfter) / 2;
console.log(`rows ${fmt(N)} (SEA, seed 1), learner ${JSON.stringify(LEARNER)} defaults otherwise`);
console.log("| measure | observations/s | of in-process | fsyncs (requests) |");
console.log("| --- | --- | --- | --- |");
console.log(
  `| in-process observe (before / after the HTTP runs) | ${fmt(inProcess)} / ${fmt(inProcessAfter)} | 100% | — |`,
);
for (const [name, r] of [
  [`HTTP, 1 row per request, ${INFLIGHT} in flight`, one],
  [`HTTP, 1 row per request, ${4 * INFLIGHT} in flight`, oneWide],
  [`HTTP, 64 rows per request, ${INFLIGHT} in flight`, many],
  [`HTTP, 64 rows per request, ${INFLIGHT} in flight, /predict alongside`, loaded],
] as const)
  console.log(
    `| ${name} | ${fmt(r.rate)} | ${((100 * r.rate) / base).toFixed(0)}% | ${fmt(r.fsyncs)} (${fmt(r.requests)}) |`,
  );
console.log(
  `/predict while learning at full rate: p50 ${loaded.p50?.toFixed(2)} ms, p99 ${loaded.p99?.toFixed(2)} ms over ${loaded.predicts} requests`,
);
