import { avgPool2d, globalAvgPool, maxPool2d, type Padding, windowGeometry } from "../autograd/conv.js";
import type { ConvGeometry } from "../backend/backend.js";
import * as op from "../autograd/ops.js";
import { fmt } from "../tensor/shape.js";
import { ShapeError } from "../tensor/errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { type Pair, paddingOf, pair, sampleShapeError } from "./conv.js";
import type { Layer, LayerConfig } from "./layer.js";

/** Options of `MaxPool2D` and `AvgPool2D`: window size, step and padding. */
export interface PoolOptions {
  /** Window size (default 2). */
  pool?: Pair;
  /** Step between windows (default: the window size, so windows tile the image). */
  stride?: Pair;
  padding?: Padding;
}

/** Samples must be [height, width, channels]; else an error naming the layer type. */
function image(type: string, shape: readonly number[]): [number, number, number] {
  if (shape.length !== 3) throw sampleShapeError(type, "[height, width, channels]", shape);
  return [shape[0], shape[1], shape[2]];
}

/** What the two window poolings share: options, shapes and config; `reduce` is the pooling itself. */
abstract class Pool2D implements Layer {
  abstract readonly type: string;
  readonly pool: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;
  private image: [number, number, number] = [0, 0, 0];

  constructor(opts: PoolOptions = {}) {
    this.pool = pair(opts.pool ?? 2, "pool");
    this.stride = pair(opts.stride ?? this.pool, "stride");
    this.padding = paddingOf(opts.padding ?? "valid");
  }

  protected abstract reduce(x: Tensor, g: ConvGeometry): Tensor;

  private geometry(batch: number): ConvGeometry {
    return windowGeometry(
      [batch, ...this.image],
      { kernel: this.pool, stride: this.stride, padding: this.padding },
      this.type,
    );
  }

  build(inputDim: number): number {
    return image(this.type, [inputDim])[0];
  }

  buildShape(inputShape: readonly number[]): number[] {
    this.image = image(this.type, inputShape);
    const g = this.geometry(1);
    return [g.outH, g.outW, g.channels];
  }

  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    return this.reduce(op.reshape(x, [n, ...this.image]), this.geometry(n));
  }

  parameters(): [string, Tensor][] {
    return [];
  }

  config(): LayerConfig {
    const c = (p: [number, number]) => (p[0] === p[1] ? p[0] : p);
    return { type: this.type, pool: c(this.pool), stride: c(this.stride), padding: this.padding };
  }
}

/**
 * The largest value of each window, per channel (channels last).
 *
 * @example
 * new MaxPool2D({ pool: 2 }) // [28, 28, 16] → [14, 14, 16]
 */
export class MaxPool2D extends Pool2D {
  readonly type = "maxPool2d";
  protected reduce(x: Tensor, g: ConvGeometry): Tensor {
    return maxPool2d(x, g);
  }
}

/**
 * The mean of each window, per channel; padding is not counted.
 *
 * @example
 * new AvgPool2D({ pool: 2 }) // [28, 28, 16] → [14, 14, 16]
 */
export class AvgPool2D extends Pool2D {
  readonly type = "avgPool2d";
  protected reduce(x: Tensor, g: ConvGeometry): Tensor {
    return avgPool2d(x, g);
  }
}

/**
 * The mean of each channel over all positions: [height, width, channels] (or [length, channels]) → [channels].
 *
 * @example
 * new GlobalAvgPool() // [7, 7, 32] → [32]
 */
export class GlobalAvgPool implements Layer {
  readonly type = "globalAvgPool";
  private sample: number[] = [];
  build(inputDim: number): number {
    return this.buildShape([inputDim])[0];
  }
  buildShape(inputShape: readonly number[]): number[] {
    if (inputShape.length < 2)
      throw new ShapeError(
        `globalAvgPool: needs samples shaped [...positions, channels], got ${fmt(inputShape)}`,
      );
    this.sample = [...inputShape];
    return [inputShape[inputShape.length - 1]];
  }
  forward(x: Tensor): Tensor {
    return globalAvgPool(op.reshape(x, [x.shape[0], ...this.sample]));
  }
  parameters(): [string, Tensor][] {
    return [];
  }
  config(): LayerConfig {
    return { type: "globalAvgPool" };
  }
}
