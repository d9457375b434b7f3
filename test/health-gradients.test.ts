// The monitor asks for the step's gradients only where it reads them (check steps and blown-up losses), so
// fit copies them only then; an observer that does not say keeps getting them at every step.
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor } from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

function gradientSizes(observers: Observer[]): number[] {
  const model = new Sequential([new Dense(4, { activation: "relu" }), new Dense(1)]).build(2, new Rng(1));
  const x = new Tensor(
    Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)),
    [20, 2],
  );
  const y = new Tensor(
    Float32Array.from({ length: 20 }, (_, i) => Math.cos(i)),
    [20, 1],
  );
  const sizes: number[] = [];
  const spy: Observer = { wantsGradients: () => false, onBatchEnd: (e) => sizes.push(e.grads.size) };
  fit(
    model,
    { x, y },
    {
      epochs: 2,
      batchSize: 4,
      optimizer: sgd({ lr: 0.01 }),
      loss: "mse",
      seed: 1,
      observers: [...observers, spy],
    },
  );
  return sizes;
}

test("gradients are copied only on the steps some observer wants them", () => {
  // 10 steps; the monitor checks every 3 and wants the 4 gradients (2 layers × weight, bias) then.
  assert.deepEqual(
    gradientSizes([healthMonitor({ thresholds: { checkEvery: 3 } })]),
    [0, 0, 4, 0, 0, 4, 0, 0, 4, 0],
  );
  assert.deepEqual(gradientSizes([]), Array(10).fill(0));
  assert.deepEqual(gradientSizes([{}]), Array(10).fill(4));
});

test("a blown-up loss gets its gradients: the monitor diagnoses it from them", () => {
  let steps = 0;
  const nanAt3: Observer = {
    wantsGradients: () => false,
    transformBatch: (b) =>
      ++steps === 3
        ? {
            x: b.x,
            y: new Tensor(
              b.y.data.map(() => NaN),
              b.y.shape,
            ),
          }
        : b,
  };
  const health = healthMonitor({ thresholds: { checkEvery: 100 } });
  // Without repair, the run fails at that step.
  assert.deepEqual(gradientSizes([nanAt3, health]), [0, 0, 4]);
  // NaN targets make NaN gradients: read, they say "exploding" (an empty map would have said a finite 0).
  assert.equal(health.events[0].kind, "explodingGradients");
  assert.equal(health.events[0].evidence.gradNorm, -1);
  assert.equal(health.events[0].step, 3);
});
