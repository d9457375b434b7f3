// The vitals loop end to end on its memory side and its probe: a class-incremental stream of three tasks
// makes it find forgetting and raise replay, whose rows then join the batches; without a forgetting budget
// nothing of the kind happens; at batch 1 it reads units on its probe of recent rows, at 16 rows or more on
// the step's own batch; events carry the loop's own step count and reach `onEvent`.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HealthEvent } from "../src/health/findings.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { blobs } from "./helpers/health-zoo.js";

/** Three tasks of one class each, from three separable blobs (class-incremental: the old ones are forgotten). */
function tasks() {
  const s = blobs(600, 3, 6, 7);
  return [0, 1, 2].map((c) => {
    const rows: number[] = [];
    for (let r = 0; r < s.n; r++) if (s.y[r * 3 + c] === 1) rows.push(r);
    const x = new Float32Array(rows.length * 6);
    const y = new Float32Array(rows.length * 3);
    rows.forEach((r, i) => {
      x.set(s.x.subarray(r * 6, r * 6 + 6), i * 6);
      y[i * 3 + c] = 1;
    });
    return { x: new Tensor(x, [rows.length, 6]), y: new Tensor(y, [rows.length, 3]) };
  });
}
const net = () =>
  new Sequential([new Dense(16, { activation: "relu" }), new Dense(3, { activation: "softmax" })]).build(
    6,
    new Rng(3),
  );

function run(options: Parameters<typeof vitals>[0], batchSize = 16) {
  const heard: HealthEvent[] = [];
  const loop = vitals({
    checkEvery: 2,
    plasticity: false,
    seed: 1,
    ...options,
    onEvent: (e) => heard.push(e),
  });
  const sizes: number[] = [];
  const penalties: number[] = [];
  const sizer: Observer = {
    onBatchEnd: (e) => {
      sizes.push(e.batch.x.shape[0]);
      penalties.push(e.penalty);
    },
  };
  const m = net();
  for (const data of tasks())
    fit(m, data, {
      epochs: 3,
      batchSize,
      optimizer: sgd({ lr: 0.1 }),
      loss: "crossEntropy",
      seed: 2,
      observers: [loop, sizer],
    });
  return { loop, heard, sizes, penalties };
}

test("class-incremental tasks: forgetting found, replay raised, its rows in the batches; heard as they happen", () => {
  const { loop, heard, sizes, penalties } = run({ forgettingBudget: 0.1 });
  const kinds = loop.events.map((e) => e.kind);
  // Replay raised, its loss still plain: no loss term of the loop's own (the asymmetric loss would be one).
  assert.ok(!loop.events.some((e) => "asymmetric" in e.evidence));
  assert.ok(penalties.every((p) => p === 0));
  const found = kinds.indexOf("forgetting");
  assert.ok(found >= 0, JSON.stringify(kinds));
  assert.equal(kinds[found + 1], "replayRaised");
  assert.ok(loop.replayShare > 0);
  // Replayed rows join a batch once the share is up: batches beyond 16 rows.
  assert.ok(Math.max(...sizes) > 16, `largest batch ${Math.max(...sizes)}`);
  // Each event heard once, in order, with the loop's own step count (over all three fit calls).
  assert.deepEqual(
    heard.map((e) => [e.kind, e.step]),
    loop.events.map((e) => [e.kind, e.step]),
  );
  const raised = loop.events[found + 1];
  assert.ok(raised.step > 40, `step ${raised.step}: counted across the tasks, not within the one`);
  assert.equal(raised.step, loop.events[found].step);
});

test("no forgetting budget: no forgetting watched, nothing replayed", () => {
  const { loop, sizes } = run({ forgettingBudget: 0 });
  assert.deepEqual(loop.events, []);
  assert.equal(loop.replayShare, 0);
  assert.ok(sizes.every((n) => n <= 16));
  const state = loop.getState() as { monitor: { memory?: Record<string, unknown> } };
  assert.equal(state.monitor.memory?.forgetting, undefined);
});

test("units are read on the probe of recent rows at batch 1, on the step's own batch at 16 rows", () => {
  // A dead-unit budget makes the reading visible: the units found dead need a sample to be read on.
  const one = run({ forgettingBudget: 0, deadUnits: 0 }, 1);
  const own = run({ forgettingBudget: 0, deadUnits: 0 }, 16);
  for (const r of [one, own])
    assert.ok(
      r.loop.events.some((e) => e.kind === "deadUnits"),
      JSON.stringify(r.loop.events.map((e) => e.kind)),
    );
  const probe = one.loop.getState() as { loop: { probe: { size: number } } };
  assert.ok(probe.loop.probe.size >= 16, "batch 1: recent rows kept for the probe");
});
