import * as F from "../autograd/functional.js";
import { linear } from "../autograd/fused.js";
import * as op from "../autograd/ops.js";
import { ConfigError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { allocate, type Data, type DType, Tensor } from "../tensor/tensor.js";
import { residentCopy } from "../backend/index.js";
import { type ActivationChoice, activationFn, defaultInitFor, resolveActivation } from "./activations.js";
import { type InitChoice, initialize, resolveInit } from "./init.js";
import type { ForwardContext, Layer, LayerConfig } from "./layer.js";
import type { ParameterEntries, UnitLayer } from "../units/layer.js";

/**
 * A parameter's storage: moved into the active backend's own memory where it keeps one (wasm), so
 * that its kernels read and update the parameter in place; else the array as it is.
 */
export function parameterData(d: Data): Data {
  return (d instanceof Float32Array && residentCopy(d)) || d;
}

/** A layer's parameters under their stable names: "weight", and "bias" when it has one. */
export function weightAndBias(weight: Tensor, bias: Tensor | null): [string, Tensor][] {
  return bias
    ? [
        ["weight", weight],
        ["bias", bias],
      ]
    : [["weight", weight]];
}

/**
 * Where unit u's own parameters sit when its incoming weights are row u of `weight` [units, fanIn]
 * (a dense layer's neurons, a convolution's filters): the row and its bias.
 */
export function rowUnitEntries(weight: Tensor, bias: Tensor | null, u: number): ParameterEntries[] {
  const fanIn = weight.shape[1];
  // A plain loop: Int32Array.from with a callback was most of a dead-unit repair's cost.
  const indices = new Int32Array(fanIn);
  for (let j = 0; j < fanIn; j++) indices[j] = u * fanIn + j;
  const row: ParameterEntries = { tensor: weight, indices };
  return bias ? [row, { tensor: bias, indices: [u] }] : [row];
}

/** Options of `Dense`: the activation, the weight initialiser and whether it has biases. */
export interface DenseOptions {
  activation?: ActivationChoice;
  /** Weight initialiser; defaults to the one that suits the activation (He for ReLU family, LeCun for SELU, else Glorot). */
  init?: InitChoice;
  useBias?: boolean;
}

/**
 * Fully connected layer, `y = f(x·Wᵀ + b)`, with W stored [units, inputDim] (PyTorch's layout: row i
 * holds unit i's incoming weights, so per-unit repairs touch contiguous memory).
 *
 * @example
 * new Dense(64, { activation: "relu" })
 */
export class Dense implements Layer, UnitLayer {
  readonly type = "dense";
  readonly units: number;
  readonly activation: ActivationChoice;
  readonly init: InitChoice;
  readonly useBias: boolean;
  weight!: Tensor;
  bias: Tensor | null = null;

  constructor(units: number, opts: DenseOptions = {}) {
    if (!Number.isInteger(units) || units < 1)
      throw new ConfigError(`dense: units must be a positive integer, got ${units}`, { field: "units" });
    this.units = units;
    this.activation = resolveActivation(opts.activation ?? "identity");
    this.init = resolveInit(opts.init ?? defaultInitFor(this.activation));
    this.useBias = opts.useBias ?? true;
  }

  build(inputDim: number, rng: Rng, dtype: DType): number {
    this.weight = new Tensor(
      parameterData(initialize(this.init, this.units * inputDim, inputDim, this.units, rng, dtype)),
      [this.units, inputDim],
      true,
    );
    if (this.useBias) this.bias = new Tensor(parameterData(allocate(dtype, this.units)), [this.units], true);
    return this.units;
  }

  /** x·Wᵀ + b, for rows of x. */
  forwardLinear(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    return linear(x, this.weight, this.bias, activationFn(this.activation));
  }

  parameters(): [string, Tensor][] {
    return weightAndBias(this.weight, this.bias);
  }

  config(): LayerConfig {
    return {
      type: "dense",
      units: this.units,
      activation: this.activation,
      init: this.init,
      useBias: this.useBias,
    };
  }

  // The unit capability (units/layer.ts): unit u's incoming weights are row u of W.

  get fanIn(): number {
    return this.weight.shape[1];
  }

  incomingWeights(u: number): Float32Array | Float64Array {
    return this.weight.data.subarray(u * this.fanIn, (u + 1) * this.fanIn);
  }

  freshIncomingWeights(rng: Rng): Float32Array {
    return initialize(this.init, this.fanIn, this.fanIn, this.units, rng) as Float32Array;
  }

  unitEntries(u: number): ParameterEntries[] {
    return rowUnitEntries(this.weight, this.bias, u);
  }

  /** Column u of W: one weight per unit of this layer. */
  inputWeightIndices(u: number): Int32Array {
    // A plain loop: Int32Array.from with a callback was an eighth of a continual-backprop step.
    const [cols, indices] = [this.fanIn, new Int32Array(this.units)];
    for (let r = 0; r < indices.length; r++) indices[r] = r * cols + u;
    return indices;
  }

  inputEntries(u: number): ParameterEntries[] {
    return [{ tensor: this.weight, indices: this.inputWeightIndices(u) }];
  }
}

/** A nonlinearity on its own, for models written as Dense(…) → Activation(…). */
export class Activation implements Layer {
  readonly type = "activation";
  readonly activation: ActivationChoice;
  constructor(activation: ActivationChoice) {
    this.activation = resolveActivation(activation);
  }
  build(inputDim: number): number {
    return inputDim;
  }
  buildShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }
  forward(x: Tensor): Tensor {
    return activationFn(this.activation)(x);
  }
  forwardLinear(x: Tensor): Tensor {
    return x;
  }
  parameters(): [string, Tensor][] {
    return [];
  }
  config(): LayerConfig {
    return { type: "activation", activation: this.activation };
  }
}

/** Inverted dropout (Srivastava et al. 2014): in training, zero each input with probability `rate` and scale the rest by 1/(1 − rate). */
export class Dropout implements Layer {
  readonly type = "dropout";
  readonly rate: number;
  constructor(rate: number) {
    if (!(rate >= 0 && rate < 1))
      throw new ConfigError(`dropout: rate must be in [0, 1), got ${rate}`, { field: "rate" });
    this.rate = rate;
  }
  build(inputDim: number): number {
    return inputDim;
  }
  buildShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    if (!ctx.rng) throw new Error("dropout in training needs ctx.rng");
    const keep = 1 - this.rate;
    const mask = allocate(x.dtype, x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = ctx.rng.next() < keep ? 1 / keep : 0;
    return op.mul(x, new Tensor(mask, x.shape));
  }
  parameters(): [string, Tensor][] {
    return [];
  }
  config(): LayerConfig {
    return { type: "dropout", rate: this.rate };
  }
}

/** Layer normalisation over the features of each sample (Ba et al. 2016), with learned gain and bias. */
export class LayerNorm implements Layer {
  readonly type = "layerNorm";
  readonly eps: number;
  weight!: Tensor;
  bias!: Tensor;
  constructor(opts: { eps?: number } = {}) {
    this.eps = opts.eps ?? 1e-5;
  }
  build(inputDim: number, _rng: Rng, dtype: DType): number {
    const w = allocate(dtype, inputDim);
    w.fill(1);
    this.weight = new Tensor(parameterData(w), [inputDim], true);
    this.bias = new Tensor(parameterData(allocate(dtype, inputDim)), [inputDim], true);
    return inputDim;
  }
  /** Normalises the last axis: the sample's shape passes through. */
  buildShape(inputShape: readonly number[], rng: Rng, dtype: DType): number[] {
    this.build(inputShape[inputShape.length - 1], rng, dtype);
    return [...inputShape];
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.weight, this.bias, this.eps);
  }
  parameters(): [string, Tensor][] {
    return [
      ["weight", this.weight],
      ["bias", this.bias],
    ];
  }
  config(): LayerConfig {
    return { type: "layerNorm", eps: this.eps };
  }
}
