import assert from "node:assert/strict";
import { test } from "node:test";
import { THREAD_MIN_ADAM } from "../src/backend/wasm/adam.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { CTL, type Job, readJob, runChunk, writeJob } from "../src/backend/wasm/jobs.js";
import { loadKernels } from "../src/backend/wasm/loader.js";
import { Rng } from "../src/tensor/rng.js";

/**
 * Adam on the wasm thread pool: the job's constants travel through the Int32 control words exactly, a
 * step cut into chunks (each a multiple of 8 floats, the last short) gives the bits of one call over
 * every float, and the backend's `adam`/`adamApply` on two threads give one thread's bits.
 */
const kernels = loadKernels();
const noWasm = kernels ? false : "no WebAssembly SIMD here";
const f = Math.fround;

/** Adam's float32 arithmetic written out (as test/backend-adam.test.ts): [u, mu, nu]. */
function float32Adam(g: number, mu: number, nu: number, c1: number, c2: number): number[] {
  const m0 = f(f(f(0.9) * mu) + f(f(1 - 0.9) * g));
  const m = Math.abs(m0) < 2 ** -126 ? 0 : m0;
  const v = f(f(f(0.999) * nu) + f(f(1 - 0.999) * f(g * g)));
  const num = f(c1) === 1 ? m : f(m / f(c1));
  const r = f(Math.sqrt(v));
  return [f(num / f((f(c2) === 1 ? r : f(r / f(c2))) + f(1e-8))), m, v];
}

/** Gradients, moments and weights of `n` floats. */
function operands(n: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const g = Float32Array.from({ length: n }, () => rng.uniform(-1, 1) * 10 ** rng.uniform(-5, 0));
  const mu = Float32Array.from(g, (x) => x * rng.uniform(-2, 2));
  const nu = Float32Array.from(g, (x) => x * x * rng.uniform(0, 3));
  const p = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return [g, mu, nu, p];
}

test("jobs travel through the control words exactly: Adam's float64 constants, gemm, axpy", () => {
  const ctl = new Int32Array(CTL.size);
  const jobs: Job[] = [
    {
      kind: "adam",
      u: 1024,
      mu: 2048,
      nu: 4096,
      p: 0,
      n: 4099,
      // 1 − β1ᵗ just below 1 in float32 (t 157), and constants float32 cannot hold.
      constants: [0.9, 0.999, 1e-8, 1 - 0.9 ** 157, Math.sqrt(1 - 0.999 ** 20_000), -1e-3],
      chunks: 3,
      chunkLen: 1368,
    },
    { kind: "axpy", x: 64, y: 128, n: 77, alpha: f(-0.37), chunks: 2, chunkLen: 40 },
    {
      kind: "gemm",
      ap: 8,
      b: 16,
      transB: true,
      c: 24,
      m: 5,
      n: 9,
      k: 3,
      np: 16,
      chunks: 2,
      chunkCols: 8,
      scratch: 32,
      scratchBytes: 4096,
      chunkRows: 0,
    },
  ];
  for (const job of jobs) {
    writeJob(ctl, job);
    assert.deepEqual(readJob(ctl), job);
  }
  // The constants are not float32s: the words would have lost them.
  assert.notEqual(f(0.999), 0.999);
});

test("an Adam job in chunks of 8, 16 and 24 floats gives one call's bits, and the float32 arithmetic", {
  skip: noWasm,
}, () => {
  const k = kernels!;
  const ex = k.exports;
  // Odd lengths, whole vectors, a block of 4 and a tail, ending inside and at a chunk's edge.
  for (const n of [8, 13, 37, 40, 44, 47, 48]) {
    for (const chunkLen of [8, 16, 24]) {
      for (const t of [3, 400]) {
        for (const fused of [true, false]) {
          const c1 = 1 - 0.9 ** t;
          const c2 = Math.sqrt(1 - 0.999 ** t);
          const src = operands(n, n * 100 + chunkLen + t);
          // Two copies side by side in the kernels' memory: one for the chunks, one for a single call.
          const base = ex.heapBase();
          const heap = () => new Float32Array(k.memory.buffer);
          const at = (copy: number, a: number) => base + (copy * 4 + a) * 256;
          for (const copy of [0, 1]) src.forEach((a, i) => heap().set(a, at(copy, i) / 4));
          const p = (copy: number) => (fused ? at(copy, 3) : 0);
          const constants = [0.9, 0.999, 1e-8, c1, c2, -0.01] as const;
          const chunks = Math.ceil(n / chunkLen);
          const job: Job = {
            kind: "adam",
            u: at(0, 0),
            mu: at(0, 1),
            nu: at(0, 2),
            p: p(0),
            n,
            constants,
            chunks,
            chunkLen,
          };
          // Out of order, as threads may claim them.
          for (let i = chunks - 1; i >= 0; i--) runChunk(ex, job, i, 0);
          ex.adamAxpy(at(1, 0), at(1, 1), at(1, 2), p(1), n, ...constants);
          const got = [0, 1, 2, 3].map((a) => heap().slice(at(0, a) / 4, at(0, a) / 4 + n));
          const one = [0, 1, 2, 3].map((a) => heap().slice(at(1, a) / 4, at(1, a) / 4 + n));
          assert.deepEqual(got, one, `n ${n}, chunks of ${chunkLen}, t ${t}, fused ${fused}`);
          for (let i = 0; i < n; i++) {
            const want = float32Adam(src[0]![i]!, src[1]![i]!, src[2]![i]!, c1, c2);
            assert.deepEqual([got[0]![i], got[1]![i], got[2]![i]], want, `n ${n} element ${i}`);
          }
        }
      }
    }
  }
});

test("wasm adam and adamApply on two threads give one thread's bits", { skip: noWasm }, (t) => {
  const w = createWasmBackend()!;
  if (w.setThreads(2) !== 2) {
    t.skip("two threads refused: no shared memory or worker_threads");
    return;
  }
  const m = THREAD_MIN_ADAM;
  // At the threshold, tails of 1 to 7 floats past a whole chunk, and a weight matrix of 784×256.
  for (const n of [m, m + 1, m + 4, m + 7, m + 13, 784 * 256]) {
    const results = [2, 1].map((threads) => {
      assert.equal(w.setThreads(threads), threads);
      const [g, mu, nu, p] = operands(n, n).map((a) => {
        const r = w.alloc!(a.length)!;
        r.set(a);
        return r;
      }) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const [g2, mu2, nu2] = [g, mu, nu].map((a) => {
        const r = w.alloc!(a.length)!;
        r.set(a);
        return r;
      }) as [Float32Array, Float32Array, Float32Array];
      w.adamApply!(g, mu, nu, 0.9, 0.999, 1e-8, 1 - 0.9 ** 5, Math.sqrt(1 - 0.999 ** 5), p, -1e-3);
      w.adam!(g2, mu2, nu2, 0.9, 0.999, 1e-8, 1, Math.sqrt(1 - 0.999 ** 300));
      return [g, mu, nu, p, g2, mu2, nu2].map((a) => Float32Array.from(a));
    });
    assert.deepEqual(results[0], results[1], `n ${n}: two threads and one disagree`);
  }
  w.setThreads(1);
});
