/**
 * A TF.js layers model as a folder (Node only, exported from `homeostat/node`): `model.json` and the
 * weight files its manifest lists, over the byte-level `exportTfjs` / `importTfjs` of tfjs.ts.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Sequential } from "../nn/sequential.js";
import { ModelFileError } from "../tensor/errors.js";
import { readModelBytes, writeFileAtomic } from "./atomic.js";
import { exportTfjs, WEIGHTS_FILE } from "./tfjs-export.js";
import { importTfjs, isObject, own } from "./tfjs-import.js";

/**
 * Write `dir/model.json` and `dir/weights.bin` (creating `dir`), each atomically; the weights go first,
 * so `model.json` is the commit point, and its CRC-32 of the weights catches a pair torn by a crash.
 *
 * @example
 * writeTfjs("out/tfjs", model);   // then tf.loadLayersModel("file://out/tfjs/model.json") in tfjs-node
 */
export function writeTfjs(dir: string, model: Sequential): { modelJson: string; weights: string } {
  const { modelJson, weights } = exportTfjs(model);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new ModelFileError(`${dir}: cannot create the directory (${(error as Error).message})`, {
      file: dir,
    });
  }
  const paths = { modelJson: join(dir, "model.json"), weights: join(dir, WEIGHTS_FILE) };
  writeFileAtomic(paths.weights, weights);
  writeFileAtomic(paths.modelJson, new TextEncoder().encode(JSON.stringify(modelJson)));
  return paths;
}

/**
 * Read a TF.js layers model from `dir` (`model.json` and the weight files it lists, which must sit
 * beside it).
 *
 * @example
 * const model = readTfjs("out/tfjs");
 */
export function readTfjs(dir: string): Sequential {
  const jsonPath = join(dir, "model.json");
  const text = new TextDecoder().decode(readModelBytes(jsonPath));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`${jsonPath}: not JSON (${(error as Error).message})`, { file: jsonPath });
  }
  const manifest = isObject(json) ? own(json, "weightsManifest") : undefined;
  const parts: Uint8Array[] = [];
  for (const group of Array.isArray(manifest) ? manifest : []) {
    const paths = isObject(group) ? own(group, "paths") : undefined;
    for (const p of Array.isArray(paths) ? paths : []) {
      if (typeof p !== "string" || p === "" || /[\\/]|^\.\.?$/.test(p))
        throw new ModelFileError(
          `${jsonPath}: weights path ${JSON.stringify(p)}: expected a file name beside model.json`,
          { file: jsonPath },
        );
      parts.push(readModelBytes(join(dir, p)));
    }
  }
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    weights.set(p, offset);
    offset += p.length;
  }
  return importTfjs(json, weights, jsonPath);
}
