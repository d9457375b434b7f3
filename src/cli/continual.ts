import { readFileSync } from "node:fs";
import { formatAccuracyMatrix, parseContinualConfig, runContinual } from "../continual/index.js";
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject, optString } from "../tensor/fields.js";
import { dirname, resolve } from "node:path";
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, type RunRecord } from "../report/record.js";
import { writeReport, writeRunRecord } from "./report.js";
import { displayPath } from "./train.js";
import { pct, type Ui } from "./ui.js";

const signed = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pts`;

/**
 * `homeostat continual --config run.json`: train a strategy on a task stream, print the accuracy
 * matrix R and the measures; with --json, `{"continual":{"R","ACC","BWT","FWT","forgetting",…}}`.
 */
export function runContinualCommand(path: string, ui: Ui): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError(`${path}: cannot read the run config as JSON (${(e as Error).message})`, { file: path });
  }
  let cfg, recordPath: string, reportPath: string | undefined;
  try {
    const top = expectObject(raw, "config");
    checkKeys(top, ["$schema", "description", "continual", "out", "report"], "");
    cfg = parseContinualConfig(top.continual, "continual");
    // Like train's model file, the run record goes beside the config unless `out` says where.
    const base = dirname(resolve(path));
    recordPath = resolve(base, optString(top, "out", "") ?? "continual.record.json");
    const report = optString(top, "report", "");
    if (report !== undefined && !/\.html?$/i.test(report)) throw new ConfigError(`report: expected the path of an HTML file ("run.html"), got "${report}"`, { field: "report" });
    reportPath = report === undefined ? undefined : resolve(base, report);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${path}: ${e.message}`, { ...e.location, file: path });
    throw e;
  }
  const strategyName = typeof cfg.strategy === "function" ? "custom" : cfg.strategy.type;
  ui.say(`Homeostat · continual · ${cfg.stream} digits, ${cfg.scenario}-incremental, ${cfg.tasks} tasks · strategy ${strategyName}`);
  const result = runContinual(cfg, {
    onTaskEnd: (i, R) => ui.say(`task ${i + 1}/${cfg.tasks} trained · accuracy on tasks so far: ${R[i].slice(0, i + 1).map((a) => pct(a)).join("  ")}`),
  });
  ui.say("");
  ui.say("accuracy matrix R (row i: after training task i; column j: task j)");
  ui.say(formatAccuracyMatrix(result.R, result.taskNames));
  ui.say("");
  ui.say(`ACC ${pct(result.ACC)}   BWT ${signed(result.BWT)}   FWT ${signed(result.FWT)}`);
  ui.say(`forgetting (Chaudhry et al. 2018, max over earlier points) ${signed(result.forgetting.maxOverEarlier)}   ` +
    `forgetting (just trained − last) ${signed(result.forgetting.justTrainedMinusLast)}`);
  if (result.intransigence !== null) ui.say(`intransigence against a joint model ${signed(result.intransigence)}   joint ACC ${pct(result.joint?.ACC)}`);
  ui.say(`wall time: ${result.wallSeconds.toFixed(1)} s for ${strategyName}${result.joint && strategyName !== "joint" ? `, ${result.joint.wallSeconds.toFixed(1)} s for the joint reference` : ""}`);
  const summary = {
    command: "continual",
    continual: {
      strategy: result.strategy, stream: result.stream, scenario: result.scenario, tasks: result.taskNames,
      R: result.R, b: result.b, ACC: result.ACC, BWT: result.BWT, FWT: result.FWT, forgetting: result.forgetting,
      intransigence: result.intransigence, jointACC: result.joint?.ACC ?? null,
    },
    wallSeconds: result.wallSeconds,
    record: recordPath,
    report: reportPath,
  };
  const record: RunRecord = {
    format: RUN_RECORD_FORMAT, version: RUN_RECORD_VERSION, command: "continual", createdAt: new Date().toISOString(),
    config: raw, steps: { step: [], loss: [], lr: [] }, epochs: [],
    continual: {
      strategy: result.strategy, stream: result.stream, scenario: result.scenario, tasks: result.taskNames, R: result.R, b: result.b,
      ACC: result.ACC, BWT: result.BWT, FWT: result.FWT, forgetting: result.forgetting, jointACC: result.joint?.ACC ?? null,
    },
    summary: { wallSeconds: result.wallSeconds, intransigence: result.intransigence },
  };
  writeRunRecord(recordPath, record);
  if (reportPath) writeReport(reportPath, [recordPath], [record]);
  ui.say(`run record ${displayPath(recordPath)}${reportPath ? ` · report ${displayPath(reportPath)}` : ""}`);
  ui.result(summary);
  return summary;
}
