/**
 * The evidence behind CHECK_LIMITS.inputScale (issue 14, point 10): data sets rescaled by a factor (or shifted by
 * an offset), the first layer's measured input scale (inputScale: mean and worst unit, measured over intended
 * pre-activation scale), whether the old rule (max |x| > 10) fired, and what training then reaches next to the
 * unscaled data's run, with Adam and with SGD + momentum, under the zoo's settings.
 *
 * node dist/bench/input-scale.js
 *
 * Its run on issue 14's code (input scale: mean over units; accuracy or test MSE, unscaled → this):
 *
 * | data | scale | old rule | new (> 8) | Adam | SGD + momentum |
 * | --- | --- | --- | --- | --- | --- |
 * | blobs × 3.5 / × 5 / × 7 | 3.4 / 4.9 / 6.8 | fires | — | 100 → 99.3 / 98.7 / 98.7% | 100 → 99.3 / 100 / 98.7% |
 * | blobs, std 2–5, one 10.5 (the issue's) | 3.4 | fires | — | 100 → 98.7% | 100 → 96.7% |
 * | digits × 10 / × 20 | 3.1 / 6.2 | — / fires | — | 89.8 → 88.0 / 87.6% | 90.0 → 10.4% (lrTooHigh in training) |
 * | blobs + 10 | 8.6 | fires | fires | 100 → 92.7% | 100 → 33.3% |
 * | digits × 30 / × 1000 | 9.3 / 310 | fires | fires | 89.8 → 86.0 / 33.8% | 90.0 → 10.4% |
 * | regression × 3.5 / × 10 | 3.4 / 9.8 | fires | — / fires | 0.059 → 0.195 / 1.31 | 0.023 → NaN / ∞ |
 * | blobs + 2000 (a year) | 1,700 | fires | fires | 100 → 33.3% | 100 → 33.3% |
 */
import { useBackend } from "../src/backend/index.js";
import { CHECK_LIMITS, inputScale } from "../src/health/checks.js";
import type { LossName } from "../src/losses/losses.js";
import { adam, sgd, type Optimizer } from "../src/optim/optimizers.js";
import { Tensor } from "../src/tensor/tensor.js";
import { evaluate } from "../src/train/evaluate.js";
import { fit } from "../src/train/fit.js";
import { blobs, halves, linearData, mlp, mnistSlice } from "../test/helpers/health-zoo.js";

interface Split {
  x: Float32Array;
  y: Float32Array;
  n: number;
  inputDim: number;
  outputDim: number;
}
interface Family {
  name: string;
  data: () => { train: Split; test: Split };
  model: (d: number, k: number) => ReturnType<typeof mlp>;
  loss: LossName;
  epochs: number;
  batchSize: number;
  optimizers: [string, () => Optimizer][];
  /** The variants: a label and how it changes every feature value (column c). */
  variants: [string, (v: number, c: number) => number][];
}

/** Zero mean and unit variance per column, with the training split's statistics. */
function standardize(s: { train: Split; test: Split }): { train: Split; test: Split } {
  const d = s.train.inputDim;
  for (let c = 0; c < d; c++) {
    let m = 0,
      q = 0;
    for (let r = 0; r < s.train.n; r++) m += s.train.x[r * d + c];
    m /= s.train.n;
    for (let r = 0; r < s.train.n; r++) q += (s.train.x[r * d + c] - m) ** 2;
    const sd = Math.sqrt(q / s.train.n) || 1;
    for (const split of [s.train, s.test])
      for (let r = 0; r < split.n; r++) split.x[r * d + c] = (split.x[r * d + c] - m) / sd;
  }
  return s;
}

// The table above was measured on js, the reference backend.
useBackend("js");

const scaled = (factors: number[]): [string, (v: number) => number][] =>
  factors.map((f) => [`× ${f}`, (v) => v * f]);
const shifted = (offsets: number[]): [string, (v: number) => number][] =>
  offsets.map((o) => [`+ ${o}`, (v) => v + o]);
// The issue's healthy set: standard deviations 2 to 5, every value within ±10 but one at 10.5.
const issueCase: [string, (v: number, c: number) => number] = [
  "std 2–5, one 10.5",
  (v, c) => Math.max(-10, Math.min(10, v * (2 + (3 * c) / 5))),
];

const FAMILIES: Family[] = [
  {
    name: "digits (pixels in [0, 1])",
    data: mnistSlice,
    model: (d, k) => mlp(d, [32], "relu", k, "softmax"),
    loss: "crossEntropy",
    epochs: 4,
    batchSize: 32,
    optimizers: [
      ["adam 2e-3", () => adam({ lr: 2e-3 })],
      ["sgd 0.05 m 0.9", () => sgd({ lr: 0.05, momentum: 0.9 })],
    ],
    variants: scaled([1, 3, 10, 20, 30, 100, 1000]),
  },
  {
    name: "blobs, 6 standardised features",
    data: () => standardize(halves(blobs(600, 3, 6, 3), 450)),
    model: (d, k) => mlp(d, [16], "relu", k, "softmax"),
    loss: "crossEntropy",
    epochs: 8,
    batchSize: 16,
    optimizers: [
      ["adam 1e-2", () => adam({ lr: 1e-2 })],
      ["sgd 0.05 m 0.9", () => sgd({ lr: 0.05, momentum: 0.9 })],
    ],
    variants: [
      ...scaled([1, 2, 3.5, 5, 7, 10, 20, 50, 100, 1000]),
      issueCase,
      ...shifted([5, 10, 100, 2000]),
    ],
  },
  {
    name: "linear regression, 5 standardised features (test mse)",
    data: () => halves(linearData(600, 5, 7), 450),
    model: (d) => mlp(d, [16], "relu", 1, "identity"),
    loss: "mse",
    epochs: 8,
    batchSize: 16,
    optimizers: [
      ["adam 1e-2", () => adam({ lr: 1e-2 })],
      ["sgd 0.01 m 0.9", () => sgd({ lr: 0.01, momentum: 0.9 })],
    ],
    variants: [...scaled([1, 3.5, 5, 7, 10, 30, 100]), issueCase, ...shifted([5, 100])],
  },
];

const tensors = (s: Split) => ({
  x: new Tensor(s.x, [s.n, s.inputDim]),
  y: new Tensor(s.y, [s.n, s.outputDim]),
});
console.log(
  "| data | inputs | input scale (mean / worst unit) | old rule (max |x| > 10) | new rule | result per optimiser (unscaled → this) |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const f of FAMILIES) {
  const baseline = new Map<string, number>();
  for (const [label, change] of f.variants) {
    const s = f.data();
    for (const split of [s.train, s.test])
      split.x.forEach((v, i) => (split.x[i] = change(v, i % split.inputDim)));
    if (label === issueCase[0]) s.train.x[0] = 10.5;
    const classification = f.loss === "crossEntropy";
    const scale = inputScale(
      { ...s.train, task: classification ? "classification" : "regression" },
      f.model(s.train.inputDim, s.train.outputDim),
    )!;
    const oldRule = s.train.x.some((v) => Math.abs(v) > 10);
    const results = f.optimizers.map(([name, opt]) => {
      const model = f.model(s.train.inputDim, s.train.outputDim);
      fit(model, tensors(s.train), {
        epochs: f.epochs,
        batchSize: f.batchSize,
        optimizer: opt(),
        loss: f.loss,
        seed: 1,
      });
      const m = evaluate(model, tensors(s.test), {
        loss: f.loss,
        metrics: classification ? ["accuracy"] : [],
      });
      const score = classification ? m.accuracy! : m.loss;
      if (!baseline.has(name)) baseline.set(name, score);
      const show = (v: number) => (classification ? `${(100 * v).toFixed(1)}%` : v.toPrecision(3));
      return `${name}: ${show(baseline.get(name)!)} → ${show(score)}`;
    });
    console.log(
      `| ${f.name} | ${label} | ${scale.mean.toPrecision(3)} / ${scale.worst.toPrecision(3)} | ${oldRule ? "fires" : "—"} | ${scale.mean > CHECK_LIMITS.inputScale ? "fires" : "—"} | ${results.join("; ")} |`,
    );
  }
}
