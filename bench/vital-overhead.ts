/**
 * What the vitals loop costs (issue 19: at most 5% of wall time on the plasticity protocol), measured as
 * interleaved pairs (without, with; the order alternating) so drift in the machine's speed hits both
 * sides alike; the figure is the median of the pairs' ratios. Beside it, the share of each run with the
 * loop that was spent inside the loop's own hooks (timed in the run, so no drift between runs touches it).
 *
 * - fit: the plasticity protocol of bench/vital-loop.ts (online permuted digits, `tasks` tasks of `per`
 *   digits, SGD 0.1, batch 16, 784-100-100-100-10), with `vitals({forgettingBudget: 0})` as there:
 *   watching only (its remedies withheld, so the training is plain backprop's, bit for bit: the cost of
 *   the loop itself), then as it runs (the remedy it switches on costs what that regulator costs), and
 *   with the default forgetting budget (its probe and reservoir on, and the replay it raises).
 * - learner: `rows` rows of SEA (no drift) through `Learner` (batch 1, hidden [64], ReDo), without and with
 *   `{"type": "vitals"}` in its homeostasis.
 *
 *   node dist/bench/vital-overhead.js [--lockstep 4] [--pairs 5] [--tasks 20] [--per 4000] [--rows 10000] [--write docs/vital-loop.md]
 *
 * First (`--lockstep` runs, 0: none) the watching loop against plain backprop in lockstep
 * (bench/vital-lockstep.ts), which resolves a few % on a loaded machine; then (`--pairs`, 0: none) the
 * interleaved pairs of whole runs.
 *
 * `--write` replaces the page's section "What the loop costs" with this run's (the rest of the page is
 * bench/vital-loop.ts's, which writes this section too when it runs whole).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { useBackend } from "../src/backend/index.js";
import { runContinual } from "../src/continual/index.js";
import { plasticityProtocol } from "./plasticity-protocol.js";
import { SeaStream } from "../src/data/synthetic-streams.js";
import { vitals } from "../src/homeostasis/index.js";
import { Learner } from "../src/learner/index.js";
import type { Observer } from "../src/train/events.js";
import { lockstepCells, lockstepOverhead } from "./vital-lockstep.js";

/**
 * The run's length by default: 20 tasks (5,000 steps, 250 checks) hold the loop's baseline (checks 11–30),
 * its windows and its first finding (check 132, task 11, on seed 1), after which a check costs the same on
 * every task of the 150; 5 tasks (the length before) end before the rule has read a window.
 */
export const OVERHEAD_DEFAULTS = { pairs: 5, tasks: 20, per: 4000, rows: 10000, lockstep: 4 };

/** Milliseconds spent inside an observer's hooks, added up while it runs. */
interface HookClock {
  ms: number;
}

/**
 * `o` with each of its hooks timed into `clock` (its getters pass through untimed). The timing itself
 * costs two clock reads per hook call, on the side measured with the loop (a few µs per step).
 */
function timedHooks<T extends object>(o: T, clock: HookClock): T {
  return new Proxy(o, {
    get(target, key) {
      const v = Reflect.get(target, key);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const t = performance.now();
        try {
          return v.apply(target, args);
        } finally {
          clock.ms += performance.now() - t;
        }
      };
    },
  });
}

/** Wall and CPU seconds of `f` (CPU time: this process only, less hit by other work on a shared machine). */
const timed = (f: () => void): [number, number] => {
  const [t, c] = [performance.now(), process.cpuUsage()];
  f();
  const used = process.cpuUsage(c);
  return [(performance.now() - t) / 1000, (used.user + used.system) / 1e6];
};

type FitLoop = "off" | "watch" | "plasticity" | "both";

function plasticityRun(loop: FitLoop, tasks: number, per: number, clock: HookClock): void {
  const cfg = plasticityProtocol({ tasks, per, seed: 1 });
  const budget = loop === "both" ? 0.1 : 0;
  // Watching: no remedy to switch on, so it finds and reports, and changes nothing.
  const made =
    loop === "off" ? null : vitals({ forgettingBudget: budget, seed: 1 }, loop === "watch" ? [] : undefined);
  const observers: Observer[] = made ? [timedHooks(made, clock)] : [];
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

/**
 * `pairs` interleaved runs without and with, as one table row: median seconds, median ratios of CPU and
 * wall time, and (where `clock` times the loop's hooks) the median share of the run spent in them.
 */
function pairRow(name: string, pairs: number, off: () => void, on: () => void, clock?: HookClock): string {
  // One unmeasured pair first: the first runs pay for compiling and for the backend's first pages.
  off();
  on();
  const [wall, cpu, offCpu, onCpu, inHooks]: number[][] = [[], [], [], [], []];
  for (let p = 0; p < pairs; p++) {
    const onTimed = (): [number, number] => {
      if (clock) clock.ms = 0;
      const t = timed(on);
      if (clock) inHooks.push(clock.ms / 1000 / t[0]);
      return t;
    };
    const [tOff, tOn] = p % 2 === 0 ? [timed(off), onTimed()] : [onTimed(), timed(off)].reverse();
    wall.push(tOn[0] / tOff[0]);
    cpu.push(tOn[1] / tOff[1]);
    offCpu.push(tOff[1]);
    onCpu.push(tOn[1]);
  }
  const hooks = clock ? `${(100 * median(inHooks)).toFixed(1)}%` : "–";
  const row = `| ${name} | ${median(offCpu).toFixed(2)} | ${median(onCpu).toFixed(2)} | ${pct(median(cpu))} | ${pct(median(wall))} | ${hooks} | ${cpu.map(pct).join(", ")} |`;
  process.stderr.write(`${row}\n`);
  return row;
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(", ");

/**
 * The overhead section of docs/vital-loop.md, as markdown lines.
 *
 * @example
 * (await overheadSection(OVERHEAD_DEFAULTS)).join("\n");
 */
export async function overheadSection(o: {
  pairs: number;
  tasks: number;
  per: number;
  rows: number;
  lockstep: number;
}): Promise<string[]> {
  const clock: HookClock = { ms: 0 };
  const fitRun = (loop: FitLoop) => () => plasticityRun(loop, o.tasks, o.per, clock);
  const streamRun = (loop: Record<string, unknown> | null) => () => learnerRun(loop, o.rows);
  const loadBefore = load();
  const steps = (o.tasks * o.per) / 16;
  const lockstep = o.lockstep > 0 ? await lockstepTable(o) : [];
  const loadAfterLockstep = load();
  if (o.pairs <= 0) return [...overheadHeader(o, loadBefore, loadAfterLockstep), ...lockstep];
  const rows = [
    pairRow(
      "fit, plasticity protocol, the loop watching (its remedies withheld: plain backprop's training, bit for bit)",
      o.pairs,
      fitRun("off"),
      fitRun("watch"),
      clock,
    ),
    pairRow(
      "fit, plasticity protocol, the loop as it runs (no forgetting budget; the remedy it switches on included)",
      o.pairs,
      fitRun("off"),
      fitRun("plasticity"),
      clock,
    ),
    pairRow(
      "fit, plasticity protocol, the loop with a forgetting budget of 10 points (the replay it raises included)",
      o.pairs,
      fitRun("off"),
      fitRun("both"),
      clock,
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
  return [
    ...overheadHeader(o, loadBefore, load()),
    ...lockstep,
    "",
    `Runs one after the other: ${o.pairs} interleaved pairs (without, with; the order alternating) after one unmeasured pair; the median of the pairs' ratios. CPU time is this process's own (user + system), wall time beside it; both move with the load of a shared machine, so the share of each run spent inside the loop's own hooks (timed within the run, no drift between runs in it) is given too: it leaves out what the loop makes the step do (keep a check step's activations), which the ratios hold. The plasticity protocol at ${o.tasks} tasks of ${o.per.toLocaleString("en")} digits (${steps.toLocaleString("en")} steps, ${Math.floor(steps / 20)} checks; the loop's baseline ends at check 30, and on this seed it first finds a loss of plasticity at check 132, task 11): from there on a task costs the loop what the next one does, up to the protocol's 150; the learner on ${o.rows.toLocaleString("en")} rows of SEA without drift (hidden [64], ReDo), batch 1.`,
    "",
    "| run | CPU s without | CPU s with | overhead, CPU (median) | overhead, wall (median) | in the loop's hooks (median share of the run) | each pair, CPU |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}

/** The section's heading and the command that wrote it, with the machine's load before and after. */
function overheadHeader(
  o: { pairs: number; tasks: number; per: number; rows: number; lockstep: number },
  before: string,
  after: string,
): string[] {
  return [
    "## What the loop costs",
    "",
    `*Written by \`node dist/bench/vital-overhead.js --lockstep ${o.lockstep} --pairs ${o.pairs} --tasks ${o.tasks} --per ${o.per} --rows ${o.rows}\` (one thread per run); machine load ${before} before and ${after} after (1, 5, 15 min; two cores, shared with other work).*`,
    "",
  ];
}

/**
 * The loop watching and as it runs, each against plain backprop in lockstep (bench/vital-lockstep.ts):
 * `lockstep` runs of the protocol per row, the side that starts alternating.
 */
async function lockstepTable(o: { tasks: number; per: number; lockstep: number }): Promise<string[]> {
  const row = async (name: string, side: "watch" | "plasticity"): Promise<string> => {
    const cells = lockstepCells(await lockstepOverhead(side, { ...o, repeats: o.lockstep }));
    process.stderr.write(`${name} | ${cells}\n`);
    return `| ${name} | ${cells} |`;
  };
  return [
    `Side by side in lockstep (bench/vital-lockstep.ts): two threads run the protocol at ${o.tasks} tasks of ${o.per.toLocaleString("en")} digits, one without the loop and one with it, and take turns step by step, so both meet the machine's load within a millisecond of each other; each side's own CPU time (per thread, from the scheduler) is summed by task. ${o.lockstep} runs per row, the side that starts alternating; the overhead is the ratio of the summed times, beside it the median of the per-task ratios (${o.tasks} tasks × ${o.lockstep} runs) with their interquartile range, and each run's ratio.`,
    "",
    "| run | CPU s without (mean of runs) | CPU s with | overhead, all tasks | per task: median (interquartile range) | each run |",
    "| --- | --- | --- | --- | --- | --- |",
    await row(
      "fit, plasticity protocol, the loop watching (remedies withheld: plain backprop's training, bit for bit)",
      "watch",
    ),
  ];
}

/** `page` with its section "What the loop costs" replaced by `section` (up to the next heading or the load line). */
function splicedSection(page: string, section: string[]): string {
  const lines = page.split("\n");
  const from = lines.indexOf("## What the loop costs");
  if (from < 0) throw new Error('vital-overhead: the page has no "## What the loop costs" section');
  let to = from + 1;
  while (
    to < lines.length &&
    !lines[to].startsWith("## ") &&
    !lines[to].startsWith("machine load at the end")
  )
    to++;
  return [...lines.slice(0, from), ...section, "", ...lines.slice(to)].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const get = (name: string, fallback: number | string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : String(fallback);
  };
  useBackend("auto", { threads: 1 });
  const o = {
    pairs: Number(get("pairs", OVERHEAD_DEFAULTS.pairs)),
    tasks: Number(get("tasks", OVERHEAD_DEFAULTS.tasks)),
    per: Number(get("per", OVERHEAD_DEFAULTS.per)),
    rows: Number(get("rows", OVERHEAD_DEFAULTS.rows)),
    lockstep: Number(get("lockstep", OVERHEAD_DEFAULTS.lockstep)),
  };
  const section = await overheadSection(o);
  const out = get("write", "");
  if (out) writeFileSync(out, splicedSection(readFileSync(out, "utf8"), section));
  console.log(section.join("\n"));
}
