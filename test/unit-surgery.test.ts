/**
 * Unit surgery under Adam: a re-initialised unit must start without its dead predecessor's optimiser
 * history. The homeostatic regulators (`replaceUnit`) and the health monitor's dead-unit repair
 * (`reinitUnits`) are checked against the same hand-made expectation: the unit's incoming row, its bias
 * and its outgoing column zero in both of Adam's moments, every other entry untouched.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor } from "../src/health/index.js";
import { reinitUnits } from "../src/health/repairs.js";
import { hiddenLayers, replaceUnit } from "../src/homeostasis/index.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer, TrainingControl } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

/** 4 → 6 relu → dropout → 5 relu → 3: the first hidden layer feeds layer "2", not "1". */
const net = (seed = 1): Sequential =>
  new Sequential([
    new Dense(6, { activation: "relu" }),
    new Dropout(0.1),
    new Dense(5, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(seed));

function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === i % 3 ? 2 : 0) + 0.5 * rng.normal();
    y[i * 3 + (i % 3)] = 1;
  }
  return { x: new Tensor(x, [n, 4]), y: new Tensor(y, [n, 3]) };
}

/** Adam's first and second moments in the optimiser state, one array per parameter. */
function adamMoments(state: unknown): { mu: Float32Array[]; nu: Float32Array[] } {
  const found = (state as unknown[]).find((s) => s && typeof s === "object" && "mu" in s && "nu" in s);
  assert.ok(found, "the optimiser state holds Adam's mu and nu");
  return found as { mu: Float32Array[]; nu: Float32Array[] };
}

/** A real training control under Adam (from a fit's last step), its moments filled with distinct non-zero values. */
function adamControl(model: Sequential): TrainingControl {
  let control: TrainingControl | null = null;
  fit(model, blobs(24, 2), {
    epochs: 1,
    batchSize: 8,
    optimizer: adam({ lr: 1e-3 }),
    loss: "crossEntropy",
    seed: 1,
    observers: [
      {
        onBatchEnd: (_e, c) => {
          control = c;
        },
      },
    ],
  });
  const { mu, nu } = adamMoments(control!.getOptimizerState());
  mu.forEach((a, k) =>
    a.forEach((_, i) => {
      a[i] = 1 + i + 100 * k;
    }),
  );
  nu.forEach((a, k) =>
    a.forEach((_, i) => {
      a[i] = 0.5 + i + 100 * k;
    }),
  );
  return control!;
}

/**
 * The moments expected after replacing `units` of hidden layer `layer` (whose outgoing weights are in
 * `next`): a copy of `before` with the units' rows of `layer.weight`, entries of `layer.bias` and
 * columns of `next.weight` zeroed.
 */
function expectedAfter(
  control: TrainingControl,
  before: Float32Array[],
  layer: string,
  next: string,
  units: number[],
): number[][] {
  return control.parameters.map(([name, t], k) =>
    Array.from(before[k], (v, i) => {
      const cols = t.shape[1] ?? 1;
      const hit =
        (name === `${layer}.weight` && units.includes(Math.floor(i / cols))) ||
        (name === `${layer}.bias` && units.includes(i)) ||
        (name === `${next}.weight` && units.includes(i % cols));
      return hit ? 0 : v;
    }),
  );
}

test("replaceUnit under Adam zeroes the unit's m and v (incoming row, bias, outgoing column) and leaves every other entry", () => {
  const m = net();
  const control = adamControl(m);
  const { mu, nu } = adamMoments(control.getOptimizerState());
  const [muBefore, nuBefore] = [mu.map((a) => a.slice()), nu.map((a) => a.slice())];
  const h = hiddenLayers(m)[0];
  assert.equal(h.next, m.layers[2]);
  replaceUnit(control, h, 4, Float32Array.from([1, 2, 3, 4]));
  const after = adamMoments(control.getOptimizerState());
  assert.deepEqual(
    after.mu.map((a) => Array.from(a)),
    expectedAfter(control, muBefore, "0", "2", [4]),
    "first moment",
  );
  assert.deepEqual(
    after.nu.map((a) => Array.from(a)),
    expectedAfter(control, nuBefore, "0", "2", [4]),
    "second moment",
  );
});

test("the health monitor's dead-unit repair (reinitUnits) zeroes the repaired units' Adam moments, as replaceUnit does", () => {
  const m = net(3);
  const control = adamControl(m);
  const { mu, nu } = adamMoments(control.getOptimizerState());
  const [muBefore, nuBefore] = [mu.map((a) => a.slice()), nu.map((a) => a.slice())];
  const w0 = Array.from((m.layers[2] as Dense).weight.data);
  reinitUnits(control, 2, [0, 3], new Rng(4)); // layer "2" feeds the output layer "3"
  const after = adamMoments(control.getOptimizerState());
  assert.deepEqual(
    after.mu.map((a) => Array.from(a)),
    expectedAfter(control, muBefore, "2", "3", [0, 3]),
    "first moment",
  );
  assert.deepEqual(
    after.nu.map((a) => Array.from(a)),
    expectedAfter(control, nuBefore, "2", "3", [0, 3]),
    "second moment",
  );
  // The surgery itself: fresh rows 0 and 3 only, zero bias, zero outgoing columns.
  const layer = m.layers[2] as Dense;
  const changedRows = [0, 1, 2, 3, 4].filter((u) =>
    w0.slice(u * 6, u * 6 + 6).some((v, j) => v !== layer.weight.data[u * 6 + j]),
  );
  assert.deepEqual(changedRows, [0, 3]);
  assert.deepEqual([layer.bias!.data[0], layer.bias!.data[3]], [0, 0]);
  const out = m.layers[3] as Dense;
  for (let r = 0; r < 3; r++) assert.deepEqual([out.weight.data[r * 5], out.weight.data[r * 5 + 3]], [0, 0]);
});

test("the monitor's dyingRelu repair, inside fit under Adam, leaves the repaired units with zero moments", () => {
  const m = net(5);
  const bias = (m.layers[0] as Dense).bias!.data;
  const killed = [0, 2, 5];
  for (const u of killed) bias[u] = -100; // silent on every input: dead from the start
  // Moments set to 1 just before the monitor looks, so that a reset is visible (a unit dead from the start has none of its own).
  const fill: Observer = {
    onBatchEnd: (_e, c) => {
      const { mu, nu } = adamMoments(c.getOptimizerState());
      [...mu, ...nu].forEach((a) => a.fill(1));
    },
  };
  const health = healthMonitor({ repair: true, seed: 1, thresholds: { checkEvery: 2, deadFraction: 0.4 } });
  const seen: { repaired: number[]; mu: number[][]; nu: number[][] }[] = [];
  const inspect: Observer = {
    onBatchEnd: (_e, c) => {
      if (seen.length > 0 || !health.events.some((e) => e.kind === "unitReinit")) return;
      const { mu, nu } = adamMoments(c.getOptimizerState());
      seen.push({
        repaired: [...bias.keys()].filter((u) => bias[u] === 0),
        mu: mu.map((a) => Array.from(a)),
        nu: nu.map((a) => Array.from(a)),
      });
    },
  };
  fit(m, blobs(48, 6), {
    epochs: 4,
    batchSize: 8,
    optimizer: adam({ lr: 1e-3 }),
    loss: "crossEntropy",
    seed: 2,
    observers: [fill, health, inspect],
  });
  assert.equal(seen.length, 1, `a dead-unit repair happened: ${health.events.map((e) => e.kind).join(", ")}`);
  const [s] = seen;
  assert.ok(
    killed.every((u) => s.repaired.includes(u)),
    `repaired ${s.repaired}`,
  );
  const control = { parameters: m.parameters() } as unknown as TrainingControl;
  const ones = s.mu.map((a) => Float32Array.from(a, () => 1));
  assert.deepEqual(s.mu, expectedAfter(control, ones, "0", "2", s.repaired));
  assert.deepEqual(s.nu, expectedAfter(control, ones, "0", "2", s.repaired));
});
