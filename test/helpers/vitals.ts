/**
 * The small network and blobs the vitals loop's end-to-end tests train: three separable classes in 6
 * features, a 6-24-24-3 ReLU network, a loop that checks every 5 steps with a window of 8 checks, an
 * observer that silences the last hidden layer at a chosen step, and two remedies (one that does nothing,
 * ReDo).
 */
import { redo } from "../../src/homeostasis/redo.js";
import type { Regulator } from "../../src/homeostasis/regulator.js";
import type { VitalsOptions } from "../../src/homeostasis/vital-options.js";
import { Dense } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { sgd } from "../../src/optim/optimizers.js";
import { Rng } from "../../src/tensor/rng.js";
import { Tensor } from "../../src/tensor/tensor.js";
import type { Observer } from "../../src/train/events.js";
import { blobs } from "./health-zoo.js";

export const data = () => {
  const s = blobs(320, 3, 6, 7);
  return { x: new Tensor(s.x, [s.n, 6]), y: new Tensor(s.y, [s.n, 3]) };
};
export const net = () =>
  new Sequential([
    new Dense(24, { activation: "relu" }),
    new Dense(24, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(6, new Rng(5));
export const opts = {
  epochs: 40,
  batchSize: 16,
  optimizer: sgd({ lr: 0.05 }),
  loss: "crossEntropy" as const,
  seed: 2,
};
export const small: VitalsOptions = { checkEvery: 5, window: 8, baselineStart: 4, forgettingBudget: 0 };

/** Silences every unit of the last hidden layer once, at `step` (bias −100: ReLU never fires, no gradient). */
export const silencer = (step: number): Observer => ({
  onBatchEnd: (e, c) => {
    if (e.step === step) (c.parameters.find(([n]) => n === "1.bias")![1].data as Float32Array).fill(-100);
  },
});
export const nothing = {
  name: "nothing",
  make: (): Regulator[] => [
    { name: "nothing", stateKey: "nothing", getState: () => null, setState: () => {} },
  ],
};
export const recycle = { name: "redo", make: () => [redo({ every: 5, tau: 0.1 })] };
