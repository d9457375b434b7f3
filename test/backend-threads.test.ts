import assert from "node:assert/strict";
import { test } from "node:test";
import { backendByName } from "../src/backend/index.js";
import { jsBackend } from "../src/backend/js/index.js";
import type { WasmBackend } from "../src/backend/wasm/index.js";
import { checkMatmul, randomF32 } from "./helpers/backend-checks.js";

/** The wasm backend's resident arrays and its products and axpy split over two threads, against one thread and js. */
const wasm = backendByName("wasm") as WasmBackend | undefined;
// test/backend.test.ts fails where wasm or its threads do not load, so a skip here is never silent.
const noWasm = wasm
  ? false
  : "the wasm backend did not load here (test/backend.test.ts says why that is wrong)";
const NO_THREADS = "two threads refused (test/backend.test.ts says why that is wrong)";

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
