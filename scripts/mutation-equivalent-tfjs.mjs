// The reasons for src/io's surviving mutants of the tfjs files, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
export const TFJS_ENTRIES = [
  [
    "src/io/tfjs-export-shaped",
    "StringLiteral",
    '"identity"',
    '""',
    "harmless: the fallback cannot run; activated() is called only for dense, conv1d and conv2d layers, whose config() always carries the activation their constructor resolved (identity by default); only a layer of those types without one, which no constructor makes, would tell them apart",
  ],
  [
    "src/io/tfjs-import",
    "UnaryOperator",
    "-1",
    "+1",
    "equivalent: a missing axis defaults to -1 or, mutated, to 1; the check after it accepts both (the last axis of [batch, features] is 1 as well as -1) and axis is not read again",
  ],
];
