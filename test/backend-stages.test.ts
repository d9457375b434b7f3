import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../src/backend/backend.js";
import { jsBackend } from "../src/backend/js/index.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { loadKernels, readVariantFile, VARIANT_NAMES } from "../src/backend/wasm/loader.js";
import { ADAM64_MIN, VECTOR_MIN } from "../src/backend/wasm/runner.js";
import { Rng } from "../src/tensor/rng.js";

/**
 * The optimiser stages other than Adam's (SGD's momentum, weight decay, RMSprop's and Adagrad's
 * scaling). js's loops are held to their arithmetic written out here element by element (each line in
 * float64, rounded to float32 where stored), and every compiled wasm variant to js's bits: resident
 * arrays and copied ones, lengths below the compiled kernels' minimum, at it and with odd tails.
 */
const f = Math.fround;
loadKernels(); // turns on V8's relaxed-SIMD flag where needed, so each variant validates alone

/** Values of many sizes and both signs, some ±0, so that float64 and float32 arithmetic disagree somewhere. */
function values(rng: Rng, n: number, positive = false): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rng.next();
    if (r < 0.05) return 0;
    if (r < 0.1) return positive ? 0 : -0;
    const v = 10 ** rng.uniform(-8, 1);
    return positive || rng.next() < 0.5 ? v : -v;
  });
}

interface Case {
  name: string;
  /** Arrays of n floats the stage reads and writes (the first is u). */
  arrays(rng: Rng, n: number): (Float32Array | null)[];
  /** The stage on a backend. */
  run(b: Backend, a: (Float32Array | null)[]): void;
  /** Element i's arithmetic written out, on copies of the arrays. */
  reference(a: (Float32Array | null)[], i: number): void;
}

const momentumCase = (dampening: number, first: boolean, nesterov: boolean): Case => ({
  name: `momentum (dampening ${dampening}, first ${first}, nesterov ${nesterov})`,
  arrays: (rng, n) => [values(rng, n), values(rng, n)],
  run: (b, [u, buf]) => b.momentum!(u!, buf!, 0.9, dampening, first, nesterov),
  reference([u, buf], i) {
    const g = u![i]!;
    buf![i] = first ? g : f(0.9 * buf![i]! + (1 - dampening) * g);
    u![i] = f(nesterov ? g + 0.9 * buf![i]! : buf![i]!);
  },
});

const rmsCase = (centred: boolean, momentum: number): Case => ({
  name: `rmsScale (centred ${centred}, momentum ${momentum})`,
  arrays: (rng, n) => [
    values(rng, n),
    values(rng, n, true),
    centred ? values(rng, n) : null,
    momentum > 0 ? values(rng, n) : null,
  ],
  run: (b, [u, sq, ga, buf]) => b.rmsScale!(u!, sq!, ga, buf, 0.99, 1e-8, momentum),
  reference([u, sq, ga, buf], i) {
    const g = u![i]!;
    sq![i] = f(0.99 * sq![i]! + (1 - 0.99) * g * g);
    let meanSquare = sq![i]!;
    if (ga) {
      ga[i] = f(0.99 * ga[i]! + (1 - 0.99) * g);
      meanSquare = Math.max(0, meanSquare - ga[i]! * ga[i]!);
    }
    const avg = f(Math.sqrt(meanSquare)) + 1e-8;
    if (buf) u![i] = buf[i] = f(momentum * buf[i]! + g / avg);
    else u![i] = f(g / avg);
  },
});

/** Adagrad's case; a decay of 1 takes the kernels' path that skips the division by it. */
const adagradCase = (decay: number): Case => ({
  name: `adagradScale (decay ${decay})`,
  arrays: (rng, n) => [values(rng, n), values(rng, n, true)],
  run: (b, [u, sum]) => b.adagradScale!(u!, sum!, 1e-10, decay),
  reference([u, sum], i) {
    const g = u![i]!;
    sum![i] = f(sum![i]! + g * g);
    u![i] = f(g / (f(Math.sqrt(sum![i]!)) + 1e-10) / decay);
  },
});

const CASES: Case[] = [
  momentumCase(0, false, false),
  momentumCase(0, true, false),
  momentumCase(0.1, false, true),
  {
    name: "decayWeights",
    arrays: (rng, n) => [values(rng, n), values(rng, n)],
    run: (b, [u, p]) => b.decayWeights!(u!, p!, 1e-4),
    reference([u, p], i) {
      u![i] = f(u![i]! + 1e-4 * p![i]!);
    },
  },
  rmsCase(false, 0),
  rmsCase(true, 0),
  rmsCase(false, 0.9),
  rmsCase(true, 0.9),
  adagradCase(1.3),
  adagradCase(1),
];

const LENGTHS = [5, ADAM64_MIN - 1, ADAM64_MIN, ADAM64_MIN + 1, 4099];

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Copies of `a` in `b`'s own memory where `resident` and it keeps one. */
const place = (b: Backend, a: (Float32Array | null)[], resident: boolean) =>
  a.map((x) => {
    if (!x) return null;
    const out = (resident ? b.alloc?.(x.length) : null) ?? new Float32Array(x.length);
    out.set(x);
    return out;
  });

test("js's optimiser stages: their arithmetic written out, element by element", () => {
  const rng = new Rng(3);
  for (const c of CASES) {
    for (const n of [1, 7, 4099]) {
      const a = c.arrays(rng, n);
      const want = a.map((x) => x?.slice() ?? null);
      for (let i = 0; i < n; i++) c.reference(want, i);
      const got = a.map((x) => x?.slice() ?? null);
      c.run(jsBackend, got);
      got.forEach((x, k) => x && assert.deepEqual(bits(x), bits(want[k]!), `${c.name}, n ${n}, array ${k}`));
    }
  }
});

test("the stages' references tell float64 lines from float32 operations", () => {
  // Momentum with each operation rounded to float32 (PyTorch's arithmetic) gives other bits on these
  // values, so the comparisons above and below would see a kernel that computed in float32.
  const rng = new Rng(3);
  const [u, buf] = [values(rng, 4099), values(rng, 4099)];
  let differ = 0;
  for (let i = 0; i < u.length; i++) {
    const wide = f(0.9 * buf[i]! + 0.9 * u[i]!);
    const narrow = f(f(f(0.9) * buf[i]!) + f(f(0.9) * u[i]!));
    if (wide !== narrow) differ++;
  }
  assert.ok(differ > 100, `only ${differ} of 4099 elements differ`);
});

for (const variant of VARIANT_NAMES) {
  const kernels = loadKernels((name) => (name === variant ? readVariantFile(name) : null));
  test(`wasm optimiser stages (${variant}) give js's bits, resident or copied`, { skip: !kernels }, () => {
    const wasm = createWasmBackend(kernels)!;
    const rng = new Rng(11);
    let compared = 0;
    for (const c of CASES)
      for (const n of LENGTHS)
        for (const resident of [false, true]) {
          const a = c.arrays(rng, n);
          const want = a.map((x) => x?.slice() ?? null);
          c.run(jsBackend, want);
          const got = place(wasm, a, resident);
          c.run(wasm, got);
          got.forEach((x, k) => {
            if (!x) return;
            assert.deepEqual(bits(x), bits(want[k]!), `${c.name}, n ${n}, resident ${resident}, array ${k}`);
            compared++;
          });
        }
    // Two to four arrays a case, each length, resident or not.
    assert.equal(compared, [2, 2, 2, 2, 2, 3, 3, 4, 2, 2].reduce((s, k) => s + k, 0) * LENGTHS.length * 2);
  });
}

for (const variant of VARIANT_NAMES) {
  const kernels = loadKernels((name) => (name === variant ? readVariantFile(name) : null));
  test(`wasm momentumApply (${variant}): the bits of its momentum then its axpy, one pass or two`, {
    skip: !kernels,
  }, () => {
    const wasm = createWasmBackend(kernels)!;
    const rng = new Rng(12);
    let compared = 0;
    // Below VECTOR_MIN the two calls; from it one compiled pass, whose blocks of 8 and tail must be axpy's.
    for (const n of [5, ADAM64_MIN, VECTOR_MIN - 1, VECTOR_MIN, VECTOR_MIN + 7, 2 * VECTOR_MIN + 3])
      for (const resident of [false, true])
        for (const [first, nesterov, dampening] of [
          [false, false, 0],
          [true, false, 0],
          [false, true, 0],
          [false, false, 0.1],
        ] as const) {
          const a = [values(rng, n), values(rng, n), values(rng, n)];
          const [u, buf, p] = place(wasm, a, resident) as Float32Array[];
          wasm.momentumApply!(u!, buf!, 0.9, dampening, first, nesterov, p!, -0.01);
          const [u2, buf2, p2] = place(wasm, a, resident) as Float32Array[];
          wasm.momentum!(u2!, buf2!, 0.9, dampening, first, nesterov);
          wasm.axpy(-0.01, u2!, p2!);
          for (const [got, want, what] of [
            [u, u2, "u"],
            [buf, buf2, "buf"],
            [p, p2, "p"],
          ] as const) {
            assert.deepEqual(bits(got!), bits(want!), `n ${n}, resident ${resident}, ${what}`);
            compared++;
          }
        }
    assert.equal(compared, 6 * 2 * 4 * 3);
  });
}

/** Clipping's three loops on `b`: the sum of squares (continued from `start`), then scaling, then clamping. */
function clipping(b: Backend, g: Float32Array, start: number): number {
  const sum = b.squaresFrom!(g, start);
  b.multiply!(g, 0.3);
  b.clamp!(g, -0.01, 0.01);
  return sum;
}

test("js's clipping loops: their arithmetic written out", () => {
  const rng = new Rng(4);
  const g = values(rng, 4099);
  g[7] = Number.NaN;
  g[9] = Number.POSITIVE_INFINITY;
  const want = g.slice();
  let sum = 0.5;
  for (let i = 0; i < want.length; i++) sum += want[i]! * want[i]!;
  for (let i = 0; i < want.length; i++) want[i] = f(want[i]! * 0.3);
  for (let i = 0; i < want.length; i++) want[i] = Math.min(0.01, Math.max(-0.01, want[i]!));
  const got = g.slice();
  assert.ok(Object.is(clipping(jsBackend, got, 0.5), sum));
  assert.deepEqual(bits(got), bits(want));
});

for (const variant of VARIANT_NAMES) {
  const kernels = loadKernels((name) => (name === variant ? readVariantFile(name) : null));
  test(`wasm clipping loops (${variant}) give js's bits: the norm's one chain, scaling, clamping`, {
    skip: !kernels,
  }, () => {
    const wasm = createWasmBackend(kernels)!;
    const rng = new Rng(13);
    let compared = 0;
    for (const n of LENGTHS)
      for (const resident of [false, true]) {
        const g = values(rng, n);
        if (n > 10) [g[3], g[8]] = [Number.NaN, Number.NEGATIVE_INFINITY];
        const want = g.slice();
        const sum = clipping(jsBackend, want, 1e-3);
        const [got] = place(wasm, [g], resident) as Float32Array[];
        assert.ok(Object.is(clipping(wasm, got!, 1e-3), sum), `n ${n}, resident ${resident}: the sum`);
        assert.deepEqual(bits(got!), bits(want), `n ${n}, resident ${resident}`);
        compared++;
      }
    assert.equal(compared, LENGTHS.length * 2);
  });
}

test("a sum of squares in four lanes gives other bits than the one chain clipping keeps", () => {
  // So the comparison above would see a kernel that split the chain for speed.
  const g = values(new Rng(13), 4099);
  const lanes = [0, 0, 0, 0];
  g.forEach((v, i) => {
    lanes[i % 4] += v * v;
  });
  const split = lanes[0]! + lanes[2]! + (lanes[1]! + lanes[3]!);
  assert.notEqual(split, jsBackend.squaresFrom(g, 0));
});
