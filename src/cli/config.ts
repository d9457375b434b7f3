import { readFileSync } from "node:fs";
import { type DetectorChoice, detectors } from "../health/index.js";
import { parseRegulators, type RegulatorChoice } from "../homeostasis/config.js";
import { basename, dirname, extname, resolve } from "node:path";
import type { Choice } from "../config/registry.js";
import { layerFromConfig } from "../nn/layer-kinds.js";
import type { Layer } from "../nn/layer.js";
import { resolveInit } from "../nn/init.js";
import { type LossName, losses } from "../losses/losses.js";
import { optimizerFromConfig, type Optimizer } from "../optim/optimizers.js";
import { scheduleFromConfig } from "../optim/schedules.js";
import type { ReduceOnPlateau, Schedule } from "../optim/schedules.js";
import { ConfigError, fileErrorWords } from "../tensor/errors.js";
import { type DataConfig, parseData } from "./data-config.js";
import {
  checkKeys,
  describe,
  expectObject,
  optBoolean,
  optNumber,
  optString,
  type Obj,
  reqNumber,
} from "../tensor/fields.js";
import type { EarlyStoppingOptions } from "../train/observers.js";

export type { DataConfig, DataSource } from "./data-config.js";

/** A run config after validation, with defaults filled in. */
export interface RunConfig {
  seed: number;
  data: DataConfig;
  layers: Layer[];
  layerConfigs: unknown[];
  /** The loss's name (a built-in's or one a plugin registered); `lossChoice` has its options too. */
  loss: LossName | (string & {});
  lossChoice: Choice;
  optimizer: Optimizer;
  optimizerConfig: unknown;
  schedule?: Schedule;
  plateau?: ReduceOnPlateau;
  clip?: { norm?: number; value?: number };
  epochs: number;
  batchSize: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Image sides and channels left out come from the data's shape (else 28×28×1) when training starts. */
  augment?: { shift: number; width?: number; height?: number; channels?: number; flip: boolean };
  checkpoint?: { every: number; keep: number; dir: string };
  /**
   * The health monitor: on by default in the CLI, repairing. `detectors`, when given, are the detectors to
   * run, as written (names or `{type, ...options}`, checked against the `detectors` registry); absent: the
   * built-in ones.
   */
  health: { monitor: boolean; repair: boolean; detectors?: DetectorChoice[] };
  /** Plugin modules (absolute paths) whose kinds the config may name; see plugins.ts. */
  plugins: string[];
  /** Homeostatic regulators acting during training (see src/homeostasis). */
  homeostasis: RegulatorChoice[];
  out: string;
  /** Where to write the HTML report of the run, if anywhere. */
  report?: string;
  /** "auto" (wasm where it loads, else js), "js" or "wasm". */
  backend: string;
  /** Threads for large matrix products on the wasm backend; the cores available when absent. */
  threads?: number;
  /** The config as written (for the run record), and the folder its relative paths start from. */
  raw: Obj;
  baseDir: string;
  /** Where outputs the config does not place go (see `defaultRunDir`); checkpoints keep it for a resume. */
  runDir: string;
}

const TOP_KEYS = [
  "$schema",
  "description",
  "seed",
  "data",
  "model",
  "loss",
  "optimizer",
  "schedule",
  "clip",
  "epochs",
  "batchSize",
  "earlyStopping",
  "augment",
  "checkpoint",
  "health",
  "homeostasis",
  "out",
  "backend",
  "threads",
  "report",
  "plugins",
];

/**
 * Where a run's outputs go when its config does not say: `runs/<config file's base name>/` under the
 * working directory (as `demo mnist` writes runs/mnist/), so that running a bundled example writes
 * nothing into examples/ or a clone's root. A relative `out`, `report` or `checkpoint.dir` written in the
 * config still resolves against the config's folder, as data paths do: a config that names its outputs
 * keeps them where its author put them, from whichever folder it is run.
 */
export function defaultRunDir(configPath: string): string {
  return resolve("runs", basename(configPath, extname(configPath)) || "run");
}

/** A run config file's JSON (train or continual); unreadable files and bad JSON name the file (and line). */
export function readConfigJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${path}: cannot read the run config: ${fileErrorWords(e)}`, { file: path });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split("\n").length : undefined;
    throw new ConfigError(`${path}${line ? `:${line}` : ""}: not valid JSON (${(e as Error).message})`, {
      file: path,
      line,
    });
  }
}

/**
 * Read and validate a run config file. Every problem is a ConfigError naming the file and field.
 * Kinds from the config's `plugins` must be registered first (`loadRunConfigWithPlugins`).
 */
export function loadRunConfig(path: string, raw: unknown = readConfigJson(path)): RunConfig {
  return inConfigFile(path, () => parseRunConfig(raw, dirname(resolve(path)), defaultRunDir(path)));
}

/** Run `read` and name `path` in any ConfigError it throws. */
function inConfigFile<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw namingFile(e, path);
  }
}

/** A ConfigError prefixed with the config file's path; other errors as they are. */
export function namingFile(e: unknown, path: string): unknown {
  return e instanceof ConfigError
    ? new ConfigError(`${path}: ${e.message}`, { ...e.location, file: path })
    : e;
}

/**
 * Validate a run config object; relative paths are resolved against `baseDir`, and the outputs it does
 * not place go into `runDir` (default: `baseDir`).
 */
export function parseRunConfig(raw0: unknown, baseDir: string, runDir = baseDir): RunConfig {
  const raw = expectObject(raw0, "config");
  checkKeys(raw, TOP_KEYS, "");
  const seed = optNumber(raw, "seed", "", { integer: true, min: 0 }) ?? 0;
  const model = expectObject(raw.model, "model");
  checkKeys(model, ["layers", "init"], "model");
  const init = optString(model, "init", "model");
  if (init !== undefined) resolveInit(init, "model.init");
  if (!Array.isArray(model.layers) || model.layers.length === 0) {
    throw new ConfigError(
      `model.layers: expected a non-empty array of layers, got ${describe(model.layers)}`,
      { field: "model.layers" },
    );
  }
  const layerConfigs = model.layers as unknown[];
  const layers = layerConfigs.map((l, i) => layerFromConfig(l, `model.layers[${i}]`, { init }));
  if (raw.loss === undefined)
    throw new ConfigError(`loss: missing; expected one of ${losses.names().join(", ")}`, { field: "loss" });
  const lossChoice = losses.parse(raw.loss, "loss");
  losses.create(lossChoice, undefined, "loss");
  if (raw.optimizer === undefined)
    throw new ConfigError(`optimizer: missing; expected an object such as {"type":"adam","lr":0.001}`, {
      field: "optimizer",
    });
  const optimizer = optimizerFromConfig(raw.optimizer, "optimizer");
  let schedule: Schedule | undefined;
  let plateau: ReduceOnPlateau | undefined;
  if (raw.schedule !== undefined) {
    const s = scheduleFromConfig(raw.schedule, "schedule");
    if (s.kind === "plateau") plateau = s.plateau;
    else schedule = s.schedule;
  }
  let clip: RunConfig["clip"];
  if (raw.clip !== undefined) {
    const c = expectObject(raw.clip, "clip");
    checkKeys(c, ["norm", "value"], "clip");
    clip = {
      norm: optNumber(c, "norm", "clip", { above: 0 }),
      value: optNumber(c, "value", "clip", { above: 0 }),
    };
  }
  let earlyStopping: EarlyStoppingOptions | undefined;
  if (raw.earlyStopping !== undefined) {
    const e = expectObject(raw.earlyStopping, "earlyStopping");
    checkKeys(e, ["monitor", "patience", "minDelta", "restoreBestWeights"], "earlyStopping");
    earlyStopping = {
      monitor: optString(e, "monitor", "earlyStopping", [
        "train.loss",
        "validation.loss",
        "train.accuracy",
        "validation.accuracy",
      ]),
      patience: optNumber(e, "patience", "earlyStopping", { integer: true, min: 1 }),
      minDelta: optNumber(e, "minDelta", "earlyStopping", { min: 0 }),
      restoreBestWeights: optBoolean(e, "restoreBestWeights", "earlyStopping"),
    };
  }
  let augment: RunConfig["augment"];
  if (raw.augment !== undefined) {
    const a = expectObject(raw.augment, "augment");
    checkKeys(a, ["shift", "width", "height", "channels", "flip"], "augment");
    augment = {
      shift: reqNumber(a, "shift", "augment", { integer: true, min: 0, max: 8 }),
      width: optNumber(a, "width", "augment", { integer: true, min: 1 }),
      height: optNumber(a, "height", "augment", { integer: true, min: 1 }),
      channels: optNumber(a, "channels", "augment", { integer: true, min: 1 }),
      flip: optBoolean(a, "flip", "augment") ?? false,
    };
  }
  const checkpoint = parseCheckpoint(raw.checkpoint, baseDir, runDir);
  return {
    seed,
    checkpoint,
    health: parseHealth(raw.health),
    homeostasis: parseRegulators(raw.homeostasis),
    plugins: pluginPaths(raw.plugins, baseDir),
    data: parseData(raw.data, baseDir),
    layers,
    layerConfigs,
    loss: lossChoice.type,
    lossChoice,
    optimizer,
    optimizerConfig: raw.optimizer,
    schedule,
    plateau,
    clip,
    epochs: reqNumber(raw, "epochs", "", { integer: true, min: 1 }),
    batchSize: optNumber(raw, "batchSize", "", { integer: true, min: 1 }) ?? 32,
    earlyStopping,
    augment,
    out: outputPath(optString(raw, "out", ""), baseDir, resolve(runDir, "model.hmst")),
    report: reportPath(optString(raw, "report", ""), baseDir),
    backend: optString(raw, "backend", "", ["auto", "js", "wasm"]) ?? "auto",
    threads: optNumber(raw, "threads", "", { integer: true, min: 1 }),
    raw,
    baseDir,
    runDir,
  };
}

/** The `plugins` of a config: module paths (relative to the config's folder), resolved. */
export function pluginPaths(raw: unknown, baseDir: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new ConfigError(
      `plugins: expected an array of module paths (["./my-kinds.js"]), got ${describe(raw)}`,
      {
        field: "plugins",
      },
    );
  return raw.map((p, i) => {
    if (typeof p !== "string" || p === "")
      throw new ConfigError(`plugins[${i}]: expected a module path, got ${describe(p)}`, {
        field: `plugins[${i}]`,
      });
    return resolve(baseDir, p);
  });
}

/** A path the config names (relative to its folder), else the default. */
export const outputPath = (written: string | undefined, baseDir: string, otherwise: string): string =>
  written === undefined ? otherwise : resolve(baseDir, written);

/** The `report` a config names: an HTML file, relative to the config's folder. */
export function reportPath(report: string | undefined, baseDir: string): string | undefined {
  if (report === undefined) return undefined;
  if (!/\.html?$/i.test(report))
    throw new ConfigError(`report: expected the path of an HTML file ("run.html"), got ${describe(report)}`, {
      field: "report",
    });
  return resolve(baseDir, report);
}

/**
 * The `checkpoint` section of a run config (train and continual): a folder it names is resolved against
 * `baseDir`; without one, checkpoints go to `runDir`/checkpoints.
 */
export function parseCheckpoint(
  raw: unknown,
  baseDir: string,
  runDir: string,
): { every: number; keep: number; dir: string } | undefined {
  if (raw === undefined) return undefined;
  const c = expectObject(raw, "checkpoint");
  checkKeys(c, ["every", "keep", "dir"], "checkpoint");
  return {
    every: reqNumber(c, "every", "checkpoint", { integer: true, min: 1 }),
    keep: optNumber(c, "keep", "checkpoint", { integer: true, min: 1 }) ?? 3,
    dir: outputPath(optString(c, "dir", "checkpoint"), baseDir, resolve(runDir, "checkpoints")),
  };
}

/** The `health` section: monitor and repair on unless turned off; detectors checked against the registry. */
function parseHealth(raw: unknown): RunConfig["health"] {
  if (raw === undefined) return { monitor: true, repair: true };
  const h = expectObject(raw, "health");
  checkKeys(h, ["monitor", "repair", "detectors"], "health");
  const health: RunConfig["health"] = {
    monitor: optBoolean(h, "monitor", "health") ?? true,
    repair: optBoolean(h, "repair", "health") ?? true,
  };
  if (h.detectors === undefined) return health;
  if (!Array.isArray(h.detectors))
    throw new ConfigError(
      `health.detectors: expected a list of detectors like ["nonFinite", {"type": "dyingRelu", "deadFraction": 0.8}]; types: ${detectors.names().join(", ")}`,
      { field: "health.detectors" },
    );
  // Validated here, so a bad name or option stops the run before it starts; kept as written, so options
  // left out still come from the monitor's thresholds (healthMonitor).
  for (const [i, d] of h.detectors.entries()) detectors.parse(d, `health.detectors[${i}]`);
  return { ...health, detectors: h.detectors as DetectorChoice[] };
}
