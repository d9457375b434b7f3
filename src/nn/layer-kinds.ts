/**
 * The `layers` registry: every layer type a run config or a model file may name. A user's own layer is
 * one `layers.register(defineKind({ name, doc, options, create }))` whose `create` returns a `Layer`;
 * it is then named in `model.layers` and rebuilt from a model file like a built-in one.
 */
import { defineKind, type Kind, Registry } from "../config/registry.js";
import { activations } from "./activations.js";
import { initNames } from "./init.js";
import type { Layer } from "./layer.js";
import { Activation, Dense, Dropout, LayerNorm } from "./layers.js";
import { CONV_KINDS, type ConvLayerType } from "./conv-kinds.js";

/** What a layer is built with besides its own options: the model's default initialiser (`model.init`). */
export interface LayerContext {
  init?: string;
}

export type LayerType = "dense" | "activation" | "dropout" | "layerNorm" | ConvLayerType;

/** The built-in layer types, typed so that a type without an entry fails to compile. */
const BUILTIN = {
  dense: defineKind({
    name: "dense",
    doc: "Fully connected, y = f(x·Wᵀ + b).",
    options: {
      units: { kind: "number", integer: true, min: 1, doc: "Output width." },
      activation: { kind: "name", of: activations, default: "identity", doc: "The nonlinearity f." },
      init: {
        kind: "name",
        of: initNames,
        optional: true,
        doc: "Weight initialiser; default: model.init, else one that suits the activation.",
      },
      useBias: { kind: "boolean", default: true, doc: "Learn a bias b." },
    },
    create: (o, context: LayerContext) =>
      new Dense(o.units, { activation: o.activation, init: o.init ?? context.init, useBias: o.useBias }),
  }),
  activation: defineKind({
    name: "activation",
    doc: "A nonlinearity on its own.",
    options: { activation: { kind: "name", of: activations } },
    create: (o, _context: LayerContext) => new Activation(o.activation),
  }),
  dropout: defineKind({
    name: "dropout",
    doc: "Inverted dropout in training (Srivastava et al. 2014); the identity in inference.",
    options: { rate: { kind: "number", min: 0, max: 0.999, doc: "Probability of zeroing an input." } },
    create: (o, _context: LayerContext) => new Dropout(o.rate),
  }),
  layerNorm: defineKind({
    name: "layerNorm",
    doc: "Layer normalisation over each sample's features, learned gain and bias (Ba et al. 2016).",
    options: {
      eps: { kind: "number", min: 0, minExclusive: true, default: 1e-5, doc: "Added to the variance." },
    },
    create: (o, _context: LayerContext) => new LayerNorm({ eps: o.eps }),
  }),
  ...CONV_KINDS,
} satisfies Record<LayerType, Kind<Layer, LayerContext>>;

/**
 * Every layer type a model may name, the user's included.
 *
 * @example
 * layers.register(defineKind({ name: "tanhLayer", doc: "A tanh layer.", options: {}, create: () => new Activation("tanh") }));
 */
export const layers = new Registry<Layer, LayerContext>("layer", "model.layers", Object.values(BUILTIN));

/**
 * One layer from its JSON description; unknown types, unknown keys and bad values name the field.
 *
 * @example
 * layerFromConfig({ type: "dense", units: 10, activation: "softmax" }, "model.layers[1]");
 */
export function layerFromConfig(raw: unknown, field: string, context: LayerContext = {}): Layer {
  return layers.build(raw, context, field);
}
