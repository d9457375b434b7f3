/**
 * Homeostat layers as PyTorch modules (src/io/safetensors-torch.ts and safetensors-shaped.ts): group
 * norm and embedding modules with the shapes they hand on, the parameter names of bias-free convolutions,
 * norms and embeddings, a residual without projection, the first weight an import reads the input width
 * from, and each refusal word for word with the layer it names.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeSafetensors, importSafetensors } from "../src/io/safetensors.js";
import { type ShapedModule, shapedModule, shapedNames } from "../src/io/safetensors-shaped.js";
import { inferInputDim, type TorchModule, torchModules, torchNames } from "../src/io/safetensors-torch.js";
import type { Layer } from "../src/nn/layer.js";
import { Dense } from "../src/nn/layers.js";
import { Embedding, GroupNorm } from "../src/nn/norm-layers.js";
import { Flatten } from "../src/nn/reshape.js";
import { ConfigError, ModelFileError } from "../src/tensor/errors.js";

/** A layer as torchModules sees it: its type and config, nothing else. */
const configured = (config: { type: string } & Record<string, unknown>): Layer =>
  ({ type: config.type, config: () => config }) as unknown as Layer;

function refuses(run: () => unknown, type: typeof ConfigError, message: string, layer: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof type, String(e));
    assert.equal(e.message, message);
    assert.equal(e.location.layer, layer);
    return true;
  });
}

describe("torchModules", () => {
  test("group norm over the last axis keeps the sample's shape, which the flatten after it reads", () => {
    assert.deepEqual(torchModules([new GroupNorm(3, { eps: 0.01 }), new Flatten(), new Dense(5)], [4, 6]), [
      { kind: "groupNorm", layer: 0, groups: 3, channels: 6, eps: 0.01 },
      { kind: "flatten", layer: 1, width: 24 },
      { kind: "linear", layer: 2, units: 5, bias: true },
    ]);
  });

  test("an embedding appends its dimension to the sample's shape", () => {
    assert.deepEqual(torchModules([new Embedding(10, 4), new Flatten()], [3]), [
      { kind: "embedding", layer: 0, vocabulary: 10, dim: 4 },
      { kind: "flatten", layer: 1, width: 12 },
    ]);
  });

  test("a dense config without an activation is a Linear alone, as in a run config", () => {
    assert.deepEqual(torchModules([configured({ type: "dense", units: 2 })]), [
      { kind: "linear", layer: 0, units: 2, bias: true },
    ]);
  });

  test("an activation PyTorch has no module for is refused, naming the layer and the ones it has", () => {
    refuses(
      () => torchModules([new Dense(3), configured({ type: "dense", units: 2, activation: "square" })]),
      ConfigError,
      'layer 1 (dense): activation "square" has no PyTorch module; safetensors export supports identity, linear, sigmoid, tanh, relu, leakyRelu, elu, selu, gelu, softplus, softmax',
      "1",
    );
  });

  test("a layer type with no PyTorch counterpart is refused, with the types that have one", () => {
    refuses(
      () => torchModules([new Dense(3), configured({ type: "lstm", units: 2 })]),
      ConfigError,
      "layer 1 (lstm): safetensors supports dense, activation, dropout, layerNorm, residual, concat and conv2d, conv1d, maxPool2d, avgPool2d, globalAvgPool, flatten, reshape, batchNorm, groupNorm, embedding layers",
      "1",
    );
  });
});

describe("shapedModule", () => {
  test("a layer that is not a shaped one is refused, naming its index and type", () => {
    refuses(
      () => shapedModule(new Dense(3), 2, [4]),
      ConfigError,
      "layer 2 (dense): safetensors export has no PyTorch module for it (residual and concat blocks: not yet)",
      "2",
    );
  });
});

describe("parameter names", () => {
  test("shapedNames: a bias-free conv has a weight only; group norm a weight and bias; no buffers", () => {
    const conv: ShapedModule = {
      kind: "conv",
      layer: 1,
      dims: 2,
      channels: 2,
      filters: 3,
      kernel: [3, 3],
      stride: [1, 1],
      dilation: [1, 1],
      groups: 1,
      pad: [0, 0, 0, 0],
      bias: false,
    };
    assert.deepEqual(shapedNames(conv, "1.", "2."), { params: [["1.weight", "2.weight"]], buffers: [] });
    assert.deepEqual(shapedNames({ ...conv, bias: true }, "1.", "2."), {
      params: [
        ["1.weight", "2.weight"],
        ["1.bias", "2.bias"],
      ],
      buffers: [],
    });
    assert.deepEqual(
      shapedNames({ kind: "groupNorm", layer: 0, groups: 2, channels: 4, eps: 1e-5 }, "0.", "0."),
      {
        params: [
          ["0.weight", "0.weight"],
          ["0.bias", "0.bias"],
        ],
        buffers: [],
      },
    );
    assert.deepEqual(shapedNames({ kind: "embedding", layer: 0, vocabulary: 5, dim: 2 }, "3.", "4."), {
      params: [["3.weight", "4.weight"]],
      buffers: [],
    });
  });

  test("torchNames opens a residual without projection: its body only", () => {
    const modules: TorchModule[] = [
      { kind: "linear", layer: 0, units: 4, bias: false },
      { kind: "activation", layer: 0, activation: "relu" },
      {
        kind: "residual",
        layer: 1,
        body: [{ kind: "linear", layer: 0, units: 4, bias: true }],
        projection: null,
      },
    ];
    assert.deepEqual(torchNames(modules), [
      ["0.weight", "0.weight"],
      ["1.0.weight", "2.body.0.weight"],
      ["1.0.bias", "2.body.0.bias"],
    ]);
  });
});

describe("the input width an import reads from the first weight", () => {
  const modules: TorchModule[] = [
    { kind: "layerNorm", layer: 0, eps: 1e-5 },
    { kind: "linear", layer: 1, units: 2, bias: true },
  ];

  test("a first layer norm's weight is [width]; when it is missing, the width is unknown", () => {
    assert.deepEqual(
      inferInputDim(modules, (name) => (name === "0.weight" ? [7] : undefined)),
      { inputDim: 7, from: "0.weight" },
    );
    assert.deepEqual(
      inferInputDim(modules, () => undefined),
      { inputDim: undefined, from: "0.weight" },
    );
  });

  test("import names the missing first weight", () => {
    const t = (name: string, shape: number[]) => ({
      name,
      dtype: "F32" as const,
      shape,
      data: new Float32Array(shape.reduce((n, d) => n * d, 1)),
    });
    const bytes = encodeSafetensors([t("1.weight", [2, 3]), t("1.bias", [2])]);
    const arch = { layers: [{ type: "layerNorm" }, { type: "dense", units: 2 }], source: "arch.json" };
    assert.throws(
      () => importSafetensors(bytes, arch, "m.safetensors"),
      (e: unknown) => {
        assert.ok(e instanceof ModelFileError, String(e));
        assert.equal(e.message, 'm.safetensors: missing tensor "0.weight" (the first layer\'s weight)');
        assert.deepEqual(e.location, { file: "m.safetensors", layer: "0.weight" });
        return true;
      },
    );
  });
});
