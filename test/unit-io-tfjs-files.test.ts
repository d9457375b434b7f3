/**
 * The TF.js folder: weights split over several files are joined in the manifest's order, each path
 * must be a plain file name beside model.json, and a folder that cannot be made or a model.json that
 * is not JSON is refused naming the file. The reference for the joined weights is the model written.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readTfjs, writeTfjs } from "../src/io/tfjs-files.js";
import { Dense } from "../src/nn/layers.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { built } from "./helpers/models.js";
import { tempDir } from "./helpers/tmp.js";

const model = () => built([new Dense(4), new Dense(2)], 3);

/** A written model whose weights are moved into `names` (cut into that many pieces, in order). */
function splitInto(dir: string, names: string[]): void {
  const m = model();
  const { modelJson, weights } = writeTfjs(dir, m);
  const bytes = readFileSync(weights);
  const json = JSON.parse(readFileSync(modelJson, "utf8"));
  const cut = Math.ceil(bytes.length / names.length);
  names.forEach((name, i) => writeFileSync(join(dir, name), bytes.subarray(i * cut, (i + 1) * cut)));
  json.weightsManifest[0].paths = names;
  writeFileSync(modelJson, JSON.stringify(json));
}

const params = (m: ReturnType<typeof model>) => m.parameters().map(([name, t]) => [name, Array.from(t.data)]);

test("weights split over files are joined in the manifest's order, unusual names allowed", () => {
  const dir = tempDir("tfjs-split");
  // Names ending in a dot or starting with one are plain file names (only "." and ".." are not).
  splitInto(dir, [".first", "second.", "third"]);
  assert.deepEqual(params(readTfjs(dir)), params(model()));
});

test("a weights path that is not a plain file name beside model.json is refused, naming model.json", () => {
  for (const bad of ["", ".", "..", "sub/w.bin", "sub\\w.bin", "../w.bin", 5]) {
    const dir = tempDir("tfjs-bad-path");
    writeTfjs(dir, model());
    const jsonPath = join(dir, "model.json");
    const json = JSON.parse(readFileSync(jsonPath, "utf8"));
    json.weightsManifest[0].paths = [bad];
    writeFileSync(jsonPath, JSON.stringify(json));
    assert.throws(
      () => readTfjs(dir),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message ===
          `${jsonPath}: weights path ${JSON.stringify(bad)}: expected a file name beside model.json` &&
        e.location.file === jsonPath,
      JSON.stringify(bad),
    );
  }
});

test("a model.json that is not JSON, and a folder that cannot be made, are refused naming the path", () => {
  const dir = tempDir("tfjs-not-json");
  const jsonPath = join(dir, "model.json");
  writeFileSync(jsonPath, "{ not json");
  assert.throws(
    () => readTfjs(dir),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message.startsWith(`${jsonPath}: not JSON (`) &&
      e.location.file === jsonPath,
  );
  const under = join(jsonPath, "out"); // a folder inside a regular file cannot be made
  assert.throws(
    () => writeTfjs(under, model()),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message.startsWith(`${under}: cannot create the directory (`) &&
      e.location.file === under,
  );
});

test("a weight group that lists no files reads no bytes, so the weights it declares are missing", () => {
  const dir = tempDir("tfjs-no-paths");
  writeTfjs(dir, model());
  const jsonPath = join(dir, "model.json");
  const json = JSON.parse(readFileSync(jsonPath, "utf8"));
  delete json.weightsManifest[0].paths;
  writeFileSync(jsonPath, JSON.stringify(json));
  assert.throws(
    () => readTfjs(dir),
    (e: unknown) =>
      e instanceof ModelFileError && /needs more bytes than the 0 weight bytes$/.test(e.message),
  );
});
