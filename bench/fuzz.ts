/**
 * The full fuzz run of issue 7: at least 100,000 mutated and random inputs across every parser a
 * user's file reaches. `npm run fuzz` (or `node dist/bench/fuzz.js [--per-target N] [--only TEXT]`, TEXT
 * a part of the parsers' names, e.g. `--only safetensors`).
 */
import { fuzz } from "../test/helpers/fuzz.js";
import { fuzzTargets } from "../test/helpers/fuzz-targets.js";

const arg = process.argv.indexOf("--per-target");
const perTarget = arg > 0 ? Number(process.argv[arg + 1]) : 15_000;
const only = process.argv.indexOf("--only");
const filter = only > 0 ? String(process.argv[only + 1]) : "";
/** One input of a few kB taking this long means a pathological path in a parser (timed here, on a quiet machine, not in npm test). */
const SLOW_MS = 500;
let total = 0;
let crashes = 0;
let slow = 0;
console.log("| parser | inputs | accepted | refused (typed error) | crashes | slowest (ms) |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const target of fuzzTargets().filter((t) => t.name.includes(filter))) {
  const r = fuzz(target, perTarget, 2026);
  total += r.inputs;
  crashes += r.crashes.length;
  console.log(
    `| ${r.name} | ${r.inputs.toLocaleString("en-US")} | ${r.accepted.toLocaleString("en-US")} | ${r.refused.toLocaleString("en-US")} | ${r.crashes.length} | ${r.slowestMs.toFixed(1)} |`,
  );
  for (const c of r.crashes.slice(0, 5)) console.log(`  crash (input of ${c.length} bytes): ${c.message}`);
  if (r.slowestMs >= SLOW_MS) {
    slow++;
    console.log(`  slow: one input took ${r.slowestMs.toFixed(0)} ms (limit ${SLOW_MS} ms)`);
  }
}
console.log(
  `\n${total.toLocaleString("en-US")} inputs in all, ${crashes} crashes, ${slow} parsers with an input over ${SLOW_MS} ms`,
);
process.exitCode = crashes === 0 && slow === 0 ? 0 : 1;
