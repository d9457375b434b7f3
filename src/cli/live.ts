/**
 * `homeostat live`: a lifelong learner on a stream of rows. Each labelled row is predicted, then learnt
 * (test-then-train); a row without a label is only predicted; a row that cannot be used is answered with
 * an error and changes nothing. One JSON line per input row, in input order. The learner and its run
 * record are checkpointed every `checkpoint.every` rows and at the end; `--resume` continues from them
 * bit-identically.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { readRowStream, type StreamedRow } from "../data/row-stream.js";
import { rowWhere } from "../data/rows.js";
import { backend } from "../backend/index.js";
import { LEARNER_FILE, loadLearner, saveLearner } from "../io/learner-file.js";
import { Learner, type LearnerConfig, type Prediction } from "../learner/learner.js";
import { parseLearnerConfig, savedConfig } from "../learner/config.js";
import { LiveSampler } from "../report/live-record.js";
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, type RunRecord } from "../report/record.js";
import { ConfigError, DataError, HomeostatError, fileErrorWords } from "../tensor/errors.js";
import { UsageError } from "./args.js";
import type { LearnerKernels } from "./learner-kernels.js";
import { type LiveConfig, loadLiveConfig, parseLiveConfig } from "./live-config.js";
import { openInput, openOutput, progressLine, progressTicker, stoppable } from "./live-io.js";
import { liveRow, targetColumn } from "./live-rows.js";
import { readRunRecord, writeRunRecord } from "./report.js";
import { fmtInt, type Ui } from "./ui.js";

/** The run record's name, in the checkpoint folder and by default. */
export const LIVE_RECORD_FILE = "live.record.json";

/** Signals that end the stream as its end would: the learner and the record are saved, exit code 0. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** What the command line says (paths as typed). */
export interface LiveOptions {
  config?: string;
  input?: string;
  predictions?: string;
  resume?: string;
  checkpoint?: string;
  seed?: number;
  /** Where the learner runs (default: the backend active now). */
  kernels?: LearnerKernels;
}

/** One answer line: a prediction, or why the row was refused. */
type Answer = { row: number } & (
  | { label: unknown; probability: number }
  | { value: number }
  | { error: string }
);

/** Counts of this invocation's rows. */
interface Counts {
  rows: number;
  observed: number;
  predicted: number;
  rejected: number;
}

/** Run the command; returns the JSON summary (printed with --json). */
export async function runLive(o: LiveOptions, ui: Ui): Promise<Record<string, unknown>> {
  const started = performance.now();
  const { cfg, learner, saved } = await setUp(o);
  const ckDir = checkpointDir(o, cfg);
  const recordPath = cfg.record.path ?? join(ckDir ?? cfg.runDir, LIVE_RECORD_FILE);
  const sampler = new LiveSampler(learner.task, cfg.record.every, 1000, saved?.live);
  const savedConfig = configToSave(cfg, learner);
  const record = (): RunRecord => ({
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    command: "live",
    createdAt: saved?.createdAt || new Date().toISOString(),
    config: savedConfig,
    steps: { step: [], loss: [], lr: [] },
    epochs: [],
    live: sampler.record(),
  });
  const checkpoint = async () => {
    if (!ckDir) return;
    await saveLearner(learner, ckDir);
    writeRunRecord(join(ckDir, LIVE_RECORD_FILE), record());
  };

  const input = openInput(o.input ?? cfg.input ?? "-");
  const out = openOutput(o.predictions ?? cfg.predictions ?? "-");
  const counts: Counts = { rows: 0, observed: 0, predicted: 0, rejected: 0 };
  const ticker = progressTicker(ui.progress, () =>
    progressLine(counts.rows, counts.rows / ((performance.now() - started) / 1000), learner.vitals()),
  );
  const answer = answerer(learner, cfg.target, input.name);
  const { pieces, stop } = stoppable(input.pieces);
  for (const signal of STOP_SIGNALS) process.once(signal, stop);
  let labelled = learner.vitals().rows;
  try {
    for await (const r of readRowStream(pieces, input.name, "auto", "yield")) {
      const { line, kind } = answer(r);
      counts.rows++;
      counts[kind]++;
      sampler.input.rows++;
      sampler.input[kind]++;
      if (kind === "observed" && sampler.due(++labelled)) sampler.add(learner.vitals());
      out.write(JSON.stringify(line));
      if (out.closed) break;
      if (cfg.checkpoint?.every && counts.rows % cfg.checkpoint.every === 0) await checkpoint();
      ticker.tick();
    }
  } catch (e) {
    throw readFailure(e, input.name);
  } finally {
    out.close();
    for (const signal of STOP_SIGNALS) process.removeListener(signal, stop);
  }
  ticker.end();
  sampler.add(learner.vitals());
  await checkpoint();
  const summary = summarise(learner, counts, {
    resumed: o.resume ? resolve(o.resume) : null,
    checkpoint: ckDir ?? null,
    record: recordPath,
    backend: backend().name,
    seconds: (performance.now() - started) / 1000,
  });
  writeRunRecord(recordPath, { ...record(), summary });
  if (!ui.json && !ui.quiet) process.stderr.write(`${humanLine(summary, counts)}\n`);
  ui.result({ live: summary });
  return summary;
}

/** The config, the learner (new, or loaded with `--resume`) and the saved run record of a resumed run. */
async function setUp(o: LiveOptions): Promise<{ cfg: LiveConfig; learner: Learner; saved?: RunRecord }> {
  if (!o.resume) {
    if (!o.config) throw new UsageError("live needs --config live.json (or --resume CHECKPOINT_DIR)");
    const cfg = loadLiveConfig(o.config);
    const learnerCfg = { ...cfg.learner, ...(o.seed !== undefined ? { seed: o.seed } : {}) } as LearnerConfig;
    o.kernels?.();
    return { cfg, learner: Learner.create(learnerCfg) };
  }
  if (o.seed !== undefined)
    throw new UsageError("--resume continues with the saved learner's seed; leave out --seed");
  const dir = resolve(o.resume);
  if (!existsSync(join(dir, LEARNER_FILE)))
    throw new UsageError(
      `--resume ${o.resume}: no ${LEARNER_FILE} there; expected a folder live --checkpoint wrote`,
    );
  const learner = await loadLearner(dir, o.kernels);
  const recordFile = join(dir, LIVE_RECORD_FILE);
  const saved = existsSync(recordFile) ? readRunRecord(recordFile) : undefined;
  const cfg = o.config
    ? loadLiveConfig(o.config)
    : parseLiveConfig(saved?.config ?? { task: learner.task }, dir, dir);
  if (o.config) sameLearner(cfg, learner, o.config, o.resume);
  return { cfg, learner, saved };
}

/** A config given with --resume must describe the saved learner: the saved one wins, so a difference is an error. */
export function sameLearner(cfg: LiveConfig, learner: Learner, configPath: string, dir: string): void {
  const given = parseLearnerConfig(cfg.learner) as Record<string, unknown>;
  const have = learner.config as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(given), ...Object.keys(have)])];
  const differ = keys.filter((k) => JSON.stringify(given[k]) !== JSON.stringify(have[k]));
  if (differ.length > 0)
    throw new ConfigError(
      `${configPath}: the learner saved in ${dir} was made with another config (${differ
        .map((k) => `${k}: ${JSON.stringify(have[k])} there, ${JSON.stringify(given[k])} here`)
        .join("; ")}); the saved learner continues as it was: leave --config out or make them agree`,
      { file: configPath, field: differ[0] },
    );
}

/** The config as the record keeps it (and a resume without --config reads): the learner's keys as saved, the command's settings. */
function configToSave(cfg: LiveConfig, learner: Learner): unknown {
  const every = cfg.checkpoint?.every;
  return {
    ...savedConfig(learner.config),
    ...(cfg.target !== undefined ? { target: cfg.target } : {}),
    // The folder is where a resume finds it, so only the cadence is kept; a record path the user chose is kept.
    ...(every ? { checkpoint: { every } } : {}),
    record: { ...(cfg.record.path ? { path: cfg.record.path } : {}), every: cfg.record.every },
  };
}

/** --checkpoint; else, resuming, the folder resumed from; else the config's checkpoint folder, if any. */
function checkpointDir(o: LiveOptions, cfg: LiveConfig): string | undefined {
  if (o.checkpoint) return resolve(o.checkpoint);
  if (o.resume) return resolve(o.resume);
  return cfg.checkpoint && (cfg.checkpoint.dir ?? join(cfg.runDir, "checkpoint"));
}

/**
 * The answer to each row: observe a labelled row, predict an unlabelled one, refuse a row that cannot
 * be used (its error names the file and line). A target column the input lacks ends the command.
 */
function answerer(
  learner: Learner,
  target: string | undefined,
  file: string,
): (r: StreamedRow) => { line: Answer; kind: Exclude<keyof Counts, "rows"> } {
  let names: readonly string[] | undefined;
  let column: number | undefined;
  return (r) => {
    if (r.error) return { line: { row: r.row, error: r.error.message }, kind: "rejected" };
    if (column === undefined || r.names !== names) {
      column = targetColumn(r.names, target, file);
      names = r.names;
    }
    try {
      const { x, y } = liveRow(r, column, learner.task, file);
      if (y === null) return { line: { row: r.row, ...shown(learner.predict(x)) }, kind: "predicted" };
      return { line: { row: r.row, ...shown(learner.observe(x, y)) }, kind: "observed" };
    } catch (e) {
      if (!(e instanceof DataError || e instanceof ConfigError)) throw e;
      // The learner's messages name the cell (x[2], y); the row's place goes in front.
      const error = e.location.file !== undefined ? e.message : `${rowWhere(file, r)}${e.message}`;
      return { line: { row: r.row, error }, kind: "rejected" };
    }
  };
}

function shown(p: Prediction): { label: unknown; probability: number } | { value: number } {
  return "value" in p ? { value: p.value } : { label: p.label, probability: p.probability };
}

/** An error while reading the input: a file-system failure is the user's (exit 2); the rest as it is. */
function readFailure(e: unknown, name: string): unknown {
  if (e instanceof HomeostatError) return e;
  if (typeof (e as { code?: unknown })?.code === "string")
    return new DataError(`${name}: cannot read the input: ${fileErrorWords(e)}`, { file: name });
  return e;
}

function summarise(
  learner: Learner,
  counts: Counts,
  where: Record<string, unknown>,
): Record<string, unknown> {
  const v = learner.vitals();
  return {
    steps: v.steps,
    rows: counts.rows,
    observed: counts.observed,
    predicted: counts.predicted,
    rejected: counts.rejected,
    prequential: { accuracy: v.prequential.accuracy, loss: v.prequential.loss },
    drifts: v.drifts,
    vitals: v,
    ...where,
  };
}

function humanLine(s: Record<string, unknown>, c: Counts): string {
  const p = s.prequential as { accuracy: number | null; loss: number | null };
  const score =
    p.accuracy !== null
      ? `prequential accuracy ${(100 * p.accuracy).toFixed(2)}%`
      : `prequential loss ${p.loss?.toPrecision(4) ?? "–"}`;
  const where = [`${s.backend} kernels`, s.checkpoint && `checkpoint ${s.checkpoint}`, `record ${s.record}`]
    .filter(Boolean)
    .join(" · ");
  return `live: ${fmtInt(c.rows)} rows (${fmtInt(c.observed)} learnt, ${fmtInt(c.predicted)} predicted, ${fmtInt(c.rejected)} rejected) · ${score} · ${(s.drifts as unknown[]).length} drifts · ${where}`;
}
