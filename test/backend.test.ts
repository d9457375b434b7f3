import assert from "node:assert/strict";
import { test } from "node:test";
import { backendByName, backendNames } from "../src/backend/index.js";
import type { Backend } from "../src/backend/backend.js";
import type { WasmBackend } from "../src/backend/wasm/index.js";
import { Rng } from "../src/tensor/rng.js";

/**
 * Kernel conformance, part one: each backend's kernels against naive reference loops written here, in
 * float64 (so any difference is the kernel's, not rounding). Part two, every kernel against the js
 * reference in float32, is test/backend-vs-js.test.ts; threads, test/backend-threads.test.ts. A new
 * backend registers itself and runs the same suites.
 */
const rng = new Rng(77);

function randomMatrix(size: number, zeroFraction: number): Float64Array {
  return Float64Array.from({ length: size }, () => (rng.next() < zeroFraction ? 0 : rng.uniform(-1, 1)));
}

function naiveMatmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  n: number,
  k: number,
  tA: boolean,
  tB: boolean,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  }
  return out;
}

function conformance(b: Backend): void {
  for (const [m, n, k] of [
    [1, 1, 1],
    [3, 5, 7],
    [17, 9, 33],
    [64, 40, 96],
    [2, 130, 5],
  ]) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        // Dense, sparse left and sparse right operands take different code paths in the js backend.
        for (const [za, zb] of [
          [0, 0],
          [0.8, 0],
          [0, 0.8],
          [0.9, 0.9],
        ]) {
          test(`${b.name} matmul ${m}×${n}×${k} transA=${tA} transB=${tB} zeros=${za}/${zb}`, () => {
            const a = randomMatrix(m * k, za);
            const bb = randomMatrix(k * n, zb);
            const out = new Float64Array(m * n).fill(NaN);
            b.matmul(a, bb, out, m, n, k, tA, tB);
            // Summation order differs between kernels; the rounding error of a dot product is bounded
            // by k·ε·Σ|aᵢ||bᵢ|, so compare against that scale rather than the (possibly cancelled) result.
            const ref = naiveMatmul(a, bb, m, n, k, tA, tB);
            const scale = naiveMatmul(a.map(Math.abs), bb.map(Math.abs), m, n, k, tA, tB);
            for (let i = 0; i < ref.length; i++)
              assert.ok(
                Math.abs(out[i] - ref[i]) <= 1e-14 * k * Math.max(scale[i], 1e-300),
                `element ${i}: ${out[i]} vs ${ref[i]}`,
              );
          });
        }
      }
    }
  }
  test(`${b.name} linear is the product, the bias and relu; linearBackward is relu's mask and the column sums (float64, against loops)`, () => {
    for (const [m, n, k] of [
      [1, 5, 3],
      [7, 9, 13],
      [64, 40, 96],
    ]) {
      const x = randomMatrix(m * k, 0),
        w = randomMatrix(n * k, 0),
        bias = randomMatrix(n, 0);
      for (const relu of [false, true]) {
        for (const withBias of [false, true]) {
          const out = new Float64Array(m * n).fill(NaN);
          b.linear!(x, w, withBias ? bias : null, out, m, n, k, relu);
          const z = naiveMatmul(x, w, m, n, k, false, true);
          const scale = naiveMatmul(x.map(Math.abs), w.map(Math.abs), m, n, k, false, true);
          for (let i = 0; i < m * n; i++) {
            const v = z[i] + (withBias ? bias[i % n] : 0);
            const want = relu ? (v > 0 ? v : 0) : v;
            assert.ok(
              Math.abs(out[i] - want) <= 1e-14 * (k + 1) * (scale[i] + Math.abs(bias[i % n])),
              `linear ${m}×${n}×${k} relu=${relu} bias=${withBias} [${i}]: ${out[i]} vs ${want}`,
            );
          }
          const g = randomMatrix(m * n, 0);
          const dz = new Float64Array(m * n).fill(NaN),
            db = new Float64Array(n).fill(NaN);
          b.linearBackward!(g, out, relu ? dz : null, db, m, n, relu);
          const d = relu ? g.map((v, i) => v * (out[i] > 0 ? 1 : 0)) : g;
          if (relu) assert.deepEqual(Array.from(dz), Array.from(d));
          for (let j = 0; j < n; j++) {
            let sum = 0,
              abs = 0;
            for (let i = 0; i < m; i++) {
              sum += d[i * n + j];
              abs += Math.abs(d[i * n + j]);
            }
            assert.ok(Math.abs(db[j] - sum) <= 1e-14 * m * abs, `db[${j}]: ${db[j]} vs ${sum}`);
          }
        }
      }
    }
  });
  test(`${b.name} reductions and transposes against loops`, () => {
    const x = randomMatrix(2 * 3 * 4, 0);
    const sum12 = new Float64Array(2);
    b.reduce("sum", x, [2, 3, 4], [1, 2], sum12);
    for (let i = 0; i < 2; i++) {
      let s = 0;
      for (let j = 0; j < 12; j++) s += x[i * 12 + j];
      assert.ok(Math.abs(sum12[i] - s) < 1e-12);
    }
    const max0 = new Float64Array(12);
    b.reduce("max", x, [2, 3, 4], [0], max0);
    for (let j = 0; j < 12; j++) assert.equal(max0[j], Math.max(x[j], x[12 + j]));
    const t = new Float64Array(24);
    b.transpose(x, [2, 3, 4], [2, 0, 1], t); // out[c][a][b] = x[a][b][c]
    for (let a = 0; a < 2; a++)
      for (let bb = 0; bb < 3; bb++)
        for (let c = 0; c < 4; c++) assert.equal(t[c * 6 + a * 3 + bb], x[a * 12 + bb * 4 + c]);
  });
  test(`${b.name} broadcasting binary ops and where against loops`, () => {
    const a = randomMatrix(3 * 4, 0);
    const col = randomMatrix(3, 0);
    const out = new Float64Array(12);
    b.binary("sub", a, [3, 4], col, [3, 1], out, [3, 4]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) assert.equal(out[i * 4 + j], a[i * 4 + j] - col[i]);
    const row = randomMatrix(4, 0);
    b.binary("maximum", col, [3, 1], row, [4], out, [3, 4]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) assert.equal(out[i * 4 + j], Math.max(col[i], row[j]));
    const cond = Float64Array.from([1, 0, 1, 0]);
    b.where(cond, [4], a, [3, 4], col, [3, 1], out, [3, 4]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) assert.equal(out[i * 4 + j], j % 2 === 0 ? a[i * 4 + j] : col[i]);
  });
}

for (const name of backendNames()) conformance(backendByName(name)!);

const wasm = backendByName("wasm") as WasmBackend | undefined;

/**
 * Every Node this package supports (engines: ≥ 20) has WebAssembly SIMD, shared memory and
 * worker_threads, and the build always writes the kernels: where the wasm tests skip, something is
 * broken, and this test fails to say so rather than let them pass unseen.
 */
test("the wasm backend loads in Node, with shared memory and two threads", () => {
  assert.ok(
    wasm,
    `the wasm backend did not register (backends: ${backendNames().join(", ")}); are the kernels missing from dist/src/backend/wasm/?`,
  );
  const before = wasm.info().threads;
  try {
    assert.equal(wasm.setThreads(2), 2, "setThreads(2): no shared memory or worker_threads");
  } finally {
    wasm.setThreads(before);
  }
});
