/**
 * The built-in detector kinds as the monitor makes them: each one's name, the finding kinds it reports,
 * whether they are fatal and whether it repairs (a table written by hand from docs/health.md); options
 * that override the monitor's thresholds; the clipping repair's three paths (after a blow-up it rolls
 * back first, at a check it does not, and a second time it cuts the learning rate instead), and the
 * NaN-input verdict of nonFiniteWeights.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RepairContext } from "../src/health/actions.js";
import { DEFAULT_THRESHOLDS as T } from "../src/health/detectors.js";
import type { Finding } from "../src/health/findings.js";
import { BUILTIN_DETECTORS, type DetectorKind, detectors } from "../src/health/kinds.js";
import { monitoredLayers } from "../src/health/observer.js";
import { takeSnapshot } from "../src/health/repairs.js";
import { freshState } from "../src/health/state.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { rows, setDense, testControl } from "./helpers/control.js";
import { layer, overfittingEpoch as epoch, picture } from "./helpers/health-picture.js";

const kind = (name: string): DetectorKind => detectors.get(name, "test");
const make = (name: string, options: object = {}, thresholds = T) =>
  kind(name).create(options as never, { thresholds }, "test");

test("every built-in detector: its finding kinds, fatal or not, a repair or not, checked or per epoch", () => {
  const expected: Record<string, [string[], boolean, boolean]> = {
    nonFiniteWeights: [["nonFinite"], true, true],
    divergence: [["divergence"], true, true],
    lrTooHigh: [["lrTooHigh"], true, true],
    explodingGradients: [["explodingGradients"], true, true],
    dyingRelu: [["dyingRelu"], false, true],
    vanishingGradients: [["vanishingGradients"], false, false],
    saturation: [["saturation"], false, true],
    lrTooLow: [["lrTooLow"], false, true],
    oscillation: [["oscillation"], false, true],
    notLearning: [["notLearning"], false, false],
    plateau: [["plateau"], false, true],
    overfitting: [["overfitting"], false, false],
  };
  assert.deepEqual(
    BUILTIN_DETECTORS.map((k) => k.name),
    Object.keys(expected),
  );
  for (const k of BUILTIN_DETECTORS) {
    const d = k.create({} as never, { thresholds: T }, "test");
    const [reports, fatal, repairs] = expected[k.name];
    assert.deepEqual(
      { name: d.name, reports: d.reports, fatal: d.fatal, repairs: typeof d.repair === "function" },
      { name: k.name, reports, fatal, repairs },
      k.name,
    );
    // Overfitting is judged over epochs; every other kind at checks.
    assert.equal(typeof d.check, k.name === "overfitting" ? "undefined" : "function", k.name);
    assert.equal(typeof d.epoch, k.name === "overfitting" ? "function" : "undefined", k.name);
  }
});

test("a rule's own options win over the monitor's thresholds, which stand for the rest", () => {
  // The loss at 3.5× its first window: diverging at the default factor 3, not at 4.
  const p = picture({ lossMeans: [1, 1.5, 2.5, 3.5] });
  assert.equal(make("divergence").check!(p, {} as never)?.kind, "divergence");
  assert.equal(make("divergence", { divergenceFactor: 4 }).check!(p, {} as never), null);
  assert.equal(make("divergence", {}, { ...T, divergenceFactor: 4 }).check!(p, {} as never), null);
  assert.equal(
    make("divergence", { divergenceFactor: 3.4 }, { ...T, divergenceFactor: 4 }).check!(p, {} as never)?.kind,
    "divergence",
  );
});

test("overfitting: its options and the thresholds decide how many epochs of a gap it waits for", () => {
  const two = [epoch(0), epoch(1)];
  const found = make("overfitting").epoch!(two);
  assert.deepEqual(found?.evidence, { trainAccuracy: 0.85, validationAccuracy: 0.6, gap: 0.85 - 0.6 });
  assert.equal(found?.kind, "overfitting");
  assert.equal(make("overfitting", { overfitEpochs: 3 }).epoch!(two), null);
  assert.equal(make("overfitting", {}, { ...T, overfitEpochs: 3 }).epoch!(two), null);
  assert.equal(make("overfitting", { overfitGap: 0.3 }).epoch!(two), null, "a gap of 0.25 under 0.3");
});

/** A 4-2-2 ReLU network, its control, a monitor state with a snapshot at step 10, and a repair context. */
function repairSetup(gradNorms: number[]) {
  const model = new Sequential([new Dense(2, { activation: "relu" }), new Dense(2)]).build(4, new Rng(1));
  const [hidden, out] = model.layers as Dense[];
  setDense(
    hidden,
    [
      [0.5, -0.25, 0.75, 0.5],
      [-0.5, 0.25, 0.5, 1],
    ],
    [0.1, -0.1],
  );
  setDense(
    out,
    [
      [1, -1],
      [0.5, 0.5],
    ],
    [0, 0],
  );
  const control = testControl(model);
  control.step = 10;
  const state = freshState(0);
  takeSnapshot(state.snapshots, control);
  const snapshotWeights = [...hidden.weight.data];
  hidden.weight.data.fill(3); // the weights moved on after the snapshot
  state.gradNorms = gradNorms;
  const batch = {
    x: rows([
      [1, 2, 0, -1],
      [0, 1, 3, 2],
      [2, -1, 1, 0],
    ]),
    y: rows([
      [1, 0],
      [0, 1],
      [1, 0],
    ]),
  };
  const ctx = { control, step: 50, batch, state, layers: monitoredLayers(control) } as RepairContext;
  return { ctx, control, state, hidden, snapshotWeights };
}

const exploding = (evidence: Record<string, number>): Finding => ({
  kind: "explodingGradients",
  layer: "0",
  evidence,
  diagnosis: "",
  action: "",
});

test("clipping after a blow-up: roll back first, rescale, then clip at 5× the healthy median", () => {
  // The median of the norms before the latest (2, 4, 6) is 4: clipping at 20.
  const { ctx, control, state, hidden, snapshotWeights } = repairSetup([2, 4, 6, 500]);
  const events = make("explodingGradients").repair!(exploding({ loss: NaN, gradNorm: 500 }), ctx)!();
  const kinds = events.map((e) => e.kind);
  assert.equal(kinds[0], "rollback");
  assert.equal(kinds.at(-1), "gradientClipping");
  assert.deepEqual(events.at(-1)?.evidence, { maxNorm: 20 });
  assert.equal(control.clipNorm, 20);
  assert.equal(state.clipping, true);
  assert.equal(state.pendingClip, false);
  // Rolled back to the snapshot's weights (then rescaled by LSUV, an event between the two, where needed).
  const factor = events.find((e) => e.kind === "weightRescale" && e.layer === "0")?.evidence.factor ?? 1;
  hidden.weight.data.forEach((w, i) =>
    assert.ok(Math.abs(w - snapshotWeights[i] * factor) < 1e-6, `weight ${i}`),
  );
});

test("clipping at a check: no rollback; a second time: roll back and cut the learning rate", () => {
  const { ctx, control, state, hidden } = repairSetup([2, 4, 6, 500]);
  const detector = make("explodingGradients");
  const first = detector.repair!(exploding({ gradNorm: 500, ratio: 80, growth: 90 }), ctx)!();
  assert.ok(!first.some((e) => e.kind === "rollback"), "a check's finding keeps the weights");
  assert.equal(new Set(hidden.weight.data).size, 1, "the weights set after the snapshot, at most rescaled");
  assert.equal(control.clipNorm, 20);
  const again = detector.repair!(exploding({ gradNorm: 500, ratio: 80, growth: 90 }), ctx)!();
  assert.deepEqual(
    again.map((e) => e.kind),
    ["rollback", "learningRateCut"],
  );
  assert.equal(control.learningRateScale, 0.1);
  assert.equal(state.clipping, true);
});

test("clipping with no healthy norm known (none, or 0) waits for the next check", () => {
  for (const norms of [[500], [0, 0, 500]]) {
    const { ctx, control, state } = repairSetup(norms);
    const events = make("explodingGradients").repair!(exploding({ gradNorm: 500 }), ctx)!();
    assert.ok(!events.some((e) => e.kind === "gradientClipping"), `norms ${norms}`);
    assert.equal(control.clipNorm, null);
    assert.equal(state.pendingClip, true);
  }
});

test("NaN weights fed by some input columns only: the data's fault, unrepairable; elsewhere a plain finding", () => {
  const { ctx, control, hidden } = repairSetup([1]);
  const seen = { control, layers: ctx.layers, batch: ctx.batch };
  const detector = make("nonFiniteWeights");
  // Column 2 of the first layer is NaN in both units.
  hidden.weight.data[2] = NaN;
  hidden.weight.data[6] = NaN;
  const nanFirst = picture({ layers: [layer("0", { weightNorm: NaN }), layer("1")] });
  const verdict = detector.check!(nanFirst, seen);
  assert.equal(verdict?.kind, "nonFinite");
  assert.equal(verdict?.unrepairable, "the data must be fixed first");
  assert.deepEqual(verdict?.evidence, { weightNorm: -1, gradNorm: 1, columns: 1, column: 2 });
  assert.match(verdict?.diagnosis ?? "", /input column\(s\) 2 turned NaN/);
  // The finding names another layer: the first layer's columns are not its cause.
  const nanLater = picture({ layers: [layer("0"), layer("1", { gradNorm: NaN })] });
  const later = detector.check!(nanLater, seen);
  assert.equal(later?.layer, "1");
  assert.equal(later?.unrepairable, undefined);
  // Every column NaN: not a few bad inputs, a blow-up to roll back.
  hidden.weight.data.fill(NaN);
  assert.equal(detector.check!(nanFirst, seen)?.unrepairable, undefined);
});

test("an unknown detector's name is refused naming the run-config field it is chosen in", () => {
  assert.throws(() => detectors.get("noSuchDetector"), {
    message:
      /^health\.detectors\.type: unknown health detector string "noSuchDetector"; expected one of nonFiniteWeights, /,
  });
});
