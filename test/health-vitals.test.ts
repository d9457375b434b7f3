// The vital-signs rules against hand-computed values: the plasticity rule's baseline and window (loss up
// AND (dormant up OR rank down), each at its boundary), forgetting over retained segments, a segment's
// score, and the detectors reporting once per episode with their evidence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS, type TrainingPicture } from "../src/health/findings.js";
import { detectors } from "../src/health/kinds.js";
import { plasticityDiagnosis } from "../src/health/vitals.js";
import { healthMonitor } from "../src/health/monitor.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { fourLanes } from "./helpers/four-lanes.js";
import { blobs } from "./helpers/health-zoo.js";
import type { LayerStatistics } from "../src/health/statistics.js";
import { forgettingBeyond } from "../src/health/vitals.js";
import {
  forgettingOf,
  freshPlasticity,
  observePlasticity,
  plasticitySignals,
  type PlasticitySignals,
  segmentScore,
} from "../src/health/vital-rules.js";

const O = {
  baselineStart: 2,
  window: 3,
  lossRise: 0.15,
  dormantRise: 0.1,
  dormantMost: 0.5,
  rankDrop: 0.25,
  depth: 2,
};
const sig = (loss: number, dormant: number, effectiveRank = NaN): PlasticitySignals => ({
  loss,
  dormant,
  effectiveRank,
  stableRank: effectiveRank / 2,
  weightChange: NaN,
});

/** Checks 1–2 skipped, 3–5 the baseline (loss 1, dormant 0.1, rank 20 measured once), then `recent`. */
function after(recent: PlasticitySignals[]) {
  const mem = freshPlasticity();
  const baseline = [sig(9, 0.9, 99), sig(9, 0.9), sig(1, 0.1, 20), sig(1, 0.1), sig(1, 0.1)];
  for (const x of baseline) assert.equal(observePlasticity(mem, x, O), null);
  let r = null;
  for (const x of recent) r = observePlasticity(mem, x, O);
  return { mem, r: r! };
}

test("the plasticity baseline is the mean of its checks; the window needs to be full", () => {
  const { mem, r } = after([sig(1, 0.1), sig(1, 0.1)]);
  // The sum of three 0.1s over 3 (0.10000000000000002 in float64).
  const base = {
    loss: 1,
    dormant: (0.1 + 0.1 + 0.1) / 3,
    effectiveRank: 20,
    stableRank: 10,
    weightChange: NaN,
  };
  assert.deepEqual(mem.base, base);
  assert.deepEqual(mem.baseChecks, [3, 5]);
  assert.equal(r, null, "two checks of a three-check window");
});

test("loss up 20% with dormant units up 20 points: the rule holds", () => {
  const { r } = after([sig(1.1, 0.3), sig(1.2, 0.3), sig(1.3, 0.3)]);
  assert.ok(Math.abs(r.now.loss - 1.2) < 1e-12);
  assert.ok(Math.abs(r.now.dormant - 0.3) < 1e-12);
  assert.deepEqual([r.lossUp, r.dormantUp, r.rankDown, r.holds], [true, true, false, true]);
  assert.equal(r.from, 6);
});

test("loss up 14% (below the 15% rise) does not hold, whatever the units do", () => {
  const { r } = after([sig(1.14, 0.5, 5), sig(1.14, 0.5), sig(1.14, 0.5)]);
  assert.deepEqual([r.lossUp, r.dormantUp, r.rankDown, r.holds], [false, true, true, false]);
});

test("loss up with flat dormant units: the rank decides (15 = 0.75 × 20 collapses, 16 does not)", () => {
  const at = (rank: number) => after([sig(1.2, 0.1), sig(1.2, 0.1, rank), sig(1.2, 0.1)]).r;
  assert.deepEqual([at(15).rankDown, at(15).holds], [true, true]);
  assert.deepEqual([at(16).rankDown, at(16).holds], [false, false]);
  assert.deepEqual([at(15).now.effectiveRank, at(15).now.stableRank], [15, 7.5]);
});

test("a baseline mostly dormant: half the units or more dormant count on their own, with the loss up", () => {
  // The bit-flipping problem, seed 5: four of five units dormant from the start, so they cannot rise 10 points.
  const mostly = (recent: PlasticitySignals[]) => {
    const mem = freshPlasticity();
    for (const x of [sig(9, 0.9), sig(9, 0.9), sig(1, 0.8), sig(1, 0.8), sig(1, 0.8)])
      observePlasticity(mem, x, O);
    let r = null;
    for (const x of recent) r = observePlasticity(mem, x, O);
    return { mem, r: r! };
  };
  const { mem, r } = mostly([sig(1.2, 0.8), sig(1.2, 0.8), sig(1.2, 0.8)]);
  assert.deepEqual(
    [r.lossUp, r.dormantUp, r.dormantMost, r.rankDown, r.holds],
    [true, false, true, false, true],
  );
  assert.match(
    plasticityDiagnosis(r, { ...O }, mem.baseChecks, mem.checks),
    /while in the last 2 hidden layers 80% of the units are dormant \(80% in the baseline; 50% or more count whatever the baseline\)/,
  );
  // Exactly at the bound it counts; just below, or with the loss level, it does not.
  assert.equal(mostly([sig(1.2, 0.5), sig(1.2, 0.5), sig(1.2, 0.5)]).r.holds, true);
  assert.deepEqual(
    [
      mostly([sig(1.2, 0.49), sig(1.2, 0.49), sig(1.2, 0.49)]).r.dormantMost,
      mostly([sig(1.2, 0.49), sig(1.2, 0.49), sig(1.2, 0.49)]).r.holds,
    ],
    [false, false],
  );
  assert.equal(
    mostly([sig(1.1, 0.9), sig(1.1, 0.9), sig(1.1, 0.9)]).r.holds,
    false,
    "loss up 10%, below 15%",
  );
});

test("the loss rise is measured from the best window since the baseline, not the baseline alone", () => {
  const low = [sig(0.8, 0.1), sig(0.8, 0.1), sig(0.8, 0.1)];
  // Checks 6–8 average 0.8 (below the baseline's 1): the best. 0.95 is below the baseline but 19% above
  // 0.8; the windows of checks 7–9 (0.85) and 8–10 (0.9) are within 15% of it (0.92), 9–11 is not.
  const { mem, r } = after([...low, sig(0.95, 0.3), sig(0.95, 0.3), sig(0.95, 0.3)]);
  assert.ok(Math.abs(r.reference.loss - 0.8) < 1e-12);
  assert.equal(r.reference.check, 8);
  assert.deepEqual([r.lossUp, r.dormantUp, r.holds], [true, true, true]);
  assert.match(
    plasticityDiagnosis(r, { ...O }, mem.baseChecks, mem.checks),
    /19% above its best, 0\.800 over checks 6–8 \(baseline 1\.00, checks 3–5\)/,
  );
  const early = after([...low, sig(0.95, 0.3), sig(0.95, 0.3)]).r;
  assert.deepEqual([early.now.loss.toFixed(2), early.lossUp], ["0.90", false]);
});

test("signals are read from the last hidden layers (those measured), the loss from the last window", () => {
  const layer = (dormant: number, rank: number, hidden = true): LayerStatistics =>
    ({
      activationMean: hidden ? 0.5 : NaN,
      dormantFraction: hidden ? dormant : NaN,
      effectiveRank: rank,
      stableRank: rank / 4,
      weightChange: 0.01,
    }) as LayerStatistics;
  const p = {
    lossMeans: [2, 0.7, 0.6],
    layers: [layer(0.9, 3), layer(0.2, 10), layer(0.4, 20), layer(0, 1, false)],
  } as unknown as TrainingPicture;
  const s = plasticitySignals(p, 2);
  assert.deepEqual(s, {
    loss: 0.6,
    dormant: (0.2 + 0.4) / 2,
    effectiveRank: 15,
    stableRank: 3.75,
    weightChange: 0.01,
  });
});

test("forgetting: the mean drop below the best over segments probed twice; regression in relative error", () => {
  const segs = [
    { best: 0.9, last: 0.7, probes: 3 },
    { best: 0.8, last: 0.8, probes: 2 },
    { best: 1, last: 0, probes: 1 },
  ];
  const f = forgettingOf(segs, true);
  assert.ok(Math.abs(f.mean - 0.1) < 1e-12);
  assert.deepEqual([f.worst, f.segments], [0, 2]);
  // MSE 2 at best, 3 now: 50% worse; 1 → 1: 0%.
  const g = forgettingOf(
    [
      { best: 1, last: 1, probes: 2 },
      { best: 2, last: 3, probes: 2 },
    ],
    false,
  );
  // Segments without a row count: no margin, regression or not.
  assert.deepEqual(g, { mean: 0.25, worst: 1, segments: 2, margin: 0 });
  assert.deepEqual(forgettingOf([], true), { mean: 0, worst: -1, segments: 0, margin: 0 });
  // Segments without a row count (a checkpoint's older shape) carry no margin.
  assert.equal(f.margin, 0);
});

test("forgetting's noise margin: two standard errors of the mean drop, shrinking with the segments' rows", () => {
  // 64 rows each: variance (0.9·0.1 + 0.7·0.3)/64 + (0.8·0.2 + 0.8·0.2)/64 = 0.62/64; margin 2·√(0.62/64)/2.
  const seg = (best: number, last: number, rows: number) => ({ best, last, probes: 3, rows });
  const f = forgettingOf([seg(0.9, 0.7, 64), seg(0.8, 0.8, 64)], true);
  assert.ok(Math.abs(f.margin - Math.sqrt(0.62 / 64)) < 1e-12, String(f.margin));
  // 100 times the rows: a tenth of the margin.
  const g = forgettingOf([seg(0.9, 0.7, 6400), seg(0.8, 0.8, 6400)], true);
  assert.ok(Math.abs(g.margin - Math.sqrt(0.62 / 6400)) < 1e-12, String(g.margin));
  // A segment forgotten outright (1 → 0) has no binomial spread: the margin is 0.
  assert.equal(forgettingOf([seg(1, 0, 64), seg(1, 0, 64)], true).margin, 0);
  // Regression: a mean of n squared normal errors has relative variance 2/n, the best's and the latest's:
  // 2 segments of 64 rows, variance 4/64 + 4/64, margin 2·√(8/64)/2, whatever the errors are.
  const r = forgettingOf([seg(1, 1.2, 64), seg(0.001, 0.001, 64)], false);
  assert.ok(Math.abs(r.margin - Math.sqrt(8 / 64)) < 1e-12, String(r.margin));
  assert.ok(Math.abs(r.mean - 0.1) < 1e-12);
  assert.ok(
    Math.abs(forgettingOf([seg(1, 2, 6400), seg(1, 1, 6400)], false).margin - Math.sqrt(8 / 6400)) < 1e-12,
  );
});

test("the forgetting rule: the zoo's momentum run (13.0 points over 3 segments of 64 rows) is within the margin", () => {
  // Best and latest accuracy of the three segments the loop kept on "mnist relu sgd 0.1 momentum 0.95".
  const segs = [
    { best: 57 / 64, last: 52 / 64, probes: 6, rows: 64 },
    { best: 56 / 64, last: 48 / 64, probes: 4, rows: 64 },
    { best: 58 / 64, last: 46 / 64, probes: 2, rows: 64 },
  ];
  const f = forgettingOf(segs, true);
  // Mean drop (5 + 8 + 12) / 3 / 64 = 0.1302; variance Σ(b(1−b) + l(1−l))/64, margin 2·√variance / 3.
  assert.ok(Math.abs(f.mean - 25 / 192) < 1e-12);
  const v = segs.reduce((a, s) => a + (s.best * (1 - s.best) + s.last * (1 - s.last)) / 64, 0);
  assert.ok(Math.abs(f.margin - (2 * Math.sqrt(v)) / 3) < 1e-12);
  assert.equal(forgettingBeyond({ forgetting: f.mean, margin: f.margin }, 0.1), false);
  // The same drops on segments 25 times larger are beyond it (margin a fifth: 0.0152).
  const big = forgettingOf(
    segs.map((s) => ({ ...s, rows: 1600 })),
    true,
  );
  assert.equal(forgettingBeyond({ forgetting: big.mean, margin: big.margin }, 0.1), true);
  // A margin-less memory (a checkpoint from before it) compares with the budget alone.
  assert.equal(forgettingBeyond({ forgetting: 0.11 }, 0.1), true);
});

test("a segment's score: accuracy by argmax, or mean squared error per output", () => {
  const seg = {
    x: new Float32Array(3),
    y: Float32Array.from([0, 1, 0, 1, 1, 0]),
    rows: 3,
    check: 1,
    best: NaN,
    last: NaN,
    probes: 0,
  };
  assert.equal(segmentScore([0.1, 0.9, 0.8, 0.2, 0.7, 0.3], 2, seg, true), 2 / 3);
  const reg = { ...seg, y: Float32Array.from([1, 2]), rows: 2 };
  assert.equal(segmentScore([1.5, 0], 1, reg, false), (0.25 + 4) / 2);
});

/** A picture whose last hidden layer shows `dormant` and whose window loss is `loss`. */
const picture = (step: number, loss: number, dormant: number): TrainingPicture =>
  ({
    step,
    chance: 0.5,
    lossMeans: [loss],
    layers: [{ activationMean: 1, dormantFraction: dormant, effectiveRank: NaN } as LayerStatistics],
  }) as unknown as TrainingPicture;

test("plasticityLoss reports once when its rule starts to hold, again only after it stopped", () => {
  const d = detectors.build(
    { type: "plasticityLoss", baselineStart: 1, window: 2 },
    { thresholds: DEFAULT_THRESHOLDS },
  );
  const store: Record<string, object> = {};
  const seen = { memory: <T extends object>(fresh: () => T) => (store.m ??= fresh()) as T } as never;
  const losses = [5, 1, 1, 2, 2, 2, 1, 1, 2, 2];
  const dormant = [0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0.5, 0.5];
  const found = losses.map((l, i) => d.check!(picture(10 * (i + 1), l, dormant[i]), seen));
  assert.deepEqual(
    found.map((f, i) => (f ? i + 1 : 0)).filter(Boolean),
    [5, 9],
    "the window of checks 4–5 holds (fires at 5), so do 5–6 and 6–7 (mean loss 1.5, dormant 25%); 7–8 does not; 8–9 holds again",
  );
  assert.deepEqual(
    [found[4]!.evidence.loss, found[4]!.evidence.baselineLoss, found[4]!.evidence.dormantFraction],
    [2, 1, 0.5],
  );
  assert.match(
    found[4]!.diagnosis,
    /averaged 2\.00 over the last 2 checks .* 100% above its baseline 1\.00 \(checks 2–3/,
  );
  assert.match(found[4]!.diagnosis, /dormant units rose from 0% to 50%/);
});

test("without the vital detectors nothing new is kept; with them each check carries stable rank and weight change", () => {
  const run = (names: string[]) => {
    const s = blobs(160, 3, 4, 5);
    const model = new Sequential([
      new Dense(12, { activation: "relu" }),
      new Dense(3, { activation: "softmax" }),
    ]).build(4, new Rng(3));
    const health = healthMonitor({ detectors: names, thresholds: { checkEvery: 5 } });
    const kept: number[][] = [];
    const keeper: Observer = {
      onBatchEnd: (e) => {
        if (e.step % 5 === 0) kept.push(Array.from(model.parameters()[0][1].data));
      },
    };
    fit(
      model,
      { x: new Tensor(s.x, [s.n, 4]), y: new Tensor(s.y, [s.n, 3]) },
      {
        epochs: 2,
        batchSize: 16,
        optimizer: sgd({ lr: 0.1 }),
        loss: "crossEntropy",
        seed: 1,
        observers: [health, keeper],
      },
    );
    return { state: health.getState!() as Record<string, unknown>, points: health.statistics().points, kept };
  };
  const plain = run(["divergence"]);
  assert.ok(!("memory" in plain.state));
  assert.ok(plain.points.every((p) => p.layers.every((l) => !("stableRank" in l) && !("weightChange" in l))));
  const vital = run(["divergence", "plasticityLoss"]);
  assert.ok("memory" in vital.state);
  const change = (a: number[], b: number[]) =>
    Math.sqrt(fourLanes(a.map((x, i) => (b[i] - x) ** 2))) / Math.sqrt(fourLanes(a.map((x) => x * x)));
  const first = vital.points.map((p) => p.layers[0]);
  assert.ok(Number.isNaN(first[0].weightChange!), "no previous check at the first");
  // The same sums in the same four lanes (‖W′‖² is the previous check's ‖W‖²): equal to the last bit.
  for (let k = 1; k < first.length; k++)
    assert.equal(first[k].weightChange, change(vital.kept[k - 1], vital.kept[k]), `check ${k + 1}`);
  assert.ok(first[0].stableRank! >= 1 && first[0].stableRank! <= first[0].effectiveRank + 1e-9);
});

test("the vital detectors alone take the weight change on the layers they read, and no ‖W‖", () => {
  const run = (names: (string | { type: string; depth: number })[]) => {
    const s = blobs(160, 3, 4, 5);
    const model = new Sequential([
      new Dense(12, { activation: "relu" }),
      new Dense(8, { activation: "relu" }),
      new Dense(3, { activation: "softmax" }),
    ]).build(4, new Rng(3));
    const health = healthMonitor({ detectors: names, thresholds: { checkEvery: 5 } });
    const data = { x: new Tensor(s.x, [s.n, 4]), y: new Tensor(s.y, [s.n, 3]) };
    const opts = { epochs: 1, batchSize: 16, optimizer: sgd({ lr: 0.1 }), loss: "crossEntropy" as const };
    fit(model, data, { ...opts, seed: 1, observers: [health] });
    return health.statistics().points.slice(1);
  };
  const changed = (points: ReturnType<typeof run>) =>
    points[0].layers.map((l) => Number.isFinite(l.weightChange ?? NaN));
  // The plasticity rule reads its last `depth` hidden layers: only those get the pass over their weights.
  const alone = run([{ type: "plasticityLoss", depth: 1 }]);
  assert.deepEqual(changed(alone), [false, true, false]);
  // ‖W‖ only where the weight change's pass sums it for free.
  assert.ok(alone.every((p) => p.layers.every((l, k) => Number.isNaN(l.weightNorm) === (k !== 1))));
  assert.deepEqual(changed(run(["plasticityLoss"])), [true, true, false]);
  // A detector that reads ‖W‖ (the growth rule's) brings it back, on every layer.
  const both = run(["divergence", { type: "plasticityLoss", depth: 1 }]);
  assert.ok(both.every((p) => p.layers.every((l) => Number.isFinite(l.weightGrowth) && l.weightNorm > 0)));
  assert.deepEqual(changed(both), [false, true, false]);
});
