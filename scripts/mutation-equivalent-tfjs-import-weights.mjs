// The reasons for src/io's surviving mutants of src/io/tfjs-import.ts's dense and layer-norm weights, and src/io/tfjs-import-shaped.ts, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const TFJS_IMPORT_WEIGHTS_ENTRIES = [
  [
    "src/io/tfjs-import",
    "ConditionalExpression",
    'typeof eps !== "number"',
    "false",
    "equivalent: Number.isFinite is false for every value that is not a number, so the clause after it, !(eps > 0 && Number.isFinite(eps)), refuses each non-number epsilon the typeof test refuses, with the same message",
  ],
  [
    "src/io/tfjs-import-shaped",
    "ArrayDeclaration",
    "[0, 0]",
    "[]",
    "equivalent: spec.transposed is a [rows, cols] pair or null, and rows and cols are read only when it is a pair, so the fallback's values are never used",
  ],
];
