/**
 * The `layers` registry's rows for shaped samples (channels last): convolution, pooling, flatten and
 * reshape. Spread into the built-in table of layer-kinds.ts.
 */
import { defineKind, type Kind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";
import { ConfigError } from "../tensor/errors.js";
import { activations } from "./activations.js";
import { Conv1D, Conv2D, type Pair } from "./conv.js";
import { initNames } from "./init.js";
import type { Layer } from "./layer.js";
import { AvgPool2D, GlobalAvgPool, MaxPool2D } from "./pooling.js";
import { Flatten, Reshape } from "./reshape.js";

/** What a layer is built with besides its own options: the model's default initialiser (`model.init`). */
interface Context {
  init?: string;
}

export type ConvLayerType =
  | "conv2d"
  | "conv1d"
  | "maxPool2d"
  | "avgPool2d"
  | "globalAvgPool"
  | "flatten"
  | "reshape";

const PADDING = {
  kind: "choice",
  values: ["valid", "same"],
  default: "valid",
  doc: '"same": output size ⌈input / stride⌉, padded around; "valid": windows inside the input only.',
} as const;

/** The options a convolution takes; `length` 2 for Conv2D's (height, width) pairs, 1 for Conv1D. */
function convOptions(length: number) {
  const size = (doc: string, d: number) => ({ kind: "integers", length, min: 1, default: d, doc }) as const;
  return {
    filters: { kind: "number", integer: true, min: 1, doc: "Output channels (the layer's units)." },
    kernel: size("Window size (one number: square).", 3),
    stride: size("Step between windows.", 1),
    dilation: size("Spacing between a window's taps.", 1),
    padding: PADDING,
    groups: {
      kind: "number",
      integer: true,
      min: 1,
      default: 1,
      doc: "Channel groups; each filter reads channels/groups inputs (groups = channels: depthwise).",
    },
    activation: { kind: "name", of: activations, default: "identity", doc: "The nonlinearity f." },
    init: {
      kind: "name",
      of: initNames,
      optional: true,
      doc: "Weight initialiser; default: model.init, else one that suits the activation.",
    },
    useBias: { kind: "boolean", default: true, doc: "Learn a bias per filter." },
  } as const satisfies OptionSchema;
}

const POOL = {
  pool: { kind: "integers", length: 2, min: 1, default: 2, doc: "Window size (one number: square)." },
  stride: {
    kind: "integers",
    length: 2,
    min: 1,
    optional: true,
    doc: "Step between windows; default: the window size.",
  },
  padding: PADDING,
} as const;

const asPair = (p: number[]): Pair => [p[0], p[1]];
/** Pooling options from parsed ones. */
const poolOptions = (o: { pool: number[]; stride: number[] | undefined; padding: "valid" | "same" }) => ({
  pool: asPair(o.pool),
  stride: o.stride && asPair(o.stride),
  padding: o.padding,
});

/** The layer `make` builds, a ConfigError of its options placed at `field` ("model.layers[0].groups: …"). */
function placed<T>(field: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const at = e.location.field ? `${field}.${e.location.field}` : field;
    throw new ConfigError(`${at}: ${e.message}`, { ...e.location, field: at });
  }
}

export const CONV_KINDS = {
  conv2d: defineKind({
    name: "conv2d",
    doc: "2-D convolution over [height, width, channels] samples, y = f(conv(x, W) + b); channels are its units.",
    options: convOptions(2),
    create: (o, context: Context, field) =>
      placed(
        field,
        () =>
          new Conv2D(o.filters, {
            ...o,
            kernel: asPair(o.kernel),
            stride: asPair(o.stride),
            dilation: asPair(o.dilation),
            init: o.init ?? context.init,
          }),
      ),
  }),
  conv1d: defineKind({
    name: "conv1d",
    doc: "1-D convolution over [length, channels] samples; channels are its units.",
    options: convOptions(1),
    create: (o, context: Context, field) =>
      placed(
        field,
        () =>
          new Conv1D(o.filters, {
            ...o,
            kernel: o.kernel[0],
            stride: o.stride[0],
            dilation: o.dilation[0],
            init: o.init ?? context.init,
          }),
      ),
  }),
  maxPool2d: defineKind({
    name: "maxPool2d",
    doc: "The largest value of each window, per channel.",
    options: POOL,
    create: (o, _context: Context) => new MaxPool2D(poolOptions(o)),
  }),
  avgPool2d: defineKind({
    name: "avgPool2d",
    doc: "The mean of each window, per channel (padding not counted).",
    options: POOL,
    create: (o, _context: Context) => new AvgPool2D(poolOptions(o)),
  }),
  globalAvgPool: defineKind({
    name: "globalAvgPool",
    doc: "The mean of each channel over all positions: [..., channels] → [channels].",
    options: {},
    create: (_o, _context: Context) => new GlobalAvgPool(),
  }),
  flatten: defineKind({
    name: "flatten",
    doc: "Samples of any shape as flat rows, channels fastest.",
    options: {},
    create: (_o, _context: Context) => new Flatten(),
  }),
  reshape: defineKind({
    name: "reshape",
    doc: "Samples to a new shape of as many values, channels last (one axis may be -1): [784] → [28, 28, 1].",
    options: { shape: { kind: "integers", min: -1, doc: "The sample shape, without the batch axis." } },
    create: (o, _context: Context) => new Reshape(o.shape),
  }),
} satisfies Record<ConvLayerType, Kind<Layer, Context>>;
