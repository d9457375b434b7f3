import { dirname, resolve } from "node:path";
import {
  type ContinualConfig,
  type ContinualResult,
  type ContinualState,
  type OnlineRecord,
  formatAccuracyMatrix,
  parseContinualConfig,
  runContinual,
} from "../continual/index.js";
import { type CheckpointContents, CheckpointWriter } from "../io/checkpoint.js";
import { defaultRunDir, outputPath, parseCheckpoint, readConfigJson, reportPath } from "./config.js";
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject, optString } from "../tensor/fields.js";
import { backend } from "../backend/index.js";
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, type RunRecord, streamRecorder } from "../report/record.js";
import { writeReport, writeRunRecord } from "./report.js";
import { displayPath } from "./train.js";
import { pct, type Ui } from "./ui.js";

const signed = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pts`;

/**
 * `homeostat continual --config run.json`: train a strategy on a task stream, print the accuracy
 * matrix R and the measures; with --json, `{"continual":{"R","ACC","BWT","FWT","forgetting",…}}`.
 */
export function runContinualCommand(path: string, ui: Ui, seed?: number): Record<string, unknown> {
  const raw = readConfigJson(path);
  // --seed overrides the config's seed the way train's does; written into the config, it travels into
  // the checkpoints, so a resumed run keeps it.
  const section = (raw as { continual?: unknown } | null)?.continual;
  if (seed !== undefined && section && typeof section === "object" && !Array.isArray(section))
    (section as Record<string, unknown>).seed = seed;
  return runContinualConfig(
    raw,
    { baseDir: dirname(resolve(path)), runDir: defaultRunDir(path), where: path },
    ui,
  );
}

/** Where a continual run config came from: the folder its paths are relative to, where unplaced outputs go, its name in errors. */
export interface ConfigPlace {
  baseDir: string;
  runDir: string;
  where: string;
}

/** What a finished run writes: its record, and the HTML report when the config asks. */
interface Outputs {
  recordPath: string;
  reportPath: string | undefined;
}

/**
 * Run a parsed-from-JSON continual run config (see `ConfigPlace` for its paths); with `resume`,
 * continue the checkpointed run it came from.
 */
export function runContinualConfig(
  raw: unknown,
  place: ConfigPlace,
  ui: Ui,
  resume?: CheckpointContents,
): Record<string, unknown> {
  const { baseDir, runDir, where } = place;
  let cfg: ReturnType<typeof parseContinualConfig>;
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  let outputs: Outputs;
  try {
    const top = expectObject(raw, "config");
    checkKeys(top, ["$schema", "description", "plugins", "continual", "checkpoint", "out", "report"], "");
    cfg = parseContinualConfig(top.continual, "continual");
    checkpoint = parseCheckpoint(top.checkpoint, baseDir, runDir);
    outputs = {
      recordPath: outputPath(optString(top, "out", ""), baseDir, resolve(runDir, "continual.record.json")),
      reportPath: reportPath(optString(top, "report", ""), baseDir),
    };
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ConfigError(`${where}: ${e.message}`, { ...e.location, file: where });
    throw e;
  }
  const strategyName = typeof cfg.strategy === "function" ? "custom" : cfg.strategy.type;
  ui.say(
    `Homeostat · continual · ${cfg.stream} digits, ${cfg.scenario}-incremental, ${cfg.tasks} tasks · strategy ${strategyName}`,
  );
  const writer = checkpoint ? new CheckpointWriter(checkpoint.dir, checkpoint.keep) : null;
  const state = resume?.state as unknown as ContinualState | undefined;
  if (state)
    ui.say(
      `resuming after ${state.task} of ${cfg.tasks} tasks${state.fit ? `, step ${state.fit.step} of task ${state.task + 1}` : ""}`,
    );
  if (cfg.homeostasis.length > 0) ui.say(`homeostasis: ${cfg.homeostasis.map((r) => r.type).join(", ")}`);
  let online: OnlineRecord | undefined;
  const recorder = streamRecorder();
  const result = runContinual(cfg, {
    onTaskEnd: (i, R) =>
      ui.say(
        cfg.online
          ? `task ${i + 1}/${cfg.tasks} · online accuracy ${pct(online?.accuracy[i])}`
          : `task ${i + 1}/${cfg.tasks} trained · accuracy on tasks so far: ${R[i]
              .slice(0, i + 1)
              .map((a) => pct(a))
              .join("  ")}`,
      ),
    onOnline: (r) => {
      online = r;
    },
    checkpoint:
      writer && checkpoint
        ? {
            every: checkpoint.every,
            save: (s, model) => writer.write(model, s, { config: raw, configDir: baseDir, runDir }),
          }
        : undefined,
    resume: state && resume && { state, model: resume.model },
    observers: [recorder],
  });
  // The loss of every step over the whole stream, with the task boundaries to mark on its chart.
  const perStep = { steps: recorder.steps.series(), taskEnds: recorder.taskEnds };
  if (result.online) return finishOnline(cfg, result, { ...perStep, config: raw }, outputs, ui);
  ui.say("");
  ui.say("accuracy matrix R (row i: after training task i; column j: task j)");
  ui.say(formatAccuracyMatrix(result.R, result.taskNames));
  ui.say("");
  ui.say(`ACC ${pct(result.ACC)}   BWT ${signed(result.BWT)}   FWT ${signed(result.FWT)}`);
  ui.say(
    `forgetting (Chaudhry et al. 2018, max over earlier points) ${signed(result.forgetting.maxOverEarlier)}   ` +
      `forgetting (just trained − last) ${signed(result.forgetting.justTrainedMinusLast)}`,
  );
  if (result.intransigence !== null)
    ui.say(
      `intransigence against a joint model ${signed(result.intransigence)}   joint ACC ${pct(result.joint?.ACC)}`,
    );
  ui.say(
    `wall time: ${result.wallSeconds.toFixed(1)} s for ${strategyName}${result.joint && strategyName !== "joint" ? `, ${result.joint.wallSeconds.toFixed(1)} s for the joint reference` : ""}`,
  );
  const summary = {
    command: "continual",
    backend: backend().name,
    continual: {
      ...continualFigures(result),
      intransigence: result.intransigence,
      jointACC: result.joint?.ACC ?? null,
    },
    wallSeconds: result.wallSeconds,
    record: outputs.recordPath,
    report: outputs.reportPath,
  };
  writeRecord(outputs, ui, {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    command: "continual",
    createdAt: new Date().toISOString(),
    config: raw,
    ...perStep,
    epochs: [],
    continual: { ...continualFigures(result), jointACC: result.joint?.ACC ?? null },
    summary: { wallSeconds: result.wallSeconds, intransigence: result.intransigence },
  });
  ui.result(summary);
  return summary;
}

/** Write the run record, and the report when the config asks for one, and say where. */
function writeRecord({ recordPath, reportPath }: Outputs, ui: Ui, record: RunRecord): void {
  writeRunRecord(recordPath, record);
  if (reportPath) writeReport(reportPath, [recordPath], [record]);
  ui.say(`run record ${displayPath(recordPath)}${reportPath ? ` · report ${displayPath(reportPath)}` : ""}`);
}

/** Mean of xs[from..to) (clamped to the array). */
const meanOf = (xs: readonly number[], from: number, to: number): number => {
  const part = xs.slice(Math.max(0, from), Math.min(xs.length, to));
  return part.reduce((a, b) => a + b, 0) / Math.max(part.length, 1);
};

/**
 * The plasticity protocol's report: online accuracy of the first and last tasks, and each hidden layer's
 * balance (dead and dormant units, effective rank, mean |w|) before the first task and after the last.
 */
function finishOnline(
  cfg: ContinualConfig,
  result: ContinualResult,
  recorded: Pick<RunRecord, "config" | "steps" | "taskEnds">,
  outputs: Outputs,
  ui: Ui,
): Record<string, unknown> {
  const online = result.online!;
  const k = Math.min(10, Math.max(1, Math.floor(online.accuracy.length / 2)));
  const first = meanOf(online.accuracy, 0, k);
  const last = meanOf(online.accuracy, online.accuracy.length - k, online.accuracy.length);
  ui.say("");
  ui.say(
    `online accuracy: first ${k} tasks ${pct(first)} · last ${k} tasks ${pct(last)} · change ${signed(last - first)}`,
  );
  const [start, end] = [online.balance[0], online.balance[online.balance.length - 1]];
  ui.say(
    "balance of the hidden layers (probe rows of the task at hand), before the first task → after the last:",
  );
  start.forEach((l, i) => {
    const e = end[i];
    ui.say(
      `  layer ${l.layer}: dead ${pct(l.deadFraction)} → ${pct(e.deadFraction)} · dormant ${pct(l.dormantFraction)} → ${pct(e.dormantFraction)} · ` +
        `effective rank ${l.effectiveRank.toFixed(1)} → ${e.effectiveRank.toFixed(1)} · mean |w| ${l.meanAbsWeight.toPrecision(3)} → ${e.meanAbsWeight.toPrecision(3)}`,
    );
  });
  for (const [name, n] of Object.entries(online.regulators)) ui.say(`${name}: ${n} units replaced`);
  ui.say(`wall time: ${result.wallSeconds.toFixed(1)} s`);
  const continual = {
    strategy: result.strategy,
    stream: result.stream,
    scenario: result.scenario,
    tasks: result.taskNames.length,
    homeostasis: cfg.homeostasis.map((r) => r.type),
    online,
    firstAccuracy: first,
    lastAccuracy: last,
  };
  writeRecord(outputs, ui, {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    command: "continual",
    createdAt: new Date().toISOString(),
    ...recorded,
    epochs: [],
    summary: {
      wallSeconds: result.wallSeconds,
      firstAccuracy: first,
      lastAccuracy: last,
      regulators: online.regulators,
    },
    online: {
      strategy: result.strategy,
      stream: result.stream,
      homeostasis: cfg.homeostasis.map((r) => r.type),
      accuracy: online.accuracy,
      balance: online.balance,
    },
  });
  const summary = {
    command: "continual",
    backend: backend().name,
    continual,
    wallSeconds: result.wallSeconds,
    record: outputs.recordPath,
    report: outputs.reportPath,
  };
  ui.result(summary);
  return summary;
}

/** The figures of a finished run that the --json summary and the run record both carry, in that order. */
function continualFigures(result: ContinualResult) {
  const { strategy, stream, scenario, taskNames, R, b, ACC, BWT, FWT, forgetting } = result;
  return { strategy, stream, scenario, tasks: taskNames, R, b, ACC, BWT, FWT, forgetting };
}
