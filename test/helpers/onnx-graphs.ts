/**
 * ONNX graphs as readModel leaves them, built by hand with no protobuf, for the conv import's
 * graph-level tests (unit-io-onnx-import-shaped*): nodes labelled as readModel labels them (here
 * after their output), constants by name, one input and the named outputs.
 */
import {
  FLOAT,
  type OnnxGraph,
  type OnnxNode,
  type Tensor32,
  type ValueInfo,
} from "../../src/io/onnx-graph.js";
import { importShapedGraph, type ShapedImport } from "../../src/io/onnx-import-shaped.js";
import type { Attr } from "./onnx-nodes.js";

export const FILE = "m.onnx";

/** A node named after its output: its label is `node "<output>" (<op>)`. */
export const node = (
  op: string,
  inputs: string[],
  output: string,
  attrs: Record<string, Attr> = {},
  domain = "",
): OnnxNode => ({
  label: `node "${output}" (${op})`,
  op,
  domain,
  inputs,
  outputs: [output],
  attrs: new Map(Object.entries(attrs).map(([name, a]) => [name, { type: 0, ...a }])),
});

/** A graph input: null dims are symbolic (the batch axis), null as a whole is an undeclared shape. */
export const value = (dims: (number | null)[] | null, name = "x", elemType = FLOAT): ValueInfo => ({
  name,
  elemType,
  dims,
});

export interface GraphDef {
  inputs: ValueInfo[];
  nodes: OnnxNode[];
  consts?: Tensor32[];
  /** The graph outputs' names; by default the last node's output. */
  outputs?: string[];
}

export function graphOf(d: GraphDef): OnnxGraph {
  const outputs = d.outputs ?? [d.nodes.at(-1)!.outputs[0]!];
  return {
    hints: null,
    nodes: d.nodes,
    consts: new Map((d.consts ?? []).map((t) => [t.name, t])),
    inputs: d.inputs,
    outputs: outputs.map((name) => ({ name, elemType: FLOAT, dims: null })),
  };
}

/** The conv import of a hand-built graph, as importOnnxGraph calls it. */
export const importGraph = (d: GraphDef): ShapedImport => importShapedGraph(graphOf(d), d.nodes, FILE);
