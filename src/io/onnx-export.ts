/**
 * ONNX export of a `Sequential`: the inference graph at opset 17 (IR version 8). Dense → Gemm
 * (transB=1) and its activation node, gelu composed as ½x(1 + erf(x/√2)) (Div, Erf, Add, Mul, Mul:
 * opset 17 has no Gelu), LayerNorm → LayerNormalization (axis −1), Dropout omitted. The model's own
 * layer configs ride along in `metadata_props` ("homeostat.layers"), so that an import restores what the
 * graph alone cannot say (dropout, initialiser names, Dense(relu) versus Dense → Activation(relu)).
 */
import { SELU_ALPHA, SELU_SCALE } from "../autograd/functional.js";
import type { ActivationName } from "../nn/activations.js";
import type { Sequential } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { float32Bytes, modelSteps, needsShapedExport } from "./interchange.js";
import { type ActivationNodes, type GraphParts, type NodeSpec, shapedGraph } from "./onnx-export-shaped.js";
import { ATTR, FLOAT, HINT_KEY } from "./onnx-graph.js";
import { ProtoWriter } from "./protobuf.js";

/** TensorProto.DataType.INT64 and AttributeProto.AttributeType.INTS. */
const INT64 = 7;
const ATTR_INTS = 7;

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

/** An activation's nodes; one ONNX has no node for (a kind a user registered) is a ConfigError naming the layer. */
function activationNodes(a: string): ActivationNodes {
  if (Object.hasOwn(ONNX_ACTIVATION, a)) return ONNX_ACTIVATION[a as ActivationName];
  return (p) => {
    throw new ConfigError(
      `layer ${p}: ONNX export has no node for the activation "${a}"; it writes ${Object.keys(ONNX_ACTIVATION).join(", ")}`,
      { layer: p },
    );
  };
}

/**
 * The model's inference graph as an ONNX file (opset 17, IR version 8): input "input" [batch, inputDim]
 * float32, output "output". A float64 model is written in float32. A layer type or an activation ONNX
 * export does not know is a `ConfigError` naming the layer.
 *
 * @example
 * const onnx = exportOnnx(model); // the bytes of model.onnx
 */
export function exportOnnx(model: Sequential): Uint8Array {
  const graph = graphOf(model);
  const w = new ProtoWriter();
  w.int(1, 8).string(2, "homeostat").string(3, "0.1");
  w.message(7, (g) => writeGraph(g, graph, model));
  w.message(8, (o) => o.string(1, "").int(2, 17));
  w.message(14, (e) => e.string(1, HINT_KEY).string(2, JSON.stringify(model.config().layers)));
  return w.finish();
}

/** The nodes and initializers of a model's graph, in layer order. */
type GraphSpec = GraphParts;

/** Map the model's steps to ONNX nodes (an Identity node for a model with no steps that compute). */
function graphOf(model: Sequential): GraphSpec {
  if (needsShapedExport(model)) {
    const g = shapedGraph(model.layers, model.inputShape, activationNodes);
    if (g.nodes.length === 0) g.nodes.push({ op: "Identity", name: "Identity", inputs: ["input"] });
    return g;
  }
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
      push(activationNodes(step.activation)(p, x, scalars));
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
  return { nodes, weights, ints: [], scalars };
}

/** The GraphProto: nodes (the last one's output is "output"), initializers, input and output. */
function writeGraph(g: ProtoWriter, { nodes, weights, ints, scalars }: GraphSpec, model: Sequential): void {
  const last = nodes[nodes.length - 1].name;
  for (const n of nodes) g.message(1, (m) => writeNode(m, n, n.name === last ? "output" : n.name));
  g.string(2, "homeostat");
  for (const [name, dims, data] of weights)
    g.message(5, (t) => t.packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, float32Bytes(data)));
  for (const [name, values] of ints)
    g.message(5, (t) => t.packedInts(1, [values.length]).int(2, INT64).string(8, name).packedInts(7, values));
  for (const [name, value] of scalars)
    g.message(5, (t) =>
      t
        .int(2, FLOAT)
        .string(8, name)
        .bytes(9, float32Bytes(Float32Array.of(value))),
    );
  g.message(11, valueInfo("input", model.inputDim));
  g.message(12, valueInfo("output", model.outputDim));
}

function writeNode(m: ProtoWriter, n: NodeSpec, output: string): void {
  for (const i of n.inputs) m.string(1, i);
  m.string(2, output).string(3, n.name).string(4, n.op);
  for (const [name, value, kind] of n.attrs ?? []) {
    m.message(5, (a) => {
      a.string(1, name);
      if (kind === "f") a.float(2, value as number).int(20, ATTR.float);
      else if (kind === "i") a.int(3, value as number).int(20, ATTR.int);
      else if (kind === "ints") a.packedInts(8, value as number[]).int(20, ATTR_INTS);
      else a.string(4, value as string).int(20, ATTR.string);
    });
  }
}

/** A float32 [batch, width] ValueInfoProto. */
const valueInfo = (name: string, width: number) => (v: ProtoWriter) =>
  v
    .string(1, name)
    .message(2, (t) =>
      t.message(1, (tt) =>
        tt
          .int(1, FLOAT)
          .message(2, (s) => s.message(1, (d) => d.string(2, "batch")).message(1, (d) => d.int(1, width))),
      ),
    );
