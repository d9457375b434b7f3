/**
 * safetensors for shaped layers: PyTorch's conv weight layout against a hand-worked example, the state
 * dict names of a CNN, "same" padding as Homeostat places it, and the refusals of import. PyTorch's
 * own outputs are compared in io-safetensors-torch.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeSafetensors,
  encodeSafetensors,
  exportSafetensors,
  importSafetensors,
} from "../src/io/safetensors.js";
import { convLayout, shapedModule } from "../src/io/safetensors-shaped.js";
import { torchBuffers, torchModules, torchNames } from "../src/io/safetensors-torch.js";
import { Conv2D } from "../src/nn/conv.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError, ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { exportCases, exportOf } from "./helpers/safetensors-exports.js";

const CNN = {
  inputShape: [6, 6, 1],
  layers: [
    { type: "conv2d", filters: 4, kernel: 3, padding: "same", activation: "relu" },
    { type: "batchNorm" },
    { type: "maxPool2d", pool: 2 },
    { type: "flatten" },
    { type: "dense", units: 2 },
  ],
  source: "cnn.json",
};

test("conv weights: Homeostat's taps (ky, kx, c) become PyTorch's [filters, c, kh, kw] and back", () => {
  const { module } = shapedModule(new Conv2D(1, { kernel: [1, 2] }), 0, [3, 3, 2]);
  assert.equal(module.kind, "conv");
  if (module.kind !== "conv") return;
  // ours: (kx0,c0)=1 (kx0,c1)=2 (kx1,c0)=3 (kx1,c1)=4; PyTorch: c0 → [1, 3], c1 → [2, 4]
  assert.deepEqual([...convLayout(module, [1, 2, 3, 4], true)], [1, 3, 2, 4]);
  assert.deepEqual([...convLayout(module, [1, 3, 2, 4], false)], [1, 2, 3, 4]);
});

test('"same" padding as Homeostat places it: the odd pixel after, as TensorFlow and PyTorch do', () => {
  const { module, out } = shapedModule(
    new Conv2D(2, { kernel: 2, stride: 2, padding: "same" }),
    0,
    [3, 5, 1],
  );
  assert.deepEqual(out, [2, 3, 2]);
  // height 3 → 2 rows of stride 2, kernel 2: 1 pixel of padding, after; width 5 → 3: 1 pixel, after
  assert.deepEqual(module.kind === "conv" && module.pad, [0, 1, 0, 1]);
});

test("CNN names: conv, BatchNorm (with running statistics), pool and flatten modules, Linear after them", () => {
  const model = Sequential.fromLayerConfigs(CNN.layers, "cnn").build(CNN.inputShape, new Rng(0));
  const modules = torchModules(model.layers, model.inputShape);
  assert.deepEqual(
    modules.map((m) => m.kind),
    ["conv", "activation", "batchNorm", "pool", "flatten", "linear"],
  );
  assert.deepEqual(torchNames(modules), [
    ["0.weight", "0.weight"],
    ["0.bias", "0.bias"],
    ["1.weight", "2.weight"],
    ["1.bias", "2.bias"],
    ["4.weight", "5.weight"],
    ["4.bias", "5.bias"],
  ]);
  assert.deepEqual(torchBuffers(modules), [
    ["1.runningMean", "2.running_mean"],
    ["1.runningVar", "2.running_var"],
  ]);
  const { weights } = exportSafetensors(model, { weightsFile: "cnn.safetensors" });
  const back = importSafetensors(weights, null, "cnn.safetensors").model;
  assert.deepEqual(
    back.parameters().map(([, t]) => [...t.data]),
    model.parameters().map(([, t]) => [...t.data]),
    "an export imports back bit for bit",
  );
});

test("block names: a residual's body and projection, a concat's branches, as PyTorch's module paths", () => {
  const model = Sequential.fromLayerConfigs(
    [
      { type: "dense", units: 4, activation: "relu" },
      { type: "residual", layers: [{ type: "dense", units: 3, activation: "tanh" }, { type: "batchNorm" }] },
      {
        type: "concat",
        branches: [[{ type: "dense", units: 2 }], [{ type: "dropout", rate: 0.1 }, { type: "layerNorm" }]],
      },
    ],
    "blocks",
  ).build(5, new Rng(0));
  const modules = torchModules(model.layers, model.inputShape);
  assert.deepEqual(torchNames(modules), [
    ["0.weight", "0.weight"],
    ["0.bias", "0.bias"],
    ["1.0.weight", "2.body.0.weight"],
    ["1.0.bias", "2.body.0.bias"],
    ["1.1.weight", "2.body.2.weight"],
    ["1.1.bias", "2.body.2.bias"],
    ["1.projection.0.weight", "2.projection.0.weight"],
    ["2.0.0.weight", "3.branches.0.0.weight"],
    ["2.0.0.bias", "3.branches.0.0.bias"],
    ["2.1.1.weight", "3.branches.1.1.weight"],
    ["2.1.1.bias", "3.branches.1.1.bias"],
  ]);
  assert.deepEqual(
    torchNames(modules).map(([ours]) => ours),
    model.parameters().map(([name]) => name),
    "Homeostat's names are those of parameters(), in its order",
  );
  assert.deepEqual(torchBuffers(modules), [
    ["1.1.runningMean", "2.body.2.running_mean"],
    ["1.1.runningVar", "2.body.2.running_var"],
  ]);
});

/** The CNN's state dict in PyTorch's shapes, with `edit` applied. */
function stateDict(edit: (shapes: Record<string, number[]>) => void): Uint8Array {
  const shapes: Record<string, number[]> = {
    "0.weight": [4, 1, 3, 3],
    "0.bias": [4],
    "2.weight": [4],
    "2.bias": [4],
    "2.running_mean": [4],
    "2.running_var": [4],
    "2.num_batches_tracked": [],
    "5.weight": [2, 36],
    "5.bias": [2],
  };
  edit(shapes);
  return encodeSafetensors(
    Object.entries(shapes).map(([name, shape]) => ({
      name,
      dtype: "F32" as const,
      shape,
      data: new Float32Array(shape.reduce((n, d) => n * d, 1)).fill(0.5),
    })),
  );
}

test("import takes PyTorch's shapes; num_batches_tracked may be absent", () => {
  const { model } = importSafetensors(
    stateDict(() => {}),
    CNN,
    "cnn.safetensors",
  );
  assert.equal(model.buffers()[1]![1].data[0], 0.5);
  importSafetensors(
    stateDict((s) => delete s["2.num_batches_tracked"]),
    CNN,
    "cnn.safetensors",
  );
});

for (const [what, edit, message] of [
  [
    "a conv weight in Homeostat's own layout",
    (s: Record<string, number[]>) => (s["0.weight"] = [4, 9]),
    /"0\.weight" has shape \[4,9\], but layer 0 \(conv2d\).*\[4,1,3,3\]/,
  ],
  [
    "a missing running variance",
    (s: Record<string, number[]>) => delete s["2.running_var"],
    /missing tensor "2\.running_var" \(layer 1 \(batchNorm\)/,
  ],
] as const)
  test(`import refuses ${what}, naming the tensor`, () => {
    assert.throws(
      () => importSafetensors(stateDict(edit), CNN, "cnn.safetensors"),
      (e: unknown) => e instanceof ModelFileError && message.test(e.message),
    );
  });

test("a conv architecture without its input shape is a ConfigError asking for it", () => {
  const { inputShape: _, ...noShape } = CNN;
  assert.throws(
    () =>
      importSafetensors(
        stateDict(() => {}),
        noShape,
        "cnn.safetensors",
      ),
    (e: unknown) => e instanceof ConfigError && /layer 0 \(conv2d\): declare "inputDim"/.test(e.message),
  );
});

test("a conv net's Adam moments go out in PyTorch's layout and come back to Homeostat's, bit for bit", () => {
  const c = exportCases().find((e) => e.name === "cnnAdam")!;
  const files = exportOf(c);
  const moments = decodeSafetensors(files.optimizer!, "o");
  const convMoment = moments.tensors.find((t) => t.name === "state.0.exp_avg")!;
  assert.deepEqual(convMoment.shape, [4, 2, 2, 2], "PyTorch's Conv2d weight shape");
  const back = importSafetensors(files.weights, null, "w", { bytes: files.optimizer!, file: "o" });
  const mu = (s: unknown) => (s as { mu?: Float32Array[] }[]).find((g) => g.mu)!.mu!;
  assert.deepEqual(
    mu(back.optimizer!.state).map((m) => [...m]),
    mu(c.optimizer!.state).map((m) => [...m]),
  );
});
