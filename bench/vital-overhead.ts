/**
 * What the vitals loop costs (issue 19: at most 5% of wall time on the plasticity protocol), measured as
 * interleaved pairs (without, with; the order alternating) so drift in the machine's speed hits both
 * sides alike; the figure is the median of the pairs' ratios.
 *
 * - fit: the plasticity protocol of bench/vital-loop.ts shortened (online permuted digits, `tasks` tasks of
 *   `per` digits, SGD 0.1, batch 16, 784-100-100-100-10), with `vitals({forgettingBudget: 0})` as there, and
 *   with the default budget (its forgetting probe on).
 * - learner: `rows` rows of SEA (no drift) through `Learner` (batch 1, hidden [64], ReDo), without and with
 *   `{"type": "vitals"}` in its homeostasis.
 *
 *   node dist/bench/vital-overhead.js [--pairs 5] [--tasks 5] [--per 4000] [--rows 10000]
 */
import { pathToFileURL } from "node:url";
import { useBackend } from "../src/backend/index.js";
import { runContinual } from "../src/continual/index.js";
import { plasticityProtocol } from "./plasticity-protocol.js";
import { SeaStream } from "../src/data/synthetic-streams.js";
import { vitals } from "../src/homeostasis/index.js";
import { Learner } from "../src/learner/index.js";

/** Wall and CPU seconds of `f` (CPU time: this process only, less hit by other work on a shared machine). */
const timed = (f: () => void): [number, number] => {
  const [t, c] = [performance.now(), process.cpuUsage()];
  f();
  const used = process.cpuUsage(c);
  return [(performance.now() - t) / 1000, (used.user + used.system) / 1e6];
};

function plasticityRun(loop: "off" | "plasticity" | "both", tasks: number, per: number): void {
  const cfg = plasticityProtocol({ tasks, per, seed: 1 });
  const observers = loop === "off" ? [] : [vitals({ forgettingBudget: loop === "both" ? 0.1 : 0, seed: 1 })];
  runContinual(cfg, { observers });
}

function learnerRun(loop: Record<string, unknown> | null, rows: number): void {
  const l = Learner.create({
    task: "classification",
    hidden: [64],
    seed: 1,
    homeostasis: loop ? ["redo", { type: "vitals", ...loop }] : ["redo"],
  });
  for (const { x, y } of new SeaStream({ seed: 1, conceptLength: rows + 1 }).take(rows)) l.observe(x, y);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (r: number): string => `${((r - 1) * 100).toFixed(1)}%`;

/** `pairs` interleaved runs without and with, as one table row: mean seconds, median ratios of CPU and wall time. */
function pairRow(name: string, pairs: number, off: () => void, on: () => void): string {
  // One unmeasured pair first: the first runs pay for compiling and for the backend's first pages.
  off();
  on();
  const [wall, cpu, offCpu, onCpu]: number[][] = [[], [], [], []];
  for (let p = 0; p < pairs; p++) {
    const [a, b] = (p % 2 === 0 ? [off, on] : [on, off]).map(timed);
    const [tOff, tOn] = p % 2 === 0 ? [a, b] : [b, a];
    wall.push(tOn[0] / tOff[0]);
    cpu.push(tOn[1] / tOff[1]);
    offCpu.push(tOff[1]);
    onCpu.push(tOn[1]);
  }
  const row = `| ${name} | ${median(offCpu).toFixed(2)} | ${median(onCpu).toFixed(2)} | ${pct(median(cpu))} | ${pct(median(wall))} | ${cpu.map(pct).join(", ")} |`;
  process.stderr.write(`${row}\n`);
  return row;
}

/**
 * The overhead section of docs/vital-loop.md, as markdown lines.
 *
 * @example
 * overheadSection({ pairs: 5, tasks: 5, per: 4000, rows: 10000 }).join("\n");
 */
export function overheadSection(o: { pairs: number; tasks: number; per: number; rows: number }): string[] {
  const fitRun = (loop: "off" | "plasticity" | "both") => () => plasticityRun(loop, o.tasks, o.per);
  const streamRun = (loop: Record<string, unknown> | null) => () => learnerRun(loop, o.rows);
  return [
    "## What the loop costs",
    "",
    `${o.pairs} interleaved pairs (without, with; the order alternating) after one unmeasured pair; the median of the pairs' ratios. CPU time is this process's own (user + system), the steadier figure on a machine shared with other work; wall time beside it. Plasticity protocol shortened to ${o.tasks} tasks of ${o.per} digits; the learner on ${o.rows.toLocaleString("en")} rows of SEA without drift (hidden [64], ReDo), batch 1.`,
    "",
    "| run | CPU s without | CPU s with | overhead, CPU (median) | overhead, wall (median) | each pair, CPU |",
    "| --- | --- | --- | --- | --- | --- |",
    pairRow(
      "fit, plasticity protocol, loop (no forgetting budget)",
      o.pairs,
      fitRun("off"),
      fitRun("plasticity"),
    ),
    pairRow(
      "fit, plasticity protocol, loop (forgetting budget 10 points)",
      o.pairs,
      fitRun("off"),
      fitRun("both"),
    ),
    pairRow(
      'learner, loop as named (`{"type": "vitals"}`: a check every 100 steps)',
      o.pairs,
      streamRun(null),
      streamRun({}),
    ),
    pairRow(
      "learner, loop checking every 20 steps (the default before)",
      o.pairs,
      streamRun(null),
      streamRun({ checkEvery: 20 }),
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const get = (name: string, fallback: string): number => {
    const i = argv.indexOf(`--${name}`);
    return Number(i >= 0 ? argv[i + 1] : fallback);
  };
  useBackend("auto", { threads: 1 });
  const o = {
    pairs: get("pairs", "5"),
    tasks: get("tasks", "5"),
    per: get("per", "4000"),
    rows: get("rows", "10000"),
  };
  console.log(overheadSection(o).join("\n"));
}
