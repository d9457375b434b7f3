/**
 * The js `expand` kernel against an independent reference (each output element read from x at its
 * multi-index, broadcast axes held at 0), over the shapes its block-repeating path takes ([outer, 1, …,
 * 1, inner], inner 1 or more, x of lower rank) and ones it must leave to the index walk (two separate
 * runs of broadcast axes), in float32 and float64.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { expand } from "../src/backend/js/elementwise.js";
import { Rng } from "../src/tensor/rng.js";
import { sizeOf } from "../src/tensor/shape.js";

function reference(x: ArrayLike<number>, shape: number[], outShape: number[]): number[] {
  const lead = outShape.length - shape.length;
  const out: number[] = [];
  for (let i = 0; i < sizeOf(outShape); i++) {
    let rest = i;
    let ix = 0;
    let stride = 1;
    for (let ax = outShape.length - 1; ax >= 0; ax--) {
      const at = rest % outShape[ax]!;
      rest = Math.floor(rest / outShape[ax]!);
      const own = ax < lead ? 1 : shape[ax - lead]!;
      ix += (own === 1 ? 0 : at) * stride;
      stride *= own;
    }
    out.push(x[ix]!);
  }
  return out;
}

test("expand spreads blocks as the index walk does: every pattern, both dtypes", () => {
  const rng = new Rng(7);
  const cases: [number[], number[]][] = [
    [
      [3, 1, 1, 5],
      [3, 4, 2, 5],
    ], // a global pooling's gradient
    [
      [3, 1, 1, 1],
      [3, 4, 2, 5],
    ], // inner 1: fill
    [
      [4, 1],
      [4, 7],
    ],
    [
      [2, 1, 6],
      [2, 9, 6],
    ], // reps 9: doubling past a power of two
    [
      [1, 3, 1, 2],
      [2, 3, 4, 2],
    ], // outer axis of 1 broadcast too
    [
      [3, 1, 5],
      [2, 3, 4, 5],
    ], // lower rank, outer broadcast: the index walk
    [
      [3, 1, 2, 1, 5],
      [3, 2, 2, 3, 5],
    ], // two runs: the index walk
    [
      [1, 5],
      [3, 4, 5],
    ], // a suffix
  ];
  for (const [shape, outShape] of cases)
    for (const make of [(n: number) => new Float32Array(n), (n: number) => new Float64Array(n)]) {
      const x = make(sizeOf(shape)).map(() => rng.normal());
      const out = make(sizeOf(outShape)).fill(Number.NaN);
      expand(x, shape, out, outShape);
      assert.deepEqual(Array.from(out), reference(x, shape, outShape), `${shape} → ${outShape}`);
    }
});

test("expand to an empty shape writes nothing, a size-1 axis broadcast to 0 included", () => {
  // [2, 1, 2] → [2, 0, 2] once threw: the block path set x's blocks into an empty output.
  for (const [shape, outShape] of [
    [
      [2, 1, 2],
      [2, 0, 2],
    ],
    [
      [1, 3],
      [0, 3],
    ],
    [[1], [0]],
  ] as [number[], number[]][]) {
    const out = new Float32Array(0);
    expand(
      Float32Array.from({ length: sizeOf(shape) }, (_, i) => i + 1),
      shape,
      out,
      outShape,
    );
    assert.deepEqual(Array.from(out), reference([], shape, outShape), JSON.stringify(outShape));
  }
});
