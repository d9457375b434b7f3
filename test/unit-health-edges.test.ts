/**
 * The health monitor's edges, each at the value where a comparison flips: the one-line format's three
 * optional parts, a learning-rate factor of exactly 1, dead units asked of a layer that is not there,
 * one-column class labels counted without outputs, soft targets that are not one-hot, an old
 * checkpoint without `checkDue`, a checkpoint restored onto a model of another depth, and the
 * saturation detector's repair, and the per-layer gradient norms of a layer without bias.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type RepairContext, reinitDeadUnits, scaleLearningRate } from "../src/health/actions.js";
import { checkBeforeTraining, type DataToCheck, formatEvent, healthMonitor } from "../src/health/index.js";
import { inputScale } from "../src/health/checks.js";
import { DEFAULT_THRESHOLDS } from "../src/health/findings.js";
import { detectors } from "../src/health/kinds.js";
import { countBatch, layerGradNorms, monitoredLayers } from "../src/health/observer.js";
import { freshState, fromCheckpoint, type HealthMonitorState, toCheckpoint } from "../src/health/state.js";
import { Activation, Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { BatchEvent, TrainingControl } from "../src/train/events.js";
import { batchEvent, testControl } from "./helpers/control.js";

test("formatEvent: 'before training' at step 0, the layer only when given, [repaired] only when repaired", () => {
  const e = { step: 0, kind: "nonFiniteData" as const, evidence: {}, diagnosis: "d", action: "a" };
  assert.equal(formatEvent(e), "health · before training · nonFiniteData: d → a");
  assert.equal(
    formatEvent({ ...e, step: 40, layer: "0", repaired: true }),
    "health · step 40 · nonFiniteData (layer 0): d → a [repaired]",
  );
  assert.equal(formatEvent({ ...e, step: 1, repaired: false }), "health · step 1 · nonFiniteData: d → a");
});

test("a learning-rate factor of exactly 1 is worded as a raise, not a cut", () => {
  let scale = 1;
  const control = {
    scaleLearningRate: (f: number) => {
      scale *= f;
    },
    get learningRateScale() {
      return scale;
    },
  } as unknown as TrainingControl;
  const e = scaleLearningRate({ control, step: 3 } as RepairContext, 1);
  assert.deepEqual(
    [e.kind, e.action, e.diagnosis],
    [
      "learningRateRaise",
      "raised the learning rate",
      "learning rate multiplied by 1 (now 1.00× the configured schedule)",
    ],
  );
});

test("reinitDeadUnits: no repair for a layer the model does not have, nor for a layer without dead units", () => {
  const layers = [{ name: "0" }];
  const ctx = (dead: number[]) =>
    ({ layers, state: { layers: [{ deadUnits: dead }] } }) as unknown as RepairContext;
  assert.equal(reinitDeadUnits(ctx([1, 2]), "7"), null);
  assert.equal(reinitDeadUnits(ctx([1, 2]), undefined), null);
  assert.equal(reinitDeadUnits(ctx([]), "0"), null);
  assert.equal(typeof reinitDeadUnits(ctx([1, 2]), "0"), "function");
});

test("one-column 0/1 labels without kept outputs: each row counted in class 0 or class 1 by its label", () => {
  const s = freshState(0);
  const event = (labels: number[]) => batchEvent(1, { x: labels.map(() => [0]), y: labels.map((v) => [v]) });
  countBatch(s, event([1, 0, 1, 1]), []);
  assert.equal(s.classification, true);
  assert.deepEqual([...(s.classCounts ?? [])], [1, 3]);
  countBatch(s, event([0, 0]), []);
  assert.deepEqual([...(s.classCounts ?? [])], [3, 3]);
  assert.deepEqual([s.correct, s.rows], [0, 0], "no outputs: no accuracy counted");
});

test("softmax with a regression loss: a loss mismatch on one-hot targets only, not on soft targets", () => {
  const model = new Sequential([new Dense(2, { activation: "softmax" })]).build(2, new Rng(0));
  const data = (y: number[]): DataToCheck => ({
    x: Float32Array.from([0.1, -0.2, 0.3, 0.4]),
    y: Float32Array.from(y),
    n: 2,
    inputDim: 2,
    outputDim: 2,
    task: "classification",
  });
  const kinds = (y: number[], loss: "mse" | "mae" | "huber" = "mse") =>
    checkBeforeTraining(data(y), model, loss)
      .map((e) => e.kind)
      .filter((k) => k !== "collinearFeatures"); // two rows of two features are always collinear
  for (const loss of ["mse", "mae", "huber"] as const)
    assert.deepEqual(kinds([1, 0, 0, 1], loss), ["lossMismatch"], loss);
  assert.deepEqual(kinds([0.5, 0.5, 0, 1]), [], "a row of 0.5, 0.5 is not one-hot");
  assert.deepEqual(kinds([1, 1, 0, 1]), [], "a row summing to 2 is not one-hot");
});

test("fromCheckpoint: a checkpoint from before checkDue existed reads as no check owed; a saved value is kept", () => {
  const saved = toCheckpoint(freshState(3));
  const old = { ...saved } as Partial<HealthMonitorState>;
  delete old.checkDue;
  assert.equal(fromCheckpoint(old as HealthMonitorState).checkDue, false);
  assert.equal(fromCheckpoint({ ...saved, checkDue: true }).checkDue, true);
});

test("a checkpoint's monitor state restored onto a model with another number of unit layers is refused by count", () => {
  const two = testControl(
    new Sequential([new Dense(4, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1)),
  );
  const first = healthMonitor({});
  first.onTrainBegin!(two);
  const state = first.getState!();
  const three = testControl(
    new Sequential([
      new Dense(4, { activation: "relu" }),
      new Dense(3, { activation: "relu" }),
      new Dense(2),
    ]).build(2, new Rng(1)),
  );
  const second = healthMonitor({});
  second.setState!(state);
  assert.throws(
    () => second.onTrainBegin!(three),
    (err: Error) => err.message === "health: the checkpoint's monitor state has 2 unit layers, the model 3",
  );
});

test("saturation's repair rescales each unit layer on the check's batch (LSUV) and reports it", () => {
  const model = new Sequential([new Dense(3, { activation: "tanh" }), new Dense(1)]).build(2, new Rng(4));
  for (const [, t] of model.parameters()) t.data.forEach((v, i) => (t.data[i] = 40 * v + (i % 2)));
  const x = new Tensor(Float32Array.from([1, -2, 0.5, 3, -1, 1, 2, 0]), [4, 2]);
  const ctx = { control: testControl(model), step: 9, batch: { x, y: x } } as unknown as RepairContext;
  const saturation = detectors.build({ type: "saturation" }, { thresholds: DEFAULT_THRESHOLDS });
  const events = saturation.repair!({ kind: "saturation", evidence: {}, diagnosis: "", action: "" }, ctx)!();
  assert.deepEqual(
    events.map((e) => [e.step, e.kind, e.layer, e.action, e.repaired]),
    [
      [9, "weightRescale", "0", "rescaled the layer", true],
      [9, "weightRescale", "1", "rescaled the layer", true],
    ],
  );
  const first = events[0].evidence;
  assert.ok(Math.abs((first.factor as number) * (first.preActivationStd as number) - 1) < 1e-12);
  assert.match(
    events[0].diagnosis,
    /^weights of layer 0 scaled by \S+: its pre-activations had spread \S+, now 1 \(LSUV\)$/,
  );
});

test("layer gradient norms: weight and bias together, a bias-less layer by its weight alone, a missing gradient as 0", () => {
  const model = new Sequential([new Dense(2, { activation: "relu", useBias: false }), new Dense(1)]).build(
    2,
    new Rng(0),
  );
  const control = testControl(model);
  const layers = monitoredLayers(control);
  assert.deepEqual(
    layers.map((l) => [l.name, l.weightAt, l.biasAt, l.hidden]),
    [
      ["0", 0, -1, true],
      ["1", 1, 2, false],
    ],
  );
  const event = (grads: Record<string, number[]>) =>
    ({
      grads: new Map(Object.entries(grads).map(([k, v]) => [k, Float32Array.from(v)])),
    }) as unknown as BatchEvent;
  const all = event({ "0.weight": [3, 4, 0, 0], "1.weight": [1, 0], "1.bias": [2] });
  assert.deepEqual(layerGradNorms(all, control, layers), [
    { layer: "0", gradNorm: 5 },
    { layer: "1", gradNorm: Math.hypot(1, 2) },
  ]);
  const noBias = event({ "0.weight": [0, 0, 0, 2], "1.weight": [1, 0] });
  assert.deepEqual(
    layerGradNorms(noBias, control, layers).map((l) => l.gradNorm),
    [2, 1],
  );
});

/** Rows x = ±v of one feature, targets in [0, 1], for a 1 → 1 identity model of weight 1 and bias 0. */
function scaled(v: number, outputs = 1): { data: DataToCheck; model: Sequential } {
  const model = new Sequential([new Dense(outputs)]).build(1, new Rng(0));
  const dense = model.layers[0] as Dense;
  dense.weight.data.fill(1);
  dense.bias!.data.fill(0);
  const n = 8;
  const x = Float32Array.from({ length: n }, (_, r) => (r % 2 ? -v : v));
  const y = Float32Array.from({ length: n * outputs }, (_, i) => (i % outputs === 0 ? (i % 3) / 2 : 0));
  return { data: { x, y, n, inputDim: 1, outputDim: outputs, task: "regression" }, model };
}

test("unscaled inputs: a scale of exactly 8 (the limit) passes; 16 is reported, with its advice", () => {
  const kinds = (v: number) => {
    const { data, model } = scaled(v);
    return checkBeforeTraining(data, model, "mse");
  };
  // The pre-activation of weight 1 is x itself: its RMS over the rows, 8, is the measured scale.
  assert.deepEqual(
    kinds(8).map((e) => e.kind),
    [],
  );
  const [e] = kinds(16);
  assert.equal(e.kind, "unscaledInputs");
  assert.equal(e.evidence.scale, 16);
  assert.match(
    e.diagnosis,
    /\(largest: column 0, \|x\| up to 16\), so units saturate or die and gradients are badly scaled$/,
  );
  assert.equal(e.action, 'normalise the inputs ("normalize": "standardize" or "scale01" in the run config)');
  // A row holding NaN is left out of the measurement (it is reported on its own): 7 rows, still 16.
  const { data, model } = scaled(16);
  data.x[3] = Number.NaN;
  const events = checkBeforeTraining(data, model, "mse");
  assert.deepEqual(
    events.map((v) => v.kind),
    ["nonFiniteData", "unscaledInputs"],
  );
  assert.deepEqual([events[1].evidence.scale, events[1].evidence.rows], [16, 7]);
});

test("a model without unit layers has no input scale to measure, and checks without one", () => {
  const model = new Sequential([new Activation("tanh")]).build(1, new Rng(0));
  const { data } = scaled(100);
  assert.deepEqual(inputScale(data, model), null);
  assert.deepEqual(
    checkBeforeTraining(data, model, "mse").map((e) => e.kind),
    [],
  );
});

test("regression targets are not classes: a target column of zeros is no empty class", () => {
  const { data, model } = scaled(1, 2);
  assert.deepEqual(
    checkBeforeTraining(data, model, "mse").map((e) => e.kind),
    [],
  );
  assert.deepEqual(
    checkBeforeTraining({ ...data, task: "classification" }, model, "mse").map((e) => e.kind),
    ["emptyClass"],
    "the same targets as classes",
  );
  const one = scaled(1);
  assert.deepEqual(
    checkBeforeTraining({ ...one.data, task: "classification" }, one.model, "mse"),
    [],
    "one output column: no class to check",
  );
});

test("input scale over two columns: a row with NaN in either column is left out; all rows NaN, no scale", () => {
  const model = new Sequential([new Dense(1)]).build(2, new Rng(0));
  const dense = model.layers[0] as Dense;
  dense.weight.data.set([1, 0]); // the pre-activation is column 0 alone
  dense.bias!.data.fill(0);
  const n = 8;
  const x = Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0 : (i / 2) % 2 ? -16 : 16));
  x[2 * 3 + 1] = Number.NaN; // row 3, column 1: its column-0 value is finite, the row still goes
  const data: DataToCheck = { x, y: new Float32Array(n), n, inputDim: 2, outputDim: 1, task: "regression" };
  const scale = inputScale(data, model);
  assert.deepEqual([scale?.mean, scale?.rows], [16, 7]);
  x.fill(Number.NaN);
  assert.equal(inputScale(data, model), null);
});

test("input scale runs the model in inference mode: a dropout before the first unit layer passes rows through", () => {
  const model = new Sequential([new Dropout(0.5), new Dense(1)]).build(1, new Rng(0));
  const dense = model.layers[1] as Dense;
  dense.weight.data.fill(1);
  dense.bias!.data.fill(0);
  const { data } = scaled(16);
  assert.deepEqual([inputScale(data, model)?.mean, inputScale(data, model)?.layer], [16, "1"]);
});

test("input scale: each unit's RMS of (pre-activation − bias) over |w|, zero-weight units skipped, the top 1% of rows cut", () => {
  const model = new Sequential([new Dense(3)]).build(2, new Rng(0));
  const dense = model.layers[0] as Dense;
  // Unit 0 reads column 0 (|w| = 1), unit 1 twice column 1 (|w| = 2), unit 2 nothing (skipped).
  dense.weight.data.set([1, 0, 0, 2, 0, 0]);
  dense.bias!.data.set([3, -1, 5]);
  const n = 200;
  // Column 0 is ±16 but for two outliers of 1000 (the top 1% of 200 rows); column 1 is ±4.
  const x = Float32Array.from({ length: 2 * n }, (_, i) => {
    const r = Math.floor(i / 2);
    if (i % 2) return r % 2 ? -4 : 4;
    return r === 17 || r === 120 ? 1000 : r % 2 ? -16 : 16;
  });
  const data: DataToCheck = { x, y: new Float32Array(n), n, inputDim: 2, outputDim: 1, task: "regression" };
  // Unit 0: √(198 · 16² / 198 / 1) = 16; unit 1: √(8² / 2²) = 4.
  assert.deepEqual(inputScale(data, model), { layer: "0", init: dense.init, mean: 10, worst: 16, rows: 200 });
  const e = checkBeforeTraining(data, model, "mse").find((v) => v.kind === "unscaledInputs");
  assert.deepEqual(
    [e?.evidence.column, e?.evidence.maxAbs],
    [0, 1000],
    "the largest |x| is an outlier's, not the last row's",
  );
  dense.weight.data.fill(0);
  assert.equal(inputScale(data, model), null, "no unit with weights: nothing to measure");
});

test("an infinite cell: reported, and left out of the column's largest magnitude", () => {
  const { data, model } = scaled(16);
  data.x[5] = Number.NEGATIVE_INFINITY;
  const [bad, e] = checkBeforeTraining(data, model, "mse");
  assert.deepEqual([bad.kind, bad.evidence.row], ["nonFiniteData", 6]);
  assert.deepEqual([e.kind, e.evidence.maxAbs], ["unscaledInputs", 16]);
});

test("the targets' span is their least and greatest value, wherever the rows hold them", () => {
  const model = new Sequential([new Dense(1, { activation: "tanh" })]).build(1, new Rng(0));
  const { data } = scaled(1);
  data.y = Float32Array.from([0, 2, -3, 0.5, 0.1, 0, -0.2, 0.3]);
  const [e] = checkBeforeTraining(data, model, "mse");
  assert.deepEqual([e.kind, e.evidence.targetMin, e.evidence.targetMax], ["labelsOutOfRange", -3, 2]);
});

test("output checks read every target cell, and one output column is never one-hot", () => {
  const model = new Sequential([new Dense(2, { activation: "sigmoid" })]).build(1, new Rng(0));
  const { data } = scaled(1, 2);
  data.y.fill(0.5);
  data.y[2 * 7 + 1] = 3; // the last row's second target
  const [e] = checkBeforeTraining(data, model, "mse");
  assert.deepEqual([e.kind, e.evidence.targetMax], ["labelsOutOfRange", 3]);
  assert.equal(e.action, "use an identity output for regression, or scale the targets into (0, 1)");
  const single = new Sequential([new Dense(1, { activation: "softmax" })]).build(1, new Rng(0));
  const ones = scaled(1).data;
  ones.y.fill(1);
  assert.deepEqual(checkBeforeTraining(ones, single, "mse"), [], "a column of ones is no one-hot encoding");
});

test("every bounded output names its range: softmax, softplus and relu too", () => {
  for (const [act, range, lo, hi] of [
    ["softmax", "(0, 1), each row summing to 1", 0, 1],
    ["softplus", "(0, ∞)", 0, Number.POSITIVE_INFINITY],
    ["relu", "[0, ∞)", 0, Number.POSITIVE_INFINITY],
  ] as const) {
    const model = new Sequential([new Dense(2, { activation: act })]).build(1, new Rng(0));
    const { data } = scaled(1, 2);
    data.y.fill(0);
    data.y[0] = -2;
    const [e] = checkBeforeTraining(data, model, "mse");
    assert.deepEqual([e.kind, e.evidence.outputMin, e.evidence.outputMax], ["labelsOutOfRange", lo, hi], act);
    assert.ok(e.diagnosis.includes(`but a ${act} output can only produce ${range}: `), e.diagnosis);
  }
});
