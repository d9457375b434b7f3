/**
 * A learner against its copy restored with `Learner.fromState` (what `Learner.load` and `live --resume`
 * make), in alternating blocks of rows in one process: the restored copy must run as fast as the
 * original. Before optimiser state was put back into the wasm backend's memory on restore, it ran at
 * ~0.73× (docs/learner.md):
 *
 *     node dist/bench/learner-restored.js [rounds]   (default 10 blocks of 400 rows each)
 */
import { loadavg } from "node:os";
import { useBackend } from "../src/backend/index.js";
import { DigitStream } from "../src/data/digit-stream.js";
import { Learner } from "../src/learner/index.js";

const rounds = Number(process.argv[2] ?? 10);
const block = 400;
useBackend("wasm", { threads: 1 });
const stream = new DigitStream({ seed: 1 });
const tenDigits = stream.schedule.findIndex((p) => p.concept === "plain-0-9");
const rows = stream.phaseSample(tenDigits, 2000 + block * rounds, 1);
const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const original = Learner.create({ task: "classification", inputs: 784, hidden: [256, 256], seed: 1, labels });
for (const r of rows.slice(0, 2000)) original.observe(r.x, r.y);
const restored = Learner.fromState(original.getState());
const rate = (l: Learner, from: number): number => {
  const started = performance.now();
  for (const r of rows.slice(from, from + block)) l.observe(r.x, r.y);
  return block / ((performance.now() - started) / 1000);
};
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const ratios: number[] = [];
const rates = { original: [] as number[], restored: [] as number[] };
for (let k = 0; k < rounds; k++) {
  // Each block once by each learner, the order alternating; both learn the same rows.
  const from = 2000 + k * block;
  const first = k % 2 === 0 ? "original" : "restored";
  const r1 = rate(first === "original" ? original : restored, from);
  const r2 = rate(first === "original" ? restored : original, from);
  const [o, r] = first === "original" ? [r1, r2] : [r2, r1];
  rates.original.push(o);
  rates.restored.push(r);
  ratios.push(r / o);
}
console.log(
  JSON.stringify({
    originalRowsPerSecond: Math.round(median(rates.original)),
    restoredRowsPerSecond: Math.round(median(rates.restored)),
    restoredOverOriginal: Number(median(ratios).toFixed(3)),
    ratios: ratios.map((x) => Number(x.toFixed(2))),
    load: loadavg().map((l) => Number(l.toFixed(2))),
  }),
);
process.exit(0);
