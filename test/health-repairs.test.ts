import assert from "node:assert/strict";
import { test } from "node:test";
import { healthMonitor, formatEvent } from "../src/health/index.js";
import { lsuv, reinitUnits, SnapshotStore } from "../src/health/repairs.js";
import { deepCopyInto } from "../src/tensor/plain.js";
import { SeriesRecorder, updateRatio } from "../src/health/statistics.js";
import {
  centredEffectiveRank,
  dormantFraction,
  saturatedFraction,
  unitActivity,
} from "../src/units/statistics.js";
import { Dense } from "../src/nn/layers.js";
import { BatchNorm } from "../src/nn/norm-layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam, sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import type { TrainingControl } from "../src/train/events.js";
import type { TrainingState } from "../src/train/fit.js";
import { decodeModel, encodeModel } from "../src/io/model.js";

test("statistics: update ratio, dormant and saturated fractions, dead units, effective rank", () => {
  assert.ok(Math.abs(updateRatio([3, 4], [3, 4.05]) - 0.01) < 1e-12);
  assert.equal(dormantFraction([1, 1, 1, 0.01], 0.025), 0.25); // 0.01 / 0.7525 = 0.013 ≤ τ
  assert.equal(dormantFraction([1, 1, 1, 0.03], 0.025), 0);
  assert.equal(saturatedFraction([0.005, 0.5, 0.995, 0.3], "sigmoid"), 0.5);
  assert.equal(saturatedFraction([-0.99, 0.2, 0.97, 0.1], "tanh"), 0.25);
  assert.ok(Number.isNaN(saturatedFraction([1], "relu")));
  const active = new Uint8Array(3);
  const { inactive } = unitActivity([0, 1, 0, 0, 2, 0], 2, 3, active);
  assert.deepEqual([...active], [0, 1, 0]);
  assert.ok(Math.abs(inactive - 2 / 3) < 1e-12);
  assert.ok(Math.abs(centredEffectiveRank(Float32Array.of(1, 0, 0, 1, -1, 0, 0, -1), 4, 2) - 2) < 1e-9);
  assert.ok(
    Math.abs(centredEffectiveRank(Float32Array.of(1, 1, 2, 2, 3, 3, 4, 4), 4, 2) - 1) < 1e-5,
    "one direction",
  );
});

test("the series recorder keeps an evenly spaced, bounded picture of a long run", () => {
  const r = new SeriesRecorder(10, 8);
  for (let i = 1; i <= 100; i++) r.add({ step: i * 10, loss: 1, gradNorm: 1, layers: [] });
  const steps = r.result().points.map((p) => p.step);
  assert.ok(steps.length < 8 && steps.length >= 4, String(steps));
  const gaps = new Set(steps.slice(1).map((s, i) => s - steps[i]));
  assert.equal(gaps.size, 1, `even spacing: ${steps}`);
});

const mlp = (seed: number) =>
  new Sequential([new Dense(6, { activation: "relu" }), new Dense(2, { activation: "identity" })]).build(
    3,
    new Rng(seed),
  );

test("re-initialising units changes nothing the network computes at that moment, and revives them", () => {
  const m = mlp(1);
  const x = Tensor.from([
    [0.5, -1, 2],
    [1, 1, 1],
  ]);
  const w = (m.layers[0] as Dense).weight.data;
  w.fill(-1, 0, 6); // units 0 and 1: dead on these inputs once their bias is very negative
  (m.layers[0] as Dense).bias!.data.set([-5, -5], 0);
  const before = Array.from(m.forward(x).data);
  const control = {
    model: m,
    parameters: m.parameters(),
    getOptimizerState: () => null,
    setOptimizerState: () => {},
  } as unknown as TrainingControl;
  reinitUnits(control, 0, [0, 1], new Rng(3));
  assert.deepEqual(Array.from(m.forward(x).data), before, "outgoing weights are zero");
  assert.deepEqual(Array.from((m.layers[0] as Dense).bias!.data.slice(0, 2)), [0, 0]);
  assert.ok(
    w.slice(0, 6).some((v) => v !== -1),
    "fresh incoming weights",
  );
});

test("LSUV brings an over-scaled layer's pre-activations to unit spread", () => {
  const m = mlp(2);
  for (const [, t] of m.parameters()) for (let i = 0; i < t.size; i++) t.data[i] *= 30;
  const x = new Tensor(
    Float32Array.from({ length: 64 * 3 }, (_, i) => Math.sin(i)),
    [64, 3],
  );
  const done = lsuv(m, x);
  assert.deepEqual(
    done.map((d) => d.layer),
    ["0", "1"],
  );
  assert.deepEqual(lsuv(m, x), [], "idempotent");
});

test("snapshots: restore puts back weights and a deep copy of the optimiser state", () => {
  const m = mlp(3);
  let state: unknown = { step: 4, m: [Float32Array.of(1, 2)] };
  const params = m.parameters();
  const control = {
    model: m,
    parameters: params,
    step: 7,
    getOptimizerState: () => state,
    setOptimizerState: (s: unknown) => {
      state = s;
    },
  } as unknown as TrainingControl;
  const store = new SnapshotStore();
  store.take(control);
  const saved = Array.from(params[0][1].data);
  params[0][1].data.fill(9);
  (state as { m: Float32Array[] }).m[0][0] = 99;
  store.take(control); // the newer snapshot; rollback goes to the older one
  assert.equal(store.restore(control), 7);
  assert.deepEqual(Array.from(params[0][1].data), saved);
  assert.equal((state as { m: Float32Array[] }).m[0][0], 1);
});

test("snapshots: a rollback puts batch norm's running statistics back with the weights, bit for bit", () => {
  const m = new Sequential([new Dense(4), new BatchNorm({ momentum: 0.5 }), new Dense(2)]).build(
    3,
    new Rng(5),
  );
  const control = {
    model: m,
    parameters: m.parameters(),
    step: 3,
    getOptimizerState: () => ({}),
    setOptimizerState: () => {},
  } as unknown as TrainingControl;
  const buffers = () => m.buffers().map(([name, t]) => [name, Array.from(t.data)]);
  // Statistics that are not the fresh ones (0 and 1), so a restore that resets them would fail too.
  const batch = (seed: number) => {
    const r = new Rng(seed);
    return new Tensor(
      Float32Array.from({ length: 24 }, () => 2 + r.normal()),
      [8, 3],
    );
  };
  m.forward(batch(1), { training: true });
  const store = new SnapshotStore();
  store.take(control);
  const saved = buffers();
  m.forward(batch(2), { training: true }); // a training step moves the running mean and variance
  assert.notDeepEqual(buffers(), saved);
  store.take(control);
  assert.equal(store.restore(control), 3);
  assert.deepEqual(buffers(), saved);
  assert.deepEqual(
    saved.map(([name]) => name),
    ["1.runningMean", "1.runningVar"],
  );
});

/** Three separable blobs in 2-D. */
function blobs(n: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(4);
  const c = [
    [-2, 0],
    [2, 0],
    [0, 2.5],
  ];
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    x[2 * i] = c[i % 3][0] + 0.5 * rng.normal();
    x[2 * i + 1] = c[i % 3][1] + 0.5 * rng.normal();
    y[3 * i + (i % 3)] = 1;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n, 3]) };
}

test("bounded repairs: a run that keeps blowing up fails with the diagnosis after 3 repairs", () => {
  const m = new Sequential([
    new Dense(8, { activation: "tanh" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(2, new Rng(1));
  const health = healthMonitor({ repair: true, thresholds: { checkEvery: 5 } });
  // A learning rate of 1e4 with plain SGD blows up however many times it is cut by 10.
  const h = fit(m, blobs(300), {
    epochs: 20,
    batchSize: 10,
    optimizer: sgd({ lr: 1e12 }),
    loss: "crossEntropy",
    seed: 1,
    observers: [health],
  });
  const kinds = health.events.map((e) => e.kind);
  assert.ok(h.failed, `failed: ${kinds}`);
  assert.equal(kinds[kinds.length - 1], "failed");
  assert.ok(kinds.filter((k) => k === "rollback").length <= 10);
  assert.match(h.failed!, /beyond repair/);
});

test("without repair a NaN loss ends the run at once (TerminateOnNaN), and events print on one line", () => {
  const m = new Sequential([
    new Dense(8, { activation: "tanh" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(2, new Rng(1));
  const seen: string[] = [];
  const health = healthMonitor({ onEvent: (e) => seen.push(formatEvent(e)) });
  const data = blobs(60);
  data.x.data[7] = NaN;
  const h = fit(m, data, {
    epochs: 3,
    batchSize: 10,
    optimizer: adam({ lr: 1e-2 }),
    loss: "crossEntropy",
    seed: 1,
    observers: [health],
  });
  assert.ok(h.failed);
  assert.equal(health.events[0].kind, "nonFinite");
  assert.equal(health.events[0].evidence.nonFiniteInputs, 1);
  assert.ok(seen.every((l) => !l.includes("\n")) && seen[0].startsWith("health · step "), seen[0]);
});

test("deepCopyInto reuses the target's buffers and copies everything else", () => {
  const into = { m: [new Float32Array(2)], step: 0 };
  const keep = into.m[0];
  const out = deepCopyInto(into, { m: [Float32Array.of(1, 2)], step: 3 });
  assert.equal(out.m[0], keep);
  assert.deepEqual([Array.from(out.m[0]), out.step], [[1, 2], 3]);
  const fresh = deepCopyInto(into, { m: [Float32Array.of(1, 2, 3)] });
  assert.notEqual(fresh.m[0], keep);
});

test("the monitor's state travels in checkpoints: a resumed run repairs, reports and ends exactly as an uninterrupted one", () => {
  // A step far too large: rolled back and cut at step 4, and again at step 8.
  const make = () =>
    new Sequential([new Dense(16, { activation: "relu" }), new Dense(3, { activation: "softmax" })]).build(
      2,
      new Rng(3),
    );
  const opts = {
    epochs: 6,
    batchSize: 10,
    optimizer: sgd({ lr: 10, momentum: 0.9 }),
    loss: "crossEntropy" as const,
    seed: 2,
  };
  const monitor = () => healthMonitor({ repair: true, thresholds: { checkEvery: 4 }, seed: 7 });
  const data = blobs(200);
  const reference = make();
  const health = monitor();
  fit(reference, data, { ...opts, observers: [health] });
  assert.ok(
    health.events.some((e) => e.repaired),
    `repairs happened: ${health.events.map((e) => e.kind)}`,
  );
  const saved: { bytes: Uint8Array; step: number }[] = [];
  const saver = make();
  fit(saver, data, {
    ...opts,
    observers: [monitor()],
    checkpoint: {
      every: 3,
      save: (state) =>
        saved.push({
          step: state.step,
          bytes: encodeModel(saver, { checkpoint: state as unknown as Record<string, unknown> }),
        }),
    },
  });
  const firstRepair = health.events.find((e) => e.repaired)!.step;
  assert.ok(
    saved.some((s) => s.step > firstRepair) && saved.some((s) => s.step < firstRepair),
    "checkpoints before and after a repair",
  );
  for (const { bytes, step } of saved) {
    const loaded = decodeModel(bytes, "ckpt");
    const resumed = monitor();
    fit(loaded.model, data, {
      ...opts,
      observers: [resumed],
      resume: loaded.checkpoint as unknown as TrainingState,
    });
    assert.deepEqual(
      loaded.model.parameters().map(([, t]) => Array.from(t.data)),
      reference.parameters().map(([, t]) => Array.from(t.data)),
      `resumed at step ${step}`,
    );
    assert.deepEqual(resumed.events, health.events, `events after resuming at step ${step}`);
  }
});
