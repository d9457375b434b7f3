/**
 * The fused convolution on wasm (im2col, product, bias and relu in one call; both products and col2im in
 * one call back) against the composite it replaces (im2col, then `linear`, and their gradient rules), run
 * on the same wasm kernels without the `conv2d` pair: the same bits for the value and every gradient,
 * over kernel sizes, strides, dilations, both paddings, channel counts, filter counts that do and do not
 * fill the product's tiles, one-row and one-filter products, resident weights and gradient buffers,
 * products large enough to be split across threads, relu, another activation and none, float64.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import { conv2d, type WindowOptions, windowGeometry } from "../src/autograd/conv.js";
import * as op from "../src/autograd/ops.js";
import { backend, backendNames, registerBackend, useBackend } from "../src/backend/index.js";
import { KeptFields } from "../src/backend/wasm/conv-fused.js";
import { loadKernels } from "../src/backend/wasm/loader.js";
import { KernelRunner } from "../src/backend/wasm/runner.js";
import { Rng } from "../src/tensor/rng.js";
import { type DType, Tensor } from "../src/tensor/tensor.js";

const skip = !backendNames().includes("wasm");

interface Case {
  shape: [number, number, number, number];
  filters: number;
  window: WindowOptions;
}

const CASES: Case[] = [
  { shape: [2, 7, 6, 3], filters: 5, window: { kernel: [3, 3], padding: "same" } },
  { shape: [3, 8, 8, 4], filters: 16, window: { kernel: [3, 3], stride: [2, 2], padding: "same" } },
  { shape: [2, 9, 7, 2], filters: 7, window: { kernel: [2, 3], dilation: [2, 1], padding: "valid" } },
  { shape: [1, 5, 5, 1], filters: 3, window: { kernel: [5, 5], padding: "valid" } }, // one row
  { shape: [2, 6, 6, 3], filters: 1, window: { kernel: [3, 3], padding: "same" } }, // one filter
  { shape: [4, 6, 5, 8], filters: 32, window: { kernel: [1, 1] } },
  {
    shape: [2, 10, 10, 6],
    filters: 12,
    window: { kernel: [3, 2], stride: [1, 2], dilation: [1, 2], padding: "same" },
  },
  // 27 taps: dx's product padded to 32 columns.
  { shape: [3, 50, 50, 3], filters: 5, window: { kernel: [3, 3], padding: "valid" } },
  // Both products read from the fields in place (small enough for one thread): 288 taps and 294 rows
  // (each two depth blocks of 256), two rows past the last four, 20 filters (groups of 8, 8 and 4).
  { shape: [6, 7, 7, 32], filters: 20, window: { kernel: [3, 3], padding: "same" } },
  // The filter gradient tap by tap (taps not in eights, filters in eights; under the threads' split):
  // 27 taps (a tail of the last four) over 2,645 rows (ten depth blocks and 85 rows), 25 taps against
  // 24 filters, 4 taps (no tail) and 5 (the tail all but the whole of the window before).
  { shape: [5, 23, 23, 3], filters: 16, window: { kernel: [3, 3], padding: "same" } },
  { shape: [3, 20, 20, 1], filters: 24, window: { kernel: [5, 5], padding: "valid" } },
  { shape: [2, 9, 9, 1], filters: 8, window: { kernel: [2, 2], padding: "valid" } },
  { shape: [2, 6, 9, 1], filters: 8, window: { kernel: [1, 5], padding: "same" } },
  // Large enough to split (3.5M multiply-adds) but 27 taps: in place on one thread however many there are.
  { shape: [9, 32, 32, 3], filters: 16, window: { kernel: [3, 3], padding: "same" } },
  // Large enough to be split across threads (rows 32·28·28, 288 taps, 32 filters).
  { shape: [32, 28, 28, 32], filters: 32, window: { kernel: [3, 3], padding: "same" } },
  // Split by images into chunks of one (7 and 3 images), and by taps into chunks of 48 with a last one
  // of 24 (360 taps).
  { shape: [7, 24, 24, 16], filters: 16, window: { kernel: [3, 3], padding: "same" } },
  { shape: [3, 12, 12, 40], filters: 16, window: { kernel: [3, 3], padding: "same" } },
];

function filled(shape: number[], dtype: DType, rng: Rng, resident: boolean): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = (dtype === "float32" && resident ? backend().alloc?.(size) : null) ?? undefined;
  const t = data ? new Tensor(data, shape) : Tensor.zeros(shape, dtype);
  for (let i = 0; i < size; i++) t.data[i] = rng.uniform(-1, 1);
  t.requiresGrad = true;
  return t;
}

/** Value and gradients (x, w, b) of Σ r·conv2d on the named backend, dw written into `dwBuffer` when given. */
function run(
  name: string,
  c: Case,
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  act: string,
  dwBuffer: Float32Array | null,
) {
  useBackend(name);
  try {
    const g = windowGeometry(x.shape, c.window);
    const fn = act === "relu" ? op.relu : act === "tanh" ? op.tanh : undefined;
    const y = conv2d(x, w, b, g, fn);
    const r = Tensor.zeros(y.shape, y.dtype);
    const rng = new Rng(99);
    for (let i = 0; i < r.size; i++) r.data[i] = rng.uniform(-1, 1);
    const wrt = b ? [x, w, b] : [x, w];
    const gs = grad(op.sum(op.mul(y, r)), wrt, undefined, dwBuffer ? [null, dwBuffer, null] : undefined);
    // Copies: a gradient written into dwBuffer is overwritten by the next run.
    return { y, op: y.node?.op, grads: gs.map((t) => Float64Array.from(t.data)) };
  } finally {
    useBackend("js");
  }
}

function assertSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

test("fused conv2d on wasm gives the composite's bits: values and every gradient", { skip }, () => {
  const wasm = useBackend("wasm", { threads: 2 });
  registerBackend({ ...wasm, name: "wasm-composite", conv2d: undefined, conv2dBackward: undefined });
  useBackend("js");
  const rng = new Rng(31);
  let checked = 0;
  for (const c of CASES)
    for (const dtype of ["float32", "float64"] as const) {
      if (dtype === "float64" && c.shape[0] > 8) continue;
      const resident = checked % 2 === 0;
      const taps = c.window.kernel[0] * c.window.kernel[1] * c.shape[3];
      useBackend("wasm");
      const x = filled(c.shape, dtype, rng, false);
      const w = filled([c.filters, taps], dtype, rng, resident);
      const b = checked % 3 === 2 ? null : filled([c.filters], dtype, rng, resident);
      const dwBuffer = resident && dtype === "float32" ? (backend().alloc?.(w.size) ?? null) : null;
      useBackend("js");
      for (const act of ["relu", "tanh", "none"]) {
        const what = `${JSON.stringify(c)} ${dtype} ${act}${resident ? " resident" : ""}`;
        const fused = run("wasm", c, x, w, b, act, dwBuffer);
        const ref = run("wasm-composite", c, x, w, b, act, dwBuffer);
        assert.equal(fused.op === "conv2d" || fused.y.node?.inputs[0]?.node?.op === "conv2d", true, what);
        assert.notEqual(ref.op, "conv2d");
        assertSameBits(fused.y.data, ref.y.data, `${what} value`);
        fused.grads.forEach((gf, i) => assertSameBits(gf, ref.grads[i]!, `${what} gradient ${i}`));
        checked++;
      }
    }
  assert.ok(checked >= 40, `${checked} cases`);
});

test("fused conv2d on wasm: a hand-worked 1×2×2×1 image, a 2×2 filter, 'same' padding", { skip }, () => {
  // x = [[1, 2], [3, 4]], w taps (ky, kx) = [1, 0, 0, -1], b = 0.5: y(i, j) = x(i, j) − x(i+1, j+1) + 0.5,
  // zero past the edge: y = [[1 − 4 + 0.5, 2.5], [3.5, 4.5]] = [[−2.5, 2.5], [3.5, 4.5]]; relu zeroes −2.5.
  useBackend("wasm");
  try {
    const x = new Tensor(Float32Array.of(1, 2, 3, 4), [1, 2, 2, 1]);
    const w = new Tensor(Float32Array.of(1, 0, 0, -1, 1, 1, 1, 1), [2, 4]);
    const b = new Tensor(Float32Array.of(0.5, 0), [2]);
    for (const t of [x, w, b]) t.requiresGrad = true;
    const y = conv2d(x, w, b, windowGeometry(x.shape, { kernel: [2, 2], padding: "same" }), op.relu);
    assert.equal(y.node?.op, "conv2d");
    // Filter 1 sums each window: [[10, 6], [7, 4]].
    assert.deepEqual(Array.from(y.data), [0, 10, 2.5, 6, 3.5, 7, 4.5, 4]);
    const [dx, dw, db] = grad(op.sum(y), [x, w, b]);
    // Filter 0 passes at (0,1), (1,0), (1,1): dx gets +1 at those, −1 at their (i+1, j+1) (outside);
    // filter 1 adds each pixel once per window reading it: x(0,0) 1, x(0,1) 2, x(1,0) 2, x(1,1) 4.
    assert.deepEqual(Array.from(dx.data), [1, 3, 3, 5]);
    assert.deepEqual(Array.from(dw.data), [2 + 3 + 4, 4, 4, 0, 10, 6, 7, 4]);
    assert.deepEqual(Array.from(db.data), [3, 4]);
  } finally {
    useBackend("js");
  }
});

test("fused conv2d on wasm: filters applied to several images before one backward pass", { skip }, () => {
  // The forward pass leaves its fields in a block kept per filter array; a later pass over the same
  // filters (a larger batch: a new block; then smaller ones, written over the start of that block) must
  // not hand an earlier pass's backward its fields. Each gradient against the composite's.
  const wasm = useBackend("wasm", { threads: 1 });
  registerBackend({ ...wasm, name: "wasm-composite", conv2d: undefined, conv2dBackward: undefined });
  const rng = new Rng(7);
  const window: WindowOptions = { kernel: [3, 3], padding: "same" };
  const w = filled([8, 9 * 4], "float32", rng, true);
  const b = filled([8], "float32", rng, true);
  const xs = [2, 5, 1, 2].map((batch) => filled([batch, 6, 6, 4], "float32", rng, false));
  const gradsOn = (name: string) => {
    useBackend(name);
    try {
      const ys = xs.map((x) => conv2d(x, w, b, windowGeometry(x.shape, window), op.relu));
      const terms = ys.map((y, i) => op.mul(op.sum(y), Tensor.scalar(i + 1)));
      const total = terms.reduce((a, t) => op.add(a, t));
      return grad(total, [...xs, w, b]).map((t) => Float64Array.from(t.data));
    } finally {
      useBackend("js");
    }
  };
  const fused = gradsOn("wasm");
  const ref = gradsOn("wasm-composite");
  fused.forEach((gf, i) => assertSameBits(gf, ref[i]!, `gradient ${i}`));
});

test("kept fields: a view stays current until its block is written again; none past the cap", {
  skip: skip || !loadKernels()?.shared,
}, () => {
  const fields = new KeptFields(new KernelRunner(loadKernels()!), 4096);
  const owner = {};
  const first = fields.take(owner, 2048)!;
  assert.equal(fields.current(first), first);
  const larger = fields.take(owner, 3000)!; // a new block: the first one is never written again
  assert.notEqual(larger.byteOffset, first.byteOffset);
  assert.equal(fields.current(first), first);
  const again = fields.take(owner, 1000)!; // the start of the larger block, written over
  assert.equal(again.byteOffset, larger.byteOffset);
  assert.equal(fields.current(larger), null);
  assert.equal(fields.current(again), again);
  assert.equal(fields.take(owner, 4097), null);
  assert.equal(fields.take({}, 4097), null);
  const plain = new Float32Array(8); // a copy kept by the caller, not a view of a block
  assert.equal(fields.current(plain), plain);
  assert.equal(fields.current(null), null);
});
