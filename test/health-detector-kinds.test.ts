// Detectors are registered kinds: a user's own detector fires with its evidence and its repair runs,
// whether handed to the monitor as an object or named (with options) in a run-config-like object.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BUILTIN_DETECTOR_NAMES,
  type Detector,
  DEFAULT_THRESHOLDS,
  defineDetector,
  detectors,
  healthMonitor,
  scaleLearningRate,
} from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { ConfigError } from "../src/tensor/errors.js";
import { fit } from "../src/train/fit.js";
import { blobs } from "./helpers/health-zoo.js";

/** Fires at check number `at`, with the window loss it saw; its repair halves the learning rate. */
const checkCounter = defineDetector({
  name: "checkCounter",
  doc: "Fires at a given check (a test's detector).",
  options: { at: { kind: "number", min: 1, integer: true, default: 3 } },
  create: (o): Detector => ({
    name: "checkCounter",
    reports: ["checkCounter"],
    fatal: false,
    check: (p) =>
      p.checks === o.at
        ? {
            kind: "checkCounter",
            evidence: { checks: p.checks, loss: p.lossMeans[p.lossMeans.length - 1] },
            diagnosis: `check ${p.checks} reached`,
            action: "halve the learning rate",
          }
        : null,
    repair: (_f, ctx) => () => [scaleLearningRate(ctx, 0.5)],
  }),
});

function run(monitorOptions: Parameters<typeof healthMonitor>[0]) {
  const s = blobs(240, 3, 4, 5);
  const model = new Sequential([
    new Dense(16, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(3));
  const health = healthMonitor({
    repair: true,
    ...monitorOptions,
    thresholds: { checkEvery: 5, ...monitorOptions?.thresholds },
  });
  const lrs: number[] = [];
  const history = fit(
    model,
    { x: new Tensor(s.x, [s.n, 4]), y: new Tensor(s.y, [s.n, 3]) },
    {
      epochs: 2,
      batchSize: 16,
      optimizer: sgd({ lr: 0.1 }),
      loss: "crossEntropy",
      seed: 2,
      observers: [health, { onBatchEnd: (e) => lrs.push(e.lr) }],
    },
  );
  return { health, lrs, history };
}

test("a user's detector object fires at its check with its evidence, and its repair runs", () => {
  const { health, lrs } = run({ detectors: [...BUILTIN_DETECTOR_NAMES, checkCounter] });
  const points = health.statistics().points;
  assert.deepEqual(
    health.events.map((e) => [e.step, e.kind, e.repaired]),
    [
      [15, "checkCounter", true],
      [15, "learningRateCut", true],
    ],
  );
  // The evidence is the picture of the third check: the same window loss the series recorded at step 15.
  assert.deepEqual(health.events[0].evidence, { checks: 3, loss: points[2].loss });
  assert.equal(points[2].step, 15);
  assert.equal(health.events[0].diagnosis, "check 3 reached");
  assert.deepEqual(health.events[1].evidence, { factor: 0.5, scale: 0.5 });
  // The step after the repair trains at half the rate.
  assert.deepEqual([lrs[14], lrs[15]], [0.1, 0.05]);
});

test("a registered detector is named with its options in a run-config-like object", () => {
  detectors.register(checkCounter);
  try {
    const config = JSON.parse(
      '{"repair": true, "detectors": ["divergence", {"type": "checkCounter", "at": 2}]}',
    );
    const { health } = run(config);
    assert.deepEqual(
      health.events.map((e) => [e.step, e.kind, e.evidence.checks ?? e.evidence.factor]),
      [
        [10, "checkCounter", 2],
        [10, "learningRateCut", 0.5],
      ],
    );
    assert.throws(
      () => healthMonitor({ detectors: [{ type: "checkCounter", at: 0 }] }),
      (e: unknown) =>
        e instanceof ConfigError && /^health\.detectors\[0\]\.at: must be ≥ 1, got 0$/.test(e.message),
    );
  } finally {
    detectors.unregister("checkCounter");
  }
  assert.throws(
    () => healthMonitor({ detectors: ["checkCounter"] }),
    /health\.detectors\[0\]\.type: unknown health detector string "checkCounter"; expected one of nonFiniteWeights, divergence,/,
  );
});

test("the built-in detectors' options default to DEFAULT_THRESHOLDS; a detector's own option wins over thresholds", () => {
  // The vital-signs detectors have options of their own (windows and budgets, not thresholds).
  for (const kind of detectors.kinds().filter((k) => BUILTIN_DETECTOR_NAMES.includes(k.name)))
    for (const [key, spec] of Object.entries(kind.options))
      assert.equal(
        spec.default,
        DEFAULT_THRESHOLDS[key as keyof typeof DEFAULT_THRESHOLDS],
        `${kind.name}.${key}`,
      );
  assert.deepEqual(
    [...BUILTIN_DETECTOR_NAMES, "plasticityLoss", "forgetting", "deadUnits"],
    detectors.names(),
  );
  // divergenceFactor 3 never fires on this healthy run; 0.5 fires at the second check (any loss above half the first).
  const quiet = run({ detectors: ["divergence"], repair: false, thresholds: { divergenceFactor: 0.5 } });
  const loud = run({ detectors: [{ type: "divergence", divergenceFactor: 0.5 }], repair: false });
  assert.deepEqual(quiet.health.events, loud.health.events);
  assert.equal(loud.health.events[0]?.kind, "divergence");
  assert.equal(loud.health.events[0].evidence.initialLoss, loud.health.statistics().points[0].loss);
});
