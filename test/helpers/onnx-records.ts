/**
 * ONNX messages written record by record with ProtoWriter, for the decoder's tests
 * (unit-io-onnx-graph*): any field number with any wire type, so that unknown records and records of
 * unexpected wire types can be put where a file might hold them.
 */
import assert from "node:assert/strict";
import { ProtoWriter } from "../../src/io/protobuf.js";

export const FILE = "m.onnx";
/** Writes the records of one message. */
export type Build = (w: ProtoWriter) => void;
export const none: Build = () => {};

export const bytesOf = (build: Build): Uint8Array => {
  const w = new ProtoWriter();
  build(w);
  return w.finish();
};

/** A ModelProto: ir_version 9, the graph `graph` builds, then the records `rest` writes. */
export const model = (graph: Build, rest: Build = none): Uint8Array =>
  bytesOf((w) => {
    w.int(1, 9).message(7, graph);
    rest(w);
  });

export const refuses = (run: () => unknown, message: string) =>
  assert.throws(run, { name: "ModelFileError", message });
