// The reasons for src/io's surviving mutants of the onnx-import files, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const ONNX_IMPORT_ENTRIES = [
  [
    "src/io/onnx-graph",
    "StringLiteral",
    '""',
    '"Stryker was here!"',
    'by line: readModel\'s `let key = ""` (a metadata entry without a key) is equivalent: the key is only compared with HINT_KEY, and neither "" nor "Stryker was here!" is "homeostat.layers", so the hint stays null either way; the other "" defaults of the file (the names of a tensor, attribute, node and value info, a node\'s op, a metadata value) are killed by test/unit-io-onnx-graph.test.ts',
  ],
];
