import assert from "node:assert/strict";
import { test } from "node:test";
import type { PlasticityReading, PlasticitySignals } from "../src/health/vital-rules.js";
import { nextRemedy, PLASTICITY_REMEDIES, remedyHelped } from "../src/homeostasis/vital-remedies.js";

const signals = (loss: number, dormant: number, effectiveRank: number): PlasticitySignals => ({
  loss,
  dormant,
  effectiveRank,
  stableRank: NaN,
  weightChange: NaN,
});
const reading = (now: PlasticitySignals, holds: boolean) => ({ now, holds }) as PlasticityReading;

test("a remedy helped: the rule stopped holding without the loss rising, or the loss fell with units or rank better", () => {
  // Events of docs/vital-loop.md, before → after the window (online loss, dormant, effective rank).
  const cases: [string, PlasticitySignals, PlasticitySignals, boolean, boolean][] = [
    [
      "protocol seed 1: loss down, rule gone",
      signals(0.669, 0.16, 11.4),
      signals(0.631, 0.13, 11.2),
      false,
      true,
    ],
    [
      "bit flip seed 1, ReDo: loss level, rank up",
      signals(3.66, 0.65, 1.24),
      signals(3.66, 0.65, 1.37),
      true,
      true,
    ],
    [
      "bit flip seed 3, IP + L2-Init: rule gone, loss doubled",
      signals(1.55, 0.47, 2.34),
      signals(3.12, 0.4, 2.75),
      false,
      false,
    ],
    [
      "bit flip seed 1, IP + L2-Init: loss down, units and rank worse",
      signals(3.83, 0.46, 1.88),
      signals(3.66, 0.65, 1.24),
      true,
      false,
    ],
    ["rule gone, loss up by the margin exactly", signals(1, 0.5, 2), signals(1.05, 0.4, 2), false, true],
    ["rule gone, loss up beyond the margin", signals(1, 0.5, 2), signals(1.06, 0.4, 2), false, false],
  ];
  for (const [name, before, after, holds, helped] of cases)
    assert.equal(remedyHelped(before, reading(after, holds), 0.05), helped, name);
});

test("the next remedy: the list's order, but one that recycles units first when most units are dormant", () => {
  const names = (tried: number[], most: boolean) => {
    const k = nextRemedy(PLASTICITY_REMEDIES, tried, most);
    return k < 0 ? null : PLASTICITY_REMEDIES[k].name;
  };
  assert.equal(names([], false), "intrinsicPlasticity + l2Init");
  assert.equal(names([], true), "redo");
  assert.equal(names([1], true), "continualBackprop");
  assert.equal(names([1, 2], true), "intrinsicPlasticity + l2Init", "none that recycles is left");
  assert.equal(names([0], false), "redo");
  assert.equal(names([1, 2, 0], true), null);
  // A list without the mark keeps its order.
  const plain = PLASTICITY_REMEDIES.map(({ name, make }) => ({ name, make }));
  assert.equal(nextRemedy(plain, [], true), 0);
});
