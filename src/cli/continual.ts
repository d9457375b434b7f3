import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type ContinualState, formatAccuracyMatrix, parseContinualConfig, runContinual } from "../continual/index.js";
import { type CheckpointContents, CheckpointWriter } from "../io/checkpoint.js";
import { parseCheckpoint } from "./config.js";
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject } from "../tensor/fields.js";
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
  return runContinualConfig(raw, dirname(resolve(path)), path, ui);
}

/**
 * Run a parsed-from-JSON continual run config (`where` names it in errors); with `resume`, continue the
 * checkpointed run it came from.
 */
export function runContinualConfig(raw: unknown, baseDir: string, where: string, ui: Ui, resume?: CheckpointContents): Record<string, unknown> {
  let cfg;
  let checkpoint;
  try {
    const top = expectObject(raw, "config");
    checkKeys(top, ["$schema", "description", "continual", "checkpoint"], "");
    cfg = parseContinualConfig(top.continual, "continual");
    checkpoint = parseCheckpoint(top.checkpoint, baseDir);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${where}: ${e.message}`, { ...e.location, file: where });
    throw e;
  }
  const strategyName = typeof cfg.strategy === "function" ? "custom" : cfg.strategy.type;
  ui.say(`Homeostat · continual · ${cfg.stream} digits, ${cfg.scenario}-incremental, ${cfg.tasks} tasks · strategy ${strategyName}`);
  const writer = checkpoint ? new CheckpointWriter(checkpoint.dir, checkpoint.keep) : null;
  const state = resume?.state as unknown as ContinualState | undefined;
  if (state) ui.say(`resuming after ${state.task} of ${cfg.tasks} tasks${state.fit ? `, step ${state.fit.step} of task ${state.task + 1}` : ""}`);
  const result = runContinual(cfg, {
    onTaskEnd: (i, R) => ui.say(`task ${i + 1}/${cfg.tasks} trained · accuracy on tasks so far: ${R[i].slice(0, i + 1).map((a) => pct(a)).join("  ")}`),
    checkpoint: writer && checkpoint ? { every: checkpoint.every, save: (s, model) => writer.write(model, s, { config: raw, configDir: baseDir }) } : undefined,
    resume: state && resume && { state, model: resume.model },
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
  };
  ui.result(summary);
  return summary;
}
