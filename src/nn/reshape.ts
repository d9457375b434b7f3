import * as op from "../autograd/ops.js";
import { ConfigError, ShapeError } from "../tensor/errors.js";
import { fmt, sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Layer, LayerConfig } from "./layer.js";

/** How many output features each input channel becomes, when channels stay the last axis (units/layer.ts). */
function channelPositions(input: readonly number[], output: readonly number[]): number {
  const channels = input[input.length - 1];
  if (output[output.length - 1] === channels) return 1;
  // Flattened channels last: channel u becomes features p·channels + u, one per position p.
  if (output.length === 1) return sizeOf(input) / channels;
  return 0;
}

/**
 * Samples of any shape as flat feature rows (channels fastest, so a dense layer after a convolution reads
 * its channels as Keras's Flatten lays them out).
 *
 * @example
 * new Flatten() // [7, 7, 32] → [1568]
 */
export class Flatten implements Layer {
  readonly type = "flatten";
  /** Output features per input channel (units/layer.ts's `UnitSpread`): the positions of a sample. */
  unitPositions = 1;
  build(inputDim: number): number {
    return inputDim;
  }
  buildShape(inputShape: readonly number[]): number[] {
    this.unitPositions = channelPositions(inputShape, [sizeOf(inputShape)]);
    return [sizeOf(inputShape)];
  }
  forward(x: Tensor): Tensor {
    // The sample's size from its shape, not size / rows: a batch of 0 rows flattens too.
    return x.rank === 2 ? x : op.reshape(x, [x.shape[0], sizeOf(x.shape.slice(1))]);
  }
  parameters(): [string, Tensor][] {
    return [];
  }
  config(): LayerConfig {
    return { type: "flatten" };
  }
}

/**
 * Samples to a new shape of as many values (one axis may be −1): flat rows of 784 pixels to
 * [28, 28, 1] images for a convolution, channels last.
 *
 * @example
 * new Reshape([28, 28, 1]) // [784] → [28, 28, 1]
 */
export class Reshape implements Layer {
  readonly type = "reshape";
  readonly shape: number[];
  private out: number[] = [];
  /** Output features per input channel; 0 where channels do not survive the reshape. */
  unitPositions = 1;
  constructor(shape: readonly number[]) {
    if (
      !Array.isArray(shape) ||
      shape.length === 0 ||
      shape.filter((d) => d === -1).length > 1 ||
      !shape.every((d) => d === -1 || (Number.isInteger(d) && d >= 1))
    )
      throw new ConfigError(
        `reshape: shape must list positive integers (one may be -1), got ${JSON.stringify(shape)}`,
        { field: "shape" },
      );
    this.shape = [...shape];
  }
  build(inputDim: number): number {
    return sizeOf(this.buildShape([inputDim]));
  }
  buildShape(inputShape: readonly number[]): number[] {
    const size = sizeOf(inputShape);
    const known = sizeOf(this.shape.filter((d) => d !== -1));
    const out = this.shape.map((d) => (d === -1 ? size / known : d));
    if (sizeOf(out) !== size || !out.every(Number.isInteger))
      throw new ShapeError(
        `reshape: samples ${fmt(inputShape)} (${size} values) do not fit the shape ${fmt(this.shape)}`,
      );
    this.out = out;
    this.unitPositions = channelPositions(inputShape, out);
    return out;
  }
  forward(x: Tensor): Tensor {
    return op.reshape(x, [x.shape[0], ...this.out]);
  }
  parameters(): [string, Tensor][] {
    return [];
  }
  config(): LayerConfig {
    return { type: "reshape", shape: this.shape };
  }
}
