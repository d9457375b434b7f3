/**
 * The health monitor's rules and LSUV against hand-computed expectations, without a monitor: the
 * detectors' windows on pictures the test writes, and LSUV's resulting spread on a probe batch.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_THRESHOLDS,
  detectNotLearning,
  detectOscillation,
  type TrainingPicture,
} from "../src/health/detectors.js";
import { lsuv } from "../src/health/repairs.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

/** Population standard deviation of each Dense layer's pre-activations on `x`, over all rows and units (float64, two passes). */
function preActivationSpreads(model: Sequential, x: Tensor): number[] {
  const spreads: number[] = [];
  model.forward(x, {
    training: false,
    onActivation: (_name, _out, pre) => {
      if (!pre) return;
      const z = Array.from(pre.data);
      const mean = z.reduce((a, v) => a + v, 0) / z.length;
      spreads.push(Math.sqrt(z.reduce((a, v) => a + (v - mean) ** 2, 0) / z.length));
    },
  });
  return spreads;
}

test("LSUV: afterwards each Dense layer's pre-activation spread on the probe batch is 1 within 1e-5; it reports the spread it found", () => {
  const x = new Tensor(
    Float32Array.from({ length: 64 * 3 }, (_, i) => 2 * Math.sin(1.7 * i)),
    [64, 3],
  );
  for (const scale of [30, 0.01]) {
    const model = new Sequential([
      new Dense(5, { activation: "relu" }),
      new Dense(4, { activation: "tanh" }),
      new Dense(2),
    ]).build(3, new Rng(2));
    const rng = new Rng(3);
    // Biases that differ across units, so that a rescaling that forgets them leaves the wrong spread.
    for (const [name, t] of model.parameters())
      t.data.forEach((v, i) => {
        t.data[i] = scale * (name.endsWith("bias") ? rng.normal() : v);
      });
    const first = preActivationSpreads(model, x)[0];
    const done = lsuv(model, x);
    assert.deepEqual(
      done.map((d) => d.layer),
      ["0", "1", "2"],
      `scale ${scale}: every layer out of [1/2, 2]`,
    );
    preActivationSpreads(model, x).forEach((s, k) =>
      assert.ok(Math.abs(s - 1) < 1e-5, `scale ${scale}, layer ${k}: spread ${s}`),
    );
    assert.ok(
      Math.abs(done[0].preActivationStd - first) < 1e-9 * first,
      `found ${done[0].preActivationStd} vs ${first}`,
    );
    done.forEach((d) =>
      assert.ok(Math.abs(d.factor * d.preActivationStd - 1) < 1e-12, `factor of layer ${d.layer}`),
    );
  }
});

/** Every field of HealthMonitorState: a field added later must be added here, and so round-tripped below. */
test("detector windows: oscillation counts peaks within the last 8 windows only; not-learning averages the last 3 accuracies", () => {
  const picture = (over: Partial<TrainingPicture>): TrainingPicture => ({
    step: 400,
    checks: 20,
    lossMeans: [],
    droppedBestLoss: Infinity,
    accuracyMeans: [],
    chance: 0.1,
    gradNorm: 1,
    gradNormMedian: 1,
    firstGradNorm: 1,
    layers: [],
    deadWindowFull: false,
    ...over,
  });
  const T = DEFAULT_THRESHOLDS;
  // Three peaks 100% above their neighbours: all inside the last 8 windows, then the first one's left neighbour out of them.
  assert.equal(detectOscillation(picture({ lossMeans: [1, 2, 1, 2, 1, 2, 1, 1] }), T)?.kind, "oscillation");
  assert.equal(detectOscillation(picture({ lossMeans: [1, 2, 1, 2, 1, 2, 1, 1, 1] }), T), null);
  // Chance 0.1: not learning at a mean accuracy ≤ 0.19 over the last 3 windows.
  assert.equal(
    detectNotLearning(picture({ accuracyMeans: [0.9, 0.9, 0.9, 0.1, 0.1, 0.1] }), T)?.kind,
    "notLearning",
  );
  assert.equal(detectNotLearning(picture({ accuracyMeans: [0.9, 0.9, 0.9, 0.1, 0.1] }), T), null);
});
