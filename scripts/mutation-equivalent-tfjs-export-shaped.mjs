// The reasons for src/io's surviving mutants of src/io/tfjs-export-shaped.ts, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const TFJS_EXPORT_SHAPED_ENTRIES = [
  [
    "src/io/tfjs-export-shaped",
    "MethodExpression",
    "c.shape.slice()",
    "c.shape",
    "equivalent: the reshape's target (the layer's own shape array, as Reshape.config() hands it) is only read: filter and map build new arrays, and the node's target_shape and the tracked shape are the new `out`, so no array reachable from outside is ever written through either name",
  ],
];
