// The memory knobs of the vitals loop against hand-computed values: a knob raised beyond the budget (a
// step per doubling of the excess), verified once settled, raised again up to its ceiling (then the next
// knob's turn in a chain), lowered when the budget has held with room for ROOM_PROBES probes; consolidation's running importance, its anchor scaled to mean 1, and its penalty.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HealthEvent } from "../src/health/findings.js";
import type { ForgettingMemory } from "../src/health/vitals.js";
import {
  accumulateImportance,
  anchorHere,
  consolidationKnob,
  consolidationTerm,
  stableImportance,
  freshConsolidation,
} from "../src/homeostasis/vital-consolidation.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import {
  aceKnob,
  chainControl,
  knobControl,
  moreReplayKnob,
  raisedValue,
  replayKnob,
  SETTLE_PROBES,
} from "../src/homeostasis/vital-replay.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";

const probe = (probes: number, forgetting: number) => ({ probes, forgetting }) as ForgettingMemory;

test("consolidation's strength: 0 → 1 → 4 → 16 → 64 (the ceiling), quartered back down to 0", () => {
  const k = consolidationKnob(1, 64);
  const ups = [0];
  while (ups[ups.length - 1] < 64) ups.push(k.up(ups[ups.length - 1]));
  assert.deepEqual(ups, [0, 1, 4, 16, 64]);
  assert.deepEqual([k.down(64), k.down(4), k.down(1), k.down(2)], [16, 1, 0, 0]);
});

test("a knob beyond the budget: raised by the doublings of the excess, verified, lowered only after long room", () => {
  const k = consolidationKnob(1, 64);
  const s = freshConsolidation();
  const events: HealthEvent[] = [];
  const emit = (e: HealthEvent) => void events.push(e);
  // Probes 1–22 (budget 0.1): 3× the budget at 1–4, 4.5× at 5, room (< 0.05) at 6–15 and 17–21, 0.06 at 16
  // (within the budget, not with room), 3× again at 22.
  const forgetting = [
    ...[0.3, 0.3, 0.3, 0.3, 0.45],
    ...Array(10).fill(0.04),
    0.06,
    ...Array(5).fill(0.04),
    0.3,
  ];
  const full = forgetting.map((f, i) => knobControl(k, s, probe(i + 1, f), 10 * (i + 1), 0.1, emit));
  assert.deepEqual(
    events.map((e) => [e.step, e.kind, e.evidence.strength]),
    [
      [10, "consolidationRaised", 1], // probe 1: ⌊log2 3⌋ = 1 step up, settled since the fresh state (probe −4)
      [50, "consolidationRaised", 16], // 4 probes later, 4.5× the budget: ⌊log2 4.5⌋ = 2 steps, 1 → 4 → 16
      [90, "remedyVerified", 16], // 4 more: 4 points ≤ 10
      [130, "consolidationLowered", 4], // probes 6–13 all below 5 points, 8 probes since the raise: lowered
      [220, "consolidationRaised", 16], // 14–21 held 6 points once (no room: not lowered); beyond again at 22
    ],
  );
  assert.equal(full.indexOf(true), -1, "never at the ceiling with the budget exceeded and nothing pending");
  assert.equal(
    events[0].diagnosis,
    "forgetting 30.0 points, beyond the budget of 10.0: consolidation strength (online EWC) 0.0 → 1.0",
  );
  assert.match(events[3].diagnosis, /held with room over 8 probes \(forgetting at most 4\.0 points/);
  const t = freshConsolidation();
  t.value = 4;
  assert.equal(
    knobControl(consolidationKnob(1, 4), t, probe(SETTLE_PROBES, 0.3), 1, 0.1, emit),
    true,
    "at its ceiling, beyond the budget",
  );
});

test("more rows, the rung after the asymmetric loss: 0 (one row) → 2 → 4 (the ceiling), halved back to 0", () => {
  const k = moreReplayKnob(4);
  assert.deepEqual([k.up(0), k.up(2), k.up(4)], [2, 4, 4]);
  assert.deepEqual([k.down(4), k.down(2)], [2, 0]);
  assert.deepEqual([k.show!(0), k.show!(2)], ["1.0", "2.0"]); // 0 is back at the first knob's one row
  assert.equal(moreReplayKnob(3).up(2), 3);
});

test("raise steps: one per doubling of the budget, at least one, never past the ceiling", () => {
  const k = replayKnob(1);
  // 0.15/0.1 → ⌊log2 1.5⌋ = 0 → 1 step; 0.4 → 2 steps; 0.95 → ⌊log2 9.5⌋ = 3 steps, ¼ → ½ → 1 (the ceiling).
  assert.deepEqual(
    [raisedValue(k, 0, 0.15, 0.1), raisedValue(k, 0, 0.4, 0.1), raisedValue(k, 0, 0.95, 0.1)],
    [0.25, 0.5, 1],
  );
  assert.equal(raisedValue(k, 0.5, 0.95, 0.1), 1);
});

test("a chain of knobs: the next is raised when the one before is at its ceiling, lowered in reverse", () => {
  const replay = { value: 0, changedAt: -SETTLE_PROBES, pending: null };
  const ace = { value: 0, changedAt: -SETTLE_PROBES, pending: null };
  const chain = [
    [replayKnob(0.5), replay],
    [aceKnob, ace],
  ] as const;
  const events: HealthEvent[] = [];
  const emit = (e: HealthEvent) => void events.push(e);
  // 4× the budget: replay 0 → ¼ → ½ (its ceiling); still beyond when settled: the asymmetric loss; then room.
  const forgetting = [0.4, 0.4, 0.4, 0.4, 0.4, ...Array(8).fill(0.01), ...Array(8).fill(0.01)];
  forgetting.forEach((f, i) => chainControl(chain, probe(i + 1, f), i + 1, 0.1, emit));
  assert.deepEqual(
    events.map((e) => [e.step, e.kind, e.evidence.share ?? e.evidence.asymmetric]),
    [
      [1, "replayRaised", 0.5],
      [5, "replayRaised", 1], // replay at its ceiling: no "exhausted" event, the asymmetric loss's turn
      [9, "remedyVerified", 1],
      [13, "replayLowered", 0], // 8 probes of room after the change at 5 (every knob's clock restarted)
      [21, "replayLowered", 0.25], // then the share, 8 probes after the last change
    ],
  );
  assert.equal(
    events[1].diagnosis,
    "forgetting 40.0 points, beyond the budget of 10.0: replay's loss plain → asymmetric (ER-ACE, Caccia et al. 2022)",
  );
  assert.deepEqual([replay.value, ace.value], [0.25, 0]);
});

test("importance: a running mean of squared gradients (decay 0.99), scaled to mean 1 at the anchor", () => {
  const s = freshConsolidation();
  const grads = new Map([
    ["w", Float32Array.of(1, 2)],
    ["b", Float32Array.of(3)],
  ]);
  accumulateImportance(s, grads);
  accumulateImportance(s, grads);
  // 0.01 g², then 0.99 · 0.01 g² + 0.01 g² = 0.0199 g².
  assert.ok(Math.abs(s.fisher!.w[1] - 0.0199 * 4) < 1e-8);
  const parameters = [
    ["w", new Tensor(Float32Array.of(0.5, -1), [2])],
    ["b", new Tensor(Float32Array.of(2), [1])],
  ] as [string, Tensor][];
  anchorHere(s, { parameters } as unknown as TrainingControl);
  // g² = 1, 4, 9: mean 14/3, so the importance is 3/14, 12/14, 27/14.
  const imp = [...s.importance!.w, ...s.importance!.b];
  [3 / 14, 12 / 14, 27 / 14].forEach((v, i) => assert.ok(Math.abs(imp[i] - v) < 1e-6, `${imp[i]} ≠ ${v}`));
  assert.equal(consolidationTerm(s, parameters), null, "strength 0: no penalty");
  s.value = 2;
  parameters[0][1].data[1] = 0; // w moved by 1 from its anchor −1, b by 0
  // 2 · (12/14) · 1² = 1.714…
  assert.ok(Math.abs(consolidationTerm(s, parameters)!.data[0] - (2 * 12) / 14) < 1e-5);
});

test("the loop adds consolidation's penalty only when its memory remedy names it", () => {
  const parameters = [["w", new Tensor(Float32Array.of(1, 3), [2])]] as [string, Tensor][];
  const penalty = (memoryRemedy: "replay" | "consolidation" | "both") => {
    const loop = vitals({ memoryRemedy, plasticity: false });
    const saved = loop.getState() as { loop: { consolidation: object } };
    saved.loop.consolidation = {
      ...freshConsolidation(),
      value: 4,
      anchor: { w: Float32Array.of(1, 1) },
      importance: { w: Float32Array.of(0.5, 1.5) },
    };
    loop.setState(saved);
    return loop.lossTerm!({ parameters } as never, {} as never)?.data[0] ?? null;
  };
  // 4 · (0.5 · 0² + 1.5 · 2²) = 24.
  assert.equal(penalty("consolidation"), 24);
  assert.equal(penalty("both"), 24);
  assert.equal(penalty("replay"), null);
});

test("a regression's forgetting is said as a share of its error, not accuracy points", () => {
  const events: HealthEvent[] = [];
  const s = freshConsolidation();
  const f = { probes: SETTLE_PROBES, forgetting: 0.3, margin: 0.05, regression: true } as ForgettingMemory;
  knobControl(replayKnob(1), s, f, 40, 0.1, (e) => void events.push(e));
  knobControl(
    replayKnob(1),
    s,
    { ...f, probes: 2 * SETTLE_PROBES, forgetting: 0.12 },
    80,
    0.1,
    (e) => void events.push(e),
  );
  assert.deepEqual(
    events.map((e) => e.diagnosis),
    [
      "forgetting 30.0% of the error, beyond the budget of 10.0% of the error: replayed rows per new row 0.0 → 0.25",
      "replay at 0.25 rows per new row holds the forgetting budget: 12.0% of the error ≤ 10.0% of the error + 5.0% of the error (noise margin)",
    ],
  );
});

test("consolidation's edges: no gradients yet, none at all, a parameter without importance, nothing to pull to", () => {
  const w = () => new Tensor(Float32Array.of(0.5, -1), [2]);
  const control = (parameters: [string, Tensor][]) => ({ parameters }) as unknown as TrainingControl;
  // No step yet (no importance): no anchor taken.
  const none = freshConsolidation();
  anchorHere(none, control([["w", w()]]));
  assert.deepEqual([none.anchor, none.importance], [null, null]);
  // Gradients all zero: importance 0 everywhere (not 0 · ∞).
  const flat = freshConsolidation();
  accumulateImportance(flat, new Map([["w", Float32Array.of(0, 0)]]));
  anchorHere(flat, control([["w", w()]]));
  assert.deepEqual(Array.from(flat.importance!.w), [0, 0]);
  // A parameter the importance never saw (a head grown since): neither anchored nor weighed.
  const grown = freshConsolidation();
  accumulateImportance(grown, new Map([["w", Float32Array.of(1, 1)]]));
  anchorHere(
    grown,
    control([
      ["w", w()],
      ["b", new Tensor(Float32Array.of(2), [1])],
    ]),
  );
  assert.deepEqual([Object.keys(grown.anchor!), Object.keys(grown.importance!)], [["w"], ["w"]]);
  // Nothing to pull towards, or no importance: no term, at any strength; and nothing to cap.
  const parameters: [string, Tensor][] = [["w", w()]];
  assert.equal(consolidationTerm({ ...freshConsolidation(), value: 4 }, parameters), null);
  const weighed = { ...freshConsolidation(), value: 4, importance: { w: Float32Array.of(1, 1) } };
  assert.equal(consolidationTerm(weighed, parameters), null, "importance but no anchor");
  const anchored = { ...freshConsolidation(), value: 4, anchor: { w: Float32Array.of(0, 0) } };
  assert.equal(consolidationTerm(anchored, parameters), null);
  assert.equal(consolidationTerm(anchored, parameters, null), null);
  assert.equal(stableImportance(anchored, 0.1), null);
  assert.equal(consolidationKnob(1, 64).at(4), "consolidation at strength 4.0");
});
