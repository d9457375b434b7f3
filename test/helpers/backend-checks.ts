import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, BinaryKernel, ReduceKernel, UnaryKernel } from "../../src/backend/backend.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { Rng } from "../../src/tensor/rng.js";
import { broadcastShapes, type Shape, sizeOf } from "../../src/tensor/shape.js";

/**
 * Random operands and float32 comparisons for the kernel suites (test/backend*.test.ts), and the
 * element-wise half of "every kernel of every backend against the js reference".
 */
export const rng = new Rng(77);

export const UNARY: UnaryKernel[] = [
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
export const BINARY: BinaryKernel[] = ["add", "sub", "mul", "div", "maximum", "greater", "equal"];
export const REDUCE: ReduceKernel[] = ["sum", "max"];
export const U = 2 ** -24; // unit roundoff of float32

export function randomF32(size: number, lo = -2, hi = 2, zeroFraction = 0): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.next() < zeroFraction ? 0 : rng.uniform(lo, hi)));
}

export function randomShape(rank: number, maxDim: number, allowEmpty: boolean): number[] {
  return Array.from({ length: rank }, () =>
    allowEmpty && rng.next() < 0.1 ? 0 : 1 + Math.floor(rng.next() * maxDim),
  );
}

/** A shape that broadcasts to `shape`: a suffix of it with some dimensions set to 1. */
export function broadcastable(shape: Shape): number[] {
  const drop = Math.floor(rng.next() * (shape.length + 1));
  return shape.slice(drop).map((d) => (rng.next() < 0.4 ? 1 : d));
}

/** Element-wise results must agree to float32 rounding: 1e-5 relative (erf, exp and tanh may differ in their last bits). */
export function assertClose(got: Float32Array, want: Float32Array, what: string, rel = 1e-5): void {
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

/** One random product on `b` against js; `zeros` is the fraction of exact zeros in A. */
export function checkMatmul(
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
export function assertMatmulClose(
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

/** The element-wise, reduction, optimiser and axpy kernels of `b` against js's. */
export function elementwiseAgainstJs(b: Backend): void {
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
  test(`${b.name} stepSquares: js's sums to the last bit (each in four lanes), plain and resident arrays`, () => {
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
    // Short sums, where each addition's rounding shows: three like terms a lane, the rest of 4,096 floats
    // 0 (below VECTOR_MIN js would do the sums); w0 3 to 40 binades below w, so w − w0 needs more bits
    // than float64 keeps of its square; g from float32's subnormals up. The relaxed kernels' fused
    // multiply-adds must not change a bit (with Σ (w − w0)²'s lanes 0–1 fused too, one trial in eight differs).
    const want = new Float64Array(4);
    const [w, w0, g] = [
      copy(new Float32Array(4096), true),
      copy(new Float32Array(4096), true),
      copy(new Float32Array(4096), true),
    ];
    for (let trial = 0; trial < 200; trial++) {
      w.set(randomF32(12, 1, 2).map((v, i) => (i % 3 === 0 ? -v : v)));
      w0.set(randomF32(12, 1, 2).map((v, i) => Math.fround(v * 2 ** -(3 + ((trial + i) % 38)))));
      g.set(randomF32(12, 1, 2).map((v, i) => Math.fround(v * 2 ** ((trial % 200) - 149 + i))));
      jsBackend.stepSquares(w, w0, g, want);
      stepSquares(w, w0, g, out);
      assert.deepEqual(out, want, `short sums, trial ${trial}`);
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
}
