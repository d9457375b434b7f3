/**
 * The short Python module written beside an exported safetensors file: it builds the same network as
 * a PyTorch `nn.Sequential` and loads the weights (and, when exported, the optimiser) from the files
 * beside it. It reads safetensors itself with `struct`, `json` and `torch.frombuffer`, so it runs with
 * PyTorch alone (Debian's python3-torch has no `safetensors` package); `safetensors.torch.load_file`
 * reads the same files.
 */
import { SHAPED_CLASSES, SHAPED_HELPERS, shapedLine } from "./safetensors-python-shaped.js";
import { TORCH_ACTIVATIONS, type TorchModule } from "./safetensors-torch.js";

export interface PythonModuleOptions {
  /** One line that says what the network is (shown in the docstring). */
  description: string;
  inputDim: number;
  /** One sample's shape when it is not a flat row (images: [height, width, channels]). */
  inputShape?: readonly number[];
  /** File names (no directory) of the weights and, optionally, the optimiser state, beside the .py. */
  weightsFile: string;
  optimizerFile?: string;
  /** The PyTorch optimiser class the state is for ("Adam", "AdamW", "SGD"). */
  optimizerClass?: string;
  /** The input normalisation the model expects, when it is not "none". */
  inputNormalization?: string | null;
}

const pyString = (s: string): string => JSON.stringify(s); // a JSON string literal is a valid Python one

const nested = (lines: readonly string[]): string[] => [
  "    [",
  ...lines.map((l) => `        ${l}`),
  "    ],",
];

/** `nn.Sequential(...)`'s arguments (a block takes several lines), and the last axis' width after them. */
function moduleLines(
  modules: readonly TorchModule[],
  inputWidth: number,
): { lines: string[]; width: number } {
  let width = inputWidth;
  const lines = modules.flatMap((m): string[] => {
    if (m.kind === "linear") {
      const line = `nn.Linear(${width}, ${m.units}${m.bias ? "" : ", bias=False"}),`;
      width = m.units;
      return [line];
    }
    if (m.kind === "activation") return [`${TORCH_ACTIVATIONS[m.activation]},`];
    if (m.kind === "dropout") return [`nn.Dropout(${m.rate}),`];
    if (m.kind === "layerNorm") return [`nn.LayerNorm(${width}, eps=${m.eps}),`];
    if (m.kind === "residual") {
      const body = moduleLines(m.body, width);
      const projection = m.projection ? nested(moduleLines(m.projection, width).lines) : ["    None,"];
      width = body.width;
      return ["Residual(", ...nested(body.lines), ...projection, "),"];
    }
    if (m.kind === "concat") {
      const branches = m.branches.map((b) => moduleLines(b, width));
      width = branches.reduce((w, b) => w + b.width, 0);
      return ["Concat(", ...branches.flatMap((b) => nested(b.lines)), "),"];
    }
    const shaped = shapedLine(m);
    width = shaped.width ?? width;
    return [shaped.line];
  });
  return { lines, width };
}

const READER = `def read_safetensors(path):
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
`;

const OPTIMIZER = (cls: string, file: string): string => `

def load_optimizer(model, path=HERE / ${pyString(file)}):
    """torch.optim.${cls} over model.parameters(), holding the state Homeostat saved (moments, step)."""
    tensors, metadata = read_safetensors(path)
    groups = json.loads(metadata["param_groups"])
    optimizer = torch.optim.${cls}(model.parameters(), lr=groups[0]["lr"])
    state = {}
    for name, tensor in tensors.items():
        _, index, key = name.split(".", 2)  # state.<parameter index>.<key>
        state.setdefault(int(index), {})[key] = tensor
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return optimizer
`;

/**
 * The Python source of the module: `build()`, `load()` and, with an optimiser file, `load_optimizer(model)`.
 *
 * @example
 * pythonModule(torchModules(model.layers), { description: "6 → dense 3", inputDim: 6, weightsFile: "m.safetensors" });
 */
export function pythonModule(modules: readonly TorchModule[], o: PythonModuleOptions): string {
  const last = modules.at(-1);
  const probabilities =
    last?.kind === "activation" && (last.activation === "softmax" || last.activation === "sigmoid");
  const notes = [
    `Input: ${o.inputDim} float32 features per row${o.inputNormalization ? `, normalised as in training ("${o.inputNormalization}"; the normaliser is not part of this network)` : ""}.`,
    ...(probabilities
      ? [
          `The last module turns logits into probabilities, as Homeostat's predict does; model[:-1](x) gives the logits that ${last.activation === "softmax" ? "nn.CrossEntropyLoss" : "nn.BCEWithLogitsLoss"} expects.`,
        ]
      : []),
  ];
  const shaped = (o.inputShape?.length ?? 1) > 1 || modules.some((m) => SHAPED_HELPERS.has(m.kind));
  const lastAxis = o.inputShape?.at(-1) ?? o.inputDim;
  const body = moduleLines(modules, lastAxis)
    .lines.map((l) => `        ${l}`)
    .join("\n");
  const sample = shaped ? `, ${(o.inputShape ?? [o.inputDim]).join(", ")}` : "";
  return `"""${o.description}

Written by \`homeostat export --format safetensors\`: builds the network in PyTorch and loads
${o.weightsFile}${o.optimizerFile ? ` (and the optimiser state, ${o.optimizerFile})` : ""} from beside this file.
${notes.join("\n")}

    python3 ${o.weightsFile.replace(/\.safetensors$/, "")}.py          # loads the weights and prints the network
    model = load(); y = model(torch.rand(4${sample || `, ${o.inputDim}`}))
"""
import json
import struct
from pathlib import Path

import torch
from torch import nn
${shaped ? "from torch.nn import functional as F\n" : ""}
HERE = Path(__file__).resolve().parent


${READER}${shaped ? SHAPED_CLASSES : ""}

def build():
    """The network, freshly initialised."""
    return ${shaped ? `Net((${(o.inputShape ?? [o.inputDim]).join(", ")},),` : "nn.Sequential("}
${body}
    )


def load(path=HERE / ${pyString(o.weightsFile)}):
    """The network with the exported weights, in eval mode."""
    model = build()
    tensors, _ = read_safetensors(path)
    model.load_state_dict(tensors)
    return model.eval()
${o.optimizerFile && o.optimizerClass ? OPTIMIZER(o.optimizerClass, o.optimizerFile) : ""}

if __name__ == "__main__":
    print(load())
`;
}
