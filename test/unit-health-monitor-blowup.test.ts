/**
 * A blown-up loss is repaired by the detector that reports its kind, and is fatal once those repairs
 * are spent, whichever detectors the monitor was given: a run whose list leaves out nonFiniteWeights
 * still ends on the third NaN loss (repair budget 1 per kind) instead of training on NaN weights.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor } from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { batchEvent, testControl } from "./helpers/control.js";

test("a NaN loss: rolled back and cut once, then the run fails, with or without nonFiniteWeights listed", () => {
  for (const detectors of [undefined, ["divergence"]]) {
    const model = new Sequential([new Dense(2, { activation: "relu" }), new Dense(1)]).build(2, new Rng(1));
    const control = testControl(model);
    const monitor = healthMonitor({ repair: true, maxRepairsPerKind: 1, detectors, seed: 1 });
    monitor.onTrainBegin!(control);
    const nan = (step: number) => batchEvent(step, { loss: NaN, control, x: [[1, 2]], y: [[1]] });
    monitor.onBatchEnd!(nan(1), control);
    const what = `detectors ${detectors ?? "default"}`;
    assert.equal(control.failed, null, what);
    assert.deepEqual(
      monitor.events.map((e) => [e.kind, e.repaired]),
      [
        ["nonFinite", true],
        ["rollback", true],
        ["learningRateCut", true],
      ],
      what,
    );
    assert.equal(control.learningRateScale, 0.1, what);
    monitor.onBatchEnd!(nan(2), control);
    assert.match(control.failed ?? "", /^training failed beyond repair: the loss became NaN at step 2/, what);
    assert.match(control.failed ?? "", /\(1 nonFinite repairs did not hold\)$/, what);
  }
});
