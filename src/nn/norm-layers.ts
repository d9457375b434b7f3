/**
 * Normalisation and lookup layers: batch norm (running statistics, train and eval), group norm, and an
 * embedding table. Inputs are channels-last: the features or channels are the last axis.
 */
import { allButLast, batchNorm, groupNorm, normalizeWith } from "../autograd/composites.js";
import * as op from "../autograd/ops.js";
import { ConfigError, ShapeError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { allocate, type DType, Tensor } from "../tensor/tensor.js";
import type { ForwardContext, Layer, LayerConfig } from "./layer.js";
import { parameterData } from "./layers.js";

/** A learned per-feature gain (ones) and bias (zeros) of width `n`. */
function gainAndBias(n: number, dtype: DType): [Tensor, Tensor] {
  const ones = allocate(dtype, n);
  ones.fill(1);
  return [
    new Tensor(parameterData(ones), [n], true),
    new Tensor(parameterData(allocate(dtype, n)), [n], true),
  ];
}

/** Batch norm's options, both as in PyTorch's `BatchNorm1d`. */
export interface BatchNormOptions {
  /** Weight of the newest batch in the running averages (PyTorch's momentum): 0.1. */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015) over every axis but the last: in training by the batch's own
 * statistics, which also update running averages (unbiased variance, as PyTorch); in inference by
 * the running averages. These are `buffers()`: saved with the model and in checkpoints, never trained.
 *
 * @example
 * new Sequential([new Dense(64), new BatchNorm(), new Activation("relu"), new Dense(10)])
 */
export class BatchNorm implements Layer {
  readonly type = "batchNorm";
  readonly momentum: number;
  readonly eps: number;
  weight!: Tensor;
  bias!: Tensor;
  runningMean!: Tensor;
  runningVar!: Tensor;

  constructor(opts: BatchNormOptions = {}) {
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum <= 1))
      throw new ConfigError(`batchNorm: momentum must be in [0, 1], got ${this.momentum}`, {
        field: "momentum",
      });
  }

  build(inputDim: number, _rng: Rng, dtype: DType): number {
    [this.weight, this.bias] = gainAndBias(inputDim, dtype);
    const ones = allocate(dtype, inputDim);
    ones.fill(1);
    this.runningMean = new Tensor(allocate(dtype, inputDim), [inputDim]);
    this.runningVar = new Tensor(ones, [inputDim]);
    return inputDim;
  }

  /** Normalises the last axis (channels, for images): the sample's shape passes through. */
  buildShape(inputShape: readonly number[], rng: Rng, dtype: DType): number[] {
    this.build(inputShape[inputShape.length - 1], rng, dtype);
    return [...inputShape];
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    if (!ctx.training)
      return normalizeWith(x, this.runningMean, this.runningVar, this.weight, this.bias, this.eps);
    const { y, mean, variance } = batchNorm(x, this.weight, this.bias, this.eps);
    const n = allButLast(x).reduce((k, a) => k * x.shape[a], 1);
    this.track(mean.data, variance.data, n);
    return y;
  }

  /**
   * running ← (1 − momentum)·running + momentum·batch; one value per feature cannot have an unbiased
   * variance. A feature whose batch statistics are not finite is left as it was: a blown-up step that
   * the health monitor rolls back (parameters only) must not leave NaN in the inference path for good.
   */
  private track(mean: ArrayLike<number>, variance: ArrayLike<number>, n: number): void {
    const m = this.momentum;
    const unbias = n > 1 ? n / (n - 1) : 1;
    const rm = this.runningMean.data;
    const rv = this.runningVar.data;
    for (let i = 0; i < rm.length; i++) {
      if (!Number.isFinite(mean[i]) || !Number.isFinite(variance[i])) continue;
      rm[i] = (1 - m) * rm[i] + m * mean[i];
      rv[i] = (1 - m) * rv[i] + m * variance[i] * unbias;
    }
  }

  parameters(): [string, Tensor][] {
    return [
      ["weight", this.weight],
      ["bias", this.bias],
    ];
  }

  buffers(): [string, Tensor][] {
    return [
      ["runningMean", this.runningMean],
      ["runningVar", this.runningVar],
    ];
  }

  config(): LayerConfig {
    return { type: "batchNorm", momentum: this.momentum, eps: this.eps };
  }
}

/**
 * Group normalisation (Wu & He 2018): the channels (last axis) in `groups` groups of adjacent channels,
 * each normalised per sample; no batch statistics, so it behaves the same in training and inference.
 *
 * @example
 * new GroupNorm(4) // 16 features → four groups of four
 */
export class GroupNorm implements Layer {
  readonly type = "groupNorm";
  readonly groups: number;
  readonly eps: number;
  weight!: Tensor;
  bias!: Tensor;

  constructor(groups: number, opts: { eps?: number } = {}) {
    if (!Number.isInteger(groups) || groups < 1)
      throw new ConfigError(`groupNorm: groups must be a positive integer, got ${groups}`, {
        field: "groups",
      });
    this.groups = groups;
    this.eps = opts.eps ?? 1e-5;
  }

  build(inputDim: number, _rng: Rng, dtype: DType): number {
    if (inputDim % this.groups !== 0)
      throw new ConfigError(
        `groupNorm: ${inputDim} input channels do not split into ${this.groups} groups; choose groups dividing ${inputDim}`,
        { field: "groups" },
      );
    [this.weight, this.bias] = gainAndBias(inputDim, dtype);
    return inputDim;
  }

  /** Normalises the last axis (channels, for images): the sample's shape passes through. */
  buildShape(inputShape: readonly number[], rng: Rng, dtype: DType): number[] {
    this.build(inputShape[inputShape.length - 1], rng, dtype);
    return [...inputShape];
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.groups, this.weight, this.bias, this.eps);
  }

  parameters(): [string, Tensor][] {
    return [
      ["weight", this.weight],
      ["bias", this.bias],
    ];
  }

  config(): LayerConfig {
    return { type: "groupNorm", groups: this.groups, eps: this.eps };
  }
}

/**
 * A table of `vocabulary` learned vectors of width `dim`, looked up by integer id: input [rows, k] of ids
 * gives [rows, k, dim]. Initial vectors are standard normal, as PyTorch's. An id looked up several times
 * in a batch gets the sum of its gradients.
 *
 * @example
 * new Embedding(1000, 16) // ids 0…999 → 16 numbers each
 */
export class Embedding implements Layer {
  readonly type = "embedding";
  readonly vocabulary: number;
  readonly dim: number;
  weight!: Tensor;

  constructor(vocabulary: number, dim: number) {
    for (const [field, v] of [
      ["vocabulary", vocabulary],
      ["dim", dim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new ConfigError(`embedding: ${field} must be a positive integer, got ${v}`, { field });
    }
    this.vocabulary = vocabulary;
    this.dim = dim;
  }

  build(_inputDim: number, rng: Rng, dtype: DType): number {
    const w = allocate(dtype, this.vocabulary * this.dim);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal();
    this.weight = new Tensor(parameterData(w), [this.vocabulary, this.dim], true);
    return this.dim;
  }

  /** Samples of k ids become k vectors: [k] → [k, dim] (a flatten after it makes rows of k·dim). */
  buildShape(inputShape: readonly number[], rng: Rng, dtype: DType): number[] {
    this.build(inputShape[inputShape.length - 1], rng, dtype);
    return [...inputShape, this.dim];
  }

  forward(x: Tensor): Tensor {
    const ids = new Int32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i];
      if (!(Number.isInteger(v) && v >= 0 && v < this.vocabulary))
        throw new ShapeError(
          `embedding: input value ${v} (element ${i} of ${JSON.stringify(x.shape)}) is not an id in 0…${this.vocabulary - 1}`,
          { layer: "embedding" },
        );
      ids[i] = v;
    }
    return op.reshape(op.gather(this.weight, ids, 0), [...x.shape, this.dim]);
  }

  parameters(): [string, Tensor][] {
    return [["weight", this.weight]];
  }

  config(): LayerConfig {
    return { type: "embedding", vocabulary: this.vocabulary, dim: this.dim };
  }
}
