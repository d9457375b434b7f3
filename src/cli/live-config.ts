/**
 * live.json: the learner's config (the keys of `Learner.create`) with the live command's own keys beside
 * them — where rows come from and go to, the target column, checkpoints and the run record. The two sets
 * are split here and kept apart: the learner checks its keys, this file checks the rest. Paths resolve
 * against the config file's folder, as in train's run configs.
 */
import { dirname, resolve } from "node:path";
import { parseLearnerConfig } from "../learner/config.js";
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject, optBoolean, optNumber, optString } from "../tensor/fields.js";
import { defaultRunDir, namingFile, readConfigJson } from "./config.js";

/** The keys of live.json that belong to the command, not to the learner. */
export const LIVE_KEYS = ["input", "predictions", "target", "checkpoint", "record", "serve"] as const;

/** The keys of live.json's `serve` section (the service's settings, used with --serve). */
export const SERVE_KEYS = [
  "every",
  "keep",
  "logBytes",
  "segmentBytes",
  "commitRows",
  "maxBodyBytes",
  "maxQueueRows",
  "protectReads",
] as const;

/** The service's settings as live.json gives them (each optional; serve's defaults otherwise). */
export type ServeSettings = Partial<Record<Exclude<(typeof SERVE_KEYS)[number], "protectReads">, number>> & {
  protectReads?: boolean;
};

/** Samples of the vital signs a run record keeps, by default one every this many labelled rows. */
export const DEFAULT_RECORD_EVERY = 100;

export interface LiveConfig {
  /** The learner's part of the config as written (checked), or undefined when there is no config. */
  learner?: Record<string, unknown>;
  /** A path, or "-" for standard input / output. */
  input?: string;
  predictions?: string;
  /** The CSV column (or JSON key) that holds the label. */
  target?: string;
  checkpoint?: { dir?: string; every?: number };
  record: { path?: string; every: number };
  serve: ServeSettings;
  /** Where outputs not placed go: runs/<config name>/. */
  runDir: string;
}

/**
 * Split and check a live config: the learner's keys through `parseLearnerConfig`, the command's here.
 * A relative path resolves against `baseDir`.
 *
 * @example
 * parseLiveConfig({ task: "classification", target: "label" }, "/cfg", "/runs/live").learner; // { task: "classification" }
 */
export function parseLiveConfig(raw: unknown, baseDir: string, runDir: string): LiveConfig {
  const obj = expectObject(raw, "the live config");
  const learner: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj))
    ((LIVE_KEYS as readonly string[]).includes(k) ? own : learner)[k] = v;
  checkLearner(learner);
  const path = (key: "input" | "predictions"): string | undefined => {
    const p = optString(own, key, "");
    return p === undefined || p === "-" ? p : resolve(baseDir, p);
  };
  return {
    learner,
    input: path("input"),
    predictions: path("predictions"),
    target: optString(own, "target", ""),
    checkpoint: own.checkpoint === undefined ? undefined : checkpointOf(own.checkpoint, baseDir),
    record: recordOf(own.record, baseDir),
    serve: serveOf(own.serve),
    runDir,
  };
}

/** Read live.json; every problem is a ConfigError naming the file (and the field). */
export function loadLiveConfig(path: string): LiveConfig {
  const raw = readConfigJson(path);
  try {
    return parseLiveConfig(raw, dirname(resolve(path)), defaultRunDir(path));
  } catch (e) {
    throw namingFile(e, path);
  }
}

/** The learner's keys, checked now, so a typo stops the command before it reads a row. */
function checkLearner(learner: Record<string, unknown>): void {
  try {
    parseLearnerConfig(learner);
  } catch (e) {
    if (e instanceof ConfigError && /unknown key/.test(e.message))
      throw new ConfigError(
        `${e.message}; or one of the live command's: ${LIVE_KEYS.join(", ")}`,
        e.location,
      );
    throw e;
  }
}

function checkpointOf(raw: unknown, baseDir: string): LiveConfig["checkpoint"] {
  const c = expectObject(raw, "checkpoint");
  checkKeys(c, ["dir", "every"], "checkpoint");
  const dir = optString(c, "dir", "checkpoint");
  return {
    dir: dir === undefined ? undefined : resolve(baseDir, dir),
    every: optNumber(c, "every", "checkpoint", { integer: true, min: 1 }),
  };
}

function recordOf(raw: unknown, baseDir: string): LiveConfig["record"] {
  if (raw === undefined) return { every: DEFAULT_RECORD_EVERY };
  const r = expectObject(raw, "record");
  checkKeys(r, ["path", "every"], "record");
  const path = optString(r, "path", "record");
  if (path !== undefined && !/\.json$/i.test(path))
    throw new ConfigError(
      `record.path: expected the path of a JSON file ("live.record.json"), got "${path}"`,
      {
        field: "record.path",
      },
    );
  return {
    path: path === undefined ? undefined : resolve(baseDir, path),
    every: optNumber(r, "every", "record", { integer: true, min: 1 }) ?? DEFAULT_RECORD_EVERY,
  };
}

function serveOf(raw: unknown): ServeSettings {
  if (raw === undefined) return {};
  const c = expectObject(raw, "serve");
  checkKeys(c, SERVE_KEYS, "serve");
  const out: ServeSettings = {};
  for (const key of SERVE_KEYS) {
    if (key === "protectReads") out.protectReads = optBoolean(c, key, "serve");
    else out[key] = optNumber(c, key, "serve", { integer: true, min: 1 });
    if (out[key] === undefined) delete out[key];
  }
  return out;
}
