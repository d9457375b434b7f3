/**
 * Convolution and pooling (autograd/conv.ts): forward values against direct float64 loops written here
 * from the definitions, and gradients of every op against finite differences (`gradCheck`), over
 * stride, padding, dilation and groups (depthwise included). PyTorch fixtures: conv-torch.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  avgPool2d,
  conv2d,
  globalAvgPool,
  maxPool2d,
  type WindowOptions,
  windowGeometry,
} from "../src/autograd/conv.js";
import { grad } from "../src/autograd/backward.js";
import { gradCheck } from "../src/autograd/gradcheck.js";
import { backend, backendNames, useBackend } from "../src/backend/index.js";
import * as op from "../src/autograd/ops.js";
import { ShapeError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

const rng = new Rng(2020);

function rand(shape: number[]): Tensor {
  const t = Tensor.zeros(shape, "float64");
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-2, 2);
  t.requiresGrad = true;
  return t;
}

interface ConvCase {
  name: string;
  input: [number, number, number, number];
  filters: number;
  window: WindowOptions;
}

const CONV_CASES: ConvCase[] = [
  { name: "3×3 valid", input: [2, 5, 6, 3], filters: 4, window: { kernel: [3, 3] } },
  {
    name: "3×3 same, stride 2",
    input: [2, 5, 6, 2],
    filters: 3,
    window: { kernel: [3, 3], stride: [2, 2], padding: "same" },
  },
  {
    name: "2×2 same (odd padding after)",
    input: [1, 4, 5, 2],
    filters: 2,
    window: { kernel: [2, 2], padding: "same" },
  },
  {
    name: "3×2 dilation 2 same",
    input: [1, 6, 6, 2],
    filters: 3,
    window: { kernel: [3, 2], dilation: [2, 2], padding: "same" },
  },
  {
    name: "groups 2, stride (1, 2)",
    input: [2, 5, 5, 4],
    filters: 6,
    window: { kernel: [3, 3], stride: [1, 2], groups: 2 },
  },
  {
    name: "depthwise ×2",
    input: [1, 5, 5, 3],
    filters: 6,
    window: { kernel: [3, 3], padding: "same", groups: 3 },
  },
];

/** The definition, in float64: y[n,oy,ox,f] = b[f] + Σ x[n, oy·s − p + ky·d, ox·s − p + kx·d, c] w[f, ky, kx, c]. */
function directConv(x: Tensor, w: Tensor, b: Tensor, c: ConvCase): Float64Array {
  const g = windowGeometry(x.shape, c.window);
  const [kh, kw] = c.window.kernel;
  const cg = g.channels / g.groups;
  const fg = c.filters / g.groups;
  const out = new Float64Array(g.batch * g.outH * g.outW * c.filters);
  let o = 0;
  for (let n = 0; n < g.batch; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let f = 0; f < c.filters; f++) {
          let s = b.data[f];
          const group = Math.floor(f / fg);
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
              const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
              if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
              for (let ci = 0; ci < cg; ci++)
                s +=
                  x.data[((n * g.height + iy) * g.width + ix) * g.channels + group * cg + ci] *
                  w.data[((f * kh + ky) * kw + kx) * cg + ci];
            }
          out[o++] = s;
        }
  return out;
}

for (const c of CONV_CASES) {
  const x = rand(c.input);
  const taps = (c.window.kernel[0] * c.window.kernel[1] * c.input[3]) / (c.window.groups ?? 1);
  const w = rand([c.filters, taps]);
  const b = rand([c.filters]);
  const run = (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, windowGeometry(x.shape, c.window));

  test(`conv2d ${c.name}: the direct definition's values`, () => {
    const got = run(x, w, b);
    const want = directConv(x, w, b, c);
    assert.equal(got.size, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got.data[i] - want[i]) < 1e-12, `${i}`);
  });

  test(`conv2d ${c.name}: gradients of x, w and b match finite differences`, () => {
    const r = gradCheck(run, [x, w, b]);
    assert.ok(r.maxRelativeError < 1e-6, `${r.maxRelativeError} at ${JSON.stringify(r.worst)}`);
  });
}

const POOL_CASES: { name: string; input: [number, number, number, number]; window: WindowOptions }[] = [
  { name: "2×2 stride 2", input: [2, 4, 6, 3], window: { kernel: [2, 2], stride: [2, 2] } },
  {
    name: "3×3 stride 2 same",
    input: [1, 5, 5, 2],
    window: { kernel: [3, 3], stride: [2, 2], padding: "same" },
  },
  { name: "3×3 stride 1 same", input: [1, 4, 4, 2], window: { kernel: [3, 3], padding: "same" } },
];

for (const c of POOL_CASES) {
  const x = rand(c.input);
  test(`maxPool2d and avgPool2d ${c.name}: direct values and finite differences`, () => {
    const g = windowGeometry(x.shape, c.window, "pool");
    const max = maxPool2d(x, g);
    const avg = avgPool2d(x, g);
    let o = 0;
    for (let n = 0; n < g.batch; n++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++)
          for (let ch = 0; ch < g.channels; ch++, o++) {
            let [m, s, count] = [-Infinity, 0, 0];
            for (let ky = 0; ky < g.kernelH; ky++)
              for (let kx = 0; kx < g.kernelW; kx++) {
                const iy = oy * g.strideH - g.padTop + ky;
                const ix = ox * g.strideW - g.padLeft + kx;
                if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
                const v = x.data[((n * g.height + iy) * g.width + ix) * g.channels + ch];
                [m, s, count] = [Math.max(m, v), s + v, count + 1];
              }
            assert.equal(max.data[o], m);
            assert.ok(Math.abs(avg.data[o] - s / count) < 1e-12);
          }
    for (const f of [maxPool2d, avgPool2d]) {
      const r = gradCheck((x) => f(x, windowGeometry(x.shape, c.window, "pool")), [x]);
      assert.ok(r.maxRelativeError < 1e-6, `${f.name}: ${r.maxRelativeError}`);
    }
  });
}

test("globalAvgPool is the mean over positions; its gradient matches finite differences", () => {
  const x = rand([2, 3, 4, 5]);
  const y = globalAvgPool(x);
  assert.deepEqual(y.shape, [2, 5]);
  let s = 0;
  for (let p = 0; p < 12; p++) s += x.data[p * 5 + 3];
  assert.ok(Math.abs(y.data[3] - s / 12) < 1e-12);
  assert.ok(gradCheck(globalAvgPool, [x]).maxRelativeError < 1e-6);
});

test("im2col and col2im are each other's adjoint: <im2col(x), c> = <x, col2im(c)>", () => {
  const x = rand([2, 5, 4, 4]);
  const g = windowGeometry(x.shape, {
    kernel: [3, 2],
    stride: [2, 1],
    dilation: [1, 2],
    padding: "same",
    groups: 2,
  });
  const cols = op.im2col(x, g);
  const c = rand(cols.shape as number[]);
  const back = op.col2im(c, g);
  let lhs = 0;
  let rhs = 0;
  for (let i = 0; i < c.size; i++) lhs += cols.data[i] * c.data[i];
  for (let i = 0; i < x.size; i++) rhs += x.data[i] * back.data[i];
  assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.abs(lhs), `${lhs} vs ${rhs}`);
  assert.ok(gradCheck((c) => op.col2im(c, g), [rand(cols.shape as number[])]).maxRelativeError < 1e-6);
});

test("a window larger than its input and groups that do not divide the channels are errors naming both", () => {
  assert.throws(
    () => windowGeometry([1, 4, 4, 1], { kernel: [5, 5] }, "model.layers[0] (conv2d)"),
    (e: unknown) => e instanceof ShapeError && /layers\[0\].*5×5.*larger than its input 4×4/.test(e.message),
  );
  assert.throws(
    () => windowGeometry([1, 4, 4, 3], { kernel: [3, 3], groups: 2 }, "conv"),
    (e: unknown) =>
      e instanceof ShapeError && /2 groups do not divide the input's 3 channels/.test(e.message),
  );
});

test("every backend gives js's convolution and pooling, values and gradients, in float32", () => {
  const x = rand([4, 9, 9, 4]).to("float32");
  const w = rand([8, 18]).to("float32");
  const b = rand([8]).to("float32");
  for (const t of [x, w, b]) t.requiresGrad = true;
  const net = (x: Tensor, w: Tensor, b: Tensor): Tensor => {
    const h = conv2d(
      x,
      w,
      b,
      windowGeometry(x.shape, { kernel: [3, 3], padding: "same", groups: 2 }),
      op.relu,
    );
    const p = maxPool2d(h, windowGeometry(h.shape, { kernel: [2, 2], stride: [2, 2] }));
    return op.sum(op.mul(avgPool2d(p, windowGeometry(p.shape, { kernel: [3, 3], padding: "same" })), p));
  };
  const on = (name: string) => {
    useBackend(name);
    const y = net(x, w, b);
    return [y, ...grad(y, [x, w, b])].map((t) => Array.from(t.data));
  };
  const before = backend().name;
  try {
    const want = on("js");
    for (const name of backendNames().filter((n) => n !== "js")) {
      on(name).forEach((got, k) =>
        got.forEach((v, i) =>
          assert.ok(
            Math.abs(v - want[k][i]) <= 1e-4 * Math.max(1, Math.abs(want[k][i])),
            `${name} ${k}[${i}]`,
          ),
        ),
      );
    }
  } finally {
    useBackend(before);
  }
});
