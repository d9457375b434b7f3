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
import type { Concat, Residual } from "../nn/blocks.js";
import type { Layer } from "../nn/layer.js";
import { ConfigError } from "../tensor/errors.js";
import { SHAPED_TYPES, type ShapedModule, shapedModule, shapedNames } from "./safetensors-shaped.js";

/** One module of the PyTorch `nn.Sequential`, with the Homeostat layer it comes from. */
export type TorchModule =
  | { kind: "linear"; layer: number; units: number; bias: boolean }
  | { kind: "activation"; layer: number; activation: ActivationChoice }
  | { kind: "dropout"; layer: number; rate: number }
  | { kind: "layerNorm"; layer: number; eps: number }
  | ShapedModule
  | { kind: "residual"; layer: number; body: TorchModule[]; projection: TorchModule[] | null }
  | { kind: "concat"; layer: number; branches: TorchModule[][] };

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
export function torchModules(layers: readonly Layer[], inputShape?: readonly number[]): TorchModule[] {
  return chain(layers, inputShape ? [...inputShape] : undefined).modules;
}

/** A chain's modules and the shape of its output (undefined: not tracked, for flat rows of unknown width). */
function chain(
  layers: readonly Layer[],
  input: number[] | undefined,
): { modules: TorchModule[]; shape: number[] | undefined } {
  const out: TorchModule[] = [];
  let shape = input;
  const needShape = (i: number, type: string): number[] => {
    if (shape) return shape;
    throw new ConfigError(
      `layer ${i} (${type}): declare "inputDim" (or "inputShape") beside the layers; it cannot be read from the weights`,
      { layer: String(i) },
    );
  };
  layers.forEach((layer, i) => {
    const c = layer.config();
    if (layer.type === "residual") {
      const r = layer as Residual;
      const body = chain(r.layers, needShape(i, layer.type));
      const projection = r.projection ? chain([r.projection], shape).modules : null;
      out.push({ kind: "residual", layer: i, body: body.modules, projection });
      shape = body.shape;
      return;
    }
    if (layer.type === "concat") {
      const input = needShape(i, layer.type);
      const branches = (layer as Concat).branches.map((b) => chain(b, input));
      out.push({ kind: "concat", layer: i, branches: branches.map((b) => b.modules) });
      const widths = branches.reduce((w, b) => w + b.shape!.at(-1)!, 0);
      shape = [...branches[0]!.shape!.slice(0, -1), widths];
      return;
    }
    if (SHAPED_TYPES.includes(layer.type)) {
      const next = shapedModule(layer, i, needShape(i, layer.type));
      out.push(next.module);
      shape = next.out;
      const a =
        c.activation === undefined ? "identity" : torchActivation(String(c.activation), i, layer.type);
      if (a !== "identity" && a !== "linear") out.push({ kind: "activation", layer: i, activation: a });
      return;
    }
    if (layer.type === "dense") {
      if (shape) shape = [...shape.slice(0, -1), Number(c.units)];
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
        `layer ${i} (${layer.type}): safetensors supports dense, activation, dropout, layerNorm, residual, concat and ${SHAPED_TYPES.join(", ")} layers`,
        { layer: String(i) },
      );
  });
  return { modules: out, shape };
}

/** A module with its name prefixes: Homeostat's layer path ("1.0.") and PyTorch's module path ("3.body.2."). */
export interface PlacedModule {
  module: TorchModule;
  ours: string;
  theirs: string;
}

/**
 * Every module, blocks opened, in order, with the prefixes its tensors' names take. A residual's body is
 * PyTorch's `body` (Homeostat's chain ""), its projection `projection`; a concat's branch b is
 * `branches.b` (Homeostat's chain "b").
 *
 * @example
 * placedModules(torchModules(layers)).map((p) => p.theirs); // ["0.", "1.body.0.", "1.body.1.", …]
 */
export function placedModules(modules: readonly TorchModule[], ours = "", theirs = ""): PlacedModule[] {
  return modules.flatMap((m, k): PlacedModule[] => {
    const at = `${ours}${m.layer}.`;
    if (m.kind === "residual")
      return [
        ...placedModules(m.body, at, `${theirs}${k}.body.`),
        ...(m.projection ? placedModules(m.projection, `${at}projection.`, `${theirs}${k}.projection.`) : []),
      ];
    if (m.kind === "concat")
      return m.branches.flatMap((b, j) => placedModules(b, `${at}${j}.`, `${theirs}${k}.branches.${j}.`));
    return [{ module: m, ours: at, theirs: `${theirs}${k}.` }];
  });
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
  return placedModules(modules).flatMap(({ module: m, ours, theirs }): [string, string][] => {
    if (m.kind === "linear")
      return m.bias
        ? [
            [`${ours}weight`, `${theirs}weight`],
            [`${ours}bias`, `${theirs}bias`],
          ]
        : [[`${ours}weight`, `${theirs}weight`]];
    if (m.kind === "layerNorm")
      return [
        [`${ours}weight`, `${theirs}weight`],
        [`${ours}bias`, `${theirs}bias`],
      ];
    return isShaped(m) ? shapedNames(m, ours, theirs).params : [];
  });
}

const isShaped = (m: TorchModule): m is ShapedModule =>
  m.kind !== "linear" &&
  m.kind !== "activation" &&
  m.kind !== "dropout" &&
  m.kind !== "layerNorm" &&
  m.kind !== "residual" &&
  m.kind !== "concat";

/**
 * The buffers' names (BatchNorm's running statistics), Homeostat's and PyTorch's, in `buffers()` order.
 * PyTorch's `num_batches_tracked` has no Homeostat counterpart: export writes 0, import ignores it.
 *
 * @example
 * torchBuffers(modules); // [["1.runningMean", "1.running_mean"], ["1.runningVar", "1.running_var"]]
 */
export function torchBuffers(modules: readonly TorchModule[]): [homeostat: string, torch: string][] {
  return placedModules(modules).flatMap(({ module: m, ours, theirs }) =>
    isShaped(m) ? shapedNames(m, ours, theirs).buffers : [],
  );
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
