/**
 * PyTorch counterparts of Homeostat's layers for shaped samples (channels last): convolution, pooling,
 * flatten, reshape, batch and group norm, embedding. The generated Python keeps every tensor channels
 * last, as Homeostat does: each convolution, pool and norm moves the channels to axis 1 for PyTorch's
 * kernel and back, so that a Flatten (plain `nn.Flatten`) reads positions in Homeostat's order and the
 * Linear after it takes its weight unchanged. State-dict names and layouts are PyTorch's own: a Conv2d
 * weight is [filters, channels/groups, kh, kw] (Homeostat's rows [filters, kh·kw·channels/groups] in
 * tap order (ky, kx, c) are transposed on the way), a BatchNorm has weight, bias, running_mean,
 * running_var and num_batches_tracked.
 */
import { windowGeometry } from "../autograd/conv.js";
import type { Layer } from "../nn/layer.js";
import { ConfigError } from "../tensor/errors.js";

type Four = [left: number, right: number, top: number, bottom: number];

/** A shaped layer as one PyTorch module (each holds the Homeostat layer index it comes from). */
export type ShapedModule =
  | {
      kind: "conv";
      layer: number;
      dims: 1 | 2;
      channels: number;
      filters: number;
      kernel: [number, number];
      stride: [number, number];
      dilation: [number, number];
      groups: number;
      pad: Four;
      bias: boolean;
    }
  | {
      kind: "pool";
      layer: number;
      op: "max" | "avg";
      pool: [number, number];
      stride: [number, number];
      pad: Four;
    }
  | { kind: "globalAvgPool"; layer: number }
  | { kind: "flatten"; layer: number; width: number }
  | { kind: "reshape"; layer: number; shape: number[] }
  | { kind: "batchNorm"; layer: number; features: number; eps: number; momentum: number }
  | { kind: "groupNorm"; layer: number; groups: number; channels: number; eps: number }
  | { kind: "embedding"; layer: number; vocabulary: number; dim: number };

export const SHAPED_TYPES = [
  "conv2d",
  "conv1d",
  "maxPool2d",
  "avgPool2d",
  "globalAvgPool",
  "flatten",
  "reshape",
  "batchNorm",
  "groupNorm",
  "embedding",
];

const pairOf = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)];

/** (before, after) zero padding on one axis, as windowGeometry places it. */
function padding(
  size: number,
  out: number,
  before: number,
  k: number,
  s: number,
  d: number,
): [number, number] {
  const after = Math.max((out - 1) * s + (k - 1) * d + 1 - size - before, 0);
  return [before, after];
}

/** [H, W, C] of a sample for a 2-D window op (Conv1D: [1, L, C]). */
function image(shape: readonly number[], oneD: boolean): [number, number, number] {
  return oneD ? [1, shape[0]!, shape[1]!] : [shape[0]!, shape[1]!, shape[2]!];
}

/**
 * The PyTorch module for shaped layer `layer` (index `i`) on samples of `shape`, and its output shape.
 *
 * @example
 * shapedModule(new Conv2D(8, { padding: "same" }), 0, [28, 28, 1]).out; // [28, 28, 8]
 */
export function shapedModule(
  layer: Layer,
  i: number,
  shape: readonly number[],
): { module: ShapedModule; out: number[] } {
  const c = layer.config();
  const last = shape[shape.length - 1]!;
  if (layer.type === "conv2d" || layer.type === "conv1d") {
    const oneD = layer.type === "conv1d";
    const kernel: [number, number] = oneD ? [1, Number(c.kernel)] : pairOf(c.kernel);
    const stride: [number, number] = oneD ? [1, Number(c.stride)] : pairOf(c.stride);
    const dilation: [number, number] = oneD ? [1, Number(c.dilation)] : pairOf(c.dilation);
    const groups = Number(c.groups);
    const img = image(shape, oneD);
    const padding_ = c.padding as "valid" | "same";
    const g = windowGeometry(
      [1, ...img],
      { kernel, stride, dilation, padding: padding_, groups },
      layer.type,
    );
    const [t, b] = padding(img[0], g.outH, g.padTop, kernel[0], stride[0], dilation[0]);
    const [l, r] = padding(img[1], g.outW, g.padLeft, kernel[1], stride[1], dilation[1]);
    const filters = Number(c.filters);
    const module: ShapedModule = {
      kind: "conv",
      layer: i,
      dims: oneD ? 1 : 2,
      channels: img[2],
      filters,
      kernel,
      stride,
      dilation,
      groups,
      pad: padding_ === "valid" ? [0, 0, 0, 0] : [l, r, t, b],
      bias: c.useBias !== false,
    };
    return { module, out: oneD ? [g.outW, filters] : [g.outH, g.outW, filters] };
  }
  if (layer.type === "maxPool2d" || layer.type === "avgPool2d") {
    const pool = pairOf(c.pool);
    const stride = pairOf(c.stride);
    const img = image(shape, false);
    const g = windowGeometry(
      [1, ...img],
      { kernel: pool, stride, padding: c.padding as "valid" },
      layer.type,
    );
    const [t, b] = padding(img[0], g.outH, g.padTop, pool[0], stride[0], 1);
    const [l, r] = padding(img[1], g.outW, g.padLeft, pool[1], stride[1], 1);
    const op = layer.type === "maxPool2d" ? "max" : "avg";
    const pad: Four = c.padding === "valid" ? [0, 0, 0, 0] : [l, r, t, b];
    return { module: { kind: "pool", layer: i, op, pool, stride, pad }, out: [g.outH, g.outW, img[2]] };
  }
  if (layer.type === "globalAvgPool") return { module: { kind: "globalAvgPool", layer: i }, out: [last] };
  if (layer.type === "flatten") {
    const width = shape.reduce((a, d) => a * d, 1);
    return { module: { kind: "flatten", layer: i, width }, out: [width] };
  }
  if (layer.type === "reshape") {
    const target = (c.shape as number[]).slice();
    const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    const out = target.map((d) => (d === -1 ? shape.reduce((a, s) => a * s, 1) / known : d));
    return { module: { kind: "reshape", layer: i, shape: out }, out };
  }
  if (layer.type === "batchNorm")
    return {
      module: {
        kind: "batchNorm",
        layer: i,
        features: last,
        eps: Number(c.eps),
        momentum: Number(c.momentum),
      },
      out: [...shape],
    };
  if (layer.type === "groupNorm")
    return {
      module: { kind: "groupNorm", layer: i, groups: Number(c.groups), channels: last, eps: Number(c.eps) },
      out: [...shape],
    };
  if (layer.type === "embedding") {
    const dim = Number(c.dim);
    return {
      module: { kind: "embedding", layer: i, vocabulary: Number(c.vocabulary), dim },
      out: [...shape, dim],
    };
  }
  throw new ConfigError(
    `layer ${i} (${layer.type}): safetensors export has no PyTorch module for it (residual and concat blocks: not yet)`,
    { layer: String(i) },
  );
}

/** The Homeostat ↔ PyTorch names of a shaped module under its prefixes: parameters, then buffers. */
export function shapedNames(
  m: ShapedModule,
  ours: string,
  theirs: string,
): { params: [string, string][]; buffers: [string, string][] } {
  const p = (n: string, t = n): [string, string] => [`${ours}${n}`, `${theirs}${t}`];
  if (m.kind === "conv") return { params: m.bias ? [p("weight"), p("bias")] : [p("weight")], buffers: [] };
  if (m.kind === "batchNorm")
    return {
      params: [p("weight"), p("bias")],
      buffers: [p("runningMean", "running_mean"), p("runningVar", "running_var")],
    };
  if (m.kind === "groupNorm") return { params: [p("weight"), p("bias")], buffers: [] };
  if (m.kind === "embedding") return { params: [p("weight")], buffers: [] };
  return { params: [], buffers: [] };
}

/** A conv weight's PyTorch shape: [filters, channels/groups, kh, kw] (Conv1d: [filters, channels/groups, k]). */
export function torchConvShape(m: Extract<ShapedModule, { kind: "conv" }>): number[] {
  const cg = m.channels / m.groups;
  return m.dims === 1 ? [m.filters, cg, m.kernel[1]] : [m.filters, cg, m.kernel[0], m.kernel[1]];
}

/**
 * Homeostat's conv rows [filters, kh·kw·cg] (taps (ky, kx, c)) ↔ PyTorch's [filters, cg, kh, kw].
 * `toTorch` false goes the other way.
 *
 * @example
 * convLayout(m, homeostatWeight, true); // PyTorch's order, same values
 */
export function convLayout(
  m: Extract<ShapedModule, { kind: "conv" }>,
  data: ArrayLike<number>,
  toTorch: boolean,
): Float32Array {
  const [kh, kw] = m.kernel;
  const cg = m.channels / m.groups;
  const taps = kh * kw;
  const out = new Float32Array(m.filters * taps * cg);
  for (let f = 0; f < m.filters; f++)
    for (let t = 0; t < taps; t++)
      for (let c = 0; c < cg; c++) {
        const ours = (f * taps + t) * cg + c;
        const theirs = (f * cg + c) * taps + t;
        if (toTorch) out[theirs] = data[ours]!;
        else out[ours] = data[theirs]!;
      }
  return out;
}
