/**
 * When the generated Python module defines its helper classes (src/io/safetensors-python.ts with
 * SHAPED_HELPERS): a module that is one of them (Conv1d, MaxPool2d, GlobalAvgPool, …) needs their
 * definitions and `Net` whatever the input shape says, since `build()` calls them by name. Expected
 * text is the module's own layout, written out by hand.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pythonModule } from "../src/io/safetensors-python.js";
import { SHAPED_CLASSES } from "../src/io/safetensors-python-shaped.js";
import type { TorchModule } from "../src/io/safetensors-torch.js";
import { buildFunction } from "./helpers/python-source.js";

const cases: [string, TorchModule, string][] = [
  [
    "conv",
    {
      kind: "conv",
      layer: 0,
      dims: 1,
      channels: 1,
      filters: 2,
      kernel: [1, 3],
      stride: [1, 1],
      dilation: [1, 1],
      groups: 1,
      pad: [1, 1, 0, 0],
      bias: true,
    },
    "Conv1d(1, 2, 3, stride=1, dilation=1, pad=(1, 1)),",
  ],
  [
    "pool",
    { kind: "pool", layer: 0, op: "max", pool: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] },
    "MaxPool2d((2, 2), stride=(2, 2), pad=(0, 0, 0, 0)),",
  ],
  ["globalAvgPool", { kind: "globalAvgPool", layer: 0 }, "GlobalAvgPool(),"],
];

for (const [kind, module, line] of cases)
  test(`a ${kind} module brings the helper classes and Net even without an input shape`, () => {
    const source = pythonModule([module], {
      description: "One module.",
      inputDim: 6,
      weightsFile: "m.safetensors",
    });
    assert.equal(
      buildFunction(source),
      `def build():
    """The network, freshly initialised."""
    return Net((6,),
        ${line}
    )`,
    );
    assert.ok(source.includes(SHAPED_CLASSES));
    assert.ok(source.includes("\nfrom torch.nn import functional as F\n"));
    assert.ok(source.includes("\n    model = load(); y = model(torch.rand(4, 6))\n"), source);
  });

test("a flat network of linear layers gets neither the helper classes nor Net", () => {
  const source = pythonModule([{ kind: "linear", layer: 0, units: 2, bias: true }], {
    description: "Dense.",
    inputDim: 6,
    weightsFile: "d.safetensors",
  });
  assert.equal(
    buildFunction(source),
    `def build():
    """The network, freshly initialised."""
    return nn.Sequential(
        nn.Linear(6, 2),
    )`,
  );
  assert.ok(!source.includes("class Net("));
  assert.ok(!source.includes("functional as F"));
});
