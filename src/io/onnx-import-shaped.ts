/**
 * ONNX import of conv graphs (PyTorch's NCHW exports and Homeostat's own channels-last ones) as a
 * `Sequential` that reads channels-last samples. The graph is walked along its dominator tree: a node
 * reading one value becomes layers (onnx-shaped-nodes.ts); an Add or Concat joining branches that
 * fork at one value becomes a `Residual` (one branch empty, or a bias-free projection) or a `Concat`
 * block whose chains are the branches, so nesting follows the graph.
 */
import type { LayerConfig } from "../nn/layer.js";
import { Sequential } from "../nn/sequential.js";
import { ModelFileError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { FLOAT, type OnnxGraph, type OnnxNode, type Tensor32 } from "./onnx-graph.js";
import { type Form, flatOrder, image, type Made, plain } from "./onnx-shaped-form.js";
import { type NodeCtx, SHAPED_MAPPERS, SHAPED_OPS } from "./onnx-shaped-nodes.js";

/** A conv graph as Homeostat holds it, and the orders that convert at its edges. */
export interface ShapedImport {
  model: Sequential;
  /** Where each value of an ONNX input row goes in the model's channels-last row; null: the same place. */
  inputOrder: Int32Array | null;
  /** Where each ONNX output feature sits in the model's output row; null: the same place. */
  outputOrder: Int32Array | null;
}

/** The most values one sample may hold (a 2048×2048 image of 4 channels): the orders are made value by value. */
const MAX_SAMPLE = 2 ** 24;

interface Walk {
  file: string;
  consts: Map<string, Tensor32>;
  producer: Map<string, OnnxNode>;
  idom: Map<string, string>;
  depth: Map<string, number>;
}

const dataInputs = (w: Walk, n: OnnxNode): string[] => n.inputs.filter((v) => v !== "" && !w.consts.has(v));

/** The nearest value every path from the input to all of `values` passes through. */
function commonDominator(w: Walk, values: string[]): string {
  const up = (v: string) => w.idom.get(v)!;
  return values.reduce((a, b) => {
    while (a !== b) {
      if (w.depth.get(a)! >= w.depth.get(b)!) a = up(a);
      else b = up(b);
    }
    return a;
  });
}

/** A conv graph's model and edge orders; `g` has had its Constant nodes folded into `g.consts`. */
export function importShapedGraph(g: OnnxGraph, nodes: OnnxNode[], file: string): ShapedImport {
  const input = graphInput(g, file);
  const w: Walk = {
    file,
    consts: g.consts,
    producer: new Map(),
    idom: new Map(),
    depth: new Map([[input.name, 0]]),
  };
  for (const n of nodes) {
    const data = dataInputs(w, n);
    const unknown = data.find((v) => !w.depth.has(v));
    if (data.length === 0 || unknown !== undefined)
      throw new ModelFileError(
        `${file}: ${n.label}: ${unknown ? `reads "${unknown}" before any node computes it` : "reads no data (only constants)"}`,
      );
    const out = n.outputs[0];
    if (!out) throw new ModelFileError(`${file}: ${n.label}: has no output`);
    // A value computed twice could make the walk below circle forever (a cycle of dominators).
    if (w.depth.has(out))
      throw new ModelFileError(`${file}: ${n.label}: computes "${out}", which the graph already has`);
    const dom = data.length === 1 ? data[0] : commonDominator(w, data);
    w.producer.set(out, n);
    w.idom.set(out, dom);
    w.depth.set(out, w.depth.get(dom)! + 1);
  }
  const output = g.outputs[0]?.name ?? "";
  if (g.outputs.length !== 1 || !w.depth.has(output))
    throw new ModelFileError(
      `${file}: expected one graph output computed by the nodes; found ${g.outputs.length}`,
    );
  const { made, form } = chain(w, output, input.name, input.form);
  if (form.dims.length !== 1)
    throw new ModelFileError(
      `${file}: the output "${output}" is [${form.dims.join(", ")}] per sample, not a vector; a backbone's output must be one embedding per row (end the graph with a Flatten, GlobalAveragePool or Gemm)`,
      { file, field: output },
    );
  let inputShape = input.form.hs;
  if (made[0]?.config.type === "reshape" && inputShape.length === 1)
    inputShape = (made.shift()!.config.shape as number[]).slice();
  if (made.length === 0)
    throw new ModelFileError(`${file}: the graph computes nothing Homeostat can hold as a layer`);
  return {
    model: assemble(made, inputShape, file),
    inputOrder: flatOrder(input.form),
    outputOrder: form.order,
  };
}

/** The graph's one float32 input: [batch, features] or a channels-first image [batch, C, H, W]. */
function graphInput(g: OnnxGraph, file: string): { name: string; form: Form } {
  const inputs = g.inputs.filter((v) => !g.consts.has(v.name));
  if (inputs.length !== 1)
    throw new ModelFileError(`${file}: the graph has ${inputs.length} inputs; expected exactly one`);
  const v = inputs[0];
  const dims = v.dims?.slice(1) ?? [];
  if (
    v.elemType !== FLOAT ||
    !(dims.length === 1 || dims.length === 3) ||
    !dims.every((d) => d !== null && d >= 1)
  )
    throw new ModelFileError(
      `${file}: input "${v.name}" is ${v.elemType === FLOAT ? "float32" : `of element type ${v.elemType}`} [${v.dims?.map((d) => d ?? "?").join(", ") ?? "unknown"}]; expected float32 [batch, features] or [batch, channels, height, width] with known sizes`,
      { file, field: v.name },
    );
  const d = dims as number[];
  if (d.reduce((a, x) => a * x, 1) > MAX_SAMPLE)
    throw new ModelFileError(
      `${file}: input "${v.name}" holds ${d.join("×")} values per sample; at most ${MAX_SAMPLE}`,
      {
        file,
        field: v.name,
      },
    );
  return { name: v.name, form: d.length === 1 ? plain(d) : image(d[0], d[1], d[2]) };
}

/** The layers that compute `target` from `base` (whose form is `form`), and `target`'s form. */
function chain(w: Walk, target: string, base: string, form: Form): { made: Made[]; form: Form } {
  const path: string[] = [];
  for (let v = target; v !== base; v = w.idom.get(v)!) {
    if (!w.idom.has(v)) throw new ModelFileError(`${w.file}: "${target}" does not follow from "${base}"`);
    path.push(v);
  }
  const made: Made[] = [];
  for (const v of path.reverse()) {
    const n = w.producer.get(v)!;
    const data = dataInputs(w, n);
    form =
      data.length === 1 ? mapNode(w, n, data[0], form, made) : join(w, n, data, w.idom.get(v)!, form, made);
  }
  return { made, form };
}

function mapNode(w: Walk, n: OnnxNode, x: string, form: Form, made: Made[]): Form {
  const fail = (msg: string): never => {
    throw new ModelFileError(`${w.file}: ${n.label}: ${msg}`);
  };
  if (n.domain !== "" && n.domain !== "ai.onnx") fail(`operators of domain "${n.domain}" are not supported`);
  const mapper = Object.hasOwn(SHAPED_MAPPERS, n.op) ? SHAPED_MAPPERS[n.op] : null;
  if (!mapper) return fail(`op ${n.op || "(none)"} is not supported; the conv import reads ${SHAPED_OPS}`);
  const ctx: NodeCtx = {
    n,
    form,
    made,
    inputOp: w.producer.get(x)?.op ?? "",
    others: n.inputs.filter((v) => v !== x && v !== ""),
    fail,
    constant: (name) =>
      w.consts.get(name) ??
      fail(`reads "${name}" as a constant, but it is neither an initializer nor a Constant`),
    ints: (name, dflt) => n.attrs.get(name)?.ints ?? dflt,
    int: (name, dflt) => n.attrs.get(name)?.i ?? dflt,
    float: (name, dflt) => n.attrs.get(name)?.f ?? dflt,
  };
  if (n.inputs[0] !== x) fail(`expects its data "${x}" as the first input`);
  return mapper(ctx);
}

const sameForm = (a: Form, b: Form): boolean =>
  a.dims.join() === b.dims.join() &&
  a.hs.join() === b.hs.join() &&
  a.axes.join() === b.axes.join() &&
  (a.order ?? "").toString() === (b.order ?? "").toString();

/** Tensors of a chain of layers under `prefix` + the layer's index. */
const named = (made: Made[], prefix: string): [string, Float32Array][] =>
  made.flatMap((m, i) => m.tensors.map(([n, t]): [string, Float32Array] => [`${prefix}${i}.${n}`, t]));

type Branch = { made: Made[]; form: Form };

/** An Add of two branches (a residual) or a Concat of branches, all forking at `fork`. */
function join(w: Walk, n: OnnxNode, data: string[], fork: string, form: Form, made: Made[]): Form {
  const fail = (msg: string): never => {
    throw new ModelFileError(`${w.file}: ${n.label}: ${msg}`);
  };
  const branches = data.map((d) => chain(w, d, fork, form));
  const block =
    n.op === "Add" && branches.length === 2
      ? residual(branches, form)
      : n.op === "Concat"
        ? concat(branches, n.attrs.get("axis")?.i ?? 1)
        : fail(`joins ${data.length} branches; only Add (a residual) and Concat can`);
  if (!block)
    fail(
      n.op === "Add"
        ? "adds two branches that are not a residual block: one branch must be the block's input itself, or (when the body changes the shape) a bias-free 1×1 Conv or MatMul of it"
        : "concatenates along an axis that Homeostat does not hold last; only channels can be joined",
    );
  made.push(block!.made);
  return block!.form;
}

/** Whether `skip` is what `Residual` adds to `body` on input `input`: the input, or its projection. */
function isSkip(skip: Branch, body: Branch, input: Form): boolean {
  if (!sameForm(body.form, skip.form)) return false;
  // An empty body (an Add of the input to itself) is no Residual: that needs at least one layer.
  if (skip.made.length === 0) return body.made.length > 0 && sameForm(body.form, input);
  const p = skip.made[0].config;
  // The stride Residual gives its 1×1 projection: ceil(input / output) per axis.
  const stride = String([0, 1].map((i) => Math.ceil(input.hs[i] / body.form.hs[i])));
  return (
    skip.made.length === 1 &&
    !sameForm(body.form, input) &&
    p.useBias === false &&
    p.activation === "identity" &&
    (p.type === "dense" ||
      (p.type === "conv2d" &&
        String(p.kernel) === "1,1" &&
        p.groups === 1 &&
        p.padding === "valid" &&
        String(p.stride) === stride))
  );
}

/** A residual block from the two branches of an Add (either may be the skip); null if neither fits. */
function residual(branches: Branch[], input: Form): { made: Made; form: Form } | null {
  for (const [body, skip] of [branches, [branches[1], branches[0]]]) {
    if (!isSkip(skip, body, input)) continue;
    const tensors = [...named(body.made, ""), ...named(skip.made, "projection.")];
    return {
      made: { config: { type: "residual", layers: body.made.map((m) => m.config) }, tensors },
      form: body.form,
    };
  }
  return null;
}

/** A concat block along ONNX `axis` (counting the batch axis), which must be Homeostat's last; null if not. */
function concat(branches: Branch[], axis: number): { made: Made; form: Form } | null {
  const first = branches[0].form;
  const a = (axis < 0 ? axis + first.dims.length + 1 : axis) - 1;
  const joinable = branches.every(
    (b) =>
      b.form.dims.length === first.dims.length &&
      b.form.axes[a] === b.form.hs.length - 1 &&
      b.form.axes.join() === first.axes.join() &&
      b.form.order === null &&
      b.form.dims.every((d, i) => i === a || d === first.dims[i]),
  );
  if (!joinable) return null;
  const width = branches.reduce((s, b) => s + b.form.dims[a], 0);
  const made: Made = {
    config: { type: "concat", branches: branches.map((b) => b.made.map((m) => m.config)) },
    tensors: branches.flatMap((b, i) => named(b.made, `${i}.`)),
  };
  const dims = first.dims.map((d, i) => (i === a ? width : d));
  return { made, form: { dims, hs: [...first.hs.slice(0, -1), width], axes: first.axes, order: null } };
}

/** The model from the layers made, each tensor copied in under the name the model gives it. */
function assemble(made: Made[], inputShape: number[], file: string): Sequential {
  const configs: LayerConfig[] = made.map((m) => m.config);
  const model = Sequential.fromLayerConfigs(configs, `${file}: layers`).build(inputShape, new Rng(0));
  const values = new Map(named(made, ""));
  for (const [name, t] of [...model.parameters(), ...model.buffers()]) {
    const v = values.get(name);
    if (!v || v.length !== t.size)
      throw new ModelFileError(
        `${file}: the import made no ${t.size} values for ${name} (an importer defect)`,
      );
    t.data.set(v);
  }
  return model;
}
