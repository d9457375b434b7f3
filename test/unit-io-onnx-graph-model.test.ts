/**
 * The ONNX model decoder (readModel in src/io/onnx-graph.ts) on ModelProtos written record by record:
 * node attributes, nodes and their labels, graph inputs and outputs, initializers and Homeostat's
 * metadata hint, the defaults of absent fields, errors that name the part of the model they are in,
 * and records it does not know, or meets with an unexpected wire type, stepped over rather than
 * misread. Tensors themselves are in unit-io-onnx-graph.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readModel } from "../src/io/onnx-graph.js";
import type { ProtoWriter } from "../src/io/protobuf.js";
import { type Build, bytesOf, FILE, model, none, refuses } from "./helpers/onnx-records.js";

/** The attributes of a model's one node, each written by one builder. */
const attributesOf = (...attrs: Build[]) =>
  readModel(
    model((g) =>
      g.message(1, (n) => {
        n.string(4, "Conv");
        for (const a of attrs) n.message(5, a);
      }),
    ),
    FILE,
  ).nodes[0].attrs;

test('an attribute\'s value is read by its field; its name and type default to "" and 0', () => {
  const t = bytesOf((w) => w.int(2, 1));
  const attrs = attributesOf(
    (a) => a.string(1, "alpha").float(2, 0.5).int(20, 1),
    (a) => a.string(1, "axis").int(3, -1).int(20, 2),
    (a) => a.string(1, "auto_pad").string(4, "SAME_UPPER").int(20, 3),
    (a) => a.string(1, "value").bytes(5, t).int(20, 4),
    (a) => a.string(1, "pads").packedInts(8, [1, 2]).int(8, 3).int(20, 7),
  );
  assert.deepEqual(
    [...attrs],
    [
      ["alpha", { type: 1, f: 0.5 }],
      ["axis", { type: 2, i: -1 }],
      ["auto_pad", { type: 3, s: "SAME_UPPER" }],
      ["value", { type: 4, t }],
      ["pads", { type: 7, ints: [1, 2, 3] }],
    ],
  );
  assert.deepEqual([...attributesOf((a) => a.int(3, 3))], [["", { type: 0, i: 3 }]]);
});

test("an attribute's unknown records and records of unexpected wire types are stepped over", () => {
  const strays: [string, Build][] = [
    ["an unknown varint", (a) => a.int(21, 9)],
    ["an unknown fixed32", (a) => a.float(21, 1.5)],
    ["doc_string", (a) => a.string(13, "doc")],
    ["name as a varint", (a) => a.int(1, 5)],
    ["f as a varint", (a) => a.int(2, 5)],
    ["i as bytes", (a) => a.string(3, "x")],
    ["s as a varint", (a) => a.int(4, 5)],
    ["t as a varint", (a) => a.int(5, 5)],
    ["type as bytes", (a) => a.string(20, "x")],
  ];
  for (const [what, stray] of strays) {
    const attrs = attributesOf((a) => {
      a.string(1, "k").int(3, 3).int(20, 2);
      stray(a);
    });
    assert.deepEqual([...attrs], [["k", { type: 2, i: 3 }]], what);
  }
});

test("a node reads its inputs, outputs, op and domain; its label names it, or its place when unnamed", () => {
  const g = readModel(
    model((w) =>
      w
        .message(1, (n) =>
          n.string(1, "x").string(1, "W").string(2, "h").string(3, "dense").string(4, "MatMul"),
        )
        .message(1, (n) => n.string(1, "h").string(2, "y").string(4, "Gelu").string(7, "com.microsoft"))
        .message(1, (n) => n.string(1, "y")),
    ),
    FILE,
  );
  const seen = g.nodes.map(({ label, op, domain, inputs, outputs }) => ({
    label,
    op,
    domain,
    inputs,
    outputs,
  }));
  assert.deepEqual(seen, [
    { label: 'node "dense" (MatMul)', op: "MatMul", domain: "", inputs: ["x", "W"], outputs: ["h"] },
    {
      label: `node ${FILE}: graph.node[1] (Gelu)`,
      op: "Gelu",
      domain: "com.microsoft",
      inputs: ["h"],
      outputs: ["y"],
    },
    { label: `node ${FILE}: graph.node[2] (no op_type)`, op: "", domain: "", inputs: ["y"], outputs: [] },
  ]);
});

test("a node's unknown records and records of unexpected wire types are stepped over", () => {
  const strays: [string, Build][] = [
    ["doc_string", (n) => n.string(6, "the first layer")],
    ["input as a varint", (n) => n.int(1, 5)],
    ["domain as a varint", (n) => n.int(7, 1)],
  ];
  for (const [what, stray] of strays) {
    const [n] = readModel(
      model((g) =>
        g.message(1, (w) => {
          w.string(1, "x").string(2, "y").string(3, "r").string(4, "Relu");
          stray(w);
        }),
      ),
      FILE,
    ).nodes;
    assert.deepEqual(
      { label: n.label, domain: n.domain, inputs: n.inputs, outputs: n.outputs },
      {
        label: 'node "r" (Relu)',
        domain: "",
        inputs: ["x"],
        outputs: ["y"],
      },
      what,
    );
  }
});

/** Extra records at each level of a ValueInfoProto (info ⊃ type ⊃ tensor_type ⊃ shape ⊃ dim). */
interface Strays {
  info?: Build;
  type?: Build;
  tensor?: Build;
  shape?: Build;
  dim?: Build;
}
/** Graph input "x": float32 [N, 4], with `strays` written after each level's own records. */
const inputX = (strays: Strays = {}) =>
  readModel(
    model((g) =>
      g.message(11, (v) => {
        v.string(1, "x").message(2, (t) => {
          t.message(1, (tt) => {
            tt.int(1, 1).message(2, (s) => {
              s.message(1, (d) => d.string(2, "N")).message(1, (d) => {
                d.int(1, 4);
                (strays.dim ?? none)(d);
              });
              (strays.shape ?? none)(s);
            });
            (strays.tensor ?? none)(tt);
          });
          (strays.type ?? none)(t);
        });
        (strays.info ?? none)(v);
      }),
    ),
    FILE,
  ).inputs;

test("graph inputs and outputs: name, element type and dims (null where symbolic); absent fields default", () => {
  assert.deepEqual(inputX(), [{ name: "x", elemType: 1, dims: [null, 4] }]);
  const g = readModel(
    model((w) =>
      w
        .message(12, none)
        .message(12, (v) => v.string(1, "y").message(2, (t) => t.message(1, (tt) => tt.int(1, 7))))
        .message(12, (v) =>
          v.string(1, "s").message(2, (t) => t.message(1, (tt) => tt.int(1, 1).message(2, none))),
        ),
    ),
    FILE,
  );
  assert.deepEqual(g.outputs, [
    { name: "", elemType: 0, dims: null },
    { name: "y", elemType: 7, dims: null },
    { name: "s", elemType: 1, dims: [] },
  ]);
});

test("a graph input's unknown records and records of unexpected wire types are stepped over", () => {
  const strays: [string, Strays][] = [
    ["doc_string", { info: (v) => v.string(3, "the batch") }],
    ["name as a varint", { info: (v) => v.int(1, 5) }],
    ["type as a varint", { info: (v) => v.int(2, 5) }],
    ["the type's denotation", { type: (t) => t.string(6, "IMAGE") }],
    ["tensor_type as a varint", { type: (t) => t.int(1, 5) }],
    ["an unknown varint in tensor_type", { tensor: (t) => t.int(3, 9) }],
    ["an unknown string in tensor_type", { tensor: (t) => t.string(3, "x") }],
    ["elem_type as bytes", { tensor: (t) => t.string(1, "x") }],
    ["shape as a varint", { tensor: (t) => t.int(2, 5) }],
    ["an unknown string in shape", { shape: (s) => s.string(2, "x") }],
    ["dim as a varint", { shape: (s) => s.int(1, 5) }],
    ["an unknown varint in a dim", { dim: (d) => d.int(4, 9) }],
    ["dim_value as bytes", { dim: (d) => d.string(1, "x") }],
  ];
  for (const [what, s] of strays)
    assert.deepEqual(inputX(s), [{ name: "x", elemType: 1, dims: [null, 4] }], what);
});

/** A metadata_props entry written by `build`. */
const withMetadata =
  (...entries: Build[]) =>
  (w: ProtoWriter) => {
    for (const e of entries) w.message(14, e);
  };

test('the hint is the value of metadata key "homeostat.layers", and only of that key', () => {
  const hintsOf = (...entries: Build[]) => readModel(model(none, withMetadata(...entries)), FILE).hints;
  const layers = '[{"type":"dense"}]';
  const hint = (e: ProtoWriter) => e.string(1, "homeostat.layers").string(2, layers);
  const author = (e: ProtoWriter) => e.string(1, "author").string(2, "me");
  const cases: [string, Build[], string | null][] = [
    ["the hint, then another key", [hint, author], layers],
    ["another key only", [author], null],
    ["a value without a key", [(e) => e.string(2, "no key")], null],
    ["the key without a value", [(e) => e.string(1, "homeostat.layers")], ""],
    ["an unknown record after the value", [(e) => hint(e).string(3, "junk")], layers],
    ["a value as a varint", [(e) => hint(e).int(2, 5)], layers],
  ];
  for (const [what, entries, expected] of cases) assert.equal(hintsOf(...entries), expected, what);
});

test("a model's graph and metadata of unexpected wire types are stepped over", () => {
  refuses(
    () =>
      readModel(
        bytesOf((w) => w.int(1, 9).int(7, 0)),
        FILE,
      ),
    `${FILE}: not an ONNX model (no graph); expected a ModelProto with a graph`,
  );
  const empty = { hints: null, nodes: [], consts: new Map(), inputs: [], outputs: [] };
  assert.deepEqual(
    readModel(
      model(none, (w) => w.int(14, 5)),
      FILE,
    ),
    empty,
  );
  // In the graph, a varint with a node's field number is not a node.
  const { nodes } = readModel(
    model((w) => w.int(1, 5).message(1, (m) => m.string(4, "Relu"))),
    FILE,
  );
  assert.deepEqual(
    nodes.map((n) => n.label),
    [`node ${FILE}: graph.node[0] (Relu)`],
  );
});

test("a graph's initializers are its constants, by name", () => {
  const g = readModel(
    model((w) =>
      w
        .message(5, (t) => t.packedInts(1, [2]).int(2, 1).string(8, "b").packedFloats(4, [1, 2]))
        .message(5, (t) => t.int(2, 7).string(8, "k").packedInts(7, [3])),
    ),
    FILE,
  );
  assert.deepEqual(
    [...g.consts],
    [
      ["b", { name: "b", dims: [2], data: Float32Array.of(1, 2) }],
      ["k", { name: "k", dims: [], data: Float32Array.of(3), ints: [3] }],
    ],
  );
});

test("a broken record is reported with the part of the model it is in", () => {
  // 0x08 opens a varint of field 1 that never comes, 0x18 one of field 3; 0x12 0x01 0x79 is output "y".
  const truncated = Uint8Array.of(0x08);
  const cases: [Uint8Array, string][] = [
    [bytesOf((w) => w.bytes(7, truncated)), "graph: truncated varint at byte 1"],
    [
      model((w) => w.bytes(1, Uint8Array.of(0x12, 0x01, 0x79)).bytes(1, truncated)),
      "graph.node[1]: truncated varint at byte 1",
    ],
    [
      model((w) => w.message(1, (n) => n.bytes(5, Uint8Array.of(0x18)))),
      "graph.node[0].attribute: truncated varint at byte 1",
    ],
    [model((w) => w.bytes(11, truncated)), "graph.input: truncated varint at byte 1"],
    [model((w) => w.bytes(12, truncated)), "graph.output: truncated varint at byte 1"],
    [
      model((w) => w.message(5, (t) => t.string(8, "w").int(2, 11))),
      'initializer "w": data type 11; expected float32 (1) or int64 (7)',
    ],
    [model(none, (w) => w.bytes(14, truncated)), "metadata_props: truncated varint at byte 1"],
  ];
  for (const [bytes, message] of cases) refuses(() => readModel(bytes, FILE), `${FILE}: ${message}`);
});
