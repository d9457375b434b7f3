/**
 * A training job takes the CLI's run-config keys: the same config — a cosine schedule, clipping,
 * augmentation, the health monitor and a regulator — trained by `homeostat train` (its own process, main
 * thread) and by `trainInWorker` (worker_threads) gives the same weights bit for bit and the same health
 * events; a bad key or value is refused with the CLI's own message.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as h from "homeostat";
import { parseRunConfig } from "../src/cli/config.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLASSES = ["a", "b", "c"];

/** 120 seeded rows of three classes; the fourth feature is twice the first (a check before training sees it). */
function rows(n: number, seed: number): { features: number[][]; labels: string[] } {
  const rng = new h.Rng(seed);
  const features: number[][] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const a = Math.fround(c + rng.normal() * 0.5);
    const b = Math.fround(-c + rng.normal() * 0.5);
    features.push([a, b, Math.fround(rng.normal()), 2 * a]);
    labels.push(CLASSES[c]!);
  }
  return { features, labels };
}

const csv = ({ features, labels }: ReturnType<typeof rows>): string =>
  `f0,f1,f2,f3,label\n${features.map((f, i) => `${f.join(",")},${labels[i]}`).join("\n")}\n`;

/** The training keys both runs share: everything but data and outputs. */
const SECTIONS = {
  seed: 7,
  model: {
    layers: [
      { type: "dense", units: 12, activation: "relu" },
      { type: "dense", units: 3, activation: "softmax" },
    ],
  },
  loss: "crossEntropy",
  optimizer: { type: "adam", lr: 0.02 },
  schedule: { type: "cosine", warmupSteps: 4, totalSteps: 40 },
  clip: { norm: 1 },
  augment: { shift: 1, width: 2, height: 2 },
  epochs: 5,
  batchSize: 16,
  health: { monitor: true, repair: true },
  homeostasis: [{ type: "synapticScaling", warmup: 5 }],
  backend: "js",
};

const weights = (bytes: Uint8Array): number[][] =>
  h
    .decodeModel(bytes)
    .model.parameters()
    .map(([, t]) => Array.from(t.data));

test("a job with a schedule, health and a regulator trains the CLI's weights, bit for bit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "job-config-"));
  const train = rows(120, 1);
  writeFileSync(join(dir, "train.csv"), csv(train));
  writeFileSync(join(dir, "test.csv"), csv(rows(12, 2)));
  const config = {
    ...SECTIONS,
    data: { format: "csv", path: "train.csv", test: "test.csv", target: "label", normalize: "none" },
    out: "model.hmst",
  };
  writeFileSync(join(dir, "run.json"), JSON.stringify(config));
  const cli = spawnSync(
    process.execPath,
    [join(ROOT, "dist/src/cli/bin.js"), "train", "--config", join(dir, "run.json"), "--json"],
    { encoding: "utf8", cwd: dir },
  );
  assert.equal(cli.status, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout.trim().split("\n").at(-1)!) as {
    health: { events: { step: number; kind: string }[] };
  };
  const cliModel = new Uint8Array(readFileSync(join(dir, "model.hmst")));
  assert.deepEqual(h.decodeModel(cliModel).classes, CLASSES, "classes in order of first appearance");

  const x = Float32Array.from(train.features.flat());
  const y = new Float32Array(120 * 3);
  train.labels.forEach((l, i) => {
    y[i * 3 + CLASSES.indexOf(l)] = 1;
  });
  const job = { ...SECTIONS, data: { x, y, rows: 120 } };
  const streamed: string[] = [];
  const worker = await h.trainInWorker(job, { onHealth: (e) => streamed.push(`${e.step}:${e.kind}`) });
  assert.deepEqual(weights(worker.model), weights(cliModel), "worker job = CLI run");
  const cliEvents = summary.health.events.map((e) => `${e.step}:${e.kind}`);
  assert.ok(cliEvents.includes("0:collinearFeatures"), `the check before training fired: ${cliEvents}`);
  assert.deepEqual(streamed, cliEvents, "the same health events, streamed as they happened");
  assert.deepEqual(
    worker.health.map((e) => `${e.step}:${e.kind}`),
    cliEvents,
  );
  // Each section acted: without the regulator, or without the schedule, the weights differ.
  const lrs = worker.epochs.map((e) => e.lr);
  assert.ok(lrs[0]! < 0.02 && lrs.at(-1)! < lrs[1]!, `cosine warm-up then decay: ${lrs}`);
  const plain = await h.runTrainingJob({ ...job, homeostasis: [] });
  h.useBackend("js");
  assert.notDeepEqual(weights(plain.model), weights(worker.model), "the regulator changed the weights");
});

test("a bad job is refused with the CLI's message for the same key", async () => {
  const data = { x: new Float32Array(8), y: new Float32Array(2), rows: 2 };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ schedule: { type: "cosin" } }, /^schedule/],
    [{ homeostasis: [{ type: "redo", threshold: -1 }] }, /^homeostasis\[0\]/],
    [{ health: { detectors: ["nope"] } }, /^health\.detectors\[0\]/],
    [{ clip: { norm: 0 } }, /^clip\.norm/],
    [{ optimiser: {} }, /^optimiser: unknown key/],
  ];
  for (const [change, field] of cases) {
    const raw = { ...SECTIONS, ...change };
    let cliMessage = "";
    try {
      parseRunConfig({ ...raw, data: { builtin: "mnist" } }, "/tmp");
    } catch (e) {
      cliMessage = (e as Error).message;
    }
    assert.match(cliMessage, field);
    // The CLI's list of expected keys is longer (data, out, …); the rest of the message is the same.
    const expected = cliMessage.replace(/expected one of .*/, "expected one of");
    await assert.rejects(h.trainInWorker({ ...raw, data } as h.TrainingJob), (e: Error) => {
      assert.ok(
        e.message.startsWith(`trainInWorker: ConfigError: ${expected}`),
        `${e.message} vs ${cliMessage}`,
      );
      return true;
    });
  }
});
