import { modelInput } from "../data/dataset.js";
import { encodeModel } from "../io/model.js";
import { ensureDirectory, writeFileAtomic } from "../io/atomic.js";
import { Sequential } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { evaluate } from "../train/evaluate.js";
import type { Observer } from "../train/events.js";
import { type FitOptions, type FitResult, fit } from "../train/fit.js";
import { type LossName, losses } from "../losses/losses.js";
import { useBackend } from "../backend/index.js";
import { dirname, relative } from "node:path";
import type { RunConfig } from "./config.js";
import { checkBeforeTraining, formatEvent, type HealthEvent, type HealthMonitor } from "../health/index.js";
import { runObservers, sectionFitOptions } from "../run/observers.js";
import { CheckpointWriter, type CheckpointContents } from "../io/checkpoint.js";
import { type PreparedData, prepareData, toTensors } from "./data.js";
import { epochLog, progressBar } from "./progress.js";
import { fmtInt, pct, type Ui } from "./ui.js";
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, runRecorder } from "../report/record.js";
import { recordPathFor, writeReport, writeRunRecord } from "./report.js";

export interface TrainSummary {
  command: string;
  data: string;
  test: { accuracy?: number; loss: number; mse?: number; mae?: number; samples: number };
  train: { accuracy?: number; loss: number };
  epochs: number;
  steps: number;
  samplesPerSecond: number;
  /** The backend that ran the kernels ("js" or "wasm"). */
  backend: string;
  wallSeconds: number;
  parameters: number;
  model?: string;
  stopReason?: string;
  failed?: string;
  health: { events: unknown[] };
  /** The run record (JSON) and, when the config asks, the HTML report. */
  record: string;
  report?: string;
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r : p;
}

/** Describe a model in one line: "784 → dense 256 relu → dense 10 softmax". */
export function describeModel(model: Sequential): string {
  const parts = model.layers.map((l) => {
    const c = l.config();
    if (c.type === "dense") return `dense ${c.units}${c.activation === "identity" ? "" : ` ${c.activation}`}`;
    if (c.type === "dropout") return `dropout ${c.rate}`;
    if (c.type === "activation") return String(c.activation);
    return c.type;
  });
  return [String(model.inputDim), ...parts].join(" → ");
}

/** Train as a run config says, evaluate on the test split, save the model atomically. */
export function runTraining(
  cfg: RunConfig,
  ui: Ui,
  command = "train",
  resume?: CheckpointContents,
): TrainSummary {
  const started = performance.now();
  const kernels = useBackend(cfg.backend, { threads: cfg.threads });
  // Data first (a bad cell leaves nothing behind), then the output folder (before the long part).
  const data = prepareData(cfg.data, cfg.seed);
  ensureDirectory(dirname(cfg.out));
  const rng = new Rng(cfg.seed);
  const model = resume
    ? resume.model
    : new Sequential(cfg.layers).build(modelInput(cfg.layers, data.train), rng.fork("init"));
  checkOutputWidth(cfg, model, data);
  const loss = losses.create(cfg.lossChoice, undefined, "loss");
  const metrics = data.train.task === "classification" ? (["accuracy"] as const) : (["mse", "mae"] as const);
  const stepsPerEpoch = Math.ceil((data.train.n * (1 - cfg.data.validationSplit)) / cfg.batchSize);
  ui.say(`Homeostat · ${command} · ${data.description} · ${kernels.name} backend`);
  if (data.train.taskNote) ui.say(`note: ${data.train.taskNote}`);
  ui.say(
    `model ${describeModel(model)} (${fmtInt(model.parameterCount())} parameters) · ${cfg.optimizer.type} lr ${cfg.optimizer.lr} · ${cfg.epochs} epochs × ${stepsPerEpoch} batches of ${cfg.batchSize}`,
  );
  const watch = watchTraining(cfg, ui, data, model, stepsPerEpoch, resume);

  const train = toTensors(data.train);
  const writer = cfg.checkpoint ? new CheckpointWriter(cfg.checkpoint.dir, cfg.checkpoint.keep) : null;
  if (resume)
    ui.say(
      `resuming from step ${resume.state.step} (epoch ${resume.state.epoch + 1}, batch ${resume.state.batchIndex + 1})`,
    );
  const history = fit(model, train, {
    ...sectionFitOptions(cfg, cfg.optimizer, data.train),
    loss,
    validationSplit: cfg.data.validationSplit,
    metrics,
    observers: watch.observers,
    resume: resume?.state,
    checkpoint:
      writer && cfg.checkpoint ? checkpointing(cfg, model, writer, cfg.checkpoint.every) : undefined,
  });
  const test = evaluate(model, toTensors(data.test), { loss, metrics });
  const run: FinishedRun = { cfg, data, model, history, test, watch, backend: kernels.name };
  saveModel(run);
  const summary = trainSummary(run, command, (performance.now() - started) / 1000);
  writeRecord(run, command, summary);
  printResult(ui, run, summary);
  ui.result(summary);
  return summary;
}

/** The model's last layer must be as wide as the data has classes or target columns. */
function checkOutputWidth(cfg: RunConfig, model: Sequential, data: PreparedData): void {
  if (model.outputDim === data.train.outputDim) return;
  const what =
    data.train.task === "classification"
      ? `${data.train.outputDim} classes`
      : `${data.train.outputDim} target column(s)`;
  throw new ConfigError(
    `model.layers[${cfg.layers.length - 1}]: the model ends with ${model.outputDim} outputs but the data has ${what}; set its "units" to ${data.train.outputDim}${data.train.taskNote ? ` (${data.train.taskNote})` : ""}`,
    { field: `model.layers[${cfg.layers.length - 1}].units` },
  );
}

/** The observers of a training run and what they collect for the model file and the record. */
interface Watch {
  observers: Observer[];
  healthEvents: HealthEvent[];
  monitor: HealthMonitor | null;
  recorder: ReturnType<typeof runRecorder>;
}

/**
 * Run the pre-training checks (printing their events), then set up the observers in the order they
 * see each event: health monitor, progress, early stopping, regulators, run recorder.
 */
function watchTraining(
  cfg: RunConfig,
  ui: Ui,
  data: PreparedData,
  model: Sequential,
  stepsPerEpoch: number,
  resume: CheckpointContents | undefined,
): Watch {
  const healthEvents: HealthEvent[] = [];
  const printEvent = (e: HealthEvent): void => {
    healthEvents.push(e);
    if (ui.json || ui.quiet) return;
    if (ui.progress) ui.progress.write("\r\x1b[2K");
    ui.say(formatEvent(e));
  };
  if (cfg.health.monitor && !resume) {
    // The checks compare the built-in names; a plugin's loss matches none of their rules.
    for (const e of checkBeforeTraining(data.train, model, cfg.loss as LossName)) printEvent(e);
  }
  const progress = ui.progress
    ? [progressBar(ui.progress, cfg.epochs, stepsPerEpoch)]
    : !ui.json && !ui.quiet
      ? [epochLog(ui.say, cfg.epochs)]
      : [];
  const { observers, monitor } = runObservers(cfg, printEvent, progress);
  const recorder = runRecorder();
  observers.push(recorder);
  return { observers, healthEvents, monitor, recorder };
}

/** fit's checkpoint option: every `every` steps, the model and loop state with what resuming needs. */
function checkpointing(
  cfg: RunConfig,
  model: Sequential,
  writer: CheckpointWriter,
  every: number,
): NonNullable<FitOptions["checkpoint"]> {
  return {
    every,
    save: (state) =>
      writer.write(model, state, {
        loss: cfg.loss,
        config: cfg.raw,
        configDir: cfg.baseDir,
        runDir: cfg.runDir,
      }),
  };
}

/** A run after training and testing: everything the model file, the summary and the record are made of. */
interface FinishedRun {
  cfg: RunConfig;
  data: PreparedData;
  model: Sequential;
  history: FitResult;
  test: ReturnType<typeof evaluate>;
  watch: Watch;
  /** Where the kernels ran. */
  backend: string;
}

/** Write the model file, unless the run failed (a failed run may hold broken weights: keep the old file). */
function saveModel({ cfg, data, model, history, test, watch, backend }: FinishedRun): void {
  const bytes = encodeModel(model, {
    loss: cfg.loss,
    task: data.train.task,
    classes: data.train.classes,
    featureNames: data.train.featureNames,
    target: cfg.data.source.kind === "csv" ? cfg.data.source.target : undefined,
    impute: data.impute,
    normalizer: { mode: data.normalizer.mode, offset: data.normalizer.offset, scale: data.normalizer.scale },
    optimizer: {
      type: cfg.optimizer.type,
      lr: cfg.optimizer.lr,
      options: cfg.optimizer.options,
      state: history.optimizerState,
    },
    training: {
      config: cfg.raw,
      // Where the kernels ran (flags included), so that eval and predict run there too by default.
      backend,
      epochs: history.epochs.map((e) => ({
        epoch: e.epoch,
        train: e.train,
        validation: e.validation,
        lr: e.lr,
        seconds: e.seconds,
      })),
      test,
      stopReason: history.stopReason,
      failed: history.failed,
      health: { events: watch.healthEvents, statistics: watch.monitor?.statistics() },
    },
  });
  if (history.failed)
    process.stderr.write(`homeostat: training failed: ${history.failed}\nThe model was not saved.\n`);
  else writeFileAtomic(cfg.out, bytes);
}

function trainSummary(run: FinishedRun, command: string, wallSeconds: number): TrainSummary {
  const { cfg, data, model, history, test } = run;
  const last = history.epochs[history.epochs.length - 1];
  return {
    command,
    data: data.description,
    test: { ...test, samples: data.test.n },
    train: last ? last.train : { loss: NaN },
    epochs: history.epochs.length,
    steps: history.steps,
    samplesPerSecond: history.samplesPerSecond,
    backend: run.backend,
    wallSeconds,
    parameters: model.parameterCount(),
    // A failed run saved nothing, so its summary names no model file.
    model: history.failed ? undefined : cfg.out,
    stopReason: history.stopReason,
    failed: history.failed,
    health: {
      events: run.watch.healthEvents.map((e) => ({
        step: e.step,
        kind: e.kind,
        layer: e.layer,
        evidence: e.evidence,
        diagnosis: e.diagnosis,
        action: e.action,
        repaired: e.repaired ?? false,
      })),
    },
    record: recordPathFor(cfg.out),
    report: cfg.report,
  };
}

/** The run record beside the model (for failed runs too: they are the ones worth looking at), and the report. */
function writeRecord({ cfg, test, watch }: FinishedRun, command: string, summary: TrainSummary): void {
  const record = {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    command,
    createdAt: new Date().toISOString(),
    config: cfg.raw,
    steps: watch.recorder.steps.series(),
    epochs: watch.recorder.epochs,
    test,
    health: recordedHealth(watch),
    summary: { ...summary, health: undefined },
  } as const;
  writeRunRecord(summary.record, record);
  if (cfg.report) writeReport(cfg.report, [summary.record], [record]);
}

/** The monitor's statistics and every event (the vitals loop's too, also with the monitor off). */
function recordedHealth({ monitor, healthEvents: events }: Watch) {
  if (monitor) return { ...monitor.statistics(), events };
  return events.length > 0 ? { checkEvery: 0, points: [], events } : undefined;
}

function printResult(ui: Ui, { cfg, data, history, test }: FinishedRun, summary: TrainSummary): void {
  if (history.stopReason) ui.say(history.stopReason);
  const testLine =
    test.accuracy !== undefined
      ? `test accuracy ${pct(test.accuracy)}  loss ${test.loss.toFixed(4)}`
      : `test mse ${test.mse?.toPrecision(4)}  mae ${test.mae?.toPrecision(4)}  loss ${test.loss.toPrecision(4)}`;
  ui.say(`${testLine}  (${fmtInt(data.test.n)} held-out samples)`);
  const saved = history.failed ? "model not saved" : `model saved to ${displayPath(cfg.out)}`;
  ui.say(
    `trained in ${history.seconds.toFixed(1)} s (${fmtInt(history.samplesPerSecond)} samples/s), ${summary.wallSeconds.toFixed(1)} s in all · ${saved}`,
  );
  ui.say(
    `run record ${displayPath(summary.record)}${cfg.report ? ` · report ${displayPath(cfg.report)}` : ""}`,
  );
}
