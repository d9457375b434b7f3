/**
 * The training sections of a run config — model, loss, optimiser, schedule, clipping, epochs, early
 * stopping, augmentation, health, homeostasis, backend — read and checked here, with no file system: the
 * CLI's `train` (src/cli/config.ts, which adds data files, outputs, checkpoints and plugins) and a
 * browser's training job (src/web/training-job.ts) read them with this same code, so they accept the
 * same keys and refuse a bad one with the same message.
 */
import type { Choice } from "../config/registry.js";
import { type DetectorChoice, detectors } from "../health/index.js";
import { parseRegulators, type RegulatorChoice, withVitals } from "../homeostasis/config.js";
import { losses } from "../losses/losses.js";
import { resolveInit } from "../nn/init.js";
import type { Layer } from "../nn/layer.js";
import { layerFromConfig } from "../nn/layer-kinds.js";
import { type Optimizer, optimizerFromConfig } from "../optim/optimizers.js";
import { type ReduceOnPlateau, type Schedule, scheduleFromConfig } from "../optim/schedules.js";
import { ConfigError } from "../tensor/errors.js";
import {
  checkKeys,
  describe,
  expectObject,
  type Obj,
  optBoolean,
  optNumber,
  optString,
  reqNumber,
} from "../tensor/fields.js";
import type { EarlyStoppingOptions } from "../train/observers.js";

/** The run-config keys read here (`model` included; `readModelSection` reads it). */
export const TRAINING_KEYS = [
  "seed",
  "model",
  "loss",
  "optimizer",
  "schedule",
  "clip",
  "epochs",
  "batchSize",
  "earlyStopping",
  "augment",
  "health",
  "homeostasis",
  "vitals",
  "backend",
  "threads",
] as const;

/** Random turns and zooms, shifts (and flips) of channels-last image rows, as a run config's `augment` asks. */
export interface AugmentConfig {
  shift: number;
  /** Largest turn either way, degrees (0: none). */
  rotate: number;
  /** Largest zoom in or out, a fraction of the size (0: none). */
  scale: number;
  /** Image sides and channels left out come from the data's shape (else 28×28×1) when training starts. */
  width?: number;
  height?: number;
  channels?: number;
  flip: boolean;
}

/**
 * The health monitor: on by default, repairing. `detectors`, when given, are the detectors to run, as
 * written (names or `{type, ...options}`, checked against the `detectors` registry); absent: the
 * built-in ones.
 */
export interface HealthConfig {
  monitor: boolean;
  repair: boolean;
  detectors?: DetectorChoice[];
}

/** A run config's training sections after validation, with defaults filled in. */
export interface TrainingSections {
  seed: number;
  /** The loss's name (a built-in's or one a plugin registered); `lossChoice` has its options too. */
  loss: string;
  lossChoice: Choice;
  /** Absent only where the caller allowed it (a saved model's optimiser continues). */
  optimizer?: Optimizer;
  schedule?: Schedule;
  plateau?: ReduceOnPlateau;
  clip?: { norm?: number; value?: number };
  epochs: number;
  batchSize: number;
  earlyStopping?: EarlyStoppingOptions;
  augment?: AugmentConfig;
  health: HealthConfig;
  /** Homeostatic regulators acting during training (see src/homeostasis). */
  homeostasis: RegulatorChoice[];
  /** "auto" (wasm where it loads, else js), "js" or "wasm". */
  backend: string;
  /** Threads for large matrix products on the wasm backend. */
  threads?: number;
}

/** A run config's `model` section: its layers (fresh, not built) as given and as objects. */
export interface ModelSection {
  layers: Layer[];
  layerConfigs: unknown[];
  init?: string;
}

/**
 * Read `model` (`{"layers": [...], "init": "he"}`); `extraKeys` are keys a caller reads itself.
 *
 * @example
 * readModelSection({ layers: [{ type: "dense", units: 2 }] }).layers.length; // 1
 */
export function readModelSection(raw: unknown, extraKeys: readonly string[] = []): ModelSection {
  const model = expectObject(raw, "model");
  checkKeys(model, ["layers", "init", ...extraKeys], "model");
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
  return { layers, layerConfigs, init };
}

/**
 * Read the training sections of `raw` (its other keys are the caller's to check). Every problem is a
 * ConfigError naming the field. `optimizer` may be absent only when `optimizerRequired` is false.
 *
 * @example
 * readTrainingSections({ loss: "mse", optimizer: { type: "sgd", lr: 0.1 }, epochs: 2 }).batchSize; // 32
 */
export function readTrainingSections(raw: Obj, { optimizerRequired = true } = {}): TrainingSections {
  const seed = optNumber(raw, "seed", "", { integer: true, min: 0 }) ?? 0;
  if (raw.loss === undefined)
    throw new ConfigError(`loss: missing; expected one of ${losses.names().join(", ")}`, { field: "loss" });
  const lossChoice = losses.parse(raw.loss, "loss");
  losses.create(lossChoice, undefined, "loss");
  if (raw.optimizer === undefined && optimizerRequired)
    throw new ConfigError(`optimizer: missing; expected an object such as {"type":"adam","lr":0.001}`, {
      field: "optimizer",
    });
  const optimizer = raw.optimizer === undefined ? undefined : optimizerFromConfig(raw.optimizer, "optimizer");
  let schedule: Schedule | undefined;
  let plateau: ReduceOnPlateau | undefined;
  if (raw.schedule !== undefined) {
    const s = scheduleFromConfig(raw.schedule, "schedule");
    if (s.kind === "plateau") plateau = s.plateau;
    else schedule = s.schedule;
  }
  return {
    seed,
    loss: lossChoice.type,
    lossChoice,
    optimizer,
    schedule,
    plateau,
    clip: readClip(raw.clip),
    epochs: reqNumber(raw, "epochs", "", { integer: true, min: 1 }),
    batchSize: optNumber(raw, "batchSize", "", { integer: true, min: 1 }) ?? 32,
    earlyStopping: readEarlyStopping(raw.earlyStopping),
    augment: readAugment(raw.augment),
    health: readHealth(raw.health),
    homeostasis: withVitals(parseRegulators(raw.homeostasis), raw.vitals),
    backend: optString(raw, "backend", "", ["auto", "js", "wasm"]) ?? "auto",
    threads: optNumber(raw, "threads", "", { integer: true, min: 1 }),
  };
}

function readClip(raw: unknown): TrainingSections["clip"] {
  if (raw === undefined) return undefined;
  const c = expectObject(raw, "clip");
  checkKeys(c, ["norm", "value"], "clip");
  return {
    norm: optNumber(c, "norm", "clip", { above: 0 }),
    value: optNumber(c, "value", "clip", { above: 0 }),
  };
}

function readEarlyStopping(raw: unknown): EarlyStoppingOptions | undefined {
  if (raw === undefined) return undefined;
  const e = expectObject(raw, "earlyStopping");
  checkKeys(e, ["monitor", "patience", "minDelta", "restoreBestWeights"], "earlyStopping");
  return {
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

function readAugment(raw: unknown): AugmentConfig | undefined {
  if (raw === undefined) return undefined;
  const a = expectObject(raw, "augment");
  checkKeys(a, ["shift", "rotate", "scale", "width", "height", "channels", "flip"], "augment");
  return {
    shift: optNumber(a, "shift", "augment", { integer: true, min: 0, max: 8 }) ?? 0,
    rotate: optNumber(a, "rotate", "augment", { min: 0, max: 180 }) ?? 0,
    scale: optNumber(a, "scale", "augment", { min: 0, max: 0.5 }) ?? 0,
    width: optNumber(a, "width", "augment", { integer: true, min: 1 }),
    height: optNumber(a, "height", "augment", { integer: true, min: 1 }),
    channels: optNumber(a, "channels", "augment", { integer: true, min: 1 }),
    flip: optBoolean(a, "flip", "augment") ?? false,
  };
}

/** The `health` section: monitor and repair on unless turned off; detectors checked against the registry. */
function readHealth(raw: unknown): HealthConfig {
  if (raw === undefined) return { monitor: true, repair: true };
  const h = expectObject(raw, "health");
  checkKeys(h, ["monitor", "repair", "detectors"], "health");
  const health: HealthConfig = {
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
