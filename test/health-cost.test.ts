// What the monitor costs, without changing a result. It asks for the step's gradients only where it reads
// them (check steps and blown-up losses), so fit copies them only then; an observer that does not say keeps
// getting them at every step. Its effective rank needs eigenvalues only. Its loops are unrolled or blocked
// for speed, each sum still in the order of the plain loop beside it here, so every value is the same.
import assert from "node:assert/strict";
import { test } from "node:test";
import { symmetricEigen, symmetricEigenvalues } from "../src/data/linalg.js";
import { healthMonitor } from "../src/health/index.js";
import { l2Norm, updateRatio } from "../src/health/statistics.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { centredRowGram, dormantFraction, dormantUnits, unitActivity } from "../src/units/statistics.js";

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

test("the eigenvalues without eigenvectors are symmetricEigen's to the last bit", () => {
  const rng = new Rng(5);
  for (const n of [1, 2, 7, 32]) {
    const b = Array.from({ length: n * n }, () => rng.normal());
    // A Gram matrix BᵀB (symmetric, with repeated and zero eigenvalues when n is 1).
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) g[i * n + j] += b[k * n + i] * b[k * n + j];
    assert.deepEqual(symmetricEigenvalues(g, n), symmetricEigen(g, n).values, `n = ${n}`);
  }
  // A closed form: diag(3, 1) rotated by 30° has eigenvalues 3 and 1.
  const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
  const m = [3 * c * c + s * s, 2 * c * s, 2 * c * s, 3 * s * s + c * c];
  const v = symmetricEigenvalues(m, 2);
  assert.ok(Math.abs(v[0] - 3) < 1e-12 && Math.abs(v[1] - 1) < 1e-12, `${v}`);
});

test("the monitor's norms and update ratios are the plain loops' to the last bit", () => {
  // 7 inputs, 5 and 3 units: 35 and 15 weights, 5 and 3 biases, none a multiple of the loops' unrolling.
  const rng = new Rng(3);
  const model = new Sequential([new Dense(5, { activation: "relu" }), new Dense(3)]).build(7, rng);
  const x = new Tensor(
    Float32Array.from({ length: 24 * 7 }, () => rng.normal()),
    [24, 7],
  );
  const y = new Tensor(
    Float32Array.from({ length: 24 * 3 }, () => rng.normal()),
    [24, 3],
  );
  const health = healthMonitor({ thresholds: { checkEvery: 3 } });
  const want: { gradNorm: number; weightNorm: number; updateRatio: number }[][] = [];
  let before: Float32Array[] = [];
  const reference: Observer = {
    onGradients: (_g, control) => {
      before = control.parameters.map(([, t]) => (t.data as Float32Array).slice());
    },
    onBatchEnd: (e, control) => {
      if (e.step % 3 !== 0) return;
      // Parameters are [weight, bias] of layer 0, then of layer 1.
      const p = control.parameters;
      const gradNorm = (i: number) => l2Norm(e.grads.get(p[i][0]) ?? []);
      want.push(
        [0, 2].map((i) => ({
          gradNorm: Math.hypot(gradNorm(i), gradNorm(i + 1)),
          weightNorm: l2Norm(p[i][1].data),
          updateRatio: updateRatio(before[i], p[i][1].data),
        })),
      );
    },
  };
  fit(
    model,
    { x, y },
    {
      epochs: 2,
      batchSize: 4,
      optimizer: sgd({ lr: 0.05 }),
      loss: "mse",
      seed: 1,
      observers: [health, reference],
    },
  );
  const got = health
    .statistics()
    .points.map((p) =>
      p.layers.map(({ gradNorm, weightNorm, updateRatio }) => ({ gradNorm, weightNorm, updateRatio })),
    );
  assert.equal(got.length, 4);
  assert.deepEqual(got, want);
});

test("the blocked centred Gram, unit activity and dormant fraction are the plain loops' to the last bit", () => {
  const rng = new Rng(9);
  for (const [rows, units] of [
    [40, 13],
    [7, 5],
    [2, 1],
  ]) {
    const h = Float32Array.from({ length: rows * units }, () => Math.max(0, rng.normal()));
    // The plain loops: each unit's mean over the first m rows, then each entry's sum over the units.
    const m = Math.min(rows, 32);
    const c = new Float64Array(m * units);
    for (let u = 0; u < units; u++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += h[r * units + u];
      for (let r = 0; r < m; r++) c[r * units + u] = h[r * units + u] - s / m;
    }
    const gram = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = i; j < m; j++) {
        let s = 0;
        for (let u = 0; u < units; u++) s += c[i * units + u] * c[j * units + u];
        gram[i * m + j] = gram[j * m + i] = s;
      }
    assert.deepEqual(centredRowGram(h, rows, units)?.gram, gram, `${rows} × ${units}`);
    const [mean, meanAbs] = [new Float64Array(units), new Float64Array(units)];
    for (let r = 0; r < rows; r++)
      for (let u = 0; u < units; u++) {
        mean[u] += h[r * units + u];
        meanAbs[u] += Math.abs(h[r * units + u]);
      }
    const a = unitActivity(h, rows, units);
    assert.deepEqual([a.mean, a.meanAbs], [mean.map((v) => v / rows), meanAbs.map((v) => v / rows)]);
    const dormant = dormantUnits(a.meanAbs, 0.5, 1e-3).filter(Boolean).length / units;
    assert.equal(dormantFraction(a.meanAbs, 0.5, 1e-3), dormant);
  }
});
