/**
 * Layer normalisation fused (one call each way, js/norm.ts, on js and on wasm) against its composite of
 * primitives (mean, sub, square, sqrt, div, mul, add and their gradient rules, run on the same backend
 * without the `layerNorm` pair): the same bits for the value and every gradient, over rank-2 and rank-4
 * inputs, with and without gain and bias, inputs that do and do not need a gradient, rows of very
 * different scales; and a hand-worked row.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { layerNorm } from "../src/autograd/functional.js";
import * as op from "../src/autograd/ops.js";
import { backend, backendNames, registerBackend, useBackend } from "../src/backend/index.js";
import { LayerNorm } from "../src/nn/layers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

const names = backendNames().filter((n) => n === "js" || n === "wasm");
for (const name of names) {
  useBackend(name);
  registerBackend({
    ...backend(),
    name: `${name}-ln-composite`,
    layerNorm: undefined,
    layerNormBackward: undefined,
  });
}
useBackend("js");

/** Random values, each row on its own scale and offset (so the row statistics differ a lot). */
function filled(shape: number[], rng: Rng, rowScale: (r: number) => number): Tensor {
  const t = Tensor.zeros(shape, "float32");
  const c = shape[shape.length - 1]!;
  for (let i = 0; i < t.size; i++) {
    const r = Math.floor(i / c);
    t.data[i] = rowScale(r) * (rng.normal() + (r % 3) - 1);
  }
  t.requiresGrad = true;
  return t;
}

function run(name: string, x: Tensor, w: Tensor | null, b: Tensor | null, r: Tensor, eps: number) {
  useBackend(name);
  try {
    const y = layerNorm(x, w, b, eps);
    // A loss whose gradient differs per element: Σ r·y² (so the gradient reaching y is 2·r·y).
    const wrt = [x, w, b].filter((t): t is Tensor => t?.requiresGrad === true);
    const gs = grad(op.sum(op.mul(op.mul(y, y), r)), wrt);
    return { y, op: y.node?.op, grads: gs };
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
  test(`fused layerNorm on ${name} gives the composite's bits: value and every gradient`, () => {
    const rng = new Rng(43);
    let checked = 0;
    for (const shape of [
      [6, 5],
      [2, 64],
      [4, 7, 6, 3],
      [1, 1],
      [3, 257],
    ])
      for (const affine of ["both", "weight", "bias", "none"])
        for (const xGrad of [true, false])
          for (const eps of [1e-5, 0.3]) {
            const c = shape[shape.length - 1]!;
            const x = filled(shape, rng, (row) => 10 ** ((row % 5) - 2));
            x.requiresGrad = xGrad;
            const w = affine === "both" || affine === "weight" ? filled([c], rng, () => 1) : null;
            const b = affine === "both" || affine === "bias" ? filled([c], rng, () => 1) : null;
            const r = filled(shape, rng, () => 1);
            r.requiresGrad = false;
            const what = `${name} ${JSON.stringify(shape)} ${affine} xGrad=${xGrad} eps=${eps}`;
            const fused = run(name, x, w, b, r, eps);
            const ref = run(`${name}-ln-composite`, x, w, b, r, eps);
            if (xGrad || w || b) {
              assert.equal(fused.op, "layerNorm", what);
              assert.notEqual(ref.op, "layerNorm", what);
            }
            assert.deepEqual(fused.y.shape, ref.y.shape);
            assertSameBits(fused.y.data, ref.y.data, `${what} value`);
            assert.equal(fused.grads.length, ref.grads.length);
            fused.grads.forEach((gf, i) => {
              assert.deepEqual(gf.shape, ref.grads[i]!.shape);
              assertSameBits(gf.data, ref.grads[i]!.data, `${what} gradient ${i}`);
            });
            checked++;
          }
    assert.equal(checked, 80);
  });

test("fused layerNorm: a hand-worked row (1, 2, 3, 6), eps 0, and the layer's gradients", () => {
  // mean 3, variance (4 + 1 + 0 + 9)/4 = 3.5, so y = (x − 3)/√3.5; with gain 2 and bias 1: 2y + 1.
  const x = new Tensor(Float32Array.of(1, 2, 3, 6), [1, 4]);
  const w = new Tensor(Float32Array.of(2, 2, 2, 2), [4]);
  const b = new Tensor(Float32Array.of(1, 1, 1, 1), [4]);
  for (const t of [x, w, b]) t.requiresGrad = true;
  const y = layerNorm(x, w, b, 0);
  assert.equal(y.node?.op, "layerNorm");
  const s = Math.sqrt(3.5);
  [-2, -1, 0, 3].forEach((d, i) => assert.ok(Math.abs(y.data[i]! - (2 * d) / s - 1) < 1e-6));
  // d/dx of Σ y is 0 (a normalised row sums to a constant); d/dw = ŷ, d/db = 1.
  const [dx, dw, db] = grad(op.sum(layerNorm(x, w, b, 0)), [x, w, b]);
  for (const v of dx.data) assert.ok(Math.abs(v) < 1e-6);
  [-2, -1, 0, 3].forEach((d, i) => assert.ok(Math.abs(dw.data[i]! - d / s) < 1e-6));
  assert.deepEqual(Array.from(db.data), [1, 1, 1, 1]);
  // The layer runs the fused op.
  const layer = new LayerNorm();
  layer.build(4, new Rng(0), "float32");
  assert.equal(layer.forward(x).node?.op, "layerNorm");
});
