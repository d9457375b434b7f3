import assert from "node:assert/strict";
import { test } from "node:test";
import * as F from "../src/autograd/functional.js";
import * as op from "../src/autograd/ops.js";
import { grad, backward } from "../src/autograd/backward.js";
import { linear, softmaxCrossEntropy } from "../src/autograd/fused.js";
import { gradCheck } from "../src/autograd/gradcheck.js";
import { gradients } from "../src/autograd/gradients.js";
import { backend, backendNames, useBackend } from "../src/backend/index.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { ShapeError } from "../src/tensor/errors.js";

const rng = new Rng(1234);

/** A float64 tensor of values in [lo, hi) kept at least `gap` away from 0 (the kinks of relu, abs, sign). */
function rand(shape: number[], lo = -2, hi = 2, gap = 0.05): Tensor {
  const t = Tensor.zeros(shape, "float64");
  for (let i = 0; i < t.size; i++) {
    let v = 0;
    do v = rng.uniform(lo, hi);
    while (Math.abs(v) < gap);
    t.data[i] = v;
  }
  t.requiresGrad = true;
  return t;
}

const TOL = 1e-6;

function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  test(`gradient of ${name} matches finite differences`, () => {
    const r = gradCheck(f, inputs);
    assert.ok(
      r.maxRelativeError < TOL,
      `${name}: relative error ${r.maxRelativeError} at ${JSON.stringify(r.worst)}`,
    );
  });
}

// Every primitive, through a case that exercises broadcasting where the primitive broadcasts.
check("neg", op.neg, [rand([3, 4])]);
check("exp", op.exp, [rand([3, 4])]);
check("log", op.log, [rand([3, 4], 0.1, 3)]);
check("log1p", op.log1p, [rand([3, 4], -0.9, 3)]);
check("sqrt", op.sqrt, [rand([3, 4], 0.1, 3)]);
check("abs", op.abs, [rand([3, 4])]);
check("tanh", op.tanh, [rand([3, 4])]);
check("sigmoid", op.sigmoid, [rand([3, 4], -6, 6)]);
check("relu", op.relu, [rand([3, 4])]);
check("erf", op.erf, [rand([3, 4], -3, 3)]);
check("add (broadcast row)", op.add, [rand([3, 4]), rand([4])]);
check("sub (broadcast column)", op.sub, [rand([3, 4]), rand([3, 1])]);
check("mul (broadcast both)", op.mul, [rand([3, 1]), rand([1, 4])]);
check("div", op.div, [rand([3, 4]), rand([3, 4], 0.5, 2)]);
check("maximum", op.maximum, [rand([3, 4]), rand([3, 4])]);
check("where", (c, a, b) => op.where(c, a, b), [
  (() => {
    const c = Tensor.from(
      [
        [1, 0, 1, 0],
        [0, 0, 1, 1],
        [1, 1, 0, 0],
      ],
      { dtype: "float64" },
    );
    return c;
  })(),
  rand([3, 4]),
  rand([4]),
]);
check("sum (axis 0)", (x) => op.sum(x, 0), [rand([3, 4])]);
check("sum (axes 0,2, keepDims)", (x) => op.sum(x, [0, 2], true), [rand([2, 3, 4])]);
check("sum (all)", (x) => op.sum(x), [rand([2, 3])]);
check("max (last axis)", (x) => op.max(x, -1), [rand([3, 5])]);
check("max (axis 0)", (x) => op.max(x, 0), [rand([4, 3])]);
const c62 = rand([6, 2]),
  c43 = rand([4, 3]),
  c423 = rand([4, 2, 3]),
  c34 = rand([3, 4]);
check("reshape", (x) => op.mul(op.reshape(x, [6, 2]), c62), [rand([3, 4])]);
check("transpose 2-D", (x) => op.mul(op.transpose(x), c43), [rand([3, 4])]);
check("transpose 3-D", (x) => op.mul(op.transpose(x, [2, 0, 1]), c423), [rand([2, 3, 4])]);
check("expand", (x) => op.mul(op.expand(x, [3, 4]), c34), [rand([1, 4])]);
for (const [tA, tB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]) {
  const a = tA ? rand([4, 3]) : rand([3, 4]);
  const b = tB ? rand([5, 4]) : rand([4, 5]);
  check(`matmul transA=${tA} transB=${tB}`, (x, y) => op.matmul(x, y, { transA: tA, transB: tB }), [a, b]);
}
// The fused dense layer: relu's kink is kept away from (pre-activations of size ≥ 0.05 are drawn again).
function linearInputs(bias: boolean): Tensor[] {
  for (;;) {
    const [x, w, b] = [rand([4, 3]), rand([5, 3]), rand([5])];
    const z = bias ? op.add(op.matmul(x, w, { transB: true }), b) : op.matmul(x, w, { transB: true });
    if (Array.from(z.data).every((v) => Math.abs(v) > 0.05)) return bias ? [x, w, b] : [x, w];
  }
}
check("linear, relu, with bias", (x, w, b) => linear(x, w, b, op.relu), linearInputs(true));
check("linear, identity, with bias", (x, w, b) => linear(x, w, b), linearInputs(true));
check("linear, relu, no bias", (x, w) => linear(x, w, null, op.relu), linearInputs(false));
// Softmax cross-entropy, with respect to logits and targets: hard targets, soft targets whose rows do not
// sum to 1 (so the Σⱼtⱼ factor of its gradient is exercised), three axes, and a single vector.
const oneHot = Tensor.from(
  [
    [0, 1, 0, 0, 0],
    [1, 0, 0, 0, 0],
    [0, 0, 0, 0, 1],
  ],
  { dtype: "float64", requiresGrad: true },
);
check("softmaxCrossEntropy, one-hot targets", softmaxCrossEntropy, [rand([3, 5], -4, 4), oneHot]);
check("softmaxCrossEntropy, soft targets", softmaxCrossEntropy, [rand([3, 5], -4, 4), rand([3, 5], 0, 1)]);
check("softmaxCrossEntropy, [2, 3, 4]", softmaxCrossEntropy, [rand([2, 3, 4], -4, 4), rand([2, 3, 4], 0, 1)]);
check("softmaxCrossEntropy, one row", softmaxCrossEntropy, [rand([6], -4, 4), rand([6], 0, 1)]);

// Composites: their gradients come from their primitives, and must be right too.
check("mean", (x) => F.mean(x, 1), [rand([3, 4])]);
check("variance", (x) => F.variance(x, -1), [rand([3, 4])]);
check("softmax", (x) => F.softmax(x), [rand([3, 5])]);
check("logSoftmax", (x) => F.logSoftmax(x), [rand([3, 5])]);
check("logSumExp", (x) => F.logSumExp(x), [rand([3, 5], -30, 30)]);
check("softplus", F.softplus, [rand([3, 4], -8, 8)]);
check("softplus at exactly 0 (gradient ½)", F.softplus, [
  Tensor.from([0, 0.5, -0.5], { dtype: "float64", requiresGrad: true }),
]);
check("logSigmoid", F.logSigmoid, [rand([3, 4], -8, 8)]);
check("leakyRelu", (x) => F.leakyRelu(x, 0.1), [rand([3, 4])]);
check("elu", (x) => F.elu(x, 1), [rand([3, 4])]);
check("selu", F.selu, [rand([3, 4])]);
check("gelu", F.gelu, [rand([3, 4], -4, 4)]);
check("minimum / clamp", (x) => F.clamp(x, -1, 1), [
  Tensor.from(
    [
      [-3, -0.5, 0.4],
      [2, 0.8, -1.6],
    ],
    { dtype: "float64", requiresGrad: true },
  ),
]);
check("layerNorm", (x, w, b) => F.layerNorm(x, w, b, 1e-5), [rand([3, 6]), rand([6]), rand([6])]);
check(
  "a small MLP",
  (x, w1, b1, w2) =>
    F.logSoftmax(op.matmul(op.tanh(op.add(op.matmul(x, w1, { transB: true }), b1)), w2, { transB: true })),
  [rand([4, 3]), rand([5, 3]), rand([5]), rand([2, 5])],
);

test("softmaxCrossEntropy gives its composite's bits (value, logit and target gradients) on every backend", () => {
  const before = backend().name;
  const composite = (z: Tensor, t: Tensor): Tensor =>
    op.neg(op.div(op.sum(op.mul(t, F.logSoftmax(z, -1))), z.rank > 1 ? z.size / z.shape[z.rank - 1]! : 1));
  const r = new Rng(77);
  const cases: { shape: number[]; soft: boolean; special?: (z: Float64Array) => void }[] = [
    { shape: [64, 10], soft: false },
    { shape: [5, 7], soft: true },
    { shape: [32, 100], soft: true },
    { shape: [2, 3, 4], soft: true },
    { shape: [6], soft: true },
    {
      shape: [4, 3],
      soft: false,
      special: (z) => {
        z[3] = 1e4;
        z[4] = 1e4;
        z[5] = -1e4;
        z[6] = -Infinity;
      },
    },
    {
      shape: [3, 4],
      soft: false,
      special: (z) => {
        z[5] = NaN;
      },
    },
  ];
  try {
    for (const name of backendNames()) {
      useBackend(name);
      for (const dtype of ["float32", "float64"] as const) {
        for (const c of cases) {
          const n = c.shape.reduce((a, b) => a * b, 1),
            cols = c.shape[c.shape.length - 1]!;
          const zv = new Float64Array(n).map(() => (r.next() - 0.5) * 16);
          c.special?.(zv);
          const tv = new Float64Array(n);
          for (let i = 0; i < n / cols; i++) {
            if (c.soft) for (let j = 0; j < cols; j++) tv[i * cols + j] = r.next() * 0.4;
            else tv[i * cols + Math.floor(r.next() * cols)] = 1;
          }
          const make = (v: Float64Array) => {
            const x = new Tensor(dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v), c.shape);
            x.requiresGrad = true;
            return x;
          };
          const [z1, t1, z2, t2] = [make(zv), make(tv), make(zv), make(tv)];
          // An incoming gradient other than 1 (0.37), as a penalty term's weighting or a scaled loss gives.
          const fused = softmaxCrossEntropy(z1, t1),
            comp = composite(z2, t2);
          const what = `${name} ${dtype} ${JSON.stringify(c.shape)}${c.soft ? " soft" : ""}`;
          assert.ok(
            Object.is(fused.item(), comp.item()),
            `${what}: value ${fused.item()} vs composite ${comp.item()}`,
          );
          const [gz1, gt1] = grad(op.mul(fused, 0.37), [z1, t1]);
          const [gz2, gt2] = grad(op.mul(comp, 0.37), [z2, t2]);
          for (let i = 0; i < n; i++) {
            assert.ok(
              Object.is(gz1!.data[i], gz2!.data[i]),
              `${what}: dz[${i}] ${gz1!.data[i]} vs ${gz2!.data[i]}`,
            );
            assert.ok(
              Object.is(gt1!.data[i], gt2!.data[i]),
              `${what}: dt[${i}] ${gt1!.data[i]} vs ${gt2!.data[i]}`,
            );
          }
        }
      }
    }
  } finally {
    useBackend(before);
  }
  assert.throws(() => softmaxCrossEntropy(Tensor.from([[1, 2]]), Tensor.from([1, 2])), ShapeError);
  assert.throws(() => softmaxCrossEntropy(Tensor.scalar(1), Tensor.scalar(1)), ShapeError);
});

test("every primitive has a gradient rule", () => {
  // The `satisfies Record<PrimOp, GradRule>` makes this a compile-time fact; this checks the runtime table too.
  assert.equal(Object.keys(gradients).length, 30);
});

test("max ties share the gradient evenly (PyTorch amax semantics), over all elements and along an axis", () => {
  const gradOf = (x: Tensor, axes?: number): number[] =>
    Array.from(grad(op.sum(op.max(x, axes)), [x])[0].data);
  assert.deepEqual(gradOf(Tensor.from([1, 3, 3], { requiresGrad: true })), [0, 0.5, 0.5]);
  assert.deepEqual(
    gradOf(
      Tensor.from(
        [
          [2, 2, 1],
          [0, 5, 5],
        ],
        { requiresGrad: true },
      ),
      1,
    ),
    [0.5, 0.5, 0, 0, 0.5, 0.5],
  );
  const third = gradOf(
    Tensor.from(
      [
        [3, 1],
        [3, 3],
      ],
      { requiresGrad: true },
    ),
  );
  third.forEach((v, i) => assert.ok(Math.abs(v - [1, 0, 1, 1][i] / 3) < 1e-7, `${third}`));
});

test("forward values against closed forms", () => {
  const x = Tensor.from([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(op.sum(x, 0).toArray(), [5, 7, 9]);
  assert.deepEqual(op.sum(x, 1).toArray(), [6, 15]);
  assert.deepEqual(op.max(x, 0).toArray(), [4, 5, 6]);
  assert.deepEqual(op.transpose(x).toArray(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  assert.deepEqual(op.matmul(x, x, { transB: true }).toArray(), [
    [14, 32],
    [32, 77],
  ]);
  assert.deepEqual(op.matmul(x, x, { transA: true }).toArray(), [
    [17, 22, 27],
    [22, 29, 36],
    [27, 36, 45],
  ]);
  assert.deepEqual(op.add(x, Tensor.from([10, 20, 30])).toArray(), [
    [11, 22, 33],
    [14, 25, 36],
  ]);
  assert.deepEqual(op.mul(x, Tensor.from([[2], [3]])).toArray(), [
    [2, 4, 6],
    [12, 15, 18],
  ]);
  const s = F.softmax(Tensor.from([[0, Math.log(3)]], { dtype: "float64" }));
  assert.ok(Math.abs(s.data[0] - 0.25) < 1e-15 && Math.abs(s.data[1] - 0.75) < 1e-15);
  assert.equal(
    op
      .sigmoid(Tensor.from([-1e4, 1e4, 0]))
      .toArray()
      .toString(),
    "0,1,0.5",
  );
  // softplus keeps its relative accuracy far into the negative range (log1p), and is finite at ±1e4.
  const sp = F.softplus(Tensor.from([-20, -1e4, 1e4]));
  assert.ok(Math.abs(sp.data[0] - 2.0611536e-9) / 2.0611536e-9 < 1e-6, `softplus(-20) = ${sp.data[0]}`);
  assert.deepEqual(Array.from(sp.data.subarray(1)), [0, 1e4]);
});

test("softmax and logSumExp stay finite for logits of ±1e4", () => {
  const z = Tensor.from(
    [
      [1e4, -1e4, 0],
      [-1e4, -1e4, -1e4],
    ],
    { requiresGrad: true },
  );
  const l = F.logSoftmax(z);
  // Row 0: the largest logit takes all the mass, so log-softmax is z − 1e4, exactly. Row 1: −log 3 each, up to
  // the float32 rounding of logSumExp = −1e4 + log 3 (half a spacing at 1e4: 2⁻¹¹).
  assert.deepEqual(Array.from(l.data.subarray(0, 3)), [0, -2e4, -1e4]);
  for (const v of l.data.subarray(3))
    assert.ok(Math.abs(v + Math.log(3)) <= 2 ** -11, `log-softmax of equal logits: ${v}, expected −log 3`);
  const [g] = grad(op.sum(F.logSumExp(z)), [z]);
  assert.ok(Array.from(g.data).every(Number.isFinite));
  assert.deepEqual(
    Array.from(g.data).map((v) => Math.round(v * 1e6) / 1e6),
    [1, 0, 0, 1 / 3, 1 / 3, 1 / 3].map((v) => Math.round(v * 1e6) / 1e6),
  );
});

test("gradients accumulate over a tensor used twice, and backward adds into .grad", () => {
  const w = Tensor.from([1, -2, 3], { dtype: "float64", requiresGrad: true });
  const y = op.sum(op.add(op.mul(w, w), w)); // d/dw = 2w + 1
  const [g] = grad(y, [w]);
  assert.deepEqual(Array.from(g.data), [3, -3, 7]);
  backward(y);
  backward(y);
  assert.deepEqual(Array.from(w.grad!.data), [6, -6, 14]);
});

test("shape errors name both shapes", () => {
  assert.throws(
    () => op.add(Tensor.zeros([2, 3]), Tensor.zeros([4])),
    (e: Error) => e instanceof ShapeError && /\[2,3\] and \[4\]/.test(e.message),
  );
  assert.throws(
    () => op.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])),
    (e: Error) => e instanceof ShapeError && /3 vs 4/.test(e.message),
  );
});

test("gradCheck catches a wrong gradient rule", () => {
  // A deliberately wrong derivative of tanh (missing the square) must be flagged: the check can fail.
  const saved = gradients.tanh;
  try {
    (gradients as Record<string, unknown>).tanh = (g: Tensor, _x: Tensor[], out: Tensor) => [
      op.mul(g, op.sub(1, out)),
    ];
    const r = gradCheck(op.tanh, [rand([2, 3])]);
    assert.ok(r.maxRelativeError > 1e-3);
  } finally {
    (gradients as Record<string, unknown>).tanh = saved;
  }
});
