/**
 * NaN that came in with the data: when only some input columns' weights of the first layer turn NaN
 * while the loss stays finite, the monitor names those columns and fails the run (no rollback cleans
 * data); NaN in every column, or in a later layer, is the ordinary non-finite repair. Driven directly
 * on an n → 4 → 2 network whose first-layer weights the test poisons column by column.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor } from "../src/health/index.js";
import { nonFiniteColumns } from "../src/health/repairs.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { batchEvent, testControl } from "./helpers/control.js";

const net = (inputs: number): Sequential =>
  new Sequential([new Dense(4, { activation: "relu" }), new Dense(2)]).build(inputs, new Rng(1));

/** Layer `layer`'s weights fed by input `column` set to NaN (a Dense weight is [units, fanIn]). */
function poison(model: Sequential, layer: number, columns: number[]): void {
  const dense = model.layers[layer] as Dense;
  for (let u = 0; u < dense.units; u++) for (const c of columns) dense.weight.data[u * dense.fanIn + c] = NaN;
}

/** One healthy check, then the poisoned one; the monitor's events and the control's failure. */
function run(inputs: number, layer: number, columns: number[], firstGrad = 1) {
  const control = testControl(net(inputs));
  const monitor = healthMonitor({ repair: true, thresholds: { checkEvery: 1 } });
  monitor.onTrainBegin!(control);
  const x = [Array.from({ length: inputs }, (_, c) => c + 1)];
  const feed = (grads = { "0.weight": [1], "1.weight": [1] }): void => {
    control.step++;
    monitor.onBatchEnd!(
      batchEvent(control.step, { control, outputs: { "0": [[1, 2, 3, 4]] }, grads, x }),
      control,
    );
  };
  feed();
  poison(control.model, layer, columns);
  feed({ "0.weight": [firstGrad], "1.weight": [1] });
  return { events: monitor.events, failed: control.failed };
}

test("nonFiniteColumns lists exactly the inputs whose weights hold NaN or ±∞, in order", () => {
  const model = net(7);
  assert.deepEqual(nonFiniteColumns(model, 0), []);
  poison(model, 0, [5, 2]);
  (model.layers[0] as Dense).weight.data[3 * 7 + 6] = -Infinity; // one weight of column 6 is enough
  assert.deepEqual(nonFiniteColumns(model, 0), [2, 5, 6]);
  assert.deepEqual(nonFiniteColumns(model, 1), [], "the output layer's own inputs are finite");
  assert.throws(() => nonFiniteColumns(model, 5), /^Error: health: layer 5 is not a unit layer$/);
});

test("NaN in some input columns of the first layer: those columns named, the run failed as unrepairable", () => {
  const { events, failed } = run(3, 0, [1]);
  assert.deepEqual(
    events.map((e) => e.kind),
    ["nonFinite", "failed"],
  );
  const [found, fail] = events;
  assert.equal(found.step, 2);
  assert.equal(found.layer, "0");
  assert.equal(found.evidence.columns, 1);
  assert.equal(found.evidence.column, 1);
  assert.equal(found.evidence.weightNorm, -1, "the finding's own evidence is kept");
  assert.equal(
    found.diagnosis,
    "the weights fed by input column(s) 1 turned NaN while the loss stayed finite: those inputs are NaN in some rows (ReLU hid them from the loss)",
  );
  assert.equal(found.action, "fix or impute the NaN cells, or drop their rows");
  assert.equal(found.repaired, undefined);
  assert.equal(
    fail.diagnosis,
    `training failed beyond repair: ${found.diagnosis} (the data must be fixed first)`,
  );
  assert.equal(failed, fail.diagnosis);
});

test("more than five NaN columns: the first five listed, the count and first column in the evidence", () => {
  const { events } = run(8, 0, [6, 1, 2, 3, 4, 5]);
  const [found] = events;
  assert.equal(found.evidence.columns, 6);
  assert.equal(found.evidence.column, 1);
  assert.match(found.diagnosis, /^the weights fed by input column\(s\) 1, 2, 3, 4, 5 turned NaN /);
});

test("NaN in every input column, only in a later layer, or only in gradients: the ordinary repair (rollback, LR cut)", () => {
  for (const [inputs, layer, columns, grad] of [
    [2, 0, [0, 1], 1],
    [3, 1, [2], 1],
    [3, 0, [], NaN],
  ] as const) {
    const { events, failed } = run(inputs, layer, [...columns], grad);
    assert.deepEqual(
      events.map((e) => e.kind),
      ["nonFinite", "rollback", "learningRateCut"],
      `inputs ${inputs}, layer ${layer}`,
    );
    assert.equal(events[0].layer, String(layer));
    assert.equal(events[0].evidence.columns, undefined);
    assert.match(events[0].diagnosis, /^the (weights|gradients) of layer \d hold NaN/);
    assert.equal(failed, null);
  }
});
