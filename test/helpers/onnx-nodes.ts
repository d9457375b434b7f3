/**
 * One ONNX node through the conv import's mapper with no protobuf: a hand-built node context as
 * onnx-import-shaped.ts makes it, for the unit-io-onnx-shaped-* tests.
 */
import assert from "node:assert/strict";
import type { OnnxNode, Tensor32 } from "../../src/io/onnx-graph.js";
import type { Form, Made } from "../../src/io/onnx-shaped-form.js";
import { type NodeCtx, SHAPED_MAPPERS } from "../../src/io/onnx-shaped-nodes.js";

export type Attr = { i?: number; f?: number; s?: string; ints?: number[] };
export interface Case {
  op: string;
  form: Form;
  attrs?: Record<string, Attr>;
  inputs?: string[];
  consts?: Tensor32[];
  made?: Made[];
  inputOp?: string;
}

export const tensor = (name: string, dims: number[], values?: number[]): Tensor32 => ({
  name,
  dims,
  data: Float32Array.from(values ?? Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => i)),
});

/** Runs one node's mapper as the importer would; a refusal throws "node: message". */
export function map(k: Case): { form: Form; made: Made[] } {
  const n: OnnxNode = {
    label: "node",
    op: k.op,
    domain: "",
    inputs: k.inputs ?? ["x"],
    outputs: ["y"],
    attrs: new Map(Object.entries(k.attrs ?? {}).map(([name, a]) => [name, { type: 0, ...a }])),
  };
  const made = k.made ?? [];
  const consts = new Map((k.consts ?? []).map((t) => [t.name, t]));
  const fail = (msg: string): never => {
    throw new Error(`node: ${msg}`);
  };
  const ctx: NodeCtx = {
    n,
    form: k.form,
    made,
    inputOp: k.inputOp ?? "",
    others: n.inputs.slice(1).filter((v) => v !== ""),
    fail,
    constant: (name) => consts.get(name) ?? fail(`no constant ${name}`),
    ints: (name, dflt) => n.attrs.get(name)?.ints ?? dflt,
    int: (name, dflt) => n.attrs.get(name)?.i ?? dflt,
    float: (name, dflt) => n.attrs.get(name)?.f ?? dflt,
  };
  return { form: SHAPED_MAPPERS[k.op]!(ctx), made };
}
export const refuses = (k: Case, message: string) =>
  assert.throws(() => map(k), { message: `node: ${message}` });

/** A Reshape of the data `form` to the constant int64 shape `ints`. */
export const reshapeCase = (form: Form, ints: number[]): Case => ({
  op: "Reshape",
  form,
  inputs: ["x", "S"],
  consts: [{ ...tensor("S", [ints.length]), ints }],
});
