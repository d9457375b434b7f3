/**
 * The checkpoint folder: which names count as checkpoints and in what order, what a file without a
 * training state is, how the kind and the run folder are read, and the errors of an empty or wholly
 * damaged folder. Each case writes its own files with CheckpointWriter or encodeModel.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CheckpointWriter, listCheckpoints, loadLatestCheckpoint } from "../src/io/checkpoint.js";
import { encodeModel } from "../src/io/model.js";
import { Dense } from "../src/nn/layers.js";
import { ModelFileError } from "../src/tensor/errors.js";
import type { TrainingState } from "../src/train/fit.js";
import { built } from "./helpers/models.js";
import { tempDir } from "./helpers/tmp.js";

const model = () => built([new Dense(2)], 3);
const META = { config: { epochs: 1 }, configDir: "/cfg", runDir: "/run" };
const state = (step: number) => ({ step }) as unknown as TrainingState;

test("only step-<9 digits>.ckpt names are checkpoints, listed from the highest step down", () => {
  const dir = tempDir("ckpt-names");
  for (const name of [
    "step-000000002.ckpt",
    "step-000000010.ckpt",
    "step-000000001.ckpt",
    "xstep-000000003.ckpt", // not at the start
    "step-000000004.ckpt.bak", // not at the end
    "step-5.ckpt",
    "notes.txt",
  ])
    writeFileSync(join(dir, name), "");
  assert.deepEqual(listCheckpoints(dir), [
    "step-000000010.ckpt",
    "step-000000002.ckpt",
    "step-000000001.ckpt",
  ]);
});

test("an empty folder, and a folder that cannot be read, are errors naming the folder", () => {
  const dir = tempDir("ckpt-empty");
  writeFileSync(join(dir, "step-000000001.ckpt.bak"), "");
  assert.throws(
    () => loadLatestCheckpoint(dir, () => {}),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message === `${dir}: no checkpoints (step-*.ckpt) to resume from` &&
      e.location.file === dir,
  );
  const missing = join(dir, "nowhere");
  assert.throws(
    () => listCheckpoints(missing),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message.startsWith(`${missing}: cannot read the checkpoint folder`) &&
      e.location.file === missing,
  );
});

test("a model file without a training state is skipped as not a checkpoint; the next one down is loaded", () => {
  const dir = tempDir("ckpt-plain");
  new CheckpointWriter(dir, 5).write(model(), state(3), META);
  writeFileSync(join(dir, "step-000000009.ckpt"), encodeModel(model()));
  const warned: string[] = [];
  const ck = loadLatestCheckpoint(dir, (m) => warned.push(m));
  assert.equal(ck.state.step, 3);
  assert.deepEqual(warned, [
    `skipping damaged checkpoint ${join(dir, "step-000000009.ckpt")}: ${join(dir, "step-000000009.ckpt")}: not a checkpoint (no training state)`,
  ]);
});

test("a folder of files none of which decodes says how many were tried", () => {
  const dir = tempDir("ckpt-damaged");
  writeFileSync(join(dir, "step-000000001.ckpt"), "not a model file");
  writeFileSync(join(dir, "step-000000002.ckpt"), encodeModel(model()));
  const warned: string[] = [];
  assert.throws(
    () => loadLatestCheckpoint(dir, (m) => warned.push(m)),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message === `${dir}: every checkpoint is damaged (2 tried); cannot resume` &&
      e.location.file === dir,
  );
  assert.equal(warned.length, 2);
});

test("the kind is continual only for a continual state, and the run folder falls back to the config's", () => {
  const dir = tempDir("ckpt-kind");
  new CheckpointWriter(dir, 5).write(model(), state(1), META);
  let ck = loadLatestCheckpoint(dir, () => {});
  assert.deepEqual([ck.kind, ck.configDir, ck.runDir, ck.config], ["train", "/cfg", "/run", { epochs: 1 }]);
  new CheckpointWriter(dir, 5).write(model(), { kind: "continual", step: 2 }, META);
  ck = loadLatestCheckpoint(dir, () => {});
  assert.equal(ck.kind, "continual");
  // Written before runDir was kept: the outputs went to the config's folder.
  const old = { checkpoint: { state: { step: 3 }, config: {}, configDir: "/old" } };
  writeFileSync(join(dir, "step-000000003.ckpt"), encodeModel(model(), old));
  ck = loadLatestCheckpoint(dir, () => {});
  assert.deepEqual([ck.kind, ck.configDir, ck.runDir], ["train", "/old", "/old"]);
});

test("a checkpoint whose configDir is not a string is refused", () => {
  const dir = tempDir("ckpt-configdir");
  const bad = { checkpoint: { state: { step: 1 }, config: {}, configDir: 7 } };
  writeFileSync(join(dir, "step-000000001.ckpt"), encodeModel(model(), bad as never));
  const warned: string[] = [];
  assert.throws(() => loadLatestCheckpoint(dir, (m) => warned.push(m)), ModelFileError);
  assert.match(warned[0], /not a checkpoint \(no training state\)/);
});
