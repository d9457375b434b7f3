import { conv2d, type Padding, type WindowOptions, windowGeometry } from "../autograd/conv.js";
import * as op from "../autograd/ops.js";
import { fmt } from "../tensor/shape.js";
import { ConfigError, ShapeError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { allocate, type DType, Tensor } from "../tensor/tensor.js";
import type { ParameterEntries, UnitLayer } from "../units/layer.js";
import { type ActivationChoice, activationFn, defaultInitFor, resolveActivation } from "./activations.js";
import { type InitChoice, initialize, resolveInit } from "./init.js";
import type { ForwardContext, Layer, LayerConfig } from "./layer.js";
import { parameterData, rowUnitEntries, weightAndBias } from "./layers.js";

/** A size per axis (height, width), or one for both. */
export type Pair = number | readonly [number, number];

/** Options of `Conv2D`: window, step, spacing, padding, channel groups, activation, initialiser, bias. */
export interface ConvOptions {
  /** Window size (default 3). */
  kernel?: Pair;
  stride?: Pair;
  dilation?: Pair;
  padding?: Padding;
  /** Channel groups: each filter reads channels/groups input channels (groups = channels: depthwise). */
  groups?: number;
  activation?: ActivationChoice;
  /** Weight initialiser; defaults to the one that suits the activation. */
  init?: InitChoice;
  useBias?: boolean;
}

/** A pair from one number or two, each a positive integer (else an error naming `field`). */
export function pair(v: Pair, field: string): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= 1))
    throw new ConfigError(`${field}: expected a positive integer or two, got ${JSON.stringify(v)}`, {
      field,
    });
  return p;
}

/** A window's padding, "valid" or "same"; anything else (from plain JS or a cast) is refused by name. */
export function paddingOf(v: unknown): Padding {
  if (v === "valid" || v === "same") return v;
  throw new ConfigError(`padding: expected "valid" or "same", got ${JSON.stringify(v)}`, {
    field: "padding",
  });
}

/** The error for samples a shaped layer cannot take; flat rows get a hint how to shape them. */
export function sampleShapeError(type: string, wanted: string, shape: readonly number[]): ShapeError {
  return new ShapeError(
    shape.length === 1
      ? `${type}: needs samples shaped ${wanted}, got ${shape[0]} flat features; build the model with an input shape or put a reshape layer first`
      : `${type}: needs samples shaped ${wanted}, got ${fmt(shape)}`,
  );
}

/** One number where both axes agree, as configs write it. */
const compact = (p: readonly [number, number]): Pair => (p[0] === p[1] ? p[0] : [p[0], p[1]]);

/**
 * A 2-D convolution over channels-last samples [height, width, channels] → [outH, outW, filters],
 * `y = f(conv(x, W) + b)`, W stored [filters, kernelH·kernelW·channels/groups] (row f: filter f's taps
 * ordered (ky, kx, c)). Its units are its channels: filter f's incoming weights are row f, so health and
 * homeostasis measure and recycle whole channels (Sokar et al. 2023 and Dohare et al. 2024 do so on CNNs).
 *
 * @example
 * new Conv2D(16, { kernel: 3, padding: "same", activation: "relu" })
 */
export class Conv2D implements Layer, UnitLayer {
  /** On the prototype (not a field), so that the constructor's messages name a Conv1D as one. */
  get type(): string {
    return "conv2d";
  }
  /** Filters, the layer's units. */
  readonly units: number;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding;
  readonly groups: number;
  readonly activation: ActivationChoice;
  readonly init: InitChoice;
  readonly useBias: boolean;
  weight!: Tensor;
  bias: Tensor | null = null;
  /** A sample's shape as the convolution sees it, [height, width, channels]. */
  protected image: number[] = [];

  constructor(filters: number, opts: ConvOptions = {}) {
    if (!Number.isInteger(filters) || filters < 1)
      throw new ConfigError(`${this.type}: filters must be a positive integer, got ${filters}`, {
        field: "filters",
      });
    this.units = filters;
    this.kernel = pair(opts.kernel ?? 3, "kernel");
    this.stride = pair(opts.stride ?? 1, "stride");
    this.dilation = pair(opts.dilation ?? 1, "dilation");
    this.padding = paddingOf(opts.padding ?? "valid");
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || filters % this.groups !== 0)
      throw new ConfigError(`${this.type}: groups (${this.groups}) must divide the ${filters} filters`, {
        field: "groups",
      });
    this.activation = resolveActivation(opts.activation ?? "identity");
    this.init = resolveInit(opts.init ?? defaultInitFor(this.activation));
    this.useBias = opts.useBias ?? true;
  }

  build(inputDim: number): number {
    throw sampleShapeError(this.type, "[height, width, channels]", [inputDim]);
  }

  /** The sample shape as [height, width, channels] (Conv1D: [1, length, channels]). */
  protected toImage(shape: readonly number[]): number[] {
    if (shape.length !== 3) throw sampleShapeError(this.type, "[height, width, channels]", shape);
    return [...shape];
  }

  /** The output sample shape from the convolution's [outH, outW, filters]. */
  protected fromImage(shape: number[]): number[] {
    return shape;
  }

  protected get window(): WindowOptions {
    return {
      kernel: this.kernel,
      stride: this.stride,
      dilation: this.dilation,
      padding: this.padding,
      groups: this.groups,
    };
  }

  buildShape(inputShape: readonly number[], rng: Rng, dtype: DType): number[] {
    const image = this.toImage(inputShape);
    const g = windowGeometry([1, ...image], this.window, this.type);
    const taps = this.kernel[0] * this.kernel[1];
    const fanIn = (taps * image[2]) / this.groups;
    const w = initialize(this.init, this.units * fanIn, fanIn, this.fanOut, rng, dtype);
    this.weight = new Tensor(parameterData(w), [this.units, fanIn], true);
    if (this.useBias) this.bias = new Tensor(parameterData(allocate(dtype, this.units)), [this.units], true);
    this.image = image;
    return this.fromImage([g.outH, g.outW, this.units]);
  }

  /** Weights that each input reaches, as PyTorch's initialisers count them: taps × filters/groups. */
  private get fanOut(): number {
    return (this.kernel[0] * this.kernel[1] * this.units) / this.groups;
  }

  forwardLinear(x: Tensor): Tensor {
    return this.apply(x);
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    return this.apply(x, activationFn(this.activation));
  }

  private apply(x: Tensor, act?: (z: Tensor) => Tensor): Tensor {
    const n = x.shape[0];
    const [h, w, c] = this.image;
    if (x.size !== n * h * w * c)
      throw new ShapeError(
        `${this.type}: built for samples ${fmt(this.image)} (${c} channels), got inputs ${fmt(x.shape)}`,
      );
    const img = op.reshape(x, [n, h, w, c]);
    const y = conv2d(img, this.weight, this.bias, windowGeometry(img.shape, this.window, this.type), act);
    return op.reshape(y, [n, ...this.fromImage(y.shape.slice(1))]);
  }

  parameters(): [string, Tensor][] {
    return weightAndBias(this.weight, this.bias);
  }

  config(): LayerConfig {
    return {
      type: this.type,
      filters: this.units,
      kernel: compact(this.kernel),
      stride: compact(this.stride),
      dilation: compact(this.dilation),
      padding: this.padding,
      groups: this.groups,
      activation: this.activation,
      init: this.init,
      useBias: this.useBias,
    };
  }

  // The unit capability (units/layer.ts): a unit is a channel, its incoming weights row f of W.

  get fanIn(): number {
    return this.weight.shape[1];
  }

  incomingWeights(u: number): Float32Array | Float64Array {
    return this.weight.data.subarray(u * this.fanIn, (u + 1) * this.fanIn);
  }

  freshIncomingWeights(rng: Rng): Float32Array {
    return initialize(this.init, this.fanIn, this.fanIn, this.fanOut, rng) as Float32Array;
  }

  unitEntries(u: number): ParameterEntries[] {
    return rowUnitEntries(this.weight, this.bias, u);
  }

  /** Every tap that reads input channel u, filter by filter: the filters of u's group only. */
  inputWeightIndices(u: number): Int32Array {
    const fanIn = this.fanIn;
    const perGroup = fanIn / (this.kernel[0] * this.kernel[1]);
    const filters = this.units / this.groups;
    const first = Math.floor(u / perGroup) * filters;
    const out = new Int32Array(filters * this.kernel[0] * this.kernel[1]);
    let k = 0;
    for (let f = first; f < first + filters; f++)
      for (let t = f * fanIn + (u % perGroup); t < (f + 1) * fanIn; t += perGroup) out[k++] = t;
    return out;
  }

  inputEntries(u: number): ParameterEntries[] {
    return [{ tensor: this.weight, indices: this.inputWeightIndices(u) }];
  }
}

/** Options of `Conv1D`: as `ConvOptions`, with one number each for the kernel, stride and dilation. */
export interface Conv1DOptions extends Omit<ConvOptions, "kernel" | "stride" | "dilation"> {
  kernel?: number;
  stride?: number;
  dilation?: number;
}

/**
 * A 1-D convolution over channels-last sequences [length, channels] → [outLength, filters]: a Conv2D
 * over samples of height 1, with the same unit capability (channels as units).
 *
 * @example
 * new Conv1D(8, { kernel: 5, padding: "same", activation: "relu" })
 */
export class Conv1D extends Conv2D {
  override get type(): string {
    return "conv1d";
  }

  constructor(filters: number, opts: Conv1DOptions = {}) {
    const one = (v: number | undefined, d: number): [number, number] => [1, v ?? d];
    super(filters, {
      ...opts,
      kernel: one(opts.kernel, 3),
      stride: one(opts.stride, 1),
      dilation: one(opts.dilation, 1),
    });
  }

  protected override toImage(shape: readonly number[]): number[] {
    if (shape.length !== 2) throw sampleShapeError("conv1d", "[length, channels]", shape);
    return [1, shape[0], shape[1]];
  }

  protected override fromImage(shape: number[]): number[] {
    return shape.slice(1);
  }

  override config(): LayerConfig {
    return { ...super.config(), kernel: this.kernel[1], stride: this.stride[1], dilation: this.dilation[1] };
  }
}
