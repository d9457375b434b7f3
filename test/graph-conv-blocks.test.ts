/**
 * Residual and concat blocks over images (channels last): the identity shortcut and the strided 1×1
 * projection shortcut against closed forms, gradients by finite differences, the convolutions inside
 * blocks as health and homeostasis see them, and the ResNet-style example config trained briefly.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gradCheck } from "../src/autograd/gradcheck.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { Concat, Residual } from "../src/nn/blocks.js";
import { Conv2D } from "../src/nn/conv.js";
import { Dense } from "../src/nn/layers.js";
import { GlobalAvgPool } from "../src/nn/pooling.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { ShapeError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { unitSites } from "../src/units/layer.js";

/** n samples of [h, w, c] with values i·0.1 − 1 in memory order (a known, varied image). */
function images(
  n: number,
  h: number,
  w: number,
  c: number,
  dtype: "float32" | "float64" = "float32",
): Tensor {
  const size = n * h * w * c;
  const data = dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = ((i * 7) % 23) * 0.1 - 1;
  return new Tensor(data, [n, h, w, c]);
}

test("residual over images: a body of zeros leaves the identity shortcut, x itself", () => {
  const block = new Residual([new Conv2D(2, { padding: "same" })]);
  assert.deepEqual(block.buildShape([4, 4, 2], new Rng(0), "float32"), [4, 4, 2]);
  assert.equal(block.projection, null);
  const conv = block.layers[0] as Conv2D;
  conv.weight.data.fill(0);
  conv.bias?.data.fill(0);
  const x = images(2, 4, 4, 2);
  assert.deepEqual(Array.from(block.forward(x, { training: false }).data), Array.from(x.data));
});

test("residual that downsamples: a strided 1×1 projection reads every other pixel, channels mixed by P", () => {
  const block = new Residual([new Conv2D(3, { stride: 2, padding: "same" })]);
  // 5 positions at stride 2 with "same" padding: ceil(5 / 2) = 3; the projection's stride is 2.
  assert.deepEqual(block.buildShape([5, 5, 2], new Rng(0), "float32"), [3, 3, 3]);
  const proj = block.projection as Conv2D;
  assert.ok(proj instanceof Conv2D);
  assert.deepEqual(proj.stride, [2, 2]);
  assert.deepEqual(proj.weight.shape, [3, 2]);
  assert.deepEqual(
    block.parameters().map(([n]) => n),
    ["0.weight", "0.bias", "projection.0.weight"],
  );
  const conv = block.layers[0] as Conv2D;
  conv.weight.data.fill(0);
  conv.bias?.data.fill(0);
  // P: out channel 0 = in 0, out 1 = in 1, out 2 = in 0 − in 1.
  proj.weight.data.set([1, 0, 0, 1, 1, -1]);
  const x = images(1, 5, 5, 2);
  const y = block.forward(x, { training: false });
  assert.deepEqual(y.shape, [1, 3, 3, 3]);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const at = (2 * i * 5 + 2 * j) * 2; // pixel (2i, 2j) of the input
      const [a, b] = [x.data[at], x.data[at + 1]];
      const got = Array.from(y.data.slice((i * 3 + j) * 3, (i * 3 + j) * 3 + 3));
      assert.deepEqual(got, [a, b, Math.fround(a - b)], `pixel (${i}, ${j})`);
    }
});

test("a body that changes positions no projection can match is refused, naming both shapes", () => {
  const model = new Sequential([new Residual([new Conv2D(2, { kernel: 3 })])]); // valid: 6×6 → 4×4
  assert.throws(
    () => model.build([6, 6, 2], new Rng(0)),
    (e: unknown) => e instanceof ShapeError && /model\.layers\[0\].*\[6,6,2\].*\[4,4,2\]/.test(e.message),
  );
});

test("concat over images joins channels; branches that disagree on positions are refused", () => {
  const block = new Concat([[new Conv2D(3, { padding: "same" })], []]);
  assert.deepEqual(block.buildShape([4, 4, 2], new Rng(0), "float32"), [4, 4, 5]);
  const x = images(1, 4, 4, 2);
  const y = block.forward(x, { training: false });
  for (let p = 0; p < 16; p++)
    assert.deepEqual(
      Array.from(y.data.slice(p * 5 + 3, p * 5 + 5)),
      Array.from(x.data.slice(p * 2, p * 2 + 2)),
    );
  const bad = new Concat([[new Conv2D(3, { stride: 2, padding: "same" })], []]);
  assert.throws(() => bad.buildShape([4, 4, 2], new Rng(0), "float32"), /branch 1 gives samples shaped/);
});

test("gradients through a downsampling residual CNN match finite differences", () => {
  const model = new Sequential([
    new Conv2D(3, { padding: "same", activation: "tanh" }),
    new Residual([
      new Conv2D(4, { stride: 2, padding: "same", activation: "tanh" }),
      new Conv2D(4, { padding: "same" }),
    ]),
    new GlobalAvgPool(),
    new Dense(2),
  ]).build([5, 5, 2], new Rng(3), "float64");
  const x = images(2, 5, 5, 2, "float64");
  x.requiresGrad = true;
  const params = model.parameters().map(([, t]) => t);
  const r = gradCheck(() => model.forward(x, { training: true }), [x, ...params]);
  assert.ok(r.maxRelativeError < 1e-6, `relative error ${r.maxRelativeError} at ${JSON.stringify(r.worst)}`);
});

const example = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../examples/resnet-cnn.json", import.meta.url)), "utf8"),
);

test("the ResNet-style example: convolutions inside blocks are unit sites, the file round-trips", () => {
  const model = Sequential.fromLayerConfigs(example.model.layers).build(784, new Rng(1));
  assert.deepEqual(
    unitSites(model).map((s) => s.name),
    ["1", "4.0", "4.3", "6.0", "6.3", "6.projection.0", "9"],
  );
  const copy = decodeModel(encodeModel(model), "resnet.hmst").model;
  assert.deepEqual(
    copy.parameters().map(([n, t]) => [n, Array.from(t.data)]),
    model.parameters().map(([n, t]) => [n, Array.from(t.data)]),
  );
});

test("the ResNet-style example learns: 40 Adam steps on 640 synthetic images halve the loss", () => {
  const model = Sequential.fromLayerConfigs(example.model.layers).build(784, new Rng(1));
  const n = 640;
  const rng = new Rng(5);
  // Two synthetic classes the network must tell apart by where the ink is: top half or bottom half.
  const xs = new Float32Array(n * 784);
  const ys = new Float32Array(n * 10);
  for (let r = 0; r < n; r++) {
    const c = r % 2;
    for (let p = 0; p < 784; p++) {
      const inHalf = p < 392 === (c === 0);
      xs[r * 784 + p] = (inHalf ? 0.8 : 0) + 0.2 * rng.next();
    }
    ys[r * 10 + c] = 1;
  }
  const data = { x: new Tensor(xs, [n, 784]), y: new Tensor(ys, [n, 10]) };
  const h = fit(model, data, {
    epochs: 4,
    batchSize: 64,
    optimizer: adam({ lr: 3e-3 }),
    loss: "crossEntropy",
    seed: 1,
  });
  const losses = h.epochs.map((e) => e.train.loss);
  assert.ok(losses[3] < losses[0] / 2, `train loss by epoch: ${losses.join(", ")}`);
});
