import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { backendByName, backendNames } from "../src/backend/index.js";
import type { Backend, BinaryKernel, ReduceKernel, UnaryKernel } from "../src/backend/backend.js";
import { jsBackend } from "../src/backend/js/index.js";
import { createWasmBackend, type WasmBackend } from "../src/backend/wasm/index.js";
import { loadKernels, readVariantFile, VARIANT_NAMES } from "../src/backend/wasm/loader.js";
import { Rng } from "../src/tensor/rng.js";
import { broadcastShapes, type Shape, sizeOf } from "../src/tensor/shape.js";

/**
 * Kernel conformance, in two parts. First, each backend's kernels against naive reference loops written
 * here, in float64 (so any difference is the kernel's, not rounding). Second, every kernel of every
 * backend against the js reference in float32 (the precision training runs in) on random shapes:
 * broadcasting, transposes, sizes that are not multiples of the SIMD width or tile, empty dimensions.
 * A new backend registers itself and runs the same suite.
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

// ---- Part two: every kernel of every backend against the js reference, float32, random shapes ----

const UNARY: UnaryKernel[] = [
  "neg",
  "exp",
  "log",
  "log1p",
  "sqrt",
  "abs",
  "sign",
  "step",
  "tanh",
  "sigmoid",
  "relu",
  "erf",
];
const BINARY: BinaryKernel[] = ["add", "sub", "mul", "div", "maximum", "greater", "equal"];
const REDUCE: ReduceKernel[] = ["sum", "max"];
const U = 2 ** -24; // unit roundoff of float32

function randomF32(size: number, lo = -2, hi = 2, zeroFraction = 0): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.next() < zeroFraction ? 0 : rng.uniform(lo, hi)));
}

function randomShape(rank: number, maxDim: number, allowEmpty: boolean): number[] {
  return Array.from({ length: rank }, () =>
    allowEmpty && rng.next() < 0.1 ? 0 : 1 + Math.floor(rng.next() * maxDim),
  );
}

/** A shape that broadcasts to `shape`: a suffix of it with some dimensions set to 1. */
function broadcastable(shape: Shape): number[] {
  const drop = Math.floor(rng.next() * (shape.length + 1));
  return shape.slice(drop).map((d) => (rng.next() < 0.4 ? 1 : d));
}

/** Element-wise results must agree to float32 rounding: 1e-5 relative (erf, exp and tanh may differ in their last bits). */
function assertClose(got: Float32Array, want: Float32Array, what: string, rel = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i],
      w = want[i];
    if (Number.isNaN(w)) {
      assert.ok(Number.isNaN(g), `${what}[${i}]: ${g}, expected NaN`);
      continue;
    }
    if (g === w) continue;
    assert.ok(Math.abs(g - w) <= rel * Math.max(Math.abs(w), 1e-30), `${what}[${i}]: ${g} vs js ${w}`);
  }
}

function againstJs(b: Backend): void {
  test(`${b.name} element-wise kernels match js (float32, odd sizes, empty)`, () => {
    for (const size of [0, 1, 3, 4, 7, 33, 1000, 1003]) {
      const x = randomF32(size, -3, 3, 0.1);
      const pos = randomF32(size, 0.01, 5);
      for (const op of UNARY) {
        const input = op === "log" || op === "sqrt" ? pos : op === "log1p" ? randomF32(size, -0.9, 5) : x;
        const got = new Float32Array(size).fill(NaN);
        const want = new Float32Array(size);
        b.unary(op, input, got);
        jsBackend.unary(op, input, want);
        assertClose(got, want, `${op} size ${size}`);
      }
    }
  });
  test(`${b.name} stepSquares: js's sums to the last bit (each in index order), plain and resident arrays`, () => {
    const out = new Float64Array(4);
    // Closed form: w = (3, 4), w0 = (3, 0), g = (1, 2): ‖w‖² 25, ‖w − w0‖² 16, ‖w0‖² 9, ‖g‖² 5.
    const stepSquares = b.stepSquares!;
    stepSquares(Float32Array.of(3, 4), Float32Array.of(3, 0), Float32Array.of(1, 2), out);
    assert.deepEqual(Array.from(out), [25, 16, 9, 5]);
    const copy = (x: Float32Array, resident: boolean) => {
      const r = (resident ? b.alloc?.(x.length) : null) ?? new Float32Array(x.length);
      r.set(x);
      return r;
    };
    for (const size of [0, 7, 4095, 4096, 4099, 200_704])
      for (const resident of [false, true]) {
        const [w, g] = [randomF32(size, -0.1, 0.1), randomF32(size, -1e-3, 1e-3, 0.05)];
        const w0 = Float32Array.from(w, (v, i) => v + 1e-3 * g[i]!);
        const want = new Float64Array(4);
        jsBackend.stepSquares(w, w0, g, want);
        stepSquares(copy(w, resident), copy(w0, resident), copy(g, resident), out);
        assert.deepEqual(out, want, `size ${size}${resident ? " resident" : ""}`);
      }
  });
  // A backend may leave Adam to js's loop (scaleByAdam falls back to it); then there is nothing of its own to check.
  const noAdam = b.adam ? false : `${b.name} has no adam kernel of its own: Adam runs js's loop there`;
  test(`${b.name} adam step matches js within float32 rounding (moments and update), plain and resident arrays`, {
    skip: noAdam,
  }, () => {
    const adamKernel = b.adam!;
    const alloc = (x: Float32Array, resident: boolean) => {
      const r = (resident ? b.alloc?.(x.length) : null) ?? new Float32Array(x.length);
      r.set(x);
      return r;
    };
    for (const size of [3, 4095, 4096, 4099, 200_704]) {
      for (const resident of [false, true]) {
        for (const [t, g, eps] of [
          [1, 1, 1e-8],
          [1000, 1e-3, 1e-8],
          [7, 1e-6, 1e-3],
        ] as const) {
          const beta1 = 0.9,
            beta2 = 0.999;
          const u0 = randomF32(size, -g, g, 0.05);
          const mu0 = randomF32(size, -g, g);
          const nu0 = randomF32(size, 0, g * g, 0.05);
          const [u, mu, nu] = [alloc(u0, resident), alloc(mu0, resident), alloc(nu0, resident)];
          const [uw, muw, nuw] = [u0.slice(), mu0.slice(), nu0.slice()];
          const c1 = 1 - beta1 ** t,
            c2 = Math.sqrt(1 - beta2 ** t);
          adamKernel(u, mu, nu, beta1, beta2, eps, c1, c2);
          jsBackend.adam!(uw, muw, nuw, beta1, beta2, eps, c1, c2);
          const what = `adam size ${size} t ${t}${resident ? " resident" : ""}`;
          // The moments: a few float32 roundings of terms that may cancel, so bounded by the terms' size.
          for (let i = 0; i < size; i++) {
            const gi = u0[i]!;
            const mBound = 2 ** -21 * (beta1 * Math.abs(mu0[i]!) + (1 - beta1) * Math.abs(gi)) + 1e-38;
            const vBound = 2 ** -21 * (beta2 * nu0[i]! + (1 - beta2) * gi * gi) + 1e-38;
            assert.ok(Math.abs(mu[i]! - muw[i]!) <= mBound, `${what} mu[${i}]: ${mu[i]} vs js ${muw[i]}`);
            assert.ok(Math.abs(nu[i]! - nuw[i]!) <= vBound, `${what} nu[${i}]: ${nu[i]} vs js ${nuw[i]}`);
            // The update from the moments it stored: products and quotients only, so relative.
            const want = mu[i]! / c1 / (Math.sqrt(nu[i]!) / c2 + eps);
            assert.ok(
              Math.abs(u[i]! - want) <= 2 ** -20 * Math.abs(want) + 1e-38,
              `${what} u[${i}]: ${u[i]} vs ${want}`,
            );
          }
        }
      }
    }
  });
  test(`${b.name} relu and step are bit-identical to js, special values included`, () => {
    const specials = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38];
    for (const size of [9, 300, 1003]) {
      const x = randomF32(size, -3, 3, 0.1);
      specials.forEach((v, i) => {
        x[(i * 37) % size] = v;
      });
      for (const op of ["relu", "step"] as const) {
        const got = new Float32Array(size).fill(NaN);
        const want = new Float32Array(size);
        b.unary(op, x, got);
        jsBackend.unary(op, x, want);
        for (let i = 0; i < size; i++)
          assert.ok(Object.is(got[i], want[i]), `${op}(${x[i]}) [${i}]: ${got[i]} vs js ${want[i]}`);
      }
    }
  });
  test(`${b.name} binary kernels and where match js under broadcasting`, () => {
    for (let trial = 0; trial < 40; trial++) {
      const outShape = randomShape(1 + Math.floor(rng.next() * 4), 6, true);
      const aShape = broadcastable(outShape);
      const bShape = rng.next() < 0.5 ? outShape : broadcastable(outShape);
      const shape = broadcastShapes(aShape, bShape);
      const a = randomF32(sizeOf(aShape), -2, 2, 0.2);
      const bb = randomF32(sizeOf(bShape), -2, 2, 0.2).map((v) => (v === 0 ? 0.5 : v)); // no division by zero
      for (const op of BINARY) {
        const got = new Float32Array(sizeOf(shape)).fill(NaN);
        const want = new Float32Array(sizeOf(shape));
        b.binary(op, a, aShape, bb, bShape, got, shape);
        jsBackend.binary(op, a, aShape, bb, bShape, want, shape);
        assertClose(got, want, `${op} ${JSON.stringify(aShape)}·${JSON.stringify(bShape)}`);
      }
      const cShape = broadcastable(outShape);
      const cond = randomF32(sizeOf(cShape), 0, 1).map((v) => (v < 0.5 ? 0 : 1));
      const wShape = broadcastShapes(cShape, aShape, bShape);
      const got = new Float32Array(sizeOf(wShape)).fill(NaN);
      const want = new Float32Array(sizeOf(wShape));
      b.where(cond, cShape, a, aShape, bb, bShape, got, wShape);
      jsBackend.where(cond, cShape, a, aShape, bb, bShape, want, wShape);
      assertClose(got, want, `where ${JSON.stringify(cShape)}`);
      const ex = new Float32Array(sizeOf(outShape)).fill(NaN);
      const exWant = new Float32Array(sizeOf(outShape));
      b.expand(a, aShape, ex, outShape);
      jsBackend.expand(a, aShape, exWant, outShape);
      assertClose(ex, exWant, `expand ${JSON.stringify(aShape)} to ${JSON.stringify(outShape)}`, 0);
    }
  });
  test(`${b.name} reductions and transposes match js on random shapes and axes`, () => {
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + Math.floor(rng.next() * 4);
      const shape = randomShape(rank, 7, trial % 4 === 3);
      const x = randomF32(sizeOf(shape));
      const axes = [...Array(rank).keys()].filter(() => rng.next() < 0.5);
      const outSize = sizeOf(shape.filter((_, i) => !axes.includes(i)));
      for (const op of REDUCE) {
        if (op === "max" && axes.some((a) => shape[a] === 0)) continue; // max over an empty axis is refused above the kernel
        const got = new Float32Array(outSize).fill(NaN);
        const want = new Float32Array(outSize);
        b.reduce(op, x, shape, axes, got);
        jsBackend.reduce(op, x, shape, axes, want);
        // Sums may be taken in another order: bounded by n·u·Σ|x| (Higham's γ_n), checked via 1e-5 relative to that scale.
        const scale = new Float32Array(outSize);
        jsBackend.reduce("sum", x.map(Math.abs), shape, axes, scale);
        for (let i = 0; i < outSize; i++)
          assert.ok(
            Math.abs(got[i] - want[i]) <= sizeOf(shape) * U * scale[i] + 1e-30,
            `${op} over ${JSON.stringify(axes)} of ${JSON.stringify(shape)}`,
          );
      }
      const perm = [...Array(rank).keys()].sort(() => rng.next() - 0.5);
      const got = new Float32Array(x.length).fill(NaN);
      const want = new Float32Array(x.length);
      b.transpose(x, shape, perm, got);
      jsBackend.transpose(x, shape, perm, want);
      assertClose(got, want, `transpose ${JSON.stringify(perm)} of ${JSON.stringify(shape)}`, 0);
    }
  });
  test(`${b.name} axpy and scale agree with float64 arithmetic within float32 rounding, plain and resident arrays, short and long`, () => {
    // alpha rounded to float32 (relative 2⁻²⁴), the product rounded unless fused, the sum rounded:
    // |error| ≤ 2⁻²² · (|y| + |alpha·x|) covers every variant; js rounds once (≤ 2⁻²⁴ · |result|).
    const near = (got: Float32Array, y: Float32Array, x: Float32Array, alpha: number, what: string) => {
      for (let i = 0; i < got.length; i++) {
        const exact = y[i]! + alpha * x[i]!;
        const bound = 2 ** -22 * (Math.abs(y[i]!) + Math.abs(alpha * x[i]!)) + 1e-45;
        if (!(Math.abs(got[i]! - exact) <= bound))
          assert.fail(`${what}: element ${i} is ${got[i]}, float64 gives ${exact} (bound ${bound})`);
      }
    };
    const alloc = (n: number) => b.alloc?.(n) ?? new Float32Array(n);
    for (const size of [0, 1, 3, 4, 4095, 4096, 4099, 200_704]) {
      for (const alpha of [-1, 0.01, 1 / 3, -2.5e-4]) {
        for (const resident of [false, true]) {
          const x = randomF32(size, -5, 5);
          const y = randomF32(size, -5, 5);
          const xs = resident ? alloc(size) : x.slice();
          xs.set(x);
          const got = resident ? alloc(size) : y.slice();
          got.set(y);
          b.axpy(alpha, xs, got);
          near(got, y, x, alpha, `axpy alpha ${alpha} size ${size}${resident ? " resident" : ""}`);
          const before = got.slice();
          b.scale(alpha, got);
          near(
            got,
            new Float32Array(size),
            before,
            alpha,
            `scale alpha ${alpha} size ${size}${resident ? " resident" : ""}`,
          );
          assert.deepEqual(xs, x, "x is read only");
        }
      }
    }
    assert.throws(() => b.axpy(1, new Float32Array(5000), new Float32Array(5001)), /lengths differ/);
  });
  test(`${b.name} matmul matches js in every transpose variant (float32, odd and empty sizes)`, () => {
    const sizes = [
      [0, 3, 4],
      [3, 0, 4],
      [3, 4, 0],
      [1, 1, 1],
      [1, 256, 784],
      [5, 7, 3],
      [13, 17, 9],
      [4, 8, 256],
      [33, 65, 257],
      [64, 10, 256],
      [70, 300, 600],
    ];
    for (let t = 0; t < 6; t++) sizes.push(randomShape(3, 90, false));
    for (const [m, n, k] of sizes) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) checkMatmul(b, m, n, k, tA, tB, 0.3);
      }
    }
  });
  test(`${b.name} linear and linearBackward match js (float32, single rows, padded tiles, resident weights)`, () => {
    const resident = (x: Float32Array): Float32Array => {
      const r = b.alloc?.(x.length) ?? new Float32Array(x.length);
      r.set(x);
      return r;
    };
    for (const [m, n, k] of [
      [1, 256, 784],
      [64, 256, 784],
      [64, 10, 256],
      [5, 7, 3],
      [33, 65, 257],
      [1, 3, 2],
      [16, 100, 784],
    ]) {
      const x = randomF32(m * k, -1, 1),
        w = randomF32(n * k, -1, 1),
        bias = randomF32(n, -1, 1);
      for (const relu of [false, true]) {
        for (const [withBias, inPlace] of [
          [true, false],
          [false, false],
          [true, true],
        ]) {
          const want = new Float32Array(m * n);
          jsBackend.linear(x, w, withBias ? bias : null, want, m, n, k, relu);
          const got = new Float32Array(m * n).fill(NaN);
          b.linear!(x, inPlace ? resident(w) : w, withBias ? bias : null, got, m, n, k, relu);
          // The product's bound (as for matmul), then one rounding of the bias add; relu only shrinks differences.
          const scale = new Float32Array(m * n);
          jsBackend.matmul(x.map(Math.abs), w.map(Math.abs), scale, m, n, k, false, true);
          for (let i = 0; i < m * n; i++) {
            assert.ok(
              Math.abs(got[i] - want[i]) <= (k + 2) * U * scale[i] + 2 * U * Math.abs(want[i]) + 1e-30,
              `linear ${m}×${n}×${k} relu=${relu} bias=${withBias} [${i}]: ${got[i]} vs js ${want[i]}`,
            );
          }
          const g = randomF32(m * n, -1, 1);
          const [dzWant, dbWant] = [new Float32Array(m * n), new Float32Array(n)];
          jsBackend.linearBackward(g, want, relu ? dzWant : null, dbWant, m, n, relu);
          const [dzGot, dbGot] = [new Float32Array(m * n).fill(NaN), new Float32Array(n).fill(NaN)];
          b.linearBackward!(g, want, relu ? dzGot : null, dbGot, m, n, relu);
          if (relu) assert.deepEqual(dzGot, dzWant, "relu's mask is exact");
          // Column sums of m floats in float32, in any order: within m·u·Σ|dz| (plus js's one rounding).
          const d = relu ? dzWant : g;
          for (let j = 0; j < n; j++) {
            let abs = 0;
            for (let i = 0; i < m; i++) abs += Math.abs(d[i * n + j]);
            assert.ok(
              Math.abs(dbGot[j] - dbWant[j]) <= (m + 1) * U * abs + 1e-30,
              `db ${m}×${n} [${j}]: ${dbGot[j]} vs js ${dbWant[j]}`,
            );
          }
        }
      }
    }
  });
  if (b.alloc) {
    test(`${b.name} matmul reads and writes resident arrays in place, in every transpose variant, padded or not`, () => {
      const resident = (x: Float32Array) => {
        const r = b.alloc!(x.length) ?? new Float32Array(x.length);
        r.set(x);
        return r;
      };
      // 64×256×784 needs no padding (C written in place); 1×256×784 is a single row; 10×... pads C.
      for (const [m, n, k] of [
        [64, 256, 784],
        [1, 256, 784],
        [10, 256, 300],
        [784, 256, 1],
        [33, 65, 257],
      ]) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const a = randomF32(m * k, -1, 1);
            const bb = randomF32(k * n, -1, 1);
            const want = new Float32Array(m * n);
            jsBackend.matmul(a, bb, want, m, n, k, tA, tB);
            for (const [ra, rb, rc] of [
              [true, true, true],
              [false, true, false],
              [true, false, true],
            ]) {
              const out = rc
                ? resident(new Float32Array(m * n).fill(NaN))
                : new Float32Array(m * n).fill(NaN);
              b.matmul(ra ? resident(a) : a, rb ? resident(bb) : bb, out, m, n, k, tA, tB);
              assertMatmulClose(out, want, a, bb, m, n, k, tA, tB);
            }
          }
        }
      }
    });
  }
}

/** One random product on `b` against js; `zeros` is the fraction of exact zeros in A. */
function checkMatmul(
  b: Backend,
  m: number,
  n: number,
  k: number,
  tA: boolean,
  tB: boolean,
  zeros: number,
): void {
  const a = randomF32(m * k, -1, 1, zeros);
  const bb = randomF32(k * n, -1, 1);
  const got = new Float32Array(m * n).fill(NaN);
  const want = new Float32Array(m * n);
  b.matmul(a, bb, got, m, n, k, tA, tB);
  jsBackend.matmul(a, bb, want, m, n, k, tA, tB);
  assertMatmulClose(got, want, a, bb, m, n, k, tA, tB);
}

/**
 * A float32 dot product of length k summed in any order (blocked, SIMD lanes, fused multiply-add)
 * is within γ_k·Σ|aᵢ||bᵢ| ≈ k·u·Σ|aᵢ||bᵢ| of the exact value (Higham, Accuracy and Stability of
 * Numerical Algorithms, §3.1); the js reference rounds its float64 sum once (u·|c|). Cancelled results
 * can differ relatively by much more than 1e-5, so the bound is taken on Σ|aᵢ||bᵢ|.
 */
function assertMatmulClose(
  got: Float32Array,
  want: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  tA: boolean,
  tB: boolean,
): void {
  const scale = new Float32Array(m * n);
  jsBackend.matmul(a.map(Math.abs), b.map(Math.abs), scale, m, n, k, tA, tB);
  for (let i = 0; i < m * n; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= (k + 2) * U * scale[i] + 1e-30,
      `matmul ${m}×${n}×${k} transA=${tA} transB=${tB} [${i}]: ${got[i]} vs js ${want[i]}`,
    );
  }
}

for (const name of backendNames()) if (name !== "js") againstJs(backendByName(name)!);

// The registered wasm backend uses the best variant the runtime validates; the others (relaxed or plain
// SIMD, shared or private memory) serve other runtimes and pass the same suite here where they validate.
const registeredVariant = (backendByName("wasm") as WasmBackend | undefined)?.info().variant;
const validated: string[] = [];
for (const variant of VARIANT_NAMES) {
  const kernels = loadKernels((name) => (name === variant ? readVariantFile(name) : null));
  if (!kernels) continue;
  validated.push(variant);
  const b = createWasmBackend(kernels);
  if (b && variant !== registeredVariant) againstJs({ ...b, name: `wasm (${variant})` });
}

test("the relaxed-SIMD kernels pass the suite in a runtime that has relaxed SIMD (Node 20: behind a flag)", {
  skip: validated.includes("kernels-mt-relaxed") ? "relaxed SIMD validates here: covered above" : false,
}, (t) => {
  // Without NODE_TEST_CONTEXT the child reports in TAP on stdout instead of to this runner.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const args = [
    "--experimental-wasm-relaxed-simd",
    "--test",
    "--test-reporter=tap",
    fileURLToPath(import.meta.url),
  ];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 300_000, env });
  if (/bad option|unknown flag/i.test(r.stderr)) {
    t.skip("this Node has no --experimental-wasm-relaxed-simd flag: nothing runs relaxed SIMD here");
    return;
  }
  assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr);
  assert.match(r.stdout, /ok \d+ - wasm matmul matches js in every transpose variant/);
  assert.match(r.stdout, /ok \d+ - wasm \(kernels-relaxed\) matmul matches js/);
});

const wasm = backendByName("wasm") as WasmBackend | undefined;
const noWasm = wasm ? false : "the wasm backend did not load here (the test above says why that is wrong)";
const NO_THREADS = "two threads refused (the test above says why that is wrong)";

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

test("wasm bufferFor keeps one resident array per owner and length; js keeps none", { skip: !wasm }, () => {
  const owner = {};
  const first = wasm!.bufferFor!(owner, 4096)!;
  assert.ok(first instanceof Float32Array && first.length === 4096);
  assert.equal(wasm!.bufferFor!(owner, 4096), first, "a second call hands back the same array");
  assert.notEqual(wasm!.bufferFor!({}, 4096), first, "another owner gets its own");
  const grown = wasm!.bufferFor!(owner, 8192)!;
  assert.ok(grown !== first && grown.length === 8192, "a new length gets a new array");
  assert.equal(wasm!.bufferFor!(owner, 8192), grown);
  // Below the resident minimum the heap declines, and nothing is remembered.
  assert.equal(wasm!.bufferFor!(owner, 8), null);
  assert.equal("bufferFor" in jsBackend, false);
});

test("wasm axpy of a gradient a split product wrote is split too, with the same bits as on one thread", {
  skip: noWasm,
}, (t) => {
  const w = wasm!;
  const before = w.info().threads;
  try {
    // x is the product of a 256×64 and a 64×520 matrix, written in place into a resident array (as a
    // weight gradient is written into its update buffer; in place needs no padding: m a multiple of the
    // tile's 4 rows, n of its 8 columns): large enough to be split, and so is the axpy (THREAD_MIN_AXPY).
    const [m, n, k] = [256, 520, 64];
    const a = randomF32(m * k),
      b = randomF32(k * n),
      y0 = randomF32(m * n);
    // Resident arrays and a second thread both need shared memory.
    if (w.setThreads(2) !== 2) {
      t.skip(NO_THREADS);
      return;
    }
    const resident = (v: Float32Array): Float32Array => {
      const r = w.alloc!(v.length)!;
      r.set(v);
      return r;
    };
    const xs: Float32Array[] = [],
      ys: Float32Array[] = [];
    for (const threads of [1, 2]) {
      assert.equal(w.setThreads(threads), threads);
      const x = resident(new Float32Array(m * n)),
        y = resident(y0);
      w.matmul(a, b, x, m, n, k, false, false);
      w.axpy(-0.37, x, y);
      xs.push(Float32Array.from(x));
      ys.push(Float32Array.from(y));
    }
    assert.deepEqual(xs[1], xs[0], "the product on two threads and on one disagree");
    assert.deepEqual(ys[1], ys[0], "the update on two threads and on one disagree");
    const want = Float32Array.from(y0);
    jsBackend.axpy(-0.37, xs[0]!, want);
    // js rounds y + alpha·x once from float64; wasm rounds alpha to float32 first: within 2 ulps of the terms.
    ys[1]!.forEach((g, i) => {
      const bound = 2 ** -22 * (Math.abs(y0[i]!) + Math.abs(0.37 * xs[0]![i]!));
      assert.ok(Math.abs(g - want[i]!) <= bound, `axpy[${i}]: ${g} vs js ${want[i]}`);
    });
  } finally {
    w.setThreads(before);
  }
});

test("wasm: a product too narrow to split by columns is split by rows, with the same bits as on one thread", {
  skip: noWasm,
}, (t) => {
  // A convolution's shape: many rows (an odd count, so the last row chunk is short), 16 or 20 filters.
  const w = wasm!;
  const before = w.info().threads;
  try {
    for (const [m, n, k, tB] of [
      [4099, 16, 144, true],
      [3001, 20, 150, false],
    ] as const) {
      const a = randomF32(m * k);
      const b = randomF32(n * k);
      // Two threads first: run second, they could find one thread's product still in the arena.
      const [two, one] = [2, 1].map((threads) => {
        if (w.setThreads(threads) !== threads) return null;
        const out = new Float32Array(m * n);
        w.matmul(a, b, out, m, n, k, false, tB);
        return out;
      });
      if (!two) {
        t.skip(NO_THREADS);
        return;
      }
      assert.deepEqual(two, one, `${m}×${n}×${k}: two threads and one disagree`);
      const ref = new Float32Array(m * n);
      jsBackend.matmul(a, b, ref, m, n, k, false, tB);
      const worst = one!.reduce((acc, v, i) => Math.max(acc, Math.abs(v - ref[i]!)), 0);
      assert.ok(worst < 1e-3 * k, `${m}×${n}×${k}: off js by ${worst}`);
    }
  } finally {
    w.setThreads(before);
  }
});

test("wasm matmul split over two threads matches js, and its memory stays flat across calls", {
  skip: noWasm,
}, (t) => {
  const w = wasm!;
  const before = w.info().threads;
  try {
    for (const threads of [2, 1]) {
      const got = w.setThreads(threads);
      if (threads === 2 && got !== 2) {
        t.skip(`${NO_THREADS}; the one-thread half still runs`);
        continue;
      }
      for (const [m, n, k] of [
        [64, 256, 784],
        [257, 131, 99],
      ]) {
        for (const [tA, tB] of [
          [false, true],
          [true, false],
        ] as const)
          checkMatmul(w, m, n, k, tA, tB, 0);
      }
    }
    const a = randomF32(200 * 300);
    const out = new Float32Array(200 * 200);
    w.matmul(a, a, out, 200, 200, 300, false, true);
    const bytes = w.info().memoryBytes;
    for (let i = 0; i < 50; i++) w.matmul(a, a, out, 200, 200, 300, i % 2 === 0, i % 3 === 0);
    assert.equal(w.info().memoryBytes, bytes, "the arena grew on calls no larger than one it had served");
  } finally {
    w.setThreads(before);
  }
});
