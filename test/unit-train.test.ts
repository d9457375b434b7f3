/**
 * The training loop's glue, checked against hand-computed learning rates and an uninterrupted run:
 * a plateau schedule's cut must survive a checkpoint.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { ReduceOnPlateau } from "../src/optim/schedules.js";
import { Rng } from "../src/tensor/rng.js";
import type { Observer } from "../src/train/events.js";
import { fit, type FitOptions, type TrainingState } from "../src/train/fit.js";
import { threeBlobs } from "./helpers/models.js";

const blobs = threeBlobs;

const mlp = (seed: number): Sequential =>
  new Sequential([new Dense(8, { activation: "relu" }), new Dense(3, { activation: "softmax" })]).build(
    2,
    new Rng(seed),
  );

/** Each step's learning rate and the weights right after it. */
function recorder(): Observer & { steps: { step: number; lr: number; weights: number[][] }[] } {
  const steps: { step: number; lr: number; weights: number[][] }[] = [];
  return {
    steps,
    onBatchEnd: (e, c) => {
      steps.push({ step: e.step, lr: e.lr, weights: c.parameters.map(([, t]) => Array.from(t.data)) });
    },
  };
}

test("a run resumed after ReduceOnPlateau cut the learning rate keeps the cut LR (bit-identical updates)", () => {
  const data = blobs(30, 4); // 30 rows, batches of 8: 4 steps per epoch
  // mode "max" with an absolute threshold of 1e9: nothing after the first epoch counts as better, so with
  // patience 0 every epoch's end from the second on halves the rate, whatever the loss does.
  const plateau = (): ReduceOnPlateau =>
    new ReduceOnPlateau({ mode: "max", threshold: 1e9, thresholdMode: "abs", patience: 0, factor: 0.5 });
  const base = 0.1;
  const opts = (p: ReduceOnPlateau): FitOptions => ({
    epochs: 4,
    batchSize: 8,
    optimizer: sgd({ lr: base, momentum: 0.9 }),
    loss: "crossEntropy",
    seed: 3,
    plateau: p,
  });

  const full = recorder();
  fit(mlp(1), data, { ...opts(plateau()), observers: [full] });
  // Epochs 0 and 1 at the base rate, epoch 2 at half, epoch 3 at a quarter (by hand, from the rule above).
  assert.deepEqual(
    full.steps.map((s) => s.lr),
    [1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25].map((f) => base * f),
  );

  const saved: { state: TrainingState; weights: Float32Array[] }[] = [];
  const saver = mlp(1);
  fit(saver, data, {
    ...opts(plateau()),
    checkpoint: {
      every: 1,
      save: (state) =>
        saved.push({
          state: structuredClone(state),
          weights: saver.parameters().map(([, t]) => (t.data as Float32Array).slice()),
        }),
    },
  });
  // Checkpoints inside an epoch after the first cut: the resumed run must go on at the cut rate, not the base one.
  const afterCut = saved.filter(
    ({ state }) => state.epoch >= 2 && state.batchIndex > 0 && state.batchIndex < 4,
  );
  assert.equal(afterCut.length, 6);
  for (const { state, weights } of afterCut) {
    const m = mlp(99);
    m.parameters().forEach(([, t], i) => t.data.set(weights[i]));
    const resumed = recorder();
    fit(m, data, { ...opts(plateau()), resume: state, observers: [resumed] });
    const rest = full.steps.slice(state.step);
    assert.deepEqual(
      resumed.steps.map((s) => s.lr),
      rest.map((s) => s.lr),
      `learning rates resumed at step ${state.step}`,
    );
    assert.deepEqual(
      resumed.steps.map((s) => s.weights),
      rest.map((s) => s.weights),
      `weights after each step, resumed at step ${state.step}`,
    );
  }
});
