import assert from "node:assert/strict";
import { test } from "node:test";
import {
  balanceMeasures,
  continualBackprop,
  createRegulator,
  hiddenLayers,
  intrinsicPlasticity,
  l2Init,
  parseRegulators,
  redo,
  replaceUnit,
  representationRank,
  resetMoments,
  shrinkPerturb,
  synapticScaling,
} from "../src/homeostasis/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam, sgd } from "../src/optim/optimizers.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer, TrainingControl } from "../src/train/events.js";
import { fit, type TrainingState } from "../src/train/fit.js";

const net = (seed = 1, hidden = 8) =>
  new Sequential([
    new Dense(hidden, { activation: "relu" }),
    new Dense(hidden, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(seed));

function data(n = 96, seed = 2): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === c ? 2 : 0) + 0.5 * rng.normal();
    y[i * 3 + c] = 1;
  }
  return { x: new Tensor(x, [n, 4]), y: new Tensor(y, [n, 3]) };
}

const weights = (m: Sequential) => m.parameters().map(([, t]) => Array.from(t.data));
/** A training control with only what the unit operations use, from a real fit's first step. */
function controlOf(model: Sequential): TrainingControl {
  let control: TrainingControl | null = null;
  fit(model, data(16), {
    epochs: 1,
    batchSize: 16,
    optimizer: adam({ lr: 0 }),
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
  return control!;
}

test("resetMoments zeros exactly the chosen entries of every per-parameter moment (Adam's m and v)", () => {
  const m = net();
  const ctl = controlOf(m);
  const state = ctl.getOptimizerState() as Record<string, unknown>;
  const arrays: Float32Array[] = [];
  const collect = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) arrays.push(v as Float32Array);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect(state);
  for (const a of arrays) a.fill(1);
  resetMoments(ctl, "0.bias", [3]);
  const biasSize = 8;
  const touched = arrays.filter((a) => a.length === biasSize && a[3] === 0);
  assert.ok(touched.length >= 2, "m and v of 0.bias");
  for (const a of touched)
    assert.deepEqual(
      Array.from(a).map((v, i) => (i === 3 ? v : 1)),
      Array(biasSize)
        .fill(1)
        .map((v, i) => (i === 3 ? 0 : v)),
    );
  assert.equal(arrays.filter((a) => a.some((v) => v === 0)).length, touched.length, "nothing else touched");
});

test("replacing a silent unit leaves the network's outputs unchanged at that moment and gives it fresh incoming weights", () => {
  const m = net();
  const ctl = controlOf(m);
  const x = data(10).x;
  const h = hiddenLayers(m)[0];
  h.layer.bias!.data[5] = -100;
  const before = Array.from(m.forward(x).data);
  const fresh = Float32Array.from({ length: 4 }, (_, i) => i + 1);
  replaceUnit(ctl, h, 5, fresh);
  assert.deepEqual(Array.from(h.layer.weight.data.subarray(20, 24)), [1, 2, 3, 4]);
  assert.equal(h.layer.bias!.data[5], 0);
  const after = Array.from(m.forward(x).data);
  after.forEach((v, i) => assert.ok(Math.abs(v - before[i]) < 1e-6, `output ${i}`));
});

/** Run regulators alone (learning rate 0) for `epochs` over the blobs. */
function regulate(
  m: Sequential,
  observers: Observer[],
  epochs = 10,
  extra: Partial<Parameters<typeof fit>[2]> = {},
) {
  return fit(m, data(), {
    epochs,
    batchSize: 16,
    optimizer: sgd({ lr: 0 }),
    loss: "crossEntropy",
    seed: 3,
    observers,
    ...extra,
  });
}

test("synaptic scaling pulls every unit's mean activity towards the layer's set point (spread across units shrinks)", () => {
  const m = net(4);
  const h = hiddenLayers(m)[0];
  for (let j = 0; j < 4; j++) h.layer.weight.data[2 * 4 + j] *= 6; // one unit far too active
  const probe = data(200, 9).x;
  const cv0 = balanceMeasures(m, probe)[0].activityCV;
  regulate(m, [synapticScaling({ warmup: 10, maxStep: 0.05 })], 60);
  const cv1 = balanceMeasures(m, probe)[0].activityCV;
  assert.ok(cv1 < 0.6 * cv0, `activity CV ${cv0.toFixed(3)} → ${cv1.toFixed(3)}`);
});

test("intrinsic plasticity wakes a silent unit by raising its threshold bias", () => {
  const m = net(5);
  const h = hiddenLayers(m)[0];
  h.layer.bias!.data[1] = -4;
  const probe = data(200, 9).x;
  assert.equal(balanceMeasures(m, probe)[0].deadFraction, 1 / 8);
  regulate(m, [intrinsicPlasticity({ rate: 0.05, warmup: 5 })], 80);
  assert.equal(balanceMeasures(m, probe)[0].deadFraction, 0);
});

test("ReDo recycles exactly the dormant units every F steps; the output is unchanged by the recycling itself", () => {
  const m = net(6);
  const h = hiddenLayers(m)[0];
  h.layer.bias!.data[2] = -50;
  h.layer.bias!.data[6] = -50;
  const r = redo({ every: 6, tau: 0 }); // τ = 0: exactly the silent units
  const x = data(10).x;
  const before = Array.from(m.forward(x).data);
  // Silent on every training row: the two units turned off, and any the initialisation left silent.
  const silent = balanceMeasures(m, data().x).reduce((n, l) => n + Math.round(l.deadFraction * l.units), 0);
  assert.ok(silent >= 2);
  regulate(m, [r], 1); // 96 rows / 16 = 6 steps: one round
  assert.equal(r.recycled(), silent);
  assert.equal(h.layer.bias!.data[2], 0);
  Array.from(m.forward(x).data).forEach((v, i) => assert.ok(Math.abs(v - before[i]) < 1e-6));
});

test("continual backprop replaces ρ × mature units per step, lowest utility first, and its bias transfer keeps the output close", () => {
  const m = net(7, 10);
  const cbp = continualBackprop({ replacementRate: 0.01, maturity: 5 });
  regulate(m, [cbp], 10); // 60 steps; mature from step 6 on: 2 layers × 10 units × 0.01 × 55 steps ≈ 11
  assert.ok(cbp.replaced() >= 9 && cbp.replaced() <= 12, `replaced ${cbp.replaced()}`);
  // A unit with no outgoing weights has zero utility: it goes first.
  const m2 = net(8, 10);
  const [h] = hiddenLayers(m2);
  const cols = h.next.weight.shape[1];
  for (let r = 0; r < h.next.units; r++) h.next.weight.data[r * cols + 4] = 0;
  const w4 = Array.from(h.layer.weight.data.subarray(16, 20));
  regulate(m2, [continualBackprop({ replacementRate: 0.02, maturity: 5 })], 2);
  assert.notDeepEqual(Array.from(h.layer.weight.data.subarray(16, 20)), w4, "unit 4 was replaced");
});

test("shrink-and-perturb scales weights by (1 − shrink) per step and flushes what decays below 1e-30 to zero", () => {
  const m = net(9);
  const w0 = Array.from(m.parameters()[0][1].data);
  regulate(m, [shrinkPerturb({ shrink: 0.5, noise: 0 })], 1); // 6 steps
  Array.from(m.parameters()[0][1].data).forEach((v, i) => assert.equal(v, Math.fround(w0[i] / 64)));
  regulate(m, [shrinkPerturb({ shrink: 0.5, noise: 0 })], 20); // 120 more halvings: below 1e-30
  for (const [, p] of m.parameters()) for (const v of p.data) assert.equal(v, 0);
});

test("L2-Init adds λ‖θ − θ₀‖² to the loss, θ₀ the weights when training began", () => {
  const m = net(10);
  const reg = l2Init({ lambda: 0.5 });
  const penalties: number[] = [];
  fit(m, data(), {
    epochs: 2,
    batchSize: 16,
    optimizer: sgd({ lr: 0.1 }),
    loss: "crossEntropy",
    seed: 1,
    observers: [
      reg,
      {
        onBatchEnd: (e) => {
          penalties.push(e.penalty);
        },
      },
    ],
  });
  assert.equal(penalties[0], 0);
  const θ0 = reg.getState() as Record<string, Float32Array>;
  let expected = 0;
  for (const [n, p] of m.parameters())
    for (let i = 0; i < p.size; i++) expected += (p.data[i] - θ0[n][i]) ** 2;
  const next: number[] = [];
  fit(m, data(), {
    epochs: 1,
    batchSize: 96,
    optimizer: sgd({ lr: 0 }),
    loss: "crossEntropy",
    seed: 1,
    observers: [
      reg,
      {
        onBatchEnd: (e) => {
          next.push(e.penalty);
        },
      },
    ],
  });
  assert.ok(
    Math.abs(next[0] - 0.5 * expected) < 1e-5 * Math.max(1, expected),
    `${next[0]} vs ${0.5 * expected}`,
  );
});

test("balance measures: dead and dormant units, effective rank from singular values, firing-rate error and spread", () => {
  assert.ok(Math.abs(representationRank(Float32Array.of(1, 0, 0, 1), 2, 2) - 2) < 1e-9);
  assert.ok(Math.abs(representationRank(Float32Array.of(1, 1, 2, 2), 2, 2) - 1) < 1e-9, "rank-one rows");
  // Singular values 3 and 1: p = (0.75, 0.25), exp(entropy) = exp(−0.75 ln 0.75 − 0.25 ln 0.25).
  const expected = Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)));
  assert.ok(Math.abs(representationRank(Float32Array.of(3, 0, 0, 1), 2, 2) - expected) < 1e-9);
  const m = net(11);
  hiddenLayers(m)[0].layer.bias!.data[0] = -100;
  const b = balanceMeasures(m, data(200, 3).x);
  assert.equal(b.length, 2);
  assert.equal(b[0].deadFraction, 1 / 8);
  assert.ok(b[0].dormantFraction >= 1 / 8);
  assert.ok(b[0].effectiveRank > 1 && b[0].effectiveRank <= 7);
  assert.ok(b[0].firingRateError > 0 && b[0].activityCV > 0 && b[0].meanAbsWeight > 0);
});

test("regulators resume exactly from a checkpoint (their state travels under their stateKey)", () => {
  const make = () => [
    synapticScaling({ warmup: 3 }),
    intrinsicPlasticity({ warmup: 3 }),
    redo({ every: 5 }),
    continualBackprop({ replacementRate: 0.02, maturity: 3 }),
    shrinkPerturb(),
    l2Init(),
  ];
  const opts = {
    epochs: 4,
    batchSize: 16,
    optimizer: adam({ lr: 0.01 }),
    loss: "crossEntropy" as const,
    seed: 3,
  };
  const reference = net(12);
  fit(reference, data(), { ...opts, observers: make() });
  const states: { state: TrainingState; w: Float32Array[] }[] = [];
  const saver = net(12);
  fit(saver, data(), {
    ...opts,
    observers: make(),
    checkpoint: {
      every: 7,
      save: (s) =>
        states.push({
          state: structuredClone(s),
          w: saver.parameters().map(([, t]) => (t.data as Float32Array).slice()),
        }),
    },
  });
  assert.ok(states.length >= 3);
  for (const { state, w } of states) {
    const m = net(99);
    m.parameters().forEach(([, t], i) => t.data.set(w[i]));
    fit(m, data(), { ...opts, observers: make(), resume: state });
    assert.deepEqual(weights(m), weights(reference), `resumed at step ${state.step}`);
  }
});

test("the homeostasis section: every regulator by name, clear errors naming the field", () => {
  const all = parseRegulators([
    "synapticScaling",
    { type: "continualBackprop", replacementRate: 1e-4 },
    { type: "redo", tau: 0.1, every: 500 },
    "intrinsicPlasticity",
    "shrinkPerturb",
    { type: "l2Init", lambda: 0.01 },
  ]);
  assert.deepEqual(
    all.map((r) => createRegulator(r).name),
    ["synapticScaling", "continualBackprop", "redo", "intrinsicPlasticity", "shrinkPerturb", "l2Init"],
  );
  assert.throws(
    () => parseRegulators({}),
    (e: Error) => e instanceof ConfigError && /homeostasis: expected a list/.test(e.message),
  );
  assert.throws(
    () => parseRegulators([{ type: "sleep" }]),
    (e: Error) => e instanceof ConfigError && /homeostasis\[0\]\.type/.test(e.message),
  );
  assert.throws(
    () => parseRegulators([{ type: "redo", every: 0 }]),
    (e: Error) => e instanceof ConfigError && /homeostasis\[0\]\.every/.test(e.message),
  );
  assert.throws(
    () => parseRegulators([{ type: "l2Init", lamda: 1 }]),
    (e: Error) => e instanceof ConfigError && /lamda/.test(e.message),
  );
});
