/**
 * The training picture a check closes its window into (`takePicture`), by hand over many checks: the
 * loss and accuracy windows keep 64 means (the first one always, the best loss dropped remembered), a
 * window without kept outputs adds no accuracy, the gradient norms keep 64 and the first check's norm
 * for good, chance is 0 where no class was counted, and the dead-unit fraction is given to hidden ReLU
 * layers only.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS as T } from "../src/health/findings.js";
import { countBatch, freshLayerState, monitoredLayers, takePicture } from "../src/health/observer.js";
import { freshState } from "../src/health/state.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { batchEvent, testControl } from "./helpers/control.js";

const MEASURES = { stableRank: false, change: [], weights: true };

/** A tanh hidden layer, a ReLU hidden layer and a ReLU output layer, and a fresh monitor state. */
function setup() {
  const model = new Sequential([
    new Dense(2, { activation: "tanh" }),
    new Dense(2, { activation: "relu" }),
    new Dense(2, { activation: "relu" }),
  ]).build(2, new Rng(1));
  const control = testControl(model);
  const layers = monitoredLayers(control);
  const s = freshState(0);
  s.layers = layers.map((l) => freshLayerState(l, true));
  return { control, layers, s };
}

test("the loss and accuracy windows keep 64 means: the first always, the best loss dropped remembered", () => {
  const { control, layers, s } = setup();
  // Check i's window: one batch of loss 10 + i, or 0.5 at check 3 (later dropped); accuracy i/100 by count.
  const lossAt = (i: number) => (i === 3 ? 0.5 : 10 + i);
  for (let i = 1; i <= 70; i++) {
    const e = batchEvent(i, { control, loss: lossAt(i), x: [[1, 2]], y: [[1, 0]] });
    countBatch(s, e, layers);
    s.correct = i; // what countBatch counts on batches with kept outputs
    s.rows = 100;
    takePicture(s, e, control, layers, [], T, MEASURES);
  }
  assert.equal(s.lossMeans.length, 64);
  assert.deepEqual(s.lossMeans.slice(0, 2), [11, 18]); // the first, then the 8th: checks 2–7 dropped
  assert.equal(s.lossMeans.at(-1), 80);
  assert.equal(s.droppedBestLoss, 0.5);
  assert.equal(s.accuracyMeans.length, 64);
  assert.deepEqual(s.accuracyMeans.slice(0, 2), [0.01, 0.08]);
  assert.equal(s.accuracyMeans.at(-1), 0.7);
});

test("a classification window without kept outputs adds no accuracy; chance is 0 before any class", () => {
  const { control, layers, s } = setup();
  s.classification = true; // decided by an earlier batch
  const e = batchEvent(1, { control, loss: 1 });
  const { picture } = takePicture(s, e, control, layers, [], T, MEASURES);
  assert.deepEqual(s.accuracyMeans, []);
  assert.equal(picture?.chance, 0);
});

test("chance is the most frequent class's share of the rows counted", () => {
  const { control, layers, s } = setup();
  for (const y of [[[1, 0]], [[1, 0]], [[0, 1]], [[1, 0]]])
    countBatch(s, batchEvent(1, { control, y }), layers);
  const { picture } = takePicture(s, batchEvent(4, { control }), control, layers, [], T, MEASURES);
  assert.equal(picture?.chance, 0.75);
});

test("the first check's gradient norm is kept for good; the last 64 for the median", () => {
  const { control, layers, s } = setup();
  const norms: number[] = [];
  for (let i = 1; i <= 66; i++) {
    // ‖∇‖ of the first layer's weight only: 3·i and 4·i make i·5.
    const e = batchEvent(i, { control, grads: { "0.weight": [3 * i, 4 * i, 0, 0] } });
    const { gradNorm, picture } = takePicture(s, e, control, layers, [], T, MEASURES);
    norms.push(gradNorm);
    assert.equal(picture?.firstGradNorm, 5);
  }
  assert.equal(norms[65], 330);
  assert.equal(s.gradNorms.length, 64);
  assert.deepEqual([s.gradNorms[0], s.gradNorms.at(-1)], [15, 330]);
});

test("when the dead-unit window closes only the hidden ReLU layer gets its dead fraction", () => {
  const { control, layers, s } = setup();
  let last: number[] = [];
  for (let i = 1; i <= T.deadWindowChecks; i++) {
    const { picture } = takePicture(s, batchEvent(i, { control }), control, layers, [], T, MEASURES);
    last = picture?.layers.map((l) => l.deadFraction) ?? [];
  }
  assert.equal(s.deadWindowFull, true);
  // No rows read (no activations kept), so no unit is found dead: 0 on the hidden ReLU layer, NaN elsewhere.
  assert.deepEqual(last, [Number.NaN, 0, Number.NaN]);
});
