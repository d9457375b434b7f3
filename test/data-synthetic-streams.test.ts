import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FriedmanStream,
  HyperplaneStream,
  RbfStream,
  SEA_THRESHOLDS,
  SeaStream,
  type StreamRow,
} from "../src/data/synthetic-streams.js";
import { ConfigError } from "../src/tensor/errors.js";

const rowsOf = (stream: Iterable<StreamRow> & { take(n: number): Iterable<StreamRow> }, n: number) => [
  ...stream.take(n),
];

test("SEA: without noise every label follows its concept's threshold rule; concepts recur", () => {
  const sea = new SeaStream({ seed: 1, noise: 0, conceptLength: 100 });
  assert.deepEqual(sea.driftPoints, [100, 200, 300]);
  const rows = rowsOf(sea, 500);
  rows.forEach(({ x, y, concept }, t) => {
    assert.equal(concept, Math.floor(t / 100) % 4);
    assert.equal(y, x[0] + x[1] > [8, 9, 7, 9.5][concept] ? 1 : 0, `row ${t}`);
    for (const v of x) assert.ok(v >= 0 && v <= 10);
  });
  assert.deepEqual([...SEA_THRESHOLDS], [8, 9, 7, 9.5]);
  // 10% noise (the default): about 10% of labels disagree with the rule.
  const noisy = rowsOf(new SeaStream({ seed: 2 }), 20_000);
  const flipped = noisy.filter(
    ({ x, y, concept }) => y !== (x[0] + x[1] > SEA_THRESHOLDS[concept] ? 1 : 0),
  ).length;
  assert.ok(Math.abs(flipped / 20_000 - 0.1) < 0.01, `${flipped} flipped`);
});

test("hyperplane: balanced classes; labels follow Σ wx ≥ ½ Σ w; weights move by magChange per row", () => {
  // Balanced whatever the weights: x → 1 − x swaps the two sides. σ of the estimate is 0.0035.
  const ones = rowsOf(new HyperplaneStream({ seed: 3 }), 20_000).filter((r) => r.y === 1).length;
  assert.ok(Math.abs(ones / 20_000 - 0.5) < 0.015, `${ones} positives`);
  const plane = new HyperplaneStream({ seed: 4, features: 5, noise: 0, sigma: 0, magChange: 0.01 });
  const w0 = plane.getState().weights;
  for (let t = 0; t < 300; t++) {
    const w = plane.getState().weights;
    const { x, y, concept } = plane.next().value;
    const dot = w.reduce((s, wi, i) => s + wi * x[i], 0);
    assert.equal(y, dot >= 0.5 * w.reduce((a, b) => a + b, 0) ? 1 : 0);
    assert.equal(concept, 0);
  }
  // sigma 0: the two drifting weights moved 300 × 0.01, the others not at all.
  const w = plane.getState().weights;
  w.forEach((wi, i) => assert.ok(Math.abs(wi - (w0[i] + (i < 2 ? 3 : 0))) < 1e-12));
  assert.deepEqual(plane.driftPoints, []);
});

test("random RBF: class frequencies equal the centroids' weight shares; centroids move and bounce", () => {
  const rbf = new RbfStream({ seed: 5, classes: 3, centroids: 20, features: 4, speed: 0 });
  const { labels, weights } = rbf.getState();
  const total = weights.reduce((a, b) => a + b, 0);
  const n = 30_000;
  const counts = [0, 0, 0];
  for (const { y } of rbf.take(n)) counts[y]++;
  for (let k = 0; k < 3; k++) {
    const prior = labels.reduce((s, l, c) => s + (l === k ? weights[c] : 0), 0) / total;
    const sd = Math.sqrt((prior * (1 - prior)) / n);
    assert.ok(Math.abs(counts[k] / n - prior) < 4 * sd + 1e-9, `class ${k}: ${counts[k] / n} vs ${prior}`);
  }
  const moving = new RbfStream({ seed: 6, features: 3, centroids: 4, driftCentroids: 2, speed: 0.001 });
  const before = moving.getState();
  moving.next();
  const after = moving.getState();
  for (let c = 0; c < 4; c++) {
    for (let j = 0; j < 3; j++) {
      const expected = before.centres[c][j] + (c < 2 ? before.velocities[c][j] * 0.001 : 0);
      assert.ok(Math.abs(after.centres[c][j] - Math.min(1, Math.max(0, expected))) < 1e-15);
    }
  }
  const fast = new RbfStream({ seed: 7, features: 3, centroids: 4, speed: 0.3 });
  for (const _ of fast.take(50)) {
    for (const centre of fast.getState().centres) for (const v of centre) assert.ok(v >= 0 && v <= 1);
  }
});

/** Friedman #1 and its drifted concepts, written out from Ikonomovska et al. 2011 / River. */
const f0 = (x: Float32Array) =>
  10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4];
const fGra = (x: Float32Array) =>
  10 * Math.sin(Math.PI * x[3] * x[5]) + 20 * (x[1] - 0.5) ** 2 + 10 * x[0] + 5 * x[2];
const fGsg1 = (x: Float32Array) =>
  10 * Math.sin(Math.PI * x[3] * x[4]) + 20 * (x[1] - 0.5) ** 2 + 10 * x[0] + 5 * x[2];
const fGsg2 = (x: Float32Array) =>
  10 * Math.sin(Math.PI * x[1] * x[4]) + 20 * (x[3] - 0.5) ** 2 + 10 * x[2] + 5 * x[0];
function fLea(x: Float32Array, t: number, [p1, p2, p3]: number[]): number {
  if (t < p1) return f0(x);
  const r1 =
    t < p2
      ? x[1] < 0.3 && x[2] < 0.3 && x[3] > 0.7 && x[4] < 0.3
      : t < p3
        ? x[1] < 0.3 && x[2] < 0.3 && x[3] > 0.7
        : x[1] < 0.3 && x[2] < 0.3;
  const r2 =
    t < p2
      ? x[1] > 0.7 && x[2] > 0.7 && x[3] < 0.3 && x[4] > 0.7
      : t < p3
        ? x[1] > 0.7 && x[2] > 0.7 && x[3] < 0.3
        : x[1] > 0.7 && x[2] > 0.7;
  if (r1) return 10 * x[0] * x[1] + 20 * (x[2] - 0.5) + 10 * x[3] + 5 * x[4];
  if (r2) return 10 * Math.cos(x[0] * x[1]) + 20 * (x[2] - 0.5) + Math.exp(x[3]) + 5 * x[4] ** 2;
  return f0(x);
}

test("Friedman drift: y is exactly the concept's formula on the generated x (noise off)", () => {
  const lea = new FriedmanStream({ seed: 8, drift: "lea", positions: [1_000, 2_000, 3_000], noiseStd: 0 });
  let inRegions = 0;
  rowsOf(lea, 4_000).forEach(({ x, y, concept }, t) => {
    assert.equal(y, fLea(x, t, [1_000, 2_000, 3_000]), `row ${t}`);
    assert.equal(concept, Math.floor(t / 1_000));
    if (y !== f0(x)) inRegions++;
  });
  assert.ok(inRegions > 50, "the drifted regions are visited");
  const gra = new FriedmanStream({ seed: 9, drift: "gra", positions: [100, 200], noiseStd: 0 });
  rowsOf(gra, 300).forEach(({ x, y, concept }, t) => {
    assert.equal(concept, t >= 100 && t < 200 ? 1 : 0);
    assert.equal(y, concept === 1 ? fGra(x) : f0(x));
  });
  const gsg = new FriedmanStream({
    seed: 10,
    drift: "gsg",
    positions: [100, 300],
    transitionWindow: 50,
    noiseStd: 0,
  });
  const mixed = new Set<string>();
  rowsOf(gsg, 400).forEach(({ x, y, concept }, t) => {
    assert.equal(y, [f0, fGsg1, fGsg2][concept](x));
    const phase = t < 100 ? 0 : t < 150 ? "0/1" : t < 300 ? 1 : t < 350 ? "1/2" : 2;
    if (typeof phase === "number") assert.equal(concept, phase, `row ${t}`);
    else mixed.add(`${phase}:${concept}`);
  });
  assert.deepEqual(
    [...mixed].sort(),
    ["0/1:0", "0/1:1", "1/2:1", "1/2:2"],
    "both concepts appear in each window",
  );
  // With noise: residuals are N(0, 1) (mean ~0, variance ~1 over 20,000 rows).
  const noisy = rowsOf(new FriedmanStream({ seed: 11, drift: "gra" }), 20_000).map(({ x, y }) => y - f0(x));
  const mean = noisy.reduce((a, b) => a + b, 0) / noisy.length;
  const variance = noisy.reduce((s, r) => s + (r - mean) ** 2, 0) / noisy.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `${mean} ${variance}`);
});

const makers = {
  sea: (seed: number) => new SeaStream({ seed, conceptLength: 200 }),
  hyperplane: (seed: number) => new HyperplaneStream({ seed }),
  rbf: (seed: number) => new RbfStream({ seed, speed: 0.01 }),
  friedman: (seed: number) =>
    new FriedmanStream({ seed, drift: "gsg", positions: [300, 600], transitionWindow: 100 }),
};

test("determinism: the same seed gives the same rows, another seed others", () => {
  for (const [name, make] of Object.entries(makers)) {
    assert.deepEqual(rowsOf(make(1), 300), rowsOf(make(1), 300), name);
    assert.notDeepEqual(rowsOf(make(1), 5), rowsOf(make(2), 5), name);
  }
});

test("resume from a saved state equals the uninterrupted stream", () => {
  for (const [name, make] of Object.entries(makers)) {
    const whole = rowsOf(make(3), 1_000);
    const first = make(3);
    rowsOf(first, 437);
    const resumed = make(99);
    resumed.setState(JSON.parse(JSON.stringify(first.getState())));
    assert.equal(resumed.step, 437);
    assert.deepEqual(rowsOf(resumed, 563), whole.slice(437), name);
  }
});

test("bad options are refused with the field named", () => {
  assert.throws(() => new SeaStream({ noise: 2 }), /sea.noise: must be ≥ 0 and ≤ 1, got 2/);
  assert.throws(() => new HyperplaneStream({ features: 3, driftFeatures: 4 }), ConfigError);
  assert.throws(
    () => new FriedmanStream({ drift: "lea", positions: [5, 3, 9] }),
    /friedman.positions: drift "lea" needs 3 increasing/,
  );
  assert.throws(() => new RbfStream({ centroids: 2, driftCentroids: 3 }), /rbf.driftCentroids/);
});
