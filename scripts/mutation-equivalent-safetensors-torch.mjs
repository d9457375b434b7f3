// The reasons for src/io's surviving mutants of src/io/safetensors-torch*.ts, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.

// isShaped's mutants only widen it: a shaped kind passes every `m.kind !== …` test, so whichever test
// is made true (or whose `&&` is made `||`, or whose kind is made "") it stays true for the shaped kinds.
const WIDENED =
  "isShaped true for a kind that is not a shaped one hands it to shapedNames, which has neither parameters nor buffers for it ({ params: [], buffers: [] }, as the false branch's []); and only activation and dropout reach it in torchNames (linear and layerNorm return before), linear, activation, dropout and layerNorm in torchBuffers, residual and concat never (placedModules opens them)";
const ISSHAPED = `equivalent: ${WIDENED}`;

export const SAFETENSORS_TORCH_ENTRIES = [
  [
    "src/io/safetensors-torch",
    "ConditionalExpression",
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout" && m.k…',
    "true",
    `by line: each of the three (the whole of isShaped, and it without its last one or two tests) is equivalent: ${WIDENED}`,
  ],
  [
    "src/io/safetensors-torch",
    "LogicalOperator",
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout" && m.k…',
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout" && m.k…',
    `by line: both (isShaped's last or next-to-last \`&&\` made \`||\`) are equivalent: ${WIDENED}`,
  ],
  [
    "src/io/safetensors-torch",
    "LogicalOperator",
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout" && m.k…',
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout" || m.k…',
    ISSHAPED,
  ],
  [
    "src/io/safetensors-torch",
    "ConditionalExpression",
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout"',
    "true",
    ISSHAPED,
  ],
  [
    "src/io/safetensors-torch",
    "LogicalOperator",
    'm.kind !== "linear" && m.kind !== "activation" && m.kind !== "dropout"',
    'm.kind !== "linear" && m.kind !== "activation" || m.kind !== "dropout"',
    ISSHAPED,
  ],
  [
    "src/io/safetensors-torch",
    "ConditionalExpression",
    'm.kind !== "linear" && m.kind !== "activation"',
    "true",
    ISSHAPED,
  ],
  [
    "src/io/safetensors-torch",
    "LogicalOperator",
    'm.kind !== "linear" && m.kind !== "activation"',
    'm.kind !== "linear" || m.kind !== "activation"',
    ISSHAPED,
  ],
  ...["linear", "activation", "dropout", "layerNorm", "residual", "concat"].map((kind) => [
    "src/io/safetensors-torch",
    "ConditionalExpression",
    `m.kind !== "${kind}"`,
    "true",
    ISSHAPED,
  ]),
  [
    "src/io/safetensors-torch",
    "StringLiteral",
    '"linear"',
    '""',
    `by line: in isShaped equivalent: ${WIDENED}; in the shaped layers' and dense's \`a !== "linear"\` killed by unit-io-safetensors-torch-shapes ("linear" on a convolution, on a dense); its other uses in the file are killed`,
  ],
  [
    "src/io/safetensors-torch",
    "StringLiteral",
    '"activation"',
    '""',
    `by line: in isShaped equivalent: ${WIDENED}; the activation layer's type in its refusal killed by unit-io-safetensors-torch-shapes (an activation layer whose activation PyTorch has no module for); its other uses in the file are killed`,
  ],
  ...["dropout", "layerNorm", "residual", "concat"].map((kind) => [
    "src/io/safetensors-torch",
    "StringLiteral",
    `"${kind}"`,
    '""',
    `by line: in isShaped equivalent: ${WIDENED}; its other uses in the file are killed`,
  ]),
];
