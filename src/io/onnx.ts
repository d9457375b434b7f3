/**
 * ONNX export and import of a `Sequential`: the inference graph at opset 17 (IR version 8), written
 * and read with the small protobuf codec in `protobuf.ts`.
 *
 * Export: Dense → Gemm (transB=1) and its activation node, gelu composed as ½x(1 + erf(x/√2))
 * (Div, Erf, Add, Mul, Mul: opset 17 has no Gelu), LayerNorm → LayerNormalization (axis −1), Dropout
 * omitted. The model's own layer configs ride along in `metadata_props` ("homeostat.layers"), so that
 * an import restores what the graph alone cannot say (dropout, initialiser names, Dense(relu) versus
 * Dense → Activation(relu)); the graph stays authoritative and the hint is used only when it agrees.
 *
 * Import: a chain of Gemm or MatMul(+Add), Relu, Sigmoid, Tanh, LeakyRelu (α 0.01), Elu (α 1), Selu,
 * Softplus, Softmax (last axis), Gelu (opset 20, or the composed pattern PyTorch also writes),
 * LayerNormalization (last axis), Identity, Dropout and Constant nodes, float32 weights. Anything else is
 * a `ModelFileError` naming the node and its op.
 */
import { SELU_ALPHA, SELU_SCALE } from "../autograd/functional.js";
import type { ActivationName } from "../nn/activations.js";
import type { Sequential } from "../nn/sequential.js";
import { ModelFileError } from "../tensor/errors.js";
import { ProtoReader, ProtoWriter, WIRE } from "./protobuf.js";
import { float32Bytes, modelFromSteps, modelSteps, type Step, transpose } from "./interchange.js";

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { float: 1, int: 2, string: 3, tensor: 4 } as const;
const HINT_KEY = "homeostat.layers";

// ---------------------------------------------------------------- export

interface NodeSpec {
  op: string;
  name: string;
  inputs: string[];
  attrs?: [string, number | string, "f" | "i" | "s"][];
}

/** The ONNX nodes of one activation (none for identity), reading `x`; gelu adds its constants to `consts`. */
const ONNX_ACTIVATION = {
  identity: () => [],
  linear: () => [],
  sigmoid: (p, x) => [{ op: "Sigmoid", name: `${p}.Sigmoid`, inputs: [x] }],
  tanh: (p, x) => [{ op: "Tanh", name: `${p}.Tanh`, inputs: [x] }],
  relu: (p, x) => [{ op: "Relu", name: `${p}.Relu`, inputs: [x] }],
  leakyRelu: (p, x) => [
    { op: "LeakyRelu", name: `${p}.LeakyRelu`, inputs: [x], attrs: [["alpha", 0.01, "f"]] },
  ],
  elu: (p, x) => [{ op: "Elu", name: `${p}.Elu`, inputs: [x], attrs: [["alpha", 1, "f"]] }],
  selu: (p, x) => [
    {
      op: "Selu",
      name: `${p}.Selu`,
      inputs: [x],
      attrs: [
        ["alpha", SELU_ALPHA, "f"],
        ["gamma", SELU_SCALE, "f"],
      ],
    },
  ],
  softplus: (p, x) => [{ op: "Softplus", name: `${p}.Softplus`, inputs: [x] }],
  softmax: (p, x) => [{ op: "Softmax", name: `${p}.Softmax`, inputs: [x], attrs: [["axis", -1, "i"]] }],
  gelu: (p, x, consts) => {
    consts.push([`${p}.sqrt2`, Math.SQRT2], [`${p}.one`, 1], [`${p}.half`, 0.5]);
    return [
      { op: "Div", name: `${p}.gelu.Div`, inputs: [x, `${p}.sqrt2`] },
      { op: "Erf", name: `${p}.gelu.Erf`, inputs: [`${p}.gelu.Div`] },
      { op: "Add", name: `${p}.gelu.Add`, inputs: [`${p}.gelu.Erf`, `${p}.one`] },
      { op: "Mul", name: `${p}.gelu.Mul`, inputs: [x, `${p}.gelu.Add`] },
      { op: "Mul", name: `${p}.gelu.Half`, inputs: [`${p}.gelu.Mul`, `${p}.half`] },
    ];
  },
} satisfies Record<ActivationName, (prefix: string, x: string, consts: [string, number][]) => NodeSpec[]>;

/**
 * The model's inference graph as an ONNX file (opset 17, IR version 8): input "input" [batch, inputDim]
 * float32, output "output". A float64 model is written in float32. A layer type ONNX export does not
 * know is a `ConfigError` naming the layer.
 *
 * @example
 * writeFileAtomic("model.onnx", exportOnnx(model));
 */
export function exportOnnx(model: Sequential): Uint8Array {
  const nodes: NodeSpec[] = [];
  const weights: [string, number[], Float32Array][] = [];
  const scalars: [string, number][] = [];
  let x = "input";
  const push = (specs: NodeSpec[]): void => {
    // Each node's single output is named after the node, so the graph reads like the layer list.
    for (const s of specs) nodes.push(s);
    if (specs.length) x = specs[specs.length - 1].name;
  };
  for (const step of modelSteps(model, "ONNX")) {
    const p = String(step.layer);
    if (step.op === "dense") {
      weights.push([`${p}.weight`, [step.units, step.inputDim], step.weight]);
      if (step.bias) weights.push([`${p}.bias`, [step.units], step.bias]);
      push([
        {
          op: "Gemm",
          name: `${p}.Gemm`,
          inputs: step.bias ? [x, `${p}.weight`, `${p}.bias`] : [x, `${p}.weight`],
          attrs: [["transB", 1, "i"]],
        },
      ]);
    } else if (step.op === "act") {
      push(ONNX_ACTIVATION[step.activation](p, x, scalars));
    } else if (step.op === "layerNorm") {
      weights.push(
        [`${p}.weight`, [step.weight.length], step.weight],
        [`${p}.bias`, [step.bias.length], step.bias],
      );
      push([
        {
          op: "LayerNormalization",
          name: `${p}.LayerNormalization`,
          inputs: [x, `${p}.weight`, `${p}.bias`],
          attrs: [
            ["axis", -1, "i"],
            ["epsilon", step.eps, "f"],
          ],
        },
      ]);
    }
  }
  if (nodes.length === 0) push([{ op: "Identity", name: "Identity", inputs: [x] }]);
  const last = nodes[nodes.length - 1].name;

  const w = new ProtoWriter();
  w.int(1, 8).string(2, "homeostat").string(3, "0.1");
  w.message(7, (g) => {
    for (const n of nodes) {
      g.message(1, (m) => {
        for (const i of n.inputs) m.string(1, i);
        m.string(2, n.name === last ? "output" : n.name)
          .string(3, n.name)
          .string(4, n.op);
        for (const [name, value, kind] of n.attrs ?? []) {
          m.message(5, (a) => {
            a.string(1, name);
            if (kind === "f") a.float(2, value as number).int(20, ATTR.float);
            else if (kind === "i") a.int(3, value as number).int(20, ATTR.int);
            else a.string(4, value as string).int(20, ATTR.string);
          });
        }
      });
    }
    g.string(2, "homeostat");
    for (const [name, dims, data] of weights)
      g.message(5, (t) => t.packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, float32Bytes(data)));
    for (const [name, value] of scalars)
      g.message(5, (t) =>
        t
          .int(2, FLOAT)
          .string(8, name)
          .bytes(9, float32Bytes(Float32Array.of(value))),
      );
    const valueInfo = (name: string, width: number) => (v: ProtoWriter) =>
      v
        .string(1, name)
        .message(2, (t) =>
          t.message(1, (tt) =>
            tt
              .int(1, FLOAT)
              .message(2, (s) =>
                s.message(1, (d) => d.string(2, "batch")).message(1, (d) => d.int(1, width)),
              ),
          ),
        );
    g.message(11, valueInfo("input", model.inputDim));
    g.message(12, valueInfo("output", model.outputDim));
  });
  w.message(8, (o) => o.string(1, "").int(2, 17));
  w.message(14, (e) => e.string(1, HINT_KEY).string(2, JSON.stringify(model.config().layers)));
  return w.finish();
}

// ---------------------------------------------------------------- decoding

interface Tensor32 {
  name: string;
  dims: number[];
  data: Float32Array;
}

interface Attribute {
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: Uint8Array;
}

interface OnnxNode {
  label: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Attribute>;
}

interface ValueInfo {
  name: string;
  elemType: number;
  dims: (number | null)[] | null;
}

/** Read every record of a message with `onField`, which returns false for fields it leaves alone. */
function readMessage(
  bytes: Uint8Array,
  what: string,
  onField: (r: ProtoReader, field: number, wire: number) => boolean,
): void {
  const r = new ProtoReader(bytes, what);
  for (let f = r.next(); f; f = r.next()) if (!onField(r, f.field, f.wire)) r.skip(f.wire);
}

function readTensor(bytes: Uint8Array, what: string): Tensor32 {
  let name = "";
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | null = null;
  const floats: Float32Array[] = [];
  let external = false;
  readMessage(bytes, what, (r, field, wire) => {
    if (field === 1) for (const d of r.ints(wire)) dims.push(d);
    else if (field === 2 && wire === WIRE.varint) dataType = r.int();
    else if (field === 4) floats.push(r.floats(wire));
    else if (field === 8 && wire === WIRE.bytes) name = r.string();
    else if (field === 9 && wire === WIRE.bytes) raw = r.bytesField();
    else if (field === 14 && wire === WIRE.varint)
      external ||= r.int() === 1; // data_location EXTERNAL
    else if (field === 13)
      external = true; // external_data
    else return false;
    return true;
  });
  const label = `${what} "${name}"`;
  if (external)
    throw new ModelFileError(`${label}: weights stored outside the file (external data) are not supported`);
  if (dataType !== FLOAT) throw new ModelFileError(`${label}: data type ${dataType}; expected float32 (1)`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFileError(`${label}: invalid dimension ${d}`);
    count *= d;
    if (count > bytes.length)
      throw new ModelFileError(`${label}: shape [${dims.join(", ")}] needs more values than the file holds`);
  }
  let data: Float32Array;
  if (raw !== null) {
    const r = raw as Uint8Array;
    if (r.length !== count * 4)
      throw new ModelFileError(
        `${label}: raw data holds ${r.length} bytes; shape [${dims.join(", ")}] needs ${count * 4}`,
      );
    data = new Float32Array(count);
    new Uint8Array(data.buffer).set(r); // bit-exact (little-endian hosts)
  } else {
    const total = floats.reduce((n, f) => n + f.length, 0);
    if (total !== count)
      throw new ModelFileError(`${label}: holds ${total} values; shape [${dims.join(", ")}] needs ${count}`);
    data = new Float32Array(count);
    let o = 0;
    for (const f of floats) {
      data.set(f, o);
      o += f.length;
    }
  }
  return { name, dims, data };
}

function readAttribute(bytes: Uint8Array, what: string): [string, Attribute] {
  let name = "";
  const a: Attribute = { type: 0 };
  readMessage(bytes, what, (r, field, wire) => {
    if (field === 1 && wire === WIRE.bytes) name = r.string();
    else if (field === 2 && wire === WIRE.fixed32) a.f = r.float();
    else if (field === 3 && wire === WIRE.varint) a.i = r.int();
    else if (field === 4 && wire === WIRE.bytes) a.s = r.string();
    else if (field === 5 && wire === WIRE.bytes) a.t = r.bytesField();
    else if (field === 20 && wire === WIRE.varint) a.type = r.int();
    else return false;
    return true;
  });
  return [name, a];
}

function readNode(bytes: Uint8Array, what: string): OnnxNode {
  const n: OnnxNode = { label: what, op: "", domain: "", inputs: [], outputs: [], attrs: new Map() };
  let name = "";
  readMessage(bytes, what, (r, field, wire) => {
    if (wire !== WIRE.bytes) return false;
    if (field === 1) n.inputs.push(r.string());
    else if (field === 2) n.outputs.push(r.string());
    else if (field === 3) name = r.string();
    else if (field === 4) n.op = r.string();
    else if (field === 5) {
      const [k, v] = readAttribute(r.bytesField(), `${what}.attribute`);
      n.attrs.set(k, v);
    } else if (field === 7) n.domain = r.string();
    else return false;
    return true;
  });
  n.label = `node ${name ? JSON.stringify(name) : what} (${n.op || "no op_type"})`;
  return n;
}

function readValueInfo(bytes: Uint8Array, what: string): ValueInfo {
  const v: ValueInfo = { name: "", elemType: 0, dims: null };
  readMessage(bytes, what, (r, field, wire) => {
    if (field === 1 && wire === WIRE.bytes) v.name = r.string();
    else if (field === 2 && wire === WIRE.bytes) {
      readMessage(r.bytesField(), what, (r2, f2, w2) => {
        if (f2 !== 1 || w2 !== WIRE.bytes) return false; // tensor_type
        readMessage(r2.bytesField(), what, (r3, f3, w3) => {
          if (f3 === 1 && w3 === WIRE.varint) v.elemType = r3.int();
          else if (f3 === 2 && w3 === WIRE.bytes) {
            v.dims = [];
            readMessage(r3.bytesField(), what, (r4, f4, w4) => {
              if (f4 !== 1 || w4 !== WIRE.bytes) return false;
              let dim: number | null = null;
              readMessage(r4.bytesField(), what, (r5, f5, w5) => {
                if (f5 !== 1 || w5 !== WIRE.varint) return false;
                dim = r5.int();
                return true;
              });
              v.dims!.push(dim);
              return true;
            });
          } else return false;
          return true;
        });
        return true;
      });
    } else return false;
    return true;
  });
  return v;
}

interface OnnxGraph {
  hints: string | null;
  nodes: OnnxNode[];
  consts: Map<string, Tensor32>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

function readModel(bytes: Uint8Array, file: string): OnnxGraph {
  const g: OnnxGraph = { hints: null, nodes: [], consts: new Map(), inputs: [], outputs: [] };
  let graph: Uint8Array | null = null;
  readMessage(bytes, file, (r, field, wire) => {
    if (field === 7 && wire === WIRE.bytes) graph = r.bytesField();
    else if (field === 14 && wire === WIRE.bytes) {
      let key = "";
      let value = "";
      readMessage(r.bytesField(), `${file}: metadata_props`, (r2, f2, w2) => {
        if (w2 !== WIRE.bytes || (f2 !== 1 && f2 !== 2)) return false;
        if (f2 === 1) key = r2.string();
        else value = r2.string();
        return true;
      });
      if (key === HINT_KEY) g.hints = value;
    } else return false;
    return true;
  });
  if (graph === null)
    throw new ModelFileError(`${file}: not an ONNX model (no graph); expected a ModelProto with a graph`);
  readMessage(graph, `${file}: graph`, (r, field, wire) => {
    if (wire !== WIRE.bytes) return false;
    if (field === 1) g.nodes.push(readNode(r.bytesField(), `${file}: graph.node[${g.nodes.length}]`));
    else if (field === 5) {
      const t = readTensor(r.bytesField(), `${file}: initializer`);
      g.consts.set(t.name, t);
    } else if (field === 11) g.inputs.push(readValueInfo(r.bytesField(), `${file}: graph.input`));
    else if (field === 12) g.outputs.push(readValueInfo(r.bytesField(), `${file}: graph.output`));
    else return false;
    return true;
  });
  return g;
}

// ---------------------------------------------------------------- import

/**
 * A `Sequential` from an ONNX file in the shape `exportOnnx` writes (and the same chain from other
 * exporters: Gemm or MatMul+Add, the activations above, LayerNormalization). `file` names the source in
 * errors. Anything the importer cannot map is a `ModelFileError` naming the node and its op.
 *
 * @example
 * const model = importOnnx(readModelBytes("model.onnx"), "model.onnx");
 */
export function importOnnx(bytes: Uint8Array, file = "model.onnx"): Sequential {
  const g = readModel(bytes, file);
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

  const steps: Step[] = [];
  let width = declared;
  let x = input.name;
  // Constant nodes take no input, so they can all be read first; PyTorch puts them between the nodes of a pattern.
  const nodes = g.nodes.filter((n) => n.op !== "Constant" || !readConstant(n, g.consts, file));
  for (let k = 0; k < nodes.length; ) {
    const n = nodes[k];
    const fail = (msg: string): never => {
      throw new ModelFileError(`${file}: ${n.label}: ${msg}`);
    };
    if (n.domain !== "" && n.domain !== "ai.onnx")
      fail(`operators of domain "${n.domain}" are not supported`);
    const dataInput = n.inputs.indexOf(x);
    const others = n.inputs.filter((v, i) => i !== dataInput && v !== "");
    const constant = (name: string): Tensor32 =>
      g.consts.get(name) ??
      fail(`reads "${name}", which is neither the previous node's output ("${x}") nor a constant`);
    if (dataInput < 0)
      fail(`does not read the previous node's output "${x}"; only a chain of nodes is supported`);
    if (n.outputs.length < 1 || n.outputs[0] === "") fail("has no output");
    const gelu = matchGelu(nodes, k, x, g.consts);
    if (gelu === 0 && n.op !== "Add" && dataInput !== 0)
      fail(`expects the previous node's output "${x}" as its first input`);
    const attrF = (name: string, dflt: number): number => n.attrs.get(name)?.f ?? dflt;
    const attrI = (name: string, dflt: number): number => n.attrs.get(name)?.i ?? dflt;
    const act = (activation: ActivationName): void => {
      steps.push({ op: "act", activation, standalone: false, layer: k });
    };
    const near = (v: number, want: number): boolean =>
      Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));
    let consumed = 1;
    if (gelu > 0) {
      act("gelu");
      consumed = gelu;
    } else {
      switch (n.op) {
        case "Identity":
        case "Dropout":
          break;
        case "Gemm":
        case "MatMul": {
          if (
            n.op === "Gemm" &&
            (attrI("transA", 0) !== 0 || attrF("alpha", 1) !== 1 || attrF("beta", 1) !== 1)
          )
            fail("only transA=0, alpha=1, beta=1 are supported");
          const w = constant(n.inputs[1] ?? "");
          const transB = n.op === "Gemm" && attrI("transB", 0) === 1;
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
          const bias = n.inputs[2] ? biasOf(constant(n.inputs[2]), units, fail) : null;
          steps.push({ op: "dense", units, inputDim, weight, bias, layer: k });
          width = units;
          break;
        }
        case "Add": {
          const prev = steps[steps.length - 1];
          if (
            prev?.op !== "dense" ||
            prev.bias !== null ||
            nodes[k - 1]?.op !== "MatMul" ||
            others.length !== 1
          )
            fail("Add is supported only as the bias right after a MatMul");
          (prev as Extract<Step, { op: "dense" }>).bias = biasOf(
            constant(others[0]),
            (prev as Extract<Step, { op: "dense" }>).units,
            fail,
          );
          break;
        }
        case "Relu":
          act("relu");
          break;
        case "Sigmoid":
          act("sigmoid");
          break;
        case "Tanh":
          act("tanh");
          break;
        case "Softplus":
          act("softplus");
          break;
        case "LeakyRelu":
          if (!near(attrF("alpha", 0.01), 0.01))
            fail(`alpha ${attrF("alpha", 0.01)}; only 0.01 is supported`);
          act("leakyRelu");
          break;
        case "Elu":
          if (!near(attrF("alpha", 1), 1)) fail(`alpha ${attrF("alpha", 1)}; only 1 is supported`);
          act("elu");
          break;
        case "Selu":
          if (!near(attrF("alpha", SELU_ALPHA), SELU_ALPHA) || !near(attrF("gamma", SELU_SCALE), SELU_SCALE))
            fail("only the standard SELU constants are supported");
          act("selu");
          break;
        case "Softmax":
          if (![-1, 1].includes(attrI("axis", -1)))
            fail(`axis ${attrI("axis", -1)}; only the last axis is supported`);
          act("softmax");
          break;
        case "Gelu":
          if ((n.attrs.get("approximate")?.s ?? "none") !== "none")
            fail("only the exact (erf) form is supported");
          act("gelu");
          break;
        case "LayerNormalization": {
          if (![-1, 1].includes(attrI("axis", -1)))
            fail(`axis ${attrI("axis", -1)}; only the last axis is supported`);
          if (width === null) fail("cannot tell the number of features before the first Gemm");
          const scale = constant(n.inputs[1] ?? "");
          if (scale.data.length !== width)
            fail(`scale "${scale.name}" has ${scale.data.length} values; expected ${width}`);
          const bias = n.inputs[2] ? biasOf(constant(n.inputs[2]), width!, fail) : new Float32Array(width!);
          const stored = attrF("epsilon", 1e-5);
          if (!(stored > 0 && Number.isFinite(stored))) fail(`epsilon ${stored}; expected a positive number`);
          const short = Number(stored.toPrecision(7)); // the float32 attribute of 1e-5 is 9.99999974…e-6
          const eps = Math.fround(short) === stored ? short : stored;
          steps.push({ op: "layerNorm", eps, weight: scale.data, bias, layer: k });
          break;
        }
        default:
          fail(
            `op ${n.op || "(none)"} is not supported; expected Gemm, MatMul+Add, an activation (Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Softplus, Softmax, Gelu), LayerNormalization, Identity or Dropout`,
          );
      }
    }
    x = nodes[k + consumed - 1].outputs[0];
    k += consumed;
  }
  if (x !== g.outputs[0].name)
    throw new ModelFileError(
      `${file}: the graph output "${g.outputs[0].name}" is not the end of the node chain ("${x}")`,
    );
  const inputDim = declared ?? steps.find((s) => s.op === "dense")?.inputDim;
  if (inputDim === undefined)
    throw new ModelFileError(
      `${file}: cannot tell the number of input features (the input shape does not say, and there is no Gemm)`,
    );
  return modelFromSteps(steps, inputDim, parseHints(g.hints), file);
}

/** Record a Constant node's tensor under its output name (false for a Constant of another domain). */
function readConstant(n: OnnxNode, consts: Map<string, Tensor32>, file: string): boolean {
  if (n.domain !== "" && n.domain !== "ai.onnx") return false;
  const value = n.attrs.get("value");
  const name = n.outputs[0] ?? "";
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
