import * as op from "../autograd/ops.js";
import { ConfigError, ShapeError } from "../tensor/errors.js";
import { fmt, sameShape, sizeOf } from "../tensor/shape.js";
import type { Rng } from "../tensor/rng.js";
import type { DType, Tensor } from "../tensor/tensor.js";
import type { ActivationChoice } from "./activations.js";
import { layerFromConfig } from "./layer-kinds.js";
import type { ForwardContext, Layer, LayerConfig } from "./layer.js";
import { buildShapes, namedTensors, runLayers } from "./stack.js";

export { layerFromConfig };

/** A model's architecture as plain data: the input width and each layer's config. */
export interface ModelConfig {
  inputDim: number;
  /** The shape of one sample, channels last ([28, 28, 1]), when the model was built with one; rows stay flat. */
  inputShape?: number[];
  layers: LayerConfig[];
}

/**
 * A stack of layers applied in order. Parameter names are the layer index and the layer's own
 * name ("0.weight", "0.bias", "2.weight"), stable across save and load.
 *
 * @example
 * const model = new Sequential([new Dense(128, { activation: "relu" }), new Dense(10, { activation: "softmax" })])
 *   .build(784, new Rng(0));
 */
export class Sequential {
  readonly layers: Layer[];
  inputDim = 0;
  /** The shape of one sample ([inputDim] for flat rows); rows of inputDim values are read in this shape. */
  inputShape: number[] = [];
  outputDim = 0;
  dtype: DType = "float32";
  private built = false;

  constructor(layers: Layer[]) {
    this.layers = layers;
  }

  get isBuilt(): boolean {
    return this.built;
  }

  /**
   * Create every parameter for samples of `input` values, or of shape `input` (channels last, e.g.
   * [28, 28, 1]: flat rows of 784 values are then read as images), drawing initial values from `rng`.
   * A layer that cannot take the shape it is given is an error naming it.
   */
  build(input: number | readonly number[], rng: Rng, dtype: DType = "float32"): this {
    const shape = typeof input === "number" ? [input] : [...input];
    this.inputShape = shape;
    this.inputDim = sizeOf(shape);
    this.outputDim = sizeOf(buildShapes(this.layers, shape, rng, dtype, "model.layers"));
    this.dtype = dtype;
    this.built = true;
    return this;
  }

  forward(x: Tensor, ctx: ForwardContext = { training: false }): Tensor {
    return this.run(x, ctx, false);
  }

  /** The output before the final nonlinearity (the logits of a softmax/sigmoid output), for fused losses. */
  forwardLinear(x: Tensor, ctx: ForwardContext = { training: false }): Tensor {
    return this.run(x, ctx, true);
  }

  private run(x: Tensor, ctx: ForwardContext, stopBeforeOutputActivation: boolean): Tensor {
    if (!this.built) throw new Error("Sequential: call build(inputDim, rng) before forward");
    const shaped = this.inputShape.length > 1;
    // Flat models take any rank whose last axis is the width, as they always have.
    const flat = shaped
      ? x.rank === 2 && x.shape[1] === this.inputDim
      : x.shape[x.rank - 1] === this.inputDim;
    if (!flat && !(shaped && sameShape(x.shape.slice(1), this.inputShape))) {
      throw new ShapeError(
        !shaped
          ? `the model expects ${this.inputDim} input features per row, got ${x.shape[x.rank - 1]}`
          : `the model expects samples shaped ${fmt(this.inputShape)} (or rows of ${this.inputDim} values), got inputs ${fmt(x.shape)}`,
        { layer: "input" },
      );
    }
    const h = flat && shaped ? op.reshape(x, [x.shape[0], ...this.inputShape]) : x;
    return runLayers(this.layers, h, ctx, stopBeforeOutputActivation ? this.outputLayerIndex() : null);
  }

  /** Index of the last layer that applies a nonlinearity or an affine map (dropout after it is ignored). */
  private outputLayerIndex(): number {
    for (let i = this.layers.length - 1; i >= 0; i--) if (this.layers[i].type !== "dropout") return i;
    return -1;
  }

  /** The nonlinearity the model's output passes through last ("identity" for a linear output). */
  outputActivation(): ActivationChoice {
    const i = this.outputLayerIndex();
    const a = i >= 0 ? this.layers[i].activation : undefined;
    return a === undefined || a === "linear" ? "identity" : a;
  }

  /** Every parameter with its stable name, in a fixed order. */
  parameters(): [string, Tensor][] {
    return namedTensors(this.layers, (l) => l.parameters());
  }

  /**
   * State that is saved with the model but never trained (batch norm's running statistics), named like
   * parameters ("1.runningMean"). The optimiser never sees these.
   */
  buffers(): [string, Tensor][] {
    return namedTensors(this.layers, (l) => l.buffers?.() ?? []);
  }

  parameterCount(): number {
    return this.parameters().reduce((n, [, t]) => n + t.size, 0);
  }

  config(): ModelConfig {
    const layers = this.layers.map((l) => l.config());
    return this.inputShape.length > 1
      ? { inputDim: this.inputDim, inputShape: this.inputShape, layers }
      : { inputDim: this.inputDim, layers };
  }

  /** Rebuild a model from its config (`model.layers` of a run config, or a model file's architecture). */
  static fromLayerConfigs(layers: unknown, field = "model.layers"): Sequential {
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new ConfigError(`${field}: expected a non-empty array of layers`, { field });
    }
    return new Sequential(layers.map((l, i) => layerFromConfig(l, `${field}[${i}]`)));
  }
}
