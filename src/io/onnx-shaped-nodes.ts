/**
 * One mapper per ONNX op of a conv graph: each reads the node and the form of its data input, appends
 * the Homeostat layers it becomes (none for a Transpose, which only moves axes) and returns its output's
 * form. Weights move to Homeostat's layout here: a Conv weight [F, C/g, kh, kw] to rows of taps
 * (ky, kx, c), a Gemm's columns and a BatchNormalization's features to Homeostat's feature order.
 */
import { type Padding, windowGeometry } from "../autograd/conv.js";
import type { ActivationName } from "../nn/activations.js";
import type { OnnxNode, Tensor32 } from "./onnx-graph.js";
import {
  asChannelsLast,
  type Form,
  flatOrder,
  image,
  type Made,
  permuteColumns,
  permuteFeatures,
  plain,
} from "./onnx-shaped-form.js";
import { convLayout, type ShapedModule } from "./safetensors-shaped.js";

type ConvModule = Extract<ShapedModule, { kind: "conv" }>;

/** A node as its mapper sees it: the form of its data input, the layers so far, accessors that fail naming it. */
export interface NodeCtx {
  n: OnnxNode;
  form: Form;
  made: Made[];
  /** The op of the node that produced the data input ("" for the graph input). */
  inputOp: string;
  /** The node's inputs other than its data input. */
  others: string[];
  fail(msg: string): never;
  constant(name: string): Tensor32;
  ints(name: string, dflt: number[]): number[];
  int(name: string, dflt: number): number;
  float(name: string, dflt: number): number;
}

type Mapper = (c: NodeCtx) => Form;

const near = (v: number, want: number): boolean => Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));

/** An elementwise activation: folded into the conv or dense layer just made, else a layer of its own. */
function activation(name: ActivationName, check?: (c: NodeCtx) => void): Mapper {
  return (c) => {
    check?.(c);
    const last = c.made.at(-1)?.config;
    if (last && (last.type === "conv2d" || last.type === "dense") && last.activation === "identity")
      last.activation = name;
    else c.made.push({ config: { type: "activation", activation: name }, tensors: [] });
    return c.form;
  };
}

/** The flat features of any form: a flatten layer when Homeostat's tensor is shaped. */
function flatten(c: NodeCtx): Form {
  const size = c.form.dims.reduce((a, d) => a * d, 1);
  const order = flatOrder(c.form);
  if (c.form.hs.length > 1) c.made.push({ config: { type: "flatten" }, tensors: [] });
  return { dims: [size], hs: [size], axes: [0], order };
}

/** The form of a channels-first image, made ready for a window op (a reshape layer where needed). */
function channelsLast(c: NodeCtx): Form {
  const ready = asChannelsLast(c.form);
  if (!ready)
    c.fail(
      `needs a channels-first image [channels, height, width] per sample; its input is [${c.form.dims.join(", ")}] in an arrangement the import cannot follow`,
    );
  if (ready.fix) c.made.push(ready.fix);
  return ready.form;
}

interface Window {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  groups?: number;
}

/**
 * Homeostat's padding ("valid" or "same", TensorFlow's: the odd pixel after) that reads the same
 * windows as the node's pads / auto_pad on an input of `size`; anything else is an error naming both.
 */
function padding(c: NodeCtx, size: [number, number], channels: number, w: Window): Padding {
  const auto = c.n.attrs.get("auto_pad")?.s ?? "NOTSET";
  const pads = c.ints("pads", [0, 0, 0, 0]);
  const ceil = c.int("ceil_mode", 0) === 1;
  // What the node reads on each axis: its output size and the padding before the first window.
  const onnx = [0, 1].map((a) => {
    const extent = (w.kernel[a] - 1) * w.dilation[a] + 1;
    if (auto === "VALID") return [Math.floor((size[a] - extent) / w.stride[a]) + 1, 0];
    if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
      const out = Math.ceil(size[a] / w.stride[a]);
      const total = Math.max((out - 1) * w.stride[a] + extent - size[a], 0);
      return [out, auto === "SAME_UPPER" ? Math.floor(total / 2) : Math.ceil(total / 2)];
    }
    const span = size[a] + pads[a] + pads[a + 2] - extent;
    return [(ceil ? Math.ceil(span / w.stride[a]) : Math.floor(span / w.stride[a])) + 1, pads[a]];
  });
  for (const p of ["valid", "same"] as const) {
    const g = windowGeometry([1, ...size, channels], { ...w, padding: p }, c.n.label);
    const ours = [
      [g.outH, g.padTop],
      [g.outW, g.padLeft],
    ];
    if (ours.every((o, a) => o[0] === onnx[a][0] && o[1] === onnx[a][1])) return p;
  }
  return c.fail(
    `padding (auto_pad ${auto}, pads [${pads.join(", ")}]${ceil ? ", ceil_mode 1" : ""}) on a ${size[0]}×${size[1]} input is neither "valid" nor Homeostat's "same" (TensorFlow's: the odd pixel after); Homeostat has no other padding`,
  );
}

function pair(c: NodeCtx, name: string, dflt: [number, number]): [number, number] {
  const v = c.ints(name, dflt);
  if (v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= 1))
    c.fail(`${name} [${v.join(", ")}]; expected two positive integers (a 2-D window)`);
  return [v[0], v[1]];
}

function conv(c: NodeCtx): Form {
  const w = c.constant(c.n.inputs[1] ?? "");
  if (w.dims.length !== 4)
    c.fail(
      `weight "${w.name}" has shape [${w.dims.join(", ")}]; expected [filters, channels/groups, kh, kw] (Conv2d)`,
    );
  const form = channelsLast(c);
  const [channels, h, wd] = form.dims;
  const [filters, perGroup, kh, kw] = w.dims;
  const groups = c.int("group", 1);
  if (perGroup * groups !== channels || filters % groups !== 0)
    c.fail(`weight [${w.dims.join(", ")}] with group ${groups} does not fit ${channels} input channels`);
  // ONNX infers a missing kernel_shape from the weight: [kh, kw], not square.
  const kernel = pair(c, "kernel_shape", [kh, kw]);
  if (kernel[0] !== kh || kernel[1] !== kw)
    c.fail(`kernel_shape [${kernel.join(", ")}] disagrees with the weight [${w.dims.join(", ")}]`);
  const win: Window = {
    kernel,
    stride: pair(c, "strides", [1, 1]),
    dilation: pair(c, "dilations", [1, 1]),
    groups,
  };
  const pad = padding(c, [h, wd], channels, win);
  const bias = c.n.inputs[2] ? c.constant(c.n.inputs[2]) : null;
  if (bias && bias.data.length !== filters)
    c.fail(`bias "${bias.name}" has ${bias.data.length} values; expected ${filters}`);
  const { stride, dilation } = win;
  const module: ConvModule = {
    kind: "conv",
    layer: 0,
    dims: 2,
    channels,
    filters,
    kernel,
    stride,
    dilation,
    groups,
    pad: [0, 0, 0, 0],
    bias: bias !== null,
  };
  // ONNX's [filters, channels/groups, kh, kw] to Homeostat's rows of taps (ky, kx, c), as safetensors does.
  const tensors: [string, Float32Array][] = [["weight", convLayout(module, w.data, false)]];
  if (bias) tensors.push(["bias", bias.data]);
  c.made.push({
    config: {
      type: "conv2d",
      filters,
      kernel,
      stride: win.stride,
      dilation: win.dilation,
      padding: pad,
      groups,
      activation: "identity",
      useBias: bias !== null,
    },
    tensors,
  });
  const g = windowGeometry([1, h, wd, channels], { ...win, padding: pad }, c.n.label);
  return image(filters, g.outH, g.outW);
}

function pool(type: "maxPool2d" | "avgPool2d"): Mapper {
  return (c) => {
    const form = channelsLast(c);
    const [channels, h, w] = form.dims;
    // AveragePool has dilations too (opset 19); Homeostat's pools read every pixel of the window.
    if (
      (type === "maxPool2d" && c.int("storage_order", 0) !== 0) ||
      c.ints("dilations", [1, 1]).some((d) => d !== 1)
    )
      c.fail("only storage_order 0 and dilations 1 are supported");
    if (
      type === "avgPool2d" &&
      c.int("count_include_pad", 0) !== 0 &&
      c.ints("pads", [0, 0, 0, 0]).some((p) => p !== 0)
    )
      c.fail("count_include_pad 1 with padding: Homeostat's average pooling does not count padding");
    const win: Window = {
      kernel: c.n.attrs.has("kernel_shape")
        ? pair(c, "kernel_shape", [1, 1])
        : c.fail("has no kernel_shape, which ONNX requires of a pool"),
      stride: pair(c, "strides", [1, 1]),
      dilation: [1, 1],
    };
    const pad = padding(c, [h, w], channels, win);
    c.made.push({ config: { type, pool: win.kernel, stride: win.stride, padding: pad }, tensors: [] });
    const g = windowGeometry([1, h, w, channels], { ...win, padding: pad }, c.n.label);
    return image(channels, g.outH, g.outW);
  };
}

/** The mean over positions; `keep` keeps them as axes of size 1 (GlobalAveragePool does). */
function meanOverPositions(c: NodeCtx, channelAxis: number, keep: boolean): Form {
  const f = c.form;
  if (f.axes[channelAxis] !== f.hs.length - 1 || f.dims.length < 2)
    c.fail(`averages over positions of [${f.dims.join(", ")}], whose channels Homeostat does not hold last`);
  c.made.push({ config: { type: "globalAvgPool" }, tensors: [] });
  const channels = f.dims[channelAxis];
  if (!keep) return plain([channels]);
  const dims = f.dims.map((d, a) => (a === channelAxis ? d : 1));
  const hs = [...f.hs.slice(0, -1).map(() => 1), channels];
  c.made.push({ config: { type: "reshape", shape: hs }, tensors: [] });
  return { dims, hs, axes: f.axes, order: null };
}

function reduceMean(c: NodeCtx): Form {
  const rank = c.form.dims.length;
  const axes = c.ints("axes", []).map((a) => (a < 0 ? a + rank + 1 : a) - 1);
  const kept = c.form.dims.map((_, a) => a).filter((a) => !axes.includes(a));
  if (kept.length !== 1)
    c.fail(
      `axes [${c.ints("axes", []).join(", ")}]; only a mean over every axis but the channels is supported`,
    );
  return meanOverPositions(c, kept[0], c.int("keepdims", 1) === 1);
}

function reshape(c: NodeCtx): Form {
  const target = c.constant(c.n.inputs[1] ?? "").ints ?? c.fail("expects a constant int64 shape");
  const size = c.form.dims.reduce((a, d) => a * d, 1);
  if (target.length < 2 || (target[0] !== 0 && target[0] !== -1))
    c.fail(`shape [${target.join(", ")}]; the batch axis must stay first (0 or -1)`);
  const rest = target.slice(1).map((d, a) => (d === 0 ? c.form.dims[a] : d));
  const known = rest.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const dims = rest.map((d) => (d === -1 ? size / known : d));
  if (dims.reduce((a, d) => a * d, 1) !== size || !dims.every((d) => Number.isInteger(d) && d >= 1))
    c.fail(`shape [${target.join(", ")}] does not fit ${size} values per sample`);
  if (dims.length === 1) return flatten(c);
  if (flatOrder(c.form) !== null)
    c.fail(`reshapes [${c.form.dims.join(", ")}], which Homeostat holds in another order`);
  c.made.push({ config: { type: "reshape", shape: dims }, tensors: [] });
  return plain(dims);
}

function transpose(c: NodeCtx): Form {
  const perm = c.ints("perm", []);
  const f = c.form;
  if (perm.length !== f.dims.length + 1)
    c.fail(`perm [${perm.join(", ")}] for data of ${f.dims.length + 1} axes (the batch first)`);
  if (perm[0] !== 0) c.fail(`perm [${perm.join(", ")}]; the batch axis must stay first`);
  // n entries that hold each of 0 … n − 1 are a permutation.
  if (!perm.every((_, i) => perm.includes(i)))
    c.fail(`perm [${perm.join(", ")}]; expected each axis 0 to ${perm.length - 1} once`);
  const src = perm.slice(1).map((p) => p - 1);
  return { dims: src.map((a) => f.dims[a]), hs: f.hs, axes: src.map((a) => f.axes[a]), order: f.order };
}

function batchNorm(c: NodeCtx): Form {
  const f = c.form;
  if (f.axes[0] !== f.hs.length - 1)
    c.fail(`normalises channels of [${f.dims.join(", ")}], which Homeostat does not hold last`);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => c.constant(c.n.inputs[i] ?? ""));
  const features = f.dims[0];
  for (const t of [scale, bias, mean, variance])
    if (t.data.length !== features) c.fail(`"${t.name}" has ${t.data.length} values; expected ${features}`);
  const stored = c.float("epsilon", 1e-5);
  const short = Number(stored.toPrecision(7)); // the float32 attribute of 1e-5 is 9.99999974…e-6
  const eps = Math.fround(short) === stored ? short : stored;
  const order = f.dims.length === 1 ? f.order : null;
  const tensors: [string, Float32Array][] = [
    ["weight", permuteFeatures(scale.data, order)],
    ["bias", permuteFeatures(bias.data, order)],
    ["runningMean", permuteFeatures(mean.data, order)],
    ["runningVar", permuteFeatures(variance.data, order)],
  ];
  c.made.push({ config: { type: "batchNorm", eps }, tensors });
  return f;
}

/** Gemm (transA 0, alpha = beta = 1) or MatMul on flat features: a dense layer. */
function dense(c: NodeCtx): Form {
  const { n } = c;
  if (n.op === "Gemm" && (c.int("transA", 0) !== 0 || c.float("alpha", 1) !== 1 || c.float("beta", 1) !== 1))
    c.fail("only transA=0, alpha=1, beta=1 are supported");
  if (c.form.dims.length !== 1)
    c.fail(`reads [${c.form.dims.join(", ")}] per sample; expected flat features (a Flatten first)`);
  const w = c.constant(n.inputs[1] ?? "");
  const transB = n.op === "Gemm" && c.int("transB", 0) === 1;
  const width = c.form.dims[0];
  if (w.dims.length !== 2 || w.dims[transB ? 1 : 0] !== width)
    c.fail(
      `weight "${w.name}" has shape [${w.dims.join(", ")}]; expected ${transB ? `[units, ${width}]` : `[${width}, units]`}`,
    );
  const units = transB ? w.dims[0] : w.dims[1];
  const rows = transB ? w.data : transposed(w.data, width, units);
  const tensors: [string, Float32Array][] = [["weight", permuteColumns(rows, units, c.form.order)]];
  const bias = n.inputs[2] ? c.constant(n.inputs[2]) : null;
  if (bias && bias.data.length !== units)
    c.fail(`bias "${bias.name}" has ${bias.data.length} values; expected ${units}`);
  if (bias) tensors.push(["bias", bias.data]);
  c.made.push({ config: { type: "dense", units, activation: "identity", useBias: bias !== null }, tensors });
  return plain([units]);
}

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k];
  return out;
}

/** Add of a constant right after a MatMul: that dense layer's bias. */
function biasAdd(c: NodeCtx): Form {
  const last = c.made.at(-1);
  if (
    c.inputOp !== "MatMul" ||
    last?.config.type !== "dense" ||
    last.config.useBias !== false ||
    c.others.length !== 1
  )
    c.fail("Add of a constant is supported only as the bias right after a MatMul");
  const b = c.constant(c.others[0]);
  if (b.data.length !== last.config.units)
    c.fail(`bias "${b.name}" has ${b.data.length} values; expected ${last.config.units}`);
  last.config.useBias = true;
  last.tensors.push(["bias", b.data]);
  return c.form;
}

function pad(c: NodeCtx): Form {
  const pads = c.n.inputs[1]
    ? (c.constant(c.n.inputs[1]).ints ?? c.fail("expects constant int64 pads"))
    : c.ints("pads", []);
  if ((c.n.attrs.get("mode")?.s ?? "constant") !== "constant" || pads.some((p) => p !== 0))
    c.fail(
      `pads [${pads.join(", ")}]; only a Pad that adds nothing is supported (put the padding in the Conv or pool)`,
    );
  return c.form;
}

const keep: Mapper = (c) => c.form;

/** One mapper per supported op_type (a node reading one data value; Add and Concat of two branches are blocks). */
export const SHAPED_MAPPERS: Record<string, Mapper> = {
  Identity: keep,
  Dropout: keep,
  Pad: pad,
  Relu: activation("relu"),
  Sigmoid: activation("sigmoid"),
  Tanh: activation("tanh"),
  Softplus: activation("softplus"),
  LeakyRelu: activation("leakyRelu", (c) => {
    if (!near(c.float("alpha", 0.01), 0.01))
      c.fail(`alpha ${c.float("alpha", 0.01)}; only 0.01 is supported`);
  }),
  Elu: activation("elu", (c) => {
    if (!near(c.float("alpha", 1), 1)) c.fail(`alpha ${c.float("alpha", 1)}; only 1 is supported`);
  }),
  Gelu: activation("gelu", (c) => {
    if ((c.n.attrs.get("approximate")?.s ?? "none") !== "none")
      c.fail("only the exact (erf) form is supported");
  }),
  Softmax: activation("softmax", (c) => {
    if (c.form.dims.length !== 1 || c.form.order !== null || ![-1, 1].includes(c.int("axis", -1)))
      c.fail("only a softmax over flat features in their own order is supported");
  }),
  Conv: conv,
  MaxPool: pool("maxPool2d"),
  AveragePool: pool("avgPool2d"),
  GlobalAveragePool: (c) => meanOverPositions(c, 0, true),
  ReduceMean: reduceMean,
  Flatten: (c) => {
    if (c.int("axis", 1) !== 1) c.fail(`axis ${c.int("axis", 1)}; only 1 (keep the batch axis) is supported`);
    return flatten(c);
  },
  Reshape: reshape,
  Transpose: transpose,
  BatchNormalization: batchNorm,
  Gemm: dense,
  MatMul: dense,
  Add: biasAdd,
};

/** The ops `SHAPED_MAPPERS` and the blocks take, for messages. */
export const SHAPED_OPS = [...Object.keys(SHAPED_MAPPERS), "Add (a residual)", "Concat"].join(", ");
