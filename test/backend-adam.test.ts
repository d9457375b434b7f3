import assert from "node:assert/strict";
import { test } from "node:test";
import { type Backend, backendByName } from "../src/backend/index.js";
import { jsBackend } from "../src/backend/js/index.js";
import { Rng } from "../src/tensor/rng.js";

/**
 * The Adam kernels skip a division by a bias correction that has rounded to 1 (x / 1 is x exactly).
 * Here each kernel is held to its arithmetic written out operation by operation, bit for bit, at steps
 * where the corrections are below 1, just below 1 in float32 (where a skip would be wrong) and exactly 1:
 * wasm rounds every operation to float32, js computes each line in float64 and rounds it once.
 */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
const f = Math.fround;

/** A first moment below 2⁻¹²⁶ (subnormal in float32, or ±0) becomes +0: written out apart from the kernels. */
const flushed = (m: number) => (Math.abs(m) < 2 ** -126 ? 0 : m);

/** wasm's arithmetic: float32 after every operation (sqrt and division correctly rounded via float64). */
function float32Adam(g: number, mu: number, nu: number, c1: number, c2: number): number[] {
  const m = flushed(f(f(f(BETA1) * mu) + f(f(1 - BETA1) * g)));
  const v = f(f(f(BETA2) * nu) + f(f(1 - BETA2) * f(g * g)));
  return [f(f(m / f(c1)) / f(f(f(Math.sqrt(v)) / f(c2)) + f(EPS))), m, v];
}

/** js's arithmetic: each line in float64, rounded once when stored. */
function float64Adam(g: number, mu: number, nu: number, c1: number, c2: number): number[] {
  const m = flushed(f(BETA1 * mu + (1 - BETA1) * g));
  const v = f(BETA2 * nu + (1 - BETA2) * g * g);
  return [f(m / c1 / (Math.sqrt(v) / c2 + EPS)), m, v];
}

const cases = [
  { name: "js", reference: float64Adam },
  { name: "wasm", reference: float32Adam },
];

for (const { name, reference } of cases) {
  const b = backendByName(name);
  test(`${name} adam: the bits of its arithmetic written out, bias corrections below, near and at 1`, {
    skip: b?.adam ? false : `no ${name} adam kernel here`,
  }, () => {
    const rng = new Rng(5);
    // 157: c1 is 1 − 2⁻²⁴ in float32 (its last step below 1); 170: 1 in float32; 400: 1 in float64;
    // 20,000: c2 is 1 in float32 only; 100,000: both are 1 in float64.
    for (const t of [1, 30, 157, 170, 400, 20_000, 100_000]) {
      const c1 = 1 - BETA1 ** t;
      const c2 = Math.sqrt(1 - BETA2 ** t);
      const n = 4099; // whole SIMD vectors and a tail
      const g = Float32Array.from({ length: n }, () => rng.uniform(-1, 1) * 10 ** rng.uniform(-6, 0));
      const mu = Float32Array.from(g, (x) => x * rng.uniform(-2, 2));
      const nu = Float32Array.from(g, (x) => x * x * rng.uniform(0, 3));
      const [u2, mu2, nu2] = [g.slice(), mu.slice(), nu.slice()];
      b!.adam!(u2, mu2, nu2, BETA1, BETA2, EPS, c1, c2);
      for (let i = 0; i < n; i++) {
        const want = reference(g[i]!, mu[i]!, nu[i]!, c1, c2);
        const got = [u2[i]!, mu2[i]!, nu2[i]!];
        assert.deepEqual(got, want, `t ${t} element ${i}: [u, mu, nu] ${got} vs ${want}`);
      }
    }
  });
}

for (const name of ["js", "wasm"]) {
  const b = backendByName(name);
  test(`${name} adam: a first moment never stays subnormal, and the weights step as before`, {
    skip: b?.adamApply ? false : `no ${name} adamApply kernel here`,
  }, () => {
    // A moment whose gradient is 0 decays by β1 a step. Unflushed it sticks at k·2⁻¹⁴⁹ (0.9 × 4·2⁻¹⁴⁹
    // rounds back to 4·2⁻¹⁴⁹): the CPU's division takes a microcode assist on it at every step.
    const rng = new Rng(21);
    for (const n of [4099, 300]) {
      const mu = Float32Array.from({ length: n }, (_, i) =>
        i % 3 === 0 ? 1e-30 : i % 3 === 1 ? -3e-38 : 0.01,
      );
      const nu = Float32Array.from({ length: n }, () => 1e-6 * rng.next());
      const p = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
      const u = new Float32Array(n);
      const g = Float32Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 1e-3 : 0));
      const start = p.slice();
      for (let t = 0; t < 800; t++) {
        u.set(g);
        b!.adamApply!(u, mu, nu, BETA1, BETA2, EPS, 1, 1, p, -1e-3);
        const sub = mu.findIndex((m) => m !== 0 && Math.abs(m) < 2 ** -126);
        assert.equal(sub, -1, `n ${n}, step ${t + 1}: mu[${sub}] = ${mu[sub]} is subnormal`);
      }
      // The decayed moments reached 0 (unflushed, 1e-30 · 0.9⁸⁰⁰ would be stuck at a few 2⁻¹⁴⁹).
      for (let i = 0; i < n; i += 3)
        assert.equal(Object.is(mu[i], 0) && Object.is(mu[i + 1] ?? 0, 0), true, `mu[${i}]`);
      // Weights fed only decayed moments moved by the tiny updates those gave while normal, never after.
      for (let i = 0; i < n; i += 3) assert.ok(Math.abs(p[i]! - start[i]!) < 1e-20, `p[${i}] moved`);
    }
  });
}

test("the float32 corrections this test relies on: c1 at 157 and 170 steps, c2 at 20,000", () => {
  assert.equal(f(1 - BETA1 ** 157), 1 - 2 ** -24);
  assert.equal(f(1 - BETA1 ** 170), 1);
  assert.equal(1 - BETA1 ** 170 < 1, true);
  assert.equal(f(Math.sqrt(1 - BETA2 ** 20_000)), 1);
  assert.equal(Math.sqrt(1 - BETA2 ** 20_000) < 1, true);
  assert.equal(jsBackend.adam !== undefined, true);
});

/**
 * Adam's operands of `n` floats, in `b`'s own memory when `resident`: a gradient, moments shaped like it,
 * and weights the size of a step (so that rounding the product apart from the sum shows in p's bits);
 * `copies` makes fresh arrays of the same values, [u, mu, nu, p], u holding the gradient.
 */
function adamOperands(b: Backend, n: number, resident: boolean, rng: Rng) {
  const make = (fill: (i: number) => number) => {
    const a = (resident ? b.alloc?.(n) : null) ?? new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = fill(i);
    return a;
  };
  const g = make(() => rng.uniform(-1, 1) * 10 ** rng.uniform(-6, 0));
  const mu = make((i) => g[i]! * rng.uniform(-2, 2));
  const nu = make((i) => g[i]! * g[i]! * rng.uniform(0, 3));
  const p = make(() => rng.uniform(-1, 1) * 1e-3);
  return { p, copies: () => [g, mu, nu, p].map((a) => make((i) => a[i]!)) };
}

for (const name of ["js", "wasm"]) {
  const b = backendByName(name);
  test(`${name} adamApply: the bits of adam then axpy, in place and through copies`, {
    skip: b?.adamApply ? false : `no ${name} adamApply kernel here`,
  }, () => {
    const rng = new Rng(9);
    // Below VECTOR_MIN (js's loops on wasm too), whole blocks of 8, a block of 4 and a tail, 3 alone.
    for (const n of [2560, 4096, 4103, 4099]) {
      for (const resident of [false, true]) {
        const { p, copies } = adamOperands(b!, n, resident, rng);
        for (const t of [1, 170, 20_000]) {
          const [c1, c2] = [1 - BETA1 ** t, Math.sqrt(1 - BETA2 ** t)];
          const [u1, mu1, nu1, p1] = copies();
          b!.adam!(u1!, mu1!, nu1!, BETA1, BETA2, EPS, c1, c2);
          b!.axpy(-1e-3, u1!, p1!);
          const [u2, mu2, nu2, p2] = copies();
          b!.adamApply!(u2!, mu2!, nu2!, BETA1, BETA2, EPS, c1, c2, p2!, -1e-3);
          const where = `n ${n} resident ${resident} t ${t}`;
          assert.deepEqual([u2, mu2, nu2, p2], [u1, mu1, nu1, p1], where);
          assert.notDeepEqual(p2, p, `${where}: the step moved p`);
        }
      }
    }
  });
}

test("wasm adam and adamApply below VECTOR_MIN: js's float64 bits, compiled", {
  skip: backendByName("wasm")?.adamApply ? false : "no wasm backend here",
}, () => {
  const wasm = backendByName("wasm")!;
  const rng = new Rng(11);
  // Both sides of the compiled loop's threshold, odd lengths (a lane alone at the end), resident or not.
  for (const n of [300, 1024, 1025, 2560, 4095]) {
    for (const resident of [false, true]) {
      const { copies } = adamOperands(wasm, n, resident, rng);
      for (const t of [1, 30, 400, 100_000]) {
        const [c1, c2] = [1 - BETA1 ** t, Math.sqrt(1 - BETA2 ** t)];
        const where = `n ${n} resident ${resident} t ${t}`;
        const [u1, mu1, nu1] = copies();
        const [u2, mu2, nu2] = copies();
        jsBackend.adam!(u1!, mu1!, nu1!, BETA1, BETA2, EPS, c1, c2);
        wasm.adam!(u2!, mu2!, nu2!, BETA1, BETA2, EPS, c1, c2);
        assert.deepEqual([u2, mu2, nu2], [u1, mu1, nu1], `adam, ${where}`);
        const [v1, m1, n1, p1] = copies();
        const [v2, m2, n2, p2] = copies();
        jsBackend.adamApply!(v1!, m1!, n1!, BETA1, BETA2, EPS, c1, c2, p1!, -1e-3);
        wasm.adamApply!(v2!, m2!, n2!, BETA1, BETA2, EPS, c1, c2, p2!, -1e-3);
        assert.deepEqual([v2, m2, n2, p2], [v1, m1, n1, p1], `adamApply, ${where}`);
      }
    }
  }
});
