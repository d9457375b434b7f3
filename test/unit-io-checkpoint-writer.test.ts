/**
 * The checkpoint writer's housekeeping: the temporary files a writer killed mid-write leaves
 * (`.step-<9 digits>.ckpt.<hex>.tmp`, writeFileAtomic's names) are removed when the next writer opens
 * the folder, and nothing else is; after each write only the newest `keep` checkpoints remain.
 */
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CheckpointWriter, listCheckpoints } from "../src/io/checkpoint.js";
import { Dense } from "../src/nn/layers.js";
import type { TrainingState } from "../src/train/fit.js";
import { built } from "./helpers/models.js";
import { tempDir } from "./helpers/tmp.js";

const META = { config: {}, configDir: "/cfg", runDir: "/run" };
const state = (step: number) => ({ step }) as unknown as TrainingState;

test("a new writer removes the temporary files of a killed one, and only those", () => {
  const dir = tempDir("ckpt-tmp");
  const stale = [".step-000000001.ckpt.0a9f.tmp", ".step-000000020.ckpt.b.tmp"];
  const kept = [
    "x.step-000000001.ckpt.0a9f.tmp", // not at the start
    ".step-000000001.ckpt.0a9f.tmp.keep", // not at the end
    ".step-000000001.ckpt.zz.tmp", // not hexadecimal
    ".step-000000001.ckpt..tmp", // no suffix at all
    ".step-1.ckpt.0a9f.tmp", // not 9 digits
    ".step-00000000x.ckpt.0a9f.tmp", // not digits
    "step-000000003.ckpt",
  ];
  for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), "");
  new CheckpointWriter(dir, 3);
  assert.deepEqual(readdirSync(dir).sort(), [...kept].sort());
});

test("each write keeps the newest `keep` checkpoints", () => {
  const dir = tempDir("ckpt-keep");
  const writer = new CheckpointWriter(dir, 2);
  const model = built([new Dense(2)], 3);
  const paths = [1, 2, 3].map((step) => writer.write(model, state(step), META));
  assert.deepEqual(
    paths,
    [1, 2, 3].map((s) => join(dir, `step-00000000${s}.ckpt`)),
  );
  assert.deepEqual(listCheckpoints(dir), ["step-000000003.ckpt", "step-000000002.ckpt"]);
  assert.deepEqual(readdirSync(dir).sort(), ["step-000000002.ckpt", "step-000000003.ckpt"]);
});
