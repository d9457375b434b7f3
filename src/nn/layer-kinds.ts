/**
 * The `layers` registry: every layer type a run config or a model file may name. A user's own layer is
 * one `layers.register(defineKind({ name, doc, options, create }))` whose `create` returns a `Layer`;
 * it is then named in `model.layers` and rebuilt from a model file like a built-in one.
 */
import { describeValue } from "../config/options.js";
import { defineKind, type Kind, Registry } from "../config/registry.js";
import { ConfigError } from "../tensor/errors.js";
import { activations } from "./activations.js";
import { initNames } from "./init.js";
import type { Layer } from "./layer.js";
import { Concat, Residual } from "./blocks.js";
import { Activation, Dense, Dropout, LayerNorm } from "./layers.js";
import { BatchNorm, Embedding, GroupNorm } from "./norm-layers.js";
import { CONV_KINDS, type ConvLayerType } from "./conv-kinds.js";

/** What a layer is built with besides its own options: the model's default initialiser (`model.init`). */
export interface LayerContext {
  init?: string;
}

export type LayerType =
  | "dense"
  | "activation"
  | "dropout"
  | "layerNorm"
  | "batchNorm"
  | "groupNorm"
  | "embedding"
  | "residual"
  | "concat"
  | ConvLayerType;

const EPS = {
  kind: "number",
  min: 0,
  minExclusive: true,
  default: 1e-5,
  doc: "Added to the variance.",
} as const;

/** Each item of a block's list of layers, built with its own field ("model.layers[1].layers[0]"). */
function chain(raw: unknown[], field: string, context: LayerContext): Layer[] {
  return raw.map((l, j) => layerFromConfig(l, `${field}[${j}]`, context));
}

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
  batchNorm: defineKind({
    name: "batchNorm",
    doc: "Batch normalisation over all axes but the last (Ioffe & Szegedy 2015): batch statistics in training, running averages in inference.",
    options: {
      momentum: {
        kind: "number",
        min: 0,
        max: 1,
        default: 0.1,
        doc: "Weight of each new batch in the running averages.",
      },
      eps: EPS,
    },
    create: (o, _context: LayerContext) => new BatchNorm({ momentum: o.momentum, eps: o.eps }),
  }),
  groupNorm: defineKind({
    name: "groupNorm",
    doc: "Group normalisation (Wu & He 2018): the channels (last axis) in groups, each normalised per sample.",
    options: {
      groups: { kind: "number", integer: true, min: 1, doc: "How many groups; must divide the channels." },
      eps: EPS,
    },
    create: (o, _context: LayerContext) => new GroupNorm(o.groups, { eps: o.eps }),
  }),
  embedding: defineKind({
    name: "embedding",
    doc: "A learned vector per integer id: [rows, k] ids → [rows, k, dim].",
    options: {
      vocabulary: { kind: "number", integer: true, min: 1, doc: "How many ids (0 … vocabulary − 1)." },
      dim: { kind: "number", integer: true, min: 1, doc: "Width of each vector." },
    },
    create: (o, _context: LayerContext) => new Embedding(o.vocabulary, o.dim),
  }),
  residual: defineKind({
    name: "residual",
    doc: "A residual block (He et al. 2016): input + body(input), through a linear projection when the body changes the width.",
    options: { layers: { kind: "list", items: "layers", doc: "The body, applied in order." } },
    create: (o, context: LayerContext, field) => new Residual(chain(o.layers, `${field}.layers`, context)),
  }),
  concat: defineKind({
    name: "concat",
    doc: "Branches side by side on the same input, outputs joined on the last axis; an empty branch passes the input.",
    options: {
      branches: {
        kind: "list",
        items: "branches",
        doc: "Each branch a list of layers; [] passes the input itself.",
      },
    },
    create: (o, context: LayerContext, field) =>
      new Concat(
        o.branches.map((b, k) => {
          const f = `${field}.branches[${k}]`;
          if (!Array.isArray(b))
            throw new ConfigError(`${f}: expected an array of layers, got ${describeValue(b)}`, { field: f });
          return chain(b, f, context);
        }),
      ),
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
