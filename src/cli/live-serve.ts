/**
 * `homeostat live --serve`: the lifelong learner as an HTTP service (serve/server.ts), durable in a
 * folder (its write-ahead log and checkpoints). `--resume DIR` continues the learner a service left
 * there, after any crash, from its newest good checkpoint and its log. SIGTERM or Ctrl-C stops taking
 * requests, learns what is queued, checkpoints, and exits 0.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { backend } from "../backend/index.js";
import { Learner, type LearnerConfig } from "../learner/learner.js";
import { DurableLearner, type DurableOptions } from "../serve/durable.js";
import { faultyLogFs, LOG_FAULTS_VARIABLE, parseLogFaults } from "../serve/log-faults.js";
import { serve } from "../serve/server.js";
import { nodeLogFs } from "../serve/wal.js";
import { UsageError } from "./args.js";
import { writeFileAtomic } from "../io/atomic.js";
import type { LearnerKernels } from "./learner-kernels.js";
import { loadLiveConfig, parseLiveConfig, type ServeSettings } from "./live-config.js";
import { sameLearner } from "./live.js";
import type { Ui } from "./ui.js";

/** The port the service listens on unless told otherwise. */
export const DEFAULT_PORT = 8470;
/** The environment variable that holds the token when --token is not given. */
export const TOKEN_VARIABLE = "HOMEOSTAT_TOKEN";
/** The service's settings, kept in its folder for --resume. */
export const SETTINGS_FILE = "serve.json";

export interface LiveServeOptions {
  config?: string;
  resume?: string;
  dir?: string;
  port?: number;
  host?: string;
  token?: string;
  seed?: number;
  /** Where the learner runs (default: the backend active now). */
  kernels?: LearnerKernels;
}

/** Serve until SIGTERM / SIGINT; resolves with the summary once drained and checkpointed. */
export async function runLiveServe(o: LiveServeOptions, ui: Ui): Promise<Record<string, unknown>> {
  const { durable, settings } = await open(o);
  const token = o.token ?? process.env[TOKEN_VARIABLE] ?? undefined;
  const service = await serve(durable, {
    ...settings,
    port: o.port ?? DEFAULT_PORT,
    host: o.host ?? "127.0.0.1",
    token: token === "" ? undefined : token,
  });
  // One machine-readable line first, so a supervisor (or a test) learns the port.
  process.stdout.write(
    `${JSON.stringify({ serving: service.url, dir: durable.dir, seq: durable.lastSeq })}\n`,
  );
  ui.say(
    `live: serving ${service.url} · ${durable.dir} · ${durable.lastSeq} rows learnt · ${backend().name} kernels`,
  );
  await new Promise<void>((stop) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop());
  });
  await service.close();
  const v = durable.learner.vitals();
  const summary = {
    served: service.url,
    dir: durable.dir,
    seq: durable.lastSeq,
    rows: v.rows,
    steps: v.steps,
  };
  ui.say(`live: stopped; ${v.rows} rows learnt, checkpoint at row ${durable.lastSeq}`);
  ui.result({ live: summary });
  return summary;
}

async function open(o: LiveServeOptions): Promise<{ durable: DurableLearner; settings: ServeSettings }> {
  if (o.resume) {
    if (o.seed !== undefined)
      throw new UsageError("--resume continues with the saved learner's seed; leave out --seed");
    if (o.dir) throw new UsageError("--resume DIR is the service's folder; leave out --dir");
    const dir = resolve(o.resume);
    if (!existsSync(join(dir, "checkpoints")))
      throw new UsageError(
        `--resume ${o.resume}: no checkpoints there; expected a folder live --serve wrote`,
      );
    const cfg = o.config ? loadLiveConfig(o.config) : undefined;
    const settings = cfg ? cfg.serve : savedSettings(dir);
    const beforeLoad = o.kernels;
    const durable = await DurableLearner.resume(dir, { ...settings, ...injectedFaults(), beforeLoad });
    if (cfg) sameLearner(cfg, durable.learner, o.config!, o.resume);
    return { durable, settings };
  }
  if (!o.config) throw new UsageError("live --serve needs --config live.json (or --resume DIR)");
  const cfg = loadLiveConfig(o.config);
  const dir = resolve(o.dir ?? join(cfg.runDir, "serve"));
  if (existsSync(join(dir, "checkpoints")) && readdirSync(join(dir, "checkpoints")).length > 0)
    throw new UsageError(`--dir ${dir}: holds a learner already; continue it with --resume ${dir}`);
  o.kernels?.();
  const learner = Learner.create({
    ...cfg.learner,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  } as LearnerConfig);
  const durable = await DurableLearner.create(dir, learner, { ...cfg.serve, ...injectedFaults() });
  // A resume without --config serves with the same settings (checkpoint cadence, log bound, limits).
  writeFileAtomic(join(dir, SETTINGS_FILE), new TextEncoder().encode(`${JSON.stringify(cfg.serve)}\n`));
  return { durable, settings: cfg.serve };
}

/**
 * The crash drill's full disk: with HOMEOSTAT_TEST_LOG_FAULTS set (tests only), the log's planned
 * writes and fsyncs fail with ENOSPC. Said on standard error, so that it is never on unseen.
 */
function injectedFaults(): Pick<DurableOptions, "fs"> {
  const text = process.env[LOG_FAULTS_VARIABLE];
  if (!text) return {};
  const plan = parseLogFaults(text);
  process.stderr.write(
    `warning: ${LOG_FAULTS_VARIABLE}=${text}: these log writes and fsyncs will fail on purpose (a test of a full disk)\n`,
  );
  return { fs: faultyLogFs(nodeLogFs, plan) };
}

/** The settings the service in `dir` was started with (live.json's `serve` section), checked again. */
function savedSettings(dir: string): ServeSettings {
  const path = join(dir, SETTINGS_FILE);
  if (!existsSync(path)) return {};
  return parseLiveConfig({ task: "classification", serve: JSON.parse(readFileSync(path, "utf8")) }, dir, dir)
    .serve;
}
