/**
 * Convolution layers as parts of a model: configs and model files round-trip, bad shapes are errors
 * naming the layer, and channels are units — unit sites see through pooling and flatten, and ReDo
 * recycles a dead channel without changing the network's function.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { balanceMeasures } from "../src/homeostasis/balance.js";
import { redo } from "../src/homeostasis/redo.js";
import { hiddenLayers } from "../src/homeostasis/units.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { Conv1D, Conv2D } from "../src/nn/conv.js";
import { Dense } from "../src/nn/layers.js";
import { AvgPool2D, MaxPool2D } from "../src/nn/pooling.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { ConfigError, ShapeError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { unitActivity } from "../src/units/statistics.js";

const LAYERS = [
  { type: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
  { type: "maxPool2d", pool: 2 },
  { type: "conv2d", filters: 5, kernel: [3, 2], groups: 1, activation: "relu" },
  { type: "flatten" },
  { type: "dense", units: 3, activation: "softmax" },
];

/** n random 6×6×2 images (flat rows) in 3 classes, each brighter in one region. */
function images(n = 96, seed = 5): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 72);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 72; j++) x[i * 72 + j] = (Math.floor(j / 24) === c ? 1 : 0) + 0.3 * rng.normal();
    y[i * 3 + c] = 1;
  }
  return { x: new Tensor(x, [n, 72]), y: new Tensor(y, [n, 3]) };
}

const cnn = (seed = 1) => Sequential.fromLayerConfigs(LAYERS).build([6, 6, 2], new Rng(seed));

test("a CNN's config and model file round-trip: same architecture, shape and outputs", () => {
  const m = cnn();
  assert.deepEqual(m.config().inputShape, [6, 6, 2]);
  assert.equal(m.inputDim, 72);
  assert.deepEqual(m.config().layers[2], {
    type: "conv2d",
    filters: 5,
    kernel: [3, 2],
    stride: 1,
    dilation: 1,
    padding: "valid",
    groups: 1,
    activation: "relu",
    init: "heNormal",
    useBias: true,
  });
  const again = Sequential.fromLayerConfigs(m.config().layers).build([6, 6, 2], new Rng(1));
  assert.deepEqual(again.config(), m.config());
  const loaded = decodeModel(encodeModel(m)).model;
  assert.deepEqual(loaded.config(), m.config());
  const { x } = images(4);
  assert.deepEqual(Array.from(loaded.forward(x).data), Array.from(m.forward(x).data));
  // Shaped inputs [n, 6, 6, 2] give what flat rows do.
  const shaped = new Tensor(x.data, [4, 6, 6, 2]);
  assert.deepEqual(Array.from(m.forward(shaped).data), Array.from(m.forward(x).data));
});

test("a batch of no rows gives no outputs through flatten and group norm, not an error", () => {
  const layers = [LAYERS[0], { type: "groupNorm", groups: 2 }, ...LAYERS.slice(1)];
  const m = Sequential.fromLayerConfigs(layers).build([6, 6, 2], new Rng(1));
  for (const x of [new Tensor(new Float32Array(0), [0, 72]), new Tensor(new Float32Array(0), [0, 6, 6, 2])]) {
    const out = m.forward(x);
    assert.deepEqual(out.shape, [0, 3]);
    assert.equal(out.data.length, 0);
  }
  // Rows still give what they gave: flatten's width comes from the sample's shape, as before.
  const { x } = images(2);
  assert.deepEqual(m.forward(x).shape, [2, 3]);
});

test("shapes that do not fit are errors naming the layer and the shapes", () => {
  const fails = (layers: unknown[], input: number | number[], pattern: RegExp) =>
    assert.throws(
      () => Sequential.fromLayerConfigs(layers).build(input, new Rng(0)),
      (e: unknown) => e instanceof ShapeError && pattern.test(e.message),
    );
  fails(
    [{ type: "conv2d", filters: 2 }],
    784,
    /model\.layers\[0\]: conv2d: needs samples shaped \[height, width, channels\], got 784 flat features/,
  );
  fails(
    [{ type: "conv2d", filters: 2, kernel: 5 }],
    [4, 4, 1],
    /model\.layers\[0\]: conv2d: its 5×5 window .* larger than its input 4×4/,
  );
  fails(
    [{ type: "conv2d", filters: 2, groups: 2 }],
    [8, 8, 3],
    /model\.layers\[0\]: conv2d: 2 groups do not divide the input's 3 channels/,
  );
  fails(
    [
      { type: "conv2d", filters: 2 },
      { type: "dense", units: 3 },
    ],
    [8, 8, 1],
    /model\.layers\[1\]: dense takes flat samples, got samples shaped \[6,6,2\]; put a flatten layer/,
  );
  fails(
    [{ type: "reshape", shape: [28, 27, 1] }],
    784,
    /model\.layers\[0\]: reshape: samples \[784\] \(784 values\) do not fit the shape \[28,27,1\]/,
  );
  fails(
    [{ type: "maxPool2d", pool: 8 }],
    [6, 6, 1],
    /model\.layers\[0\]: maxPool2d: its 8×8 window .* larger than its input 6×6/,
  );
  // Filters that the groups do not divide: known before any input, still placed in the config.
  assert.throws(
    () => Sequential.fromLayerConfigs([{ type: "conv2d", filters: 3, groups: 2 }]),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "model.layers[0].groups: conv2d: groups (2) must divide the 3 filters" &&
      e.location.field === "model.layers[0].groups",
  );
  assert.throws(
    () => cnn().forward(new Tensor(new Float32Array(2 * 6 * 6 * 3), [2, 6, 6, 3])),
    (e: unknown) =>
      e instanceof ShapeError &&
      /samples shaped \[6,6,2\] \(or rows of 72 values\), got inputs \[2,6,6,3\]/.test(e.message),
  );
});

test("channels are units: a conv's unit site sees through pooling and flatten to the layers it feeds", () => {
  const m = cnn();
  const [first, second] = hiddenLayers(m);
  assert.deepEqual([first.name, first.layer.units, first.next.units], ["0", 4, 5]);
  assert.equal(first.layer.fanIn, 3 * 3 * 2);
  // Input channel 1 of the second conv: its 3×2 taps in each of the 5 filters (fanIn 3·2·4 = 24).
  assert.deepEqual(Array.from(first.next.inputWeightIndices(1)).slice(0, 6), [1, 5, 9, 13, 17, 21]);
  // The second conv's output is 1×2 positions × 5 channels, flattened: channel 2 is features 2 and 7.
  assert.deepEqual([second.name, second.next.units], ["2", 3]);
  assert.deepEqual(Array.from(second.next.inputWeightIndices(2)), [2, 7, 12, 17, 22, 27]);
  // Observers read a conv's output as [positions, channels].
  const outputs = new Map<string, Tensor>();
  m.forward(images(2).x, { training: false, onActivation: (name, out) => outputs.set(name, out) });
  assert.deepEqual(outputs.get("0")!.shape, [2 * 36, 4]);
  assert.deepEqual(outputs.get("2")!.shape, [2 * 2, 5]);
});

test("ReDo recycles a dead channel: fresh filter, zero bias, zero outgoing taps, the output unchanged", () => {
  const m = cnn(4);
  const conv = m.layers[0] as Conv2D;
  conv.bias!.data[1] = -50; // channel 1 never fires
  const { x } = images();
  const activity = (model: Sequential) => {
    let out: Tensor | undefined;
    model.forward(x, { training: false, onActivation: (name, o) => name === "0" && (out ??= o) });
    return unitActivity(out!.data, out!.shape[0], 4).meanAbs;
  };
  assert.equal(activity(m)[1], 0);
  assert.ok(
    activity(m).every((a, u) => u === 1 || a > 0),
    "the other channels are alive",
  );
  const before = Array.from(m.forward(x).data);
  // Silent on every training row: channel 1 only (seed 4 leaves every channel of the second conv alive,
  // so none of its filters is replaced, with fresh taps that read channel 1).
  assert.deepEqual(
    balanceMeasures(m, x).map((l) => Math.round(l.deadFraction * l.units)),
    [1, 0],
  );
  const r = redo({ every: 6, tau: 0 }); // τ = 0: exactly the silent channels
  fit(m, images(), {
    epochs: 1,
    batchSize: 16,
    optimizer: sgd({ lr: 0 }),
    loss: "crossEntropy",
    seed: 3,
    observers: [r],
  });
  assert.equal(r.recycled(), 1);
  assert.equal(conv.bias!.data[1], 0);
  assert.ok(conv.incomingWeights(1).some((w) => w !== 0));
  const next = m.layers[2] as Conv2D;
  for (const i of next.inputWeightIndices(1)) assert.equal(next.weight.data[i], 0);
  Array.from(m.forward(x).data).forEach((v, i) => assert.ok(Math.abs(v - before[i]) < 1e-6));
  assert.ok(activity(m)[1] > 0, "the recycled channel fires again");
});

test("replacing a channel that feeds a dense layer through flatten zeroes exactly its columns", () => {
  const m = new Sequential([
    new Conv2D(3, { kernel: 2, activation: "relu" }),
    new MaxPool2D(),
    new Flatten(),
    new Dense(2),
  ]).build([5, 5, 1], new Rng(2));
  const [site] = hiddenLayers(m);
  const dense = m.layers[3] as Dense;
  // 2×2 positions × 3 channels = 12 inputs per dense unit: channel 1 is inputs 1, 4, 7, 10.
  assert.deepEqual(Array.from(site.next.inputWeightIndices(1)), [1, 4, 7, 10, 13, 16, 19, 22]);
  assert.equal(dense.weight.shape[1], 12);
});

test("Conv1D: its config round-trips with single numbers and its errors name it", () => {
  const m = Sequential.fromLayerConfigs([
    { type: "conv1d", filters: 3, kernel: 5, stride: 2, dilation: 1, padding: "same", activation: "tanh" },
    { type: "globalAvgPool" },
  ]).build([20, 2], new Rng(0));
  const c = m.config().layers[0];
  assert.deepEqual([c.kernel, c.stride, c.dilation, c.padding], [5, 2, 1, "same"]);
  assert.deepEqual(
    Sequential.fromLayerConfigs(m.config().layers).build([20, 2], new Rng(0)).config(),
    m.config(),
  );
  assert.deepEqual(m.forward(new Tensor(new Float32Array(2 * 40), [2, 40])).shape, [2, 3]);
  assert.throws(() => new Conv1D(0), /conv1d: filters must be a positive integer, got 0/);
  // Padding other than "valid" or "same" (plain JS, a cast) would otherwise be read as "same".
  const badPadding = (e: unknown) =>
    e instanceof ConfigError &&
    e.message === 'padding: expected "valid" or "same", got ""' &&
    e.location.field === "padding";
  assert.throws(() => new Conv2D(2, { padding: "" as "same" }), badPadding);
  assert.throws(() => new Conv1D(2, { padding: "" as "same" }), badPadding);
  assert.throws(() => new MaxPool2D({ padding: "" as "same" }), badPadding);
  assert.throws(() => new AvgPool2D({ padding: "" as "same" }), badPadding);
  assert.throws(
    () => Sequential.fromLayerConfigs([{ type: "conv1d", filters: 2 }]).build([4, 4, 1], new Rng(0)),
    /model\.layers\[0\]: conv1d: needs samples shaped \[length, channels\], got \[4,4,1\]/,
  );
});
