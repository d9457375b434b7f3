/**
 * Residual and concat blocks: forward passes against closed forms, gradients by finite differences,
 * nested unit layers as health and homeostasis see them, model files, configs, and training.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gradCheck } from "../src/autograd/gradcheck.js";
import { continualBackprop } from "../src/homeostasis/cbp.js";
import { intrinsicPlasticity } from "../src/homeostasis/intrinsic.js";
import { redo } from "../src/homeostasis/redo.js";
import { synapticScaling } from "../src/homeostasis/scaling.js";
import { hiddenLayers, replaceUnit } from "../src/homeostasis/units.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Concat, Residual } from "../src/nn/blocks.js";
import { Activation, Dense } from "../src/nn/layers.js";
import { BatchNorm } from "../src/nn/norm-layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { evaluate } from "../src/train/evaluate.js";
import { fit } from "../src/train/fit.js";
import { unitSites } from "../src/units/layer.js";

const x2 = () =>
  Tensor.from([
    [1, 2],
    [-3, 0.5],
  ]);

test("residual: input + body(input), and a projection when the body changes the width", () => {
  const block = new Residual([new Dense(2)]);
  block.build(2, new Rng(0), "float32");
  (block.layers[0] as Dense).weight.data.set([1, 1, 0, 2]);
  (block.layers[0] as Dense).bias?.data.set([0.5, -1]);
  // Row (1, 2): body (1 + 2 + 0.5, 4 − 1) = (3.5, 3); plus the input: (4.5, 5).
  assert.deepEqual(Array.from(block.forward(x2(), { training: false }).data), [
    4.5,
    5,
    -3 - 2.5 + 0.5,
    0.5 + 1 - 1,
  ]);
  const wide = new Residual([new Dense(3)]);
  assert.equal(wide.build(2, new Rng(0), "float32"), 3);
  assert.deepEqual(
    wide.parameters().map(([n, t]) => [n, t.shape]),
    [
      ["0.weight", [3, 2]],
      ["0.bias", [3]],
      ["projection.0.weight", [3, 2]],
    ],
  );
  (wide.layers[0] as Dense).weight.data.fill(0);
  wide.projection?.weight.data.set([1, 0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(wide.forward(x2(), { training: false }).data), [1, 2, 3, -3, 0.5, -2.5]);
});

test("concat: branches side by side on the last axis, an empty branch passes the input", () => {
  const block = new Concat([[new Dense(1)], []]);
  assert.equal(block.build(2, new Rng(0), "float32"), 3);
  const d = block.branches[0][0] as Dense;
  d.weight.data.set([2, -1]);
  d.bias?.data.set([0]);
  assert.deepEqual(Array.from(block.forward(x2(), { training: false }).data), [0, 1, 2, -6.5, -3, 0.5]);
  assert.deepEqual(
    block.parameters().map(([n]) => n),
    ["0.0.weight", "0.0.bias"],
  );
});

/** 0: dense, 1: residual [dense, dense], 2: relu, 3: concat [[dense], [batchNorm, dense]], 4: output. */
function graphModel(dtype: "float32" | "float64" = "float32"): Sequential {
  return new Sequential([
    new Dense(6, { activation: "relu" }),
    new Residual([new Dense(5, { activation: "relu" }), new Dense(6)]),
    new Activation("relu"),
    new Concat([
      [new Dense(3, { activation: "tanh" })],
      [new BatchNorm(), new Dense(2, { activation: "relu" })],
    ]),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(7), dtype);
}

test("gradients through residual sums and concatenations match finite differences", () => {
  const model = graphModel("float64");
  const rng = new Rng(3);
  const x = Tensor.zeros([5, 4], "float64");
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform(-2, 2);
  x.requiresGrad = true;
  // Each parameter is an input of the check; the forward reads them through the model.
  const params = model.parameters().map(([, t]) => t);
  const r = gradCheck(() => model.forward(x, { training: true }), [x, ...params]);
  assert.ok(r.maxRelativeError < 1e-6, `relative error ${r.maxRelativeError} at ${JSON.stringify(r.worst)}`);
});

test("unit layers inside blocks are found under their parameters' names, and report activations there", () => {
  const model = graphModel();
  const sites = unitSites(model);
  const layerAt = (name: string) => sites.find((s) => s.name === name)?.layer;
  assert.deepEqual(
    sites.map((s) => [
      s.name,
      s.index,
      s.next === null ? null : sites.find((t) => t.layer === s.next)?.name,
      s.hidden,
    ]),
    [
      ["0", 0, null, true], // feeds the block's body and its skip: no single consumer
      ["1.0", 2, "1.1", true],
      ["1.1", 3, null, true], // added to the skip
      ["3.0.0", 6, null, true], // concatenated
      ["3.1.1", 8, null, true],
      ["4", 9, null, false], // the output
    ],
  );
  const names = new Set(model.parameters().map(([n]) => n));
  for (const s of sites) assert.ok(names.has(`${s.name}.weight`), `${s.name}.weight is a parameter`);
  const reported = new Map<string, boolean>();
  model.forward(Tensor.zeros([2, 4]), {
    training: false,
    onActivation: (name, _out, pre) => reported.set(name, pre !== null),
  });
  for (const s of sites) assert.equal(reported.get(s.name), true, `${s.name} reports its pre-activation`);
  assert.ok(reported.has("3.1.0"), "a nested batch norm reports its output");
  assert.deepEqual(
    hiddenLayers(model).map((h) => h.name),
    ["1.0"],
  );
  assert.equal(layerAt("1.1"), (model.layers[1] as Residual).layers[1]);
});

test("unit surgery on a nested layer: fresh incoming weights, zero outgoing weights in the layer it feeds", () => {
  const model = graphModel();
  const [site] = hiddenLayers(model);
  const control = {
    parameters: model.parameters(),
    getOptimizerState: () => [],
    setOptimizerState: () => {},
  };
  replaceUnit(control, site, 2, new Float32Array(6).fill(0.25));
  const byName = new Map(model.parameters());
  assert.deepEqual(Array.from(byName.get("1.0.weight")!.data.subarray(12, 18)), new Array(6).fill(0.25));
  const out = byName.get("1.1.weight")!.data;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((r) => out[r * 5 + 2]),
    [0, 0, 0, 0, 0, 0],
  );
});

test("a model of blocks round-trips through a model file and its config", () => {
  const model = graphModel();
  const back = decodeModel(encodeModel(model)).model;
  assert.deepEqual(back.config(), model.config());
  assert.deepEqual(
    back.parameters().map(([n, t]) => [n, Array.from(t.data)]),
    model.parameters().map(([n, t]) => [n, Array.from(t.data)]),
  );
  const x = Tensor.from([[0.5, -1, 2, 0]]);
  assert.deepEqual(Array.from(back.forward(x).data), Array.from(model.forward(x).data));
  const fromConfig = Sequential.fromLayerConfigs(model.config().layers).build(4, new Rng(7));
  assert.deepEqual(
    fromConfig.parameters().map(([n, t]) => [n, Array.from(t.data)]),
    model.parameters().map(([n, t]) => [n, Array.from(t.data)]),
    "the same seed builds the same weights from the config",
  );
});

test("block configs: nested errors name their field", () => {
  const build = (layers: unknown) => () => Sequential.fromLayerConfigs(layers);
  assert.throws(
    build([{ type: "residual", layers: [] }]),
    /model\.layers\[0\]\.layers: expected a non-empty array of layers/,
  );
  assert.throws(
    build([{ type: "residual", layers: [{ type: "dense", units: 2 }, { type: "dens" }] }]),
    /model\.layers\[0\]\.layers\[1\]\.type: unknown layer string "dens"/,
  );
  assert.throws(
    build([{ type: "concat", branches: [[], 3] }]),
    /model\.layers\[0\]\.branches\[1\]: expected an array of layers, got number 3/,
  );
  assert.throws(
    build([{ type: "concat", branches: [[{ type: "dense", units: 0 }]] }]),
    /model\.layers\[0\]\.branches\[0\]\[0\]\.units: must be ≥ 1/,
  );
});

test("fit trains a residual network: three blobs separated", () => {
  const rng = new Rng(11);
  const n = 90;
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = rng.normal() + (j === i % 3 ? 2.5 : 0);
    y[i * 3 + (i % 3)] = 1;
  }
  const data = { x: new Tensor(x, [n, 4]), y: new Tensor(y, [n, 3]) };
  const model = graphModel();
  const before = evaluate(model, data, { loss: crossEntropy, metrics: ["accuracy"] });
  fit(model, data, { epochs: 30, batchSize: 15, optimizer: adam({ lr: 0.01 }), loss: crossEntropy, seed: 1 });
  const after = evaluate(model, data, { loss: crossEntropy, metrics: ["accuracy"] });
  assert.ok(after.loss < before.loss / 3, `loss ${before.loss} → ${after.loss}`);
  assert.ok((after.accuracy ?? 0) >= 0.95, `accuracy ${after.accuracy}`);
});

test("regulators run on a network of blocks and touch only the nested layer with a single consumer", () => {
  const model = graphModel();
  const recycle = redo({ tau: 10, every: 2, seed: 1 }); // τ = 10: every unit counts as dormant
  const regulators = [recycle, continualBackprop(), synapticScaling(), intrinsicPlasticity()];
  const outside = () =>
    model
      .parameters()
      .filter(([n]) => !n.startsWith("1."))
      .map(([n, t]) => [n, Array.from(t.data)]);
  const data = { x: Tensor.zeros([20, 4]), y: Tensor.zeros([20, 3]) };
  for (let i = 0; i < 20; i++) {
    data.x.data[i * 4 + (i % 4)] = 1;
    data.y.data[i * 3 + (i % 3)] = 1;
  }
  const before = outside();
  // lr 0: only the regulators change weights.
  fit(model, data, {
    epochs: 2,
    batchSize: 5,
    optimizer: adam({ lr: 0 }),
    loss: crossEntropy,
    seed: 2,
    observers: regulators,
  });
  assert.ok(recycle.recycled() > 0, "ReDo recycled units of layer 1.0");
  assert.deepEqual(outside(), before, "layers without a single consumer are left alone");
});
