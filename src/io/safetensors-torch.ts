/**
 * A Homeostat `Sequential` as the PyTorch `nn.Sequential` that computes the same thing, and the
 * parameter names that network's `state_dict()` uses.
 *
 * The mapping, one Homeostat layer at a time:
 * - dense → `nn.Linear(in, units, bias=useBias)`, then its activation as a module of its own unless it
 *   is identity/linear. So module indices skip the activations: 6 → dense 16 relu → dense 3 gives
 *   `0.weight`, `0.bias` (Linear), 1 (ReLU), `2.weight`, `2.bias` (Linear). The weight is [units, in]
 *   in both libraries, so it is copied as is, never transposed.
 * - activation → its module (identity/linear → `nn.Identity()`), so that each layer stays one module.
 * - dropout → `nn.Dropout(p)`; layerNorm → `nn.LayerNorm(width, eps)` (`weight`, `bias`).
 * - softmax → `nn.Softmax(dim=-1)` and sigmoid → `nn.Sigmoid()`: as the output, the PyTorch model
 *   returns probabilities like Homeostat's `predict`. PyTorch's losses want logits: `model[:-1]` gives
 *   them. A parameterless module at the end changes no name, so a PyTorch state dict saved from the
 *   logits-only network imports into an architecture ending in a softmax Dense unchanged.
 */
import type { ActivationChoice } from "../nn/activations.js";
import type { Layer } from "../nn/layer.js";
import { ConfigError } from "../tensor/errors.js";

/** One module of the PyTorch `nn.Sequential`, with the Homeostat layer it comes from. */
export type TorchModule =
  | { kind: "linear"; layer: number; units: number; bias: boolean }
  | { kind: "activation"; layer: number; activation: ActivationChoice }
  | { kind: "dropout"; layer: number; rate: number }
  | { kind: "layerNorm"; layer: number; eps: number };

/** Homeostat's activations as PyTorch modules (Python source); gelu is the exact, erf form in both. */
export const TORCH_ACTIVATIONS: Record<string, string> = {
  identity: "nn.Identity()",
  linear: "nn.Identity()",
  sigmoid: "nn.Sigmoid()",
  tanh: "nn.Tanh()",
  relu: "nn.ReLU()",
  leakyRelu: "nn.LeakyReLU(0.01)",
  elu: "nn.ELU(1.0)",
  selu: "nn.SELU()",
  gelu: "nn.GELU()",
  softplus: "nn.Softplus()",
  softmax: "nn.Softmax(dim=-1)",
};

function torchActivation(activation: ActivationChoice, layer: number, type: string): ActivationChoice {
  if (!Object.hasOwn(TORCH_ACTIVATIONS, activation))
    throw new ConfigError(
      `layer ${layer} (${type}): activation "${activation}" has no PyTorch module; safetensors export supports ${Object.keys(TORCH_ACTIVATIONS).join(", ")}`,
      { layer: String(layer) },
    );
  return activation;
}

/**
 * The PyTorch modules for these layers (built or not: only their configs are read). A layer type with
 * no PyTorch counterpart is a `ConfigError` naming it.
 *
 * @example
 * torchModules([new Dense(16, { activation: "relu" }), new Dense(3)]).map((m) => m.kind); // ["linear", "activation", "linear"]
 */
export function torchModules(layers: readonly Layer[]): TorchModule[] {
  const out: TorchModule[] = [];
  layers.forEach((layer, i) => {
    const c = layer.config();
    if (layer.type === "dense") {
      out.push({ kind: "linear", layer: i, units: Number(c.units), bias: c.useBias !== false });
      const a = torchActivation(String(c.activation ?? "identity"), i, "dense");
      if (a !== "identity" && a !== "linear") out.push({ kind: "activation", layer: i, activation: a });
    } else if (layer.type === "activation")
      out.push({
        kind: "activation",
        layer: i,
        activation: torchActivation(String(c.activation), i, "activation"),
      });
    else if (layer.type === "dropout") out.push({ kind: "dropout", layer: i, rate: Number(c.rate) });
    else if (layer.type === "layerNorm") out.push({ kind: "layerNorm", layer: i, eps: Number(c.eps) });
    else
      throw new ConfigError(
        `layer ${i} (${layer.type}): safetensors supports dense, activation, dropout and layerNorm layers (convolution and pooling: not yet)`,
        { layer: String(i) },
      );
  });
  return out;
}

/**
 * Each Homeostat parameter name with its PyTorch name ("2.weight" → "4.weight" when the two layers
 * before carry activations), in `parameters()` order, which is also PyTorch's `model.parameters()`
 * order (module by module, weight before bias): the optimiser state's indices rely on it.
 *
 * @example
 * torchNames(torchModules(model.layers)); // [["0.weight", "0.weight"], ["0.bias", "0.bias"], ["1.weight", "2.weight"], …]
 */
export function torchNames(modules: readonly TorchModule[]): [homeostat: string, torch: string][] {
  const out: [string, string][] = [];
  modules.forEach((m, k) => {
    if (m.kind === "linear") {
      out.push([`${m.layer}.weight`, `${k}.weight`]);
      if (m.bias) out.push([`${m.layer}.bias`, `${k}.bias`]);
    } else if (m.kind === "layerNorm") {
      out.push([`${m.layer}.weight`, `${k}.weight`], [`${m.layer}.bias`, `${k}.bias`]);
    }
  });
  return out;
}

/**
 * The input width the first weighted module implies: a Linear's weight is [out, in], a LayerNorm's
 * [width]. `shapeOf` looks up a PyTorch name; `from` is the tensor read; null when no module has weights.
 */
export function inferInputDim(
  modules: readonly TorchModule[],
  shapeOf: (torchName: string) => readonly number[] | undefined,
): { inputDim: number | undefined; from: string } | null {
  for (let k = 0; k < modules.length; k++) {
    const m = modules[k]!;
    if (m.kind !== "linear" && m.kind !== "layerNorm") continue;
    const name = `${k}.weight`;
    const shape = shapeOf(name);
    const dim = m.kind === "linear" ? shape?.[1] : shape?.[0];
    return { inputDim: dim, from: name };
  }
  return null;
}
