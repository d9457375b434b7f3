import type { Rng } from "../tensor/rng.js";
import type { DType, Tensor } from "../tensor/tensor.js";

/** What a forward pass needs besides the input: training or inference, and where randomness comes from. */
export interface ForwardContext {
  training: boolean;
  /** Source of dropout masks; required when `training` and the model has dropout. */
  rng?: Rng;
  /** Called with each layer's output (stable layer name, e.g. "0"); health and homeostasis observers read these. */
  onActivation?: (layer: string, output: Tensor, preActivation: Tensor | null) => void;
  /** `onActivation` wants outputs only (pre-activation null): a layer and its activation then run fused. */
  outputsOnly?: boolean;
}

/** A layer's description in a run config and in a model file. */
export type LayerConfig = { type: string } & Record<string, unknown>;

/**
 * A layer is its parameters plus a short `forward`. Parameters are created by `build` (or `buildShape`),
 * once the input width (or sample shape) is known, from an explicit `Rng`; `parameters()` lists them under stable local names
 * ("weight", "bias") that a `Sequential` prefixes with the layer's index ("2.weight").
 */
export interface Layer {
  readonly type: string;
  /** Create parameters for inputs of width `inputDim`; returns the output width. */
  build(inputDim: number, rng: Rng, dtype: DType): number;
  /**
   * For layers that take shaped samples (convolution, pooling, reshape; element-wise ones pass any shape
   * through): create parameters for samples of `inputShape` (no batch axis, channels last) and return
   * the output's sample shape. A `Sequential` calls it instead of `build` where present; a layer without
   * it takes flat samples only.
   */
  buildShape?(inputShape: readonly number[], rng: Rng, dtype: DType): number[];
  forward(x: Tensor, ctx: ForwardContext): Tensor;
  /** Like `forward`, but without the output nonlinearity (for fused losses); layers without one return forward(). */
  forwardLinear?(x: Tensor, ctx: ForwardContext): Tensor;
  /** The nonlinearity applied last, if any ("softmax", "sigmoid", "relu", …). */
  readonly activation?: string;
  parameters(): [string, Tensor][];
  /** State saved with the model but not trained (running statistics), under local names; none if absent. */
  buffers?(): [string, Tensor][];
  config(): LayerConfig;
}
