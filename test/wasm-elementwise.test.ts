/**
 * The wasm backend's same-shape add, sub, mul and div (kernels/elementwise.ts) against the js kernel,
 * bit for bit, on every compiled variant: lengths either side of the compiled path's threshold and not
 * multiples of the SIMD width, values of every sign and scale with ±0, ±∞, NaN and subnormals among
 * them, outputs resident in the kernels' memory or not; and a count of the compiled calls, so the test
 * knows which side of the threshold ran.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../src/backend/js/index.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { loadKernels, readVariantFile, VARIANT_NAMES } from "../src/backend/wasm/loader.js";
import { MAP_MIN } from "../src/backend/wasm/runner.js";
import { Rng } from "../src/tensor/rng.js";

const rng = new Rng(21);
loadKernels(); // turns on V8's relaxed-SIMD flag where needed, so each variant validates alone
const specials = [0, -0, Infinity, -Infinity, NaN, 1e-45, -3e-39, 3.4e38];

function values(n: number): Float32Array {
  const x = Float32Array.from({ length: n }, () => rng.normal() * 10 ** Math.floor(rng.uniform(-6, 6)));
  specials.forEach((v, i) => {
    x[(i * 31) % n] = v;
  });
  return x;
}

for (const variant of VARIANT_NAMES) {
  const kernels = loadKernels((name) => (name === variant ? readVariantFile(name) : null));
  test(`wasm same-shape arithmetic (${variant}) gives js's bits`, { skip: !kernels }, () => {
    let calls = 0;
    const ex = kernels!.exports;
    const wasm = createWasmBackend({
      ...kernels!,
      exports: {
        ...ex,
        sameShape: (...a: Parameters<typeof ex.sameShape>) => {
          calls++;
          ex.sameShape(...a);
        },
      },
    })!;
    let expected = 0;
    for (const n of [MAP_MIN - 1, MAP_MIN, MAP_MIN + 3, 1003])
      for (const op of ["add", "sub", "mul", "div"] as const)
        for (const resident of [false, true]) {
          const a = values(n);
          const b = values(n).reverse();
          const want = new Float32Array(n);
          const got = (resident ? wasm.alloc!(n) : null) ?? new Float32Array(n);
          jsBackend.binary(op, a, [n], b, [n], want, [n]);
          wasm.binary(op, a, [n], b, [n], got, [n]);
          for (let i = 0; i < n; i++)
            if (!Object.is(got[i], want[i]))
              assert.fail(`${op} n=${n} [${i}]: ${a[i]}, ${b[i]} → ${got[i]} vs ${want[i]}`);
          if (n >= MAP_MIN) expected++;
        }
    assert.equal(calls, expected);
  });
}
