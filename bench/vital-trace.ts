/**
 * Exploration (not a result): the plasticity signals at every check of the plasticity protocol, written
 * as JSON so that candidate rules can be replayed offline.
 *
 *   node dist/bench/vital-trace.js --tasks 50 --per 4000 --seed 1 --out /tmp/trace.json
 */
import { writeFileSync } from "node:fs";
import { useBackend } from "../src/backend/index.js";
import { runContinual } from "../src/continual/index.js";
import { plasticityProtocol } from "./plasticity-protocol.js";
import { vitals } from "../src/homeostasis/index.js";
import type { PlasticityMemory } from "../src/health/vital-rules.js";

const argv = process.argv.slice(2);
const get = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
useBackend("auto", { threads: 1 });
const seed = Number(get("seed", "1"));
const loop = vitals({ forgettingBudget: 0, seed, window: 1, baselineStart: 0, maxRemedies: 0 });
const checks: number[][] = [];
let steps = 0;
const tracer = {
  ...loop,
  name: "vitals",
  onBatchEnd(e: never, c: never) {
    loop.onBatchEnd?.(e, c);
    if (++steps % 20 !== 0) return;
    const m = (loop.getState() as { monitor: { memory: { plasticityLoss: PlasticityMemory } } }).monitor
      .memory.plasticityLoss;
    const r = m.ranks[m.ranks.length - 1] ?? [0, NaN, NaN];
    checks.push([m.loss[0], m.dormant[0], r[1], r[2], m.weightChange[0]]);
  },
};
const cfg = plasticityProtocol({
  tasks: Number(get("tasks", "50")),
  per: Number(get("per", "4000")),
  seed,
  homeostasis: JSON.parse(get("homeostasis", "[]")),
});
const r = runContinual(cfg, { observers: [tracer as never] });
writeFileSync(get("out", "/tmp/trace.json"), JSON.stringify({ accuracy: r.online!.accuracy, checks }));
console.log(r.online!.accuracy.map((a) => (100 * a).toFixed(1)).join(" "));
