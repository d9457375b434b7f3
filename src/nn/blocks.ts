/**
 * A graph beyond a plain stack: a residual block (the input added to its body's output) and a
 * concatenation of branches. Both hold chains of layers (`LayerGroup`), so health and homeostasis find
 * the unit layers inside them, named like their parameters ("1.0.weight" is layer 0 of block 1).
 */
import { concat } from "../autograd/composites.js";
import * as op from "../autograd/ops.js";
import { ConfigError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import type { DType, Tensor } from "../tensor/tensor.js";
import type { LayerGroup } from "../units/layer.js";
import type { ForwardContext, Layer, LayerConfig } from "./layer.js";
import { Dense } from "./layers.js";
import { buildLayers, namedTensors, runLayers, within } from "./stack.js";

/** Parameters or buffers of named chains, prefixed `${chain}.${i}.` (`${i}.` for the chain named ""). */
function chainTensors(group: LayerGroup, of: (l: Layer) => [string, Tensor][]): [string, Tensor][] {
  return group.chains.flatMap((c) => namedTensors(c.layers as Layer[], of, c.name ? `${c.name}.` : ""));
}

/**
 * A residual block as in ResNet (He, Zhang, Ren & Sun 2016): output = input + body(input). When the body changes the width, the
 * input passes through a learned linear projection first (a bias-free dense layer, "projection.0").
 *
 * @example
 * new Residual([new Dense(64, { activation: "relu" }), new Dense(64)]) // then an Activation("relu") after it
 */
export class Residual implements Layer, LayerGroup {
  readonly type = "residual";
  readonly layers: Layer[];
  projection: Dense | null = null;

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
    const width = buildLayers(this.layers, inputDim, rng, dtype, "layers");
    this.projection = null;
    if (width !== inputDim) {
      this.projection = new Dense(width, { useBias: false });
      this.projection.build(inputDim, rng, dtype);
    }
    return width;
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
    return this.branches.reduce(
      (total, branch, b) => total + buildLayers(branch, inputDim, rng, dtype, `branches[${b}]`),
      0,
    );
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
