/**
 * Max pooling fused (one kernel each way, js/pool.ts) against its composite of primitives (im2col, max
 * and their gradient rules, run on a backend without the `maxPool` kernels): the same bits forward and
 * backward, in float32 and float64, over strides, dilations, both paddings, ties (small integers),
 * −∞ and NaN inputs. Finite-difference checks of the op are in conv-autograd.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { maxPool2d, type WindowOptions, windowGeometry } from "../src/autograd/conv.js";
import * as op from "../src/autograd/ops.js";
import { backendNames, registerBackend, useBackend } from "../src/backend/index.js";
import { jsBackend } from "../src/backend/js/index.js";
import { Rng } from "../src/tensor/rng.js";
import { type DType, Tensor } from "../src/tensor/tensor.js";

registerBackend({ ...jsBackend, name: "js-unfused", maxPool: undefined, maxPoolBackward: undefined });

const WINDOWS: WindowOptions[] = [
  { kernel: [2, 2], stride: [2, 2] },
  { kernel: [3, 3], stride: [2, 2], padding: "same" },
  { kernel: [3, 2], stride: [1, 2], dilation: [2, 1], padding: "same" },
  { kernel: [2, 3], padding: "valid" },
];

/** Values from a few integers (many ties in a window), with −∞ and NaN when `specials`. */
function input(shape: number[], dtype: DType, rng: Rng, specials: boolean): Tensor {
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.size; i++) {
    const u = rng.next();
    t.data[i] =
      specials && u < 0.03 ? Number.NaN : specials && u < 0.08 ? -Infinity : Math.floor(rng.uniform(-3, 3));
  }
  // Channel 0 of the last sample all −∞: windows whose maximum ties with their padding taps.
  if (specials) for (let i = t.size - t.size / shape[0]; i < t.size; i += shape[3]) t.data[i] = -Infinity;
  t.requiresGrad = true;
  return t;
}

/** The pooled values and the input gradient for an incoming gradient r, on the named backend. */
function run(backendName: string, x: Tensor, w: WindowOptions, r: Tensor): [Tensor, Tensor] {
  useBackend(backendName);
  try {
    const y = maxPool2d(x, windowGeometry(x.shape, w));
    const [dx] = grad(op.sum(op.mul(y, r)), [x]);
    return [y, dx];
  } finally {
    useBackend("js");
  }
}

for (const dtype of ["float32", "float64"] as const)
  for (const specials of [false, true])
    test(`fused maxPool2d gives the composite's bits, ${dtype}${specials ? ", with −∞ and NaN" : ""}`, () => {
      const rng = new Rng(specials ? 21 : 20);
      let windowsChecked = 0;
      for (const w of WINDOWS) {
        const x = input([2, 7, 6, 3], dtype, rng, specials);
        const g = windowGeometry(x.shape, w);
        const r = Tensor.zeros([g.batch, g.outH, g.outW, g.channels], dtype);
        for (let i = 0; i < r.size; i++) r.data[i] = rng.uniform(-1, 1);
        const [y, dx] = run("js", x, w, r);
        const [yRef, dxRef] = run("js-unfused", x, w, r);
        assert.equal(y.node?.op, "maxPool2d", "the js backend runs the fused kernels");
        assert.equal(yRef.node?.op, "reshape", "the other backend runs the composite");
        assert.deepEqual(y.data, yRef.data, `values ${JSON.stringify(w)}`);
        assert.deepEqual(dx.data, dxRef.data, `gradients ${JSON.stringify(w)}`);
        windowsChecked += g.outH * g.outW;
      }
      assert.ok(windowsChecked > 40);
    });

test("fused maxPool2d shares a window's gradient among its tied maxima (hand-worked)", () => {
  // One 2×2 window holding 5, 5, 1, 5: three tied maxima get 6/3 = 2 each, the 1 gets none.
  const x = new Tensor(Float64Array.of(5, 5, 1, 5), [1, 2, 2, 1]);
  x.requiresGrad = true;
  const y = maxPool2d(x, windowGeometry(x.shape, { kernel: [2, 2], stride: [2, 2] }));
  assert.deepEqual(Array.from(y.data), [5]);
  const [dx] = grad(op.mul(op.sum(y), 6), [x]);
  assert.deepEqual(Array.from(dx.data), [2, 2, 0, 2]);
  assert.ok(backendNames().includes("js-unfused"));
});
