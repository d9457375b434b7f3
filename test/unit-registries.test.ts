// A kind a user registers in each of the six registries is named in a run config like a built-in one:
// parseRunConfig accepts it, and the model, loss, optimiser or schedule built from the config uses it.
// Each test asserts a value only the user's kind can produce (closed forms, exact in float32).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as F from "../src/autograd/functional.js";
import * as op from "../src/autograd/ops.js";
import { parseRunConfig } from "../src/cli/config.js";
import { runMain } from "./helpers/cli-main.js";
import { defineKind } from "../src/config/registry.js";
import { detectors } from "../src/health/kinds.js";
import { readModelBytes } from "../src/io/atomic.js";
import { decodeModel } from "../src/io/model.js";
import { type Loss, losses } from "../src/losses/losses.js";
import { activations } from "../src/nn/activations.js";
import { initializers } from "../src/nn/init.js";
import type { Layer } from "../src/nn/layer.js";
import { layers } from "../src/nn/layer-kinds.js";
import type { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import type { Optimizer } from "../src/optim/optimizers.js";
import { schedules } from "../src/optim/schedules.js";
import { optimizers } from "../src/optim/optimizers.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";

/** A run config with one identity dense unit; `parts` replace its keys. */
function runConfig(parts: Record<string, unknown>) {
  return parseRunConfig(
    {
      data: { builtin: "mnist" },
      model: { layers: [{ type: "dense", units: 1, init: "zeros" }] },
      loss: "mse",
      optimizer: { type: "sgd", lr: 0.1 },
      epochs: 1,
      ...parts,
    },
    "/",
  );
}

const rows = (values: number[][]) => Tensor.from(values);
const values = (t: Tensor) => [...t.data];

/** Register `kind` for the length of `body`. */
function withKind<T>(
  registry: { register(k: T): unknown; unregister(n: string): boolean },
  kind: T,
  body: () => void,
) {
  registry.register(kind);
  try {
    body();
  } finally {
    registry.unregister((kind as { name: string }).name);
  }
}

/** A layer that multiplies its input by a constant and has no parameters. */
class Scale implements Layer {
  readonly type = "scale";
  constructor(readonly factor: number) {}
  build(inputDim: number): number {
    return inputDim;
  }
  forward(x: Tensor): Tensor {
    return op.mul(x, this.factor);
  }
  parameters(): [string, Tensor][] {
    return [];
  }
  config() {
    return { type: "scale", factor: this.factor };
  }
}
const scaleKind = defineKind({
  name: "scale",
  doc: "x·factor.",
  options: { factor: { kind: "number", default: 2 } },
  create: (o, _context: { init?: string }) => new Scale(o.factor),
});

test("layers: a user's layer type is built from model.layers, checked, and rebuilt from its config", () => {
  withKind(layers, scaleKind, () => {
    const cfg = runConfig({ model: { layers: [{ type: "scale" }, { type: "scale", factor: 3 }] } });
    const model = new Sequential(cfg.layers).build(3, new Rng(0));
    assert.deepEqual(values(model.forward(rows([[1, 2, -3]]))), [6, 12, -18]);
    // What a model file stores comes back through the same registry.
    const again = Sequential.fromLayerConfigs(model.config().layers).build(3, new Rng(0));
    assert.deepEqual(values(again.forward(rows([[1, 0, 0]]))), [6, 0, 0]);
    assert.throws(
      () => runConfig({ model: { layers: [{ type: "scale", factor: "3" }] } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === 'model.layers[0].factor: expected a finite number, got string "3"',
    );
  });
  assert.throws(
    () => runConfig({ model: { layers: [{ type: "scale" }] } }),
    /model\.layers\[0\]\.type: unknown layer string "scale"; expected one of dense, activation, dropout, layerNorm, batchNorm, groupNorm, embedding, residual, concat, conv2d/,
  );
});

test("activations: a user's activation is accepted by dense and activation layers and applied", () => {
  const cube = {
    name: "cube",
    doc: "x³.",
    options: {},
    create: () => (x: Tensor) => op.mul(op.mul(x, x), x),
  };
  withKind(activations, cube, () => {
    const cfg = runConfig({
      model: {
        layers: [
          { type: "dense", units: 1, activation: "cube" },
          { type: "activation", activation: "cube" },
        ],
      },
    });
    const model = new Sequential(cfg.layers).build(2, new Rng(0));
    const dense = model.layers[0] as Dense;
    dense.weight.data.set([1, 1]);
    // (1 + 2)³ = 27, then 27³.
    assert.deepEqual(values(model.forward(rows([[1, 2]]))), [27 ** 3]);
    assert.equal(model.outputActivation(), "cube");
  });
  assert.throws(
    () => runConfig({ model: { layers: [{ type: "dense", units: 1, activation: "cube" }] } }),
    /model\.layers\[0\]\.activation: expected one of "identity", "linear", .*"softmax", got string "cube"/,
  );
});

test("initializers: a user's initialiser is named by model.init and by a layer's init", () => {
  const ones = {
    name: "ones",
    doc: "All ones.",
    options: {},
    create: () => (out: Float32Array | Float64Array) => out.fill(1),
  };
  withKind(initializers, ones, () => {
    const cfg = runConfig({ model: { init: "ones", layers: [{ type: "dense", units: 2 }] } });
    const model = new Sequential(cfg.layers).build(3, new Rng(0));
    assert.deepEqual(values(model.forward(rows([[1, 2, 3]]))), [6, 6]);
    assert.equal((model.layers[0] as Dense).init, "ones");
    const perLayer = runConfig({ model: { layers: [{ type: "dense", units: 1, init: "ones" }] } });
    assert.deepEqual(
      values(new Sequential(perLayer.layers).build(2, new Rng(0)).forward(rows([[4, 5]]))),
      [9],
    );
  });
  assert.throws(
    () => runConfig({ model: { init: "ones", layers: [{ type: "dense", units: 1 }] } }),
    /model\.init/,
  );
});

/** One full-batch step of `fit` on x = [[1], [2]], t = [[1], [1]] from zero weights: [weight, bias]. */
function oneStep(cfg: ReturnType<typeof runConfig>, loss: Loss | "mse" = "mse"): number[] {
  const model = new Sequential(cfg.layers).build(1, new Rng(0));
  fit(
    model,
    { x: rows([[1], [2]]), y: rows([[1], [1]]) },
    {
      epochs: 1,
      batchSize: 2,
      optimizer: cfg.optimizer,
      schedule: cfg.schedule,
      loss,
      seed: 0,
    },
  );
  return model.parameters().map(([, t]) => t.data[0]);
}

test("losses: a user's loss with options is named in the run config and trained on", () => {
  // k · mean(y): dL/dy = k/2 per row, so dL/dw = k/2 · (1 + 2) and dL/db = k.
  const meanOutput = defineKind({
    name: "meanOutput",
    doc: "k · mean(y).",
    options: { k: { kind: "number", min: 0 } },
    create: (o): Loss => ({ name: "meanOutput", fromOutputs: (y) => op.mul(F.mean(y), o.k) }),
  });
  withKind(losses, meanOutput, () => {
    const cfg = runConfig({ loss: { type: "meanOutput", k: 2 } });
    assert.equal(cfg.loss, "meanOutput");
    assert.deepEqual(cfg.lossChoice, { type: "meanOutput", options: { k: 2 } });
    const loss = losses.create(cfg.lossChoice, undefined);
    assert.deepEqual(oneStep(cfg, loss), [Math.fround(-0.3), Math.fround(-0.2)]);
    assert.throws(
      () => runConfig({ loss: "meanOutput" }),
      /^ConfigError: loss\.k: required; expected a finite number$/,
    );
  });
  // A built-in's options too: huber's delta.
  assert.deepEqual(runConfig({ loss: { type: "huber", delta: 2 } }).lossChoice.options, { delta: 2 });
});

/** An optimiser that moves every parameter by −lr·step, whatever the gradient. */
const constantStep = defineKind({
  name: "constantStep",
  doc: "p ← p − lr·step.",
  options: { lr: { kind: "number", min: 0 }, step: { kind: "number", default: 1 } },
  create: (o): Optimizer => ({
    type: "constantStep",
    lr: o.lr,
    options: { step: o.step },
    init: () => null,
    update: (updates, _state, _params, lr) => {
      for (const u of updates) u.fill(lr * o.step);
    },
  }),
});

test("optimizers: a user's optimiser is named by optimizer.type and takes fit's steps", () => {
  withKind(optimizers, constantStep, () => {
    const cfg = runConfig({ optimizer: { type: "constantStep", lr: 0.5, step: 3 } });
    assert.equal(cfg.optimizer.type, "constantStep");
    assert.deepEqual(oneStep(cfg), [-1.5, -1.5]);
    assert.throws(
      () => runConfig({ optimizer: { type: "constantStep", lr: 0.5, stpe: 3 } }),
      /^ConfigError: optimizer\.stpe: unknown key; expected one of type, lr, step$/,
    );
  });
});

test("schedules: a user's schedule is named by schedule.type and multiplies fit's learning rate", () => {
  const quarter = defineKind({
    name: "constantFactor",
    doc: "A constant multiplier.",
    options: { factor: { kind: "number", min: 0, max: 1 } },
    create: (o) => ({ kind: "schedule" as const, type: "constantFactor", schedule: () => o.factor }),
  });
  withKind(schedules, quarter, () => {
    const cfg = runConfig({
      optimizer: { type: "sgd", lr: 1 },
      schedule: { type: "constantFactor", factor: 0.25 },
    });
    assert.equal(cfg.schedule?.({ step: 7, epoch: 0, stepsPerEpoch: 1 }), 0.25);
    // MSE from zeros: dL/dy = −1 per row, so dL/dw = −3 and dL/db = −2; lr 1 · 0.25.
    assert.deepEqual(oneStep(cfg), [0.75, 0.5]);
    assert.throws(
      () => runConfig({ schedule: { type: "constantFactor", factor: 2 } }),
      /^ConfigError: schedule\.factor: must be ≥ 0 and ≤ 1, got 2$/,
    );
  });
});

test("plugins: train imports a config's plugins first; a bad path or a module without register is exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "homeostat-plugins-"));
  writeFileSync(join(dir, "data.csv"), "x,y\n1,0.5\n2,1.5\n3,2.5\n4,3.5\n5,4.5\n");
  writeFileSync(
    join(dir, "kinds.mjs"),
    `export function register({ optimizers, layers, activations, initializers, losses, schedules, regulators, strategies }) {
      for (const r of [layers, activations, initializers, losses, schedules, regulators, strategies]) if (!r.names().length) throw new Error("empty");
      optimizers.register({
        name: "pluginStep", doc: "p ← p − lr.", options: { lr: { kind: "number", min: 0 } },
        create: (o) => ({ type: "pluginStep", lr: o.lr, options: {}, init: () => null,
          update: (updates, _s, _p, lr) => { for (const u of updates) u.fill(lr); } }),
      });
    }\n`,
  );
  writeFileSync(join(dir, "empty.mjs"), "export const nothing = 1;\n");
  const config = (name: string, plugins: string[]) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        plugins,
        data: { format: "csv", path: "data.csv", target: "y", task: "regression", testSplit: 0.2 },
        model: { init: "zeros", layers: [{ type: "dense", units: 1 }] },
        loss: "mse",
        optimizer: { type: "pluginStep", lr: 0.25 },
        epochs: 1,
        batchSize: 16,
        health: { monitor: false },
        out: "model.hmst",
        backend: "js",
      }),
    );
    return path;
  };
  const ok = await runMain(["train", "--config", config("run", ["./kinds.mjs"]), "--quiet"]);
  assert.equal(ok.code, 0, ok.stderr);
  // One full-batch step of −lr on every parameter, from zeros.
  const model = decodeModel(readModelBytes(join(dir, "model.hmst"))).model;
  assert.deepEqual(
    model.parameters().map(([, t]) => [...t.data]),
    [[-0.25], [-0.25]],
  );
  const missing = await runMain(["train", "--config", config("missing", ["./nope.mjs"])]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing\.json: plugins\[0\]: .*nope\.mjs: no such module/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const empty = await runMain(["train", "--config", config("empty", ["./empty.mjs"])]);
  assert.equal(empty.code, 2);
  assert.match(
    empty.stderr,
    /plugins\[0\]: .*empty\.mjs: a plugin must export a function register\(registries\)/,
  );
  optimizers.unregister("pluginStep");
});

test("plugins: a detector a plugin registers is named in the run config's health section, with options, and fires", async () => {
  const dir = mkdtempSync(join(tmpdir(), "homeostat-detector-plugin-"));
  const rows = Array.from({ length: 40 }, (_, i) => `${i / 10},${i / 5}`);
  writeFileSync(join(dir, "data.csv"), `x,y\n${rows.join("\n")}\n`);
  writeFileSync(
    join(dir, "alarm.mjs"),
    `export function register({ detectors }) {
      detectors.register({
        name: "stepAlarm", doc: "Reports every check from step \`from\` on.",
        options: { from: { kind: "number", min: 0, default: 1000 } },
        create: (o) => ({ name: "stepAlarm", reports: ["stepAlarm"], fatal: false,
          check: (p) => p.step < o.from ? null
            : { kind: "stepAlarm", evidence: { step: p.step, from: o.from }, diagnosis: "step reached", action: "none" } }),
      });
    }\n`,
  );
  const config = (name: string, detectors: unknown) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        plugins: ["./alarm.mjs"],
        data: { format: "csv", path: "data.csv", target: "y", task: "regression", testSplit: 0.2 },
        model: { layers: [{ type: "dense", units: 1 }] },
        loss: "mse",
        optimizer: { type: "sgd", lr: 0.01 },
        epochs: 2,
        batchSize: 2,
        health: { repair: false, detectors },
        out: `${name}.hmst`,
        backend: "js",
      }),
    );
    return path;
  };
  try {
    // 32 training rows in batches of 2: 32 steps, checks at steps 20 (the monitor's checkEvery).
    const ok = await runMain([
      "train",
      "--config",
      config("run", ["nonFiniteWeights", { type: "stepAlarm", from: 20 }]),
      "--quiet",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const record = JSON.parse(readFileSync(join(dir, "run.record.json"), "utf8"));
    const alarms = record.health.events.filter((e: { kind: string }) => e.kind === "stepAlarm");
    assert.deepEqual(
      alarms.map((e: { step: number; evidence: unknown }) => [e.step, e.evidence]),
      [[20, { step: 20, from: 20 }]],
      "reported once (repair off), at the first check from step 20, with the config's option",
    );
    const unknown = await runMain(["train", "--config", config("unknown", ["stepAlarn"])]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /health\.detectors\[0\]: unknown health detector string "stepAlarn"; expected one of .*stepAlarm/,
    );
    const badOption = await runMain(["train", "--config", config("bad", [{ type: "stepAlarm", from: -1 }])]);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /health\.detectors\[0\]\.from: must be ≥ 0, got -1/);
  } finally {
    detectors.unregister("stepAlarm");
  }
});
