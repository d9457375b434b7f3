// Checkpoints written by the health monitor before issue 16 rebuilt it still resume exactly.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { decodeModel } from "../src/io/model.js";
import { fit, type TrainingState } from "../src/train/fit.js";
import { data, monitor, opts, weightsDigest } from "./fixtures/health/make-state-v1.js";
import { useBackend } from "../src/backend/index.js";

// The checkpoint was written on js, the reference backend (the library's default is wasm in Node).
useBackend("js");

const dir = new URL("./fixtures/health/", import.meta.url).pathname.replace("/dist/", "/");

test("a checkpoint with the old monitor's state resumes with the same events and bit-identical weights", () => {
  const expected = JSON.parse(readFileSync(`${dir}state-v1.json`, "utf8"));
  const loaded = decodeModel(readFileSync(`${dir}state-v1.ckpt`), "state-v1.ckpt");
  const state = loaded.checkpoint as unknown as TrainingState;
  assert.equal(state.step, expected.savedStep);
  const resumed = monitor();
  fit(loaded.model, data(), { ...opts, observers: [resumed], resume: state });
  // JSON turns the few non-finite evidence values into null, as it did when the fixture was written.
  assert.deepEqual(JSON.parse(JSON.stringify(resumed.events)), expected.events);
  assert.equal(weightsDigest(loaded.model), expected.weights);
  assert.ok(
    resumed.events.some((e) => e.step > state.step && e.repaired),
    "repairs after the resume point",
  );
});
