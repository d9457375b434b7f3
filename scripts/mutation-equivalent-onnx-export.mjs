// The reasons for src/io's surviving mutants of the onnx-export files, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.

/** Why window()'s guard never fires: what layer() sends it and what shapedModule makes of that. */
const WINDOW_KINDS =
  'layer() calls window() only for conv2d, conv1d, maxPool2d and avgPool2d, for which shapedModule (safetensors-shaped.ts) returns kind "conv" or "pool", so its refusal is unreachable and can be told apart only by a defect in shapedModule';

/** Why exportOnnx's fallback Identity in the shaped branch is never written. */
const SHAPED_NEVER_EMPTY =
  "graphOf takes the shaped branch only for shaped samples (shapedGraph then writes input.Reshape first) or a layer outside FLAT_TYPES, and every such layer shapedGraph maps writes at least one node (a residual its Add, a concat its Concat, flatten, reshape, the norms, pools, convs and embedding theirs) or is refused, so g.nodes is never empty there; the fallback can be told apart only by a defect in shapedGraph";

export const ONNX_EXPORT_ENTRIES = [
  [
    "src/io/feature-extractor",
    "ObjectLiteral",
    "{ inputOrder: null, outputOrder: null }",
    "{}",
    "equivalent: the default is taken only by fromModel (the constructor is private; fromOnnx passes both orders), and the orders are read only for truth (the constructor's `o ? … : \"\"`, embed's `inputOrder ? … : x` and `outputOrder ? … : y`), where undefined acts as null: the same hash and embeddings",
  ],
  [
    "src/io/feature-extractor",
    "ConditionalExpression",
    "orders[0] || orders[1]",
    "true",
    'equivalent: with neither order set, orders is ["", ""] and orders.join("") is "", what the else branch appends',
  ],
  [
    "src/io/feature-extractor",
    "EqualityOperator",
    "r < rows",
    "r <= rows",
    "equivalent: the extra pass r = rows writes only at indices from rows·width = out.length on, which a typed array ignores, and its reads past x.data give undefined without throwing",
  ],
  [
    "src/io/feature-extractor",
    "EqualityOperator",
    "i < width",
    "i <= width",
    "equivalent: the extra i = width reads order[width], undefined: a scatter writes at index NaN, which a typed array ignores; a gather writes x.data[NaN] (undefined, stored as NaN) at (r + 1)·width, the next row's first value, which that row's i = 0 overwrites next (past the end for the last row: ignored)",
  ],
  [
    "src/io/onnx-export-shaped",
    "StringLiteral",
    '"."',
    '""',
    "equivalent: the index parsed from the prefix reaches only the module's `layer` field, which window() never reads (it reads kind, pad, pool, stride, op, kernel, dilation, groups, filters, channels, dims), and shapedModule uses it elsewhere only in its refusal of types layer() never passes it",
  ],
  [
    "src/io/onnx-export-shaped",
    "UnaryOperator",
    "-1",
    "+1",
    "by line: p.split(\".\").at(+1) in layer()'s conv and pool branch is equivalent: the index parsed there reaches only the module's `layer` field, which window() never reads; LayerNormalization's axis, globalAvgPool's channels and concat's width made +1 are killed by unit-io-onnx-export-shaped (flat samples; the global average pool; the concat)",
  ],
  [
    "src/io/onnx-export-shaped",
    "ConditionalExpression",
    'm.kind !== "conv" && m.kind !== "pool"',
    "false",
    `harmless: ${WINDOW_KINDS}`,
  ],
  [
    "src/io/onnx-export-shaped",
    "StringLiteral",
    '""',
    '"Stryker was here!"',
    `by line: the refusal in window() is harmless: ${WINDOW_KINDS}; layer()'s unsupported(p, layer.type, "") and the message's empty parenthesis are killed by unit-io-onnx-export-shaped (refusals name the layer: an unknown type's message has no parenthesis)`,
  ],
  [
    "src/io/onnx-export",
    "ConditionalExpression",
    "g.nodes.length === 0",
    "false",
    `harmless: ${SHAPED_NEVER_EMPTY}`,
  ],
  [
    "src/io/onnx-export",
    "ObjectLiteral",
    '{ op: "Identity", name: "Identity", inputs: ["input"] }',
    "{}",
    `harmless: ${SHAPED_NEVER_EMPTY}`,
  ],
  ["src/io/onnx-export", "ArrayDeclaration", '["input"]', "[]", `harmless: ${SHAPED_NEVER_EMPTY}`],
  [
    "src/io/onnx-export",
    "StringLiteral",
    '"Identity"',
    '""',
    `by line: the shaped branch's fallback Identity (op and name) is harmless: ${SHAPED_NEVER_EMPTY}; the flat path's (op and name) are killed by unit-io-onnx-export (a model whose layers compute nothing is one Identity from input to output)`,
  ],
  [
    "src/io/onnx-export",
    "StringLiteral",
    '"input"',
    '""',
    `by line: the shaped branch's fallback Identity input is harmless: ${SHAPED_NEVER_EMPTY}; the flat path's first tensor and the graph input's name are killed by unit-io-onnx-export (each activation is one node named after its layer; input and output are float32 [batch, width])`,
  ],
  [
    "src/io/onnx-export",
    "ConditionalExpression",
    'kind === "ints"',
    "true",
    'equivalent: no node exportOnnx writes has an "s" attribute (the activation table and onnx-export-shaped.ts write only "f", "i" and "ints" ones), so every attribute that reaches this test is "ints" and the string branch after it never runs',
  ],
  [
    "src/io/onnx-shaped-form",
    "EqualityOperator",
    "r < rows",
    "r <= rows",
    "equivalent: permuteColumns is given a [rows, cols] matrix (its one caller, dense in onnx-shaped-nodes.ts, passes a weight whose data holds exactly rows·cols values, as onnx-graph.ts checks each tensor's data against its dims), so the extra pass r = rows writes only at indices from rows·cols = out.length on, which a typed array ignores, and its reads past the data give undefined without throwing",
  ],
  [
    "src/io/onnx-runtime-backbone",
    "ConditionalExpression",
    "output === undefined",
    "false",
    "harmless: with output undefined, !session.outputNames.includes(output) is true for any list of names, so the same ConfigError is thrown; the two differ only for a session whose outputNames holds undefined itself, which OrtSessionLike's readonly string[] rules out and ONNX Runtime never gives (its output names are the model's strings)",
  ],
];
