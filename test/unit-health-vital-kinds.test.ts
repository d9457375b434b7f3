/**
 * The vital-signs detectors' contract and bookkeeping, hand-checked: what each reports and reads (so the
 * monitor neither fails a run on them nor copies weights for them), the forgetting detector's cadence of
 * kept segments and probes, its segments' bounds, how a probe keeps each segment's best, and the
 * plasticity baseline's means when ranks are measured at some checks only.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS, type TrainingPicture } from "../src/health/findings.js";
import { detectors } from "../src/health/kinds.js";
import {
  freshPlasticity,
  observePlasticity,
  restartWindow,
  segmentScore,
  segmentToDrop,
} from "../src/health/vital-rules.js";
import { type ForgettingMemory, forgettingBeyond } from "../src/health/vitals.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { TrainingControl } from "../src/train/events.js";
import { rows } from "./helpers/control.js";

const build = (raw: Record<string, unknown>) => detectors.build(raw, { thresholds: DEFAULT_THRESHOLDS });

test("the vital detectors report their own kind, never fail a run, and read no weights", () => {
  const made = [
    build({ type: "plasticityLoss" }),
    build({ type: "forgetting" }),
    build({ type: "deadUnits" }),
  ];
  assert.deepEqual(
    made.map((d) => [d.name, d.reports, d.fatal, d.readsWeights, d.measures]),
    [
      ["plasticityLoss", ["plasticityLoss"], false, false, 2],
      ["forgetting", ["forgetting"], false, false, false],
      ["deadUnits", ["deadUnits"], false, false, false],
    ],
  );
  assert.equal(build({ type: "plasticityLoss", depth: 3 }).measures, 3, "the depth it reads");
  // Only deadUnits has a repair of its own: re-initialisation.
  assert.deepEqual(
    made.map((d) => typeof d.repair),
    ["undefined", "undefined", "function"],
  );
});

/** A forgetting detector over a 1 → outputs model, with its memory and a check on `n` rows of x = 1…n. */
function forgettingRun(options: Record<string, unknown>, model: Sequential, n = 4, chance = 0.5) {
  const d = build({ type: "forgetting", ...options });
  const store: { m?: ForgettingMemory } = {};
  const seen = {
    control: { model } as unknown as TrainingControl,
    layers: [],
    memory: <T extends object>(fresh: () => T) => (store.m ??= fresh() as unknown as ForgettingMemory) as T,
  };
  const picture = { chance } as TrainingPicture;
  const xs = Array.from({ length: n }, (_, i) => [i + 1]);
  const batch = { x: rows(xs), y: rows(xs.map(() => [1, 0])) };
  return {
    check: (withBatch = true) => d.check!(picture, { ...seen, batch: withBatch ? batch : undefined }),
    mem: () => store.m!,
  };
}

const twoClasses = () => new Sequential([new Dense(2)]).build(1, new Rng(0));

test("forgetting's cadence: a segment every captureEvery checks (with a batch), a probe every probeEvery and at each capture", () => {
  const run = forgettingRun({ captureEvery: 4, probeEvery: 3, rows: 2, segments: 2 }, twoClasses());
  const trace: [number, number, number][] = [];
  for (let c = 1; c <= 12; c++) {
    run.check(c !== 8); // check 8 has no batch: nothing is kept there
    const m = run.mem();
    trace.push([m.checks, m.segments.length, m.probes]);
  }
  // Kept at 4 and 12 (not 8: no batch); probed at 3, 4, 6, 9, 12 (a capture probes too); 8 is a capture
  // check without a batch, not a multiple of 3: no probe.
  assert.deepEqual(
    trace.map(([, s, p]) => [s, p]),
    [
      [0, 0],
      [0, 0],
      [0, 1],
      [1, 2],
      [1, 2],
      [1, 3],
      [1, 3],
      [1, 3],
      [1, 4],
      [1, 4],
      [1, 4],
      [2, 5],
    ],
  );
  const m = run.mem();
  assert.deepEqual(
    m.segments.map((s) => [s.check, s.rows, s.x.length, s.y.length]),
    [
      [4, 2, 2, 4],
      [12, 2, 2, 4],
    ],
    "at most `rows` rows of the batch, each with its x and its y",
  );
});

test("forgetting keeps at most `segments` segments; a probe keeps each one's best and latest", () => {
  const model = twoClasses();
  const run = forgettingRun({ captureEvery: 1, probeEvery: 1, rows: 4, segments: 2 }, model);
  const [w, b] = [
    model.parameters()[0][1].data as Float32Array,
    model.parameters()[1][1].data as Float32Array,
  ];
  const set = (bias1: number) => {
    w.fill(0);
    b.set([0, bias1]);
  };
  set(-1); // class 0 everywhere: every row right
  run.check();
  run.check();
  run.check();
  assert.equal(run.mem().segments.length, 2);
  assert.deepEqual(
    run.mem().segments.map((s) => s.check),
    [2, 3],
  );
  set(1); // class 1 everywhere: every row wrong
  run.check();
  // Check 4 kept a third segment: the oldest (check 2) went, every segment holding label 0 alone.
  const [old] = run.mem().segments;
  assert.deepEqual([old.check, old.best, old.last, old.probes], [3, 1, 0, 2]);
  set(-1);
  run.check();
  assert.deepEqual([run.mem().segments[1].best, run.mem().segments[1].last], [1, 1]);
  assert.equal(run.mem().regression, undefined, "classification's forgetting is in points");
  // A segment whose first probe scored 0 and a later one 1: its best rises to 1.
  set(1);
  run.check();
  set(-1);
  run.check();
  const rising = run.mem().segments[0];
  assert.deepEqual([rising.best, rising.last, rising.probes], [1, 1, 2]);
});

test("a probe scores in inference mode: dropout off", () => {
  const model = new Sequential([new Dropout(0.9), new Dense(2)]).build(1, new Rng(0));
  const [w, b] = [
    model.parameters()[0][1].data as Float32Array,
    model.parameters()[1][1].data as Float32Array,
  ];
  w.set([1, -1]);
  b.set([0, 0]);
  const run = forgettingRun({ captureEvery: 1, probeEvery: 1, rows: 4 }, model, 4);
  for (let c = 0; c < 3; c++) run.check();
  // x = 1…4, class 0 scores x, class 1 −x: always right unless dropout zeroes the input.
  for (const s of run.mem().segments) assert.deepEqual([s.best, s.last], [1, 1]);
});

test("a regression's probe: the mean squared error per output column, its memory marked regression", () => {
  const out = [1, 2, 3, 5];
  const seg = {
    x: new Float32Array(2),
    y: new Float32Array([0, 0, 3, 3]),
    rows: 2,
    check: 1,
    best: 0,
    last: 0,
    probes: 0,
  };
  // Row 0: (1² + 2²)/2, row 1: (0² + 2²)/2; mean over rows (2.5 + 2)/2.
  assert.equal(segmentScore(out, 2, seg, false), 2.25);
  // A model with more outputs than the targets' columns reads the first of each row.
  // Row 0 reads outputs 1, 2 against 0, 0; row 1 outputs 3, 3 against 3, 3: (2.5 + 0) / 2.
  assert.equal(segmentScore([1, 2, 9, 3, 3, 9], 3, seg, false), 1.25);
  // One output column: class 1 above 0.5, class 0 at 0.5 or below.
  const one = { ...seg, y: new Float32Array([1, 0]), rows: 2 };
  assert.equal(segmentScore([0.6, 0.5], 1, one, true), 1);
  assert.equal(segmentScore([0.5, 0.6], 1, one, true), 0);
  // Ties go to the first class.
  const two = { ...seg, y: new Float32Array([1, 0, 0, 1]), rows: 2 };
  assert.equal(segmentScore([0.5, 0.5, 0.2, 0.7], 2, two, true), 1);
  assert.equal(segmentScore([0.4, 0.5, 0.7, 0.2], 2, two, true), 0);
});

test("the segment let go: the oldest whose labels another holds, else the oldest of all", () => {
  const seg = (labels: number[]) => ({
    y: Float32Array.from(labels.flatMap((l) => [l === 0 ? 1 : 0, l === 1 ? 1 : 0, l === 2 ? 1 : 0])),
    rows: labels.length,
  });
  assert.equal(segmentToDrop([seg([0]), seg([0]), seg([1])]), 0);
  // Segment 0 holds 2, which no other does: segment 1 (labels 0, 1, both elsewhere) goes.
  assert.equal(segmentToDrop([seg([0, 2]), seg([0, 1]), seg([1, 0])]), 1);
  // Segment 0's labels {0, 1} are held only together by the others: each label elsewhere is enough.
  assert.equal(segmentToDrop([seg([0, 1]), seg([0]), seg([1, 2]), seg([2])]), 0);
  // Every segment holds a label of its own: the oldest.
  assert.equal(segmentToDrop([seg([0]), seg([1]), seg([2])]), 0);
  // Segment 0 alone holds 0: the next, whose 1 and 2 are each held elsewhere, goes.
  assert.equal(segmentToDrop([seg([0, 1]), seg([1, 2]), seg([2])]), 1);
});

/** The plasticity rule's options for the window tests: the baseline taken from the first check, windows of 3. */
const WINDOW_3 = {
  baselineStart: 0,
  window: 3,
  lossRise: 0.05,
  dormantRise: 0.05,
  dormantMost: 0.5,
  rankDrop: 0.25,
  depth: 2,
};

test("the plasticity baseline: ranks averaged over the checks that measured one, NaN where none did", () => {
  const sig = (loss: number, rank: number) => ({
    loss,
    dormant: 0.1,
    effectiveRank: rank,
    stableRank: rank / 4,
    weightChange: Number.NaN,
  });
  const mem = freshPlasticity();
  for (const x of [sig(1, 20), sig(1, Number.NaN), sig(1, 10)]) observePlasticity(mem, x, WINDOW_3);
  assert.deepEqual([mem.base!.effectiveRank, mem.base!.stableRank], [15, 3.75]);
  const none = freshPlasticity();
  for (const x of [sig(1, Number.NaN), sig(1, Number.NaN), sig(1, Number.NaN)])
    observePlasticity(none, x, WINDOW_3);
  assert.ok(Number.isNaN(none.base!.effectiveRank) && Number.isNaN(none.base!.stableRank));
  assert.deepEqual(mem.baseChecks, [1, 3]);
});

test("a regression's forgetting memory says so (its words are a share of the error); the rule is strictly beyond", () => {
  const run = forgettingRun({ captureEvery: 1, probeEvery: 1 }, twoClasses(), 4, 0);
  run.check();
  assert.equal(run.mem().regression, true);
  assert.equal(run.mem().probes, 1);
  assert.equal(forgettingBeyond({ forgetting: 0.25, margin: 0.125 }, 0.125), false, "at budget + margin");
  assert.equal(forgettingBeyond({ forgetting: 0.2501, margin: 0.125 }, 0.125), true);
  assert.equal(forgettingBeyond({ forgetting: 0.2, margin: undefined }, 0.125), true, "no margin kept: 0");
});

/** A picture of one check for the plasticity detector: the window's loss, one hidden layer's signals. */
const plasticityPicture = (loss: number, dormant: number, rank = Number.NaN) =>
  ({
    lossMeans: [9, loss],
    layers: [{ activationMean: 1, dormantFraction: dormant, effectiveRank: rank, stableRank: rank / 2 }],
  }) as unknown as TrainingPicture;

test("plasticityLoss: a rule that holds at its first reading is reported, in exact words, with its action", () => {
  const d = build({ type: "plasticityLoss", baselineStart: 0, window: 2 });
  const store: { m?: object } = {};
  const seen = {
    control: {} as TrainingControl,
    layers: [],
    memory: <T extends object>(fresh: () => T) => (store.m ??= fresh()) as T,
  };
  const found = [
    plasticityPicture(1, 0.1, 8),
    plasticityPicture(1, 0.1, 8),
    plasticityPicture(2, 0.3, 4),
    plasticityPicture(2, 0.3, 4),
  ].map((p) => d.check!(p, seen));
  assert.deepEqual(
    found.map((f) => f?.kind ?? null),
    [null, null, null, "plasticityLoss"],
  );
  const f = found[3]!;
  assert.equal(
    f.diagnosis,
    "the online loss on new data averaged 2.00 over the last 2 checks (checks 3–4), 100% above its baseline 1.00 (checks 1–2, early in the run), while in the last 2 hidden layers dormant units rose from 10% to 30% and the effective rank fell from 8.00 to 4.00 (stable rank 4.00 → 2.00): the network is losing its plasticity (Dohare et al. 2024)",
  );
  assert.equal(
    f.action,
    "switch on a plasticity regulator (intrinsic plasticity + L2-Init, or ReDo): the vitals regulator does so and checks the result",
  );
  // Dormant units up alone: no rank words.
  const alone = build({ type: "plasticityLoss", baselineStart: 0, window: 1 });
  const mine: { m?: object } = {};
  const seenAlone = { ...seen, memory: <T extends object>(fresh: () => T) => (mine.m ??= fresh()) as T };
  alone.check!(plasticityPicture(1, 0.1, 8), seenAlone);
  const g = alone.check!(plasticityPicture(2, 0.3, 8), seenAlone)!;
  assert.equal(
    g.diagnosis,
    "the online loss on new data averaged 2.00 over the last 1 checks (checks 2–2), 100% above its baseline 1.00 (checks 1–1, early in the run), while in the last 2 hidden layers dormant units rose from 10% to 30%: the network is losing its plasticity (Dohare et al. 2024)",
  );
  // After a remedy the window starts afresh and the rule's next start is a new finding.
  const mem = store.m as ReturnType<typeof freshPlasticity>;
  assert.equal(mem.holding, true);
  restartWindow(mem);
  assert.deepEqual([mem.holding, mem.loss.length, mem.ranks.length], [false, 0, 0]);
});

test("the plasticity window: a check without a dormant reading is left out of its mean; ranks kept for the window's checks only", () => {
  const sig = (dormant: number, rank: number) => ({
    loss: 1,
    dormant,
    effectiveRank: rank,
    stableRank: rank,
    weightChange: Number.NaN,
  });
  const mem = freshPlasticity();
  for (const x of [sig(0.1, 9), sig(0.1, 9), sig(0.1, 9)]) observePlasticity(mem, x, WINDOW_3);
  let r = null;
  for (const x of [sig(0.2, 10), sig(Number.NaN, 20), sig(0.4, 30), sig(0.4, 40)])
    r = observePlasticity(mem, x, WINDOW_3);
  // The window is checks 5–7: dormant (NaN, 0.4, 0.4) → 0.4; ranks 20, 30, 40 → 30.
  assert.deepEqual([r!.now.dormant, r!.now.effectiveRank, r!.from], [0.4, 30, 5]);
});

test("argmax over three classes or more: each output against the best so far in its own row", () => {
  const seg = {
    x: new Float32Array(2),
    y: new Float32Array([1, 0, 0, 0, 0, 1]),
    rows: 2,
    check: 1,
    best: 0,
    last: 0,
    probes: 0,
  };
  // Row 1 (outputs 3–5): 0.1, 0.5, 0.6 → class 2, right; row 0: 0.9, 0, 0 → class 0, right.
  assert.equal(segmentScore([0.9, 0, 0, 0.1, 0.5, 0.6], 3, seg, true), 1);
  assert.equal(segmentScore([0.9, 0, 0, 0.1, 0.7, 0.6], 3, seg, true), 0.5);
});
