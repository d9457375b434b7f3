/**
 * The monitor's own wiring, driven by hand-made batch events: a blow-up with NaN inputs or with repair
 * off ends the run with its reason; a user's detector of a blow-up kind repairs it in place of the
 * built-in one; `measures: true` takes the weight change on every unit layer; budgets renewed; a pending
 * clip turned on once; statistics handed out as a copy; snapshots dropped when the model is reshaped;
 * a model without unit layers; the step's starting weights kept after a layer changed size.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TrainingPicture } from "../src/health/findings.js";
import { type Detector, defineDetector, healthMonitor } from "../src/health/index.js";
import { Activation, Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { batchEvent, type TestControl, testControl } from "./helpers/control.js";
import { overfittingEpoch as epoch } from "./helpers/health-picture.js";

/** A 2-3-3-1 network (two hidden ReLU layers) and its control. */
function setup(): { control: TestControl; model: Sequential } {
  const model = new Sequential([
    new Dense(3, { activation: "relu" }),
    new Dense(3, { activation: "relu" }),
    new Dense(1),
  ]).build(2, new Rng(1));
  return { control: testControl(model), model };
}

/** A user's detector kind that makes `d`. */
const kindOf = (d: Detector) =>
  defineDetector({ name: d.name, doc: "A test's detector.", options: {}, create: () => d });

/** Gradients of every weight, all 1: a run with nothing wrong with its gradients. */
const ordinary = { "0.weight": Array(6).fill(1), "1.weight": Array(9).fill(1), "2.weight": Array(3).fill(1) };

const step = (control: TestControl, n: number, parts: Parameters<typeof batchEvent>[1] = {}) =>
  batchEvent(n, { control, x: [[1, 2]], y: [[1]], ...parts });

test("a blown-up batch with NaN inputs, or any blow-up with repair off, ends the run with its reason", () => {
  const { control } = setup();
  const monitor = healthMonitor({ repair: true });
  monitor.onTrainBegin!(control);
  monitor.onBatchEnd!(step(control, 1, { loss: NaN, x: [[Number.NaN, 2]] }), control);
  assert.deepEqual(
    monitor.events.map((e) => [e.kind, e.evidence.nonFiniteInputs]),
    [
      ["nonFinite", 1],
      ["failed", 1],
    ],
  );
  assert.match(control.failed ?? "", /\(the data must be fixed first\)$/);
  for (const repair of [false, undefined]) {
    const off = setup().control;
    const unrepaired = healthMonitor({ repair });
    unrepaired.onTrainBegin!(off);
    unrepaired.onBatchEnd!(step(off, 1, { loss: Infinity }), off);
    assert.match(
      off.failed ?? "",
      /^training failed beyond repair: the loss became Infinity at step 1: .*\(repair is off\)$/,
    );
    assert.equal(off.learningRateScale, 1, "nothing repaired");
  }
});

test("a user's detector of a blow-up kind repairs it in place of the built-in one", () => {
  const { control } = setup();
  const mine: Detector = {
    name: "mine",
    reports: ["nonFinite"],
    fatal: false,
    check: () => null,
    repair: (_f, ctx) => () => [
      {
        step: ctx.step,
        kind: "learningRateCut",
        evidence: { factor: 0.5 },
        diagnosis: "mine",
        action: "mine",
      },
    ],
  };
  const monitor = healthMonitor({ repair: true, detectors: [kindOf(mine)] });
  monitor.onTrainBegin!(control);
  monitor.onBatchEnd!(step(control, 1, { loss: NaN }), control);
  assert.deepEqual(
    monitor.events.map((e) => [e.kind, e.diagnosis === "mine"]),
    [
      ["nonFinite", false],
      ["learningRateCut", true],
    ],
  );
  // One without a repair: the blow-up is reported, nothing repaired, the run goes on (it is not fatal).
  const bare = setup().control;
  const reportOnly = healthMonitor({ repair: true, detectors: [kindOf({ ...mine, repair: undefined })] });
  reportOnly.onTrainBegin!(bare);
  reportOnly.onBatchEnd!(step(bare, 1, { loss: NaN }), bare);
  assert.deepEqual(
    reportOnly.events.map((e) => [e.kind, e.repaired]),
    [["nonFinite", undefined]],
  );
  assert.equal(bare.failed, null);
});

/** The weight changes a detector measuring `measures` sees at the monitor's second check. */
function changesSeen(measures: boolean | number): boolean[] {
  const { control } = setup();
  const pictures: TrainingPicture[] = [];
  const watcher: Detector = {
    name: "watcher",
    reports: ["plateau"],
    fatal: false,
    measures,
    check: (p) => {
      pictures.push(p);
      return null;
    },
  };
  const monitor = healthMonitor({ detectors: [kindOf(watcher)] });
  monitor.onTrainBegin!(control);
  for (let n = 1; n <= 40; n++) monitor.onBatchEnd!(step(control, n), control);
  assert.equal(pictures.length, 2);
  return pictures[1].layers.map((l) => l.weightChange !== undefined);
}

test("measures: true takes the weight change on every unit layer; a number on that many last hidden ones", () => {
  assert.deepEqual(changesSeen(true), [true, true, true]);
  assert.deepEqual(changesSeen(1), [false, true, false]);
  assert.deepEqual(changesSeen(false), [false, false, false]);
});

test("renewed budgets repair again what a spent budget would have ended the run for", () => {
  const { control } = setup();
  const monitor = healthMonitor({ repair: true, maxRepairsPerKind: 1 });
  monitor.onTrainBegin!(control);
  monitor.onBatchEnd!(step(control, 1, { loss: NaN }), control);
  monitor.renewBudgets!();
  monitor.onBatchEnd!(step(control, 2, { loss: NaN }), control);
  assert.equal(control.failed, null);
  assert.equal(control.learningRateScale, 0.1 * 0.1);
  const every = healthMonitor({ repair: true, maxRepairsPerKind: 1, renewBudgetsEvery: 2 });
  const c2 = setup().control;
  every.onTrainBegin!(c2);
  every.onBatchEnd!(step(c2, 1, { loss: NaN }), c2);
  every.onBatchEnd!(step(c2, 2, { loss: NaN }), c2); // renewed at step 2, before it is judged
  assert.equal(c2.failed, null);
  every.onBatchEnd!(step(c2, 3, { loss: NaN }), c2);
  assert.match(c2.failed ?? "", /1 nonFinite repairs did not hold/);
});

test("clipping owed by an early blow-up is turned on at the next check, once", () => {
  const { control } = setup();
  const monitor = healthMonitor({ repair: true });
  monitor.onTrainBegin!(control);
  // Gradients 1000× larger at the first layer than at the output, before any healthy norm is known.
  const grads = { "0.weight": [1000, 0, 0, 0, 0, 0], "2.weight": [1, 0, 0] };
  const names = control.parameters.map(([n]) => n);
  assert.deepEqual(names, ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]);
  monitor.onBatchEnd!(step(control, 1, { loss: NaN, grads }), control);
  assert.equal(monitor.events[0].kind, "explodingGradients");
  assert.equal(control.clipNorm, null, "no healthy norm yet: clipping waits");
  for (let n = 2; n <= 60; n++)
    monitor.onBatchEnd!(step(control, n, { grads: { "0.weight": [3, 4, 0, 0, 0, 0] } }), control);
  const clips = monitor.events.filter((e) => e.kind === "gradientClipping");
  assert.deepEqual(
    clips.map((e) => [e.step, e.evidence.maxNorm]),
    [[20, 25]],
  );
  assert.equal(control.clipNorm, 25);
});

test("statistics are a copy; a reshaped model drops the snapshots a rollback would use", () => {
  const { control } = setup();
  const monitor = healthMonitor({ repair: true });
  monitor.onTrainBegin!(control);
  for (let n = 1; n <= 20; n++) monitor.onBatchEnd!(step(control, n, { grads: ordinary }), control);
  assert.equal(monitor.events.length, 0);
  const stats = monitor.statistics!();
  assert.equal(stats.points.length, 1);
  stats.points.length = 0;
  assert.equal(monitor.statistics!().points.length, 1);
  monitor.modelReshaped!();
  monitor.onBatchEnd!(step(control, 21, { loss: NaN }), control);
  assert.deepEqual(
    monitor.events.map((e) => e.kind),
    ["nonFinite", "learningRateCut"],
  );
});

test("a model without unit layers is watched for blow-ups only", () => {
  const model = new Sequential([new Activation("tanh")]).build(2, new Rng(1));
  const control = testControl(model);
  const monitor = healthMonitor({ repair: true });
  monitor.onTrainBegin!(control);
  for (let n = 1; n <= 40; n++) monitor.onBatchEnd!(step(control, n), control);
  assert.deepEqual(monitor.events, []);
});

test("the weights a check step starts from are kept anew after a layer changed size", () => {
  const { control } = setup();
  const monitor = healthMonitor({});
  monitor.onTrainBegin!(control);
  control.step = 19; // the step about to run is a check step
  monitor.onGradients!(new Map(), control);
  // The first layer grows a unit: its weight is now 4 × 2.
  const grown = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2]);
  (control.parameters as [string, Tensor][])[0] = ["0.weight", grown];
  control.step = 39;
  assert.doesNotThrow(() => monitor.onGradients!(new Map(), control));
});

test("overfitting is judged at each epoch's end, and no more once the run has failed", () => {
  const { control } = setup();
  const monitor = healthMonitor({ repair: true });
  monitor.onTrainBegin!(control);
  monitor.onEpochEnd!(epoch(0), control);
  assert.equal(monitor.events.length, 0, "one epoch of a gap is not yet overfitting");
  monitor.onEpochEnd!(epoch(1), control);
  assert.deepEqual(
    monitor.events.map((e) => [e.kind, e.step]),
    [["overfitting", 20]],
  );
  const failed = setup().control;
  const over = healthMonitor({ repair: false });
  over.onTrainBegin!(failed);
  over.onBatchEnd!(step(failed, 1, { loss: Number.NaN }), failed);
  over.onEpochEnd!(epoch(0), failed);
  over.onEpochEnd!(epoch(1), failed);
  assert.deepEqual(
    over.events.map((e) => e.kind),
    ["nonFinite", "failed"],
  );
});
