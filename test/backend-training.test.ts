import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { backendNames, useBackend } from "../src/backend/index.js";
import { loadBundledMnist } from "../src/data/mnist.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { evaluate } from "../src/train/evaluate.js";
import { fit } from "../src/train/fit.js";

/**
 * Training end to end on each backend: the same model, data and seed must reach the same accuracy.
 * Kernels differ in summation order (the wasm product sums in float32 across SIMD lanes and blocks),
 * so weights drift apart by rounding, but not by anything that changes what the model learns.
 */
function trainOn(name: string): { accuracy: number; loss: number } {
  useBackend(name, { threads: 2 });
  try {
    const { train, test: held } = loadBundledMnist();
    const n = 2000;
    const data = {
      x: new Tensor(train.x.slice(0, n * 784), [n, 784]),
      y: new Tensor(train.y.slice(0, n * 10), [n, 10]),
    };
    const testSet = {
      x: new Tensor(held.x.slice(0, 500 * 784), [500, 784]),
      y: new Tensor(held.y.slice(0, 500 * 10), [500, 10]),
    };
    const model = new Sequential([
      new Dense(64, { activation: "relu" }),
      new Dense(10, { activation: "softmax" }),
    ]).build(784, new Rng(3));
    fit(model, data, {
      epochs: 3,
      batchSize: 32,
      optimizer: adam({ lr: 0.002 }),
      loss: crossEntropy,
      seed: 4,
    });
    const r = evaluate(model, testSet, { loss: crossEntropy, metrics: ["accuracy"] });
    return { accuracy: r.accuracy!, loss: r.loss };
  } finally {
    useBackend("js");
  }
}

test("training an MNIST MLP on each backend reaches the js backend's accuracy", (t) => {
  const reference = trainOn("js");
  assert.ok(reference.accuracy > 0.85, `js accuracy ${reference.accuracy}`);
  const others = backendNames().filter((b) => b !== "js");
  // backend.test.ts fails where Node has no wasm backend; here, say that nothing was compared.
  if (others.length === 0) t.skip("only the js backend is registered here: nothing to compare it with");
  for (const name of others) {
    const r = trainOn(name);
    // 500 test digits: one point of accuracy is five digits, well above what rounding moves.
    assert.ok(
      Math.abs(r.accuracy - reference.accuracy) <= 0.01,
      `${name} accuracy ${r.accuracy} vs js ${reference.accuracy}`,
    );
    assert.ok(
      Math.abs(r.loss - reference.loss) <= 0.02 * reference.loss,
      `${name} test loss ${r.loss} vs js ${reference.loss}`,
    );
  }
});

test("useBackend resolves auto to wasm where it loads, and names the choices when the name is unknown", () => {
  try {
    assert.equal(useBackend("auto").name, backendNames().includes("wasm") ? "wasm" : "js");
    assert.throws(() => useBackend("gpu"), /unknown backend "gpu"; available: auto, js/);
    assert.throws(() => useBackend("auto", { threads: 0 }), /threads: expected a positive integer/);
  } finally {
    useBackend("js");
  }
});

test("where the kernels cannot be read at import (a browser), loadWasmBackend fetches them and registers wasm", () => {
  // A child process without process.getBuiltinModule sees neither the file system nor worker_threads,
  // as a page does; it is handed the bytes through the fetch hook instead.
  const index = new URL("../src/backend/index.js", import.meta.url).href;
  const script = `
    const { readFileSync } = await import("node:fs");
    delete process.getBuiltinModule;
    const be = await import(${JSON.stringify(index)});
    const before = be.backendNames().join(",");
    const ok = await be.loadWasmBackend(async (name) => new Uint8Array(readFileSync(new URL("./wasm/" + name + ".wasm", ${JSON.stringify(index)}))));
    const w = be.useBackend("wasm", { threads: 2 });
    const out = new Float32Array(4);
    w.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), out, 2, 2, 2, false, false);
    console.log(JSON.stringify({ before, ok, after: be.backendNames().join(","), out: [...out], threads: w.info().threads, why: w.info().threadsReason }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  // Two threads asked for, one had: this runtime has neither worker_threads nor Web Workers, and says so.
  assert.deepEqual(got, {
    before: "js",
    ok: true,
    after: "js,wasm",
    out: [19, 22, 43, 50],
    threads: 1,
    why: "no worker threads in this runtime",
  });
});
