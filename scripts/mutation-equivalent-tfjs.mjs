// The reasons for src/io's surviving mutants of the tfjs files, in the form of
// scripts/mutation-equivalent.mjs, which spreads them into its list: the file without extension,
// the mutator, the code and replacement as docs/mutation.md prints them, and why the mutant is
// equivalent or harmless. docs/mutation-io.md groups them by file.
/** Why kerasActivation's refusal of a null name is unreachable from a standalone activation. */
const ONLY_LEAKY_IS_NULL =
  "leakyRelu is the only activation KERAS_ACTIVATION maps to null (a name it lacks, a user's, gives undefined and is refused either way), and the flat path sends a standalone leakyRelu to its LeakyReLU layer before the Activation layer's call, the only one with inDense false (the shaped emitter always passes true); so kerasActivation never sees null with inDense false";

export const TFJS_ENTRIES = [
  [
    "src/io/tfjs-export",
    "BooleanLiteral",
    "false",
    "true",
    `equivalent: with inDense true, only a null name returns differently (null instead of a refusal), and ${ONLY_LEAKY_IS_NULL}`,
  ],
  [
    "src/io/tfjs-export",
    "ConditionalExpression",
    "name === null",
    "false",
    `equivalent: it changes only what a null name does with inDense false, and ${ONLY_LEAKY_IS_NULL}`,
  ],
  [
    "src/io/tfjs-export",
    "ConditionalExpression",
    's.op === "act"',
    "true",
    "equivalent: a dense step is taken by the branch before, and a dropout or layerNorm step has neither standalone nor activation, so the rest of the condition is false for them as it was and they go on to their own branches",
  ],
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
