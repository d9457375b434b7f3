import * as F from "../autograd/functional.js";
import * as op from "../autograd/ops.js";
import { ConfigError } from "../tensor/errors.js";
import type { Tensor } from "../tensor/tensor.js";
import type { InitName } from "./init.js";

export type ActivationName =
  | "identity"
  | "linear"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leakyRelu"
  | "elu"
  | "selu"
  | "gelu"
  | "softplus"
  | "softmax";

export const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  identity: (x) => x,
  linear: (x) => x,
  sigmoid: op.sigmoid,
  tanh: op.tanh,
  relu: op.relu,
  leakyRelu: (x) => F.leakyRelu(x, 0.01),
  elu: (x) => F.elu(x, 1),
  selu: F.selu,
  gelu: F.gelu,
  softplus: F.softplus,
  softmax: (x) => F.softmax(x, -1),
};

export function resolveActivation(name: unknown, field = "activation"): ActivationName {
  if (typeof name === "string" && name in ACTIVATIONS) return name as ActivationName;
  throw new ConfigError(
    `${field}: unknown activation ${JSON.stringify(name)}; expected one of ${Object.keys(ACTIVATIONS).join(", ")}`,
    { field },
  );
}

/** The initialiser that keeps activations' variance steady through this nonlinearity. */
export function defaultInitFor(activation: ActivationName): InitName {
  switch (activation) {
    case "relu":
    case "leakyRelu":
    case "elu":
    case "gelu":
      return "heNormal";
    case "selu":
      return "lecunNormal";
    default:
      return "glorotUniform";
  }
}
