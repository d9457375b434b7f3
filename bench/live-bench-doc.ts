/**
 * docs/live-bench.md from one run of the long-life benchmark: the stream's schedule, the variants, the
 * figures per variant and per phase, and issue 17's targets against what was measured. Every number
 * comes from the run; nothing here is typed by hand.
 */
import { DIGIT_CONCEPTS, type DigitPhase } from "../src/data/digit-stream.js";
import { DEFAULT_HIDDEN, type HiddenLayer } from "../src/learner/config.js";
import type { DigitRun } from "./live-bench-digits.js";
import {
  accuracy,
  type DriftFigure,
  drifts,
  type NewLabelFigure,
  newLabels,
  type RecurringFigure,
  recurring,
} from "./live-bench-measure.js";
import { type SoakRun, soakGrowth } from "./live-bench-memory.js";
import type { SpeedFigure } from "./live-bench-speed.js";
import type { OnlinePeerResult } from "./online-peer.js";
import { SYNTHETIC_STREAMS, type SyntheticScore } from "./live-bench-synthetic.js";
import type { Variant } from "./live-bench-variants.js";

export interface BenchContext {
  command: string;
  date: string;
  cpu: string;
  node: string;
  backend: string;
  seed: number;
  hidden: HiddenLayer[];
  syntheticRows: number;
  oracleRows: number;
  grace: number;
  seconds: number;
  notes: string[];
}

/** The figures of one variant on the digit stream. */
export interface DigitFigures {
  name: string;
  whole: number | null;
  perPhase: (number | null)[];
  recurring: RecurringFigure[];
  newLabels: NewLabelFigure[];
  drift: DriftFigure;
  rowsPerSecond: number;
}

/**
 * Each variant's figures from a digit run.
 *
 * @example
 * const figures = digitFigures(run, 10_000);
 */
export function digitFigures(run: DigitRun, grace: number): DigitFigures[] {
  const schedule = run.stream.schedule;
  const rows = run.stream.rows;
  const oracle = run.variants.find((v) => v.name === "oracle")?.hits ?? null;
  const classesOf = (c: string) => DIGIT_CONCEPTS[c].classes;
  return run.variants.map((v) => ({
    name: v.name,
    whole: accuracy(v.hits, 0, rows),
    perPhase: schedule.map((p) => accuracy(v.hits, p.start, p.start + p.length)),
    recurring: recurring(v.hits, schedule),
    newLabels: newLabels(v.hits, oracle, run.labels, schedule, classesOf),
    drift: drifts(v.drifts, schedule, rows, grace),
    rowsPerSecond: v.observed / v.seconds,
  }));
}

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`;
const num = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const table = (head: string[], rows: (string | number)[][]) =>
  [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");

/** The page. */
export function renderDoc(
  ctx: BenchContext,
  variants: readonly Variant[],
  run: DigitRun,
  synthetic: SyntheticScore[],
  speed: SpeedFigure | null,
  soak: SoakRun | null = null,
): string {
  const figures = digitFigures(run, ctx.grace);
  const schedule = run.stream.schedule;
  return [
    "# The long-life benchmark",
    "",
    "Issue 17's benchmark of the lifelong learner (`Learner`, src/learner/): streams that stress every",
    "protection, and learner variants compared on them in one run. This page is written by",
    "bench/live-bench.ts; every figure on it was measured by the run below.",
    "",
    "```",
    ctx.command,
    "```",
    "",
    `Measured ${ctx.date} on ${ctx.cpu}, Node ${ctx.node}, backend ${ctx.backend}, seed ${ctx.seed}; the run took ${num(ctx.seconds / 60, 1)} minutes.`,
    "",
    ...ctx.notes.map((n) => `- ${n}`),
    "",
    "## Targets",
    "",
    targets(figures, run, speed, soak),
    "",
    `## The digit stream (${num(run.stream.rows)} rows)`,
    "",
    "The bundled 10,000 digits (src/data/digit-stream.ts), drawn with replacement, uniformly over the",
    `phase's digits. ${run.stream.faults.length} rows carry NaN pixels (rows ${run.stream.faults.map((f) => num(f)).join(", ")}): a learner must refuse them.`,
    "",
    scheduleTable(schedule),
    "",
    "## Variants",
    "",
    `All on the same network, 784-${describeHidden(ctx.hidden)}-(labels so far), Adam 1e-3, batch 1, seed ${ctx.seed}. Not 784-256-256: at that size one learner observes about the rows per second of the speed section below, so eight variants over the stream would take hours on this machine; the speed figure is measured on 784-256-256-10 separately.`,
    "",
    table(
      ["variant", "what"],
      variants.map((v) => [v.name, v.doc]),
    ),
    "",
    `The oracle's concept data: ${num(ctx.oracleRows)} rows of the new phase drawn with another seed, spread over the phase (so a gradual phase's sample covers its whole mix), observed once before the phase's first row; it is then scored prequentially on the stream like the others. It knows each concept before it arrives, which no online learner can.`,
    "",
    "### Prequential accuracy, whole stream and per phase",
    "",
    table(
      ["variant", "whole", ...schedule.map((p) => p.name)],
      figures.map((f) => [f.name, pct(f.whole), ...f.perPhase.map(pct)]),
    ),
    "",
    protectionTables(figures, run, ctx),
    "",
    memoryTable(run, soak),
    "",
    syntheticTable(synthetic, ctx.syntheticRows),
    "",
    speedSection(speed),
    "",
  ].join("\n");
}

function scheduleTable(schedule: readonly DigitPhase[]): string {
  return table(
    ["phase", "first row", "rows", "concept", "what"],
    schedule.map((p) => [
      p.name,
      num(p.start),
      num(p.length),
      p.from ? `${p.from} → ${p.concept}` : p.concept,
      p.doc,
    ]),
  );
}

function protectionTables(figures: DigitFigures[], run: DigitRun, ctx: BenchContext): string {
  const nl = figures[0]?.newLabels ?? [];
  const byName = new Map(run.variants.map((v) => [v.name, v]));
  return [
    "### Recurring context, new labels, drift detection, faults",
    "",
    "Recurring: accuracy over the first 200 rows after the plain digits return, against the last 1,000 rows before they left.",
    "New labels: old labels' accuracy over the last 2,000 rows before and their first 2,000 rows after; the new labels' accuracy over their first 2,000 rows, and as a share of the oracle's on the same rows.",
    `Drift: rows from the abrupt drift to its first detection; false alarms are detections outside ${num(ctx.grace)} rows after any phase start and outside the gradual phase, per 100,000 such rows.`,
    "",
    table(
      [
        "variant",
        "recurring after/before",
        ...nl.flatMap((n) => [`${n.phase}: old before → after`, `${n.phase}: new (of oracle)`]),
        "drift delay",
        "false alarms /100k",
        "NaN refused",
        "failures",
        "replay max/bound",
        "health events / repairs / restored",
        "worst dead units",
        "rows/s",
      ],
      figures.map((f) => {
        const v = byName.get(f.name)!;
        const r = f.recurring[0];
        return [
          f.name,
          r ? `${pct(r.after)} / ${pct(r.before)} = ${pct(r.ratio)}` : "–",
          ...f.newLabels.flatMap((n) => [
            `${pct(n.oldBefore)} → ${pct(n.oldAfter)}`,
            `${pct(n.newAccuracy)} (${f.name === "oracle" ? "–" : pct(n.ofOracle)})`,
          ]),
          f.name === "oracle" ? "–" : f.drift.abruptDelay === null ? "none" : num(f.drift.abruptDelay),
          f.name === "oracle" ? "–" : `${f.drift.falseAlarms} (${num(f.drift.per100k ?? 0, 1)})`,
          `${v.refused} of ${run.stream.faults.length}`,
          v.failures.length + v.acceptedFaults,
          `${num(v.replay.maxSize)} / ${num(v.replay.capacity)}`,
          v.health ? `${v.health.events} / ${v.health.repairs} / ${v.health.restored}` : "off",
          v.readings > 0 ? `${pct(v.worstDead)} (${v.readings} readings)` : "–",
          num(f.rowsPerSecond),
        ];
      }),
    ),
    "",
    "Worst dead units: the largest dead fraction of any layer at any of the learner's balance readings (`vitals().balance`; the oracle's from its last phase only). Restored: failures the learner went back to its last healthy state from.",
    "",
    `Save/load: ${run.saveLoad ? `the ${run.saveLoad.variant} learner saved with getState at row ${num(run.saveLoad.at)}, restored with Learner.fromState and run ${num(run.saveLoad.rows)} more rows beside the original: **${run.saveLoad.identical ? "bit-identical" : "NOT identical"}** (${run.saveLoad.detail}).` : "not checked."}`,
  ].join("\n");
}

function memoryTable(run: DigitRun, soak: SoakRun | null): string {
  const one = soak
    ? [
        `One default learner alone, \`Learner.create({ task: "classification", inputs: 784 })\`, on ${num(soak.rows)} rows of the same stream, in a child process of its own (\`${soak.command}\`, ${num(soak.seconds)} s), after a full collection: the memory target reads this table.`,
        "",
        table(
          ["rows", "heap MiB", "RSS MiB", "learner's arrays MiB", "replay rows"],
          soak.samples.map((m) => [
            num(m.row),
            num(m.heapMiB, 1),
            num(m.rssMiB, 1),
            num(m.learnerMiB, 1),
            m.replay,
          ]),
        ),
        "",
      ]
    : ["The one-learner soak was skipped (`--soak-rows 0`).", ""];
  return [
    "### Memory",
    "",
    ...one,
    "The benchmark's own process, every variant's learner alive at once (not a figure of one learner), after a full collection.",
    "",
    table(
      ["rows", "heap MiB", "RSS MiB"],
      run.memory.map((m) => [num(m.row), num(m.heapMiB, 1), num(m.rssMiB, 1)]),
    ),
  ].join("\n");
}

function syntheticTable(scores: SyntheticScore[], rows: number): string {
  const variants = [...new Set(scores.map((s) => s.variant))];
  const streams = SYNTHETIC_STREAMS.filter((s) => scores.some((x) => x.stream === s.name));
  const cell = (stream: string, variant: string) => {
    const s = scores.find((x) => x.stream === stream && x.variant === variant);
    return s ? (s.task === "classification" ? pct(s.score) : num(s.score, 3)) : "–";
  };
  return [
    `## Synthetic streams (${num(rows)} rows each)`,
    "",
    `Prequential accuracy (RMSE for Friedman, lower is better); the learner's default network (${describeHidden(DEFAULT_HIDDEN)}).`,
    "",
    ...streams.map((s) => `- ${s.name}: ${s.doc}.`),
    "",
    table(
      ["variant", ...streams.map((s) => s.name)],
      variants.map((v) => [v, ...streams.map((s) => cell(s.name, v))]),
    ),
  ].join("\n");
}

/** A hidden stack in a network's name: widths as numbers, layer configs by their type (64-layerNorm). */
export function describeHidden(hidden: readonly HiddenLayer[]): string {
  return hidden.map((h) => (typeof h === "number" ? String(h) : String(h.type))).join("-");
}

/** A peer's rate, or why it did not run. */
function peerRate(peer: OnlinePeerResult | undefined): string {
  if (!peer) return "not run";
  return peer.samplesPerSecond === null ? peer.reason : `${num(peer.samplesPerSecond)} rows/s`;
}

function speedSection(speed: SpeedFigure | null): string {
  if (!speed) return "## Speed\n\nNot measured in this run (--speed-steps 0).";
  const t = speed.torch;
  const net = `784-${speed.hidden.join("-")}-10`;
  const rate = (v: number) => (v > 0 ? `${num(v)} rows/s` : "not run");
  const lines = [
    "## Speed",
    "",
    `\`observe\` at batch 1 on ${net} (${num(speed.steps)} timed rows after 200 of warm-up), on 1 and 2 threads (Homeostat's wasm backend, PyTorch's own), the median of three interleaved rounds for each (the default learner: \`Learner.create\`'s defaults, every protection on by default included):`,
    "",
    table(
      [
        "threads",
        "default learner",
        "naive learner (Adam, no protections)",
        "PyTorch plain SGD step",
        "PyTorch Adam step",
      ],
      speed.byThreads.map((b) => [
        String(b.threads),
        rate(b.defaultRowsPerSecond),
        rate(b.naiveRowsPerSecond),
        peerRate(b.torch),
        peerRate(b.torchAdam),
      ]),
    ),
  ];
  if (t.samplesPerSecond !== null)
    lines.push(
      "",
      `PyTorch ${t.torch} (${t.blas}), with glibc's heap kept from trimming (bench/torch-env.ts). The best of 1 and 2 threads on each side: default / PyTorch = **${num(speed.defaultRowsPerSecond / t.samplesPerSecond, 2)}×** (target ≥ 1.2×); naive / PyTorch = ${num(speed.naiveRowsPerSecond / t.samplesPerSecond, 2)}×.`,
    );
  const adam = speed.torchAdam;
  if (adam?.samplesPerSecond)
    lines.push(
      "",
      `The same optimiser on both sides (Adam, lr 0.001): default / PyTorch's Adam step = ${num(speed.defaultRowsPerSecond / adam.samplesPerSecond, 2)}×; naive / PyTorch's Adam step = ${num(speed.naiveRowsPerSecond / adam.samplesPerSecond, 2)}×.`,
    );
  return lines.join("\n");
}

function targets(
  figures: DigitFigures[],
  run: DigitRun,
  speed: SpeedFigure | null,
  soak: SoakRun | null,
): string {
  const d = figures.find((f) => f.name === "default");
  const dv = run.variants.find((v) => v.name === "default");
  const naive = figures.find((f) => f.name === "naive");
  const yes = (ok: boolean | null) => (ok === null ? "not measured" : ok ? "yes" : "**no**");
  const ratio =
    speed && speed.torch.samplesPerSecond !== null
      ? speed.defaultRowsPerSecond / speed.torch.samplesPerSecond
      : null;
  const rec = d?.recurring[0];
  const nl = d?.newLabels ?? [];
  const oldOk = nl.every(
    (n) => n.oldBefore !== null && n.oldAfter !== null && n.oldBefore - n.oldAfter <= 0.05,
  );
  const newOk = nl.every((n) => n.ofOracle !== null && n.ofOracle >= 0.9);
  const singles = figures.filter((f) => !["default", "naive", "oracle"].includes(f.name));
  const beats = d ? [naive, ...singles].every((f) => !f || (d.whole ?? 0) > (f.whole ?? 0)) : null;
  const failures = run.variants.every(
    (v) => v.failures.length === 0 && v.acceptedFaults === 0 && v.refused === run.stream.faults.length,
  );
  const replay = run.variants.every((v) => v.replay.maxSize <= v.replay.capacity);
  // One learner over the stream, as the issue asks: the soak's child process, flat after its first tenth.
  const g = soak ? soakGrowth(soak) : null;
  return table(
    ["figure", "target", "measured (default learner)", "met"],
    [
      [
        "throughput",
        "≥ 1.2× PyTorch's online SGD step",
        ratio === null ? "–" : `${num(ratio, 2)}×`,
        yes(ratio === null ? null : ratio >= 1.2),
      ],
      [
        "memory",
        "one learner flat over the run (within 10% after the first tenth); replay within its bound",
        g
          ? `one default learner, own process, row ${num(g.from)} to ${num(g.to)}: RSS ${pct(g.rss)}, heap ${pct(g.heap)}; replay ${replay && g.withinBound ? "within" : "over"} bound (every variant's)`
          : "not measured (--soak-rows 0)",
        yes(
          g?.rss == null || g.heap == null ? null : g.rss <= 0.1 && g.heap <= 0.1 && replay && g.withinBound,
        ),
      ],
      [
        "recurring context",
        "≥ 95% (naive beside)",
        `${pct(rec?.ratio)} (naive ${pct(naive?.recurring[0]?.ratio)})`,
        yes(rec?.ratio == null ? null : rec.ratio >= 0.95),
      ],
      [
        "new labels: old",
        "within 5 points",
        nl.map((n) => `${pct(n.oldBefore)} → ${pct(n.oldAfter)}`).join("; "),
        yes(nl.length ? oldOk : null),
      ],
      [
        "new labels: new",
        "≥ 90% of the oracle within 2,000 rows",
        nl.map((n) => pct(n.ofOracle)).join("; "),
        yes(nl.length ? newOk : null),
      ],
      [
        "abrupt drift",
        "detected within 500 rows",
        d?.drift.abruptDelay == null ? "not detected" : `${num(d.drift.abruptDelay)} rows`,
        yes(d ? d.drift.abruptDelay !== null && d.drift.abruptDelay <= 500 : null),
      ],
      [
        "false alarms",
        "≤ 1 per 100,000 stationary rows",
        d
          ? `${num(d.drift.per100k ?? 0, 1)} (${d.drift.falseAlarms} in ${num(d.drift.stationaryRows)} rows)`
          : "–",
        yes(d ? (d.drift.per100k ?? 0) <= 1 : null),
      ],
      [
        "dead units",
        "≤ 2% at every probe",
        dv?.readings ? `worst ${pct(dv.worstDead)} over ${dv.readings} readings` : "not measured",
        yes(dv?.readings ? (dv.worstDead ?? 0) <= 0.02 : null),
      ],
      [
        "failures",
        "zero unrecovered; NaN rows refused",
        failures ? "none; every NaN row refused" : "see the table below",
        yes(failures),
      ],
      [
        "combination",
        "default beats naive and each protection alone",
        d
          ? `${pct(d.whole)} vs ${[naive, ...singles]
              .filter(Boolean)
              .map((f) => `${f!.name} ${pct(f!.whole)}`)
              .join(", ")}`
          : "–",
        yes(beats),
      ],
      [
        "save/load",
        "bit-identical",
        run.saveLoad?.detail ?? "–",
        yes(run.saveLoad ? run.saveLoad.identical : null),
      ],
    ],
  );
}
