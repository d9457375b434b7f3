// The reasons for src/io's surviving mutants of src/io/tfjs-import.ts's layer mapping and input shapes, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const TFJS_IMPORT_LAYERS_ENTRIES = [
  [
    "src/io/tfjs-import",
    "BooleanLiteral",
    "true",
    "false",
    "by line: an Activation's and a LeakyReLU's standalone: true made false is equivalent, as modelFromSteps reads standalone only to join an activation to an open Dense, and mapDense always pushes the Dense's own activation step right after its dense step, which closes it (inferenceTokens ignores the flag); mapDense's use_bias default true made false is killed by unit-io-tfjs-import-layer-frame's Dense without activation or use_bias",
  ],
  [
    "src/io/tfjs-import",
    "EqualityOperator",
    "Math.abs(alpha - 0.01) > 1e-7",
    "Math.abs(alpha - 0.01) >= 1e-7",
    "equivalent: they differ only where |alpha - 0.01| is exactly 1e-7, and no double alpha gets there: near 0.01 the subtraction is exact (Sterbenz), so the difference is a multiple of 2^-59, which the double 1e-7 (bits down to 2^-76) is not",
  ],
];
