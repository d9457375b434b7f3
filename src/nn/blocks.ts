/**
 * A graph beyond a plain stack: a residual block (the input added to its body's output) and a
 * concatenation of branches. Both hold chains of layers (`LayerGroup`), so health and homeostasis find
 * the unit layers inside them, named like their parameters ("1.0.weight" is layer 0 of block 1).
 */
import { concat } from "../autograd/composites.js";
import * as op from "../autograd/ops.js";
import { ConfigError, ShapeError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { fmt, sameShape } from "../tensor/shape.js";
import type { DType, Tensor } from "../tensor/tensor.js";
import type { LayerGroup } from "../units/layer.js";
import type { ForwardContext, Layer, LayerConfig } from "./layer.js";
import { Conv2D } from "./conv.js";
import { Dense } from "./layers.js";
import { buildShapes, namedTensors, runLayers, within } from "./stack.js";

/** Parameters or buffers of named chains, prefixed `${chain}.${i}.` (`${i}.` for the chain named ""). */
function chainTensors(group: LayerGroup, of: (l: Layer) => [string, Tensor][]): [string, Tensor][] {
  return group.chains.flatMap((c) => namedTensors(c.layers as Layer[], of, c.name ? `${c.name}.` : ""));
}

/**
 * A residual block as in ResNet (He, Zhang, Ren & Sun 2016): output = input + body(input). When the body changes the width, the
 * input passes through a learned linear projection first ("projection.0"): a bias-free dense layer for
 * flat samples; for images a bias-free 1×1 convolution, strided when the body downsamples (ResNet's
 * projection shortcut).
 *
 * @example
 * new Residual([new Dense(64, { activation: "relu" }), new Dense(64)]) // then an Activation("relu") after it
 * new Residual([new Conv2D(32, { stride: 2, padding: "same", activation: "relu" }), new Conv2D(32, { padding: "same" })])
 */
export class Residual implements Layer, LayerGroup {
  readonly type = "residual";
  readonly layers: Layer[];
  projection: Dense | Conv2D | null = null;

  constructor(layers: Layer[]) {
    if (layers.length === 0)
      throw new ConfigError("residual: the body needs at least one layer", { field: "layers" });
    this.layers = layers;
  }

  get chains(): { name: string; layers: Layer[] }[] {
    const body = { name: "", layers: this.layers };
    return this.projection ? [body, { name: "projection", layers: [this.projection] }] : [body];
  }

  build(inputDim: number, rng: Rng, dtype: DType): number {
    return this.buildShape([inputDim], rng, dtype)[0];
  }

  buildShape(input: readonly number[], rng: Rng, dtype: DType): number[] {
    const out = buildShapes(this.layers, input, rng, dtype, "layers");
    this.projection = null;
    if (sameShape(out, input)) return out;
    if (input.length === 1 && out.length === 1) {
      this.projection = new Dense(out[0], { useBias: false });
      this.projection.build(input[0], rng, dtype);
      return out;
    }
    // A 1×1 convolution with stride s maps n positions to ceil(n / s): the shape a "same" body gives.
    const stride =
      input.length === 3 && out.length === 3 ? [0, 1].map((a) => Math.ceil(input[a] / out[a])) : [];
    if (stride.length === 0 || stride.some((st, a) => Math.ceil(input[a] / st) !== out[a]))
      throw new ShapeError(
        `residual: the body turns samples shaped ${fmt(input)} into ${fmt(out)}, which no projection of the input can match`,
      );
    this.projection = new Conv2D(out[2], { kernel: 1, stride: [stride[0], stride[1]], useBias: false });
    this.projection.buildShape(input, rng, dtype);
    return out;
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const body = runLayers(this.layers, x, ctx);
    const skip = this.projection ? runLayers([this.projection], x, within(ctx, "projection.")) : x;
    return op.add(body, skip);
  }

  parameters(): [string, Tensor][] {
    return chainTensors(this, (l) => l.parameters());
  }

  buffers(): [string, Tensor][] {
    return chainTensors(this, (l) => l.buffers?.() ?? []);
  }

  config(): LayerConfig {
    return { type: "residual", layers: this.layers.map((l) => l.config()) };
  }
}

/**
 * Branches side by side: each branch (a list of layers; an empty one passes the input through) reads the
 * same input, and their outputs are joined along the last axis, branch 0 first.
 *
 * @example
 * new Concat([[new Dense(8, { activation: "relu" })], [new Dense(8, { activation: "tanh" })], []])
 */
export class Concat implements Layer, LayerGroup {
  readonly type = "concat";
  readonly branches: Layer[][];

  constructor(branches: Layer[][]) {
    if (branches.length === 0)
      throw new ConfigError("concat: needs at least one branch", { field: "branches" });
    this.branches = branches;
  }

  get chains(): { name: string; layers: Layer[] }[] {
    return this.branches.map((layers, b) => ({ name: String(b), layers }));
  }

  build(inputDim: number, rng: Rng, dtype: DType): number {
    return this.buildShape([inputDim], rng, dtype)[0];
  }

  /** Every branch must keep the positions (all axes but the last); their channels add up. */
  buildShape(input: readonly number[], rng: Rng, dtype: DType): number[] {
    const outs = this.branches.map((branch, b) => buildShapes(branch, input, rng, dtype, `branches[${b}]`));
    const positions = outs[0].slice(0, -1);
    outs.forEach((o, b) => {
      if (!sameShape(o.slice(0, -1), positions))
        throw new ShapeError(
          `concat: branch ${b} gives samples shaped ${fmt(o)}, branch 0 ${fmt(outs[0])}; they may differ only in the last axis`,
        );
    });
    return [...positions, outs.reduce((n, o) => n + o[o.length - 1], 0)];
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    return concat(this.branches.map((branch, b) => runLayers(branch, x, within(ctx, `${b}.`))));
  }

  parameters(): [string, Tensor][] {
    return chainTensors(this, (l) => l.parameters());
  }

  buffers(): [string, Tensor][] {
    return chainTensors(this, (l) => l.buffers?.() ?? []);
  }

  config(): LayerConfig {
    return { type: "concat", branches: this.branches.map((b) => b.map((l) => l.config())) };
  }
}
