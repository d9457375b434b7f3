import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backend, useBackend } from "../src/backend/index.js";
import { decodeContainer, encodeContainer } from "../src/io/container.js";
import {
  learnerFromBytes,
  learnerToBytes,
  loadLearner,
  openLearnerBytes,
  saveLearner,
} from "../src/io/learner-file.js";
import { Learner, type LearnerState } from "../src/learner/index.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const timeless = (s: LearnerState): LearnerState => ({ ...s, seconds: 0 });

function rows(n: number): { x: Record<string, number>; y: string }[] {
  const r = new Rng(8);
  return Array.from({ length: n }, (_, i) => {
    const x = { a: r.normal(), b: r.normal() * 100 + 50, c: r.next() };
    return { x, y: x.a + (i < 700 ? 0 : 2) * x.c > 0.5 ? "up" : i % 50 === 0 ? "odd" : "down" };
  });
}

test("saved to a folder at row 500 and loaded, a learner continues bit-identically to row 1000", async () => {
  const dir = mkdtempSync(join(tmpdir(), "learner-file-"));
  try {
    const data = rows(1000);
    const cfg = {
      task: "classification" as const,
      hidden: [12, 6],
      seed: 2,
      replay: 2,
      consolidate: "onlineEwc" as const,
    };
    const a = Learner.create(cfg);
    const b = Learner.create(cfg);
    for (const r of data.slice(0, 500)) [a, b].forEach((l) => l.observe(r.x, r.y));
    const path = await saveLearner(b, dir);
    assert.equal(path, join(dir, "learner.hmst"));
    const c = await loadLearner(dir);
    for (const r of data.slice(500)) assert.deepEqual(c.observe(r.x, r.y), a.observe(r.x, r.y));
    assert.deepEqual(timeless(c.getState()), timeless(a.getState()));
    assert.deepEqual(c.vitals().prequential, a.vitals().prequential);
    assert.deepEqual(c.vitals().drifts, a.vitals().drifts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the method forms: learner.save(dir) and Learner.load(dir) from the package root", async () => {
  const root = await import("../src/index.js");
  const dir = mkdtempSync(join(tmpdir(), "learner-method-"));
  try {
    const data = rows(400);
    const a = root.Learner.create({ task: "classification", hidden: [8], seed: 4, probeEvery: 100 });
    for (const r of data.slice(0, 200)) a.observe(r.x, r.y);
    assert.equal(await a.save(dir), join(dir, "learner.hmst"));
    const b = await root.Learner.load(dir);
    for (const r of data.slice(200)) assert.deepEqual(b.observe(r.x, r.y), a.observe(r.x, r.y));
    assert.deepEqual(timeless(b.getState()), timeless(a.getState()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the byte form round-trips exactly, regression and a learner without rows included", () => {
  const r = Learner.create({ task: "regression", batch: 4, seed: 1 });
  for (let i = 0; i < 30; i++) r.observe([i, i % 7], 3 * i + 1);
  assert.deepEqual(timeless(learnerFromBytes(learnerToBytes(r)).getState()), timeless(r.getState()));
  const fresh = Learner.create({ task: "classification" });
  assert.deepEqual(learnerFromBytes(learnerToBytes(fresh)).getState(), fresh.getState());
});

test("the bytes name the backend the learner ran on; a file from before the name opens with null, the same learner", () => {
  const l = Learner.create({ task: "classification", hidden: [6], seed: 4 });
  for (const { x, y } of rows(40)) l.observe(x, y);
  const ran = backend().name;
  const opened = openLearnerBytes(learnerToBytes(l));
  assert.equal(opened.backend, ran);
  assert.deepEqual(timeless(opened.learner().getState()), timeless(l.getState()));
  try {
    useBackend(ran === "js" ? "auto" : "js", { threads: 1 });
    assert.equal(openLearnerBytes(learnerToBytes(l)).backend, backend().name, "the backend of the save");
  } finally {
    useBackend(ran, { threads: 1 });
  }
  const { header, tensors } = decodeContainer(learnerToBytes(l));
  const { format, version, tensors: listed, backend: named, ...older } = header;
  assert.equal(named, ran);
  const old = openLearnerBytes(encodeContainer(older, tensors));
  assert.equal(old.backend, null);
  assert.deepEqual(timeless(old.learner().getState()), timeless(l.getState()));
});

test("a truncated learner file is refused, never half-loaded", () => {
  const l = Learner.create({ task: "classification", inputs: 2, seed: 1 });
  l.observe([1, 2], "x");
  const bytes = learnerToBytes(l);
  assert.throws(() => learnerFromBytes(bytes.subarray(0, bytes.length - 9), "cut.hmst"), ModelFileError);
});

test("a learner saved before normalizeCenter existed continues centred, bit for bit", () => {
  const config = { task: "classification" as const, hidden: [8], seed: 3, normalizeCenter: 1 };
  const data = rows(600);
  const centred = Learner.create(config);
  const early = Learner.create(config);
  for (const { x, y } of data.slice(0, 300)) {
    centred.observe(x, y);
    early.observe(x, y);
  }
  // What a build before the option wrote: neither the config nor the normaliser's options name it.
  const old = early.getState();
  delete (old.config as { normalizeCenter?: number }).normalizeCenter;
  const saved = old.network!.normalizer!.options as { center?: number };
  assert.equal(saved.center, 1, "the normaliser keeps its own share");
  delete saved.center;
  const resumed = Learner.fromState(old);
  for (const { x, y } of data.slice(300)) assert.deepEqual(resumed.observe(x, y), centred.observe(x, y));
  assert.deepEqual(
    resumed.network!.parameters().map(([, t]) => t.data),
    centred.network!.parameters().map(([, t]) => t.data),
  );
  // The default (0.75) differs from a centred learner, so the check above can fail.
  const fresh = Learner.create({ ...config, normalizeCenter: undefined });
  for (const { x, y } of data) fresh.observe(x, y);
  assert.notDeepEqual(
    fresh.network!.parameters().map(([, t]) => t.data),
    centred.network!.parameters().map(([, t]) => t.data),
  );
});
