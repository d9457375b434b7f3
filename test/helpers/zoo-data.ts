/**
 * The health zoo's data and networks (test/helpers/health-zoo.ts): a slice of the bundled digits,
 * Gaussian blobs, a noisy linear target, and the MLPs its cases train.
 */
import { loadBundledMnist } from "../../src/data/mnist.js";
import type { ActivationName } from "../../src/nn/activations.js";
import { Dense } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { Rng } from "../../src/tensor/rng.js";

export interface Split {
  x: Float32Array;
  y: Float32Array;
  n: number;
  inputDim: number;
  outputDim: number;
}

let digits: { train: Split; test: Split } | null = null;
/** 2,000 training and 500 test digits from the bundled set, pixels in [0, 1]. */
export function mnistSlice(): { train: Split; test: Split } {
  if (!digits) {
    const { train, test } = loadBundledMnist();
    const take = (d: typeof train, n: number): Split => ({
      x: d.x.slice(0, n * 784),
      y: d.y.slice(0, n * 10),
      n,
      inputDim: 784,
      outputDim: 10,
    });
    digits = { train: take(train, 2000), test: take(test, 500) };
  }
  return { train: copy(digits.train), test: copy(digits.test) };
}
const copy = (s: Split): Split => ({ ...s, x: s.x.slice(), y: s.y.slice() });

export function mlp(
  inputDim: number,
  hidden: number[],
  activation: ActivationName,
  out: number,
  outAct: ActivationName,
  seed = 1,
): Sequential {
  const layers = [...hidden.map((u) => new Dense(u, { activation })), new Dense(out, { activation: outAct })];
  return new Sequential(layers).build(inputDim, new Rng(seed));
}

/** Gaussian blobs, one per class, in `d` dimensions. */
export function blobs(n: number, classes: number, d: number, seed: number): Split {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => rng.normal() * 1.5));
  const x = new Float32Array(n * d);
  const k = classes === 2 ? 1 : classes;
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c][j] + 0.7 * rng.normal();
    if (k === 1) y[i] = c;
    else y[i * k + c] = 1;
  }
  return { x, y, n, inputDim: d, outputDim: k };
}

/** y = x·w + 0.5 + noise, standardised features. */
export function linearData(n: number, d: number, seed: number): Split {
  const rng = new Rng(seed);
  const w = Array.from({ length: d }, () => rng.normal());
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.5;
    for (let j = 0; j < d; j++) s += (x[i * d + j] = rng.normal()) * w[j];
    y[i] = s + 0.1 * rng.normal();
  }
  return { x, y, n, inputDim: d, outputDim: 1 };
}

export const halves = (s: Split, cut: number): { train: Split; test: Split } => ({
  train: { ...s, n: cut, x: s.x.slice(0, cut * s.inputDim), y: s.y.slice(0, cut * s.outputDim) },
  test: { ...s, n: s.n - cut, x: s.x.slice(cut * s.inputDim), y: s.y.slice(cut * s.outputDim) },
});
