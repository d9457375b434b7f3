/**
 * What ONNX export and import share, and the reading half of the format: the constants both sides
 * use, and a decoder of the parts of a ModelProto the importer needs (graph nodes, initializers, inputs,
 * outputs and Homeostat's own metadata hint), over the protobuf reader in `protobuf.ts`.
 */
import { ModelFileError } from "../tensor/errors.js";
import { ProtoReader, WIRE } from "./protobuf.js";

export const FLOAT = 1; // TensorProto.DataType.FLOAT
export const INT64 = 7; // TensorProto.DataType.INT64: shapes and axes (Reshape's second input)
export const ATTR = { float: 1, int: 2, string: 3, tensor: 4 } as const;
/** The metadata_props key under which export stores the model's own layer configs. */
export const HINT_KEY = "homeostat.layers";

export interface Tensor32 {
  name: string;
  dims: number[];
  data: Float32Array;
  /** The values of an int64 tensor (a shape, axes); absent for float32 tensors. */
  ints?: number[];
}

interface Attribute {
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: Uint8Array;
  ints?: number[];
}

export interface OnnxNode {
  label: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Attribute>;
}

export interface ValueInfo {
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

export function readTensor(bytes: Uint8Array, what: string): Tensor32 {
  let name = "";
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | null = null;
  const floats: Float32Array[] = [];
  const int64s: number[] = [];
  let external = false;
  readMessage(bytes, what, (r, field, wire) => {
    if (field === 1) for (const d of r.ints(wire)) dims.push(d);
    else if (field === 2 && wire === WIRE.varint) dataType = r.int();
    else if (field === 4) floats.push(r.floats(wire));
    else if (field === 7) int64s.push(...r.ints(wire));
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
  if (dataType !== FLOAT && dataType !== INT64)
    throw new ModelFileError(`${label}: data type ${dataType}; expected float32 (1) or int64 (7)`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFileError(`${label}: invalid dimension ${d}`);
    count *= d;
    if (count > bytes.length)
      throw new ModelFileError(`${label}: shape [${dims.join(", ")}] needs more values than the file holds`);
  }
  if (dataType === INT64) return int64Tensor(label, name, dims, count, raw as Uint8Array | null, int64s);
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

/** An int64 tensor (a shape or axes) from raw little-endian bytes or int64_data. */
function int64Tensor(
  label: string,
  name: string,
  dims: number[],
  count: number,
  raw: Uint8Array | null,
  listed: number[],
): Tensor32 {
  let ints = listed;
  if (raw !== null) {
    if (raw.length !== count * 8)
      throw new ModelFileError(
        `${label}: raw data holds ${raw.length} bytes; shape [${dims.join(", ")}] needs ${count * 8}`,
      );
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    ints = Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  if (ints.length !== count)
    throw new ModelFileError(
      `${label}: holds ${ints.length} values; shape [${dims.join(", ")}] needs ${count}`,
    );
  return { name, dims, data: Float32Array.from(ints), ints };
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
    else if (field === 8) (a.ints ??= []).push(...r.ints(wire));
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

export interface OnnxGraph {
  hints: string | null;
  nodes: OnnxNode[];
  consts: Map<string, Tensor32>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export function readModel(bytes: Uint8Array, file: string): OnnxGraph {
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
