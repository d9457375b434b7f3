/**
 * Batch normalisation fused (one kernel each way, js/norm.ts, on js and on wasm) against its composite
 * of primitives (mean, sub, square, sqrt, div, mul, add and their gradient rules, run on the same
 * backend without the `batchNorm` pair): the same bits for the value, the batch statistics and every
 * gradient, over rank-2 and rank-4 inputs, with and without gain and bias, inputs that do and do not
 * need a gradient, and values of very different scales per feature (float32: float64 runs the composite).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { batchNorm } from "../src/autograd/composites.js";
import * as op from "../src/autograd/ops.js";
import { backend, backendNames, registerBackend, useBackend } from "../src/backend/index.js";
import { Rng } from "../src/tensor/rng.js";
import { type DType, Tensor } from "../src/tensor/tensor.js";

const names = backendNames().filter((n) => n === "js" || n === "wasm");
for (const name of names) {
  useBackend(name);
  registerBackend({
    ...backend(),
    name: `${name}-composite`,
    batchNorm: undefined,
    batchNormBackward: undefined,
  });
}
useBackend("js");

function filled(shape: number[], dtype: DType, rng: Rng, scale: (j: number) => number): Tensor {
  const t = Tensor.zeros(shape, dtype);
  const c = shape[shape.length - 1]!;
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale(i % c) + (i % c) - 2;
  t.requiresGrad = true;
  return t;
}

function run(name: string, x: Tensor, w: Tensor | null, b: Tensor | null, r: Tensor) {
  useBackend(name);
  try {
    const { y, mean, variance } = batchNorm(x, w, b, 1e-3);
    // A loss whose gradient differs per element: Σ r·y² (so the gradient reaching y is 2·r·y).
    const wrt = [x, w, b].filter((t): t is Tensor => t?.requiresGrad === true);
    const gs = grad(op.sum(op.mul(op.mul(y, y), r)), wrt);
    return { y, op: y.node?.op, stats: [mean, variance], grads: gs };
  } finally {
    useBackend("js");
  }
}

function assertSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

for (const name of names)
  test(`fused batchNorm on ${name} gives the composite's bits: value, statistics, every gradient`, () => {
    const rng = new Rng(41);
    let checked = 0;
    for (const shape of [
      [6, 5],
      [4, 7, 6, 3],
      [32, 8, 8, 16],
      [1, 3, 3, 2],
      // Features in fours with a tail of one (13) and of three (11).
      [9, 13],
      [3, 5, 11],
    ])
      for (const dtype of ["float32"] as const)
        for (const affine of ["both", "weight", "bias", "none"])
          for (const xGrad of [true, false]) {
            const c = shape[shape.length - 1]!;
            const x = filled(shape, dtype, rng, (j) => 10 ** (j % 4) / 30);
            x.requiresGrad = xGrad;
            const w = affine === "both" || affine === "weight" ? filled([c], dtype, rng, () => 1) : null;
            const b = affine === "both" || affine === "bias" ? filled([c], dtype, rng, () => 1) : null;
            const r = filled(shape, dtype, rng, () => 1);
            r.requiresGrad = false;
            const what = `${name} ${JSON.stringify(shape)} ${dtype} ${affine} xGrad=${xGrad}`;
            const fused = run(name, x, w, b, r);
            const ref = run(`${name}-composite`, x, w, b, r);
            if (xGrad || w || b) {
              assert.equal(fused.op, "batchNorm", what);
              assert.notEqual(ref.op, "batchNorm", what);
            }
            assert.deepEqual(fused.y.shape, ref.y.shape);
            assertSameBits(fused.y.data, ref.y.data, `${what} value`);
            fused.stats.forEach((s, i) => {
              assert.deepEqual(s.shape, ref.stats[i]!.shape);
              assertSameBits(s.data, ref.stats[i]!.data, `${what} statistic ${i}`);
            });
            assert.equal(fused.grads.length, ref.grads.length);
            fused.grads.forEach((gf, i) =>
              assertSameBits(gf.data, ref.grads[i]!.data, `${what} gradient ${i}`),
            );
            checked++;
          }
    assert.equal(checked, 48);
  });

test("fused batchNorm: a hand-worked column (1, 2, 3, 6), eps 0", () => {
  // mean 3, variance (4 + 1 + 0 + 9)/4 = 3.5, so y = (x − 3)/√3.5; with gain 2 and bias 1: 2y + 1.
  const x = new Tensor(Float32Array.of(1, 2, 3, 6), [4, 1]);
  const w = new Tensor(Float32Array.of(2), [1]);
  const b = new Tensor(Float32Array.of(1), [1]);
  for (const t of [x, w, b]) t.requiresGrad = true;
  const { y, mean, variance } = batchNorm(x, w, b, 0);
  assert.equal(y.node?.op, "batchNorm");
  assert.deepEqual(Array.from(mean.data), [3]);
  assert.deepEqual(Array.from(variance.data), [3.5]);
  const s = Math.sqrt(3.5);
  [-2, -1, 0, 3].forEach((d, i) => assert.ok(Math.abs(y.data[i]! - (2 * d) / s - 1) < 1e-6));
  // d/dx of Σ y is 0 (a normalised column sums to a constant); d/dw = Σ ŷ = 0, d/db = 4.
  const [dx, dw, db] = grad(op.sum(batchNorm(x, w, b, 0).y), [x, w, b]);
  for (const v of dx.data) assert.ok(Math.abs(v) < 1e-6);
  assert.ok(Math.abs(dw.data[0]!) < 1e-6);
  assert.equal(db.data[0], 4);
});
