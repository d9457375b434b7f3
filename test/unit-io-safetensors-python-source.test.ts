/**
 * The whole Python module written beside a safetensors export (src/io/safetensors-python.ts): its
 * docstring (input line, the note on a probability output, the command and the example call), its
 * imports, `build()` and the optimiser loader, for a flat classifier with everything switched on, a
 * plain regressor with everything off, an empty network and a network shaped by its input alone.
 * Expected text is written out by hand from the module's layout and PyTorch's constructors.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { safetensorsPaths } from "../src/io/safetensors.js";
import { pythonModule } from "../src/io/safetensors-python.js";
import { shapedLine } from "../src/io/safetensors-python-shaped.js";
import type { TorchModule } from "../src/io/safetensors-torch.js";
import { buildFunction, docstring, fromLoad } from "./helpers/python-source.js";

const PLAIN_IMPORTS = `import json
import struct
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
`;

const LOAD_AND_MAIN = (weightsFile: string): string => `def load(path=HERE / "${weightsFile}"):
    """The network with the exported weights, in eval mode."""
    model = build()
    tensors, _ = read_safetensors(path)
    model.load_state_dict(tensors)
    return model.eval()


if __name__ == "__main__":
    print(load())
`;

describe("pythonModule, the whole source", () => {
  test("a flat classifier: dropout, softmax note, normalisation, optimiser loader, nothing shaped", () => {
    const modules: TorchModule[] = [
      { kind: "linear", layer: 0, units: 8, bias: true },
      { kind: "activation", layer: 0, activation: "relu" },
      { kind: "dropout", layer: 1, rate: 0.25 },
      { kind: "linear", layer: 2, units: 3, bias: true },
      { kind: "activation", layer: 2, activation: "softmax" },
    ];
    const source = pythonModule(modules, {
      description: "Iris: 4 → dense 8 relu → dropout → dense 3 softmax.",
      inputDim: 4,
      weightsFile: "iris.safetensors",
      optimizerFile: "iris.optimizer.safetensors",
      optimizerClass: "AdamW",
      inputNormalization: "standardize",
    });
    assert.equal(
      source,
      `"""Iris: 4 → dense 8 relu → dropout → dense 3 softmax.

Written by \`homeostat export --format safetensors\`: builds the network in PyTorch and loads
iris.safetensors (and the optimiser state, iris.optimizer.safetensors) from beside this file.
Input: 4 float32 features per row, normalised as in training ("standardize"; the normaliser is not part of this network).
The last module turns logits into probabilities, as Homeostat's predict does; model[:-1](x) gives the logits that nn.CrossEntropyLoss expects.

    python3 iris.py          # loads the weights and prints the network
    model = load(); y = model(torch.rand(4, 4))
"""
${PLAIN_IMPORTS}

def read_safetensors(path):
    """(tensors, metadata) of a safetensors file of F32/F64 tensors, with the standard library and torch."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin : 8 + n + end])
        flat = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]) if raw else torch.zeros(0, dtype=dtypes[info["dtype"]])
        tensors[name] = flat.reshape(info["shape"])
    return tensors, metadata


def build():
    """The network, freshly initialised."""
    return nn.Sequential(
        nn.Linear(4, 8),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(8, 3),
        nn.Softmax(dim=-1),
    )


def load(path=HERE / "iris.safetensors"):
    """The network with the exported weights, in eval mode."""
    model = build()
    tensors, _ = read_safetensors(path)
    model.load_state_dict(tensors)
    return model.eval()


def load_optimizer(model, path=HERE / "iris.optimizer.safetensors"):
    """torch.optim.AdamW over model.parameters(), holding the state Homeostat saved (moments, step)."""
    tensors, metadata = read_safetensors(path)
    groups = json.loads(metadata["param_groups"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=groups[0]["lr"])
    state = {}
    for name, tensor in tensors.items():
        _, index, key = name.split(".", 2)  # state.<parameter index>.<key>
        state.setdefault(int(index), {})[key] = tensor
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return optimizer


if __name__ == "__main__":
    print(load())
`,
    );
  });

  test("a regressor ending in relu, no optimiser, no normalisation: no note and no loader", () => {
    const modules: TorchModule[] = [
      { kind: "linear", layer: 0, units: 1, bias: false },
      { kind: "activation", layer: 0, activation: "relu" },
    ];
    const source = pythonModule(modules, {
      description: "Prices.",
      inputDim: 6,
      weightsFile: "prices.safetensors",
    });
    assert.equal(
      docstring(source),
      `"""Prices.

Written by \`homeostat export --format safetensors\`: builds the network in PyTorch and loads
prices.safetensors from beside this file.
Input: 6 float32 features per row.

    python3 prices.py          # loads the weights and prints the network
    model = load(); y = model(torch.rand(4, 6))
"""`,
    );
    assert.equal(
      buildFunction(source),
      `def build():
    """The network, freshly initialised."""
    return nn.Sequential(
        nn.Linear(6, 1, bias=False),
        nn.ReLU(),
    )`,
    );
    assert.equal(fromLoad(source), LOAD_AND_MAIN("prices.safetensors"));
  });

  test("an empty network (a model of no layers exports) is an empty nn.Sequential with no note", () => {
    const source = pythonModule([], { description: "Identity.", inputDim: 3, weightsFile: "id.safetensors" });
    assert.equal(
      docstring(source),
      `"""Identity.

Written by \`homeostat export --format safetensors\`: builds the network in PyTorch and loads
id.safetensors from beside this file.
Input: 3 float32 features per row.

    python3 id.py          # loads the weights and prints the network
    model = load(); y = model(torch.rand(4, 3))
"""`,
    );
    assert.equal(
      buildFunction(source),
      `def build():
    """The network, freshly initialised."""
    return nn.Sequential(

    )`,
    );
  });

  test("a sigmoid output's note names nn.BCEWithLogitsLoss", () => {
    const source = pythonModule(
      [
        { kind: "linear", layer: 0, units: 1, bias: true },
        { kind: "activation", layer: 0, activation: "sigmoid" },
      ],
      { description: "Spam.", inputDim: 5, weightsFile: "spam.safetensors" },
    );
    assert.deepEqual(docstring(source).split("\n").slice(4, 7), [
      "Input: 5 float32 features per row.",
      "The last module turns logits into probabilities, as Homeostat's predict does; model[:-1](x) gives the logits that nn.BCEWithLogitsLoss expects.",
      "",
    ]);
  });

  test("a 2×3×5 input with no shaped layer still builds Net, and layers read the last axis (5)", () => {
    const modules: TorchModule[] = [
      { kind: "layerNorm", layer: 0, eps: 0.001 },
      { kind: "activation", layer: 1, activation: "tanh" },
    ];
    const source = pythonModule(modules, {
      description: "Pixels.",
      inputDim: 30,
      inputShape: [2, 3, 5],
      weightsFile: "pixels.safetensors",
    });
    assert.equal(
      docstring(source),
      `"""Pixels.

Written by \`homeostat export --format safetensors\`: builds the network in PyTorch and loads
pixels.safetensors from beside this file.
Input: 30 float32 features per row.

    python3 pixels.py          # loads the weights and prints the network
    model = load(); y = model(torch.rand(4, 2, 3, 5))
"""`,
    );
    assert.ok(source.includes("\nfrom torch.nn import functional as F\n"));
    assert.ok(source.includes("\nclass Net(nn.Sequential):\n"));
    assert.equal(
      buildFunction(source),
      `def build():
    """The network, freshly initialised."""
    return Net((2, 3, 5,),
        nn.LayerNorm(5, eps=0.001),
        nn.Tanh(),
    )`,
    );
  });

  test("the command names the .py that the export writes, even with .safetensors inside the name", () => {
    const weightsFile = "mnist.safetensors-best.safetensors";
    const source = pythonModule([], { description: "Best.", inputDim: 2, weightsFile });
    assert.equal(safetensorsPaths(weightsFile).python, "mnist.safetensors-best.py");
    assert.ok(
      source.includes(
        "\n    python3 mnist.safetensors-best.py          # loads the weights and prints the network\n",
      ),
      docstring(source),
    );
  });
});

describe("shapedLine, batch norm", () => {
  test("BatchNorm takes the features, eps and PyTorch's momentum, and keeps the width", () => {
    assert.deepEqual(shapedLine({ kind: "batchNorm", layer: 2, features: 5, eps: 0.001, momentum: 0.1 }), {
      line: "BatchNorm(5, eps=0.001, momentum=0.1),",
    });
  });
});
