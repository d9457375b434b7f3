import assert from "node:assert/strict";
import { test } from "node:test";
import { backend, useBackend } from "../src/backend/index.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { CTL, type Job, readJob, writeJob } from "../src/backend/wasm/jobs.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";

/**
 * The fused weight-gradient-and-Adam step (kernels/adam.ts's `adamOuter`) must give, bit for bit, what
 * the unfused path gives: the product dzᵀ·x into u (the packed product's bits), then `adamApply`. Held
 * here on 1, 2 and 3 rows, inputs that are whole 8-float blocks and inputs that are not (the flat
 * index then crosses units inside a block), signed zeros in the factors, and bias corrections below 1
 * and rounded to 1. Then a training run: the same weights whether the optimiser fused the products or
 * an observer that reads the gradients made them computed first.
 */
const wasm = createWasmBackend();
const skip = wasm ? false : "no WebAssembly SIMD here";
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** Random floats, some of them +0 or −0 (a zero's sign survives a product and reaches Adam's moments). */
function random(rng: Rng, n: number, lo = -1): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rng.next();
    return r < 0.1 ? 0 : r < 0.2 ? -0 : rng.uniform(lo, 1);
  });
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

test("wasm adamOuter: the bits of the product dzᵀ·x then adamApply, 1–3 rows, odd sizes", { skip }, () => {
  const rng = new Rng(17);
  for (const [units, inputs] of [
    [16, 784],
    [256, 24],
    [37, 129],
    [1025, 5],
    [4099, 1],
    [3, 1400],
  ] as const) {
    for (const rows of [1, 2, 3]) {
      // 5: both corrections below 1; 170: c1 is 1 in float32; 20,000: both are.
      for (const t of [5, 170, 20_000]) {
        const n = units * inputs;
        const dz = random(rng, rows * units);
        const x = random(rng, rows * inputs, 0);
        const mu = random(rng, n);
        const nu = Float32Array.from(random(rng, n), (v) => v * v);
        const p = random(rng, n);
        const c = [BETA1, BETA2, EPS, 1 - BETA1 ** t, Math.sqrt(1 - BETA2 ** t)] as const;
        const [mu1, nu1, p1, u] = [mu.slice(), nu.slice(), p.slice(), new Float32Array(n)];
        wasm!.matmul(dz, x, u, units, inputs, rows, true, false);
        wasm!.adamApply!(u, mu1, nu1, ...c, p1, -1e-3);
        const [mu2, nu2, p2] = [mu.slice(), nu.slice(), p.slice()];
        const fused = wasm!.adamOuter!(dz, x, rows, units, inputs, mu2, nu2, ...c, p2, -1e-3);
        assert.equal(fused, true, `${rows}×${units}×${inputs}: declined`);
        const at = `${rows} rows, ${units} units × ${inputs} inputs, step ${t}`;
        assert.deepEqual(bits(mu2), bits(mu1), `${at}: first moment`);
        assert.deepEqual(bits(nu2), bits(nu1), `${at}: second moment`);
        assert.deepEqual(bits(p2), bits(p1), `${at}: parameters`);
      }
    }
  }
});

test("wasm adamOuter declines what it does not fuse, leaving every array as it was", { skip }, () => {
  const rng = new Rng(3);
  const c = [BETA1, BETA2, EPS, 0.1, 0.05] as const;
  // 4 rows (past a learner's row and its replayed ones); 1,000 weights (js's arithmetic below 4,096).
  for (const [rows, units, inputs] of [
    [4, 64, 64],
    [2, 10, 100],
  ] as const) {
    const n = units * inputs;
    const [mu, nu, p] = [random(rng, n), random(rng, n, 0), random(rng, n)];
    const [mu0, nu0, p0] = [mu.slice(), nu.slice(), p.slice()];
    const dz = random(rng, rows * units);
    const x = random(rng, rows * inputs);
    assert.equal(wasm!.adamOuter!(dz, x, rows, units, inputs, mu, nu, ...c, p, -1e-3), false);
    assert.deepEqual([bits(mu), bits(nu), bits(p)], [bits(mu0), bits(nu0), bits(p0)]);
  }
});

test("an adamOuter job travels through the control words exactly", () => {
  const ctl = new Int32Array(CTL.size);
  const job: Job = {
    kind: "adamOuter",
    ...{ dz: 64, x: 128, rows: 3, units: 257, inputs: 784, mu: 1024, nu: 2048, p: 4096 },
    ...{ chunks: 5, chunkUnits: 52 },
    constants: [0.9, 0.999, 1e-8, 1 - 0.9 ** 157, Math.sqrt(1 - 0.999 ** 20_000), -1e-3],
  };
  writeJob(ctl, job);
  assert.deepEqual(readJob(ctl), job);
});

test("wasm adamOuter on two threads (chunks of units) gives one thread's bits", { skip }, (t) => {
  const w = createWasmBackend()!;
  if (w.setThreads(2) !== 2) {
    t.skip("two threads refused: no shared memory or worker_threads");
    return;
  }
  const rng = new Rng(23);
  const c = [BETA1, BETA2, EPS, 1 - BETA1 ** 9, Math.sqrt(1 - BETA2 ** 9)] as const;
  // Above Adam's split size: units that split evenly and not, 1 to 3 rows.
  for (const [units, inputs] of [
    [256, 784],
    [257, 128],
  ] as const) {
    for (const rows of [1, 2, 3]) {
      const n = units * inputs;
      const dz = random(rng, rows * units);
      const x = random(rng, rows * inputs, 0);
      const src = [random(rng, n), Float32Array.from(random(rng, n), (v) => v * v), random(rng, n)];
      const results = [2, 1].map((threads) => {
        assert.equal(w.setThreads(threads), threads);
        const [mu, nu, p] = src.map((a) => {
          const r = w.alloc!(a.length)!; // resident, as a model's are: the split needs them so
          r.set(a);
          return r;
        });
        assert.equal(w.adamOuter!(dz, x, rows, units, inputs, mu!, nu!, ...c, p!, -1e-3), true);
        return [mu!, nu!, p!].map((a) => bits(a.slice()));
      });
      assert.deepEqual(results[0], results[1], `${rows} rows, ${units}×${inputs}`);
    }
  }
  w.setThreads(1);
});

/** Weights after 30 Adam steps on batches of 2 rows; `reader` decides whether gradients are read. */
function trained(reader: Observer): { weights: Float32Array[]; fusedCalls: number } {
  const kernels = backend();
  const original = kernels.adamOuter!;
  let fusedCalls = 0;
  kernels.adamOuter = (...args) => {
    const done = original(...args);
    if (done) fusedCalls++;
    return done;
  };
  try {
    const rng = new Rng(8);
    const model = new Sequential([
      new Dense(72, { activation: "relu" }),
      new Dense(64, { activation: "softmax" }),
    ]).build(100, rng);
    const x = new Tensor(random(rng, 60 * 100), [60, 100]);
    const labels = Float32Array.from({ length: 60 * 64 }, (_, i) => (i % 64 === (i >> 6) % 64 ? 1 : 0));
    const y = new Tensor(labels, [60, 64]);
    fit(
      model,
      { x, y },
      {
        epochs: 1,
        batchSize: 2,
        optimizer: adam({ lr: 0.01 }),
        loss: crossEntropy,
        seed: 4,
        observers: [reader],
      },
    );
    return { weights: model.parameters().map(([, t]) => (t.data as Float32Array).slice()), fusedCalls };
  } finally {
    kernels.adamOuter = original;
  }
}

test("training with the fused step gives the weights of the unfused one, bit for bit", { skip }, () => {
  useBackend("wasm", { threads: 1 });
  try {
    const quiet = { wantsGradients: () => false, onGradients: () => {} };
    const fused = trained({ ...quiet, readsGradients: () => false });
    const unfused = trained(quiet); // its onGradients reads them: it does not say otherwise
    // Both dense layers' weights (72×100 and 64×72) are fused on each of the 30 steps.
    assert.equal(fused.fusedCalls, 60);
    assert.equal(unfused.fusedCalls, 0);
    fused.weights.forEach((w, i) => assert.deepEqual(bits(w), bits(unfused.weights[i]!), `parameter ${i}`));
  } finally {
    useBackend("js");
  }
});
