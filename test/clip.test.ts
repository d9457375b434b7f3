/**
 * Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_
 * (test/fixtures/optim/clip.json, from make_optim_fixtures.py beside it).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clipGradNorm, clipGradValue } from "../src/optim/index.js";
import { readJsonFixture } from "./helpers/fixtures.js";

interface ClipCase {
  name: string;
  kind: "norm" | "value";
  limit: number;
  /** "inf" because JSON has no Infinity. */
  normType?: number | "inf";
  totalNorm?: number;
  grads: number[][];
  expected: number[][];
}
const { cases } = readJsonFixture<{ cases: ClipCase[] }>("optim", "clip.json");

/**
 * PyTorch sums the norm in float32 and scales by a float32 coefficient; Homeostat sums in float64.
 * Both are within a few float32 ulps (≈1e-7 relative) of the exact value, so 1e-6 relative holds
 * with margin; "does not clip" cases must in addition leave the gradients bit-identical.
 */
function assertClose(actual: number, expected: number, where: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 * Math.max(Math.abs(expected), 1e-6),
    `${where}: got ${actual}, PyTorch ${expected}`,
  );
}

for (const c of cases) {
  test(`clip ${c.name} matches PyTorch`, () => {
    const grads = c.grads.map((g) => Float32Array.from(g));
    if (c.kind === "norm") {
      const normType = c.normType === "inf" ? Infinity : c.normType!;
      assertClose(clipGradNorm(grads, c.limit, normType), c.totalNorm!, "total norm");
    } else {
      clipGradValue(grads, c.limit);
    }
    const clips = !c.name.includes("does not clip");
    assert.equal(
      c.grads.some((g, i) => g.some((v, j) => v !== c.expected[i]![j])),
      clips,
      "fixture sanity",
    );
    if (!clips)
      assert.deepEqual(
        grads,
        c.grads.map((g) => Float32Array.from(g)),
      );
    c.expected.forEach((want, i) => want.forEach((b, j) => assertClose(grads[i]![j]!, b, `grad ${i}[${j}]`)));
  });
}

test("clipGradNorm stops just above the limit, as PyTorch's 1e-6 guard does", () => {
  const grads = [new Float32Array([3, 4])];
  assert.equal(clipGradNorm(grads, 5), 5);
  // coef = 5 / (5 + 1e-6) < 1: PyTorch scales even at exactly the limit.
  assert.ok(grads[0]![1]! < 4);
  const small = [new Float32Array([3, 4])];
  clipGradNorm(small, 5.00001);
  assert.deepEqual(small, [new Float32Array([3, 4])]);
});

test("clipGradNorm spreads a NaN norm like PyTorch and handles no gradients", () => {
  const grads = [new Float32Array([NaN, 1]), new Float32Array([2])];
  assert.ok(Number.isNaN(clipGradNorm(grads, 1)));
  assert.ok(grads.every((g) => g.every(Number.isNaN)));
  assert.equal(clipGradNorm([], 1), 0);
  assert.throws(() => clipGradNorm([new Float32Array(1)], 1, 0), /normType must be > 0/);
  assert.throws(() => clipGradValue([new Float32Array(1)], -1), /clipValue must be ≥ 0/);
});
