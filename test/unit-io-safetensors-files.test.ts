/**
 * safetensors exports as files: the `--arch` file is read as a run config or {layers, inputDim}, and
 * refused naming the file when missing or not JSON; an export's files are written byte for byte
 * where safetensorsPaths puts them, the optimiser file only when there is one. References: the bytes
 * and architecture written here by hand.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readArchitectureFile, writeSafetensors } from "../src/io/safetensors-files.js";
import { ConfigError } from "../src/tensor/errors.js";
import { tempDir } from "./helpers/tmp.js";

test("an --arch file is read as a run config, and refused naming it when missing or not JSON", () => {
  const dir = tempDir("st-arch");
  const path = join(dir, "run.json");
  const layers = [{ type: "dense", units: 3 }];
  writeFileSync(path, JSON.stringify({ model: { inputDim: 4, layers } }));
  const arch = readArchitectureFile(path);
  assert.equal(arch.inputDim, 4);
  assert.deepEqual(arch.layers, layers);
  const missing = join(dir, "none.json");
  assert.throws(
    () => readArchitectureFile(missing),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith(`${missing}: cannot read the architecture (`) &&
      e.location.file === missing,
  );
  writeFileSync(path, "{ layers: ");
  assert.throws(
    () => readArchitectureFile(path),
    (e: unknown) =>
      e instanceof ConfigError && e.message.startsWith(`${path}: not JSON (`) && e.location.file === path,
  );
});

test("an export's files are written byte for byte, the optimiser's only when there is one", () => {
  const dir = tempDir("st-write");
  const weights = new Uint8Array([1, 2, 3]);
  const optimizer = new Uint8Array([9, 8]);
  const path = join(dir, "m.safetensors");
  const written = writeSafetensors(path, { weights, optimizer, python: "print(1)\n" });
  const [w, o, py] = ["m.safetensors", "m.optimizer.safetensors", "m.py"].map((f) => join(dir, f));
  assert.deepEqual(written, [w, o, py]);
  assert.deepEqual(new Uint8Array(readFileSync(w)), weights);
  assert.deepEqual(new Uint8Array(readFileSync(o)), optimizer);
  assert.equal(readFileSync(py, "utf8"), "print(1)\n");
  const plain = join(dir, "p.safetensors");
  assert.deepEqual(writeSafetensors(plain, { weights, optimizer: null, python: "" }), [
    plain,
    join(dir, "p.py"),
  ]);
  assert.equal(existsSync(join(dir, "p.optimizer.safetensors")), false);
});
