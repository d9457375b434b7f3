import type { Tensor } from "../tensor/tensor.js";
import { activationFn } from "./activations.js";
import type { ForwardContext, Layer } from "./layer.js";

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
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (linearUpTo !== null && i > linearUpTo) break;
    const last = i === linearUpTo;
    if (layer.forwardLinear && layer.activation !== undefined && (ctx.onActivation || last)) {
      const z = layer.forwardLinear(h, ctx);
      h = last ? z : activationFn(layer.activation)(z);
      ctx.onActivation?.(String(i), h, z);
    } else {
      h = layer.forward(h, within(ctx, `${i}.`));
      ctx.onActivation?.(String(i), h, null);
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
