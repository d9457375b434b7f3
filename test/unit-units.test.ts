/**
 * The unit toolkit (src/units/): which layers have units and whom they feed, and the one definition of
 * each unit statistic, against closed forms.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { backend, backendNames, useBackend } from "../src/backend/index.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { isUnitLayer, unitSites } from "../src/units/layer.js";
import { symmetricEigenvalues } from "../src/units/linalg.js";
import {
  centredRowGram,
  dormantFraction,
  dormantUnits,
  effectiveRank,
  saturatedFraction,
  spectrum,
  stableRank,
  unitActivity,
  unitGram,
} from "../src/units/statistics.js";

/** A rows × units matrix with `diag` on its diagonal and zeros elsewhere. */
const diagonal = (diag: number[]): Float32Array => {
  const n = diag.length;
  const h = new Float32Array(n * n);
  diag.forEach((d, i) => {
    h[i * n + i] = d;
  });
  return h;
};
const close = (got: number, want: number, what: string) =>
  assert.ok(Math.abs(got - want) < 1e-12 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

test("a diagonal representation diag(3, 1): effective rank exp(−Σ p ln p) with p = (3/4, 1/4), stable rank (9 + 1)/9", () => {
  const sq = spectrum(unitGram(diagonal([3, 1]), 2, 2), 2);
  assert.deepEqual(Array.from(sq), [9, 1]);
  close(effectiveRank(sq), Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))), "effective rank");
  close(stableRank(sq), 10 / 9, "stable rank");
});

test("equal singular values: both ranks equal the dimension; a zero matrix gives ifZero; rank one gives 1", () => {
  const sq = spectrum(unitGram(diagonal([2, 2, 2, 2]), 4, 4), 4);
  close(effectiveRank(sq), 4, "effective rank of 2·I₄");
  close(stableRank(sq), 4, "stable rank of 2·I₄");
  const zero = spectrum(unitGram(new Float32Array(9), 3, 3), 3);
  assert.equal(effectiveRank(zero), 0);
  assert.equal(stableRank(zero, 1), 1);
  const rankOne = spectrum(unitGram(Float32Array.of(1, 2, 2, 4), 2, 2), 2); // rows (1, 2) and 2·(1, 2)
  close(effectiveRank(rankOne), 1, "effective rank of a rank-one matrix");
  close(stableRank(rankOne), 1, "stable rank of a rank-one matrix");
});

test("the centred row Gram removes each unit's mean: two rows ±(1, 0) give [[1, −1], [−1, 1]]", () => {
  assert.deepEqual(Array.from(centredRowGram(Float32Array.of(1, 0, -1, 0), 2, 2)!.gram), [1, -1, -1, 1]);
  assert.equal(centredRowGram(Float32Array.of(1, 2), 1, 2), null, "one row has no spread");
});

test("a backend's Gram and Jacobi kernels give the js loops' centred Gram and eigenvalues to the last bit", () => {
  const before = backend().name;
  const rng = new Rng(5);
  // Rows past the 32 the Gram reads, widths around the kernel's blocks of four, ReLU zeros, a constant layer.
  const cases = [
    [64, 256],
    [33, 7],
    [6, 1],
    [2, 3],
    [31, 130],
  ].map(([rows, units], i) => ({
    rows,
    units,
    h: Float32Array.from({ length: rows * units }, () => (i === 3 ? 0.25 : Math.max(0, rng.normal()))),
  }));
  const run = () =>
    cases.map(({ h, rows, units }) => {
      const g = centredRowGram(h, rows, units)!;
      return { gram: g.gram, values: symmetricEigenvalues(g.gram, g.n) };
    });
  try {
    useBackend("js");
    const want = run();
    const withKernels = backendNames().filter((name) => {
      const b = useBackend(name, { threads: 1 });
      return b.centredRowGram && b.jacobiDiagonalize;
    });
    assert.ok(withKernels.includes("wasm"), `backends with the kernels: ${withKernels}`);
    for (const name of withKernels) {
      useBackend(name, { threads: 1 });
      assert.deepEqual(run(), want, name);
      // Closed forms through the kernels: [[2, 1], [1, 2]] has eigenvalues 3 and 1; two rows ±(1, 0) centre to ±(1, 0).
      const [big, small] = symmetricEigenvalues(Float64Array.of(2, 1, 1, 2), 2);
      close(big!, 3, `${name}: the larger eigenvalue`);
      close(small!, 1, `${name}: the smaller eigenvalue`);
      assert.deepEqual(Array.from(centredRowGram(Float32Array.of(1, 0, -1, 0), 2, 2)!.gram), [1, -1, -1, 1]);
    }
  } finally {
    useBackend(before, { threads: 1 });
  }
});

test("ReDo's dormant score a_i / (mean_k a_k + ε) ≤ τ: a known score on each side of τ, and a silent layer", () => {
  // mean = 3.01 / 4 = 0.7525; 0.01 / 0.7525 = 0.01329 ≤ 0.025 < 0.03 / 0.7575 = 0.0396.
  assert.deepEqual(dormantUnits([1, 1, 1, 0.01], 0.025), [false, false, false, true]);
  assert.equal(dormantFraction([1, 1, 1, 0.03], 0.025), 0);
  // ε shifts the score: 0.02 / (0.755 + 0.05) = 0.0248 ≤ 0.025, but 0.02 / 0.755 = 0.0265 is not.
  assert.equal(dormantFraction([1, 1, 1, 0.02], 0.025, 0.05), 0.25);
  assert.equal(dormantFraction([1, 1, 1, 0.02], 0.025), 0);
  // A layer with no activity at all is wholly dormant, with or without ε.
  assert.equal(dormantFraction([0, 0], 0.025), 1);
  assert.equal(dormantFraction([0, 0], 0.025, 1e-9), 1);
});

test("unit activity: mean h and mean |h| per unit, the fraction never above 0, accumulated into a window", () => {
  const active = new Uint8Array(3);
  const a = unitActivity(Float32Array.of(1, -2, 0, 3, -4, 0), 2, 3, active);
  assert.deepEqual(Array.from(a.mean), [2, -3, 0]);
  assert.deepEqual(Array.from(a.meanAbs), [2, 3, 0]);
  assert.equal(a.inactive, 2 / 3);
  assert.deepEqual(Array.from(active), [1, 0, 0]);
  assert.equal(saturatedFraction([0.001, 0.5, 0.999, 0.2], "sigmoid"), 0.5);
  assert.equal(saturatedFraction([-0.99, 0, 0.97, 1], "tanh"), 0.5);
  assert.ok(Number.isNaN(saturatedFraction([1], "relu")));
});

test("unitSites: every unit layer, each feeding the next one through activation, dropout and norm layers", () => {
  const m = new Sequential([
    new Dense(5, { activation: "relu" }),
    new Dropout(0.1),
    new LayerNorm(),
    new Dense(4),
    new Activation("tanh"),
    new Dense(3),
  ]).build(2, new Rng(1));
  const sites = unitSites(m);
  assert.deepEqual(
    sites.map((s) => [s.name, s.index, s.layer.units, s.next?.units ?? null]),
    [
      ["0", 0, 5, 4],
      ["3", 3, 4, 3],
      ["5", 5, 3, null],
    ],
  );
  assert.equal(sites[0].next, m.layers[3]);
  assert.equal(isUnitLayer(m.layers[2]), false, "a layer norm has no units of its own");
});

test("Dense as a unit layer: row u is unit u's incoming weights, column u reads input unit u", () => {
  const d = new Dense(3);
  d.build(2, new Rng(2), "float32");
  d.weight.data.set([1, 2, 3, 4, 5, 6]);
  assert.equal(d.fanIn, 2);
  assert.deepEqual(Array.from(d.incomingWeights(1)), [3, 4]);
  d.incomingWeights(1)[0] = 9;
  assert.equal(d.weight.data[2], 9, "a live view");
  assert.deepEqual(Array.from(d.inputWeightIndices(1)), [1, 3, 5]);
  const [row, bias] = d.unitEntries(2);
  assert.deepEqual(Array.from(row.indices), [4, 5]);
  assert.deepEqual(Array.from(bias.indices), [2]);
  assert.equal(bias.tensor, d.bias);
  assert.deepEqual(Array.from(d.inputEntries(0)[0].indices), [0, 2, 4]);
  assert.equal(d.freshIncomingWeights(new Rng(3)).length, 2);
});
