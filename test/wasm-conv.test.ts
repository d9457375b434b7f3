import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConvGeometry } from "../src/backend/backend.js";
import * as jsConv from "../src/backend/js/conv.js";
import * as jsPool from "../src/backend/js/pool.js";
import * as wasmConv from "../src/backend/wasm/conv.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { loadKernels } from "../src/backend/wasm/loader.js";
import { KernelRunner } from "../src/backend/wasm/runner.js";
import { type Padding, windowGeometry } from "../src/autograd/conv.js";
import { Rng } from "../src/tensor/rng.js";

/**
 * The compiled im2col and col2im against the js reference, bit for bit (both copy, and add in the same
 * order), over geometries that exercise every branch: strides, dilations, both paddings, channel
 * groups with runs shorter than, equal to and longer than the SIMD width, both column layouts,
 * overlapping windows (so col2im's sums depend on its order of addition), and fields that reach past the
 * image's edges on one side, both sides or neither.
 */
const kernels = loadKernels();
const skip = !kernels;
const rng = new Rng(20);

function randomF32(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

interface Case {
  shape: [number, number, number, number];
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  groups: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const channels of [1, 3, 4, 8, 13])
    for (const groups of [1, channels > 1 && channels % 2 === 0 ? 2 : channels])
      for (const padding of ["valid", "same"] as const)
        for (const [kernel, stride, dilation] of [
          [
            [3, 3],
            [1, 1],
            [1, 1],
          ],
          [
            [2, 2],
            [2, 2],
            [1, 1],
          ],
          [
            [3, 2],
            [2, 1],
            [1, 2],
          ],
          [
            [1, 4],
            [1, 3],
            [2, 1],
          ],
        ] as [number, number][][])
          out.push({ shape: [2, 7, 6, channels], kernel, stride, dilation, padding, groups } as Case);
  // Fields whose kernel rows are whole inside the image for some columns and not others (the copies of
  // a 5-wide kernel; every second column of a 3-wide one), and a kernel wider than the padded image.
  for (const channels of [1, 3])
    for (const padding of ["valid", "same"] as const)
      for (const [shape, kernel, stride] of [
        [
          [2, 7, 6, channels],
          [5, 5],
          [1, 1],
        ],
        [
          [2, 7, 9, channels],
          [3, 3],
          [1, 2],
        ],
        [
          [1, 4, 2, channels],
          [3, 5],
          [1, 1],
        ],
      ] as [number[], number[], number[]][]) {
        if (padding === "valid" && kernel[1] > shape[2]) continue;
        out.push({ shape, kernel, stride, dilation: [1, 1], padding, groups: 1 } as Case);
      }
  return out;
}

function geometryOf(c: Case, layout: "rows" | "taps"): ConvGeometry {
  const g = windowGeometry(c.shape, c);
  return layout === "taps" ? { ...g, groups: 1, layout } : g;
}

function colsLength(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW * g.kernelH * g.kernelW * g.channels;
}

test("wasm im2col and col2im give the js kernels' bits on every geometry and layout", { skip }, () => {
  const runner = new KernelRunner(kernels!);
  let checked = 0;
  for (const c of cases())
    for (const layout of ["rows", "taps"] as const) {
      const g = geometryOf(c, layout);
      const where = `${JSON.stringify(c)} ${layout}`;
      const x = randomF32(c.shape.reduce((a, b) => a * b));
      const want = new Float32Array(colsLength(g));
      const got = new Float32Array(want.length).fill(Number.NaN);
      const pad = layout === "taps" ? -Infinity : 0;
      jsConv.im2col(x, g, pad, want);
      wasmConv.im2col(runner.scratchSpace, x, g, pad, got);
      assert.deepEqual(got, want, `im2col ${where}`);

      const cols = randomF32(want.length);
      const back = new Float32Array(x.length);
      const gotBack = new Float32Array(x.length).fill(Number.NaN);
      jsConv.col2im(cols, g, back);
      wasmConv.col2im(runner.scratchSpace, cols, g, gotBack);
      assert.deepEqual(gotBack, back, `col2im ${where}`);
      checked++;
    }
  assert.equal(checked, 2 * cases().length);
});

test("wasm im2col on a hand-worked case: a 3×3 image, 2×2 windows, stride 1, 'same' padding", {
  skip,
}, () => {
  const runner = new KernelRunner(kernels!);
  const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
  const g = windowGeometry([1, 3, 3, 1], { kernel: [2, 2], padding: "same" });
  const cols = new Float32Array(9 * 4);
  wasmConv.im2col(runner.scratchSpace, x, g, -1, cols);
  // "same" with an even kernel pads after: row/column 3 reads the pad value −1.
  const expected = [1, 2, 4, 5, 2, 3, 5, 6, 3, -1, 6, -1, 4, 5, 7, 8, 5, 6, 8, 9, 6, -1, 9, -1];
  assert.deepEqual(Array.from(cols.subarray(0, 24)), expected);
  assert.deepEqual(Array.from(cols.subarray(24)), [7, 8, -1, -1, 8, 9, -1, -1, 9, -1, -1, -1]);
  // col2im of all ones counts how many windows read each pixel.
  const counts = new Float32Array(9);
  wasmConv.col2im(runner.scratchSpace, new Float32Array(36).fill(1), g, counts);
  assert.deepEqual(Array.from(counts), [1, 2, 2, 2, 4, 4, 2, 4, 4]);
});

test("the wasm backend's im2col/col2im match js on float32 (compiled) and float64 (js's own) data", {
  skip,
}, () => {
  const backend = createWasmBackend(kernels)!;
  const g = windowGeometry([4, 12, 12, 3], { kernel: [3, 3], padding: "same" });
  const x32 = randomF32(4 * 12 * 12 * 3);
  for (const x of [x32, Float64Array.from(x32)]) {
    const make = (n: number) => (x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
    const [want, got] = [make(colsLength(g)), make(colsLength(g))];
    jsConv.im2col(x, g, 0, want);
    backend.im2col(x, g, 0, got);
    assert.deepEqual(got, want);
    const [back, gotBack] = [make(x.length), make(x.length).fill(7)];
    jsConv.col2im(want, g, back);
    backend.col2im(want, g, gotBack);
    assert.deepEqual(gotBack, back);
  }
});

test("wasm maxPool and maxPoolBackward give the js kernels' bits, with ties, −∞ and NaN", { skip }, () => {
  const runner = new KernelRunner(kernels!);
  for (const c of cases()) {
    const g = windowGeometry(c.shape, { ...c, groups: 1 });
    const size = c.shape.reduce((a, b) => a * b);
    // Small integers tie within windows; the last sample's channel 0 is all −∞ (ties with padding).
    const x = Float32Array.from({ length: size }, () => {
      const u = rng.next();
      return u < 0.02 ? Number.NaN : u < 0.06 ? -Infinity : Math.floor(rng.uniform(-3, 3));
    });
    for (let i = size / 2; i < size; i += c.shape[3]) x[i] = -Infinity;
    const rows = g.batch * g.outH * g.outW * g.channels;
    const [y, got] = [new Float32Array(rows), new Float32Array(rows).fill(7)];
    jsPool.maxPool(x, g, y);
    wasmConv.maxPool(runner.scratchSpace, x, g, got);
    assert.deepEqual(got, y, `maxPool ${JSON.stringify(c)}`);
    const gOut = randomF32(rows);
    const [dx, gotDx] = [new Float32Array(size), new Float32Array(size).fill(7)];
    jsPool.maxPoolBackward(x, y, gOut, g, dx);
    wasmConv.maxPoolBackward(runner.scratchSpace, x, y, gOut, g, gotDx);
    assert.deepEqual(gotDx, dx, `maxPoolBackward ${JSON.stringify(c)}`);
  }
});
