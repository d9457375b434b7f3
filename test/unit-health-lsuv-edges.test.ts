/**
 * The repairs' edges, by hand: LSUV's tolerance band is open (a spread of exactly 2 or exactly 1/2 is
 * left alone, as is a layer whose pre-activations do not vary at all), it measures in eval mode (dropout
 * off), and it rescales a layer without a bias; a snapshot taken after the model's parameters changed
 * shape copies the new shapes rather than writing into the old arrays.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { lsuv, noSnapshots, takeSnapshot } from "../src/health/repairs.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { TrainingControl } from "../src/train/events.js";
import { rows, setDense } from "./helpers/control.js";

/** One linear unit over one input: its pre-activations are w·x + b on the rows given. */
function oneUnit(w: number, b: number, useBias = true): Sequential {
  const model = new Sequential([new Dense(1, { useBias })]).build(1, new Rng(1));
  const layer = model.layers[0] as Dense;
  layer.weight.data[0] = w;
  if (useBias) layer.bias!.data[0] = b;
  return model;
}

test("LSUV leaves a spread of exactly 2 or 1/2 (tolerance 2) and rescales just outside", () => {
  // Rows −1 and 1: pre-activations ±w, whose population spread is |w| exactly.
  const x = rows([[-1], [1]]);
  for (const w of [2, 0.5]) assert.deepEqual(lsuv(oneUnit(w, 0), x, 2), [], `spread ${w}`);
  for (const w of [2.5, 0.25]) {
    const model = oneUnit(w, 0.5);
    assert.deepEqual(lsuv(model, x, 2), [{ layer: "0", factor: 1 / w, preActivationStd: w }]);
    const layer = model.layers[0] as Dense;
    assert.equal(layer.weight.data[0], Math.fround(Math.fround(w) * (1 / w)));
    assert.equal(layer.bias!.data[0], Math.fround(0.5 * (1 / w)), "the bias scaled alike");
  }
});

test("LSUV leaves a layer whose pre-activations are all equal (no spread to divide by)", () => {
  const model = oneUnit(0, 3);
  assert.deepEqual(lsuv(model, rows([[-1], [1], [4]]), 2), []);
  assert.equal((model.layers[0] as Dense).bias!.data[0], 3);
});

test("LSUV rescales a layer without a bias", () => {
  const model = oneUnit(8, 0, false);
  assert.deepEqual(lsuv(model, rows([[-1], [1]]), 2), [{ layer: "0", factor: 1 / 8, preActivationStd: 8 }]);
  assert.equal((model.layers[0] as Dense).weight.data[0], 1);
});

test("LSUV measures with dropout off", () => {
  // Inputs ±1 through a unit of weight 1, dropout 0.5, then a unit of weight 4: in eval mode the second
  // layer's pre-activations are ±4 (spread 4, factor 1/4); dropout on would zero or double them.
  const model = new Sequential([new Dense(1), new Dropout(0.5), new Dense(1)]).build(1, new Rng(1));
  const [first, , second] = model.layers as Dense[];
  setDense(first, [[1]], [0]);
  setDense(second, [[4]], [0]);
  const x = rows([[-1], [1], [-1], [1]]);
  assert.deepEqual(lsuv(model, x, 2), [{ layer: "2", factor: 0.25, preActivationStd: 4 }]);
});

test("a snapshot after the parameters changed shape copies the new shapes", () => {
  const model = new Sequential([new Dense(2)]).build(3, new Rng(1));
  const loop = { step: 0, model, parameters: model.parameters(), getOptimizerState: () => ({}) };
  const control = loop as unknown as TrainingControl;
  const s = noSnapshots();
  takeSnapshot(s, control); // older
  loop.step = 1;
  takeSnapshot(s, control); // newer
  // A grown model: its parameters now have other lengths (a fourth input, a third unit).
  const grown = new Sequential([new Dense(3)]).build(4, new Rng(2));
  Object.assign(loop, { step: 2, model: grown, parameters: grown.parameters() });
  takeSnapshot(s, control); // recycles the older snapshot's arrays where their lengths still fit
  assert.equal(s.newer?.step, 2);
  assert.deepEqual(
    s.newer?.weights.map((w) => [...w]),
    grown.parameters().map(([, t]) => [...t.data]),
  );
  assert.equal(s.older?.step, 1);
  assert.deepEqual(
    s.older?.weights.map((w) => w.length),
    [6, 2],
  );
});
