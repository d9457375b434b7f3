/**
 * The Python module written beside a safetensors export (src/io/safetensors-python.ts and
 * safetensors-python-shaped.ts), line by line: each shaped module's constructor call and the width it
 * hands on, and `build()` of a flat network with residual and concat blocks. Expected lines are written
 * out by hand from PyTorch's constructors (`nn.Linear(in, out, bias=False)`, a 1-tuple as `(6,)`) and
 * the helper classes' signatures in SHAPED_CLASSES.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pythonModule } from "../src/io/safetensors-python.js";
import { shapedLine } from "../src/io/safetensors-python-shaped.js";
import type { ShapedModule } from "../src/io/safetensors-shaped.js";
import type { TorchModule } from "../src/io/safetensors-torch.js";
import { buildFunction } from "./helpers/python-source.js";

describe("shapedLine", () => {
  test("convolutions: Conv1d with scalars and (left, right) padding, Conv2d with pairs, groups, no bias", () => {
    const oneD: ShapedModule = {
      kind: "conv",
      layer: 0,
      dims: 1,
      channels: 4,
      filters: 6,
      kernel: [1, 5],
      stride: [1, 2],
      dilation: [1, 3],
      groups: 1,
      pad: [2, 1, 0, 0],
      bias: true,
    };
    assert.deepEqual(shapedLine(oneD), {
      line: "Conv1d(4, 6, 5, stride=2, dilation=3, pad=(2, 1)),",
      width: 6,
    });
    assert.deepEqual(shapedLine({ ...oneD, groups: 2, bias: false }), {
      line: "Conv1d(4, 6, 5, stride=2, dilation=3, groups=2, bias=False, pad=(2, 1)),",
      width: 6,
    });
    const twoD: ShapedModule = {
      ...oneD,
      dims: 2,
      kernel: [3, 2],
      stride: [2, 1],
      dilation: [1, 1],
      pad: [1, 0, 1, 1],
      groups: 2,
      bias: false,
    };
    assert.deepEqual(shapedLine(twoD), {
      line: "Conv2d(4, 6, (3, 2), stride=(2, 1), dilation=(1, 1), groups=2, bias=False, pad=(1, 0, 1, 1)),",
      width: 6,
    });
  });

  test("pools keep the width; global average pooling takes no arguments", () => {
    const pool: ShapedModule = {
      kind: "pool",
      layer: 1,
      op: "avg",
      pool: [2, 3],
      stride: [2, 1],
      pad: [0, 1, 0, 1],
    };
    assert.deepEqual(shapedLine(pool), { line: "AvgPool2d((2, 3), stride=(2, 1), pad=(0, 1, 0, 1))," });
    assert.deepEqual(shapedLine({ ...pool, op: "max" }), {
      line: "MaxPool2d((2, 3), stride=(2, 1), pad=(0, 1, 0, 1)),",
    });
    assert.deepEqual(shapedLine({ kind: "globalAvgPool", layer: 2 }), { line: "GlobalAvgPool()," });
  });

  test("a reshape's target is a Python tuple (one entry: a trailing comma); its last axis is the width", () => {
    assert.deepEqual(shapedLine({ kind: "reshape", layer: 0, shape: [6] }), {
      line: "Reshape((6,)),",
      width: 6,
    });
    assert.deepEqual(shapedLine({ kind: "reshape", layer: 0, shape: [2, 3, 4] }), {
      line: "Reshape((2, 3, 4)),",
      width: 4,
    });
  });

  test("group norm keeps the width; an embedding's width is its dimension", () => {
    assert.deepEqual(shapedLine({ kind: "groupNorm", layer: 3, groups: 2, channels: 6, eps: 0.001 }), {
      line: "GroupNorm(2, 6, eps=0.001),",
    });
    assert.deepEqual(shapedLine({ kind: "embedding", layer: 0, vocabulary: 10, dim: 4 }), {
      line: "Embedding(10, 4),",
      width: 4,
    });
  });
});

describe("pythonModule", () => {
  const linear = (units: number, bias = true): TorchModule => ({ kind: "linear", layer: 0, units, bias });

  test("residual and concat blocks on flat rows: nested lists, None without projection, widths summed", () => {
    const modules: TorchModule[] = [
      {
        kind: "residual",
        layer: 0,
        body: [linear(4), { kind: "activation", layer: 0, activation: "relu" }],
        projection: null,
      },
      { kind: "residual", layer: 1, body: [linear(3)], projection: [linear(3, false)] },
      {
        kind: "concat",
        layer: 2,
        branches: [[linear(2)], [{ kind: "layerNorm", layer: 0, eps: 0.001 }]],
      },
      { kind: "linear", layer: 3, units: 1, bias: false },
      { kind: "activation", layer: 3, activation: "sigmoid" },
    ];
    const source = pythonModule(modules, {
      description: "Blocks.",
      inputDim: 4,
      weightsFile: "b.safetensors",
    });
    assert.equal(
      buildFunction(source),
      `def build():
    """The network, freshly initialised."""
    return Net((4,),
        Residual(
            [
                nn.Linear(4, 4),
                nn.ReLU(),
            ],
            None,
        ),
        Residual(
            [
                nn.Linear(4, 3),
            ],
            [
                nn.Linear(4, 3, bias=False),
            ],
        ),
        Concat(
            [
                nn.Linear(3, 2),
            ],
            [
                nn.LayerNorm(3, eps=0.001),
            ],
        ),
        nn.Linear(5, 1, bias=False),
        nn.Sigmoid(),
    )`,
    );
    // Flat rows of 4 features are the sample shape the docstring's example feeds.
    assert.ok(source.includes("\n    model = load(); y = model(torch.rand(4, 4))\n"), source);
    assert.ok(
      source.includes(
        "\nThe last module turns logits into probabilities, as Homeostat's predict does; model[:-1](x) gives the logits that nn.BCEWithLogitsLoss expects.\n",
      ),
    );
  });

  test("an embedding's dimension is the width the next layers read", () => {
    const modules: TorchModule[] = [
      { kind: "embedding", layer: 0, vocabulary: 10, dim: 4 },
      { kind: "flatten", layer: 1, width: 12 },
      { kind: "layerNorm", layer: 2, eps: 0.01 },
    ];
    const source = pythonModule(modules, {
      description: "Ids.",
      inputDim: 3,
      inputShape: [3],
      weightsFile: "e.safetensors",
    });
    assert.equal(
      buildFunction(source),
      `def build():
    """The network, freshly initialised."""
    return Net((3,),
        Embedding(10, 4),
        nn.Flatten(),
        nn.LayerNorm(12, eps=0.01),
    )`,
    );
  });
});
