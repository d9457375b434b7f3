import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor } from "../src/health/index.js";
import { centredEffectiveRank, dormantFraction, unitActivity } from "../src/units/statistics.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit, type TrainingState } from "../src/train/fit.js";

// 66 rows in batches of 16: four full batches and a short last one of 2 rows, so every epoch is 5 steps.
// With a check every 5 steps, each check step is an epoch's short last batch.
const ROWS = 66,
  BATCH = 16,
  STEPS_PER_EPOCH = 5,
  EPOCHS = 11,
  UNITS = 24;

function data(n: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(11);
  const x = Float32Array.from({ length: n * 8 }, () => rng.normal());
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) y[3 * i + (x[8 * i] > 0.5 ? 0 : x[8 * i + 1] > 0 ? 1 : 2)] = 1;
  return { x: new Tensor(x, [n, 8]), y: new Tensor(y, [n, 3]) };
}
const model = () =>
  new Sequential([new Dense(UNITS, { activation: "relu" }), new Dense(3, { activation: "softmax" })]).build(
    8,
    new Rng(5),
  );
const opts = {
  epochs: EPOCHS,
  batchSize: BATCH,
  optimizer: adam({ lr: 1e-2 }),
  loss: "crossEntropy" as const,
  seed: 3,
};
const monitor = () => healthMonitor({ thresholds: { checkEvery: STEPS_PER_EPOCH } });

/** What the hidden layer looked like at every step, measured here independently of the monitor. */
function spy(): Observer & {
  steps: Map<number, { rows: number; partial: boolean; loss: number; rank: number; dormant: number }>;
} {
  const steps = new Map<
    number,
    { rows: number; partial: boolean; loss: number; rank: number; dormant: number }
  >();
  return {
    steps,
    wantsActivations: true,
    onBatchEnd(e) {
      const out = e.activations!.get("0")!.output;
      const rows = out.shape[0];
      const { meanAbs } = unitActivity(out.data, rows, UNITS, new Uint8Array(UNITS));
      steps.set(e.step, {
        rows,
        partial: e.partial,
        loss: e.loss,
        rank: centredEffectiveRank(out.data, rows, UNITS),
        dormant: dormantFraction(meanAbs, 0.025),
      });
    },
  };
}

test("fit marks exactly the short last batch of each epoch as partial; a data set smaller than one batch has none", () => {
  const s = spy();
  fit(model(), data(ROWS), { ...opts, epochs: 3, observers: [s] });
  const partial = [...s.steps].filter(([, v]) => v.partial).map(([step, v]) => `${step}:${v.rows}`);
  assert.deepEqual(partial, ["5:2", "10:2", "15:2"]);
  const small = spy();
  fit(model(), data(10), { ...opts, epochs: 3, observers: [small] });
  assert.deepEqual(
    [...small.steps.values()].map((v) => `${v.partial}:${v.rows}`),
    Array(3).fill("false:10"),
  );
});

test("health statistics are never sampled on a short last batch: the check waits for the next full batch", () => {
  const health = monitor();
  const s = spy();
  fit(model(), data(ROWS), { ...opts, observers: [health, s] });
  const points = health.statistics().points;
  // Checks fall due at steps 5, 10, …, 55 (each a 2-row batch) and are taken on the next epoch's first batch; the last one is never taken.
  assert.deepEqual(
    points.map((p) => p.step),
    [6, 11, 16, 21, 26, 31, 36, 41, 46, 51],
  );
  for (const p of points) {
    const seen = s.steps.get(p.step)!;
    assert.equal(seen.rows, BATCH, `step ${p.step} is a full batch`);
    const h = p.layers[0];
    assert.equal(h.dormantFraction, seen.dormant, `dormant units at step ${p.step} come from that batch`);
    if (Number.isFinite(h.effectiveRank))
      assert.ok(Math.abs(h.effectiveRank - seen.rank) < 1e-9, `rank at step ${p.step}`);
  }
  // The loss window between checks is the mean over its rows: the short batch weighs 2/16 of a full one.
  points.forEach((p, i) => {
    let sum = 0,
      rows = 0;
    for (let step = (points[i - 1]?.step ?? 0) + 1; step <= p.step; step++) {
      const b = s.steps.get(step)!;
      [sum, rows] = [sum + b.loss * b.rows, rows + b.rows];
    }
    assert.ok(
      Math.abs(p.loss - sum / rows) < (1e-9 * sum) / rows,
      `window loss at step ${p.step}: ${p.loss} vs ${sum / rows}`,
    );
  });
  const ranks = points.map((p) => p.layers[0].effectiveRank).filter(Number.isFinite);
  assert.equal(ranks.length, 1, "effective rank every 10 checks: at the first of these 10");
  // What the old sampling recorded: 2 centred rows span one direction, so the rank of a short batch is 1 exactly,
  // a false collapse next to the full batches' ranks.
  const shortRanks = [...s.steps.values()].filter((v) => v.partial).map((v) => v.rank);
  for (const r of shortRanks) assert.ok(Math.abs(r - 1) < 1e-6, `short batch rank ${r}`);
  for (const r of ranks) assert.ok(r > 4, `full batch rank ${r}`);
});

test("a check owed by a short batch travels in checkpoints: a resumed run samples the same steps and values", () => {
  const reference = monitor();
  fit(model(), data(ROWS), { ...opts, observers: [reference] });
  const saved: { bytes: Uint8Array; step: number }[] = [];
  const saver = model();
  // Saved right after the short batches (steps 5, 10, …), while a check is owed.
  fit(saver, data(ROWS), {
    ...opts,
    observers: [monitor()],
    checkpoint: {
      every: STEPS_PER_EPOCH,
      save: (state) =>
        saved.push({
          step: state.step,
          bytes: encodeModel(saver, { checkpoint: state as unknown as Record<string, unknown> }),
        }),
    },
  });
  for (const { bytes, step } of saved.filter((c) => c.step === 10 || c.step === 35)) {
    const loaded = decodeModel(bytes, "ckpt");
    const resumed = monitor();
    fit(loaded.model, data(ROWS), {
      ...opts,
      observers: [resumed],
      resume: loaded.checkpoint as unknown as TrainingState,
    });
    assert.deepEqual(resumed.statistics(), reference.statistics(), `resumed at step ${step}`);
  }
});
