/**
 * The compiled batch normalisation (wasm/norm.ts over kernels/norm.ts) against the js reference
 * (js/norm.ts), bit for bit, on every compiled variant: the value, the three statistics and each
 * gradient, over feature counts below, at and past the SIMD width and not multiples of it (1, 3, 4, 5,
 * 7, 16, 17, 33), one row and many, with gain and bias present or absent, gradients wanted or not,
 * outputs resident in the kernels' memory or not. The data puts features of very different scales and
 * large offsets side by side, so a sum taken in another order, in float32, or a step rounded elsewhere
 * changes bits (checked by mutation: the centred values' sum or the tail features' column sums
 * rounded to float32 as they run each fail every variant).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as jsNorm from "../src/backend/js/norm.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { loadKernels, readVariantFile, VARIANT_NAMES } from "../src/backend/wasm/loader.js";
import * as wasmNorm from "../src/backend/wasm/norm.js";
import { KernelRunner } from "../src/backend/wasm/runner.js";
import { Rng } from "../src/tensor/rng.js";

const rng = new Rng(20);
// The default load turns on V8's relaxed-SIMD flag where the runtime needs it (Node 20), so that each
// variant below validates when loaded alone.
loadKernels();

/** rows × features values, feature j on a scale 10^(j mod 5 − 2) around an offset of 100·(j mod 3). */
function data(rows: number, features: number): Float32Array {
  const x = new Float32Array(rows * features);
  for (let i = 0; i < x.length; i++) {
    const j = i % features;
    x[i] = rng.normal() * 10 ** ((j % 5) - 2) + 100 * (j % 3);
  }
  return x;
}

/** A Float32Array of n values: in the kernels' memory when `resident` and the runner can, else plain. */
function array(mm: KernelRunner, n: number, resident: boolean): Float32Array {
  return (resident ? mm.alloc(n) : null) ?? new Float32Array(n);
}

function assertSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

/** One case each way on runner `mm`; returns how many arrays were compared. */
function check(mm: KernelRunner, rows: number, features: number, affine: string, resident: boolean): number {
  const what = `${rows}×${features} ${affine}${resident ? " resident" : ""}`;
  const n = rows * features;
  const x = array(mm, n, resident);
  x.set(data(rows, features));
  const w = affine.includes("w") ? Float32Array.from(data(1, features), (v) => v / 50 - 1) : null;
  const b = affine.includes("b") ? data(1, features) : null;
  const eps = 1e-3;
  const want = { y: new Float32Array(n), stats: [0, 1, 2].map(() => new Float32Array(features)) };
  const got = { y: array(mm, n, resident), stats: [0, 1, 2].map(() => new Float32Array(features)) };
  jsNorm.batchNorm(
    x,
    rows,
    features,
    w,
    b,
    eps,
    want.y,
    ...(want.stats as [Float32Array, Float32Array, Float32Array]),
  );
  wasmNorm.batchNorm(
    mm,
    x,
    rows,
    features,
    w,
    b,
    eps,
    got.y,
    ...(got.stats as [Float32Array, Float32Array, Float32Array]),
  );
  assertSameBits(got.y, want.y, `${what} y`);
  got.stats.forEach((s, i) => assertSameBits(s, want.stats[i]!, `${what} statistic ${i}`));
  const [mean, , sd] = want.stats as [Float32Array, Float32Array, Float32Array];
  const g = data(rows, features).map((v) => v / 100);
  let compared = 4;
  for (const wanted of [
    { dx: true, dw: true, db: true },
    { dx: true, dw: false, db: false },
    { dx: false, dw: true, db: true },
  ]) {
    const grads = (make: (k: number) => Float32Array) => ({
      dx: wanted.dx ? make(n) : null,
      dw: wanted.dw && w ? make(features) : null,
      db: wanted.db ? make(features) : null,
    });
    const ref = grads((k) => new Float32Array(k));
    const out = grads((k) => array(mm, k, resident));
    jsNorm.batchNormBackward(g, x, rows, features, w, mean, sd, ref.dx, ref.dw, ref.db);
    wasmNorm.batchNormBackward(mm, g, x, rows, features, w, mean, sd, out.dx, out.dw, out.db);
    for (const k of ["dx", "dw", "db"] as const) {
      if (!ref[k]) continue;
      assertSameBits(out[k]!, ref[k]!, `${what} ${JSON.stringify(wanted)} ${k}`);
      compared++;
    }
  }
  return compared;
}

for (const variant of VARIANT_NAMES) {
  const kernels = loadKernels((name) => (name === variant ? readVariantFile(name) : null));
  test(`wasm batchNorm (${variant}) gives js's bits: value, statistics, every gradient`, {
    skip: !kernels,
  }, () => {
    const mm = new KernelRunner(kernels!);
    let compared = 0;
    for (const features of [1, 3, 4, 5, 7, 16, 17, 33])
      for (const rows of [1, 2, 9, 300])
        for (const affine of ["wb", "w", "b", ""])
          for (const resident of kernels!.shared ? [false, true] : [false])
            compared += check(mm, rows, features, affine, resident);
    // Per case: 4 forward arrays, then dx, dw, db; dx; dw, db (the dw's only with a gain).
    const perCase = (affine: string) => 4 + (affine.includes("w") ? 6 : 4);
    const cases = 8 * 4 * (kernels!.shared ? 2 : 1);
    assert.equal(compared, cases * ["wb", "w", "b", ""].reduce((s, a) => s + perCase(a), 0));
  });
}

test("the wasm backend runs batch normalisation compiled from 256 values, with js's bits either side", {
  skip: !loadKernels(),
}, () => {
  const kernels = loadKernels()!;
  // Counts the compiled kernels' calls, so the test sees which side of the threshold ran.
  const calls = { forward: 0, backward: 0 };
  const ex = kernels.exports;
  const wasm = createWasmBackend({
    ...kernels,
    exports: {
      ...ex,
      batchNorm: (...a: Parameters<typeof ex.batchNorm>) => {
        calls.forward++;
        ex.batchNorm(...a);
      },
      batchNormBackward: (...a: Parameters<typeof ex.batchNormBackward>) => {
        calls.backward++;
        ex.batchNormBackward(...a);
      },
    },
  })!;
  for (const [rows, features, compiled] of [
    [85, 3, 0], // 255 values: the js kernel
    [64, 4, 1], // 256: compiled
  ] as const) {
    const x = data(rows, features);
    const y = [new Float32Array(x.length), new Float32Array(x.length)];
    const stats = [0, 1].map(() => [0, 1, 2].map(() => new Float32Array(features)));
    jsNorm.batchNorm(
      x,
      rows,
      features,
      null,
      null,
      1e-5,
      y[0]!,
      ...(stats[0] as [Float32Array, Float32Array, Float32Array]),
    );
    wasm.batchNorm!(
      x,
      rows,
      features,
      null,
      null,
      1e-5,
      y[1]!,
      ...(stats[1] as [Float32Array, Float32Array, Float32Array]),
    );
    assertSameBits(y[1]!, y[0]!, `${rows}×${features} y`);
    const dx = [new Float32Array(x.length), new Float32Array(x.length)];
    const [mean, , sd] = stats[0]!;
    jsNorm.batchNormBackward(x, x, rows, features, null, mean!, sd!, dx[0]!, null, null);
    wasm.batchNormBackward!(x, x, rows, features, null, mean!, sd!, dx[1]!, null, null);
    assertSameBits(dx[1]!, dx[0]!, `${rows}×${features} dx`);
    assert.deepEqual(calls, { forward: compiled, backward: compiled }, `${rows}×${features}`);
  }
});
