// The vitals loop's memory knobs by hand, event by event (kind, evidence and words): a knob raised,
// raised again after its verdict, exhausted at its ceiling, verified within the budget and its noise
// margin, lowered only below half the budget and only from above 0; raisedValue stopped at the ceiling;
// chainControl's walk over the chain (the next knob at a ceiling, the last one exhausted, lowered in
// reverse order, a pending knob followed even at 0).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HealthEvent } from "../src/health/findings.js";
import type { ForgettingMemory } from "../src/health/vitals.js";
import { consolidationKnob } from "../src/homeostasis/vital-consolidation.js";
import {
  aceKnob,
  chainControl,
  type Knob,
  type KnobState,
  knobControl,
  ROOM_PROBES,
  raisedValue,
  replayKnob,
  SETTLE_PROBES,
} from "../src/homeostasis/vital-replay.js";

/** The forgetting detector's memory as the knobs read it: probes so far, the mean drop, its noise margin. */
const memory = (probes: number, forgetting: number, margin = 0) =>
  ({ probes, forgetting, margin }) as ForgettingMemory;

/** A knob at rest, settled since long before the first probe. */
const atRest = (): KnobState => ({ value: 0, changedAt: -SETTLE_PROBES, pending: null });

const recorder = () => {
  const events: HealthEvent[] = [];
  return { events, emit: (e: HealthEvent) => void events.push(e) };
};

/** A knob in steps of one up to 3, with no clamp of its own, whose floor (1) is not 0. */
const levelKnob: Knob = {
  key: "level",
  stem: "level",
  up: (v) => v + 1,
  down: (v) => Math.max(1, v - 1),
  ceiling: 3,
  unit: "level",
  at: (v) => `level ${v}`,
};

test("the asymmetric loss's words: on, and plain", () => {
  assert.equal(aceKnob.at(1), "replay with ER-ACE's asymmetric loss");
  assert.equal(aceKnob.at(0), "plain replay");
});

test("one knob raised, raised again after its verdict, then exhausted at its ceiling", () => {
  const k = replayKnob(1);
  const s = atRest();
  const { events, emit } = recorder();
  // Budget 0.1, step = 10 × probe. Probe 1: 1.5× the budget, settled (1 − (−4) = 5 ≥ 4): ⌊log2 1.5⌋ = 0,
  // so one step, 0 → ¼; the raise awaits its verdict, noted with the step and the forgetting it met.
  assert.equal(knobControl(k, s, memory(1, 0.15), 10, 0.1, emit), false);
  assert.deepEqual(s.pending, { step: 10, forgetting: 0.15 });
  // Probes 2–4: not settled (fewer than 4 probes since the change at 1). Probe 5: 3×, ⌊log2 3⌋ = 1 step,
  // ¼ → ½. Probe 9: 9×, ⌊log2 9⌋ = 3 steps, but ½ → 1 reaches the ceiling. Probe 13: 5×, at the ceiling
  // with a raise pending: exhausted (knobControl's `last` defaults to true). Probe 14: nothing pending,
  // at the ceiling and beyond: true again, no event.
  const forgetting = [0.15, 0.15, 0.15, 0.3, 0.3, 0.3, 0.3, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5];
  const full = forgetting.map((x, i) => knobControl(k, s, memory(i + 2, x), 10 * (i + 2), 0.1, emit));
  assert.deepEqual(full, [...Array(11).fill(false), true, true]);
  assert.deepEqual(events, [
    {
      step: 10,
      kind: "replayRaised",
      evidence: { forgetting: 0.15, budget: 0.1, shareBefore: 0, share: 0.25 },
      diagnosis: "forgetting 15.0 points, beyond the budget of 10.0: replayed rows per new row 0.0 → 0.25",
      action: "replay raised",
      repaired: true,
    },
    {
      step: 50,
      kind: "replayRaised",
      evidence: { forgetting: 0.3, budget: 0.1, shareBefore: 0.25, share: 0.5 },
      diagnosis:
        "forgetting 30.0 points, beyond the budget of 10.0 after raising it at step 10: replayed rows per new row 0.25 → 0.50",
      action: "replay raised",
      repaired: true,
    },
    {
      step: 90,
      kind: "replayRaised",
      evidence: { forgetting: 0.9, budget: 0.1, shareBefore: 0.5, share: 1 },
      diagnosis:
        "forgetting 90.0 points, beyond the budget of 10.0 after raising it at step 10: replayed rows per new row 0.50 → 1.0",
      action: "replay raised",
      repaired: true,
    },
    {
      step: 130,
      kind: "remedyExhausted",
      evidence: { forgetting: 0.5, budget: 0.1, share: 1 },
      diagnosis: "forgetting 50.0 points, beyond the budget of 10.0 with replay at its ceiling 1",
      action: "none left within the budget",
      repaired: false,
    },
  ]);
  assert.equal(s.pending, null);
});

test("a raise verified within the budget, and within the budget plus its noise margin", () => {
  const replay = atRest();
  const { events, emit } = recorder();
  knobControl(replayKnob(1), replay, memory(1, 0.15), 1, 0.1, emit); // 0 → ¼, as above
  // Probe 5, settled: 8 points ≤ 10, no margin.
  knobControl(replayKnob(1), replay, memory(5, 0.08), 5, 0.1, emit);
  assert.deepEqual(events[1], {
    step: 5,
    kind: "remedyVerified",
    evidence: { forgetting: 0.08, budget: 0.1, share: 0.25, appliedAt: 1 },
    diagnosis: "replay at 0.25 rows per new row holds the forgetting budget: 8.0 points ≤ 10.0",
    action: "replay share kept",
    repaired: true,
  });
  const ace = atRest();
  const more = recorder();
  // 30 points > 10 + 2: on. Then 11 points: beyond the budget, but not beyond 10 + 2 (the margin).
  knobControl(aceKnob, ace, memory(1, 0.3, 0.02), 7, 0.1, more.emit);
  knobControl(aceKnob, ace, memory(5, 0.11, 0.02), 11, 0.1, more.emit);
  assert.deepEqual(more.events, [
    {
      step: 7,
      kind: "replayRaised",
      evidence: { forgetting: 0.3, budget: 0.1, asymmetricBefore: 0, asymmetric: 1 },
      diagnosis:
        "forgetting 30.0 points, beyond the budget of 10.0: replay's loss plain → asymmetric (ER-ACE, Caccia et al. 2022)",
      action: "replay raised",
      repaired: true,
    },
    {
      step: 11,
      kind: "remedyVerified",
      evidence: { forgetting: 0.11, budget: 0.1, asymmetric: 1, appliedAt: 7 },
      diagnosis:
        "replay with ER-ACE's asymmetric loss holds the forgetting budget: 11.0 points ≤ 10.0 + 2.0 (noise margin)",
      action: "replay asymmetric kept",
      repaired: true,
    },
  ]);
});

test("lowered after ROOM_PROBES below half the budget: not at exactly half, never from 0", () => {
  // Budget ¼, half of it ⅛: both exact in binary, so the tie at half is a true tie.
  const run = (s: KnobState, forgetting: number, probes: number) => {
    const { events, emit } = recorder();
    for (let p = 1; p <= probes; p++) knobControl(replayKnob(1), s, memory(p, forgetting), p, 0.25, emit);
    return events;
  };
  const below = run({ value: 0.5, changedAt: 0, pending: null }, 0.12, ROOM_PROBES);
  // Probes 1–8 at 12 points < 12.5: lowered at probe 8 (8 − 0 ≥ ROOM_PROBES), ½ → ¼, and not before.
  assert.deepEqual(below, [
    {
      step: 8,
      kind: "replayLowered",
      evidence: { forgetting: 0.12, budget: 0.25, shareBefore: 0.5, share: 0.25 },
      diagnosis:
        "the budget held with room over 8 probes (forgetting at most 12.0 points < half the budget): memory gives back steps to new data: replayed rows per new row 0.50 → 0.25",
      action: "replay lowered",
      repaired: true,
    },
  ]);
  assert.deepEqual(run({ value: 0.5, changedAt: 0, pending: null }, 0.125, ROOM_PROBES), [], "at half: kept");
  assert.deepEqual(
    run({ value: 0, changedAt: 0, pending: null }, 0, 2 * ROOM_PROBES),
    [],
    "0: nothing to lower",
  );
});

test("a set to the value it had reads as a lowering", () => {
  // The level knob at its floor 1, room for 8 probes: down(1) = 1, so 1 → 1, not a raise.
  const s: KnobState = { value: 1, changedAt: 0, pending: null };
  const { events, emit } = recorder();
  for (let p = 1; p <= ROOM_PROBES; p++) knobControl(levelKnob, s, memory(p, 0), p, 0.1, emit);
  assert.deepEqual(events, [
    {
      step: 8,
      kind: "levelLowered",
      evidence: { forgetting: 0, budget: 0.1, levelBefore: 1, level: 1 },
      diagnosis:
        "the budget held with room over 8 probes (forgetting at most 0.0 points < half the budget): memory gives back steps to new data: level 1.0 → 1.0",
      action: "level lowered",
      repaired: true,
    },
  ]);
});

test("raisedValue stops at the ceiling even when the knob's own step would pass it", () => {
  // 8× the budget (2 / ¼, exact): ⌊log2 8⌋ = 3 steps, but 1 → 2 → 3 is the ceiling.
  assert.equal(raisedValue(levelKnob, 1, 2, 0.25), 3);
  assert.equal(raisedValue(levelKnob, 3, 2, 0.25), 3, "at the ceiling: no step");
  // A first step beyond a low ceiling: replay's ¼ row against `maxReplay` 0.1, consolidation's first
  // strength 1 against a ceiling of 0.5. Both stop at the ceiling.
  assert.equal(raisedValue(replayKnob(0.1), 0, 0.4, 0.1), 0.1);
  assert.equal(raisedValue(consolidationKnob(1, 0.5), 0, 0.4, 0.1), 0.5);
});

test("a chain raised knob by knob; only the last one, at its ceiling, says the remedy is exhausted", () => {
  const [replay, ace, strength] = [atRest(), atRest(), atRest()];
  const chain = [
    [replayKnob(0.5), replay],
    [aceKnob, ace],
    [consolidationKnob(1, 4), strength],
  ] as const;
  const { events, emit } = recorder();
  // 4× the budget throughout. Probe 1: all at rest, the walk ends at the first knob: 2 steps, 0 → ¼ → ½
  // (its ceiling). Probe 5: settled, still beyond, at its ceiling and not the last: the asymmetric loss's
  // turn in the same probe, 0 → 1. Probe 9: likewise, consolidation 0 → 1 → 4 (2 steps, its ceiling).
  // Probe 13: the last knob at its ceiling with its raise pending: exhausted. Probe 14: nothing pending,
  // at the ceiling: true, and the walk ends there (no knob after the last).
  for (let p = 1; p <= 14; p++) chainControl(chain, memory(p, 0.4), p, 0.1, emit);
  assert.deepEqual(
    events.map((e) => [e.step, e.kind, e.evidence, e.action]),
    [
      [1, "replayRaised", { forgetting: 0.4, budget: 0.1, shareBefore: 0, share: 0.5 }, "replay raised"],
      [
        5,
        "replayRaised",
        { forgetting: 0.4, budget: 0.1, asymmetricBefore: 0, asymmetric: 1 },
        "replay raised",
      ],
      [
        9,
        "consolidationRaised",
        { forgetting: 0.4, budget: 0.1, strengthBefore: 0, strength: 4 },
        "consolidation raised",
      ],
      [13, "remedyExhausted", { forgetting: 0.4, budget: 0.1, strength: 4 }, "none left within the budget"],
    ],
  );
  assert.equal(
    events[3].diagnosis,
    "forgetting 40.0 points, beyond the budget of 10.0 with consolidation at its ceiling 4",
  );
  assert.deepEqual(
    chain.map(([, s]) => [s.value, s.pending, s.changedAt]),
    [
      [0.5, null, 9],
      [1, null, 9],
      [4, null, 9],
    ],
    "every clock restarted at the last change (probe 9)",
  );
});

test("a chain lowered in reverse order, one knob per ROOM_PROBES", () => {
  const chain = [
    [replayKnob(0.5), { value: 0.5, changedAt: 0, pending: null }],
    [aceKnob, { value: 1, changedAt: 0, pending: null }],
    [consolidationKnob(1, 4), { value: 4, changedAt: 0, pending: null }],
  ] as const;
  const { events, emit } = recorder();
  // 1 point throughout: the last knob moved first, 4 → 1 (probe 8) → 0 (¼ < 1, probe 16); then the one
  // before it, 1 → 0 (probe 24); then the first, ½ → ¼ (probe 32): each change restarts every clock.
  for (let p = 1; p <= 4 * ROOM_PROBES; p++) chainControl(chain, memory(p, 0.01), p, 0.1, emit);
  assert.deepEqual(
    events.map((e) => [e.step, e.kind, e.evidence]),
    [
      [8, "consolidationLowered", { forgetting: 0.01, budget: 0.1, strengthBefore: 4, strength: 1 }],
      [16, "consolidationLowered", { forgetting: 0.01, budget: 0.1, strengthBefore: 1, strength: 0 }],
      [24, "replayLowered", { forgetting: 0.01, budget: 0.1, asymmetricBefore: 1, asymmetric: 0 }],
      [32, "replayLowered", { forgetting: 0.01, budget: 0.1, shareBefore: 0.5, share: 0.25 }],
    ],
  );
  assert.match(events[2].diagnosis, /: replay's loss asymmetric \(ER-ACE, Caccia et al\. 2022\) → plain$/);
});

test("the walk follows a knob at 0 while its raise awaits a verdict", () => {
  // A hand-made state (a checkpoint may hold one): the asymmetric loss at 0 with a raise from step 3
  // pending. At probe 8 the replay share could be lowered (8 probes of room), but the walk stops at the
  // pending knob, settled (8 − 4 ≥ 4) and within the budget: verified, at 0, plain.
  const replay: KnobState = { value: 0.5, changedAt: 0, pending: null };
  const ace: KnobState = { value: 0, changedAt: 4, pending: { step: 3, forgetting: 0.4 } };
  const { events, emit } = recorder();
  chainControl(
    [
      [replayKnob(1), replay],
      [aceKnob, ace],
    ],
    memory(8, 0.01),
    8,
    0.1,
    emit,
  );
  assert.deepEqual(events, [
    {
      step: 8,
      kind: "remedyVerified",
      evidence: { forgetting: 0.01, budget: 0.1, asymmetric: 0, appliedAt: 3 },
      diagnosis: "plain replay holds the forgetting budget: 1.0 points ≤ 10.0",
      action: "replay asymmetric kept",
      repaired: true,
    },
  ]);
  assert.equal(replay.value, 0.5);
});

test("a probe without room restarts the calm stretch; once calm for ROOM_PROBES in a row the knob is lowered", () => {
  // Budget 0.1, half 0.05. A share of ½ changed at probe 0; probe 1 reads 0.06 (no room), probes 2–9 read
  // 0.01. The stretch counts from probe 1: 9 − 1 = 8 = ROOM_PROBES at probe 9, lowered ½ → ¼ then. (Before,
  // the most forgetting since the change, 0.06, kept the knob up until its next change.)
  const k = replayKnob(1);
  const s: KnobState = { value: 0.5, changedAt: 0, pending: null };
  const { events, emit } = recorder();
  const reads = [0.06, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01];
  reads.forEach((x, i) => knobControl(k, s, memory(i + 1, x), 10 * (i + 1), 0.1, emit));
  assert.equal(ROOM_PROBES, 8);
  assert.deepEqual(events, [
    {
      step: 90,
      kind: "replayLowered",
      evidence: { forgetting: 0.01, budget: 0.1, shareBefore: 0.5, share: 0.25 },
      diagnosis:
        "the budget held with room over 8 probes (forgetting at most 1.0 points < half the budget): memory gives back steps to new data: replayed rows per new row 0.50 → 0.25",
      action: "replay lowered",
      repaired: true,
    },
  ]);
  // A reading at half the budget again, then 7 calm probes: not yet.
  const t: KnobState = { value: 0.5, changedAt: 0, pending: null };
  const quiet = recorder();
  [0.01, 0.01, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01].forEach((x, i) =>
    knobControl(k, t, memory(i + 1, x), 10 * (i + 1), 0.1, quiet.emit),
  );
  assert.deepEqual(quiet.events, []);
  assert.equal(t.calmFrom, 3);
});
