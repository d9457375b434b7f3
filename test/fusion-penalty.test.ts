import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { squaredDistance } from "../src/autograd/fused.js";
import * as op from "../src/autograd/ops.js";
import type { Backend } from "../src/backend/backend.js";
import { backend, jsBackend, registerBackend, useBackend } from "../src/backend/index.js";
import { l2Init } from "../src/homeostasis/index.js";
import { quadraticPenalty } from "../src/losses/penalties.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { threeBlobs } from "./helpers/models.js";

// Each backend with and without the squared-distance kernels: without them, autograd runs the
// composite's primitives (sub, mul, mul, sum), which is what quadraticPenalty built before fusion.
function withoutDistance(b: Backend, name: string): Backend {
  const { squaredDistance: _f, squaredDistanceBackward: _b, ...rest } = b;
  return { ...rest, name };
}
registerBackend(withoutDistance(jsBackend, "js-plain-distance"));
const wasm = on("js", () => {
  try {
    return useBackend("wasm", { threads: 1 });
  } catch {
    return null; // no WebAssembly SIMD here: the js pairs still run
  }
});
if (wasm) registerBackend(withoutDistance(wasm, "wasm-plain-distance"));
const PAIRS: [string, string][] = [["js", "js-plain-distance"]];
if (wasm) PAIRS.push(["wasm", "wasm-plain-distance"]);

/** Run `f` on the named backend (one thread), then restore the one that was active. */
function on<T>(name: string, f: () => T): T {
  const before = backend().name;
  useBackend(name, { threads: 1 });
  try {
    return f();
  } finally {
    useBackend(before, { threads: 1 });
  }
}

/** Normal values at scale `s`, float32. */
function randomData(n: number, rng: Rng, s = 1): Float32Array {
  return Float32Array.from({ length: n }, () => s * rng.normal());
}

function param(shape: number[], rng: Rng): Tensor {
  return new Tensor(
    randomData(
      shape.reduce((a, b) => a * b, 1),
      rng,
    ),
    shape,
    true,
  );
}

// Sizes on both sides of the wasm kernels' threshold (4,096 floats), odd tails, a scalar.
const SHAPES = [[], [1], [7], [3, 5], [64, 70], [4099]];

test("squaredDistance, fused, gives its primitives' bits: value and gradient, with and without weights", () => {
  const rng = new Rng(21);
  for (const [fused, plain] of PAIRS) {
    for (const shape of SHAPES) {
      for (const weighted of [false, true]) {
        const p = param(shape, rng);
        // Anchors near p (small differences, many exponents) and far from it; weights of either sign.
        const a = new Tensor(
          p.data.map((v, i) => (i % 3 === 0 ? v + 1e-3 * rng.normal() : rng.normal())),
          shape,
        );
        const w = weighted ? new Tensor(randomData(p.size, rng, 3), shape) : null;
        const seed = Math.fround(0.3 + rng.next());
        const loss = () => op.mul(squaredDistance(p, a, w), seed);
        const what = `${fused} ${JSON.stringify(shape)}${weighted ? " weighted" : ""}`;
        const yFused = on(fused, () => squaredDistance(p, a, w));
        const yPlain = on(plain, () => squaredDistance(p, a, w));
        assert.equal(yFused.node?.op, "squaredDistance", what);
        assert.equal(yPlain.node?.op, "sum", what);
        assert.deepEqual(yFused.data, yPlain.data, `${what}: value`);
        const [gFused] = on(fused, () => grad(loss(), [p]));
        const [gPlain] = on(plain, () => grad(loss(), [p]));
        assert.deepEqual(gFused!.data, gPlain!.data, `${what}: gradient`);
        // An independent reference for the gradient: 2·round(round(g·w)·round(p − a)), element by element.
        const want = p.data.map((v, i) => {
          const d = Math.fround(v - a.data[i]!);
          return 2 * Math.fround(Math.fround(seed * (w ? w.data[i]! : 1)) * d);
        });
        if (!weighted)
          for (let i = 0; i < want.length; i++)
            want[i] = 2 * Math.fround(seed * Math.fround(p.data[i]! - a.data[i]!));
        assert.deepEqual(gFused!.data, want, `${what}: gradient against the closed form`);
      }
    }
  }
});

test("squaredDistance runs its primitives where the anchor needs a gradient", () => {
  const rng = new Rng(3);
  const p = param([5], rng);
  const a = param([5], rng);
  const y = on("js", () => squaredDistance(p, a, null));
  assert.equal(y.node?.op, "sum");
  const [ga] = on("js", () => grad(y, [a]));
  assert.deepEqual(
    ga!.data,
    p.data.map((v, i) => -2 * Math.fround(v - a.data[i]!)),
  );
});

/**
 * A training step's loss as the training loop builds it: a data term through the parameters, then two
 * quadratic penalties on the same parameters (L2 towards one anchor, importance-weighted towards another).
 */
function stepLoss(
  params: [string, Tensor][],
  x: Tensor,
  anchors: Map<string, Float32Array>[],
  importance: Map<string, Float32Array>,
) {
  const [w1, b1] = [params[0]![1], params[1]![1]];
  const data = op.sum(op.mul(op.relu(op.add(op.matmul(x, w1, { transB: true }), b1)), 0.7));
  const l2 = quadraticPenalty(params, anchors[0]!, null, 0.01)!;
  const ewc = quadraticPenalty(params, anchors[1]!, importance, 3)!;
  return { data, l2, ewc, total: op.add(op.add(data, l2), ewc) };
}

test("two penalties on one parameter: fused, the gradient adds its parts in the primitives' order", () => {
  const rng = new Rng(8);
  const params: [string, Tensor][] = [
    ["0.weight", param([80, 60], rng)],
    ["0.bias", param([80], rng)],
  ];
  const x = new Tensor(randomData(3 * 60, rng), [3, 60]);
  const near = (t: Tensor) => t.data.map((v) => v + 0.01 * rng.normal()) as Float32Array;
  const anchors = [0, 1].map(() => new Map(params.map(([n, t]) => [n, near(t)])));
  const importance = new Map(params.map(([n, t]) => [n, randomData(t.size, rng, 50).map(Math.abs)]));
  const tensors = params.map(([, t]) => t);
  for (const [fused, plain] of PAIRS) {
    const gPlain = on(plain, () => grad(stepLoss(params, x, anchors, importance).total, tensors));
    // With the caller's buffers, as the training loop passes them (the first part is written there).
    const buffers = tensors.map((t) => new Float32Array(t.size));
    const gFused = on(fused, () =>
      grad(stepLoss(params, x, anchors, importance).total, tensors, undefined, buffers),
    );
    gFused.forEach((g, i) => assert.deepEqual(g.data, gPlain[i]!.data, `${fused} gradient ${i}`));
    const values = (name: string) => {
      const { data, l2, ewc } = on(name, () => stepLoss(params, x, anchors, importance));
      return [data.data[0], l2.data[0], ewc.data[0]];
    };
    assert.deepEqual(values(fused), values(plain), `${fused} values`);
    // The order itself, against each part's gradient alone: the last penalty's first, then the other,
    // then the data term, each sum rounded to float32.
    const part = (k: "data" | "l2" | "ewc") =>
      on(fused, () => grad(stepLoss(params, x, anchors, importance)[k], tensors)).map((g) => g.data);
    const [gd, g1, g2] = [part("data"), part("l2"), part("ewc")];
    gFused.forEach((g, i) => {
      const want = g2[i]!.map((v, j) => Math.fround(Math.fround(v + g1[i]![j]!) + gd[i]![j]!));
      assert.deepEqual(g.data, want, `${fused} gradient ${i} against its parts`);
      // Another order gives other bits somewhere: the check above can tell orders apart.
      if (i === 0) {
        const other = gd[i]!.map((v, j) => Math.fround(Math.fround(v + g1[i]![j]!) + g2[i]![j]!));
        assert.notDeepEqual(other, want);
      }
    });
  }
});

test("fit with L2-Init trains to the same weights with the fused penalty and with its primitives", () => {
  const data = threeBlobs(60, 3);
  const train = (name: string): Float32Array[] =>
    on(name, () => {
      const model = new Sequential([
        new Dense(70, { activation: "relu" }),
        new Dense(3, { activation: "softmax" }),
      ]).build(60, new Rng(11));
      const x = new Tensor(new Float32Array(60 * 60), [60, 60]);
      for (let i = 0; i < 60; i++) x.data.set(data.x.data.subarray(i * 2, i * 2 + 2), i * 60);
      fit(
        model,
        { x, y: data.y },
        {
          epochs: 3,
          batchSize: 7,
          optimizer: sgd({ lr: 0.05 }),
          loss: "crossEntropy",
          seed: 4,
          observers: [l2Init({ lambda: 0.1 })],
        },
      );
      return model.parameters().map(([, p]) => p.data as Float32Array);
    });
  for (const [fused, plain] of PAIRS) {
    const a = train(fused);
    const b = train(plain);
    a.forEach((p, i) => assert.deepEqual(p, b[i], `${fused} parameter ${i}`));
  }
});
