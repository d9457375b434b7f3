/**
 * `homeostat replay --dir DIR --from ROW [--to ROW] [--trace] [--out DIR] [--json]`: the flight recorder.
 * Rebuilds the learner a service's folder held after row TO, bit for bit, from the newest checkpoint at
 * or before FROM and the write-ahead log; with --trace, prints each row's statistics after FROM (the
 * loss before learning, the step's loss, gradient norm and learning rate, drifts, health events as they
 * happened). Reads the folder only, so it may run beside the live service.
 */
import { resolve } from "node:path";
import { backend } from "../backend/index.js";
import { formatEvent } from "../health/index.js";
import { saveLearner } from "../io/learner-file.js";
import type { TraceRow } from "../serve/replay-trace.js";
import { replayLearner } from "../serve/replay.js";
import { UsageError } from "./args.js";
import type { LearnerKernels } from "./learner-kernels.js";
import { fmtInt, pct, type Ui } from "./ui.js";

export interface ReplayCommandOptions {
  dir?: string;
  from?: number;
  to?: number;
  trace?: boolean;
  out?: string;
  /** Where the learner runs (default: the backend active now). */
  kernels?: LearnerKernels;
}

/**
 * Run the replay command; returns its JSON summary.
 *
 * @example
 * await runReplay({ dir: "runs/service", from: 4000, to: 4200, trace: true }, makeUi({}));
 */
export async function runReplay(o: ReplayCommandOptions, ui: Ui): Promise<Record<string, unknown>> {
  if (!o.dir) throw new UsageError("replay needs --dir DIR, the folder of a service (live --serve)");
  if (o.from === undefined) throw new UsageError("replay needs --from ROW (0 for the learner's start)");
  const dir = resolve(o.dir);
  const r = await replayLearner(dir, { from: o.from, to: o.to, trace: o.trace, beforeLoad: o.kernels });
  if (o.out) await saveLearner(r.learner, resolve(o.out));
  const v = r.learner.vitals();
  ui.say(
    `replay: ${dir} · from checkpoint ${fmtInt(r.checkpoint)} · rows ${fmtInt(r.from + 1)}–${fmtInt(r.to)} · ${v.steps} steps · ${backend().name} kernels`,
  );
  for (const row of r.trace ?? []) for (const line of traceLines(row)) ui.say(line);
  if (r.trace) ui.say(summaryLine(r.trace));
  ui.say(
    `at row ${fmtInt(r.to)}: prequential ${pct(v.prequential.accuracy ?? undefined)}, recent ${pct(v.recent.accuracy ?? undefined)}, ${v.drifts.length} drifts, health ${v.health.status}${o.out ? ` · saved to ${resolve(o.out)}` : ""}`,
  );
  const summary = {
    dir,
    checkpoint: r.checkpoint,
    from: r.from,
    to: r.to,
    rows: v.rows,
    steps: v.steps,
    refused: r.refused,
    out: o.out ? resolve(o.out) : null,
    backend: backend().name,
    vitals: v,
    trace: r.trace,
  };
  ui.result({ replay: summary });
  return summary;
}

const num = (x: number | null, digits = 4): string =>
  x === null ? "–" : Number.isFinite(x) ? x.toPrecision(digits) : String(x);

/** A traced row as text: one line of numbers, then a line per drift, event or failure. */
function traceLines(r: TraceRow): string[] {
  const lines = [
    `row ${r.seq}  ${r.refused !== null ? `refused: ${r.refused}` : `${r.hit ? "hit " : "miss"} loss ${num(r.loss)}  step ${r.step ?? "–"} loss ${num(r.stepLoss)} |g| ${num(r.gradNorm)} lr ${num(r.lr, 3)}`}`,
  ];
  if (r.drift) lines.push(`  drift: ${r.drift.message}`);
  for (const e of r.events) lines.push(`  ${formatEvent(e)}`);
  for (const f of r.failures)
    lines.push(`  failure at step ${f.step}: ${f.diagnosis} (went back to the last healthy state)`);
  return lines;
}

function summaryLine(rows: TraceRow[]): string {
  const norms = rows.map((r) => r.gradNorm).filter((g): g is number => g !== null);
  const worst = norms.reduce((a, b) => (b > a || Number.isNaN(b) ? b : a), 0);
  const events = rows.reduce((n, r) => n + r.events.length, 0);
  const drifts = rows.filter((r) => r.drift).length;
  return `trace: ${rows.length} rows, ${drifts} drifts, ${events} health events, largest gradient norm ${num(worst)}`;
}
