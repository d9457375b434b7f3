/**
 * The zoo of broken and healthy training runs the health monitor is judged on (issue 3): small
 * synthetic sets and a slice of the bundled digits, a few epochs each, so the whole zoo runs in seconds.
 * Used by test/health-zoo.test.ts and bench/health-zoo.ts.
 */
import {
  checkBeforeTraining,
  healthMonitor,
  type HealthEvent,
  type HealthKind,
  type HealthStatistics,
} from "../../src/health/index.js";
import type { LossName } from "../../src/losses/losses.js";
import type { Sequential } from "../../src/nn/sequential.js";
import { adam, sgd } from "../../src/optim/optimizers.js";
import type { Optimizer } from "../../src/optim/optimizers.js";
import { Rng } from "../../src/tensor/rng.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { blobs, halves, linearData, mlp, mnistSlice, type Split } from "./zoo-data.js";
import { evaluate } from "../../src/train/evaluate.js";
import { fit } from "../../src/train/fit.js";
import type { Observer } from "../../src/train/events.js";

export { blobs, halves, linearData, mlp, mnistSlice };

export interface ZooSetup {
  train: Split;
  test: Split;
  task: "classification" | "regression";
  model: Sequential;
  loss: LossName;
  optimizer: Optimizer;
  epochs: number;
  batchSize: number;
  /** Evaluate on `test` after each epoch (for the overfitting rule). */
  validate?: boolean;
}

export interface ZooCase {
  name: string;
  /** Undefined for a healthy case; otherwise the kind the first event must have. */
  expected?: HealthKind;
  /** The healthy case whose accuracy a repaired run must reach (within 2 points). */
  twin?: string;
  setup(): ZooSetup;
}

export interface ZooResult {
  name: string;
  events: HealthEvent[];
  firstKind?: HealthKind;
  firstStep?: number;
  repaired: boolean;
  failed?: string;
  /** Test accuracy (classification) or test loss (regression). */
  accuracy: number;
  seconds: number;
  statistics: HealthStatistics;
}

/** The seed article's data: x₂ = x₁ + 1, y = x₁ + 2x₂ + 3. */
function seedData(): Split {
  const X = [
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 5],
  ];
  return {
    x: Float32Array.from(X.flat()),
    y: Float32Array.from(X.map(([a, b]) => a + 2 * b + 3)),
    n: 4,
    inputDim: 2,
    outputDim: 1,
  };
}

function scaleWeights(model: Sequential, factor: number): Sequential {
  for (const [name, t] of model.parameters())
    if (name.endsWith("weight")) for (let i = 0; i < t.size; i++) t.data[i] *= factor;
  return model;
}

const mnistRelu = (lr: number): ZooSetup => ({
  ...mnistSlice(),
  task: "classification",
  model: mlp(784, [32], "relu", 10, "softmax"),
  loss: "crossEntropy",
  optimizer: adam({ lr }),
  epochs: 6,
  batchSize: 32,
});
const mnistMomentum = (lr: number): ZooSetup => ({
  ...mnistRelu(0),
  optimizer: sgd({ lr, momentum: 0.95 }),
  epochs: 12,
});
const deepSigmoid = (): ZooSetup => ({
  ...mnistSlice(),
  task: "classification",
  model: mlp(784, [32, 32, 32], "sigmoid", 10, "softmax"),
  loss: "crossEntropy",
  optimizer: adam({ lr: 1e-2 }),
  epochs: 3,
  batchSize: 32,
});
const deepRelu = (): ZooSetup => ({
  ...mnistSlice(),
  task: "classification",
  model: mlp(784, [32, 32, 32, 32], "relu", 10, "softmax"),
  loss: "crossEntropy",
  optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
  epochs: 3,
  batchSize: 32,
});

export const ZOO: ZooCase[] = [
  // Healthy.
  { name: "mnist relu adam", setup: () => mnistRelu(2e-3) },
  {
    name: "mnist tanh sgd",
    setup: () => ({
      ...mnistRelu(0),
      model: mlp(784, [32], "tanh", 10, "softmax"),
      optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
    }),
  },
  { name: "mnist deep sigmoid", setup: deepSigmoid },
  { name: "mnist deep relu sgd", setup: deepRelu },
  { name: "mnist relu sgd 0.1 momentum 0.95", setup: () => mnistMomentum(0.1) },
  {
    name: "blobs 3-class relu",
    setup: () => ({
      ...halves(blobs(600, 3, 4, 3), 450),
      task: "classification",
      model: mlp(4, [16], "relu", 3, "softmax"),
      loss: "crossEntropy",
      optimizer: adam({ lr: 1e-2 }),
      epochs: 8,
      batchSize: 16,
    }),
  },
  {
    name: "binary sigmoid bce",
    setup: () => ({
      ...halves(blobs(600, 2, 3, 5), 450),
      task: "classification",
      model: mlp(3, [8], "tanh", 1, "sigmoid"),
      loss: "binaryCrossEntropy",
      optimizer: adam({ lr: 1e-2 }),
      epochs: 8,
      batchSize: 16,
    }),
  },
  {
    name: "linear regression",
    setup: () => ({
      ...halves(linearData(600, 5, 7), 450),
      task: "regression",
      model: mlp(5, [], "identity", 1, "identity"),
      loss: "mse",
      optimizer: sgd({ lr: 0.02 }),
      epochs: 8,
      batchSize: 16,
    }),
  },
  // Broken.
  { name: "lr 100x too high", expected: "lrTooHigh", twin: "mnist relu adam", setup: () => mnistRelu(0.2) },
  {
    name: "lr so low nothing moves",
    expected: "lrTooLow",
    twin: "mnist relu adam",
    setup: () => mnistRelu(2e-6),
  },
  {
    name: "deep sigmoid, large init",
    expected: "saturation",
    twin: "mnist deep sigmoid",
    setup: () => {
      const s = deepSigmoid();
      scaleWeights(s.model, 20);
      return s;
    },
  },
  {
    name: "relu, very negative bias",
    expected: "dyingRelu",
    twin: "mnist relu adam",
    setup: () => {
      const s = mnistRelu(2e-3);
      s.model.parameters()[1][1].data.fill(-3);
      return s;
    },
  },
  {
    name: "deep relu, large init",
    expected: "explodingGradients",
    twin: "mnist deep relu sgd",
    setup: () => {
      const s = deepRelu();
      scaleWeights(s.model, 3);
      return s;
    },
  },
  {
    name: "deep sigmoid, vanishing",
    expected: "vanishingGradients",
    setup: () => ({
      ...mnistSlice(),
      task: "classification",
      model: mlp(784, [16, 16, 16, 16, 16, 16, 16, 16], "sigmoid", 10, "softmax"),
      loss: "crossEntropy",
      optimizer: sgd({ lr: 0.05 }),
      epochs: 2,
      batchSize: 32,
    }),
  },
  {
    name: "inputs x1000",
    expected: "unscaledInputs",
    setup: () => {
      const s = mnistRelu(2e-3);
      s.train.x.forEach((v, i) => (s.train.x[i] = v * 1000));
      s.test.x.forEach((v, i) => (s.test.x[i] = v * 1000));
      return s;
    },
  },
  {
    name: "NaN in data cells",
    expected: "nonFiniteData",
    setup: () => {
      const s = mnistRelu(2e-3);
      for (const i of [1000 * 784 + 400, 1500 * 784 + 300, 17 * 784 + 500]) s.train.x[i] = NaN;
      return s;
    },
  },
  {
    name: "labels shuffled",
    expected: "notLearning",
    setup: () => {
      const s = mnistRelu(2e-3);
      const rng = new Rng(9);
      const order = Int32Array.from({ length: s.train.n }, (_, i) => i);
      rng.shuffle(order);
      const y = s.train.y.slice();
      order.forEach((src, dst) => s.train.y.set(y.subarray(src * 10, src * 10 + 10), dst * 10));
      return s;
    },
  },
  { name: "softmax + MSE", expected: "lossMismatch", setup: () => ({ ...mnistRelu(2e-3), loss: "mse" }) },
  {
    name: "sigmoid output, regression",
    expected: "labelsOutOfRange",
    setup: () => ({
      ...halves(linearData(600, 5, 7), 450),
      task: "regression",
      model: mlp(5, [], "identity", 1, "sigmoid"),
      loss: "mse",
      optimizer: sgd({ lr: 0.02 }),
      epochs: 4,
      batchSize: 16,
    }),
  },
  {
    name: "seed collinear regression",
    expected: "collinearFeatures",
    setup: () => {
      const d = seedData();
      return {
        train: d,
        test: d,
        task: "regression",
        model: mlp(2, [], "identity", 1, "identity"),
        loss: "mse",
        optimizer: sgd({ lr: 0.02 }),
        epochs: 200,
        batchSize: 4,
      };
    },
  },
  {
    // Heavy momentum on a well-conditioned quadratic: the weights circle the minimum, the loss rises and falls every ~3 checks.
    name: "momentum 0.99, loss swings",
    expected: "oscillation",
    setup: () => ({
      ...halves(linearData(600, 5, 7), 450),
      task: "regression",
      model: mlp(5, [], "identity", 1, "identity"),
      loss: "mse",
      optimizer: sgd({ lr: 0.005, momentum: 0.99 }),
      epochs: 30,
      batchSize: 16,
    }),
  },
  {
    // An effective step of lr/(1 − β) = 4 bounces across the valley: the loss stalls far above a fit. Its twin has half the step.
    name: "sgd 0.2 + momentum 0.95, stalls",
    expected: "plateau",
    twin: "mnist relu sgd 0.1 momentum 0.95",
    setup: () => mnistMomentum(0.2),
  },
  {
    name: "overfitting, 100 rows",
    expected: "overfitting",
    setup: () => {
      const s = mnistSlice();
      return {
        train: { ...s.train, n: 100, x: s.train.x.slice(0, 100 * 784), y: s.train.y.slice(0, 1000) },
        test: s.test,
        task: "classification",
        model: mlp(784, [64], "relu", 10, "softmax"),
        loss: "crossEntropy",
        optimizer: adam({ lr: 2e-3 }),
        epochs: 30,
        batchSize: 20,
        validate: true,
      };
    },
  },
];

/** Run one case: checks before training, then training under the monitor; test accuracy (or loss, for regression) at the end. */
export function runZooCase(
  c: ZooCase,
  opts: { repair: boolean; checkEvery?: number; observers?: Observer[] },
): ZooResult {
  const started = performance.now();
  const s = c.setup();
  const pre = checkBeforeTraining({ ...s.train, task: s.task }, s.model, s.loss);
  const health = healthMonitor({
    repair: opts.repair,
    seed: 1,
    thresholds: opts.checkEvery ? { checkEvery: opts.checkEvery } : {},
  });
  const tensors = (d: Split) => ({
    x: new Tensor(d.x, [d.n, d.inputDim]),
    y: new Tensor(d.y, [d.n, d.outputDim]),
  });
  const history = fit(s.model, tensors(s.train), {
    epochs: s.epochs,
    batchSize: s.batchSize,
    optimizer: s.optimizer,
    loss: s.loss,
    seed: 1,
    observers: [health, ...(opts.observers ?? [])],
    metrics: s.task === "classification" ? ["accuracy"] : [],
    validationData: s.validate ? tensors(s.test) : undefined,
  });
  const m = evaluate(s.model, tensors(s.test), {
    loss: s.loss,
    metrics: s.task === "classification" ? ["accuracy"] : [],
  });
  const events = [...pre, ...health.events];
  return {
    name: c.name,
    events,
    firstKind: events[0]?.kind,
    firstStep: events[0]?.step,
    repaired: events.some((e) => e.repaired),
    failed: history.failed,
    accuracy: s.task === "classification" ? (m.accuracy ?? NaN) : m.loss,
    seconds: (performance.now() - started) / 1000,
    statistics: health.statistics(),
  };
}
