import { readFileSync } from "node:fs";
import type { CsvOptions } from "../data/csv.js";
import { loadCsv, loadIdxDataset } from "../data/files.js";
import { type Dataset, oneHot, splitDataset } from "../data/dataset.js";
import { columnIndex, fillMissing, numericColumns, readTable } from "../data/rows.js";
import { loadBundledMnist } from "../data/mnist.js";
import { applyNormalizer, type NormalizeMode, type Normalizer, normalizeRows } from "../data/normalize.js";
import { useBackend } from "../backend/index.js";
import { readModelBytes } from "../io/atomic.js";
import { decodeModel, type LoadedModel } from "../io/model.js";
import { lossByName } from "../losses/losses.js";
import { DataError, fileErrorWords, ShapeError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import { evaluate, predict } from "../train/evaluate.js";
import { loadRunConfig } from "./config.js";
import { toTensors } from "./data.js";
import { UsageError } from "./args.js";
import { fmtInt, pct, type Ui } from "./ui.js";

/** The kernels a command was asked for on its command line (--backend, --threads). */
export interface KernelChoice {
  backend?: string;
  threads?: number;
}

/**
 * Where eval and predict run: --backend and --threads; else where the run that trained the model ran
 * (saved in the model file; "wasm" read as auto, so that a machine without WebAssembly SIMD still
 * evaluates it); else what the run config named with --config says; else auto. Backends round float32
 * in different orders, so evaluating where the model was trained reproduces the metrics it reported.
 */
function chooseKernels(flags: KernelChoice, m: LoadedModel, configPath?: string): string {
  const cfg = configPath ? loadRunConfig(configPath) : null;
  const raw = (m.training?.config ?? {}) as { backend?: unknown; threads?: unknown };
  const trained = m.training?.backend ?? raw.backend;
  const savedBackend =
    trained === "js" ? "js" : trained === "wasm" || trained === "auto" ? "auto" : undefined;
  const savedThreads =
    typeof raw.threads === "number" && Number.isInteger(raw.threads) && raw.threads >= 1
      ? raw.threads
      : undefined;
  return useBackend(flags.backend ?? savedBackend ?? cfg?.backend ?? "auto", {
    threads: flags.threads ?? savedThreads ?? cfg?.threads,
  }).name;
}

export function loadModelFile(path: string): LoadedModel {
  return decodeModel(readModelBytes(path), path);
}

function normalizerOf(m: LoadedModel): Normalizer {
  const n = m.normalizer ?? {
    mode: "none",
    offset: new Float32Array(m.model.inputDim),
    scale: new Float32Array(m.model.inputDim).fill(1),
  };
  return { ...n, mode: n.mode as NormalizeMode };
}

export interface EvalSource {
  data?: string;
  target?: string;
  images?: string;
  labels?: string;
  config?: string;
}

/** The target column's name the model was trained with, where known. */
function targetOf(m: LoadedModel): string | undefined {
  return m.target ?? (m.training?.config as { data?: { target?: string } } | undefined)?.data?.target;
}

/** How eval and predict read a CSV for this model: its features and classes by name, its imputation. */
function csvFor(m: LoadedModel, target: string, task: CsvOptions["task"]): CsvOptions {
  return {
    target,
    task: m.task ?? task,
    features: m.featureNames,
    classes: m.classes,
    missing: m.impute ? "keep" : "error",
  };
}

/** Fill missing values as training did (a model trained without imputation refused them on reading). */
function imputeAsTrained(m: LoadedModel, ds: Dataset): Dataset {
  if (m.impute) fillMissing(ds.x, ds.inputDim, m.impute.values);
  return ds;
}

/**
 * A data set whose labels index its own `classes` (IDX, MNIST) relabelled to the model's classes, by
 * name, so that a model trained on some of the digits evaluates on files that hold any of them.
 */
function toModelClasses(ds: Dataset, m: LoadedModel, description: string): Dataset {
  const known = m.classes;
  if (
    !known ||
    !ds.classes ||
    !ds.labels ||
    (known.length === ds.classes.length && known.every((c, i) => c === ds.classes![i]))
  )
    return ds;
  const index = ds.classes.map((c) => known.indexOf(c));
  const labels = new Int32Array(ds.n);
  for (let r = 0; r < ds.n; r++) {
    const c = index[ds.labels[r]];
    if (c < 0)
      throw new DataError(
        `${description}: row ${r + 1} has the label ${JSON.stringify(ds.classes[ds.labels[r]])}, which is not one of the model's classes (${known.map((k) => JSON.stringify(k)).join(", ")})`,
        { file: description },
      );
    labels[r] = c;
  }
  return { ...ds, labels, classes: [...known], outputDim: known.length, y: oneHot(labels, known.length) };
}

/** The raw (unnormalised) evaluation set named on the command line. */
function evalDataset(src: EvalSource, m: LoadedModel): { ds: Dataset; description: string } {
  const given = [
    src.config && "--config",
    src.data && "--data",
    (src.images || src.labels) && "--images/--labels",
  ].filter(Boolean);
  if (given.length > 1) throw new UsageError(`eval takes one source of data; got ${given.join(" and ")}`);
  if (src.config) {
    if (src.target)
      throw new UsageError(
        "--target goes with --data FILE.csv; with --config the run config names the target",
      );
    const cfg = loadRunConfig(src.config);
    const s = cfg.data.source;
    if (s.kind === "mnist")
      return { ds: loadBundledMnist().test, description: "bundled MNIST test split (2,000 digits)" };
    if (s.kind === "csv") {
      if (s.test)
        return { ds: imputeAsTrained(m, loadCsv(s.test, csvFor(m, s.target, s.task))), description: s.test };
      const full = imputeAsTrained(m, loadCsv(s.path, csvFor(m, s.target, s.task)));
      return {
        ds: splitDataset(full, { testFraction: cfg.data.testSplit, seed: cfg.seed }).test,
        description: `${s.path} (held-out split)`,
      };
    }
    if (s.test) return { ds: loadIdxDataset(s.test.images, s.test.labels), description: s.test.images };
    return {
      ds: splitDataset(loadIdxDataset(s.images, s.labels), {
        testFraction: cfg.data.testSplit,
        seed: cfg.seed,
      }).test,
      description: `${s.images} (held-out split)`,
    };
  }
  if (src.images || src.labels) {
    if (!src.images || !src.labels) throw new UsageError("--images and --labels go together");
    return { ds: loadIdxDataset(src.images, src.labels), description: src.images };
  }
  if (!src.data)
    throw new UsageError(
      "eval needs data: --data mnist, --data FILE.csv [--target COLUMN], --images F --labels F, or --config run.json",
    );
  if (src.data === "mnist")
    return { ds: loadBundledMnist().test, description: "bundled MNIST test split (2,000 digits)" };
  const target = src.target ?? targetOf(m);
  if (!target) throw new UsageError("--target: name the CSV column that holds the targets");
  return { ds: imputeAsTrained(m, loadCsv(src.data, csvFor(m, target, "auto"))), description: src.data };
}

export function runEval(
  modelPath: string,
  src: EvalSource,
  ui: Ui,
  kernels: KernelChoice = {},
): Record<string, unknown> {
  const started = performance.now();
  const m = loadModelFile(modelPath);
  const backend = chooseKernels(kernels, m, src.config);
  const { ds: read, description } = evalDataset(src, m);
  const raw = toModelClasses(read, m, description);
  if (raw.inputDim !== m.model.inputDim) {
    throw new ShapeError(
      `${description}: the data has ${raw.inputDim} features per row but the model expects ${m.model.inputDim}`,
    );
  }
  const imageShape = m.model.inputShape.length > 1 ? m.model.inputShape : null;
  if (imageShape && raw.shape && `${raw.shape}` !== `${imageShape}`) {
    throw new ShapeError(
      `${description}: the data's images are [${raw.shape.join(", ")}] but the model reads [${imageShape.join(", ")}] (height, width, channels)`,
    );
  }
  if (raw.outputDim !== m.model.outputDim) {
    throw new ShapeError(
      `${description}: the data has ${raw.outputDim} target columns/classes but the model has ${m.model.outputDim} outputs`,
    );
  }
  const ds = applyNormalizer(normalizerOf(m), raw);
  // A model imported from ONNX or TF.js carries no loss: take the one its output layer implies.
  const act = m.model.outputActivation();
  const loss = lossByName(
    m.loss ?? (act === "softmax" ? "crossEntropy" : act === "sigmoid" ? "binaryCrossEntropy" : "mse"),
  );
  const metrics = ds.task === "classification" ? (["accuracy"] as const) : (["mse", "mae"] as const);
  const t0 = performance.now();
  const result = evaluate(m.model, toTensors(ds), { loss, metrics });
  const seconds = (performance.now() - t0) / 1000;
  const wallSeconds = (performance.now() - started) / 1000;
  ui.say(`Homeostat · eval · ${modelPath} on ${description} · ${backend} backend`);
  ui.say(
    result.accuracy !== undefined
      ? `accuracy ${pct(result.accuracy)}  loss ${result.loss.toFixed(4)}  (${fmtInt(ds.n)} samples)`
      : `mse ${result.mse?.toPrecision(4)}  mae ${result.mae?.toPrecision(4)}  loss ${result.loss.toPrecision(4)}  (${fmtInt(ds.n)} samples)`,
  );
  const summary = {
    command: "eval",
    test: { ...result, samples: ds.n },
    samplesPerSecond: ds.n / Math.max(seconds, 1e-9),
    backend,
    wallSeconds,
    model: modelPath,
    data: description,
  };
  ui.result(summary);
  return summary;
}

/** The text of a file argument, or standard input for "-"; a path that cannot be read is the user's mistake. */
function readInput(path: string): { text: string; name: string } {
  const name = path === "-" ? "standard input" : path;
  try {
    return { text: readFileSync(path === "-" ? 0 : path, "utf8"), name };
  } catch (e) {
    throw new DataError(`${name}: cannot read the input: ${fileErrorWords(e)}`, { file: name });
  }
}

/**
 * The rows to predict as the model's n × inputDim matrix: a CSV (header optional) or JSON (rows as arrays
 * or as objects keyed by feature name; an array, or JSON Lines), columns matched by the model's feature
 * names whenever the input names its columns.
 */
function predictionRows(path: string, m: LoadedModel): { x: Float32Array; n: number } {
  const { text, name } = readInput(path);
  const table = readTable(text, name, "auto");
  if (table.rows.length === 0)
    throw new DataError(`${name}: no rows to predict (only a header)`, { file: name });
  const d = m.model.inputDim;
  // A model imported from ONNX or TF.js knows no feature names: its inputs can only be read by position.
  const names = m.featureNames ?? Array.from({ length: d }, (_, i) => `input ${i + 1}`);
  const byPosition = m.featureNames ? table : { ...table, names: undefined };
  const target = targetOf(m);
  const cols = columnIndex(byPosition, names, target === undefined ? [] : [target]);
  const hint = m.impute ? "" : "the model was trained without imputation, so every feature needs a value";
  const x = numericColumns(byPosition, cols, names, m.impute ? "keep" : "error", hint);
  if (m.impute) fillMissing(x, d, m.impute.values);
  return { x, n: table.rows.length };
}

export function runPredict(
  modelPath: string,
  input: string,
  ui: Ui,
  kernels: KernelChoice = {},
): Record<string, unknown> {
  const m = loadModelFile(modelPath);
  const backend = chooseKernels(kernels, m);
  const { x, n } = predictionRows(input, m);
  const d = m.model.inputDim;
  const out = predict(m.model, new Tensor(normalizeRows(normalizerOf(m), x), [n, d]));
  const k = m.model.outputDim;
  const predictions = Array.from({ length: n }, (_, i) => {
    const output = Array.from(out.data.subarray(i * k, (i + 1) * k));
    if (m.task !== "classification")
      return k === 1 ? { row: i + 1, value: output[0], output } : { row: i + 1, value: output, output };
    let best = 0;
    output.forEach((v, j) => {
      if (v > output[best]) best = j;
    });
    return { row: i + 1, label: m.classes?.[best] ?? String(best), probability: output[best], output };
  });
  for (const p of predictions) {
    if ("label" in p) ui.say(`row ${p.row}: ${p.label}  (p = ${p.probability!.toFixed(4)})`);
    else ui.say(`row ${p.row}: ${p.output.map((v) => v.toPrecision(6)).join(", ")}`);
  }
  const summary = { command: "predict", model: modelPath, backend, predictions };
  ui.result(summary);
  return summary;
}
