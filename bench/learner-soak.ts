/**
 * The lifelong learner's memory over a long life (issue 17: flat over 1,000,000 observes): the default
 * learner, `Learner.create({ task: "classification", inputs: 784 })`, on the long-life digit stream,
 * sampling heap, RSS, array buffers and the wasm memory after a full collection, and checking the replay
 * memory against its bound. `npm run soak:learner`, or
 * `node --expose-gc dist/bench/learner-soak.js [--rows N] [--backend wasm|js] [--json]` (default 1,000,000,
 * wasm). With --json the last line of standard output is `{"soak": {rows, seconds, samples, replay}}`, which
 * the long-life benchmark reads (bench/live-bench-memory.ts).
 */
import { cpus } from "node:os";
import { backend, useBackend } from "../src/backend/index.js";
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/learner.js";
import type { SoakSample } from "./live-bench-memory.js";

const flag = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const rows = Number(flag("rows", "1000000"));
useBackend(flag("backend", "wasm"));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc)
  console.log("note: run with --expose-gc (npm run soak:learner does): heap is sampled between collections");

const marks = new Set([10_000, 100_000, rows]);
for (let k = 1; k <= 10; k++) marks.add(Math.round((rows * k) / 10));
const samples: SoakSample[] = [];
const mib = (b: number) => b / 2 ** 20;
const learner = Learner.create({ task: "classification", inputs: 784 });
const stream = new DigitStream({ seed: 1, scale: rows / 1_000_000 });
const started = performance.now();
let n = 0;
let refused = 0;
for (const r of stream) {
  try {
    learner.observe(r.x, r.y);
  } catch {
    refused++; // the stream's NaN rows: refused by name, never learnt from
  }
  n++;
  if (!marks.has(n)) continue;
  gc?.();
  const m = process.memoryUsage();
  const v = learner.vitals();
  const wasm = (backend() as { info?: () => { memoryBytes: number } }).info?.().memoryBytes;
  samples.push({
    row: n,
    heapMiB: mib(m.heapUsed),
    rssMiB: mib(m.rss),
    arrayBuffersMiB: mib(m.arrayBuffers),
    wasmMiB: wasm === undefined ? null : mib(wasm),
    learnerMiB: mib(v.memoryBytes),
    replay: v.replay.size,
  });
  process.stderr.write(`\rrow ${n.toLocaleString("en-US")}  rss ${mib(m.rss).toFixed(0)} MiB   `);
}
process.stderr.write("\n");
const seconds = (performance.now() - started) / 1000;
const v = learner.vitals();
const at = (row: number) => samples.find((s) => s.row === row);
const base = at(100_000) ?? samples[0];
const last = samples[samples.length - 1];
const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
console.log(
  `Learner soak: ${n.toLocaleString("en-US")} rows of the digit stream, default learner, ${backend().name} backend, ` +
    `${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${seconds.toFixed(0)} s ` +
    `(${Math.round(n / seconds)} rows/s); ${refused} rows refused; prequential accuracy ${(v.prequential.accuracy! * 100).toFixed(2)}%`,
);
console.log(
  "\n| row | heap MiB | RSS MiB | array buffers MiB | wasm memory MiB | learner's arrays MiB | replay rows |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const s of samples)
  console.log(
    `| ${s.row.toLocaleString("en-US")} | ${s.heapMiB.toFixed(1)} | ${s.rssMiB.toFixed(1)} | ${s.arrayBuffersMiB.toFixed(1)} | ${s.wasmMiB?.toFixed(1) ?? "—"} | ${s.learnerMiB.toFixed(1)} | ${s.replay} |`,
  );
console.log(
  `\nFrom row ${base.row.toLocaleString("en-US")} to ${last.row.toLocaleString("en-US")}: heap ${pct(last.heapMiB, base.heapMiB)}, ` +
    `RSS ${pct(last.rssMiB, base.rssMiB)}; replay memory ${v.replay.size} of ${v.replay.capacity} rows ` +
    `(${samples.every((s) => s.replay <= v.replay.capacity) ? "within" : "OVER"} its bound at every sample).`,
);
if (process.argv.includes("--json"))
  console.log(
    JSON.stringify({
      soak: { rows: n, seconds, samples, replay: { size: v.replay.size, capacity: v.replay.capacity } },
    }),
  );
