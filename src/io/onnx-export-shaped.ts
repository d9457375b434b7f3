/**
 * ONNX nodes for models over shaped samples (channels last), at opset 17: Conv2D → Conv, Conv1D →
 * 1-D Conv, MaxPool2D → MaxPool, AvgPool2D → AveragePool (count_include_pad 0, as Homeostat does not
 * count padding), GlobalAvgPool → ReduceMean, Flatten → Flatten, Reshape → Reshape, BatchNorm →
 * BatchNormalization (eval mode: the running statistics), GroupNorm → Reshape, ReduceMean, Sub, Mul,
 * Sqrt, Div, Mul, Add (GroupNormalization needs opset 18, which would change every exported graph's
 * ReduceMean), Embedding → Cast to int64 and Gather, Residual → its body, its projection and Add,
 * Concat → its branches and Concat on the last axis.
 * The graph keeps Homeostat's layout [batch, height, width, channels]: each Conv, pool and
 * BatchNormalization sits between two Transposes (a Conv1D's: [0, 2, 1]) (ONNX's kernels want channels first), so a Flatten
 * reads positions in Homeostat's order and the Gemm after it takes its weight unchanged. The conv
 * weight is ONNX's [filters, channels/groups, kh, kw], PyTorch's layout (`convLayout`).
 */
import type { Concat, Residual } from "../nn/blocks.js";
import type { Conv2D } from "../nn/conv.js";
import type { Layer } from "../nn/layer.js";
import { ConfigError } from "../tensor/errors.js";
import { chainLayers } from "./interchange.js";
import { convLayout, type ShapedModule, shapedModule, torchConvShape } from "./safetensors-shaped.js";

export interface NodeSpec {
  op: string;
  name: string;
  inputs: string[];
  attrs?: [string, number | string | number[], "f" | "i" | "s" | "ints"][];
}

/** What the emitters add to: nodes, float initializers, int64 initializers and float scalars. */
export interface GraphParts {
  nodes: NodeSpec[];
  weights: [string, number[], Float32Array][];
  ints: [string, number[]][];
  scalars: [string, number][];
}

/** The nodes of one activation reading `x` (none for identity), as onnx-export.ts maps them. */
export type ActivationNodes = (prefix: string, x: string, consts: [string, number][]) => NodeSpec[];

const TO_FIRST = [0, 3, 1, 2];
const TO_LAST = [0, 2, 3, 1];
const SWAP = [0, 2, 1];
const f32 = (d: ArrayLike<number>): Float32Array => Float32Array.from(d);
/** TensorProto.DataType.INT64, Cast's target for embedding ids. */
const INT64 = 7;

/** Appends nodes to the graph and tracks the current tensor's name and sample shape. */
class Emitter {
  constructor(
    readonly g: GraphParts,
    readonly activation: (a: string) => ActivationNodes,
  ) {}

  push(x: string, specs: NodeSpec[]): string {
    this.g.nodes.push(...specs);
    return specs.length ? specs[specs.length - 1]!.name : x;
  }

  /** `op` on channels-first data: Transpose, the node, Transpose back (`rank` 3: sequences [N, L, C]). */
  channelsFirst(
    p: string,
    x: string,
    op: string,
    inputs: string[],
    attrs: NodeSpec["attrs"],
    rank = 4,
  ): string {
    const [first, last] = rank === 3 ? [SWAP, SWAP] : [TO_FIRST, TO_LAST];
    return this.push(x, [
      { op: "Transpose", name: `${p}.toNCHW`, inputs: [x], attrs: [["perm", first, "ints"]] },
      { op, name: `${p}.${op}`, inputs: [`${p}.toNCHW`, ...inputs], attrs },
      { op: "Transpose", name: `${p}.toNHWC`, inputs: [`${p}.${op}`], attrs: [["perm", last, "ints"]] },
    ]);
  }

  /** The nodes of `layers` from tensor `x` of sample shape `shape`; the last tensor's name and shape. */
  chain(
    layers: readonly Layer[],
    prefix: string,
    x: string,
    shape: number[],
  ): { x: string; shape: number[] } {
    return chainLayers(layers, prefix, { x, shape }, (l, p, v) => this.layer(l, p, v.x, v.shape));
  }

  layer(layer: Layer, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    const c = layer.config();
    const params = new Map([...layer.parameters(), ...(layer.buffers?.() ?? [])]);
    const act = (y: string): string =>
      c.activation === undefined
        ? y
        : this.push(y, this.activation(String(c.activation))(p, y, this.g.scalars));
    if (layer.type === "dense") {
      if (shape.length !== 1)
        throw new ConfigError(
          `layer ${p} (dense): ONNX export takes a dense layer on flat samples only; put a flatten before it`,
          { layer: p },
        );
      const weight = params.get("weight")!;
      const bias = params.get("bias");
      this.g.weights.push([`${p}.weight`, [...weight.shape], f32(weight.data)]);
      if (bias) this.g.weights.push([`${p}.bias`, [...bias.shape], f32(bias.data)]);
      const inputs = bias ? [x, `${p}.weight`, `${p}.bias`] : [x, `${p}.weight`];
      const y = this.push(x, [{ op: "Gemm", name: `${p}.Gemm`, inputs, attrs: [["transB", 1, "i"]] }]);
      return { x: act(y), shape: [weight.shape[0]!] };
    }
    if (layer.type === "activation") return { x: act(x), shape };
    if (layer.type === "dropout") return { x, shape };
    if (layer.type === "layerNorm" || layer.type === "batchNorm") {
      const names =
        layer.type === "layerNorm" ? ["weight", "bias"] : ["weight", "bias", "runningMean", "runningVar"];
      for (const n of names) this.g.weights.push([`${p}.${n}`, [shape.at(-1)!], f32(params.get(n)!.data)]);
      const inputs = names.map((n) => `${p}.${n}`);
      const eps: NodeSpec["attrs"] = [["epsilon", Number(c.eps), "f"]];
      if (layer.type === "layerNorm")
        return {
          x: this.push(x, [
            {
              op: "LayerNormalization",
              name: `${p}.LayerNormalization`,
              inputs: [x, ...inputs],
              attrs: [["axis", -1, "i"], ...eps],
            },
          ]),
          shape,
        };
      if (shape.length === 1)
        return {
          x: this.push(x, [
            { op: "BatchNormalization", name: `${p}.BatchNormalization`, inputs: [x, ...inputs], attrs: eps },
          ]),
          shape,
        };
      if (shape.length !== 3)
        throw unsupported(p, layer.type, "on flat rows or images [height, width, channels]");
      return { x: this.channelsFirst(p, x, "BatchNormalization", inputs, eps), shape };
    }
    if (layer.type === "residual") return this.residual(layer as Residual, p, x, shape);
    if (layer.type === "concat") return this.concat(layer as Concat, p, x, shape);
    if (layer.type === "flatten") {
      const out = [shape.reduce((a, d) => a * d, 1)];
      return {
        x: this.push(x, [{ op: "Flatten", name: `${p}.Flatten`, inputs: [x], attrs: [["axis", 1, "i"]] }]),
        shape: out,
      };
    }
    if (layer.type === "reshape") {
      const { out } = shapedModule(layer, 0, shape);
      this.g.ints.push([`${p}.shape`, [0, ...out]]);
      return {
        x: this.push(x, [{ op: "Reshape", name: `${p}.Reshape`, inputs: [x, `${p}.shape`] }]),
        shape: out,
      };
    }
    if (layer.type === "globalAvgPool") {
      const axes = shape.slice(0, -1).map((_, a) => a + 1);
      const node: NodeSpec = {
        op: "ReduceMean",
        name: `${p}.ReduceMean`,
        inputs: [x],
        attrs: [
          ["axes", axes, "ints"],
          ["keepdims", 0, "i"],
        ],
      };
      return { x: this.push(x, [node]), shape: [shape.at(-1)!] };
    }
    if (layer.type === "groupNorm") return { x: groupNormNodes(this, layer, p, x, shape, params), shape };
    if (layer.type === "embedding") {
      const weight = params.get("weight")!;
      this.g.weights.push([`${p}.weight`, [...weight.shape], f32(weight.data)]);
      const nodes: NodeSpec[] = [
        { op: "Cast", name: `${p}.Cast`, inputs: [x], attrs: [["to", INT64, "i"]] },
        {
          op: "Gather",
          name: `${p}.Gather`,
          inputs: [`${p}.weight`, `${p}.Cast`],
          attrs: [["axis", 0, "i"]],
        },
      ];
      return { x: this.push(x, nodes), shape: [...shape, weight.shape[1]!] };
    }
    if (
      layer.type === "conv2d" ||
      layer.type === "conv1d" ||
      layer.type === "maxPool2d" ||
      layer.type === "avgPool2d"
    ) {
      const { module, out } = shapedModule(layer, Number(p.split(".").at(-1)), shape);
      return { x: act(this.window(module, layer, p, x)), shape: out };
    }
    throw unsupported(p, layer.type, "");
  }

  /** Conv, MaxPool or AveragePool from its PyTorch-shaped description (the same padding and layout). */
  private window(m: ShapedModule, layer: Layer, p: string, x: string): string {
    if (m.kind !== "conv" && m.kind !== "pool") throw unsupported(p, layer.type, "");
    const [l, r, t, b] = m.pad;
    const pads: [string, number[], "ints"] = ["pads", [t, l, b, r], "ints"];
    if (m.kind === "pool") {
      const attrs: NodeSpec["attrs"] = [
        ["kernel_shape", m.pool, "ints"],
        ["strides", m.stride, "ints"],
        pads,
      ];
      if (m.op === "max") return this.channelsFirst(p, x, "MaxPool", [], attrs);
      return this.channelsFirst(p, x, "AveragePool", [], [...attrs, ["count_include_pad", 0, "i"]]);
    }
    const conv = layer as Conv2D;
    this.g.weights.push([`${p}.weight`, torchConvShape(m), convLayout(m, conv.weight.data, true)]);
    if (conv.bias) this.g.weights.push([`${p}.bias`, [m.filters], f32(conv.bias.data)]);
    // A Conv1D is ONNX's 1-D Conv over [N, C, L]: the width axis of each pair only.
    const axes = m.dims === 1 ? (v: number[]) => v.slice(1) : (v: number[]) => v;
    const attrs: NodeSpec["attrs"] = [
      ["kernel_shape", axes(m.kernel), "ints"],
      ["strides", axes(m.stride), "ints"],
      ["dilations", axes(m.dilation), "ints"],
      ["group", m.groups, "i"],
      m.dims === 1 ? ["pads", [l, r], "ints"] : pads,
    ];
    const inputs = conv.bias ? [`${p}.weight`, `${p}.bias`] : [`${p}.weight`];
    return this.channelsFirst(p, x, "Conv", inputs, attrs, m.dims === 1 ? 3 : 4);
  }

  private residual(r: Residual, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    const body = this.chain(r.layers, `${p}.`, x, shape);
    const skip = r.projection ? this.chain([r.projection], `${p}.projection.`, x, shape).x : x;
    return { x: this.push(x, [{ op: "Add", name: `${p}.Add`, inputs: [body.x, skip] }]), shape: body.shape };
  }

  private concat(c: Concat, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    const outs = c.branches.map((b, j) => this.chain(b, `${p}.${j}.`, x, shape));
    const width = outs.reduce((w, o) => w + o.shape.at(-1)!, 0);
    const node: NodeSpec = {
      op: "Concat",
      name: `${p}.Concat`,
      inputs: outs.map((o) => o.x),
      attrs: [["axis", -1, "i"]],
    };
    return { x: this.push(x, [node]), shape: [...outs[0]!.shape.slice(0, -1), width] };
  }
}

/**
 * Group norm at opset 17 (GroupNormalization arrived in opset 18, with per-group scale until 21),
 * composed as Homeostat computes it: [N, positions, groups, channels/groups], mean and biased
 * variance over positions and the group's channels, (x − mean) / √(var + eps), then gain and shift
 * per channel on the last axis.
 */
function groupNormNodes(
  e: Emitter,
  layer: Layer,
  p: string,
  x: string,
  shape: number[],
  params: Map<string, { shape: readonly number[]; data: ArrayLike<number> }>,
): string {
  const c = shape.at(-1)!;
  const groups = Number(layer.config().groups);
  const positions = shape.slice(0, -1).reduce((a, d) => a * d, 1);
  e.g.ints.push([`${p}.grouped`, [0, positions, groups, c / groups]], [`${p}.shape`, [0, ...shape]]);
  e.g.scalars.push([`${p}.eps`, Number(layer.config().eps)]);
  for (const n of ["weight", "bias"]) e.g.weights.push([`${p}.${n}`, [c], f32(params.get(n)!.data)]);
  const mean = (name: string, input: string): NodeSpec => ({
    op: "ReduceMean",
    name: `${p}.${name}`,
    inputs: [input],
    attrs: [
      ["axes", [1, 3], "ints"],
      ["keepdims", 1, "i"],
    ],
  });
  return e.push(x, [
    { op: "Reshape", name: `${p}.Reshape`, inputs: [x, `${p}.grouped`] },
    mean("mean", `${p}.Reshape`),
    { op: "Sub", name: `${p}.centered`, inputs: [`${p}.Reshape`, `${p}.mean`] },
    { op: "Mul", name: `${p}.squared`, inputs: [`${p}.centered`, `${p}.centered`] },
    mean("variance", `${p}.squared`),
    { op: "Add", name: `${p}.varEps`, inputs: [`${p}.variance`, `${p}.eps`] },
    { op: "Sqrt", name: `${p}.std`, inputs: [`${p}.varEps`] },
    { op: "Div", name: `${p}.normalized`, inputs: [`${p}.centered`, `${p}.std`] },
    { op: "Reshape", name: `${p}.unGrouped`, inputs: [`${p}.normalized`, `${p}.shape`] },
    { op: "Mul", name: `${p}.Mul`, inputs: [`${p}.unGrouped`, `${p}.weight`] },
    { op: "Add", name: `${p}.Add`, inputs: [`${p}.Mul`, `${p}.bias`] },
  ]);
}

function unsupported(p: string, type: string, how: string): ConfigError {
  return new ConfigError(
    `layer ${p} (${type}): ONNX export supports dense, activation, dropout, layerNorm, batchNorm${how ? ` (${how})` : ""}, groupNorm, embedding, conv1d, conv2d, maxPool2d, avgPool2d, globalAvgPool, flatten, reshape, residual and concat layers`,
    { layer: p },
  );
}

/**
 * The nodes of a model with shaped layers: the flat input rows reshaped to the sample shape, the
 * layers, and a Flatten when the output is not flat. Returns the nodes' parts.
 *
 * @example
 * const parts = shapedGraph(model.layers, model.inputShape, (a) => ONNX_ACTIVATION[a]);
 */
export function shapedGraph(
  layers: readonly Layer[],
  inputShape: readonly number[],
  activation: (a: string) => ActivationNodes,
): GraphParts {
  const g: GraphParts = { nodes: [], weights: [], ints: [], scalars: [] };
  const e = new Emitter(g, activation);
  let x = "input";
  if (inputShape.length > 1) {
    g.ints.push(["input.shape", [0, ...inputShape]]); // 0: keep the batch dimension
    x = e.push(x, [{ op: "Reshape", name: "input.Reshape", inputs: [x, "input.shape"] }]);
  }
  const out = e.chain(layers, "", x, [...inputShape]);
  if (out.shape.length > 1)
    e.push(out.x, [{ op: "Flatten", name: "output.Flatten", inputs: [out.x], attrs: [["axis", 1, "i"]] }]);
  return g;
}
