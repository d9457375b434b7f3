import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Sequential } from "../nn/sequential.js";
import { fileErrorWords, HomeostatError, ModelFileError } from "../tensor/errors.js";
import type { TrainingState } from "../train/fit.js";
import { ensureDirectory, readModelBytes, writeFileAtomic } from "./atomic.js";
import { decodeModel, encodeModel, type LoadedModel, type ModelMetadata } from "./model.js";

/**
 * Checkpoints: a model file (weights, architecture, metadata) whose header also carries the
 * training state (`TrainingState`) and the run config, written atomically as `step-<n>.ckpt` in a
 * folder. The newest `keep` are kept; resuming takes the newest one that decodes, skipping (with a
 * warning naming it) any that is damaged — for example one cut short by a crash mid-write.
 */
const PATTERN = /^step-(\d{9})\.ckpt$/;

export interface CheckpointContents extends LoadedModel {
  /** What wrote it: `homeostat train` (a TrainingState) or `homeostat continual` (a ContinualState). */
  kind: "train" | "continual";
  state: TrainingState;
  /** The run config the checkpointed run was started with, and the folder its relative paths are relative to. */
  config: unknown;
  configDir: string;
  /**
   * Where the run put the outputs its config does not place. Checkpoints written before it was kept
   * give `configDir`, where those runs put them.
   */
  runDir: string;
}

/** What a checkpoint keeps besides the model's own metadata: the run config and where its paths point. */
export type CheckpointMeta = ModelMetadata & { config: unknown; configDir: string; runDir: string };

export class CheckpointWriter {
  constructor(
    readonly dir: string,
    readonly keep: number,
  ) {
    ensureDirectory(dir);
    // Temporary files left by a writer killed mid-write (one run per folder, so none is live now).
    for (const name of readdirSync(dir))
      if (/^\.step-\d{9}\.ckpt\.[0-9a-f]+\.tmp$/.test(name)) rmSync(join(dir, name), { force: true });
  }

  /**
   * Write one checkpoint and delete the oldest beyond `keep`. Returns the path written.
   *
   * @example
   * const w = new CheckpointWriter("runs/ckpt", 3);
   * fit(model, data, { ...opts, checkpoint: { every: 100, save: (state) => w.write(model, state, { config: {}, configDir: ".", runDir: "runs" }) } });
   */
  write(
    model: Sequential,
    state: TrainingState | { kind: "continual"; step: number },
    meta: CheckpointMeta,
  ): string {
    const { config, configDir, runDir, ...rest } = meta;
    const bytes = encodeModel(model, {
      ...rest,
      checkpoint: { state: state as unknown as Record<string, unknown>, config, configDir, runDir },
    });
    const path = join(this.dir, `step-${String(state.step).padStart(9, "0")}.ckpt`);
    writeFileAtomic(path, bytes);
    const all = listCheckpoints(this.dir);
    for (const old of all.slice(this.keep)) rmSync(join(this.dir, old), { force: true });
    return path;
  }
}

/** Checkpoint file names in `dir`, newest (highest step) first. */
export function listCheckpoints(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new ModelFileError(`${dir}: cannot read the checkpoint folder: ${fileErrorWords(e)}`, {
      file: dir,
    });
  }
  return names
    .filter((n) => PATTERN.test(n))
    .sort()
    .reverse();
}

/**
 * The newest checkpoint in `dir` that decodes completely. Damaged ones are reported through `warn`
 * and skipped; if none is usable the error says so and names the folder.
 */
export function loadLatestCheckpoint(dir: string, warn: (message: string) => void): CheckpointContents {
  const names = listCheckpoints(dir);
  if (names.length === 0)
    throw new ModelFileError(`${dir}: no checkpoints (step-*.ckpt) to resume from`, { file: dir });
  for (const name of names) {
    const path = join(dir, name);
    try {
      const loaded = decodeModel(readModelBytes(path), path);
      const ck = loaded.checkpoint as
        | { state?: TrainingState; config?: unknown; configDir?: string; runDir?: unknown }
        | undefined;
      if (!ck?.state || typeof ck.configDir !== "string")
        throw new ModelFileError(`${path}: not a checkpoint (no training state)`, { file: path });
      const kind = (ck.state as { kind?: unknown }).kind === "continual" ? "continual" : "train";
      const runDir = typeof ck.runDir === "string" ? ck.runDir : ck.configDir;
      return { ...loaded, kind, state: ck.state, config: ck.config, configDir: ck.configDir, runDir };
    } catch (e) {
      if (!(e instanceof HomeostatError)) throw e;
      warn(`skipping damaged checkpoint ${path}: ${e.message}`);
    }
  }
  throw new ModelFileError(`${dir}: every checkpoint is damaged (${names.length} tried); cannot resume`, {
    file: dir,
  });
}
