/**
 * A user's own regulator and strategy, registered once, are named in a run config exactly like the
 * built-in ones: parsed, created and run. Exact values prove that the user's code ran, and ran as often
 * as the run's structure says.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineKind } from "../src/config/registry.js";
import { createStrategy, parseContinualConfig, runStrategy, strategies } from "../src/continual/index.js";
import type { Strategy } from "../src/continual/strategy.js";
import { createRegulator, parseRegulators, type Regulator, regulators } from "../src/homeostasis/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { tinyStream } from "./helpers/continual.js";

/** Multiplies the first weight by `factor` after every step. */
const scaleFirstWeight = defineKind({
  name: "scaleFirstWeight",
  doc: "Multiplies the first weight by a factor after every step (a test's regulator).",
  options: { factor: { kind: "number", min: 0, doc: "the factor" } },
  create: (o): Regulator => ({
    name: "scaleFirstWeight",
    stateKey: "scaleFirstWeight",
    getState: () => null,
    setState: () => {},
    onBatchEnd: (_e, control) => {
      control.parameters[0][1].data[0] *= o.factor;
    },
  }),
});

/** Records the index (plus `offset`) of every task it is told about, at its start and at its end. */
const taskLog = defineKind({
  name: "taskLog",
  doc: "Records each task boundary (a test's strategy).",
  options: { offset: { kind: "number", default: 0, integer: true } },
  create: (o): Strategy => {
    const log = { started: [] as number[], ended: [] as number[] };
    return {
      name: "taskLog",
      onTaskStart: (ctx) => log.started.push(ctx.taskIndex + o.offset),
      onTaskEnd: (ctx) => log.ended.push(ctx.taskIndex + o.offset),
      getState: () => structuredClone(log),
      setState: () => {},
    };
  },
});

test("a registered regulator is parsed from a homeostasis list and acts at every step: w₀ · ½⁶ after six steps", () => {
  regulators.register(scaleFirstWeight);
  try {
    const [choice] = parseRegulators([{ type: "scaleFirstWeight", factor: 0.5 }]);
    assert.deepEqual(choice, { type: "scaleFirstWeight", options: { factor: 0.5 } });
    assert.throws(
      () => parseRegulators([{ type: "scaleFirstWeight" }]),
      /homeostasis\[0\]\.factor: required/,
    );
    const model = new Sequential([new Dense(3, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
    const w0 = model.parameters()[0][1].data[0];
    const x = new Tensor(
      Float32Array.from({ length: 24 }, (_, i) => i / 24),
      [12, 2],
    );
    const y = new Tensor(
      Float32Array.from({ length: 24 }, (_, i) => i % 2),
      [12, 2],
    );
    // lr 0: only the regulator moves a weight; 12 rows in batches of 2 are 6 steps; halving is exact.
    fit(
      model,
      { x, y },
      {
        epochs: 1,
        batchSize: 2,
        optimizer: sgd({ lr: 0 }),
        loss: "mse",
        seed: 1,
        observers: [createRegulator(choice)],
      },
    );
    assert.equal(model.parameters()[0][1].data[0], w0 / 64);
  } finally {
    regulators.unregister("scaleFirstWeight");
  }
});

test("a registered strategy is parsed from a continual config and called at every task boundary", () => {
  strategies.register(taskLog);
  try {
    const cfg = parseContinualConfig({
      strategy: { type: "taskLog", offset: 10 },
      epochs: 1,
      batchSize: 2,
      model: { layers: [{ type: "dense", units: 3, activation: "relu" }] },
      optimizer: { type: "sgd", lr: 0.1 },
    });
    assert.deepEqual(cfg.strategy, { type: "taskLog", options: { offset: 10 } });
    const tasks = [0, 1, 2].map((t) => ({
      x: [
        [t, 1],
        [1, t],
      ],
      labels: [2 * t, 2 * t + 1],
      classes: [2 * t, 2 * t + 1],
    }));
    const stream = tinyStream("class", 6, tasks);
    const strategy = createStrategy(cfg.strategy as never);
    runStrategy(strategy, stream, stream, cfg);
    assert.deepEqual(strategy.getState!(), { started: [10, 11, 12], ended: [10, 11, 12] });
  } finally {
    strategies.unregister("taskLog");
  }
});
