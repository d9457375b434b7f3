// The reasons for src/io's surviving mutants of the safetensors-interop files, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const SAFETENSORS_INTEROP_ENTRIES = [
  [
    "src/io/safetensors-optim",
    "StringLiteral",
    '""',
    '"Stryker was here!"',
    'equivalent, by line: a missing param_groups read as "Stryker was here!" instead of "" is invalid JSON either way, so JSON.parse throws and the same refusal names param_groups; a missing optimizer looked up as "Stryker was here!" instead of "" finds no entry in TYPES (a Map of Adam, AdamW, SGD) either way, and the refusal prints the metadata\'s own value (null), not the looked-up key',
  ],
  [
    "src/io/safetensors-optim",
    "UnaryOperator",
    "-1",
    "+1",
    "equivalent: i is -1 only when the name does not match the layout, and then !m alone refuses it before i is read (the message prints the name and params.length, not i)",
  ],
  [
    "src/io/safetensors-optim",
    "ConditionalExpression",
    "error instanceof HomeostatError",
    "true",
    "harmless: optimizerFromConfig gets type adam, adamw or sgd and JSON values for the options, and its option checks throw ConfigError (a HomeostatError) for every JSON value (object, array, string, null, Infinity tried); only a defect inside the optimiser code (a TypeError) would reach the rethrow, which the mutant would wrap as a ModelFileError with the same text",
  ],
];
