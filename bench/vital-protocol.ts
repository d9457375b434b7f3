/**
 * Issue 19's plasticity protocol at full length, one run per call (bench/vital-loop.ts runs it shortened
 * for the doc): online permuted digits, TASKS tasks of 4000 digits, SGD 0.1, batch 16, 784-100-100-100-10;
 * prints one JSON line: online accuracy of the first and last 10 tasks, dead units at the end, every task's
 * online accuracy and the loop's events.
 *
 *   node dist/bench/vital-protocol.js --tasks 150 --seed 1                 # the loop, nothing chosen
 *   node dist/bench/vital-protocol.js --tasks 150 --seed 1 --loop 0        # plain backprop
 *   node dist/bench/vital-protocol.js --tasks 150 --seed 1 --loop 0 \
 *     --homeostasis '[{"type":"intrinsicPlasticity"},{"type":"l2Init"}]'  # the best fixed regulator
 *   --remedy ipl2redo: the loop's first remedy IP + L2-Init + ReDo (measured: no better than IP + L2-Init)
 *   --dead-units 0.02: the loop holds a dead-unit budget too;  --plasticity 0: it watches no loss of plasticity
 */
import { useBackend } from "../src/backend/index.js";
import { runContinual } from "../src/continual/index.js";
import { plasticityProtocol } from "./plasticity-protocol.js";
import { vitals, intrinsicPlasticity, l2Init, redo } from "../src/homeostasis/index.js";
import { PLASTICITY_REMEDIES } from "../src/homeostasis/vital-remedies.js";
const argv = process.argv.slice(2);
const get = (n: string, f: string) => (argv.indexOf(`--${n}`) >= 0 ? argv[argv.indexOf(`--${n}`) + 1] : f);
useBackend("auto", { threads: 1 });
const seed = Number(get("seed", "1"));
const remedies =
  get("remedy", "") === "ipl2redo"
    ? [
        {
          name: "intrinsicPlasticity + l2Init + redo",
          make: () => [intrinsicPlasticity(), l2Init(), redo()],
        },
        ...PLASTICITY_REMEDIES.slice(1),
      ]
    : PLASTICITY_REMEDIES;
const deadUnits = get("dead-units", "") === "" ? undefined : Number(get("dead-units", ""));
const loop = vitals(
  { forgettingBudget: 0, seed, deadUnits, plasticity: get("plasticity", "1") === "1" },
  remedies,
);
const ev: string[] = [];
const cfg = plasticityProtocol({
  tasks: Number(get("tasks", "50")),
  per: 4000,
  seed,
  homeostasis: JSON.parse(get("homeostasis", "[]")),
});
let seen = 0;
const loopOn = get("loop", "1") === "1";
const r = runContinual(cfg, {
  ...(loopOn ? { observers: [loop] } : {}),
  onTaskEnd: (i) => {
    for (const e of loop.events.slice(seen))
      if (e.kind !== "deadUnits" && e.kind !== "unitReinit")
        ev.push(`task ${i + 1} ${e.kind}: ${e.diagnosis}`);
    seen = loop.events.length;
  },
});
const acc = r.online!.accuracy;
const m = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const bal = r.online!.balance;
const last = bal[bal.length - 1];
const deadOf = (probe: typeof last) =>
  probe.reduce((a, l) => a + l.deadFraction * l.units, 0) / probe.reduce((a, l) => a + l.units, 0);
const dead = deadOf(last);
// Probes once trained: from the end of the first task on.
const deadMax = Math.max(...bal.slice(1).map(deadOf));
console.log(
  JSON.stringify({
    seed,
    first: m(acc.slice(0, 10)),
    last: m(acc.slice(-10)),
    deadEnd: dead,
    deadMax,
    reinitialised: loop.events.filter((e) => e.kind === "deadUnits").length,
    acc,
    ev,
    wall: r.wallSeconds,
  }),
);
