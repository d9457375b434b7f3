/**
 * What one check measures in each layer (takePicture's layer statistics), against sums written out by
 * hand in float64, in the order the monitor adds them: the activity of a hidden ReLU layer and of a
 * tanh layer without bias, ‖W‖ and the update ratio from the step's starting weights, a layer whose
 * gradient is missing, the weight change between checks (and its fresh start when a layer changes
 * size), the stable rank when a detector asks for it, and the median of the earlier gradient norms.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THRESHOLDS as T } from "../src/health/findings.js";
import {
  freshLayerState,
  monitoredLayers,
  type PictureMeasures,
  takePicture,
} from "../src/health/observer.js";
import { freshState } from "../src/health/state.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { BatchEvent, LayerActivation } from "../src/train/events.js";
import { batchEvent, rows, testControl } from "./helpers/control.js";
import { fourLanes } from "./helpers/four-lanes.js";

const PLAIN: PictureMeasures = { stableRank: false, change: [], weights: true };

/** A ReLU hidden layer (2 → 3), a tanh hidden layer without bias (3 → 3), a linear output (3 → 2). */
function setup() {
  const model = new Sequential([
    new Dense(3, { activation: "relu" }),
    new Dense(3, { activation: "tanh", useBias: false }),
    new Dense(2),
  ]).build(2, new Rng(1));
  const control = testControl(model);
  const layers = monitoredLayers(control);
  const s = freshState(0);
  s.layers = layers.map((l) => freshLayerState(l, true));
  return { control, layers, s, model };
}

/** Σ a² in float64, in the four lanes every sum of squares of a check takes. */
const squares = (a: ArrayLike<number>) => fourLanes(Array.from(a, (v) => v * v));

test("a hidden ReLU layer's and a tanh layer's activity on the check's rows", () => {
  const { control, layers, s } = setup();
  const e = batchEvent(20, {
    control,
    x: [
      [1, 2],
      [3, 4],
    ],
  });
  const act = (output: number[][], pre: number[][]): LayerActivation => ({
    output: rows(output),
    preActivation: rows(pre),
  });
  const pre0 = [
    [1, -1, 2],
    [3, -2, -4],
  ];
  (e.activations as Map<string, LayerActivation>).set(
    "0",
    act(
      [
        [1, 0, 2],
        [3, 0, 0],
      ],
      pre0,
    ),
  );
  (e.activations as Map<string, LayerActivation>).set(
    "1",
    act(
      [
        [0.5, -0.5, 0.25],
        [0.25, 0.5, -0.75],
      ],
      [
        [1, -1, 0.5],
        [0.5, 1, -2],
      ],
    ),
  );
  const { picture } = takePicture(s, e, control, layers, [], T, PLAIN);
  const [relu, tanh] = picture!.layers;
  // Unit means 2, 0, 1: their mean is 1; unit 1 never fired.
  assert.equal(relu.activationMean, 1);
  assert.equal(relu.inactiveFraction, 1 / 3);
  const z = pre0.flat();
  const m = z.reduce((a, v) => a + v, 0) / z.length;
  assert.equal(relu.preActivationStd, Math.sqrt(z.reduce((a, v) => a + (v - m) ** 2, 0) / z.length));
  assert.ok(Number.isNaN(relu.deadFraction), "no dead-unit window has closed yet");
  // Unit means 0.375, 0, −0.25: their mean 0.125/3; a tanh layer has no dead or inactive units.
  assert.equal(tanh.activationMean, (0.375 + 0 + -0.25) / 3);
  assert.ok(Number.isNaN(tanh.inactiveFraction) && Number.isNaN(tanh.deadFraction));
  assert.equal(tanh.saturatedFraction, 0);
  // The output layer is not hidden: no activity measured.
  assert.ok(Number.isNaN(picture!.layers[2].activationMean));
});

test("‖W‖, the update ratio from the step's starting weights, and a gradient that is missing", () => {
  const { control, layers, s } = setup();
  const w = control.parameters.map(([, t]) => t.data as Float32Array);
  const before = [w[0].slice(), w[2].slice(), w[3].slice()]; // 0.weight, 1.weight (no bias), 2.weight
  w[0][0] += 0.5;
  w[0][5] -= 0.25;
  const e = batchEvent(20, { control, grads: { "0.weight": [3, 4, 0, 0, 0, 0], "0.bias": [12, 0, 0] } });
  (e.grads as Map<string, Float32Array>).delete("2.weight"); // a parameter no gradient reached
  const { picture } = takePicture(s, e, control, layers, before, T, PLAIN);
  const [first, second, out] = picture!.layers;
  assert.equal(first.weightNorm, Math.sqrt(squares(w[0])));
  let moved = 0;
  w[0].forEach((v, i) => {
    moved += (v - before[0][i]) ** 2;
  });
  assert.equal(first.updateRatio, Math.sqrt(moved) / Math.sqrt(squares(before[0])));
  assert.equal(first.gradNorm, 13, "‖(3, 4)‖ with the bias's 12");
  assert.equal(second.updateRatio, 0);
  assert.equal(second.gradNorm, 0, "a layer without bias: its weight alone");
  assert.equal(out.gradNorm, 0, "no gradient: 0");
  assert.equal(out.weightNorm, Math.sqrt(squares(w[3])));
  assert.equal(out.updateRatio, 0);
});

test("the weight change between checks, with and without the step's starting weights", () => {
  const { control, layers, s } = setup();
  const w = control.parameters[0][1].data as Float32Array;
  const change: PictureMeasures = { stableRank: false, change: [true, false, false], weights: false };
  const first = takePicture(s, batchEvent(20, { control }), control, layers, [], T, change).picture!
    .layers[0];
  assert.ok(Number.isNaN(first.weightChange!), "nothing to compare with at the first check");
  assert.equal(first.weightNorm, Math.sqrt(squares(w)));
  assert.ok(Number.isNaN(first.updateRatio));
  const then = w.slice();
  // Six weights: four in the loop's one turn, two in its tail (lanes 0 and 1).
  w[2] += 1;
  w[5] += 0.5;
  const second = takePicture(s, batchEvent(40, { control }), control, layers, [then], T, change).picture!
    .layers[0];
  const moved = Math.sqrt(fourLanes(Array.from(w, (v, i) => (v - then[i]) ** 2)));
  assert.ok(w[5] !== then[5] && w[2] !== then[2], "one weight moved in the loop's turn, one in its tail");
  assert.equal(second.weightChange, moved / Math.sqrt(squares(then)));
  assert.equal(
    second.weightNorm,
    Math.sqrt(squares(w)),
    "the weight change's pass sums ‖W‖ too, tail included",
  );
  assert.equal(
    second.updateRatio,
    moved / Math.sqrt(squares(then)),
    "the step's starting weights give the ratio",
  );
  // No starting weights: ‖W‖ is the weight change's own sum, and ‖W′‖² the one the last check's pass kept.
  const kept = w.slice();
  w[1] -= 0.25;
  const third = takePicture(s, batchEvent(60, { control }), control, layers, [], T, change).picture!
    .layers[0];
  assert.equal(third.weightNorm, Math.sqrt(squares(w)));
  const since = Math.sqrt(fourLanes(Array.from(w, (v, i) => (v - kept[i]) ** 2)));
  assert.equal(third.weightChange, since / Math.sqrt(squares(kept)));
  // The layer grows a unit: its change starts afresh.
  const grown = new Tensor(
    Float32Array.from({ length: 8 }, (_, i) => i + 1),
    [4, 2],
  );
  (control.parameters as [string, Tensor][])[0] = ["0.weight", grown];
  const fourth = takePicture(s, batchEvent(80, { control }), control, layers, [], T, change).picture!
    .layers[0];
  assert.ok(Number.isNaN(fourth.weightChange!));
  assert.equal(fourth.weightNorm, Math.sqrt(204));
});

test("the stable rank is measured when a detector asks for it; the median leaves out the latest norm", () => {
  const { control, layers, s } = setup();
  const withRank: PictureMeasures = { stableRank: true, change: [], weights: true };
  const e = (step: number, g: number): BatchEvent => {
    const ev = batchEvent(step, { control, grads: { "0.weight": [g, 0, 0, 0, 0, 0] } });
    (ev.activations as Map<string, LayerActivation>).set("0", {
      output: rows([
        [1, 0, 2],
        [3, 1, 0],
        [0, 2, 1],
      ]),
      preActivation: null,
    });
    return ev;
  };
  const norms = [5, 10, 15, 1000];
  const pictures = norms.map(
    (g, i) => takePicture(s, e(20 * (i + 1), g), control, layers, [], T, withRank).picture!,
  );
  assert.ok(pictures[0].layers[0].stableRank! >= 1, "measured at the first check");
  assert.ok(Number.isNaN(pictures[1].layers[0].stableRank!), "not at the second: every 10th check");
  assert.equal(pictures[3].gradNormMedian, 10, "the median of 5, 10 and 15");
});
