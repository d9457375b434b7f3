import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../src/backend/js/index.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { Rng } from "../src/tensor/rng.js";

/**
 * The wasm products with 2 or 3 rows on the left read B in place (kernels/fewrows.ts) instead of packing
 * it: each row must have the bits the packed product gives it, which is computed here by the same
 * product with the rows padded to 5 (past the 4-row tile, so packed). Depths around the 256-deep block
 * and at page strides, column counts around the 8-wide tile, B in both layouts, and a dense layer's
 * bias and relu.
 */
const wasm = createWasmBackend();
const skip = wasm ? false : "no WebAssembly SIMD here";
const rng = new Rng(31);

function random(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.next() < 0.2 ? 0 : rng.uniform(-1, 1)));
}

const SHAPES: [number, number][] = [];
// 1,024 and 2,048: B's rows a whole number of pages apart, read eight rows along their pages (columns8).
for (const k of [1, 3, 4, 7, 255, 256, 257, 513, 784, 1024, 2048])
  for (const n of [1, 4, 5, 8, 10, 12, 16, 17, 36, 64]) SHAPES.push([n, k]);

test("wasm matmul with 2 or 3 rows: the packed product's bits, row for row, B in either layout", {
  skip,
}, () => {
  for (const [n, k] of SHAPES) {
    for (const m of [2, 3]) {
      for (const transB of [false, true]) {
        const a = random(m * k);
        const b = random(n * k);
        const padded = new Float32Array(5 * k);
        padded.set(a);
        padded.set(random((5 - m) * k), m * k);
        const few = new Float32Array(m * n);
        const packed = new Float32Array(5 * n);
        wasm!.matmul(a, b, few, m, n, k, false, transB);
        wasm!.matmul(padded, b, packed, 5, n, k, false, transB);
        const where = `${m}×${n}×${k}, transB ${transB}`;
        assert.deepEqual(few, packed.slice(0, m * n), where);
        // And the product itself, against js's float64 sums: float32 rounding of up to k terms.
        const want = new Float32Array(m * n);
        jsBackend.matmul(a, b, want, m, n, k, false, transB);
        few.forEach((v, i) =>
          assert.ok(Math.abs(v - want[i]!) <= 1e-5 * k, `${where} [${i}]: ${v} vs ${want[i]}`),
        );
      }
    }
  }
});

test("wasm linear with 2 rows: the packed product's bits with bias and relu", { skip }, () => {
  for (const [n, k] of SHAPES) {
    for (const relu of [false, true]) {
      const x = random(2 * k);
      const w = random(n * k);
      const bias = random(n);
      const padded = new Float32Array(5 * k);
      padded.set(x);
      padded.set(random(3 * k), 2 * k);
      const few = new Float32Array(2 * n);
      const packed = new Float32Array(5 * n);
      wasm!.linear!(x, w, bias, few, 2, n, k, relu);
      wasm!.linear!(padded, w, bias, packed, 5, n, k, relu);
      assert.deepEqual(few, packed.slice(0, 2 * n), `2×${n}×${k}, relu ${relu}`);
    }
  }
});
