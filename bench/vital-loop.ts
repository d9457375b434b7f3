/**
 * Issue 19's evidence, small enough for one sitting: the vital signs in a closed loop (`vitals`, no
 * regulator configured) against plain backprop and the hand-picked regulators, and against replay
 * configured by hand; writes docs/vital-loop.md.
 *
 * - Plasticity: issue 5's protocol shortened (online permuted digits, TASKS tasks of PER digits, one pass,
 *   SGD 0.1, batch 16, 784-100-100-100-10); online accuracy of the first and last 10 tasks, the most dead
 *   and dormant units once trained, the last hidden layer's lowest effective rank, and the loop's events.
 * - Memory: split digits, 5 tasks, class-incremental, 2 epochs, Adam 1e-3, batch 64: naive, replay by hand
 *   (500 rows, as many replayed as new), naive + the loop with a forgetting budget of 10 points.
 *
 * - False alarms: healthy runs with the loop on (bench/vital-false-alarms.ts).
 * - Overhead: interleaved pairs without and with the loop (bench/vital-overhead.ts).
 *
 *   node dist/bench/vital-loop.js [--tasks 50] [--per 4000] [--seeds 1,2] [--rows 200000] [--demo-epochs 20]
 *     [--pairs 5] [--bitflip-steps 400000] [--out docs/vital-loop.md] [--only memory]
 *
 * `--only memory` runs the memory sections alone (split digits and the consolidation trade-off, a minute
 * or two) and rewrites them, and the paragraph that describes the loop, in the existing page.
 */
import { readFileSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { useBackend } from "../src/backend/index.js";
import { parseContinualConfig, runContinual } from "../src/continual/index.js";
import { plasticityProtocol } from "./plasticity-protocol.js";
import type { LayerBalance } from "../src/homeostasis/balance.js";
import { vitals } from "../src/homeostasis/index.js";
import { falseAlarmSection } from "./vital-false-alarms.js";
import { OVERHEAD_DEFAULTS, overheadSection } from "./vital-overhead.js";
import { bitFlipSection } from "./vital-bitflip.js";

const argv = process.argv.slice(2);
const get = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const TASKS = Number(get("tasks", "50"));
const PER = Number(get("per", "4000"));
const SEEDS = get("seeds", "1,2").split(",").map(Number);
const OUT = get("out", "docs/vital-loop.md");
const ONLY_MEMORY = get("only", "") === "memory";
const [STREAM_ROWS, DEMO_EPOCHS, PAIRS, BITFLIP_STEPS] = [
  get("rows", "200000"),
  get("demo-epochs", "20"),
  get("pairs", "5"),
  get("bitflip-steps", "400000"),
].map(Number);
const backend = useBackend("auto", { threads: 1 }).name;

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const pm = (xs: readonly number[], scale = 100, digits = 1): string => {
  const m = mean(xs);
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(scale * m).toFixed(digits)} ± ${(scale * sd).toFixed(digits)}`;
};

interface LoopStory {
  /** Each event with the task during which it happened. */
  events: { task: number; kind: string; diagnosis: string }[];
}

const ROWS: [string, unknown[], boolean][] = [
  ["plain backprop", [], false],
  ["ReDo (hand-picked)", [{ type: "redo" }], false],
  [
    "IP + L2-Init (hand-picked, the best of docs/homeostasis.md)",
    [{ type: "intrinsicPlasticity" }, { type: "l2Init" }],
    false,
  ],
  ["vitals loop (nothing chosen)", [], true],
];

function plasticityRun(homeostasis: unknown[], loopOn: boolean, seed: number) {
  const loop = vitals({ forgettingBudget: 0, seed });
  const story: LoopStory = { events: [] };
  const cfg = plasticityProtocol({ tasks: TASKS, per: PER, seed, homeostasis });
  let seen = 0;
  const r = runContinual(cfg, {
    ...(loopOn ? { observers: [loop] } : {}),
    onTaskEnd: (i) => {
      for (const e of loop.events.slice(seen))
        story.events.push({ task: i + 1, kind: e.kind, diagnosis: e.diagnosis });
      seen = loop.events.length;
    },
  });
  const { accuracy, balance } = r.online!;
  const net = (b: LayerBalance[], key: "deadFraction" | "dormantFraction"): number =>
    b.reduce((a, l) => a + l[key] * l.units, 0) / b.reduce((a, l) => a + l.units, 0);
  const trained = balance.slice(1);
  return {
    first: mean(accuracy.slice(0, 10)),
    last: mean(accuracy.slice(-10)),
    dead: Math.max(...trained.map((b) => net(b, "deadFraction"))),
    deadEnd: net(balance[balance.length - 1], "deadFraction"),
    dormant: Math.max(...trained.map((b) => net(b, "dormantFraction"))),
    rank: Math.min(...trained.map((b) => b[b.length - 1].effectiveRank)),
    wall: r.wallSeconds,
    accuracy,
    story,
  };
}

/** The memory runs: naive, replay by hand, and the loop told only the budget, with each of its knobs. */
const MEMORY_MODES = {
  naive: ["naive", null],
  replay: ["replay by hand (500 rows, 1 replayed per new row)", null],
  loop: ["naive + vitals loop (the default: replay up to 1 per new row, then its asymmetric loss)", {}],
  plain: ["naive + vitals loop, plain replay only (`asymmetric` false)", { asymmetric: false }],
  loop4: [
    "naive + vitals loop, plain replay up to 4 per new row (`asymmetric` false)",
    { asymmetric: false, maxReplay: 4 },
  ],
  both: [
    "naive + vitals loop, replay up to 1, its asymmetric loss, then consolidation",
    { memoryRemedy: "both" },
  ],
} as const;
type MemoryMode = keyof typeof MEMORY_MODES;

function memoryRun(mode: MemoryMode, seed: number) {
  const knobs = MEMORY_MODES[mode][1];
  const loop = vitals({ forgettingBudget: 0.1, plasticity: false, checkEvery: 2, seed, ...knobs });
  const cfg = parseContinualConfig({
    stream: "split",
    scenario: "class",
    tasks: 5,
    epochs: 2,
    batchSize: 64,
    seed,
    strategy: mode === "replay" ? { type: "replay", bufferSize: 500 } : "naive",
    optimizer: { type: "adam", lr: 0.001 },
  });
  const r = runContinual(cfg, knobs ? { observers: [loop] } : {});
  const { consolidation, ace } = (
    loop.getState() as { loop: { consolidation: { value: number }; ace: { value: number } } }
  ).loop;
  return {
    ACC: r.ACC,
    forgetting: r.forgetting.maxOverEarlier,
    wall: r.wallSeconds,
    share: `${loop.replayShare}${ace.value ? " (asymmetric)" : ""}`,
    strength: consolidation.value,
    events: loop.events,
  };
}

/**
 * The plasticity–memory trade-off as consolidation moves: permuted digits (domain-incremental, where
 * online EWC can hold old tasks), the loop with consolidation as its only knob at several budgets.
 * Accuracy on new data is each task's accuracy right after learning it (the diagonal of R).
 */
function tradeoffRun(budget: number, seed: number) {
  const loop = vitals({
    forgettingBudget: budget,
    plasticity: false,
    checkEvery: 2,
    seed,
    memoryRemedy: "consolidation",
  });
  const cfg = parseContinualConfig({
    stream: "permuted",
    scenario: "domain",
    tasks: 5,
    epochs: 1,
    batchSize: 32,
    trainPerTask: 4000,
    seed,
    strategy: "naive",
    optimizer: { type: "adam", lr: 0.001 },
  });
  const r = runContinual(cfg, budget > 0 ? { observers: [loop] } : {});
  const strengths = loop.events
    .filter((e) => e.kind.startsWith("consolidation"))
    .map((e) => e.evidence.strength);
  return {
    fresh: mean(r.R.map((row, i) => row[i])),
    ACC: r.ACC,
    forgetting: r.forgetting.maxOverEarlier,
    top: Math.max(0, ...strengths),
    end: (loop.getState() as { loop: { consolidation: { value: number } } }).loop.consolidation.value,
    changes: strengths.length,
  };
}

const lines: string[] = [];
const say = (s = ""): void => {
  lines.push(s);
  console.log(s);
};
const started = performance.now();
say("# The vital signs in a closed loop");
say();
say(
  `*Written by \`node dist/bench/vital-loop.js --tasks ${TASKS} --per ${PER} --seeds ${SEEDS.join(",")} --rows ${STREAM_ROWS} --demo-epochs ${DEMO_EPOCHS} --pairs ${PAIRS} --bitflip-steps ${BITFLIP_STEPS}\` (${backend} backend, one thread). Every figure below is from that run.*`,
);
say();
say(
  "The `vitals` regulator (`src/homeostasis/vital-loop.ts`) runs its own health monitor with the `plasticityLoss` and `forgetting` detectors (`src/health/vitals.ts`) on the rows of its check steps: the step's own batch and the activations the step computed where the batch has 16 rows or more (no forward of its own), else a probe of the 64 most recent rows (a learner's batch of 1); forgetting must exceed its budget by 2 standard errors of the mean drop (the noise of small segments). Loss of plasticity switches on the best measured remedy (intrinsic plasticity + L2-Init, then ReDo, then continual backprop; when half the units or more are dormant, the two that recycle units go first); after a window of 20 checks the remedy is verified or switched off and the next tried, at most 3 (a budget that renews after 50 windows in a row without loss of plasticity: the remedies rolled back may be tried again in a later episode). Forgetting beyond the budget (read on segments of retained rows; the oldest segment whose labels another one also holds goes first, so old classes stay on the probe) raises the share of replayed rows from a 500-row reservoir, one step per doubling of the budget it reaches, at one row per new row switches the replay's loss to ER-ACE's asymmetric cross-entropy and only then replays more rows, up to `maxReplay` (or, with `memoryRemedy`, moves the strength of a task-free online EWC, or all in turn), each raise verified after 4 probes; they are lowered again, the last raised first, once forgetting has stayed below half the budget for 8 probes in a row.",
);
say();
if (!ONLY_MEMORY) {
  say(
    `## Plasticity: online permuted digits, ${TASKS} tasks of ${PER} digits, SGD 0.1, batch 16, 784-100-100-100-10 (seed${SEEDS.length > 1 ? "s" : ""} ${SEEDS.join(", ")})`,
  );
  say();
  say(
    "| run | online acc. first 10 % | last 10 % | change (pts) | most dead units once trained, network % | dead at the end % | most dormant % | lowest eff. rank, last hidden layer | wall s |",
  );
  say("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const stories: [number, LoopStory, number[]][] = [];
  const lastOf: Record<string, number> = {};
  for (const [name, homeostasis, loopOn] of ROWS) {
    const runs = SEEDS.map((seed) => {
      const r = plasticityRun(homeostasis, loopOn, seed);
      process.stderr.write(
        `${name} seed ${seed}: ${(100 * r.first).toFixed(1)} → ${(100 * r.last).toFixed(1)} in ${r.wall.toFixed(0)} s\n`,
      );
      if (loopOn) stories.push([seed, r.story, r.accuracy]);
      return r;
    });
    const f = (k: keyof (typeof runs)[number]) => runs.map((r) => r[k] as number);
    lastOf[name] = mean(f("last"));
    say(
      `| ${name} | ${pm(f("first"))} | ${pm(f("last"))} | ${pm(runs.map((r) => r.last - r.first))} | ${pm(f("dead"))} | ${pm(f("deadEnd"))} | ${pm(f("dormant"))} | ${pm(f("rank"), 1)} | ${mean(f("wall")).toFixed(0)} |`,
    );
  }
  say();
  say(
    "What the loop did (task = the task during which the event happened; online accuracy of that task and the best before it):",
  );
  say();
  for (const [seed, story, acc] of stories) {
    for (const e of story.events) {
      const best = Math.max(...acc.slice(0, e.task - 1));
      say(
        `- seed ${seed}, task ${e.task} (online acc. ${(100 * acc[e.task - 1]).toFixed(1)}%, best before ${(100 * best).toFixed(1)}%): **${e.kind}** — ${e.diagnosis}`,
      );
    }
  }
  const [plain, best, loopLast] = [lastOf[ROWS[0][0]], lastOf[ROWS[2][0]], lastOf[ROWS[3][0]]];
  /** Below the best before: the task's own online accuracy, and its mean over the last 5 tasks (less noisy). */
  const lagsOf = (smooth: boolean) =>
    stories.flatMap(([, story, acc]) => {
      const at = (i: number) => (smooth ? mean(acc.slice(Math.max(0, i - 4), i + 1)) : acc[i]);
      return story.events
        .filter((e) => e.kind === "plasticityLoss")
        .map((e) => Math.max(...acc.slice(0, e.task - 1).map((_, i) => at(i))) - at(e.task - 1));
    });
  const [lags, smoothLags] = [lagsOf(false), lagsOf(true)];
  const pts = (xs: number[]) => xs.map((l) => (100 * l).toFixed(1)).join(" and ");
  say();
  say(
    `Reading: with nothing chosen, the loop recovers ${(100 * ((loopLast - plain) / (best - plain))).toFixed(0)}% of the gap between plain backprop and the best hand-picked regulator on the last 10 tasks (${(100 * loopLast).toFixed(1)}% against ${(100 * plain).toFixed(1)}% and ${(100 * best).toFixed(1)}%). When it found the loss of plasticity, the online accuracy of that task was ${pts(lags)} points below the best task before it, and the mean of the last 5 tasks ${pts(smoothLags)} points below its best (the issue asks for detection within 2 points; one task's accuracy moves by ±2 points from task to task, so the 5-task mean is the steadier reading). The rule: the online loss 5% above its best 20-check window while dormant units are 5 points above their early baseline (before: 15% over the early baseline with dormant units 10 points up, which fired 3.4 and 7.8 points late). The loss alone rises at every task switch; dormant units decide, and with a regulator on from the start (IP + L2-Init) they stay below their baseline, so the rule stays silent there. Caught early, the remedy stops the decline but does not bring the network back to where the regulator on from the first step keeps it.`,
  );
  say();
}
const memoryFrom = lines.length;
say("## Memory: split digits, class-incremental, 5 tasks, 2 epochs, Adam 1e-3, batch 64");
say();
if (ONLY_MEMORY) {
  say(
    `*This section and the next were rewritten by \`node dist/bench/vital-loop.js --only memory --seeds ${SEEDS.join(",")}\` (${backend} backend, one thread; load ${loadavg()[0].toFixed(1)} on two cores at the start); the rest of the page is from the run named at the top.*`,
  );
  say();
}
say(
  "| run | ACC % | forgetting (max over earlier) % | replay share at the end | consolidation strength at the end | wall s |",
);
say("| --- | --- | --- | --- | --- | --- |");
let memoryEvents: { seed: number; kind: string; diagnosis: string; step: number }[] = [];
const memoryOf: Partial<Record<MemoryMode, { ACC: number; forgetting: number }>> = {};
for (const mode of Object.keys(MEMORY_MODES) as MemoryMode[]) {
  const runs = SEEDS.map((seed) => memoryRun(mode, seed));
  process.stderr.write(`memory ${mode}: ${pm(runs.map((r) => r.ACC))}\n`);
  memoryOf[mode] = { ACC: mean(runs.map((r) => r.ACC)), forgetting: mean(runs.map((r) => r.forgetting)) };
  if (mode === "loop") memoryEvents = runs.flatMap((r, i) => r.events.map((e) => ({ seed: SEEDS[i], ...e })));
  const loopOn = MEMORY_MODES[mode][1] !== null;
  say(
    `| ${MEMORY_MODES[mode][0]} | ${pm(runs.map((r) => r.ACC))} | ${pm(runs.map((r) => r.forgetting))} | ${loopOn ? runs.map((r) => r.share).join(", ") : "–"} | ${loopOn ? runs.map((r) => r.strength).join(", ") : "–"} | ${mean(runs.map((r) => r.wall)).toFixed(0)} |`,
  );
}
say();
say(
  "What the loop did with its defaults (steps counted over the whole stream; tasks switch every 50 steps):",
);
say();
for (const e of memoryEvents) say(`- seed ${e.seed}, step ${e.step}: **${e.kind}** — ${e.diagnosis}`);
say();
const held = (Object.keys(MEMORY_MODES) as MemoryMode[]).filter(
  (m) => MEMORY_MODES[m][1] !== null && memoryOf[m]!.forgetting <= 0.1,
);
const hand = memoryOf.replay!;
const [plainOnly, four] = [memoryOf.plain!, memoryOf.loop4!];
const pt = (x: number): string => (100 * x).toFixed(1);
say(
  `Reading: the loop's budget is held on its own retained probe (the mean forgetting of its segments of the stream); the table's forgetting is Chaudhry et al.'s over whole tasks (the worst drop of each earlier task, averaged), measured at the end. ${held.length === 0 ? "No loop variant holds the task-level forgetting within the 10-point budget here" : `Within the 10-point budget at the task level: ${held.map((m) => `${MEMORY_MODES[m][0]} (ACC ${pt(memoryOf[m]!.ACC)}%, ${(memoryOf[m]!.ACC >= hand.ACC ? "+" : "") + pt(memoryOf[m]!.ACC - hand.ACC)} points against replay by hand)`).join("; ")}`}. Replay by hand: ACC ${pt(hand.ACC)}%, forgetting ${pt(hand.forgetting)} points. What holds it is the replay's asymmetric loss: with plain replay only, the same loop ends at ${pt(plainOnly.forgetting)} points (ACC ${pt(plainOnly.ACC)}%); a task switch in a class-incremental stream drops the old classes by 50–95 points on the probe, and the loop's raise in proportion to that (one step per doubling of the budget) reaches one row per new row within a task or two and then the asymmetric loss. Plain replay up to 4 rows per new row ends at ${pt(four.forgetting)} points (ACC ${pt(four.ACC)}%): more rows are a weaker remedy than the asymmetric loss at one row on this protocol, which is why the loop switches the loss before it replays more than a row per new row. Consolidation (online EWC) does little for class-incremental digits, where the output layer itself is what is forgotten (van de Ven et al. 2022); with the asymmetric loss the loop never reaches it here, and the trade-off below is on permuted digits, where it can hold.`,
);
say();
say(
  "## Plasticity against memory: the consolidation knob on permuted digits (5 tasks of 4000, Adam 1e-3, batch 32)",
);
say();
say(
  "The loop with consolidation (online EWC) as its only memory knob, at several forgetting budgets; the strength is what the budget drives it to. Accuracy on new data (plasticity) is each task's accuracy right after learning it; forgetting (memory) is Chaudhry et al.'s. Read the rows together: a trade-off shows as new-data accuracy falling while forgetting falls.",
);
say();
say(
  "| forgetting budget | accuracy on new data % | ACC % | forgetting (max over earlier) % | highest strength | strength at the end | strength changes |",
);
say("| --- | --- | --- | --- | --- | --- | --- |");
for (const budget of [0, 0.2, 0.1, 0.05, 0.02]) {
  const runs = SEEDS.map((seed) => tradeoffRun(budget, seed));
  process.stderr.write(`tradeoff ${budget}: ${pm(runs.map((r) => r.fresh))}\n`);
  say(
    `| ${budget === 0 ? "none (naive, no loop)" : `${100 * budget} points`} | ${pm(runs.map((r) => r.fresh))} | ${pm(runs.map((r) => r.ACC))} | ${pm(runs.map((r) => r.forgetting))} | ${runs.map((r) => r.top).join(", ")} | ${runs.map((r) => r.end).join(", ")} | ${runs.map((r) => r.changes).join(", ")} |`,
  );
}
const memoryTo = lines.length;
if (!ONLY_MEMORY) {
  say();
  for (const line of bitFlipSection(
    { steps: BITFLIP_STEPS, flip: 1000, hidden: 5, lr: 0.01, bins: 10 },
    SEEDS,
  ))
    say(line);
  say();
  for (const line of falseAlarmSection({ rows: STREAM_ROWS, demoEpochs: DEMO_EPOCHS })) say(line);
  say();
  for (const line of await overheadSection({ ...OVERHEAD_DEFAULTS, pairs: PAIRS })) say(line);
  say();
  say(
    `machine load at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(", ")} (1, 5, 15 min; two cores, shared with other work)`,
  );
  say();
  say(`(total ${((performance.now() - started) / 60000).toFixed(1)} min)`);
  writeFileSync(OUT, `${lines.join("\n")}\n`);
} else writeFileSync(OUT, spliced(readFileSync(OUT, "utf8"), lines.slice(memoryFrom, memoryTo), lines[4]));

/**
 * The page with its memory sections (from "## Memory" to the end of the trade-off table, the hand-written
 * reading under it kept) and its paragraph describing the loop replaced by a `--only memory` run's.
 */
function spliced(page: string, memory: readonly string[], loopParagraph: string): string {
  const old = page.split("\n");
  const from = old.findIndex((l) => l.startsWith("## Memory:"));
  const tradeoff = old.findIndex((l) => l.startsWith("## Plasticity against memory"));
  const to = old.findIndex((l, i) => i > tradeoff && l.startsWith("|") && !old[i + 1]?.startsWith("|"));
  if (from < 0 || tradeoff < 0 || to < 0) throw new Error(`${OUT}: no memory sections to replace`);
  const paragraph = old.findIndex((l) => l.startsWith("The `vitals` regulator"));
  if (paragraph >= 0) old[paragraph] = loopParagraph;
  return [...old.slice(0, from), ...memory, ...old.slice(to + 1)].join("\n");
}
