/**
 * ONNX import: a chain of Gemm or MatMul(+Add), Relu, Sigmoid, Tanh, LeakyRelu (α 0.01), Elu (α 1),
 * Selu, Softplus, Softmax (last axis), Gelu (opset 20, or the composed pattern PyTorch also writes),
 * LayerNormalization (last axis), Identity, Dropout and Constant nodes, float32 weights, as a
 * `Sequential`; a graph with conv ops (or an Add of two computed values) goes to
 * onnx-import-shaped.ts. Anything else is a `ModelFileError` naming the node and its op. The
 * layer-config hint export leaves in `metadata_props` is used only where it agrees with the graph.
 */
import { SELU_ALPHA, SELU_SCALE } from "../autograd/functional.js";
import type { ActivationName } from "../nn/activations.js";
import type { Sequential } from "../nn/sequential.js";
import { ModelFileError } from "../tensor/errors.js";
import { modelFromSteps, type Step, transpose } from "./interchange.js";
import { importShapedGraph, type ShapedImport } from "./onnx-import-shaped.js";
import { FLOAT, type OnnxGraph, type OnnxNode, readModel, readTensor, type Tensor32 } from "./onnx-graph.js";

/**
 * A `Sequential` from an ONNX file in the shape `exportOnnx` writes (and the same chain from other
 * exporters: Gemm or MatMul+Add, the activations above, LayerNormalization), or a conv graph (Conv,
 * BatchNormalization, pools, Flatten, Reshape, residual Add, Concat; PyTorch's channels-first exports
 * become channels-last models, which read rows as [height, width, channels]). `file` names the source in
 * errors. Anything the importer cannot map is a `ModelFileError` naming the node and its op.
 *
 * @example
 * const imported = importOnnx(bytes, "model.onnx"); // bytes: the file's contents
 */
export function importOnnx(bytes: Uint8Array, file = "model.onnx"): Sequential {
  return importOnnxGraph(bytes, file).model;
}

/** Ops that only a conv graph has (an Add of two computed values, a residual, too). */
const CONV_OPS = new Set([
  "Conv",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "ReduceMean",
  "Flatten",
  "Reshape",
  "Transpose",
  "BatchNormalization",
  "Concat",
  "Pad",
]);

/**
 * `importOnnx` with the orders that convert at the model's edges: a conv graph reads channels-first
 * rows (PyTorch's NCHW) where the model reads channels-last ones, and a Flatten of channels-first
 * features orders its output as PyTorch does (both null for a dense chain).
 */
export function importOnnxGraph(bytes: Uint8Array, file = "model.onnx"): ShapedImport {
  const g = readModel(bytes, file);
  // Constant nodes take no input, so they can all be read first; PyTorch puts them between the nodes of a pattern.
  const nodes = g.nodes.filter((n) => n.op !== "Constant" || !readConstant(n, g.consts, file));
  const computed = (v: string) => v !== "" && !g.consts.has(v);
  const input = g.inputs.find((v) => !g.consts.has(v.name));
  if (
    (input?.dims !== null && input?.dims !== undefined && input.dims.length !== 2) ||
    nodes.some((n) => CONV_OPS.has(n.op) || (n.op === "Add" && n.inputs.filter(computed).length === 2))
  )
    return importShapedGraph(g, collapseGelu(nodes, g.consts), file);
  return { model: importChain(g, nodes, file), inputOrder: null, outputOrder: null };
}

/** The nodes with each composed gelu (PyTorch's Div, Erf, Add, Mul, Mul) as one Gelu node. */
function collapseGelu(nodes: OnnxNode[], consts: Map<string, Tensor32>): OnnxNode[] {
  const out: OnnxNode[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const x = nodes[k].inputs.find((v) => v !== "" && !consts.has(v)) ?? "";
    if (matchGelu(nodes, k, x, consts) === 0) out.push(nodes[k]);
    else {
      out.push({ ...nodes[k], op: "Gelu", inputs: [x], outputs: nodes[k + 4].outputs, attrs: new Map() });
      k += 4;
    }
  }
  return out;
}

/** A dense chain (Gemm or MatMul+Add, activations, LayerNormalization) as a `Sequential`. */
function importChain(g: OnnxGraph, nodes: OnnxNode[], file: string): Sequential {
  const { name, declared } = graphInput(g, file);
  const chain: Chain = { file, nodes, consts: g.consts, steps: [], width: declared, x: name };
  for (let k = 0; k < nodes.length; ) k += mapNode(chain, k);
  if (chain.x !== g.outputs[0].name)
    throw new ModelFileError(
      `${file}: the graph output "${g.outputs[0].name}" is not the end of the node chain ("${chain.x}")`,
    );
  const inputDim = declared ?? chain.steps.find((s) => s.op === "dense")?.inputDim;
  if (inputDim === undefined)
    throw new ModelFileError(
      `${file}: cannot tell the number of input features (the input shape does not say, and there is no Gemm)`,
    );
  return modelFromSteps(chain.steps, inputDim, parseHints(g.hints), file);
}

/** The graph's one float32 [batch, features] input: its name and feature count (null when not declared). */
function graphInput(g: OnnxGraph, file: string): { name: string; declared: number | null } {
  const inputs = g.inputs.filter((v) => !g.consts.has(v.name)); // IR < 4 lists initializers as inputs too
  if (inputs.length !== 1)
    throw new ModelFileError(
      `${file}: the graph has ${inputs.length} inputs; expected exactly one, [batch, features]`,
    );
  if (g.outputs.length !== 1)
    throw new ModelFileError(`${file}: the graph has ${g.outputs.length} outputs; expected exactly one`);
  const input = inputs[0];
  if (input.elemType !== FLOAT)
    throw new ModelFileError(
      `${file}: input "${input.name}" has element type ${input.elemType}; expected float32 (1)`,
    );
  if (input.dims !== null && input.dims.length !== 2)
    throw new ModelFileError(
      `${file}: input "${input.name}" has rank ${input.dims.length}; expected [batch, features]`,
    );
  const declared = input.dims?.[1] ?? null;
  if (declared !== null && !(Number.isSafeInteger(declared) && declared >= 1))
    throw new ModelFileError(
      `${file}: input "${input.name}" has ${declared} features; expected a positive number`,
    );
  return { name: input.name, declared };
}

/** The walk along the node chain: the steps so far, the current width and the current value's name. */
interface Chain {
  file: string;
  nodes: OnnxNode[];
  consts: Map<string, Tensor32>;
  steps: Step[];
  width: number | null;
  x: string;
}

/** One node as its mapper sees it, with accessors that fail naming the node. */
interface NodeView {
  n: OnnxNode;
  k: number;
  /** The node's inputs other than the chain's value. */
  others: string[];
  fail(msg: string): never;
  constant(name: string): Tensor32;
  attrF(name: string, dflt: number): number;
  attrI(name: string, dflt: number): number;
  act(activation: ActivationName): void;
}

/** Map the node at `k` (and, for a composed gelu, the four after it) to steps; how many nodes it used. */
function mapNode(c: Chain, k: number): number {
  const n = c.nodes[k];
  const fail = (msg: string): never => {
    throw new ModelFileError(`${c.file}: ${n.label}: ${msg}`);
  };
  if (n.domain !== "" && n.domain !== "ai.onnx") fail(`operators of domain "${n.domain}" are not supported`);
  const x = c.x;
  const dataInput = n.inputs.indexOf(x);
  const view: NodeView = {
    n,
    k,
    others: n.inputs.filter((v, i) => i !== dataInput && v !== ""),
    fail,
    constant: (name) => {
      const t =
        c.consts.get(name) ??
        fail(`reads "${name}", which is neither the previous node's output ("${x}") nor a constant`);
      return t.ints ? fail(`"${name}" holds int64 values; expected float32 weights`) : t;
    },
    attrF: (name, dflt) => n.attrs.get(name)?.f ?? dflt,
    attrI: (name, dflt) => n.attrs.get(name)?.i ?? dflt,
    act: (activation) => {
      c.steps.push({ op: "act", activation, standalone: false, layer: k });
    },
  };
  if (dataInput < 0)
    fail(`does not read the previous node's output "${x}"; only a chain of nodes is supported`);
  if (n.outputs.length < 1 || n.outputs[0] === "") fail("has no output");
  const gelu = matchGelu(c.nodes, k, x, c.consts);
  if (gelu === 0 && n.op !== "Add" && dataInput !== 0)
    fail(`expects the previous node's output "${x}" as its first input`);
  let consumed = 1;
  if (gelu > 0) {
    view.act("gelu");
    consumed = gelu;
  } else (Object.hasOwn(NODE_MAPPERS, n.op) ? NODE_MAPPERS[n.op] : unsupported)(view, c);
  c.x = c.nodes[k + consumed - 1].outputs[0];
  return consumed;
}

type NodeMapper = (v: NodeView, c: Chain) => void;

const near = (v: number, want: number): boolean => Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));
const activation =
  (a: ActivationName): NodeMapper =>
  (v) =>
    v.act(a);
const skip: NodeMapper = () => {};

/** One mapper per supported op_type. */
const NODE_MAPPERS: Record<string, NodeMapper> = {
  Identity: skip,
  Dropout: skip,
  Gemm: mapMatMul,
  MatMul: mapMatMul,
  Add: mapBiasAdd,
  Relu: activation("relu"),
  Sigmoid: activation("sigmoid"),
  Tanh: activation("tanh"),
  Softplus: activation("softplus"),
  LeakyRelu: (v) => {
    if (!near(v.attrF("alpha", 0.01), 0.01))
      v.fail(`alpha ${v.attrF("alpha", 0.01)}; only 0.01 is supported`);
    v.act("leakyRelu");
  },
  Elu: (v) => {
    if (!near(v.attrF("alpha", 1), 1)) v.fail(`alpha ${v.attrF("alpha", 1)}; only 1 is supported`);
    v.act("elu");
  },
  Selu: (v) => {
    if (!near(v.attrF("alpha", SELU_ALPHA), SELU_ALPHA) || !near(v.attrF("gamma", SELU_SCALE), SELU_SCALE))
      v.fail("only the standard SELU constants are supported");
    v.act("selu");
  },
  Softmax: (v) => {
    if (![-1, 1].includes(v.attrI("axis", -1)))
      v.fail(`axis ${v.attrI("axis", -1)}; only the last axis is supported`);
    v.act("softmax");
  },
  Gelu: (v) => {
    if ((v.n.attrs.get("approximate")?.s ?? "none") !== "none")
      v.fail("only the exact (erf) form is supported");
    v.act("gelu");
  },
  LayerNormalization: mapLayerNorm,
};

function unsupported({ n, fail }: NodeView): void {
  fail(
    `op ${n.op || "(none)"} is not supported; expected Gemm, MatMul+Add, an activation (Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Softplus, Softmax, Gelu), LayerNormalization, Identity or Dropout`,
  );
}

/** Gemm (transA=0, alpha=beta=1, either transB) or MatMul: a dense step, its bias from Gemm's third input. */
function mapMatMul(v: NodeView, c: Chain): void {
  const { n, fail, attrF, attrI } = v;
  if (n.op === "Gemm" && (attrI("transA", 0) !== 0 || attrF("alpha", 1) !== 1 || attrF("beta", 1) !== 1))
    fail("only transA=0, alpha=1, beta=1 are supported");
  const w = v.constant(n.inputs[1] ?? "");
  const transB = n.op === "Gemm" && attrI("transB", 0) === 1;
  const width = c.width;
  if (
    w.dims.length !== 2 ||
    w.dims[transB ? 1 : 0] !== (width ?? w.dims[transB ? 1 : 0]) ||
    Math.min(...w.dims) < 1
  ) {
    fail(
      `weight "${w.name}" has shape [${w.dims.join(", ")}]; expected ${transB ? `[units, ${width ?? "features"}]` : `[${width ?? "features"}, units]`}`,
    );
  }
  const [units, inputDim] = transB ? w.dims : [w.dims[1], w.dims[0]];
  const weight = transB ? w.data : transpose(w.data, inputDim, units);
  const bias = n.inputs[2] ? biasOf(v.constant(n.inputs[2]), units, fail) : null;
  c.steps.push({ op: "dense", units, inputDim, weight, bias, layer: v.k });
  c.width = units;
}

/** An Add right after a bias-less MatMul: that dense step's bias. */
function mapBiasAdd(v: NodeView, c: Chain): void {
  const prev = c.steps[c.steps.length - 1];
  if (
    prev?.op !== "dense" ||
    prev.bias !== null ||
    c.nodes[v.k - 1]?.op !== "MatMul" ||
    v.others.length !== 1
  )
    v.fail("Add is supported only as the bias right after a MatMul");
  const dense = prev as Extract<Step, { op: "dense" }>;
  dense.bias = biasOf(v.constant(v.others[0]), dense.units, v.fail);
}

/** LayerNormalization over the last axis; epsilon read back as the decimal export wrote when it round-trips. */
function mapLayerNorm(v: NodeView, c: Chain): void {
  const { n, fail, attrF, attrI } = v;
  const width = c.width;
  if (![-1, 1].includes(attrI("axis", -1)))
    fail(`axis ${attrI("axis", -1)}; only the last axis is supported`);
  if (width === null) fail("cannot tell the number of features before the first Gemm");
  const scale = v.constant(n.inputs[1] ?? "");
  if (scale.data.length !== width)
    fail(`scale "${scale.name}" has ${scale.data.length} values; expected ${width}`);
  const bias = n.inputs[2] ? biasOf(v.constant(n.inputs[2]), width!, fail) : new Float32Array(width!);
  const stored = attrF("epsilon", 1e-5);
  if (!(stored > 0 && Number.isFinite(stored))) fail(`epsilon ${stored}; expected a positive number`);
  const short = Number(stored.toPrecision(7)); // the float32 attribute of 1e-5 is 9.99999974…e-6
  const eps = Math.fround(short) === stored ? short : stored;
  c.steps.push({ op: "layerNorm", eps, weight: scale.data, bias, layer: v.k });
}

/** Record a Constant node's tensor under its output name (false for a Constant of another domain). */
function readConstant(n: OnnxNode, consts: Map<string, Tensor32>, file: string): boolean {
  if (n.domain !== "" && n.domain !== "ai.onnx") return false;
  const value = n.attrs.get("value");
  const name = n.outputs[0] ?? "";
  // Unnamed, its value would be read as any omitted input (""), such as a MatMul's missing weight.
  if (name === "") throw new ModelFileError(`${file}: ${n.label}: has no output`);
  if (value?.t) consts.set(name, { ...readTensor(value.t, `${file}: ${n.label}`), name });
  else if (n.attrs.get("value_float")?.f !== undefined)
    consts.set(name, { name, dims: [], data: Float32Array.of(n.attrs.get("value_float")!.f!) });
  else
    throw new ModelFileError(
      `${file}: ${n.label}: expected a float tensor attribute "value" or "value_float"`,
    );
  return true;
}

function parseHints(json: string | null): unknown {
  if (json === null) return null;
  try {
    return JSON.parse(json);
  } catch {
    return null; // a damaged hint is ignored: the graph alone defines the model
  }
}

function biasOf(t: Tensor32, units: number, fail: (m: string) => never): Float32Array {
  if (t.data.length !== units || t.dims.some((d, i) => i < t.dims.length - 1 && d !== 1))
    fail(`"${t.name}" has shape [${t.dims.join(", ")}]; expected [${units}]`);
  return t.data;
}

/** How many nodes from `k` form ½x(1 + erf(x/√2)) on `x` (0 if they do not). */
function matchGelu(nodes: OnnxNode[], k: number, x: string, consts: Map<string, Tensor32>): number {
  const n = nodes.slice(k, k + 5);
  if (n.length < 5) return 0;
  const scalar = (name: string, want: number): boolean => {
    const t = consts.get(name);
    return t !== undefined && t.data.length === 1 && Math.abs(t.data[0] - want) < 1e-6;
  };
  const reads = (node: OnnxNode, a: string, b: (v: string) => boolean): boolean =>
    node.inputs.length === 2 &&
    ((node.inputs[0] === a && b(node.inputs[1])) || (node.inputs[1] === a && b(node.inputs[0])));
  const out = (i: number): string => n[i].outputs[0] ?? "";
  const scaled =
    (n[0].op === "Div" && n[0].inputs[0] === x && scalar(n[0].inputs[1], Math.SQRT2)) ||
    (n[0].op === "Mul" && reads(n[0], x, (v) => scalar(v, Math.SQRT1_2)));
  const ok =
    scaled &&
    n[1].op === "Erf" &&
    n[1].inputs[0] === out(0) &&
    n[2].op === "Add" &&
    reads(n[2], out(1), (v) => scalar(v, 1)) &&
    n[3].op === "Mul" &&
    reads(n[3], out(2), (v) => v === x) &&
    n[4].op === "Mul" &&
    reads(n[4], out(3), (v) => scalar(v, 0.5));
  return ok && n.every((m) => m.domain === "" || m.domain === "ai.onnx") ? 5 : 0;
}
