/**
 * The generated PyTorch module, one module kind at a time (src/io/safetensors-python.ts): each of
 * Homeostat's activations is written as the PyTorch constructor of the same function (spelled out
 * here by hand from torch.nn's documentation, not read from the exporter's table), and every kind
 * that has its Python from the helper classes brings them in, with `Net` over the declared input
 * shape, even on flat samples.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pythonModule } from "../src/io/safetensors-python.js";
import type { TorchModule } from "../src/io/safetensors-torch.js";
import { buildLines } from "./helpers/python-source.js";

const OPTIONS = { description: "A test network.", inputDim: 3, weightsFile: "net.safetensors" };

describe("each activation is the PyTorch module of the same function", () => {
  const TORCH: [string, string][] = [
    ["identity", "nn.Identity(),"],
    ["linear", "nn.Identity(),"],
    ["sigmoid", "nn.Sigmoid(),"],
    ["tanh", "nn.Tanh(),"],
    ["relu", "nn.ReLU(),"],
    ["leakyRelu", "nn.LeakyReLU(0.01),"], // Homeostat's slope, PyTorch's default too
    ["elu", "nn.ELU(1.0),"],
    ["selu", "nn.SELU(),"],
    ["gelu", "nn.GELU(),"], // the exact erf form in both
    ["softplus", "nn.Softplus(),"],
    ["softmax", "nn.Softmax(dim=-1),"],
  ];
  for (const [activation, line] of TORCH)
    test(`${activation}: ${line}`, () => {
      const modules: TorchModule[] = [
        { kind: "linear", layer: 0, units: 2, bias: true },
        { kind: "activation", layer: 0, activation },
      ];
      assert.deepEqual(buildLines(pythonModule(modules, OPTIONS)), ["nn.Linear(3, 2),", line]);
    });
});

describe("a kind written with the helper classes brings them in, on flat samples too", () => {
  const linear: TorchModule = { kind: "linear", layer: 0, units: 3, bias: true };
  const kinds: [string, TorchModule, string][] = [
    ["flatten", { kind: "flatten", layer: 0, width: 3 }, "nn.Flatten(),"],
    ["reshape", { kind: "reshape", layer: 0, shape: [3] }, "Reshape((3,)),"],
    [
      "batchNorm",
      { kind: "batchNorm", layer: 0, features: 3, eps: 0.001, momentum: 0.01 },
      "BatchNorm(3, eps=0.001, momentum=0.01),",
    ],
    [
      "groupNorm",
      { kind: "groupNorm", layer: 0, groups: 1, channels: 3, eps: 0.00001 },
      "GroupNorm(1, 3, eps=0.00001),",
    ],
    ["embedding", { kind: "embedding", layer: 0, vocabulary: 5, dim: 2 }, "Embedding(5, 2),"],
    ["residual", { kind: "residual", layer: 0, body: [linear], projection: null }, "Residual("],
    ["concat", { kind: "concat", layer: 0, branches: [[linear], [linear]] }, "Concat("],
  ];
  for (const [kind, module, first] of kinds)
    test(kind, () => {
      const source = pythonModule([module], OPTIONS);
      assert.ok(source.includes("from torch.nn import functional as F\n"), "functional imported");
      for (const helper of [
        "class Net(nn.Sequential):",
        "class Reshape(nn.Module):",
        "class Residual(nn.Module):",
      ])
        assert.ok(source.includes(helper), `${helper} written`);
      assert.ok(source.includes("    return Net((3,),\n"), "build() returns a Net over (3,)");
      assert.ok(source.includes("model = load(); y = model(torch.rand(4, 3))"), "the example call");
      assert.equal(buildLines(source)[0], first);
    });

  test("a dense network alone is a plain nn.Sequential without them", () => {
    const source = pythonModule([linear], OPTIONS);
    assert.ok(!source.includes("class Net("));
    assert.ok(!source.includes("functional as F"));
    assert.ok(source.includes("    return nn.Sequential(\n"));
  });
});
