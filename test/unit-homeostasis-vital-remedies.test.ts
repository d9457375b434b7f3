// The vitals loop's remedies and knobs as plain values, by hand: what each remedy switches on, a verdict
// at its ties, the signals in words and as evidence, which events count as repairs, L2-Init's anchor, and
// the replay knobs' steps down and words.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PlasticityReading, PlasticitySignals } from "../src/health/vital-rules.js";
import {
  activationsOn,
  anchorFor,
  describeSignals,
  loopEvent,
  PLASTICITY_REMEDIES,
  remedyHelped,
  signalEvidence,
} from "../src/homeostasis/vital-remedies.js";
import { moreReplayKnob, replayKnob } from "../src/homeostasis/vital-replay.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";

const signals = (loss: number, dormant: number, effectiveRank: number): PlasticitySignals => ({
  loss,
  dormant,
  effectiveRank,
  stableRank: Number.NaN,
  weightChange: Number.NaN,
});

test("each remedy switches on its regulators", () => {
  assert.deepEqual(
    PLASTICITY_REMEDIES.map((r) => [r.name, r.make().map((g) => g.name), r.recycles ?? false]),
    [
      ["intrinsicPlasticity + l2Init", ["intrinsicPlasticity", "l2Init"], false],
      ["redo", ["redo"], true],
      ["continualBackprop", ["continualBackprop"], true],
    ],
  );
});

test("a verdict at its ties: the loss level and units or rank only as good as before is no recovery", () => {
  const holds = (now: PlasticitySignals) => ({ now, holds: true }) as PlasticityReading;
  const before = signals(1, 0.5, 2);
  assert.equal(remedyHelped(before, holds(signals(1, 0.5, 2)), 0.05), false, "nothing better");
  assert.equal(remedyHelped(before, holds(signals(1, 0.4, 2)), 0.05), true, "fewer dormant units");
  assert.equal(remedyHelped(before, holds(signals(1, 0.5, 2.1)), 0.05), true, "a higher rank");
  assert.equal(remedyHelped(before, holds(signals(1.01, 0.4, 3)), 0.05), false, "the loss rose");
});

test("signals in words and as evidence", () => {
  assert.equal(
    describeSignals(signals(0.6691, 0.1649, 11.44)),
    "online loss 0.669, dormant 16%, effective rank 11.4",
  );
  assert.equal(
    describeSignals(signals(2, 1, Number.NaN)),
    "online loss 2.00, dormant 100%, effective rank –",
  );
  assert.deepEqual(signalEvidence("after", signals(1, 0.25, 3)), {
    afterLoss: 1,
    afterDormant: 0.25,
    afterRank: 3,
  });
});

test("every loop event is a repair but the exhausted one", () => {
  const kinds = ["remedyApplied", "remedyVerified", "remedyRolledBack", "remedyExhausted"];
  assert.deepEqual(
    kinds.map((k) => loopEvent(5, k, { a: 1 }, "d", "a").repaired),
    [true, true, true, false],
  );
  assert.deepEqual(loopEvent(5, "remedyApplied", { a: 1 }, "said", "done"), {
    step: 5,
    kind: "remedyApplied",
    evidence: { a: 1 },
    diagnosis: "said",
    action: "done",
    repaired: true,
  });
});

test("L2-Init's anchor: a copy of the first weights, or of the current ones where a parameter has grown", () => {
  const first = new Float32Array([1, 2]);
  const now = new Tensor(new Float32Array([5, 6]), [2]);
  const grown = new Tensor(new Float32Array([7, 8, 9]), [3]);
  const c = {
    parameters: [["w", now] as const, ["head", grown] as const, ["new", now] as const],
  } as unknown as TrainingControl;
  const anchor = anchorFor({ w: first, head: new Float32Array([1, 1]) }, c);
  assert.deepEqual(
    Object.entries(anchor).map(([n, a]) => [n, [...a]]),
    [
      ["w", [1, 2]],
      ["head", [7, 8, 9]],
      ["new", [5, 6]],
    ],
  );
  assert.notEqual(anchor.w, first, "a copy: L2-Init never writes the loop's first weights");
  assert.notEqual(anchor.head, grown.data, "a copy of the current weights");
});

test("the probe's activations are read in inference mode", () => {
  const model = new Sequential([new Dropout(0.9), new Dense(2, { activation: "relu" })]).build(1, new Rng(0));
  const x = new Tensor(new Float32Array([1, 2, 3]), [3, 1]);
  const acts = activationsOn({ model } as unknown as TrainingControl, { x, y: x });
  const out = [...acts.values()].at(-1)!.output.data;
  assert.deepEqual([...out], [...model.forward(x, { training: false }).data]);
});

test("the replay knobs: steps down, the floor below ¹⁄₁₆, their keys and words", () => {
  const k = replayKnob(1);
  assert.deepEqual([k.down(1), k.down(0.25), k.down(0.125), k.down(0.12)], [0.5, 0.125, 0.0625, 0]);
  assert.deepEqual(
    [k.key, k.stem, k.unit, k.at(0.25)],
    ["share", "replay", "replayed rows per new row", "replay at 0.25 rows per new row"],
  );
  const more = moreReplayKnob(4);
  assert.deepEqual([more.up(0), more.up(2), more.up(4), more.down(4), more.down(2)], [2, 4, 4, 2, 0]);
  assert.deepEqual(
    [more.key, more.stem, more.unit, more.at(0), more.at(4), more.show!(0)],
    [
      "moreShare",
      "replay",
      "replayed rows per new row",
      "replay at 1.0 rows per new row",
      "replay at 4.0 rows per new row",
      "1.0",
    ],
  );
});
