/**
 * safetensors exports as files (Node only, exported from `homeostat/node`): the `--arch` JSON file and
 * the atomic writes of an export's files, over the byte-level functions of safetensors.ts.
 */
import { readFileSync } from "node:fs";
import { ConfigError, fileErrorWords } from "../tensor/errors.js";
import { writeFileAtomic } from "./atomic.js";
import {
  type Architecture,
  architectureOf,
  type SafetensorsExport,
  safetensorsPaths,
} from "./safetensors.js";

/**
 * Read an `--arch` JSON file (a run config or `{layers, inputDim?}`).
 *
 * @example
 * const arch = readArchitectureFile("run.json");
 */
export function readArchitectureFile(path: string): Architecture {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the architecture (${fileErrorWords(error)})`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not JSON (${(error as Error).message})`, { file: path });
  }
  return architectureOf(json, path);
}

/**
 * Write an export's files (weights, then the optimiser, then the .py), each atomically; all bytes are
 * made first, so an error leaves nothing written. Returns the paths written.
 *
 * @example
 * writeSafetensors("out/model.safetensors", exportSafetensors(model, { weightsFile: "model.safetensors" }));
 */
export function writeSafetensors(path: string, files: SafetensorsExport): string[] {
  const paths = safetensorsPaths(path);
  writeFileAtomic(paths.weights, files.weights);
  const written = [paths.weights];
  if (files.optimizer) {
    writeFileAtomic(paths.optimizer, files.optimizer);
    written.push(paths.optimizer);
  }
  writeFileAtomic(paths.python, new TextEncoder().encode(files.python));
  written.push(paths.python);
  return written;
}
