import assert from "node:assert/strict";
import { test } from "node:test";
import { backend, useBackend } from "../src/backend/index.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { Learner } from "../src/learner/index.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { residentState } from "../src/optim/transform.js";
import { deepCopy } from "../src/tensor/plain.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

/**
 * Optimiser state that continues a run (a checkpoint, a learner's saved state, a rollback's snapshot)
 * arrives as plain arrays. On the wasm backend it must go back into the kernels' own memory, as `init`
 * puts it: else every later step copies the moments in and out, and Adam's fused step and its split
 * across threads decline (a restored learner ran ~25% slower than the one it was saved from).
 */
const skip = createWasmBackend() ? false : "no WebAssembly SIMD here";

/** Every Float32Array in `state` of at least `min` floats. */
function arrays(state: unknown, min = 1024): Float32Array[] {
  if (state instanceof Float32Array) return state.length >= min ? [state] : [];
  if (Array.isArray(state)) return state.flatMap((s) => arrays(s, min));
  if (state && typeof state === "object") return Object.values(state).flatMap((s) => arrays(s, min));
  return [];
}

const digitsLike = (rng: Rng, n: number) =>
  Array.from({ length: n }, () => ({
    x: Array.from({ length: 64 }, () => rng.next()),
    y: rng.int(3),
  }));

test("residentState copies plain arrays into the backend's memory and keeps resident ones", { skip }, () => {
  useBackend("wasm", { threads: 1 });
  try {
    const kernels = backend();
    const kept = kernels.alloc!(2048)!;
    const plain = Float32Array.from({ length: 2048 }, (_, i) => i / 7);
    const small = new Float32Array([1, 2, 3]);
    const state = { step: 5, mu: [plain, kept], small };
    const moved = residentState(state);
    assert.equal(moved.step, 5);
    assert.ok(kernels.holds!(moved.mu[0]!), "the plain moment is in the backend's memory");
    assert.notEqual(moved.mu[0], plain);
    assert.deepEqual(moved.mu[0], plain, "same values");
    assert.equal(moved.mu[1], kept, "a resident array is kept, not copied");
    assert.equal(moved.small, small, "an array the backend declines stays as it is");
    assert.equal(state.mu[0], plain, "the given state is not changed");
    const inPlace = { step: 1, mu: [kept] };
    assert.equal(residentState(inPlace), inPlace, "a state already in place comes back as it is");
  } finally {
    useBackend("js");
  }
});

test("residentState leaves state as it is on a backend without memory of its own", () => {
  useBackend("js");
  const state = { mu: [new Float32Array(4096)] };
  assert.equal(residentState(state), state);
});

test("a learner restored from its state keeps its optimiser state in the backend's memory", { skip }, () => {
  useBackend("wasm", { threads: 1 });
  try {
    const rows = digitsLike(new Rng(3), 12);
    const learner = Learner.create({ task: "classification", inputs: 64, hidden: [32], seed: 1 });
    for (const r of rows.slice(0, 6)) learner.observe(r.x, r.y);
    const restored = Learner.fromState(learner.getState());
    for (const r of rows.slice(6)) {
      learner.observe(r.x, r.y);
      restored.observe(r.x, r.y);
    }
    const moments = arrays(restored.optimizerState);
    assert.ok(moments.length >= 2, "the 64×32 layer's moments");
    for (const m of moments) assert.ok(backend().holds!(m), "each moment in the backend's memory");
    // And it continued exactly.
    assert.deepEqual(arrays(restored.optimizerState), arrays(learner.optimizerState));
    const w = (l: Learner) => l.network!.parameters().map(([, t]) => t.data);
    assert.deepEqual(w(restored), w(learner));
  } finally {
    useBackend("js");
  }
});

test("fit resumed from plain optimiser state, and a rollback's state, train in the backend's memory", {
  skip,
}, () => {
  useBackend("wasm", { threads: 1 });
  try {
    const rng = new Rng(5);
    const model = new Sequential([
      new Dense(32, { activation: "relu" }),
      new Dense(3, { activation: "softmax" }),
    ]).build(64, rng);
    const x = new Tensor(
      Float32Array.from({ length: 16 * 64 }, () => rng.next()),
      [16, 64],
    );
    const y = new Tensor(
      Float32Array.from({ length: 16 * 3 }, (_, i) => (i % 3 === (i / 3) % 3 ? 1 : 0)),
      [16, 3],
    );
    const optimizer = adam({ lr: 1e-3 });
    const first = fit(model, { x, y }, { epochs: 1, batchSize: 8, optimizer, loss: crossEntropy });
    const saved = deepCopy(first.optimizerState); // as read back from a file: plain arrays
    for (const m of arrays(saved)) assert.equal(backend().holds!(m), false);
    let seen: unknown = null;
    let plainSet = false;
    const reader: Observer = {
      onBatchEnd(_e, control) {
        if (!plainSet) {
          control.setOptimizerState(deepCopy(control.getOptimizerState()));
          plainSet = true;
        }
        seen = control.getOptimizerState();
      },
    };
    const second = fit(
      model,
      { x, y },
      {
        epochs: 1,
        batchSize: 8,
        optimizer,
        loss: crossEntropy,
        optimizerState: saved,
        observers: [reader],
      },
    );
    for (const m of arrays(second.optimizerState)) assert.ok(backend().holds!(m), "resumed state resident");
    for (const m of arrays(seen)) assert.ok(backend().holds!(m), "state set by an observer resident");
  } finally {
    useBackend("js");
  }
});
