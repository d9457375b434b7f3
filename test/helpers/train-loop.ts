/**
 * The training-loop unit tests' small run, worked by hand against plain SGD: 12 rows of three blobs
 * (3 batches of 4), a 2-5-3 tanh/softmax MLP, one epoch of SGD at lr 0.1.
 */
import { crossEntropy } from "../../src/losses/losses.js";
import { Dense } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { sgd } from "../../src/optim/optimizers.js";
import { Rng } from "../../src/tensor/rng.js";
import type { TrainingControl } from "../../src/train/events.js";
import type { FitOptions } from "../../src/train/fit.js";
import { threeBlobs } from "./models.js";

export const loopData = threeBlobs(12, 3); // 12 rows: 3 batches of 4
export const loopModel = (seed = 1): Sequential =>
  new Sequential([new Dense(5, { activation: "tanh" }), new Dense(3, { activation: "softmax" })]).build(
    2,
    new Rng(seed),
  );
/** The run's fit options; `o` replaces any of them. */
export const loopOptions = (o: Partial<FitOptions> = {}): FitOptions => ({
  epochs: 1,
  batchSize: 4,
  optimizer: sgd({ lr: 0.1 }),
  loss: crossEntropy,
  seed: 2,
  ...o,
});
/** Every weight of a model, or of the model a control steers, in one flat list. */
export const flatWeights = (c: TrainingControl | Sequential): number[] =>
  (c instanceof Sequential ? c.parameters() : c.parameters).flatMap(([, t]) => Array.from(t.data));
