/**
 * Activations: the built-in nonlinearities and the `activations` registry a run config's names are
 * looked up in (a Dense layer's `activation`, an Activation layer). A user's own activation is one
 * `activations.register({ name, doc, options: {}, create: () => fn })` and is then named like these.
 */
import * as F from "../autograd/functional.js";
import * as op from "../autograd/ops.js";
import { type Kind, Registry } from "../config/registry.js";
import type { Tensor } from "../tensor/tensor.js";
import type { InitName } from "./init.js";

/** The built-in activations' names. */
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

/** A built-in activation's name, or the name of one a user registered. */
export type ActivationChoice = ActivationName | (string & {});

/** An activation: a differentiable function of a tensor, element-wise or along the last axis (softmax). */
export type ActivationFn = (x: Tensor) => Tensor;

/** The built-in activations, typed so that a name without a function fails to compile. */
export const ACTIVATIONS: Record<ActivationName, ActivationFn> = {
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

const DOCS: Record<ActivationName, string> = {
  identity: "x (no nonlinearity).",
  linear: "x; another name for identity.",
  sigmoid: "1 / (1 + e^−x).",
  tanh: "The hyperbolic tangent.",
  relu: "max(0, x).",
  leakyRelu: "x for x > 0, else 0.01·x (Maas et al. 2013).",
  elu: "x for x > 0, else e^x − 1 (Clevert et al. 2016).",
  selu: "Scaled ELU (Klambauer et al. 2017, self-normalising networks).",
  gelu: "x·Φ(x) (Hendrycks & Gimpel 2016).",
  softplus: "log(1 + e^x).",
  softmax: "Row-wise e^x / Σe^x; fused with cross-entropy as an output.",
};

const BUILTIN = (Object.keys(ACTIVATIONS) as ActivationName[]).map(
  (name): Kind<ActivationFn> => ({ name, doc: DOCS[name], options: {}, create: () => ACTIVATIONS[name] }),
);

/**
 * Every activation a run config may name, the user's included.
 *
 * @example
 * activations.register({ name: "square", doc: "x².", options: {}, create: () => (x) => mul(x, x) });
 */
export const activations = new Registry<ActivationFn>("activation", "activation", BUILTIN);

/**
 * The function of the activation called `name`; an unknown name is a ConfigError naming `field`.
 *
 * @example
 * activationFn("relu")(Tensor.from([-1, 2])); // [0, 2]
 */
export function activationFn(name: string, field = "activation"): ActivationFn {
  return activations.get(name, field).create({}, undefined, field);
}

/** `name` if it is a registered activation; else a ConfigError naming `field` and the known ones. */
export function resolveActivation(name: unknown, field = "activation"): ActivationChoice {
  return activations.get(name, field).name;
}

/** The initialiser that keeps activations' variance steady through this nonlinearity. */
export function defaultInitFor(activation: ActivationChoice): InitName {
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
