import * as op from "../autograd/ops.js";
import { ConfigError, HomeostatError, ShapeError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { fmt, sizeOf } from "../tensor/shape.js";
import type { DType, Tensor } from "../tensor/tensor.js";
import { activationFn } from "./activations.js";
import type { ForwardContext, Layer } from "./layer.js";

/**
 * Build `layers` in order from inputs of width `inputDim`; returns the output width. A layer that refuses
 * its input (groups that do not divide it) is named by its place: `${path}[i]`, then its own field.
 *
 * @example
 * buildLayers(block.layers, 64, rng, "float32", "layers") // "layers[1].groups: …" on a bad group count
 */
export function buildLayers(
  layers: readonly Layer[],
  inputDim: number,
  rng: Rng,
  dtype: DType,
  path: string,
): number {
  return sizeOf(buildShapes(layers, [inputDim], rng, dtype, path));
}

/**
 * Build `layers` in order from samples of shape `input` (channels last; [width] for flat rows); returns
 * the output's sample shape. A layer without `buildShape` takes flat samples only. A layer that refuses
 * its input is named by its place: `${path}[i]`, then its own field.
 *
 * @example
 * buildShapes(model.layers, [28, 28, 1], rng, "float32", "model.layers") // [10] for a small CNN
 */
export function buildShapes(
  layers: readonly Layer[],
  input: readonly number[],
  rng: Rng,
  dtype: DType,
  path: string,
): number[] {
  return layers.reduce(
    (shape, layer, i) => {
      try {
        if (layer.buildShape) return layer.buildShape(shape, rng, dtype);
        if (shape.length === 1) return [layer.build(shape[0], rng, dtype)];
        throw new ShapeError(
          `${layer.type} takes flat samples, got samples shaped ${fmt(shape)}; put a flatten layer before it`,
        );
      } catch (e) {
        if (e instanceof ConfigError) throw placed(e, `${path}[${i}]`);
        if (!(e instanceof HomeostatError)) throw e;
        throw new ShapeError(`${path}[${i}]: ${e.message}`, { layer: String(i), field: `${path}[${i}]` });
      }
    },
    [...input],
  );
}

/** The same error with its field prefixed by `at` (the layer's place), in the message too. */
function placed(e: ConfigError, at: string): ConfigError {
  const own = e.location.field;
  const field = own ? `${at}.${own}` : at;
  const body = own && e.message.startsWith(`${own}: `) ? e.message.slice(own.length + 2) : e.message;
  return new ConfigError(`${field}: ${body}`, { ...e.location, field });
}

/**
 * The context for the layers inside a block: the same, except that their activations are reported under
 * the block's name (`prefix` "1." makes a nested layer "0" report as "1.0").
 */
export function within(ctx: ForwardContext, prefix: string): ForwardContext {
  const report = ctx.onActivation;
  if (!report || prefix === "") return ctx;
  return { ...ctx, onActivation: (name, out, pre) => report(`${prefix}${name}`, out, pre) };
}

/**
 * Run `layers` in order, reporting each layer's output as `${i}` (and a layer with an activation its
 * pre-activation too, when someone listens). `linearUpTo`: the index of the layer whose nonlinearity is
 * left out (a model's output layer, for a fused loss); layers after it are skipped. null: none.
 *
 * @example
 * runLayers(model.layers, x, { training: false }) // what Sequential.forward does
 */
export function runLayers(
  layers: readonly Layer[],
  x: Tensor,
  ctx: ForwardContext,
  linearUpTo: number | null = null,
): Tensor {
  let h = x;
  // Pre-activations are taken (each layer split from its activation) only when an observer wants them.
  const split = ctx.onActivation !== undefined && !ctx.outputsOnly;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (linearUpTo !== null && i > linearUpTo) break;
    const last = i === linearUpTo;
    if (layer.forwardLinear && layer.activation !== undefined && (split || last)) {
      const z = layer.forwardLinear(h, ctx);
      h = last ? z : activationFn(layer.activation)(z);
      ctx.onActivation?.(String(i), unitRows(h), unitRows(z));
    } else {
      h = layer.forward(h, within(ctx, `${i}.`));
      ctx.onActivation?.(String(i), unitRows(h), null);
    }
  }
  return h;
}

/** Parameters (or buffers) of `layers`, each layer's own names prefixed with `${prefix}${i}.`. */
export function namedTensors(
  layers: readonly Layer[],
  of: (layer: Layer) => [string, Tensor][],
  prefix = "",
): [string, Tensor][] {
  return layers.flatMap((layer, i) =>
    of(layer).map(([name, t]): [string, Tensor] => [`${prefix}${i}.${name}`, t]),
  );
}

/**
 * An output as observers read it, [rows, units]: a shaped output [batch, …positions, channels] becomes
 * [batch·positions, channels], so a convolution's units are its channels, measured at every position.
 */
function unitRows(t: Tensor): Tensor {
  if (t.rank <= 2) return t;
  const units = t.shape[t.rank - 1];
  return op.reshape(t, [t.size / units, units]);
}
