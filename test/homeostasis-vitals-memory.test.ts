// The memory knobs of the vitals loop against hand-computed values: a knob raised beyond the budget,
// verified once settled, raised again up to its ceiling (then the next knob's turn), lowered when the
// budget holds with room; consolidation's running importance, its anchor scaled to mean 1, and its penalty.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HealthEvent } from "../src/health/findings.js";
import type { ForgettingMemory } from "../src/health/vitals.js";
import {
  accumulateImportance,
  anchorHere,
  consolidationKnob,
  consolidationTerm,
  freshConsolidation,
} from "../src/homeostasis/vital-consolidation.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import { knobControl, SETTLE_PROBES } from "../src/homeostasis/vital-replay.js";
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

test("a knob beyond the budget: raised, raised again when it did not hold, verified, at the ceiling the next one's turn", () => {
  const k = consolidationKnob(1, 4);
  const s = freshConsolidation();
  const events: HealthEvent[] = [];
  const emit = (e: HealthEvent) => void events.push(e);
  // Probes 1–17 (budget 0.1): beyond it until probe 8, within it at 9–12, beyond again from 13.
  const forgetting = [
    0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.04, 0.04, 0.04, 0.04, 0.3, 0.3, 0.3, 0.3, 0.3,
  ];
  const full = forgetting.map((f, i) => knobControl(k, s, probe(i + 1, f), 10 * (i + 1), 0.1, emit));
  assert.deepEqual(
    events.map((e) => [e.step, e.kind, e.evidence.strength]),
    [
      [10, "consolidationRaised", 1], // probe 1: settled since the fresh state (probe −4)
      [50, "consolidationRaised", 4], // 4 probes later, still beyond: up to the ceiling
      [90, "remedyVerified", 4], // 4 more: 4 points ≤ 10
      [100, "consolidationLowered", 1], // 4 < half the budget, settled since probe 5: lowered
      [140, "consolidationRaised", 4], // beyond again at 13, settled at 14 (4 probes after 10): raised
    ],
  );
  assert.equal(full.indexOf(true), -1, "never at the ceiling with the budget exceeded and nothing pending");
  assert.equal(
    events[0].diagnosis,
    "forgetting 30.0 points, beyond the budget of 10.0: consolidation strength (online EWC) 0.0 → 1.0",
  );
  const t = freshConsolidation();
  t.value = 4;
  assert.equal(
    knobControl(k, t, probe(SETTLE_PROBES, 0.3), 1, 0.1, emit),
    true,
    "at its ceiling, beyond the budget",
  );
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
