/**
 * Which observers make `fit` copy every gradient at every step. A CLI run's observers (progress output,
 * early stopping, the regulators, the run recorder) and the continual strategies' observers read no
 * `BatchEvent.grads`, so each declines them (`wantsGradients`); a run made of them alone hands its
 * observers an empty gradient map at every step. Synaptic intelligence reads them, and says so.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { epochLog, progressBar } from "../src/cli/progress.js";
import { penaltyObserver } from "../src/continual/strategy.js";
import { createRegulator, regulators } from "../src/homeostasis/config.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { runRecorder, streamRecorder } from "../src/report/record.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { earlyStopping } from "../src/train/observers.js";

const data = (): { x: Tensor; y: Tensor } => {
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 16 * 3 }, () => rng.normal());
  const y = Float32Array.from({ length: 16 * 2 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0));
  return { x: new Tensor(x, [16, 3]), y: new Tensor(y, [16, 2]) };
};

/** How many gradients each step's event carried, with `observers` plus a probe that declines them too. */
function gradientsSeen(observers: Observer[]): number[] {
  const seen: number[] = [];
  const probe: Observer = { wantsGradients: () => false, onBatchEnd: (e) => seen.push(e.grads.size) };
  const model = new Sequential([
    new Dense(4, { activation: "relu" }),
    new Dense(2, { activation: "softmax" }),
  ]).build(3, new Rng(1));
  fit(model, data(), {
    epochs: 2,
    batchSize: 4,
    optimizer: adam({ lr: 1e-2 }),
    loss: "crossEntropy",
    seed: 1,
    validationSplit: 0.25,
    observers: [...observers, probe],
  });
  return seen;
}

const quiet = { write: () => true } as unknown as NodeJS.WriteStream;
const anchor = new Map([["0.bias", new Float32Array(4)]]);

test("a CLI run's observers and the strategies' penalty observer decline the gradients", () => {
  const observers: Observer[] = [
    progressBar(quiet, 2, 3),
    epochLog(() => {}, 2),
    earlyStopping({ patience: 5 }),
    ...regulators.names().map((type) => createRegulator({ type, options: {} })),
    runRecorder(),
    streamRecorder(),
    penaltyObserver(anchor, anchor, 1)!,
  ];
  assert.deepEqual(gradientsSeen(observers), [0, 0, 0, 0, 0, 0], "no step copied a gradient");
});

test("an observer that does not say is handed every gradient (4 parameters), as before", () => {
  assert.deepEqual(gradientsSeen([{ onEpochEnd: () => {} }]), [4, 4, 4, 4, 4, 4]);
});
