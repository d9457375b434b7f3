// The vitals loop's budgets in plain terms: a dead-unit budget held by re-initialising the dead units
// (and nothing else repaired, no rollback snapshot kept), and a `vitals` section in the run, continual and
// learner configs that adds the loop with those budgets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseContinualConfig } from "../src/continual/config.js";
import { DEFAULT_THRESHOLDS, type TrainingPicture } from "../src/health/findings.js";
import { healthMonitor } from "../src/health/monitor.js";
import { deadUnitsKind } from "../src/health/vitals.js";
import { parseRegulators, withVitals } from "../src/homeostasis/config.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import { parseLearnerConfig, savedConfig } from "../src/learner/config.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { readTrainingSections } from "../src/run/sections.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { blobs } from "./helpers/health-zoo.js";

const data = () => {
  const s = blobs(320, 3, 6, 7);
  return { x: new Tensor(s.x, [s.n, 6]), y: new Tensor(s.y, [s.n, 3]) };
};
const net = () =>
  new Sequential([
    new Dense(24, { activation: "relu" }),
    new Dense(24, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(6, new Rng(5));
const opts = {
  epochs: 20,
  batchSize: 16,
  optimizer: sgd({ lr: 0.05 }),
  loss: "crossEntropy" as const,
  seed: 2,
};
const small = { checkEvery: 5, window: 8, baselineStart: 4, forgettingBudget: 0 };
const bias = (m: Sequential) => m.parameters().find(([n]) => n === "1.bias")![1].data as Float32Array;

/** Silences the first three units of the last hidden layer at `step` (bias −100: they never fire again). */
const silencer = (step: number): Observer => ({
  onBatchEnd: (e, c) => {
    if (e.step === step)
      (c.parameters.find(([n]) => n === "1.bias")![1].data as Float32Array).fill(-100, 0, 3);
  },
});

test("a dead-unit budget: three units silenced (12.5% of the layer) are found and re-initialised", () => {
  const loop = vitals({ ...small, deadUnits: 0.05 });
  const m = net();
  fit(m, data(), { ...opts, observers: [silencer(200), loop] });
  const after = loop.events.filter((e) => e.step > 200);
  const found = after.find((e) => e.kind === "deadUnits");
  assert.ok(found, JSON.stringify(loop.events.map((e) => [e.step, e.kind])));
  assert.equal(found.layer, "1");
  assert.ok(found.evidence.deadFraction >= 3 / 24, JSON.stringify(found.evidence));
  assert.equal(found.evidence.budget, 0.05);
  assert.equal(found.repaired, true);
  assert.match(found.diagnosis, /of the ReLU units in layer 1 output zero .* beyond the budget of 5%/);
  const reinit = after[after.indexOf(found) + 1];
  assert.equal(reinit.kind, "unitReinit");
  assert.ok(reinit.evidence.units >= 3);
  // Re-initialised with a zero bias, they learn again; without the budget they stay silenced.
  for (const b of bias(m).slice(0, 3)) assert.ok(Math.abs(b) < 1, `bias ${b}`);
  const unwatched = net();
  const quiet = vitals(small);
  fit(unwatched, data(), { ...opts, observers: [silencer(200), quiet] });
  assert.ok(
    bias(unwatched)
      .slice(0, 3)
      .every((b) => b < -50),
  );
  assert.ok(!quiet.events.some((e) => e.kind === "deadUnits" || e.kind === "unitReinit"));
});

test("the dead-unit rule: the worst layer strictly beyond the budget, once its window is full", () => {
  const rule = deadUnitsKind.create({ budget: 0.125 }, { thresholds: DEFAULT_THRESHOLDS }, "detectors[0]");
  const picture = (full: boolean, ...dead: number[]) =>
    ({
      deadWindowFull: full,
      layers: dead.map((deadFraction, i) => ({ layer: String(i), deadFraction })),
    }) as unknown as TrainingPicture;
  const seen = {} as Parameters<typeof rule.check>[1];
  assert.equal(rule.check(picture(true, 0.125, 0.1), seen), null, "at the budget is within it");
  assert.equal(rule.check(picture(false, 0.5, 0.9), seen), null, "the window not full yet");
  const f = rule.check(picture(true, 0.2, 0.5, Number.NaN, 0.3), seen)!;
  assert.deepEqual(
    [f.kind, f.layer, f.evidence.deadFraction, f.evidence.budget],
    ["deadUnits", "1", 0.5, 0.125],
  );
  assert.equal(f.evidence.windowChecks, DEFAULT_THRESHOLDS.deadWindowChecks);
  assert.match(
    f.diagnosis,
    /^50% of the ReLU units in layer 1 .* over the last 3 checks, beyond the budget of 12\.5%/,
  );
  assert.equal(
    f.action,
    "re-initialise the dead units (fresh incoming weights, zero bias, zero outgoing weights)",
  );
  // Two layers equally far beyond: the first is named (and repaired first).
  assert.equal(rule.check(picture(true, 0.5, 0.5), seen)!.layer, "0");
});

test("a budget above what died is silent: 3 of 24 dead units within a 20% budget", () => {
  const loop = vitals({ ...small, deadUnits: 0.2 });
  fit(net(), data(), { ...opts, epochs: 16, observers: [silencer(200), loop] });
  const found = loop.events.filter((e) => e.kind === "deadUnits");
  // Units that die on their own may add to the silenced three later; never at or below the budget.
  for (const f of found) assert.ok(f.evidence.deadFraction > 0.2, JSON.stringify(f.evidence));
  assert.ok(!found.some((f) => f.step > 200 && f.step < 230 && f.evidence.deadFraction <= 0.2));
});

test("repair limited to named kinds: the others are reported once, and no rollback snapshot is kept", () => {
  // A layer whose every unit is dead: dyingRelu finds it (at 70%) and, not named, is only reported.
  const m = net();
  bias(m).fill(-100);
  const monitor = healthMonitor({
    seed: 1,
    detectors: ["dyingRelu"],
    thresholds: { checkEvery: 5 },
    repair: ["deadUnits"],
  });
  fit(m, data(), { ...opts, epochs: 4, observers: [monitor] });
  assert.deepEqual(
    monitor.events.map((e) => [e.kind, e.repaired ?? false]),
    [["dyingRelu", false]],
  );
  assert.ok(
    bias(m).every((b) => b === -100),
    "nothing re-initialised",
  );
  const state = monitor.getState!() as { snapshots: { older: unknown; newer: unknown } };
  assert.deepEqual([state.snapshots.older, state.snapshots.newer], [null, null]);

  const fixing = net();
  bias(fixing).fill(-100);
  const budget = healthMonitor({
    seed: 1,
    detectors: [{ type: "deadUnits", budget: 0.02 }],
    thresholds: { checkEvery: 5 },
    repair: ["deadUnits"],
  });
  fit(fixing, data(), { ...opts, epochs: 4, observers: [budget] });
  const kinds = budget.events.map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 2), ["deadUnits", "unitReinit"], JSON.stringify(kinds));
  assert.ok(
    bias(fixing).every((b) => Math.abs(b) < 1),
    "re-initialised: a zero bias, then learnt",
  );
  const kept = budget.getState!() as { snapshots: { older: unknown; newer: unknown } };
  assert.deepEqual([kept.snapshots.older, kept.snapshots.newer], [null, null]);
});

test("a vitals section: the loop with its budgets after the regulators, in run, continual and learner configs", () => {
  const run = readTrainingSections({
    epochs: 1,
    loss: "crossEntropy",
    optimizer: { type: "sgd", lr: 0.1 },
    homeostasis: ["redo"],
    vitals: { forgettingBudget: 0.05, deadUnits: 0.02 },
  });
  assert.deepEqual(
    run.homeostasis.map((r) => r.type),
    ["redo", "vitals"],
  );
  assert.equal(run.homeostasis[1].options.forgettingBudget, 0.05);
  assert.equal(run.homeostasis[1].options.deadUnits, 0.02);
  assert.equal(run.homeostasis[1].options.checkEvery, 20, "the other options' defaults");

  const continual = parseContinualConfig({ strategy: { type: "naive" }, vitals: { deadUnits: 0.1 } });
  assert.deepEqual(
    continual.homeostasis.map((r) => [r.type, r.options.deadUnits]),
    [["vitals", 0.1]],
  );

  // In a learner the loop checks every 100 rows unless told; the saved config holds it as a regulator.
  const learner = parseLearnerConfig({ task: "classification", vitals: { deadUnits: 0.02 } });
  assert.deepEqual(
    learner.homeostasis.map((r) => [r.type, r.options.checkEvery]),
    [
      ["redo", undefined],
      ["vitals", 100],
    ],
  );
  const told = parseLearnerConfig({ task: "classification", vitals: { checkEvery: 7 } });
  assert.equal(told.homeostasis[1].options.checkEvery, 7);
  const saved = savedConfig(learner);
  assert.equal((saved as { vitals?: unknown }).vitals, undefined);
  assert.deepEqual(parseLearnerConfig(saved).homeostasis, learner.homeostasis);
});

test("a vitals section: mistakes name the field", () => {
  const err = (f: () => unknown, field: string, words: RegExp) =>
    assert.throws(
      f,
      (e: unknown) => e instanceof ConfigError && e.location.field === field && words.test(e.message),
    );
  err(() => withVitals([], { deadUnits: 2 }), "vitals.deadUnits", /≥ 0 and ≤ 1, got 2/);
  err(() => withVitals([], { budget: 0.1 }), "vitals.budget", /unknown/);
  err(() => withVitals([], [0.1]), "vitals", /object/);
  err(
    () => withVitals(parseRegulators([{ type: "vitals" }]), {}),
    "vitals",
    /homeostasis already holds \{"type": "vitals"\}/,
  );
  err(
    () => parseLearnerConfig({ task: "classification", vitals: { deadUnits: -1 } }),
    "learner.vitals.deadUnits",
    /≥ 0/,
  );
  err(
    () => parseContinualConfig({ strategy: { type: "naive" }, homeostasis: ["vitals"], vitals: {} }),
    "continual.vitals",
    /continual\.homeostasis already holds/,
  );
});
