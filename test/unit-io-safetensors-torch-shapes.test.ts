/**
 * The sample shape torchModules (src/io/safetensors-torch.ts) carries from layer to layer, read back
 * through the width of the Flatten that follows: a Dense replaces the last axis only, a Concat joins its
 * branches' last axes; a "linear" activation is no module of its own, on a Dense or on a convolution;
 * and the refusals that name the layer (no input shape declared; an activation PyTorch lacks on an
 * Activation layer). Expected widths are products of the shapes, worked out by hand in each test.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { torchModules } from "../src/io/safetensors-torch.js";
import { Concat, Residual } from "../src/nn/blocks.js";
import { Conv2D } from "../src/nn/conv.js";
import type { Layer } from "../src/nn/layer.js";
import { Dense } from "../src/nn/layers.js";
import { Flatten } from "../src/nn/reshape.js";
import { ConfigError } from "../src/tensor/errors.js";

/** A layer as torchModules sees it: its type and config, nothing else. */
const configured = (config: { type: string } & Record<string, unknown>): Layer =>
  ({ type: config.type, config: () => config }) as unknown as Layer;

function refuses(run: () => unknown, message: string, layer: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.message, message);
    assert.deepEqual(e.location, { layer });
    return true;
  });
}

describe("the sample shape a flatten reads", () => {
  test("a dense on [2, 5, 4] samples replaces the last axis: [2, 5, 3], flattened 2·5·3 = 30", () => {
    assert.deepEqual(torchModules([new Dense(3), new Flatten()], [2, 5, 4]), [
      { kind: "linear", layer: 0, units: 3, bias: true },
      { kind: "flatten", layer: 1, width: 30 },
    ]);
  });

  test("a concat of widths 3 and 2 on [2, 4, 6] samples gives [2, 4, 5], flattened 2·4·5 = 40", () => {
    const concat = new Concat([[new Dense(3)], [new Dense(2, { useBias: false })]]);
    assert.deepEqual(torchModules([concat, new Flatten()], [2, 4, 6]), [
      {
        kind: "concat",
        layer: 0,
        branches: [
          [{ kind: "linear", layer: 0, units: 3, bias: true }],
          [{ kind: "linear", layer: 0, units: 2, bias: false }],
        ],
      },
      { kind: "flatten", layer: 1, width: 40 },
    ]);
  });
});

describe('a "linear" activation is the identity: no module after the layer', () => {
  test("on a dense", () => {
    assert.deepEqual(torchModules([new Dense(2, { activation: "linear" }), new Dense(1)]), [
      { kind: "linear", layer: 0, units: 2, bias: true },
      { kind: "linear", layer: 1, units: 1, bias: true },
    ]);
  });

  test("on a convolution: a 1×1 conv on [3, 3, 1] gives [3, 3, 2], flattened 18", () => {
    const conv = new Conv2D(2, { kernel: 1, activation: "linear" });
    assert.deepEqual(torchModules([conv, new Flatten()], [3, 3, 1]), [
      {
        kind: "conv",
        layer: 0,
        dims: 2,
        channels: 1,
        filters: 2,
        kernel: [1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        groups: 1,
        pad: [0, 0, 0, 0],
        bias: true,
      },
      { kind: "flatten", layer: 1, width: 18 },
    ]);
  });
});

describe("refusals that name the layer", () => {
  const noShape = (i: number, type: string) =>
    `layer ${i} (${type}): declare "inputDim" (or "inputShape") beside the layers; it cannot be read from the weights`;

  test("a residual, a concat or a shaped layer needs the input shape declared", () => {
    refuses(() => torchModules([new Dense(4), new Residual([new Dense(4)])]), noShape(1, "residual"), "1");
    refuses(() => torchModules([new Concat([[new Dense(2)], [new Dense(3)]])]), noShape(0, "concat"), "0");
    refuses(() => torchModules([new Dense(4), new Dense(4), new Flatten()]), noShape(2, "flatten"), "2");
  });

  test("an activation layer whose activation PyTorch has no module for (a user's own) says it is one", () => {
    refuses(
      () => torchModules([new Dense(3), configured({ type: "activation", activation: "square" })]),
      'layer 1 (activation): activation "square" has no PyTorch module; safetensors export supports identity, linear, sigmoid, tanh, relu, leakyRelu, elu, selu, gelu, softplus, softmax',
      "1",
    );
  });
});
