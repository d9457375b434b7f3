import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import type { LossName } from "../losses/losses.js";
import type { Optimizer } from "../optim/optimizers.js";
import { ConfigError, fileErrorWords } from "../tensor/errors.js";
import { type DataConfig, parseData } from "./data-config.js";
import {
  checkKeys,
  describe,
  expectObject,
  optNumber,
  optString,
  type Obj,
  reqNumber,
} from "../tensor/fields.js";
import {
  type ModelSection,
  readModelSection,
  readTrainingSections,
  TRAINING_KEYS,
  type TrainingSections,
} from "../run/sections.js";

export type { DataConfig, DataSource } from "./data-config.js";

/**
 * A run config after validation, with defaults filled in: the training sections (src/run/sections.ts,
 * read the same way by a browser's training job) plus what lives in files and folders.
 */
export interface RunConfig extends TrainingSections, ModelSection {
  loss: LossName | (string & {});
  optimizer: Optimizer;
  optimizerConfig: unknown;
  data: DataConfig;
  checkpoint?: { every: number; keep: number; dir: string };
  /** Plugin modules (absolute paths) whose kinds the config may name; see plugins.ts. */
  plugins: string[];
  out: string;
  /** Where to write the HTML report of the run, if anywhere. */
  report?: string;
  /** The config as written (for the run record), and the folder its relative paths start from. */
  raw: Obj;
  baseDir: string;
  /** Where outputs the config does not place go (see `defaultRunDir`); checkpoints keep it for a resume. */
  runDir: string;
}

const TOP_KEYS = [
  "$schema",
  "description",
  ...TRAINING_KEYS,
  "data",
  "checkpoint",
  "out",
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
  const model = readModelSection(raw.model);
  const sections = readTrainingSections(raw);
  const checkpoint = parseCheckpoint(raw.checkpoint, baseDir, runDir);
  return {
    ...sections,
    ...model,
    optimizer: sections.optimizer as Optimizer,
    optimizerConfig: raw.optimizer,
    checkpoint,
    plugins: pluginPaths(raw.plugins, baseDir),
    data: parseData(raw.data, baseDir),
    out: outputPath(optString(raw, "out", ""), baseDir, resolve(runDir, "model.hmst")),
    report: reportPath(optString(raw, "report", ""), baseDir),
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
