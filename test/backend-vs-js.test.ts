import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Backend } from "../src/backend/backend.js";
import { backendByName, backendNames } from "../src/backend/index.js";
import { jsBackend } from "../src/backend/js/index.js";
import { createWasmBackend, type WasmBackend } from "../src/backend/wasm/index.js";
import { loadKernels, readVariantFile, VARIANT_NAMES } from "../src/backend/wasm/loader.js";
import {
  assertMatmulClose,
  checkMatmul,
  elementwiseAgainstJs,
  randomF32,
  randomShape,
  U,
} from "./helpers/backend-checks.js";

/**
 * Every kernel of every backend against the js reference in float32 (the precision training runs in)
 * on random shapes: broadcasting, transposes, sizes that are not multiples of the SIMD width or tile,
 * empty dimensions; and every wasm variant the runtime validates through the same suite.
 */
function againstJs(b: Backend): void {
  elementwiseAgainstJs(b);
  matmulAgainstJs(b);
}

/** Products, linear layers and resident operands of `b` against js's. */
function matmulAgainstJs(b: Backend): void {
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
