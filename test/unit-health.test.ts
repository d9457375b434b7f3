/**
 * The health monitor's repairs and repair policy against hand-computed expectations. The monitor is
 * driven directly (no training loop): a 2 → 4 → 2 network, batch events whose loss, gradients and
 * hidden activations the test chooses, and a control that records the learning-rate scale, clipping
 * and failure and holds a live Adam state — so each repair's effect is known before it happens.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS } from "../src/health/detectors.js";
import { healthMonitor, type HealthMonitorOptions } from "../src/health/index.js";
import type { HealthMonitorState } from "../src/health/monitor.js";
import { deepCopy } from "../src/health/repairs.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { initialize } from "../src/nn/init.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import {
  assertMomentsZeroedFor,
  batchEvent,
  copyMoments,
  testControl,
  type TestControl,
} from "./helpers/control.js";

const net = (): Sequential =>
  new Sequential([new Dense(4, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
/** Every hidden unit fires: no dead units, no dying-ReLU finding. */
const ALIVE = [[1, 2, 3, 4]];
/** Equal gradient norms at both layers: neither exploding nor vanishing. */
const EVEN = { "0.weight": [1], "1.weight": [1] };

/** A monitor that has begun training on `net()`; `step` feeds it one batch (defaults: loss 1, ALIVE, EVEN). */
function harness(opts: HealthMonitorOptions) {
  const control = testControl(net());
  const monitor = healthMonitor(opts);
  monitor.onTrainBegin!(control);
  const step = (over: Parameters<typeof batchEvent>[1] = {}): void => {
    control.step++;
    monitor.onBatchEnd!(
      batchEvent(control.step, {
        control,
        outputs: { "0": ALIVE },
        grads: EVEN,
        x: [
          [1, 2],
          [3, -1],
        ],
        ...over,
      }),
      control,
    );
  };
  const kinds = (): string[] => monitor.events.map((e) => e.kind);
  return { control, monitor, step, kinds };
}

const weightsOf = (c: TestControl): number[][] => c.parameters.map(([, t]) => Array.from(t.data));
/** Stand-in for an optimiser step k: every weight, both moments and Adam's step counter move. */
function train(c: TestControl, k: number): void {
  c.parameters.forEach(([, t]) =>
    t.data.forEach((v, i) => {
      t.data[i] = v + 0.01 * k * (i + 1);
    }),
  );
  const { mu, nu } = c.moments();
  [...mu, ...nu].forEach((a) =>
    a.forEach((v, i) => {
      a[i] = v + k;
    }),
  );
  (c.moments() as unknown as { step: number }).step = k;
}

test("rollback: a NaN loss puts back the older healthy snapshot exactly (weights, Adam's moments and step) and cuts the LR 10×", () => {
  const { control, monitor, step, kinds } = harness({ repair: true, thresholds: { checkEvery: 1 } });
  // Snapshots are taken at step 0 (training begins) and at each healthy check; rollback goes to the older of the last two.
  const at: { w: number[][]; opt: unknown }[] = [];
  for (let k = 1; k <= 2; k++) {
    train(control, k);
    at[k] = { w: weightsOf(control), opt: deepCopy(control.getOptimizerState()) };
    step();
  }
  assert.deepEqual(kinds(), []);
  train(control, 3);
  step({ loss: NaN });
  assert.deepEqual(kinds(), ["nonFinite", "rollback", "learningRateCut"]);
  assert.equal(monitor.events[1].evidence.toStep, 1);
  assert.deepEqual(weightsOf(control), at[1].w, "weights of step 1");
  assert.deepEqual(control.getOptimizerState(), at[1].opt, "optimiser state of step 1");
  assert.equal(control.learningRateScale, 0.1);
  // The restored state is a copy: training on from it and failing again restores step 1 once more.
  train(control, 4);
  step({ loss: Infinity });
  assert.deepEqual(weightsOf(control), at[1].w, "weights of step 1, again");
  assert.deepEqual(control.getOptimizerState(), at[1].opt, "optimiser state of step 1, again");
  assert.ok(Math.abs(control.learningRateScale - 0.01) < 1e-15);
});

test("budgets: after maxRepairsPerKind repairs a fatal kind fails the run — nonFinite, divergence, lrTooHigh, explodingGradients", () => {
  const scale = (c: TestControl, f: number): void =>
    c.parameters.forEach(([n, t]) => {
      if (n.endsWith("weight"))
        t.data.forEach((v, i) => {
          t.data[i] = v * f;
        });
    });
  const cases: [string, (h: ReturnType<typeof harness>) => void][] = [
    ["nonFinite", (h) => h.step({ loss: NaN })],
    // The first window's loss is 1; a window above 3× that diverges.
    ["divergence", (h) => h.step({ loss: 4 })],
    // A weight norm grown more than 5× since the last check.
    [
      "lrTooHigh",
      (h) => {
        scale(h.control, 6);
        h.step();
      },
    ],
    // The first layer's gradient 710× the output layer's.
    ["explodingGradients", (h) => h.step({ grads: { "0.weight": [710], "1.weight": [1] } })],
  ];
  for (const [kind, trouble] of cases) {
    const h = harness({ repair: true, maxRepairsPerKind: 2, thresholds: { checkEvery: 1 } });
    h.step();
    trouble(h);
    trouble(h);
    assert.equal(h.control.failed, null, `${kind}: two repairs allowed`);
    assert.deepEqual(
      h.monitor.events.filter((e) => e.kind === kind).map((e) => e.repaired),
      [true, true],
      kind,
    );
    trouble(h);
    assert.match(h.control.failed ?? "", /beyond repair/, `${kind}: the third fails`);
    assert.equal(h.kinds().at(-1), "failed", kind);
    assert.equal(h.kinds().at(-2), kind, `${kind}: reported, then failed`);
    const n = h.monitor.events.length;
    h.step({ loss: NaN });
    assert.equal(h.monitor.events.length, n, `${kind}: a failed monitor says nothing more`);
  }
});

test("budgets: maxRepairs caps all kinds together; a monitor restored with its budget spent fails at once", () => {
  const h = harness({ repair: true, maxRepairs: 2, thresholds: { checkEvery: 1 } });
  h.step();
  h.step({ loss: NaN });
  h.step({ loss: 4 }); // 4 > 3 × the first window's loss: divergence
  h.step({ loss: NaN }); // one nonFinite repair of 3 used, but 2 repairs in all
  assert.deepEqual(
    h.kinds().filter((k) => k !== "rollback" && k !== "learningRateCut"),
    ["nonFinite", "divergence", "nonFinite", "failed"],
  );
  assert.match(h.control.failed ?? "", /1 nonFinite repairs did not hold/);
  const state = h.monitor.getState!() as HealthMonitorState;
  assert.deepEqual(
    [state.repairs, state.totalRepairs],
    [
      [
        ["nonFinite", 1],
        ["divergence", 1],
      ],
      2,
    ],
  );
  const restored = harness({ repair: true, thresholds: { checkEvery: 1 } });
  restored.monitor.setState!({
    ...deepCopy(state),
    done: false,
    repairs: [["nonFinite", 3]],
    totalRepairs: 3,
  });
  restored.monitor.onTrainBegin!(restored.control);
  restored.step({ loss: NaN });
  assert.match(restored.control.failed ?? "", /3 nonFinite repairs did not hold/);
  const fresh = harness({ repair: true, thresholds: { checkEvery: 1 } });
  fresh.step({ loss: NaN });
  assert.equal(fresh.control.failed, null, "a fresh monitor repairs");
});

test("plateau (default thresholds): found at exactly the 9th check, LR × 0.5 each time; once the budget is spent, reported and training goes on", () => {
  const { control, monitor, step } = harness({ repair: true });
  for (let s = 1; s <= 700; s++) step();
  // Checks every 20 steps; the rule looks back over 8 windows, so the 9th check is the first that can judge,
  // and each repair empties the windows: again 8 checks later.
  const plateaus = monitor.events.filter((e) => e.kind === "plateau");
  assert.deepEqual(
    plateaus.map((e) => [e.step, e.repaired === true]),
    [
      [180, true],
      [340, true],
      [500, true],
      [660, false],
    ],
  );
  assert.match(plateaus[3].action, /not done: 3 plateau repairs were tried already; training goes on/);
  assert.deepEqual(
    monitor.events.filter((e) => e.kind === "learningRateCut").map((e) => e.evidence.factor),
    [0.5, 0.5, 0.5],
  );
  assert.equal(control.learningRateScale, 0.125);
  assert.equal(control.failed, null, "a plateau is not fatal");
});

test("dead units (default thresholds): dyingRelu at the 3rd check (step 60), exactly the dead units re-initialised, the window re-armed", () => {
  const { control, monitor, step } = harness({ repair: true, seed: 7 });
  const [hidden, out] = control.model.layers as Dense[];
  const [w, b, wOut] = [
    Array.from(hidden.weight.data),
    Array.from(hidden.bias!.data),
    Array.from(out.weight.data),
  ];
  const before = copyMoments(control);
  const silent = [[0, 0, 0, 1]]; // units 0–2 never fire: 3/4 ≥ 0.7
  for (let s = 1; s <= 59; s++) step({ outputs: { "0": silent } });
  assert.equal(monitor.events.length, 0, "not before the window of 3 checks is full");
  step({ outputs: { "0": silent } });
  assert.deepEqual(
    monitor.events.map((e) => [e.step, e.kind, e.layer]),
    [
      [60, "dyingRelu", "0"],
      [60, "unitReinit", "0"],
    ],
  );
  assert.equal(monitor.events[1].evidence.units, 3);
  // Fresh incoming rows from the monitor's seeded stream (unit 0, 1, 2 in turn), zero bias, zero outgoing columns.
  const rng = new Rng(7);
  const fresh = [0, 1, 2].flatMap(() => Array.from(initialize(hidden.init, 2, 2, 4, rng)));
  assert.deepEqual(Array.from(hidden.weight.data), [...fresh, ...w.slice(6)]);
  assert.deepEqual(Array.from(hidden.bias!.data), [0, 0, 0, b[3]]);
  assert.deepEqual(
    Array.from(out.weight.data),
    wOut.map((v, i) => (i % 4 === 3 ? v : 0)),
  );
  assertMomentsZeroedFor(control, before, [0, 1, 2]);
  for (let s = 61; s <= 120; s++) step({ outputs: { "0": silent } });
  assert.deepEqual(
    monitor.events.filter((e) => e.kind === "dyingRelu").map((e) => e.step),
    [60, 120],
    "the next full window: 3 checks later",
  );
});

test("exploding gradients: clipping at 5× the median earlier gradient norm; when it does not hold, rollback and LR × 0.1", () => {
  const h = harness({ repair: true, thresholds: { checkEvery: 1 } });
  // Global norms hypot(3, 4) = 5, 10, 15: the median of the earlier checks is 10.
  for (const k of [1, 2, 3]) h.step({ grads: { "0.weight": [3 * k], "1.weight": [4 * k] } });
  const exploding = { grads: { "0.weight": [710], "1.weight": [1] } };
  h.step(exploding);
  assert.deepEqual(
    h.kinds().filter((k) => k !== "weightRescale"),
    ["explodingGradients", "gradientClipping"],
  );
  assert.equal(h.control.clipNorm, 50);
  assert.equal(h.monitor.events.at(-1)!.evidence.maxNorm, 50);
  assert.equal(h.control.learningRateScale, 1, "clipping first, no cut");
  h.step(exploding);
  assert.deepEqual(h.kinds().slice(-3), ["explodingGradients", "rollback", "learningRateCut"]);
  assert.equal(h.control.learningRateScale, 0.1);
  assert.equal(h.control.clipNorm, 50, "clipping stays on");
  // Exploding at the very first check: no healthy norm known yet, so clipping starts at the next check, at 5× its norm.
  const early = harness({ repair: true, thresholds: { checkEvery: 1 } });
  early.step(exploding);
  assert.equal(early.control.clipNorm, null);
  early.step({ grads: { "0.weight": [3], "1.weight": [4] } });
  assert.equal(early.control.clipNorm, 25);
  assert.equal(early.kinds().at(-1), "gradientClipping");
});

test("learning rate too low: raised by 1e-2 / (update ratio), at least 10×, at most 1e4×", () => {
  // Each step: all weights 1, then one weight of each matrix moved by d, so the update ratio is d/‖W‖ = d/√8.
  const raise = (
    d: number,
    updateRatioLow = DEFAULT_THRESHOLDS.updateRatioLow,
  ): { factor: number; ratio: number } => {
    const h = harness({ repair: true, thresholds: { checkEvery: 1, updateRatioLow } });
    const weights = h.control.parameters.filter(([n]) => n.endsWith("weight")).map(([, t]) => t.data);
    for (let s = 0; s < 2; s++) {
      weights.forEach((a) => a.fill(1));
      h.monitor.onGradients!(new Map(), h.control);
      weights.forEach((a) => {
        a[0] = 1 + d;
      });
      h.step();
    }
    const e = h.monitor.events.find((x) => x.kind === "learningRateRaise");
    assert.ok(e, `raised: ${h.kinds()}`);
    return { factor: e.evidence.factor, ratio: (Math.fround(1 + d) - 1) / Math.sqrt(8) };
  };
  const mid = raise(1e-5 * Math.sqrt(8));
  assert.ok(
    Math.abs(mid.factor - 1e-2 / mid.ratio) < 1e-9 * mid.factor,
    `${mid.factor} vs ${1e-2 / mid.ratio}`,
  );
  assert.ok(mid.factor > 900 && mid.factor < 1100);
  assert.equal(raise(2 ** -20).factor, 1e4, "ratio 3.4e-7: capped");
  assert.equal(raise(5e-3 * Math.sqrt(8), 1e-2).factor, 10, "ratio 5e-3 (threshold raised): at least 10×");
});

const STATE_FIELDS = [
  "rng",
  "events",
  "series",
  "snapshots",
  "layers",
  "lossSum",
  "lossCount",
  "correct",
  "rows",
  "lossMeans",
  "droppedBestLoss",
  "accuracyMeans",
  "classCounts",
  "classification",
  "gradNorms",
  "firstGradNorm",
  "checks",
  "deadChecks",
  "deadWindowFull",
  "clipping",
  "pendingClip",
  "checkDue",
  "repairs",
  "totalRepairs",
  "reported",
  "done",
  "epochsSeen",
];

const ROUND_TRIP_OPTS: HealthMonitorOptions = { repair: true, thresholds: { checkEvery: 1 }, seed: 3 };

/** Through a checkpoint file into a fresh monitor (of the same options) and out again. */
function roundTrip(state: HealthMonitorState): HealthMonitorState {
  const model = net();
  const bytes = encodeModel(model, { checkpoint: { observers: { health: state } } });
  const loaded = (decodeModel(bytes, "ckpt.hmst").checkpoint as { observers: { health: unknown } }).observers
    .health;
  const resumed = healthMonitor(ROUND_TRIP_OPTS);
  resumed.setState!(loaded);
  resumed.onTrainBegin!(testControl(model));
  return resumed.getState!() as HealthMonitorState;
}

test("checkpoint round trip: every field of the monitor's state survives the model file, setState and getState", () => {
  const h = harness(ROUND_TRIP_OPTS);
  h.step();
  h.step({ grads: { "0.weight": [0], "1.weight": [1] } }); // vanishing gradients: reported, no repair
  h.step({ loss: NaN }); // rolled back, LR cut
  train(h.control, 4);
  h.step({ loss: 0.9 }); // a healthy check: a new snapshot, so the older and newer ones differ
  h.monitor.onEpochEnd!({ epoch: 0, train: { loss: 1 }, lr: 0.1, steps: 4, seconds: 0 }, h.control);
  const base = h.monitor.getState!() as HealthMonitorState;
  assert.deepEqual(Object.keys(base).sort(), [...STATE_FIELDS].sort());
  assert.ok(
    base.events.length >= 4 &&
      base.reported.length === 1 &&
      base.repairs.length === 1 &&
      base.epochsSeen.length === 1 &&
      base.series.points.length === 3,
  );
  assert.ok(base.snapshots.newer && base.snapshots.older && !base.snapshots.same);
  assert.notDeepEqual(base.snapshots.newer.weights, base.snapshots.older.weights);
  // Distinct values in every field, so that two fields swapped on the way out or in cannot go unseen. The six
  // flags take three patterns (the bits of their index): any two of them differ in at least one pattern.
  const flags = ["classification", "deadWindowFull", "clipping", "pendingClip", "checkDue", "done"] as const;
  for (let bit = 0; bit < 3; bit++) {
    const state: HealthMonitorState = {
      ...deepCopy(base),
      lossSum: 1.25,
      lossCount: 2,
      correct: 3,
      rows: 4,
      droppedBestLoss: 5.5,
      firstGradNorm: 6.5,
      checks: 7,
      deadChecks: 8,
      totalRepairs: 9,
      lossMeans: [1.5, 1.4],
      accuracyMeans: [0.25, 0.5, 0.75],
      gradNorms: [11, 12, 13, 14],
      classCounts: Float64Array.of(2, 3),
      layers: base.layers.map((l, k) => ({
        active: Int32Array.from(l.active, (_, u) => (u + k) % 2),
        prevWeightNorm: 10.5 + k,
        deadFraction: 0.25 + k / 8,
        deadUnits: [k, k + 2],
      })),
    };
    flags.forEach((f, i) => {
      state[f] = ((i >> bit) & 1) === 1;
    });
    assert.deepEqual(roundTrip(state), state, `flags ${flags.filter((_, i) => (i >> bit) & 1)} set`);
  }
  // Just begun: the one snapshot is both the older and the newer.
  const begun = harness(ROUND_TRIP_OPTS).monitor.getState!() as HealthMonitorState;
  assert.ok(begun.snapshots.same && begun.snapshots.older && begun.snapshots.newer === null);
  assert.deepEqual(roundTrip(begun), begun);
});
