import { readFileSync } from "node:fs";
import { loadCsv, parseNumberCell } from "../data/csv.js";
import { type Dataset, splitDataset } from "../data/dataset.js";
import { loadIdxDataset } from "../data/idx.js";
import { loadBundledMnist } from "../data/mnist.js";
import { applyNormalizer, type NormalizeMode, type Normalizer, normalizeRows } from "../data/normalize.js";
import { useBackend } from "../backend/index.js";
import { readModelBytes } from "../io/atomic.js";
import { decodeModel, type LoadedModel } from "../io/model.js";
import { lossByName } from "../losses/losses.js";
import { DataError, ShapeError } from "../tensor/errors.js";
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
  const savedBackend = trained === "js" ? "js" : trained === "wasm" || trained === "auto" ? "auto" : undefined;
  const savedThreads = typeof raw.threads === "number" && Number.isInteger(raw.threads) && raw.threads >= 1 ? raw.threads : undefined;
  return useBackend(flags.backend ?? savedBackend ?? cfg?.backend ?? "auto", { threads: flags.threads ?? savedThreads ?? cfg?.threads }).name;
}

export function loadModelFile(path: string): LoadedModel {
  return decodeModel(readModelBytes(path), path);
}

function normalizerOf(m: LoadedModel): Normalizer {
  const n = m.normalizer ?? { mode: "none", offset: new Float32Array(m.model.inputDim), scale: new Float32Array(m.model.inputDim).fill(1) };
  return { ...n, mode: n.mode as NormalizeMode };
}

export interface EvalSource {
  data?: string;
  target?: string;
  images?: string;
  labels?: string;
  config?: string;
}

/** The raw (unnormalised) evaluation set named on the command line. */
function evalDataset(src: EvalSource, m: LoadedModel): { ds: Dataset; description: string } {
  if (src.config) {
    const cfg = loadRunConfig(src.config);
    const s = cfg.data.source;
    if (s.kind === "mnist") return { ds: loadBundledMnist().test, description: "bundled MNIST test split (2,000 digits)" };
    if (s.kind === "csv") {
      if (s.test) return { ds: loadCsv(s.test, { target: s.target, task: m.task ?? s.task }), description: s.test };
      return { ds: splitDataset(loadCsv(s.path, { target: s.target, task: s.task }), { testFraction: cfg.data.testSplit, seed: cfg.seed }).test, description: `${s.path} (held-out split)` };
    }
    if (s.test) return { ds: loadIdxDataset(s.test.images, s.test.labels), description: s.test.images };
    return { ds: splitDataset(loadIdxDataset(s.images, s.labels), { testFraction: cfg.data.testSplit, seed: cfg.seed }).test, description: `${s.images} (held-out split)` };
  }
  if (src.images || src.labels) {
    if (!src.images || !src.labels) throw new UsageError("--images and --labels go together");
    return { ds: loadIdxDataset(src.images, src.labels), description: src.images };
  }
  if (!src.data) throw new UsageError("eval needs data: --data mnist, --data FILE.csv [--target COLUMN], --images F --labels F, or --config run.json");
  if (src.data === "mnist") return { ds: loadBundledMnist().test, description: "bundled MNIST test split (2,000 digits)" };
  const savedTarget = ((m.training?.config as { data?: { target?: string } } | undefined)?.data?.target);
  const target = src.target ?? savedTarget;
  if (!target) throw new UsageError("--target: name the CSV column that holds the targets");
  return { ds: loadCsv(src.data, { target, task: m.task ?? "auto" }), description: src.data };
}

export function runEval(modelPath: string, src: EvalSource, ui: Ui, kernels: KernelChoice = {}): Record<string, unknown> {
  const started = performance.now();
  const m = loadModelFile(modelPath);
  const backend = chooseKernels(kernels, m, src.config);
  const { ds: raw, description } = evalDataset(src, m);
  if (raw.inputDim !== m.model.inputDim) {
    throw new ShapeError(`${description}: the data has ${raw.inputDim} features per row but the model expects ${m.model.inputDim}`);
  }
  if (raw.outputDim !== m.model.outputDim) {
    throw new ShapeError(`${description}: the data has ${raw.outputDim} target columns/classes but the model has ${m.model.outputDim} outputs`);
  }
  const ds = applyNormalizer(normalizerOf(m), raw);
  // A model imported from ONNX or TF.js carries no loss: take the one its output layer implies.
  const act = m.model.outputActivation();
  const loss = lossByName(m.loss ?? (act === "softmax" ? "crossEntropy" : act === "sigmoid" ? "binaryCrossEntropy" : "mse"));
  const metrics = ds.task === "classification" ? (["accuracy"] as const) : (["mse", "mae"] as const);
  const t0 = performance.now();
  const result = evaluate(m.model, toTensors(ds), { loss, metrics });
  const seconds = (performance.now() - t0) / 1000;
  const wallSeconds = (performance.now() - started) / 1000;
  ui.say(`Homeostat · eval · ${modelPath} on ${description} · ${backend} backend`);
  ui.say(result.accuracy !== undefined
    ? `accuracy ${pct(result.accuracy)}  loss ${result.loss.toFixed(4)}  (${fmtInt(ds.n)} samples)`
    : `mse ${result.mse?.toPrecision(4)}  mae ${result.mae?.toPrecision(4)}  loss ${result.loss.toPrecision(4)}  (${fmtInt(ds.n)} samples)`);
  const summary = { command: "eval", test: { ...result, samples: ds.n }, samplesPerSecond: ds.n / Math.max(seconds, 1e-9), backend, wallSeconds, model: modelPath, data: description };
  ui.result(summary);
  return summary;
}

/** Rows to predict: a CSV (header optional) or a JSON array of arrays. */
function readRows(path: string): number[][] {
  const text = readFileSync(path === "-" ? 0 : path, "utf8");
  const name = path === "-" ? "standard input" : path;
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    let v: unknown;
    try { v = JSON.parse(trimmed); } catch (e) { throw new DataError(`${name}: not valid JSON (${(e as Error).message})`, { file: name }); }
    const rows = Array.isArray(v) && v.every((r) => Array.isArray(r)) ? (v as unknown[][]) : Array.isArray(v) ? [v as unknown[]] : null;
    if (!rows) throw new DataError(`${name}: expected an array of rows (arrays of numbers)`, { file: name });
    return rows.map((r, i) => r.map((c, j) => {
      if (typeof c !== "number" || !Number.isFinite(c)) throw new DataError(`${name}: row ${i + 1}, value ${j + 1}: expected a number, got ${JSON.stringify(c)}`, { file: name });
      return c;
    }));
  }
  const lines = text.split(/\r?\n/);
  const rows: number[][] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const cells = line.split(",");
    const nums = cells.map((c) => parseNumberCell(c.trim()));
    if (rows.length === 0 && i === 0 && nums.some((n) => n === undefined)) return; // a header row
    nums.forEach((n, j) => {
      if (n === undefined) throw new DataError(`${name}:${i + 1}: value ${j + 1}: expected a number, got ${JSON.stringify(cells[j])}`, { file: name, line: i + 1 });
    });
    rows.push(nums as number[]);
  });
  if (rows.length === 0) throw new DataError(`${name}: no rows to predict`, { file: name });
  return rows;
}

export function runPredict(modelPath: string, input: string, ui: Ui, kernels: KernelChoice = {}): Record<string, unknown> {
  const m = loadModelFile(modelPath);
  const backend = chooseKernels(kernels, m);
  const rows = readRows(input);
  const d = m.model.inputDim;
  rows.forEach((r, i) => {
    if (r.length !== d) throw new ShapeError(`${input === "-" ? "standard input" : input}: row ${i + 1} has ${r.length} values but the model expects ${d} features`);
  });
  const x = new Float32Array(rows.length * d);
  rows.forEach((r, i) => x.set(r, i * d));
  const out = predict(m.model, new Tensor(normalizeRows(normalizerOf(m), x), [rows.length, d]));
  const k = m.model.outputDim;
  const predictions = rows.map((_, i) => {
    const values = Array.from(out.data.subarray(i * k, (i + 1) * k));
    if (m.task !== "classification") return { output: values };
    let best = 0;
    values.forEach((v, j) => { if (v > values[best]) best = j; });
    return { class: m.classes?.[best] ?? String(best), probability: values[best], output: values };
  });
  predictions.forEach((p, i) => {
    if ("class" in p) ui.say(`row ${i + 1}: ${p.class}  (p = ${p.probability!.toFixed(4)})`);
    else ui.say(`row ${i + 1}: ${p.output.map((v) => v.toPrecision(6)).join(", ")}`);
  });
  const summary = { command: "predict", model: modelPath, backend, predictions };
  ui.result(summary);
  return summary;
}
