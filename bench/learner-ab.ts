/**
 * Interleaved A/B of `observe`'s speed: this build's learner against another build's (a copy of main's
 * dist/ inside the repo, so that its imports resolve), in one process, each round a fresh learner of
 * each (200 rows of warm-up, then `steps` timed), the order alternating, rows per second of CPU time:
 *
 *     node dist/bench/learner-ab.js DIR [rounds=8] [steps=1500] [threads=1] [default|naive]
 *
 * DIR holds the other build's dist (e.g. `cp -r dist .scratch/main-dist` on main). Prints each round and
 * a last JSON line: the median of the rounds' ratios (this build over the other), both medians, the load.
 */
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

interface Build {
  useBackend: (name: string, o: { threads: number }) => unknown;
  Learner: { create(c: object): { observe(x: Float32Array, y: number): unknown } };
  NAIVE: object;
}

/** The modules of the build whose dist/ is at `root` (a URL ending in /). */
async function build(root: string): Promise<Build> {
  const { useBackend } = await import(`${root}src/backend/index.js`);
  const { Learner } = await import(`${root}src/learner/index.js`);
  const { NAIVE } = await import(`${root}bench/live-bench-variants.js`);
  return { useBackend, Learner, NAIVE };
}

const [dir, rounds = "8", steps = "1500", threads = "1", variant = "default"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node dist/bench/learner-ab.js DIR [rounds] [steps] [threads] [default|naive]");
  process.exit(2);
}
const other = await build(pathToFileURL(`${resolve(dir)}/`).href);
const self = await build(new URL("../", import.meta.url).href);
const { DigitStream } = await import("../src/data/digit-stream.js");
const stream = new DigitStream({ seed: 1 });
const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
const rows = stream.phaseSample(tenDigits, Number(steps) + 200, 1);

/** Rows per second of CPU time of one fresh learner of `b`. */
function rate(b: Build): number {
  b.useBackend("wasm", { threads: Number(threads) });
  const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const extra = variant === "naive" ? b.NAIVE : {};
  const config = { task: "classification", inputs: 784, hidden: [256, 256], seed: 1, labels, ...extra };
  const learner = b.Learner.create(config);
  for (const r of rows.slice(0, 200)) learner.observe(r.x, r.y);
  const start = process.cpuUsage();
  for (const r of rows.slice(200)) learner.observe(r.x, r.y);
  const used = process.cpuUsage(start);
  return Number(steps) / ((used.user + used.system) / 1e6);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = [loadavg()[0]!];
const results: { other: number; self: number }[] = [];
for (let k = 0; k < Number(rounds); k++) {
  const r = k % 2 === 0 ? { other: rate(other), self: rate(self) } : { self: rate(self), other: rate(other) };
  results.push(r);
  console.log(
    `round ${k}: other ${r.other.toFixed(0)}, this ${r.self.toFixed(0)}, ${(r.self / r.other).toFixed(3)}×`,
  );
}
load.push(loadavg()[0]!);
const summary = {
  variant,
  threads: Number(threads),
  steps: Number(steps),
  medianRatio: Number(median(results.map((r) => r.self / r.other)).toFixed(3)),
  otherMedian: Math.round(median(results.map((r) => r.other))),
  thisMedian: Math.round(median(results.map((r) => r.self))),
  load,
};
console.log(JSON.stringify(summary));
