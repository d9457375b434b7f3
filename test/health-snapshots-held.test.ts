/**
 * Rollback snapshots, end to end: every snapshot the monitor holds is the model and optimiser state of its
 * step, from the step it is taken until it is dropped, whatever checks, repairs and rollbacks come between
 * (its buffers are reused, so a snapshot written into one still held would show here). The reference is a
 * plain copy taken by an observer after the monitor, on each backend.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useBackend } from "../src/backend/index.js";
import { healthMonitor } from "../src/health/index.js";
import type { Snapshot, SnapshotState } from "../src/health/repairs.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { deepCopy } from "../src/tensor/plain.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer, TrainingControl } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

interface Expected {
  weights: Float32Array[];
  optimizerState: unknown;
}

const now = (control: TrainingControl): Expected => ({
  weights: control.parameters.map(([, t]) => (t.data as Float32Array).slice()),
  optimizerState: deepCopy(control.getOptimizerState()),
});

/** Plain arrays (a resident one is a view of shared memory, which deepEqual tells apart). */
const plain = (s: Snapshot): Expected => ({
  weights: s.weights.map((w) => w.slice()),
  optimizerState: deepCopy(s.optimizerState),
});

/** Train 64-128-4 (8,192 weights: the wasm kernels' size) with Adam at `lr`, checking every 5 steps. */
function run(lr: number): { events: string[]; snapshotsSeen: number } {
  const rng = new Rng(7);
  const n = 480;
  const x = Float32Array.from({ length: n * 64 }, () => rng.normal());
  const y = new Float32Array(n * 4);
  for (let r = 0; r < n; r++) y[r * 4 + (x[r * 64]! > 0 ? 1 : 0) + (x[r * 64 + 1]! > 0 ? 2 : 0)] = 1;
  const model = new Sequential([
    new Dense(128, { activation: "relu" }),
    new Dense(4, { activation: "softmax" }),
  ]).build(64, new Rng(1));
  const health = healthMonitor({ repair: true, seed: 1, thresholds: { checkEvery: 5 } });
  const expected = new Map<number, Expected>();
  const held = () => (health.getState!() as { snapshots: SnapshotState }).snapshots;
  const verify = (control: TrainingControl) => {
    for (const snap of [held().older, held().newer]) {
      if (!snap) continue;
      if (!expected.has(snap.step)) expected.set(snap.step, now(control)); // taken at this very step
      assert.deepEqual(
        plain(snap),
        expected.get(snap.step),
        `the snapshot of step ${snap.step} at step ${control.step}`,
      );
    }
  };
  const after: Observer = {
    wantsGradients: () => false,
    onTrainBegin: verify,
    onBatchEnd: (_e, c) => verify(c),
  };
  fit(
    model,
    { x: new Tensor(x, [n, 64]), y: new Tensor(y, [n, 4]) },
    {
      epochs: 4,
      batchSize: 16,
      optimizer: adam({ lr }),
      loss: "crossEntropy",
      seed: 1,
      observers: [health, after],
    },
  );
  return { events: health.events.map((e) => e.kind), snapshotsSeen: expected.size };
}

for (const name of ["js", "wasm"] as const) {
  test(`${name}: each held snapshot is its step's weights and Adam state, through checks and rollbacks`, () => {
    useBackend(name, { threads: 1 });
    try {
      const healthy = run(1e-3);
      assert.ok(!healthy.events.includes("rollback"), healthy.events.join(", "));
      assert.ok(healthy.snapshotsSeen > 10, `${healthy.snapshotsSeen} snapshots`);
      const repaired = run(0.5);
      assert.ok(repaired.events.includes("rollback"), repaired.events.join(", "));
      assert.ok(repaired.snapshotsSeen > 5, `${repaired.snapshotsSeen} snapshots`);
    } finally {
      useBackend("js");
    }
  });
}
