/** Tiny quadrant data for the continual runner's unit tests: rows, streams, data sets and run settings. */
import type { ContinualConfig, TaskStream } from "../../src/continual/index.js";
import { type Dataset, oneHot } from "../../src/data/dataset.js";
import { optimizerFromConfig } from "../../src/optim/optimizers.js";
import { Rng } from "../../src/tensor/rng.js";
import { tinyStream } from "./continual.js";

/** Two class-incremental tasks of 4 classes over 2 inputs; labels follow the quadrant, with some noise. */
export function rows(n: number, seed: number): { x: number[][]; label: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = 2 * rng.next() - 1;
    const b = 2 * rng.next() - 1;
    x.push([a, b]);
    label.push((a > 0 ? 1 : 0) + (b > 0 ? 2 : 0));
  }
  return { x, label };
}

export function streamOf(n: number, seed: number): TaskStream {
  const { x, label } = rows(n, seed);
  const part = (classes: number[]) => {
    const keep = label.map((l, i) => (classes.includes(l) ? i : -1)).filter((i) => i >= 0);
    return { x: keep.map((i) => x[i]), labels: keep.map((i) => label[i]), classes };
  };
  return tinyStream("class", 4, [part([0, 1]), part([2, 3])]);
}

export function settings(over: Partial<ContinualConfig> = {}) {
  return {
    layers: [{ type: "dense", units: 3, activation: "tanh" }],
    seed: 5,
    epochs: 2,
    batchSize: 4,
    optimizer: optimizerFromConfig({ type: "adam", lr: 0.05 }, "optimizer"),
    keepOptimizerState: false,
    taskFree: false,
    ...over,
  };
}

/** A 4-class data set of the quadrant rows (train 40, test 24). */
export function dataset(n: number, seed: number): Dataset {
  const { x, label } = rows(n, seed);
  const labels = Int32Array.from(label);
  return {
    x: Float32Array.from(x.flat()),
    y: oneHot(labels, 4),
    n,
    inputDim: 2,
    outputDim: 4,
    task: "classification",
    labels,
  };
}
